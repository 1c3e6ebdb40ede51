//! A user's own spec: the RediSearch 1.2 spec of `examples/redisearch.toml`, turned into a trait
//! by `sider::commands!` in this crate, against a redis-server that loads Debian's
//! `redis-redisearch` module. Every test runs under RESP2 and RESP3.

use sider::prelude::*;
use sider::{Client, FromReply, Value};
use sider_tests::RedisServer;
use std::collections::{HashMap, HashSet};

mod search {
    sider::commands! {
        pub trait RediSearch;
        spec = "../examples/redisearch.toml";
    }
}

use search::{
    FtAlterField, FtCreateSchema, FtSearchGeofilterUnit, FtSearchSortbyOrder, RediSearch,
};

const MODULE: &str = "/usr/lib/redis/modules/redisearch.so";

/// A server with RediSearch loaded. A missing module fails the test: nothing is skipped.
fn server() -> RedisServer {
    assert!(
        std::path::Path::new(MODULE).exists(),
        "the RediSearch module is missing ({MODULE}): install it with \
         `sudo apt-get install -y redis-redisearch`"
    );
    RedisServer::builder().arg("loadmodule", MODULE).start()
}

async fn client(server: &RedisServer, protocol: u8) -> Client {
    Client::connect(&format!("{}?protocol={protocol}", server.url()))
        .await
        .expect("connect")
}

type Fields = HashMap<String, String>;

/// `[total, id, [field, value...], id, ...]` (or, with NOCONTENT, `[total, id, id...]`) into the
/// total and `(id, fields)` pairs.
fn hits(reply: Value) -> (i64, Vec<(String, Fields)>) {
    let Value::Array(items) = reply else {
        panic!("FT.SEARCH replied {reply:?}");
    };
    let mut items = items.into_iter().peekable();
    let total = i64::from_reply(items.next().expect("a total")).expect("an integer total");
    let mut out = Vec::new();
    while let Some(id) = items.next() {
        let id = String::from_reply(id).expect("a document id");
        let fields = match items.peek() {
            Some(Value::Array(_)) => Fields::from_reply(items.next().unwrap()).expect("fields"),
            _ => Fields::new(),
        };
        out.push((id, fields));
    }
    (total, out)
}

fn ids(reply: Value) -> Vec<String> {
    hits(reply).1.into_iter().map(|(id, _)| id).collect()
}

/// `books`: three documents with text, numeric, tag and geo fields.
async fn books(client: &Client) -> anyhow::Result<()> {
    client
        .ft_create(
            "books",
            [
                FtCreateSchema::Text("title".into(), false, Some(5.0), false, false),
                FtCreateSchema::Text("body".into(), false, None, false, false),
                FtCreateSchema::Numeric("year".into(), true, false),
                FtCreateSchema::Tag("tags".into(), Some(";".into()), false, false),
                FtCreateSchema::Geo("shop".into(), false),
            ],
        )
        .await?;
    let docs = [
        (
            "book:1",
            "Redis in Action",
            "data structures served over the network",
            "2013",
            "db;nosql",
            "-0.1276,51.5072",
        ),
        (
            "book:2",
            "Rust in Action",
            "systems programming with a borrow checker",
            "2021",
            "lang;systems",
            "2.3522,48.8566",
        ),
        (
            "book:3",
            "The Art of Search",
            "ranking, stemming and the inverted index behind every search engine",
            "2018",
            "search;db",
            "-0.1280,51.5080",
        ),
    ];
    for (id, title, body, year, tags, shop) in docs {
        client
            .ft_add(
                "books",
                id,
                1.0,
                [
                    ("title", title),
                    ("body", body),
                    ("year", year),
                    ("tags", tags),
                    ("shop", shop),
                ],
            )
            .await?;
    }
    Ok(())
}

