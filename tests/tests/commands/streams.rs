//! Group stream.

use crate::Ctx;
use sider::commands::{Trim, XaddId, XgroupCreateId, XgroupSetidId};
use sider::prelude::*;
use sider::Value;
use std::collections::HashMap;
use std::time::Duration;

type Entry = (String, Vec<(String, String)>);
/// Claimed entries whose one field holds an integer.
type Claimed = Vec<(String, Vec<(String, i64)>)>;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

pub async fn streams(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let s = t.key("s");
    let id1 = c.xadd(&s, XaddId::Id("1-1".into()), [("f", "v")]).await?;
    assert_eq!(id1, "1-1");
    let id2 = c.xadd(&s, XaddId::Auto, [("a", "1"), ("b", "2")]).await?;
    assert!(id2.contains('-') && id2 != id1, "{id2}");
    let none: Option<String> = c
        .xadd(t.key("none"), XaddId::Auto, [("f", "v")])
        .nomkstream()
        .await?;
    assert_eq!(none, None);
    assert_eq!(c.xlen(&s).await?, 2);

    let all: Vec<Entry> = c.xrange(&s, "-", "+").await?;
    assert_eq!(
        all,
        [
            (id1.clone(), pairs(&[("f", "v")])),
            (id2.clone(), pairs(&[("a", "1"), ("b", "2")]))
        ]
    );
    let first: Vec<Entry> = c.xrange(&s, "-", "+").count(1).await?;
    assert_eq!(first.len(), 1);
    let last: Vec<(String, Vec<(String, i64)>)> = c.xrevrange(&s, "+", "-").count(1).await?;
    assert_eq!(
        last,
        [(id2.clone(), vec![("a".to_owned(), 1), ("b".to_owned(), 2)])]
    );

    let read: Option<HashMap<String, Vec<Entry>>> = c.xread(&s, "0-0").count(1).await?;
    let read = read.expect("entries to read");
    assert_eq!(read[&s], [(id1.clone(), pairs(&[("f", "v")]))]);
    // Nothing after the last entry: BLOCK waits 100 ms, then the reply is null.
    let nothing: Option<HashMap<String, Vec<Entry>>> = c
        .xread([&s], [&id2])
        .block(Duration::from_millis(100))
        .await?;
    assert_eq!(nothing, None);

    let info: HashMap<String, Value> = c.xinfo_stream(&s).await?;
    assert_eq!(info.get("length"), Some(&Value::Integer(2)));
    let full: HashMap<String, Value> = c.xinfo_stream(&s).full(Some(1)).await?;
    assert!(
        full.contains_key("entries") && full.contains_key("groups"),
        "{full:?}"
    );
    let help: Vec<String> = c.xinfo_help().await?;
    assert!(help.iter().any(|l| l.contains("STREAM")));

    let id3 = c.xadd(&s, XaddId::Auto, [("x", "y")]).maxlen(2).await?;
    assert_eq!(c.xlen(&s).await?, 2);
    assert_eq!(c.xdel(&s, [&id2, "9-9"]).await?, 1);
    let trimmed = c.xtrim(&s, Trim::minid(&id3)).await?;
    assert_eq!(trimmed, 0);
    assert_eq!(c.xtrim(&s, Trim::Maxlen(0)).await?, 1);
    let (): () = c
        .xsetid(&s, "99999999999999-0")
        .entries_added(10)
        .max_deleted_id("99999999999998-0")
        .await?;
    let info: HashMap<String, Value> = c.xinfo_stream(&s).await?;
    assert_eq!(
        info.get("last-generated-id"),
        Some(&Value::Bulk("99999999999999-0".into()))
    );
    Ok(())
}

