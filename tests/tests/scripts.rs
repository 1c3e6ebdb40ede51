//! Scripts and functions against a real server: `Script` on the client, a connection, pipelines,
//! transactions and batches, each after `SCRIPT FLUSH`; `FUNCTION LOAD` and `FCALL` typed.

use sider::prelude::*;
use sider::{Client, ErrorKind, Script, Value};
use sider_tests::RedisServer;

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

fn incrby() -> Script {
    Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])")
}

/// How many times the server ran `SCRIPT LOAD` and `EVALSHA`, from `INFO commandstats`.
async fn calls(client: &Client) -> anyhow::Result<(u64, u64)> {
    let info: String = client.info().section("commandstats").await?;
    let count = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(&format!("cmdstat_{name}:calls=")))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok((count("script|load"), count("evalsha")))
}

#[tokio::test]
async fn a_script_runs_on_the_client_and_survives_a_flush() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("client:{protocol}");
        let script = incrby();
        // Never loaded: EVALSHA meets NOSCRIPT, and the call loads and retries unnoticed.
        let n: i64 = client.invoke(script.key(&key).arg(5)).await?;
        assert_eq!(n, 5);
        let loaded: Vec<bool> = client.script_exists([script.sha1()]).await?;
        assert_eq!(loaded, [true]);

        let n: i64 = client.invoke(script.key(&key).arg(2)).await?;
        assert_eq!(n, 7);

        client.script_flush().await?;
        let (loads, runs) = calls(&client).await?;
        let n: i64 = client.invoke(script.key(&key).arg(1)).await?;
        assert_eq!(n, 8);
        // EVALSHA, NOSCRIPT, SCRIPT LOAD, EVALSHA; then the script is cached again.
        assert_eq!(calls(&client).await?, (loads + 1, runs + 2));
        let n: i64 = client.invoke(script.key(&key).arg(1)).await?;
        assert_eq!(n, 9);
        assert_eq!(calls(&client).await?, (loads + 1, runs + 3));

        // The call is a plain future: it can move to another task.
        let task = tokio::spawn({
            let (client, script, key) = (client.clone(), script.clone(), key.clone());
            async move { client.invoke::<i64>(script.key(&key).arg(1)).await }
        });
        assert_eq!(task.await??, 10);

        // The digest is the one the server computes.
        let sha: String = client.script_load(script.source()).await?;
        assert_eq!(sha, script.sha1());
        client.del([&key]).await?;
    }
    Ok(())
}

#[tokio::test]
async fn keys_args_and_replies_are_typed() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let echo = Script::new("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]}");
        let reply: (String, String, i64, f64, String) = client
            .invoke(echo.keys(["a", "b"]).args((42, 2.5)).arg("x"))
            .await?;
        assert_eq!(
            reply,
            ("a".into(), "b".into(), 42, 2.5, "x".into()),
            "RESP{protocol}"
        );

        let nothing = Script::new("return redis.call('GET', KEYS[1])");
        let value: Option<String> = client.invoke(nothing.key("missing")).await?;
        assert_eq!(value, None);

        // A script without keys or arguments: `&script`.
        let one = Script::new("return 1");
        let n: i64 = client.invoke(&one).await?;
        assert_eq!(n, 1);

        // The wrong reply type is a decoding error naming the command.
        let err = client
            .invoke::<i64>(echo.keys(["a", "b"]))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Reply, "{err}");
        assert!(err.to_string().contains("EVALSHA"), "{err}");
    }
    Ok(())
}

#[tokio::test]
async fn script_errors_reach_the_caller() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;

    let failing = Script::new("return redis.error_reply('BOOM it failed')");
    let err = client.invoke::<()>(&failing).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.server_error().map(|e| e.code()), Some("BOOM"));

    // A script that does not compile: SCRIPT LOAD's own error, not NOSCRIPT.
    let broken = Script::new("return (");
    let err = client.invoke::<()>(&broken).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(err.to_string().contains("SCRIPT LOAD"), "{err}");
    assert!(!err.to_string().contains("NOSCRIPT"), "{err}");

    let err = client
        .pipeline()
        .invoke::<()>(&broken)
        .get::<String>("k")
        .execute()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SCRIPT LOAD"), "{err}");
    assert!(err.to_string().contains("compiling"), "{err}");
    Ok(())
}

#[tokio::test]
async fn read_only_scripts_refuse_writes() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let client = client(&server, 3).await;
    client.set("ro", "v").await?;
    let get = Script::new("return redis.call('GET', KEYS[1])");
    let value: String = client.invoke(get.key("ro").read_only()).await?;
    assert_eq!(value, "v");
    let err = client
        .invoke::<i64>(incrby().key("ro:n").arg(1).read_only())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    Ok(())
}

