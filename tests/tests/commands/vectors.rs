//! Group vector-set: built into Redis 8.0 and later; Redis 7.0 and Valkey have none, and there
//! every command fails with an error naming the version that has it.

use crate::{error_code, Ctx};
use sider::commands::{VaddVector, VsimQuery};
use sider::prelude::*;
use sider::{Json, Value};
use std::collections::{BTreeSet, HashMap};

/// A vector as the FP32 form sends it: little-endian 32-bit floats.
fn fp32(components: &[f32]) -> Vec<u8> {
    components.iter().flat_map(|c| c.to_le_bytes()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-4
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Simple(b) | Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Double(d) => Some(*d),
        Value::Integer(n) => Some(*n as f64),
        Value::Bulk(b) | Value::Simple(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Attributes {
    year: i64,
}

pub async fn vectors(t: Ctx) -> anyhow::Result<()> {
    let server = t.client.server();
    if server.name() == "redis" && server.version() >= (8, 0, 0) {
        vector_sets(&t).await
    } else {
        no_vector_sets(&t).await
    }
}

/// Three unit-ish vectors in a set stored unquantized (NOQUANT), so that they come back exact:
/// `a` = (3, 4, 0), `b` = (0, 1, 0), `c` = (0, 0, 1). Similarity is (1 + cosine) / 2: a-b 0.9,
/// a-c 0.5, b-c 0.5.
async fn vector_sets(t: &Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let v = t.key("v");
    let values = |x: &[f64]| VaddVector::Values(x.len() as i64, x.to_vec());

    // VADD in both vector forms and with its options; every VADD to a NOQUANT set repeats it.
    let added = c
        .vadd(&v, values(&[3.0, 4.0, 0.0]), "a")
        .noquant()
        .ef(100)
        .numlinks(16)
        .await?;
    assert!(added, "a new element");
    let b = VaddVector::Fp32(fp32(&[0.0, 1.0, 0.0]).into());
    assert!(
        c.vadd(&v, b, "b")
            .noquant()
            .cas()
            .setattr(r#"{"year":1950}"#)
            .await?
    );
    assert!(c.vadd(&v, values(&[0.0, 0.0, 1.0]), "c").noquant().await?);
    let again = c.vadd(&v, values(&[0.0, 0.0, 1.0]), "c").noquant().await?;
    assert!(!again, "an update, not a new element");
    let err = c.vadd(&v, values(&[1.0, 1.0, 1.0]), "d").q8().await;
    assert!(error_code(err).contains("quantization mismatch"));

    assert_eq!(c.vcard(&v).await?, 3);
    assert_eq!(c.vcard(t.key("missing")).await?, 0);
    assert_eq!(c.vdim(&v).await?, 3);
    assert!(error_code(c.vdim(t.key("missing")).await).contains("does not exist"));
    assert!(c.vismember(&v, "a").await?);
    assert!(!c.vismember(&v, "zz").await?);

    // VEMB: the stored vector (denormalized), or its raw form: quantization, bytes, norm.
    let a = c.vemb(&v, "a").await?.expect("a is there");
    assert!(
        a.len() == 3 && close(a[0], 3.0) && close(a[1], 4.0) && close(a[2], 0.0),
        "{a:?}"
    );
    assert_eq!(c.vemb(&v, "zz").await?, None);
    let raw = c.vemb(&v, "a").raw().await?.expect("a is there");
    assert_eq!(raw.len(), 3, "no quantization range for f32: {raw:?}");
    assert_eq!(text(raw.first()).as_deref(), Some("f32"));
    assert!(
        matches!(&raw[1], Value::Bulk(bytes) if bytes.len() == 12),
        "{raw:?}"
    );
    assert!(number(&raw[2]).is_some_and(|l2| close(l2, 5.0)), "{raw:?}");

    // Attributes, read as text and as JSON.
    assert_eq!(
        c.vgetattr::<String>(&v, "b").await?.as_deref(),
        Some(r#"{"year":1950}"#)
    );
    assert_eq!(c.vgetattr::<String>(&v, "a").await?, None);
    assert!(c.vsetattr(&v, "a", r#"{"year":2000}"#).await?);
    assert!(!c.vsetattr(&v, "zz", "{}").await?);
    let year: Option<Json<Attributes>> = c.vgetattr(&v, "a").await?;
    assert_eq!(year.map(Json::into_inner), Some(Attributes { year: 2000 }));

    let info = c.vinfo(&v).await?.expect("the set exists");
    assert_eq!(text(info.get("quant-type")).as_deref(), Some("f32"));
    assert_eq!(info.get("vector-dim"), Some(&Value::Integer(3)));
    assert_eq!(info.get("size"), Some(&Value::Integer(3)));
    assert_eq!(c.vinfo(t.key("missing")).await?, None);

    // VSIM by element, by values and by FP32 blob, with each option.
    let ele = || VsimQuery::Ele("a".into());
    let similar: Vec<String> = c.vsim(&v, ele()).await?;
    assert_eq!(similar, ["a", "b", "c"]);
    let scored: Vec<(String, f64)> = c
        .vsim(&v, VsimQuery::Values(3, vec![0.0, 1.0, 0.0]))
        .withscores()
        .count(2)
        .await?;
    assert_eq!(scored.len(), 2, "{scored:?}");
    assert!(scored[0].0 == "b" && close(scored[0].1, 1.0), "{scored:?}");
    assert!(scored[1].0 == "a" && close(scored[1].1, 0.9), "{scored:?}");
    let attribs: Vec<(String, Option<Json<Attributes>>)> = c.vsim(&v, ele()).withattribs().await?;
    let attribs: Vec<(String, Option<i64>)> = attribs
        .into_iter()
        .map(|(e, a)| (e, a.map(|a| a.year)))
        .collect();
    assert_eq!(
        attribs,
        [
            ("a".to_owned(), Some(2000)),
            ("b".to_owned(), Some(1950)),
            ("c".to_owned(), None)
        ]
    );
    let near: Vec<String> = c.vsim(&v, ele()).epsilon(0.2).await?;
    assert_eq!(near, ["a", "b"], "c is 0.5 away");
    let blob = VsimQuery::Fp32(fp32(&[0.6, 0.8, 0.0]).into());
    let filtered: Vec<String> = c
        .vsim(&v, blob)
        .filter(".year > 1960")
        .filter_ef(10)
        .await?;
    assert_eq!(filtered, ["a"]);
    let exact: Vec<String> = c.vsim(&v, ele()).truth().nothread().ef(50).await?;
    assert_eq!(exact, ["a", "b", "c"]);
    assert!(c.vsim::<String>(t.key("missing"), ele()).await?.is_empty());
    assert!(
        error_code(c.vsim::<String>(&v, VsimQuery::Ele("zz".into())).await)
            .contains("element not found")
    );

    // Scores and attributes together: flat triples under RESP2, element -> [score, attributes]
    // under RESP3.
    let both = c
        .vsim::<String>(&v, ele())
        .withscores_withattribs()
        .count(2)
        .await?;
    match (t.protocol, &both) {
        (2, Value::Array(flat)) => {
            assert_eq!(flat.len(), 6, "{both:?}");
            assert_eq!(flat[0], Value::Bulk("a".into()));
            assert!(number(&flat[1]).is_some_and(|s| close(s, 1.0)), "{both:?}");
            assert_eq!(flat[2], Value::Bulk(r#"{"year":2000}"#.into()));
        }
        (3, Value::Map(pairs)) => {
            assert_eq!(pairs.len(), 2, "{both:?}");
            assert_eq!(pairs[0].0, Value::Bulk("a".into()));
            let Value::Array(pair) = &pairs[0].1 else {
                panic!("{both:?}");
            };
            assert!(number(&pair[0]).is_some_and(|s| close(s, 1.0)), "{both:?}");
            assert_eq!(pair[1], Value::Bulk(r#"{"year":2000}"#.into()));
        }
        _ => panic!("RESP{}: {both:?}", t.protocol),
    }

    // VLINKS: one list per layer, top first; at layer 0, with three nodes, each links the others.
    let layers: Vec<Vec<String>> = c.vlinks(&v, "a").await?.expect("a is there");
    let bottom: BTreeSet<&str> = layers
        .last()
        .expect("layer 0")
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(bottom, BTreeSet::from(["b", "c"]), "{layers:?}");
    let scored = c
        .vlinks::<String>(&v, "a")
        .withscores()
        .await?
        .expect("a is there");
    let bottom: HashMap<String, f64> = scored.last().expect("layer 0").iter().cloned().collect();
    assert!(
        bottom.get("b").is_some_and(|s| close(*s, 0.9)),
        "{scored:?}"
    );
    assert!(
        bottom.get("c").is_some_and(|s| close(*s, 0.5)),
        "{scored:?}"
    );
    assert_eq!(c.vlinks::<String>(&v, "zz").await?, None);

    let all = BTreeSet::from(["a", "b", "c"].map(str::to_owned));
    let one: Option<String> = c.vrandmember(&v).await?;
    assert!(one.is_some_and(|e| all.contains(&e)));
    let two: Vec<String> = c.vrandmember(&v).count(2).await?;
    assert!(two.len() == 2 && two[0] != two[1], "{two:?}");
    let five: Vec<String> = c.vrandmember(&v).count(-5).await?;
    assert!(
        five.len() == 5 && five.iter().all(|e| all.contains(e)),
        "{five:?}"
    );
    assert_eq!(c.vrandmember::<String>(t.key("missing")).await?, None);
    let none: Vec<String> = c.vrandmember(t.key("missing")).count(3).await?;
    assert!(none.is_empty());

    assert!(c.vrem(&v, "c").await?);
    assert!(!c.vrem(&v, "c").await?);
    assert_eq!(c.vcard(&v).await?, 2);

    // REDUCE projects to fewer dimensions when the set is created; BIN and Q8 quantize.
    let r = t.key("reduced");
    let four = VaddVector::Values(4, vec![1.0, 0.0, 0.0, 1.0]);
    assert!(c.vadd(&r, four, "x").reduce(2).await?);
    assert_eq!(c.vdim(&r).await?, 2);
    let info = c.vinfo(&r).await?.expect("the set exists");
    assert_eq!(info.get("projection-input-dim"), Some(&Value::Integer(4)));
    for (key, expected) in [("bin", "bin"), ("q8", "int8")] {
        let q = t.key(key);
        let builder = c.vadd(&q, values(&[1.0, 2.0]), "x");
        let added = if key == "bin" {
            builder.bin().await?
        } else {
            builder.q8().await?
        };
        assert!(added);
        let info = c.vinfo(&q).await?.expect("the set exists");
        assert_eq!(text(info.get("quant-type")).as_deref(), Some(expected));
    }
    Ok(())
}

/// Redis 7.0 and Valkey know none of the vector-set commands: each one's error names Redis 8.0.
async fn no_vector_sets(t: &Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let v = t.key("v");
    let values = VaddVector::Values(2, vec![1.0, 0.0]);
    let errors = [
        error_code(c.vadd(&v, values, "a").await),
        error_code(c.vcard(&v).await),
        error_code(c.vdim(&v).await),
        error_code(c.vemb(&v, "a").await),
        error_code(c.vgetattr::<String>(&v, "a").await),
        error_code(c.vinfo(&v).await),
        error_code(c.vismember(&v, "a").await),
        error_code(c.vlinks::<String>(&v, "a").await),
        error_code(c.vrandmember::<String>(&v).await),
        error_code(c.vrem(&v, "a").await),
        error_code(c.vsetattr(&v, "a", "{}").await),
        error_code(c.vsim::<String>(&v, VsimQuery::Ele("a".into())).await),
    ];
    let server = c.server();
    for error in errors {
        assert!(
            error.contains(": needs Redis 8.0.0 (no Valkey release has it); connected to")
                && error.contains(&server.to_string()),
            "{error}"
        );
    }
    Ok(())
}