pub async fn consumer_groups(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let s = t.key("s");
    let (): () = c
        .xgroup_create(&s, "g", XgroupCreateId::Id("0".into()))
        .mkstream()
        .await?;
    c.xgroup_create(&s, "idle", XgroupCreateId::Last)
        .entries_read(0)
        .await?;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(c.xadd(&s, XaddId::Auto, [("n", n)]).await?);
    }
    assert!(c.xgroup_createconsumer(&s, "g", "alice").await?);
    assert!(!c.xgroup_createconsumer(&s, "g", "alice").await?);

    type Read = Option<HashMap<String, Vec<(String, Option<Vec<(String, i64)>>)>>>;
    let read: Read = c.xreadgroup("g", "alice", &s, ">").count(2).await?;
    let entries = &read.expect("new entries")[&s];
    assert_eq!(
        entries,
        &[
            (ids[0].clone(), Some(vec![("n".to_owned(), 0)])),
            (ids[1].clone(), Some(vec![("n".to_owned(), 1)])),
        ]
    );
    let read: Read = c
        .xreadgroup("g", "bob", &s, ">")
        .noack()
        .block(Duration::from_millis(100))
        .await?;
    assert_eq!(read.expect("the third entry")[&s].len(), 1);

    let (count, lowest, highest, consumers) = c.xpending(&s, "g").await?;
    assert_eq!(count, 2);
    assert_eq!(lowest.as_ref(), Some(&ids[0]));
    assert_eq!(highest.as_ref(), Some(&ids[1]));
    assert_eq!(consumers, [("alice".to_owned(), 2)]);
    // A group with nothing pending: null IDs and consumers.
    let empty = c.xpending(&s, "idle").await?;
    assert_eq!(empty, (0, None, None, vec![]));
    let detail = c
        .xpending(&s, "g")
        .filters("-", "+", 10)
        .consumer("alice")
        .await?;
    let Value::Array(detail) = detail else {
        panic!("XPENDING with a range: {detail:?}");
    };
    assert_eq!(detail.len(), 2);

    assert_eq!(c.xack(&s, "g", [&ids[0], "1-1"]).await?, 1);
    // A pending entry deleted meanwhile reads back as an ID with null fields.
    c.xdel(&s, &ids[1]).await?;
    let history: Read = c.xreadgroup("g", "alice", &s, "0").await?;
    assert_eq!(
        history.expect("alice's history")[&s],
        [(ids[1].clone(), None)]
    );

    let claimed: Vec<(String, Vec<(String, i64)>)> =
        c.xclaim(&s, "g", "carol", Duration::ZERO, &ids[2]).await?;
    assert!(
        claimed.is_empty(),
        "ids[2] was read with NOACK: {claimed:?}"
    );
    c.xadd(&s, XaddId::Auto, [("n", 3)]).await?;
    let read: Read = c.xreadgroup("g", "alice", &s, ">").await?;
    let id4 = read.expect("the fourth entry")[&s][0].0.clone();
    let claimed: Vec<(String, Vec<(String, i64)>)> = c
        .xclaim(&s, "g", "carol", Duration::ZERO, &id4)
        .idle(Duration::from_millis(5))
        .retrycount(2)
        .await?;
    assert_eq!(claimed, [(id4.clone(), vec![("n".to_owned(), 3)])]);
    let ids_only: Vec<String> = c
        .xclaim::<String, String>(&s, "g", "dave", Duration::ZERO, &[&id4])
        .justid()
        .force()
        .await?;
    assert_eq!(ids_only, vec![id4.clone()]);

    let (cursor, entries, deleted): (String, Claimed, Vec<String>) = c
        .xautoclaim(&s, "g", "erin", Duration::ZERO, "0-0")
        .count(10)
        .await?;
    assert_eq!(cursor, "0-0");
    assert_eq!(entries, [(id4.clone(), vec![("n".to_owned(), 3)])]);
    assert_eq!(deleted, [ids[1].clone()], "the deleted pending entry");
    let (_, just_ids, _) = c
        .xautoclaim::<String, String>(&s, "g", "alice", Duration::ZERO, "0-0")
        .justid()
        .await?;
    assert_eq!(just_ids, vec![id4.clone()]);

    let groups: Vec<HashMap<String, Value>> = c.xinfo_groups(&s).await?;
    assert_eq!(groups.len(), 2);
    assert!(groups
        .iter()
        .any(|g| g.get("name") == Some(&Value::Bulk("g".into()))));
    let consumers: Vec<HashMap<String, Value>> = c.xinfo_consumers(&s, "g").await?;
    assert!(consumers.len() >= 4, "{consumers:?}");
    assert!(consumers
        .iter()
        .any(|g| g.get("name") == Some(&Value::Bulk("erin".into()))));
    let (): () = c
        .xgroup_setid(&s, "g", XgroupSetidId::Last)
        .entries_read(4)
        .await?;
    assert_eq!(c.xgroup_delconsumer(&s, "g", "alice").await?, 1);
    assert!(c.xgroup_destroy(&s, "g").await?);
    assert!(!c.xgroup_destroy(&s, "g").await?);
    let help: Vec<String> = c.xgroup_help().await?;
    assert!(help.iter().any(|l| l.contains("CREATECONSUMER")));
    Ok(())
}
