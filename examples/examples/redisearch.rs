//! A module's commands, typed from a spec of your own: RediSearch 1.2.
//!
//! `redisearch.toml` (next to this crate's Cargo.toml) describes the `FT.*` commands; the
//! `sider::commands!` invocation below turns it into the `RediSearch` trait, implemented for the
//! client, pipelines and transactions. The server needs the module:
//!
//! ```sh
//! sudo apt-get install -y redis-redisearch
//! redis-server --loadmodule /usr/lib/redis/modules/redisearch.so
//! ```
//!
//! Connects to `REDIS_URL`, or `redis://127.0.0.1:6379` when it is unset.

use anyhow::Context;
use sider::Value;
use std::collections::HashMap;

mod search {
    sider::commands! {
        pub trait RediSearch;
        spec = "redisearch.toml";
    }
}

use search::{FtCreateSchema, RediSearch};

/// One search hit: the document id and its fields.
type Hit = (String, HashMap<String, String>);

/// Decodes an `FT.SEARCH` reply, `[total, id, [field, value...], id, [...]...]`, into the total
/// and the hits. Also reads the `NOCONTENT` shape, `[total, id, id...]` (hits without fields).
/// Not for `WITHSCORES`, `WITHPAYLOADS` or `WITHSORTKEYS`, which add elements after each id.
fn hits(reply: Value) -> anyhow::Result<(i64, Vec<Hit>)> {
    let Value::Array(items) = reply else {
        anyhow::bail!("FT.SEARCH replied {reply:?}, not an array");
    };
    let mut items = items.into_iter().peekable();
    let total: i64 = sider::FromReply::from_reply(items.next().unwrap_or(Value::Null))?;
    let mut out = Vec::new();
    while let Some(id) = items.next() {
        let id: String = sider::FromReply::from_reply(id)?;
        let fields = match items.peek() {
            Some(Value::Array(_) | Value::Map(_)) => {
                sider::FromReply::from_reply(items.next().unwrap_or(Value::Null))?
            }
            _ => HashMap::new(),
        };
        out.push((id, fields));
    }
    Ok((total, out))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;

    // Start from a clean index: FT.DROP fails on an index that does not exist, which is fine.
    let _ = client.ft_drop("books").await;
    // Fields: Text(name, nostem, weight, sortable, noindex), Numeric(name, sortable, noindex).
    client
        .ft_create(
            "books",
            [
                FtCreateSchema::Text("title".into(), false, Some(5.0), false, false),
                FtCreateSchema::Text("body".into(), false, None, false, false),
                FtCreateSchema::Numeric("year".into(), true, false),
            ],
        )
        .await
        .context("FT.CREATE failed: does the server load the RediSearch module?")?;

    let books = [
        (
            "book:1",
            "Redis in Action",
            "data structures served over the network",
            "2013",
        ),
        (
            "book:2",
            "Rust in Action",
            "systems programming with a borrow checker",
            "2021",
        ),
        (
            "book:3",
            "The Art of Search",
            "ranking, stemming and the inverted index",
            "2018",
        ),
    ];
    for (id, title, body, year) in books {
        client
            .ft_add(
                "books",
                id,
                1.0,
                [("title", title), ("body", body), ("year", year)],
            )
            .await?;
    }

    let (total, found) = hits(client.ft_search("books", "action").limit(0, 10).await?)?;
    println!("`action`: {total} hits");
    for (id, fields) in &found {
        println!("  {id}: {} ({})", fields["title"], fields["year"]);
    }

    let (total, ids) = hits(
        client
            .ft_search("books", "@year:[2015 +inf]")
            .nocontent()
            .sortby("year", Some(search::FtSearchSortbyOrder::Desc))
            .await?,
    )?;
    let ids: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
    println!("since 2015: {total} hits, newest first: {ids:?}");

    client.ft_drop("books").await?;
    Ok(())
}