#[tokio::test]
async fn a_script_runs_on_a_dedicated_connection() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let mut conn = client.dedicated().await?;
        let key = format!("conn:{protocol}");
        let script = incrby();
        conn.script_flush().await?;
        let n: i64 = conn.invoke(script.key(&key).arg(3)).await?;
        assert_eq!(n, 3);
        conn.script_flush().await?;
        let n: i64 = conn.invoke(script.key(&key).arg(3)).await?;
        assert_eq!(n, 6);
    }
    Ok(())
}

#[tokio::test]
async fn pipelines_load_their_scripts_first() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("pipe:{protocol}");
        let script = incrby();
        let other = Script::new("return 'other'");
        client.script_flush().await?;
        let (loads, _) = calls(&client).await?;

        let (a, (), b, c) = client
            .pipeline()
            .invoke::<i64>(script.key(&key).arg(1))
            .set("plain", "v")
            .invoke::<i64>(script.key(&key).arg(10))
            .invoke::<String>(&other)
            .execute()
            .await?;
        assert_eq!((a, b, c.as_str()), (1, 11, "other"));
        // One SCRIPT LOAD per distinct script, not per call.
        let (after, _) = calls(&client).await?;
        assert_eq!(after - loads, 2);

        // A builder with options inside the pipeline, then a script.
        client.script_flush().await?;
        let (_, n) = client
            .pipeline()
            .set("opt", "v")
            .nx()
            .invoke::<i64>(script.key(&key).arg(1))
            .execute()
            .await?;
        assert_eq!(n, 12);

        client.script_flush().await?;
        let (n,) = client
            .pipeline()
            .invoke::<i64>(script.key(&key).arg(1))
            .execute_each()
            .await?;
        assert_eq!(n?, 13);

        client.script_flush().await?;
        let ignored = client
            .pipeline()
            .invoke::<i64>(script.key(&key).arg(1))
            .execute_ignore_results()
            .await?;
        assert_eq!(ignored.replies, 1);
        let n: i64 = client.get(&key).await?.unwrap_or(0);
        assert_eq!(n, 14);
    }
    Ok(())
}

#[tokio::test]
async fn transactions_and_batches_load_their_scripts_first() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("tx:{protocol}");
        let script = incrby();

        client.script_flush().await?;
        let (a, b) = client
            .transaction()
            .invoke::<i64>(script.key(&key).arg(2))
            .incr(&key)
            .execute()
            .await?;
        assert_eq!((a, b), (2, 3));

        // WATCH, then a transaction with a script, on a connection held alone.
        let mut conn = client.dedicated().await?;
        conn.script_flush().await?;
        let n = conn
            .watching(&key, 3, async |conn| {
                let (n,) = conn
                    .transaction()
                    .invoke::<i64>(script.key(&key).arg(1))
                    .execute()
                    .await?;
                Ok(n)
            })
            .await?;
        assert_eq!(n, 4);

        client.script_flush().await?;
        let mut batch = client.batch();
        let keys: Vec<String> = (0..1000).map(|i| format!("batch:{protocol}:{i}")).collect();
        for key in &keys {
            batch.push(|c| c.invoke(script.key(key).arg(7)));
        }
        let replies: Vec<i64> = batch.execute().await?;
        assert_eq!(replies.len(), 1000);
        assert!(replies.iter().all(|&n| n == 7));
    }
    Ok(())
}

const LIBRARY: &str = r#"#!lua name=mylib
redis.register_function('knockknock', function() return "Who's there?" end)
redis.register_function('myincr', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)
redis.register_function{
  function_name = 'myget',
  callback = function(keys) return redis.call('GET', keys[1]) end,
  flags = { 'no-writes' },
}
"#;

#[tokio::test]
async fn functions_load_and_run_typed() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let name: String = client.function_load(LIBRARY).replace().await?;
        assert_eq!(name, "mylib");

        let hello: String = client.fcall("knockknock", ()).await?;
        assert_eq!(hello, "Who's there?");
        let key = format!("fn:{protocol}");
        let n: i64 = client.fcall("myincr", [&key]).arg(5).await?;
        assert_eq!(n, 5);
        let value: Option<i64> = client.fcall_ro("myget", [&key]).await?;
        assert_eq!(value, Some(5));
        // A function without the no-writes flag cannot run through FCALL_RO.
        let err = client
            .fcall_ro::<i64>("myincr", [&key])
            .arg(1)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server, "{err}");

        // In a pipeline, with other commands.
        let (a, b) = client
            .pipeline()
            .fcall::<i64>("myincr", [&key])
            .arg(1)
            .fcall_ro::<String>("myget", [&key])
            .execute()
            .await?;
        assert_eq!((a, b.as_str()), (6, "6"));

        let libraries = client.function_list().library_name("mylib").await?;
        assert_eq!(libraries.len(), 1);
        let functions = libraries[0].get("functions");
        assert!(
            matches!(functions, Some(Value::Array(f)) if f.len() == 3),
            "{functions:?}"
        );

        // Loading the same library again without REPLACE fails.
        let err = client.function_load(LIBRARY).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
        client.function_delete("mylib").await?;
        let err = client.fcall::<String>("knockknock", ()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
    }
    Ok(())
}
