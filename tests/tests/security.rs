//! Credentials stay secret: the password (of the default user or an ACL user) appears in no
//! `Debug` output of a config, client or pool, in neither the `Display` nor the `Debug` of any
//! error a connection can fail with (a wrong password, a wrong TLS setup, a refused connection),
//! and in none of sider's log events (the `tracing` feature), captured here at every level.

use sider::prelude::*;
use sider::{Client, Cmd, Config, Error, ErrorKind, Pool, TlsConfig};
use sider_tests::log::Log;
use sider_tests::RedisServer;
use std::time::Duration;

const PASSWORD: &str = "pw-Zq8xR2v";
const USER_PASSWORD: &str = "acl-Kd93nW1";

/// Fails the test if `text` contains either secret.
fn assert_secret_free(what: &str, text: &str) {
    for secret in [PASSWORD, USER_PASSWORD] {
        assert!(!text.contains(secret), "{what} shows a password: {text}");
    }
}

fn assert_error_secret_free(what: &str, err: &Error) {
    assert_secret_free(what, &format!("{err}"));
    assert_secret_free(what, &format!("{err:#}"));
    assert_secret_free(what, &format!("{err:?}"));
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        assert_secret_free(what, &format!("{cause} {cause:?}"));
        source = cause.source();
    }
    // anyhow prints the whole chain, as an application's error report would.
    let report = anyhow::Error::new(err.clone());
    assert_secret_free(what, &format!("{report:#} {report:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_never_show() -> anyhow::Result<()> {
    let log = Log::capture();
    let server = RedisServer::builder().requirepass(PASSWORD).start();
    let port = server.port();
    let admin = Client::connect(&format!("redis://:{PASSWORD}@127.0.0.1:{port}")).await?;
    let _: String = admin
        .send(
            Cmd::new("ACL SETUSER")
                .arg("app")
                .arg("on")
                .arg(format!(">{USER_PASSWORD}"))
                .arg("~*")
                .arg("+@all"),
        )
        .await?;

    // Configs, built from URLs and in code, for the default user and the ACL user.
    let configs = [
        Config::from_url(&format!("redis://:{PASSWORD}@127.0.0.1:{port}"))?,
        Config::from_url(&format!("redis://app:{USER_PASSWORD}@127.0.0.1:{port}/0"))?,
        Config::from_url(&format!(
            "redis://127.0.0.1:{port}?username=app&password={USER_PASSWORD}"
        ))?,
        Config::tcp("127.0.0.1", port)
            .username("app")
            .password(USER_PASSWORD),
        Config::from_url(&format!(
            "redis+sentinel://app:{USER_PASSWORD}@127.0.0.1:1,127.0.0.1:2/mymaster"
        ))?,
        Config::from_url(&format!("rediss://app:{USER_PASSWORD}@127.0.0.1:{port}"))?,
    ];
    for config in &configs {
        assert_secret_free("Config's Debug", &format!("{config:?} {config:#?}"));
        assert_secret_free("Addr's Display", &config.addr().to_string());
    }

    // A client, a dedicated connection and a pool, connected for real.
    for config in &configs[..4] {
        let client = Client::connect_with(config.clone()).await?;
        client.set("security:k", 1).await?;
        assert_secret_free("Client's Debug", &format!("{client:?} {client:#?}"));

        let connection = client.dedicated().await?;
        assert_secret_free("Connection's Debug", &format!("{connection:?}"));

        let pool = Pool::new(config.clone(), 2);
        let pooled = pool.acquire().await?;
        assert_secret_free("Pool's Debug", &format!("{pool:?} {pool:#?}"));
        assert_secret_free("PooledConnection's Debug", &format!("{pooled:?}"));
    }

    // A wrong password, for the default user and for the ACL user, over RESP3 and RESP2.
    let wrong = [
        Config::tcp("127.0.0.1", port).password(format!("{PASSWORD}x")),
        Config::tcp("127.0.0.1", port)
            .username("app")
            .password(format!("{USER_PASSWORD}x")),
        Config::tcp("127.0.0.1", port)
            .username("app")
            .password(format!("{USER_PASSWORD}x"))
            .protocol_version(sider::Protocol::Resp2),
    ];
    for config in wrong {
        let err = Client::connect_with(config)
            .await
            .expect_err("wrong password");
        assert_eq!(err.kind(), ErrorKind::Auth, "{err:?}");
        assert_error_secret_free("a wrong password's error", &err);
    }

    // The right user with no password: refused, and the error names no password either.
    let err = Client::connect_with(Config::tcp("127.0.0.1", port))
        .await
        .expect_err("no password");
    assert_error_secret_free("a missing password's error", &err);

    // A refused connection.
    let closed = sider_tests::free_port();
    let err = Client::connect_with(Config::tcp("127.0.0.1", closed).password(PASSWORD))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Io, "{err:?}");
    assert_error_secret_free("a refused connection's error", &err);

    // A wrong TLS setup: TLS to a plain port, and a CA that is not PEM.
    let plain_port = Config::tcp("127.0.0.1", port)
        .username("app")
        .password(USER_PASSWORD)
        // The plain server reads the TLS hello as the start of a command and waits for more.
        .connect_timeout(Duration::from_millis(300))
        .tls(TlsConfig::new());
    let err = Client::connect_with(plain_port.clone())
        .await
        .expect_err("TLS to a plain port");
    assert!(err.is_connection_error(), "{err:?}");
    assert_error_secret_free("a TLS handshake error", &err);
    assert_secret_free("a TLS config's Debug", &format!("{plain_port:?}"));

    let bad_ca = plain_port.tls(TlsConfig::new().ca_pem(USER_PASSWORD));
    let err = Client::connect_with(bad_ca)
        .await
        .expect_err("CA that is not PEM");
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert_error_secret_free("a TLS config error", &err);

    // A failing command on an authenticated client: the error names the command, not the
    // connection's credentials.
    let client = Client::connect_with(configs[1].clone()).await?;
    let err = client
        .send::<i64>(Cmd::new("INCR").arg("security:k:not-a-number"))
        .await;
    if let Err(err) = err {
        assert_error_secret_free("a command error", &err);
    }
    let _: () = client.set("security:s", "text").await?;
    let err = client.incr("security:s").await.expect_err("not an integer");
    assert_error_secret_free("a command error", &err);

    // A reconnect that the server refuses: the user's password changed meanwhile.
    let _: String = admin
        .send(
            Cmd::new("ACL SETUSER")
                .arg("app")
                .arg("resetpass")
                .arg(format!(">{USER_PASSWORD}-new")),
        )
        .await?;
    let _: i64 = admin
        .send(Cmd::new("CLIENT KILL").arg("USER").arg("app"))
        .await?;
    let err = loop {
        match client.get::<String>("security:s").await {
            Err(err) if err.kind() == ErrorKind::Auth => break err,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    assert_error_secret_free("a failed reconnect's error", &err);

    // The log saw connects, commands and the failed reconnect, and no password.
    let log = log.text();
    for event in ["connected", "reconnect failed", "WRONGPASS", "replied"] {
        assert!(log.contains(event), "no `{event}` in the log:\n{log}");
    }
    assert_secret_free("the log", &log);
    Ok(())
}