async fn create_add_search(protocol: u8) -> anyhow::Result<()> {
    let server = server();
    let client = client(&server, protocol).await;
    books(&client).await?;

    // Plain search: total, ids and fields.
    let (total, found) = hits(client.ft_search("books", "action").await?);
    assert_eq!(total, 2);
    let found: HashMap<String, Fields> = found.into_iter().collect();
    assert_eq!(found.len(), 2);
    assert_eq!(found["book:1"]["title"], "Redis in Action");
    assert_eq!(found["book:2"]["year"], "2021");
    assert_eq!(found["book:2"]["tags"], "lang;systems");

    // NOCONTENT and LIMIT.
    let reply = client
        .ft_search("books", "action")
        .nocontent()
        .limit(0, 1)
        .await?;
    let (total, page) = hits(reply);
    assert_eq!(total, 2, "the total counts every hit, not the page");
    assert_eq!(page.len(), 1);
    assert!(page[0].1.is_empty(), "NOCONTENT returns no fields");

    // SORTBY, FILTER (exclusive bound), INKEYS, INFIELDS, VERBATIM.
    let sorted = client
        .ft_search("books", "*")
        .nocontent()
        .sortby("year", Some(FtSearchSortbyOrder::Desc))
        .await?;
    assert_eq!(ids(sorted), ["book:2", "book:3", "book:1"]);
    let filtered = client
        .ft_search("books", "*")
        .nocontent()
        .filter("year", "(2013", "+inf")
        .sortby("year", Some(FtSearchSortbyOrder::Asc))
        .await?;
    assert_eq!(ids(filtered), ["book:3", "book:2"]);
    let both = client
        .ft_search("books", "*")
        .nocontent()
        .filter("year", "2010", "2020")
        .filter("year", "2015", "+inf")
        .await?;
    assert_eq!(ids(both), ["book:3"]);
    let only = client
        .ft_search("books", "action")
        .nocontent()
        .inkeys(1, ["book:2"])
        .await?;
    assert_eq!(ids(only), ["book:2"]);
    let in_title = client
        .ft_search("books", "search")
        .nocontent()
        .infields(1, ["body"])
        .verbatim()
        .await?;
    assert_eq!(ids(in_title), ["book:3"]);
    let in_nothing = client
        .ft_search("books", "network")
        .nocontent()
        .infields(1, ["title"])
        .await?;
    assert_eq!(hits(in_nothing).0, 0);

    // GEOFILTER: the two London shops, not the Paris one.
    let mut near = ids(client
        .ft_search("books", "*")
        .nocontent()
        .geofilter("shop", -0.1278, 51.5074, 5.0, FtSearchGeofilterUnit::Km)
        .await?);
    near.sort();
    assert_eq!(near, ["book:1", "book:3"]);

    // Tag query, RETURN, SLOP and INORDER.
    let tagged = client
        .ft_search("books", "@tags:{db}")
        .return_fields(1, ["title"])
        .sortby("year", None)
        .await?;
    let (_, tagged) = hits(tagged);
    assert_eq!(tagged.len(), 2);
    assert_eq!(tagged[0].0, "book:1");
    assert_eq!(
        tagged[0].1,
        Fields::from([("title".to_owned(), "Redis in Action".to_owned())])
    );
    // "... index behind every search engine"
    let phrase = |words, slop| client.ft_search("books", words).nocontent().slop(slop);
    assert_eq!(
        hits(phrase("behind search", 0).await?).0,
        0,
        "a word between"
    );
    assert_eq!(hits(phrase("behind search", 1).await?).0, 1);
    assert_eq!(hits(phrase("search behind", 1).await?).0, 1, "any order");
    assert_eq!(hits(phrase("search behind", 1).inorder().await?).0, 0);

    // HIGHLIGHT and SUMMARIZE.
    let highlighted = client
        .ft_search("books", "borrow")
        .return_fields(1, ["body"])
        .highlight(1, ["body"], Some("[".into()), Some("]".into()))
        .await?;
    assert_eq!(
        hits(highlighted).1[0].1["body"],
        "systems programming with a [borrow] checker"
    );
    let summary = client
        .ft_search("books", "inverted")
        .return_fields(1, ["body"])
        .summarize(0, (), Some(1), Some(2), Some(" / ".into()))
        .await?;
    let body = &hits(summary).1[0].1["body"];
    assert!(
        body.contains("inverted") && body.len() < 40,
        "a short fragment around the match: {body:?}"
    );

    // WITHSCORES: a score after each id (a double under RESP3, a string under RESP2).
    let Value::Array(items) = client
        .ft_search("books", "action")
        .nocontent()
        .withscores()
        .scorer("DOCSCORE")
        .await?
    else {
        panic!("an array");
    };
    assert_eq!(items.len(), 5, "{items:?}");
    assert_eq!(f64::from_reply(items[2].clone())?, 1.0);
    if protocol == 3 {
        assert!(matches!(items[2], Value::Double(_)), "{:?}", items[2]);
    }

    // LANGUAGE, EXPANDER, PAYLOAD, NOSTOPWORDS are accepted; an unknown language is refused.
    let reply = client
        .ft_search("books", "actions")
        .nocontent()
        .language("english")
        .expander("SBSTEM")
        .payload("p")
        .nostopwords()
        .await?;
    assert_eq!(hits(reply).0, 2, "stemming finds `action` from `actions`");
    let err = client
        .ft_search("books", "action")
        .language("klingon")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Unsupported"), "{err}");

    // FT.EXPLAIN, FT.INFO, FT.TAGVALS.
    let plan = client
        .ft_explain("books", "action @year:[2000 2020]")
        .await?;
    assert!(
        plan.contains("INTERSECT") && plan.contains("NUMERIC"),
        "{plan}"
    );
    let info = client.ft_info("books").await?;
    assert_eq!(String::from_reply(info["index_name"].clone())?, "books");
    // Counts are strings under RESP2 and doubles under RESP3: f64 reads both.
    assert_eq!(f64::from_reply(info["num_docs"].clone())?, 3.0);
    let tags = client.ft_tagvals::<String>("books", "tags").await?;
    let expected: HashSet<String> = ["db", "nosql", "lang", "systems", "search"]
        .map(String::from)
        .into();
    assert_eq!(tags, expected);

    // FT.GET, FT.MGET.
    let doc = client.ft_get::<String, String>("books", "book:2").await?;
    assert_eq!(doc.expect("book:2")["title"], "Rust in Action");
    assert_eq!(
        client.ft_get::<String, String>("books", "nope").await?,
        None
    );
    let docs = client
        .ft_mget::<String, String>("books", ["book:1", "nope"])
        .await?;
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].as_ref().expect("book:1")["year"], "2013");
    assert!(docs[1].is_none());

    // FT.DEL, FT.DROP.
    assert!(client.ft_del("books", "book:1").await?);
    assert!(!client.ft_del("books", "book:1").await?);
    assert_eq!(
        client.exists("book:1").await?,
        1,
        "the hash stays without DD"
    );
    assert!(client.ft_del("books", "book:2").dd().await?);
    assert_eq!(client.exists("book:2").await?, 0, "DD deletes the hash");
    client.ft_drop("books").keepdocs().await?;
    assert_eq!(
        client.exists("book:3").await?,
        1,
        "KEEPDOCS keeps the hashes"
    );
    let err = client.ft_info("books").await.unwrap_err();
    assert!(err.to_string().contains("Unknown Index"), "{err}");
    Ok(())
}

