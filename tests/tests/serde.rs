//! serde against a real server: `Json<T>` values, and hashes read into structs through
//! `hgetall_as::<Record<T>>`, under RESP2 and RESP3.

use serde::{Deserialize, Serialize};
use sider::prelude::*;
use sider::{Client, ErrorKind, Json, Record};
use sider_tests::RedisServer;
use std::collections::BTreeMap;

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Settings {
    theme: String,
    font_size: u32,
    tags: Vec<String>,
    limits: BTreeMap<String, f64>,
    parent: Option<Box<Settings>>,
}

fn settings() -> Settings {
    Settings {
        theme: "dark \"solarized\" ✓".into(),
        font_size: 14,
        tags: vec!["a".into(), "b".into()],
        limits: [("cpu".to_owned(), 0.5)].into_iter().collect(),
        parent: Some(Box::new(Settings {
            theme: "light".into(),
            font_size: 12,
            tags: Vec::new(),
            limits: BTreeMap::new(),
            parent: None,
        })),
    }
}

#[tokio::test]
async fn json_values_round_trip() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("json:{protocol}");
        let value = settings();
        client.set(&key, Json(&value)).await?;
        let stored: Option<Json<Settings>> = client.get(&key).await?;
        assert_eq!(stored.map(Json::into_inner), Some(value.clone()));
        // The stored bytes are plain JSON.
        let raw: String = client.get(&key).await?.unwrap_or_default();
        assert_eq!(raw, serde_json::to_string(&value)?);

        // Absent values are None; many at once through MGET; a hash field through HSET/HGET.
        let missing: Option<Json<Settings>> = client.get("json:missing").await?;
        assert!(missing.is_none());
        client.set(format!("{key}:n"), Json(7)).await?;
        let many: Vec<Option<Json<u32>>> = client
            .mget([format!("{key}:n"), "json:missing".to_owned()])
            .await?;
        assert_eq!(many, [Some(Json(7)), None]);
        client
            .hset(format!("{key}:h"), ("settings", Json(&value)))
            .await?;
        let field: Option<Json<Settings>> = client.hget(format!("{key}:h"), "settings").await?;
        assert_eq!(field.as_deref(), Some(&value));

        // In a pipeline.
        let ((), Some(Json(back))) = client
            .pipeline()
            .set(&key, Json(vec![1, 2, 3]))
            .get::<Json<Vec<i32>>>(&key)
            .execute()
            .await?
        else {
            anyhow::bail!("the value vanished");
        };
        assert_eq!(back, [1, 2, 3]);

        // A value that is not JSON of the type asked for names the type.
        client.set(&key, "not json").await?;
        let err = client.get::<Json<Settings>>(&key).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Reply);
        assert!(err.to_string().contains("invalid JSON for"), "{err}");
        assert!(err.to_string().contains("Settings"), "{err}");
    }
    Ok(())
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Plan {
    Free,
    Pro,
}

#[derive(Debug, PartialEq, Deserialize)]
struct User {
    name: String,
    age: u32,
    balance: f64,
    verified: bool,
    plan: Plan,
    email: Option<String>,
    #[serde(default)]
    logins: u64,
}

#[tokio::test]
async fn hashes_decode_into_structs() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("user:{protocol}");
        client
            .hset(
                &key,
                [
                    ("name", "Ada"),
                    ("age", "36"),
                    ("balance", "12.5"),
                    ("verified", "1"),
                    ("plan", "pro"),
                    ("nickname", "not in the struct"),
                ],
            )
            .await?;
        let user = client.hgetall_as::<Record<User>>(&key).await?.into_inner();
        assert_eq!(
            user,
            User {
                name: "Ada".into(),
                age: 36,
                balance: 12.5,
                verified: true,
                plan: Plan::Pro,
                email: None,
                logins: 0,
            },
            "RESP{protocol}"
        );
        // hgetall keeps returning a map.
        let map: std::collections::HashMap<String, String> = client.hgetall(&key).await?;
        assert_eq!(map.len(), 6);

        // In a pipeline, with HINCRBY feeding a field.
        let (logins, user) = client
            .pipeline()
            .hincrby(&key, "logins", 3)
            .hgetall_as::<Record<User>>(&key)
            .execute()
            .await?;
        assert_eq!((logins, user.logins), (3, 3));

        // A mistyped field is named, with the value that did not parse.
        client.hset(&key, ("age", "abc")).await?;
        let err = client.hgetall_as::<Record<User>>(&key).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Reply);
        assert_eq!(
            err.to_string(),
            "HGETALL: unexpected reply: field `age`: expected integer, got \"abc\""
        );
        let reply = err.reply_error().map(|e| e.place().to_owned());
        assert_eq!(reply.as_deref(), Some("field `age`"));

        // A missing field is named.
        client.hdel(&key, ["age"]).await?;
        let err = client.hgetall_as::<Record<User>>(&key).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "HGETALL: unexpected reply: missing field `age`"
        );

        // A missing key is an empty hash: every required field is missing.
        let err = client
            .hgetall_as::<Record<User>>("user:nobody")
            .await
            .unwrap_err();
        assert!(err.to_string().ends_with("missing field `name`"), "{err}");
        // ...and decodes into a map or an Option-only struct without complaint.
        let empty: Record<BTreeMap<String, String>> = client.hgetall_as("user:nobody").await?;
        assert!(empty.is_empty());
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct StreamInfo {
    length: u64,
    #[serde(rename = "last-generated-id")]
    last_generated_id: String,
    groups: u64,
    #[serde(rename = "first-entry")]
    first_entry: Option<(String, Vec<String>)>,
}

#[tokio::test]
async fn other_map_replies_decode_too() -> anyhow::Result<()> {
    let server = RedisServer::start();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        let key = format!("stream:{protocol}");
        let id: String = client
            .xadd(&key, sider::commands::XaddId::Auto, ("field", "value"))
            .await?;
        let info: Record<StreamInfo> = client
            .cmd(sider::Cmd::new("XINFO STREAM").arg(&key))
            .await?;
        assert_eq!(info.length, 1);
        assert_eq!(info.groups, 0);
        assert_eq!(info.last_generated_id, id);
        let (first_id, fields) = info.into_inner().first_entry.unwrap_or_default();
        assert_eq!(
            (first_id, fields),
            (id, vec!["field".into(), "value".into()])
        );
    }
    Ok(())
}
