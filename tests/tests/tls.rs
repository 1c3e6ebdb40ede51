//! TLS against redis-server's TLS port, with a CA, server and client certificates made here by
//! rcgen: verification on by default, a custom CA, mutual TLS, the server name override, and
//! the one option that turns verification off.

use sider::prelude::*;
use sider::{Client, Cmd, Config, ErrorKind, TlsConfig};
use sider_tests::RedisServer;
use std::path::Path;

/// A CA, a server certificate it signed (for 127.0.0.1 and localhost), a client certificate it
/// signed, and an unrelated CA; PEM files in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca: String,
    other_ca: String,
    client_cert: String,
    client_key: String,
}

fn make_ca(name: &str) -> anyhow::Result<(rcgen::Issuer<'static, rcgen::KeyPair>, String)> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let pem = params.self_signed(&key)?.pem();
    Ok((rcgen::Issuer::new(params, key), pem))
}

fn leaf(
    issuer: &rcgen::Issuer<'static, rcgen::KeyPair>,
    names: &[&str],
    usage: rcgen::ExtendedKeyUsagePurpose,
) -> anyhow::Result<(String, String)> {
    let key = rcgen::KeyPair::generate()?;
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sider test");
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

impl Pki {
    fn new() -> anyhow::Result<Pki> {
        let dir = tempfile::Builder::new().prefix("sider-pki-").tempdir()?;
        let (issuer, ca) = make_ca("sider test CA")?;
        let (_, other_ca) = make_ca("some other CA")?;
        let (server_cert, server_key) = leaf(
            &issuer,
            &["127.0.0.1", "localhost"],
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let (client_cert, client_key) = leaf(
            &issuer,
            &["sider-client"],
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        std::fs::write(dir.path().join("ca.crt"), &ca)?;
        std::fs::write(dir.path().join("server.crt"), &server_cert)?;
        std::fs::write(dir.path().join("server.key"), &server_key)?;
        Ok(Pki {
            dir,
            ca,
            other_ca,
            client_cert,
            client_key,
        })
    }

    fn path(&self, name: &str) -> String {
        path_str(&self.dir.path().join(name))
    }

    /// A redis-server serving TLS only, with this PKI's server certificate.
    fn server(&self, auth_clients: bool) -> RedisServer {
        RedisServer::builder()
            .tls_only()
            .arg("tls-cert-file", &self.path("server.crt"))
            .arg("tls-key-file", &self.path("server.key"))
            .arg("tls-ca-cert-file", &self.path("ca.crt"))
            .arg("tls-auth-clients", if auth_clients { "yes" } else { "no" })
            .start()
    }
}

fn path_str(path: &Path) -> String {
    path.to_str().expect("temp paths are UTF-8").to_owned()
}

fn tls_config(server: &RedisServer, tls: TlsConfig) -> Config {
    Config::tcp("127.0.0.1", server.port()).tls(tls)
}

#[tokio::test]
async fn verified_with_a_custom_ca() -> anyhow::Result<()> {
    let pki = Pki::new()?;
    let server = pki.server(false);
    let url = format!("rediss://127.0.0.1:{}/1", server.port());
    let config = Config::from_url(&url)?.tls(TlsConfig::new().ca_pem(&pki.ca));
    let client = Client::connect_with(config).await?;
    client.set("tls:k", "over TLS").await?;
    assert_eq!(
        client.get::<String>("tls:k").await?.as_deref(),
        Some("over TLS")
    );
    let db: i64 = client
        .send(Cmd::new("CLIENT INFO"))
        .await
        .map(|info: String| {
            info.split(' ')
                .find_map(|f| f.strip_prefix("db="))
                .and_then(|db| db.parse().ok())
                .unwrap_or(-1)
        })?;
    assert_eq!(db, 1, "the URL's database was selected over TLS");

    // A dropped connection comes back over TLS too.
    let killed: i64 = client
        .send(
            Cmd::new("CLIENT KILL")
                .arg("TYPE")
                .arg("normal")
                .arg("SKIPME")
                .arg("no"),
        )
        .await
        .unwrap_or(1);
    assert_eq!(killed, 1);
    let mut value = None;
    for _ in 0..50 {
        match client.get::<String>("tls:k").await {
            Ok(v) => {
                value = v;
                break;
            }
            Err(e) if e.is_connection_error() => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    assert_eq!(value.as_deref(), Some("over TLS"));

    // The name in the certificate, rather than the address connected to.
    let by_name = tls_config(
        &server,
        TlsConfig::new().ca_pem(&pki.ca).server_name("localhost"),
    )
    .database(1);
    let client = Client::connect_with(by_name).await?;
    assert_eq!(
        client.get::<String>("tls:k").await?.as_deref(),
        Some("over TLS")
    );
    Ok(())
}

#[tokio::test]
async fn verification_is_on_by_default_and_names_the_cause() -> anyhow::Result<()> {
    let pki = Pki::new()?;
    let server = pki.server(false);

    // rediss:// alone trusts the public roots, which never signed this test CA.
    let url = format!("rediss://127.0.0.1:{}", server.port());
    let err = Client::connect(&url).await.expect_err("untrusted CA");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");

    // A CA that did not sign the server's certificate.
    let err = Client::connect_with(tls_config(&server, TlsConfig::new().ca_pem(&pki.other_ca)))
        .await
        .expect_err("wrong CA");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("TLS handshake") && text.contains("UnknownIssuer"),
        "{text}"
    );

    // The right CA, but a name the certificate does not list.
    let wrong_name = TlsConfig::new()
        .ca_pem(&pki.ca)
        .server_name("redis.example.com");
    let err = Client::connect_with(tls_config(&server, wrong_name))
        .await
        .expect_err("wrong name");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(err.to_string().contains("not valid for name"), "{err}");

    // A malformed CA is a configuration error, not a handshake failure.
    let err = Client::connect_with(tls_config(&server, TlsConfig::new().ca_pem("not a PEM")))
        .await
        .expect_err("bad PEM");
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    Ok(())
}

#[tokio::test]
async fn client_certificates() -> anyhow::Result<()> {
    let pki = Pki::new()?;
    let server = pki.server(true);

    let mutual = TlsConfig::new()
        .ca_pem(&pki.ca)
        .client_cert_pem(&pki.client_cert, &pki.client_key);
    let client = Client::connect_with(tls_config(&server, mutual)).await?;
    client.set("mtls:k", 7).await?;
    assert_eq!(client.get::<i64>("mtls:k").await?, Some(7));

    // Without a certificate the server ends the session: TLS 1.3 reports it on the first read.
    let err = Client::connect_with(tls_config(&server, TlsConfig::new().ca_pem(&pki.ca)))
        .await
        .expect_err("no client certificate");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
    assert!(err.to_string().contains("client_cert_pem"), "{err}");

    // A client key that is not PEM is a configuration error that does not quote the key.
    let bad_key = TlsConfig::new()
        .ca_pem(&pki.ca)
        .client_cert_pem(&pki.client_cert, "secret-key-material");
    let err = Client::connect_with(tls_config(&server, bad_key))
        .await
        .expect_err("bad key");
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(!format!("{err} {err:?}").contains("secret-key-material"));
    Ok(())
}

#[tokio::test]
async fn danger_accept_invalid_certs_connects_to_an_untrusted_server() -> anyhow::Result<()> {
    let pki = Pki::new()?;
    let server = pki.server(false);
    // Neither the public roots nor any CA given here trusts the server, and the name is wrong.
    let tls = TlsConfig::new()
        .server_name("not-the-server.example")
        .danger_accept_invalid_certs();
    let client = Client::connect_with(tls_config(&server, tls)).await?;
    client.set("danger:k", "v").await?;
    assert_eq!(
        client.get::<String>("danger:k").await?.as_deref(),
        Some("v")
    );
    Ok(())
}

#[tokio::test]
async fn plain_tcp_is_off_on_a_tls_only_server() -> anyhow::Result<()> {
    let pki = Pki::new()?;
    let server = pki.server(false);
    // Speaking plain RESP to the TLS port gets no answer the client can use.
    let config =
        Config::tcp("127.0.0.1", server.port()).connect_timeout(std::time::Duration::from_secs(2));
    let err = Client::connect_with(config).await.expect_err("plain TCP");
    assert!(err.is_connection_error(), "{err:?}");
    Ok(())
}