#[tokio::test]
async fn create_add_search_resp2() -> anyhow::Result<()> {
    create_add_search(2).await
}

#[tokio::test]
async fn create_add_search_resp3() -> anyhow::Result<()> {
    create_add_search(3).await
}

#[tokio::test]
async fn create_options_alter_and_add_options() -> anyhow::Result<()> {
    let server = server();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        client.send::<()>(sider::Cmd::new("FLUSHALL")).await?;
        client
            .ft_create(
                "notes",
                [
                    FtCreateSchema::Text("body".into(), true, None, true, false),
                    FtCreateSchema::Numeric("n".into(), true, false),
                ],
            )
            .maxtextfields()
            .nofreqs()
            .stopwords(2, ["foo", "bar"])
            .await?;
        let info = client.ft_info("notes").await?;
        let options: Vec<String> = FromReply::from_reply(info["index_options"].clone())?;
        for option in ["MAXTEXTFIELDS", "NOFREQS"] {
            assert!(options.iter().any(|o| o == option), "{options:?}");
        }
        let fields: Vec<Vec<String>> = FromReply::from_reply(info["fields"].clone())?;
        assert!(fields[0].iter().any(|w| w == "NOSTEM"), "{fields:?}");
        assert!(fields[0].iter().any(|w| w == "SORTABLE"), "{fields:?}");

        // The custom stop words are dropped, the default ones (`the`) indexed.
        client
            .ft_add("notes", "n1", 1.0, [("body", "foo the baz"), ("n", "1")])
            .language("english")
            .payload("pay")
            .await?;
        assert_eq!(hits(client.ft_search("notes", "foo").await?).0, 0);
        assert_eq!(hits(client.ft_search("notes", "the").await?).0, 1);

        // WITHPAYLOADS: the payload follows the id.
        let Value::Array(items) = client
            .ft_search("notes", "baz")
            .nocontent()
            .withpayloads()
            .await?
        else {
            panic!("an array");
        };
        assert_eq!(String::from_reply(items[2].clone())?, "pay");

        // A taken id needs REPLACE; PARTIAL keeps the other fields; IF guards the update.
        let err = client
            .ft_add("notes", "n1", 1.0, [("body", "again")])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already"), "{err}");
        client
            .ft_add("notes", "n1", 1.0, [("n", "2")])
            .replace_partial()
            .await?;
        assert_eq!(
            ids(client.ft_search("notes", "@n:[2 2]").await?),
            ["n1"],
            "PARTIAL keeps the body indexed and re-indexes n"
        );
        assert_eq!(hits(client.ft_search("notes", "baz").await?).0, 1);
        let doc = client
            .ft_get::<String, String>("notes", "n1")
            .await?
            .unwrap();
        assert_eq!(
            (doc["body"].as_str(), doc["n"].as_str()),
            ("foo the baz", "2")
        );
        let refused = client
            .ft_add("notes", "n1", 1.0, [("n", "3")])
            .replace_partial()
            .if_condition("@n == 1")
            .await?;
        assert_eq!(refused, "NOADD");
        let applied = client
            .ft_add("notes", "n1", 1.0, [("n", "3")])
            .replace_partial()
            .if_condition("@n == 2")
            .await?;
        assert_eq!(applied, "OK");
        client
            .ft_add("notes", "n1", 1.0, [("body", "replaced")])
            .replace()
            .await?;
        // REPLACE re-indexes from the fields given only (the hash keeps the others).
        assert_eq!(ids(client.ft_search("notes", "replaced").await?), ["n1"]);
        assert_eq!(hits(client.ft_search("notes", "@n:[3 3]").await?).0, 0);

        // NOSAVE: found by search, not stored.
        client
            .ft_add("notes", "n2", 1.0, [("body", "hidden words")])
            .nosave()
            .await?;
        assert_eq!(ids(client.ft_search("notes", "hidden").await?), ["n2"]);
        assert_eq!(client.ft_get::<String, String>("notes", "n2").await?, None);

        // FT.ADDHASH indexes an existing hash.
        client.hset("h1", [("body", "from a hash")]).await?;
        client
            .ft_addhash("notes", "h1", 1.0)
            .language("english")
            .await?;
        assert_eq!(ids(client.ft_search("notes", "hash").await?), ["h1"]);

        // FT.ALTER adds a field, searchable in documents added after.
        client
            .ft_alter(
                "notes",
                FtAlterField::Tag("kind".into(), None, false, false),
            )
            .await?;
        client
            .ft_add("notes", "n3", 1.0, [("body", "tagged"), ("kind", "memo")])
            .await?;
        assert_eq!(
            ids(client.ft_search("notes", "@kind:{memo}").await?),
            ["n3"]
        );

        // NOOFFSETS, NOHL, NOFIELDS: no highlighting.
        client
            .ft_create(
                "bare",
                [FtCreateSchema::Text("t".into(), false, None, false, false)],
            )
            .nooffsets()
            .nohl()
            .nofields()
            .await?;
        let info = client.ft_info("bare").await?;
        let options: Vec<String> = FromReply::from_reply(info["index_options"].clone())?;
        for option in ["NOOFFSETS", "NOFIELDS"] {
            assert!(options.iter().any(|o| o == option), "{options:?}");
        }
        client.ft_add("bare", "b1", 1.0, [("t", "hello")]).await?;
        let err = client
            .ft_search("bare", "hello")
            .highlight(0, (), None, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
        client.ft_drop("bare").await?;
        client.ft_drop("notes").await?;
    }
    Ok(())
}

#[tokio::test]
async fn suggestions_with_typed_replies() -> anyhow::Result<()> {
    let server = server();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        client.send::<()>(sider::Cmd::new("FLUSHALL")).await?;
        assert_eq!(client.ft_sugadd("ac", "hello world", 1.0).await?, 1);
        assert_eq!(
            client
                .ft_sugadd("ac", "hello redis", 2.0)
                .incr()
                .payload("p1")
                .await?,
            2
        );
        assert_eq!(client.ft_sugadd("ac", "help", 0.5).await?, 3);
        assert_eq!(client.ft_suglen("ac").await?, 3);

        let all = client.ft_sugget::<String>("ac", "hel").await?;
        assert_eq!(all, ["hello redis", "help", "hello world"]);
        let two = client.ft_sugget::<String>("ac", "hel").max(2).await?;
        assert_eq!(two.len(), 2);
        let scored: Vec<(String, f64)> = client.ft_sugget("ac", "hel").withscores().await?;
        assert_eq!(scored[0].0, "hello redis");
        assert!(scored[0].1 > scored[1].1, "{scored:?}");
        let with_payloads: Vec<(String, Option<String>)> = client
            .ft_sugget("ac", "hel")
            .withpayloads::<String>()
            .await?;
        assert_eq!(
            with_payloads[0],
            ("hello redis".to_owned(), Some("p1".to_owned()))
        );
        assert_eq!(with_payloads[1].1, None);
        let full = client
            .ft_sugget::<String>("ac", "hel")
            .withscores_and_payloads::<String>()
            .await?;
        assert_eq!(full.len(), 3);
        assert_eq!(full[0].2.as_deref(), Some("p1"));
        let fuzzy = client.ft_sugget::<String>("ac", "helo").fuzzy().await?;
        assert_eq!(fuzzy.len(), 3);
        assert!(client.ft_sugget::<String>("ac", "zzz").await?.is_empty());

        assert!(client.ft_sugdel("ac", "help").await?);
        assert!(!client.ft_sugdel("ac", "help").await?);
        assert_eq!(client.ft_suglen("ac").await?, 2);
    }
    Ok(())
}

#[tokio::test]
async fn in_a_pipeline_and_a_transaction() -> anyhow::Result<()> {
    let server = server();
    for protocol in [2, 3] {
        let client = client(&server, protocol).await;
        client.send::<()>(sider::Cmd::new("FLUSHALL")).await?;
        let ((), (), reply, doc) = client
            .pipeline()
            .ft_create(
                "idx",
                [FtCreateSchema::Text("t".into(), false, None, false, false)],
            )
            .ft_add("idx", "d1", 1.0, [("t", "pipelined hello")])
            .ft_search("idx", "hello")
            .limit(0, 5)
            .ft_get::<String, String>("idx", "d1")
            .execute()
            .await?;
        let (total, found) = hits(reply);
        assert_eq!(total, 1);
        assert_eq!(found[0].0, "d1");
        assert_eq!(found[0].1["t"], "pipelined hello");
        assert_eq!(doc.unwrap()["t"], "pipelined hello");

        let ((), added, reply) = client
            .transaction()
            .ft_add("idx", "d2", 1.0, [("t", "transacted hello")])
            .ft_add("idx", "d2", 1.0, [("t", "again")])
            .replace()
            .if_condition("@t == 'nothing'")
            .ft_search("idx", "hello")
            .nocontent()
            .execute()
            .await?;
        assert_eq!(added, "NOADD");
        let mut found = ids(reply);
        found.sort();
        assert_eq!(found, ["d1", "d2"]);
    }
    Ok(())
}
