use super::Record;
use crate::reply::FromReply;
use crate::resp::Frame;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Role {
    Admin,
    Guest,
}

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    name: String,
    age: u32,
    score: f64,
    active: bool,
    role: Role,
    email: Option<String>,
    nickname: Option<String>,
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.to_owned().into())
}

fn flat(pairs: &[(&str, &str)]) -> Frame {
    Frame::Array(pairs.iter().flat_map(|(k, v)| [bulk(k), bulk(v)]).collect())
}

fn map(pairs: &[(&str, &str)]) -> Frame {
    Frame::Map(pairs.iter().map(|(k, v)| (bulk(k), bulk(v))).collect())
}

const ADA: &[(&str, &str)] = &[
    ("name", "Ada"),
    ("age", "36"),
    ("score", "9.5"),
    ("active", "1"),
    ("role", "admin"),
    ("email", "ada@example.com"),
    ("unknown", "skipped"),
];

fn ada() -> User {
    User {
        name: "Ada".into(),
        age: 36,
        score: 9.5,
        active: true,
        role: Role::Admin,
        email: Some("ada@example.com".into()),
        nickname: None,
    }
}

#[test]
fn resp2_flat_arrays_and_resp3_maps_decode_alike() {
    let from_resp2 = Record::<User>::from_reply(flat(ADA)).unwrap();
    let from_resp3 = Record::<User>::from_reply(map(ADA)).unwrap();
    assert_eq!(from_resp2.into_inner(), ada());
    assert_eq!(from_resp3.0, ada());
}

#[test]
fn mistyped_fields_are_named() {
    let mut pairs = ADA.to_vec();
    pairs[1] = ("age", "abc");
    let err = Record::<User>::from_reply(flat(&pairs)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `age`: expected integer, got \"abc\""
    );
    assert_eq!(err.place(), "field `age`");

    pairs[1] = ("age", "-1");
    let err = Record::<User>::from_reply(map(&pairs)).unwrap_err();
    assert_eq!(err.to_string(), "field `age`: expected integer, got \"-1\"");

    pairs[1] = ("age", "36");
    pairs[3] = ("active", "maybe");
    let err = Record::<User>::from_reply(map(&pairs)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `active`: expected boolean, got \"maybe\""
    );

    pairs[3] = ("active", "true");
    pairs[4] = ("role", "root");
    let err = Record::<User>::from_reply(map(&pairs)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `role`: unknown variant `root`, expected `admin` or `guest`"
    );
}

#[test]
fn missing_fields_are_named_and_options_default_to_none() {
    let err = Record::<User>::from_reply(flat(&ADA[..1])).unwrap_err();
    assert_eq!(err.to_string(), "missing field `age`");
    // A missing key: HGETALL replies an empty map.
    let err = Record::<User>::from_reply(Frame::Map(Vec::new())).unwrap_err();
    assert_eq!(err.to_string(), "missing field `name`");
    let user = Record::<User>::from_reply(flat(&ADA[..5])).unwrap();
    assert_eq!(user.email, None);
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "x".repeat(100);
    let err = Record::<HashMap<String, i64>>::from_reply(flat(&[("n", &long)])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("field `n`: expected integer, got \"{}\"...", "x".repeat(64))
    );
}

#[test]
fn non_maps_are_refused() {
    let err = Record::<User>::from_reply(Frame::Integer(3)).unwrap_err();
    assert_eq!(err.to_string(), "expected map, got integer");
    let err = Record::<User>::from_reply(Frame::Array(vec![bulk("name")])).unwrap_err();
    assert_eq!(err.to_string(), "expected map, got array of odd length 1");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Group {
    name: String,
    consumers: i64,
    #[serde(rename = "last-delivered-id")]
    last_delivered_id: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct StreamInfo {
    length: u64,
    groups: Vec<Group>,
    #[serde(rename = "first-entry")]
    first_entry: Option<(String, Vec<String>)>,
}

#[test]
fn nested_replies_decode_and_errors_give_the_path() {
    // The shape of XINFO STREAM ... FULL under RESP2: flat pairs, integers, nested arrays.
    let group = |consumers: Frame| {
        Frame::Array(vec![
            bulk("name"),
            bulk("g1"),
            bulk("consumers"),
            consumers,
            bulk("last-delivered-id"),
            bulk("0-0"),
        ])
    };
    let info = |consumers: Frame| {
        Frame::Array(vec![
            bulk("length"),
            Frame::Integer(2),
            bulk("groups"),
            Frame::Array(vec![group(Frame::Integer(1)), group(consumers)]),
            bulk("first-entry"),
            Frame::Array(vec![bulk("1-0"), Frame::Array(vec![bulk("f"), bulk("v")])]),
        ])
    };
    let decoded = Record::<StreamInfo>::from_reply(info(Frame::Integer(0))).unwrap();
    assert_eq!(decoded.length, 2);
    assert_eq!(decoded.groups[1].consumers, 0);
    assert_eq!(
        decoded.first_entry,
        Some(("1-0".to_owned(), vec!["f".to_owned(), "v".to_owned()]))
    );
    let err = Record::<StreamInfo>::from_reply(info(bulk("many"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `groups[1].consumers`: expected integer, got \"many\""
    );
}

#[test]
fn maps_and_numbers_of_every_kind() {
    let reply = Frame::Map(vec![
        (bulk("a"), bulk("1.5")),
        (bulk("b"), Frame::Double(2.0)),
        (bulk("c"), bulk("inf")),
        (bulk("d"), Frame::Integer(4)),
    ]);
    let values = Record::<HashMap<String, f64>>::from_reply(reply).unwrap();
    assert_eq!(values["a"], 1.5);
    assert_eq!(values["c"], f64::INFINITY);
    assert_eq!(values["d"], 4.0);

    #[derive(Debug, Deserialize)]
    struct Small {
        tiny: u8,
    }
    let ok = Record::<Small>::from_reply(flat(&[("tiny", "255")])).unwrap();
    assert_eq!(ok.tiny, 255);
    let err = Record::<Small>::from_reply(flat(&[("tiny", "300")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `tiny`: expected integer, got \"300\""
    );
}

#[test]
fn an_empty_map_is_absence_for_an_option() {
    // HGETALL of a missing key: an empty map under RESP3, an empty array under RESP2.
    for empty in [
        Frame::Map(Vec::new()),
        Frame::Array(Vec::new()),
        Frame::Null,
    ] {
        let outer = Option::<Record<User>>::from_reply(empty.clone()).unwrap();
        assert_eq!(outer, None);
        let inner = Record::<Option<User>>::from_reply(empty.clone()).unwrap();
        assert_eq!(inner.0, None);
        // Without an Option, it still names the first missing field...
        let err = Record::<User>::from_reply(empty.clone()).unwrap_err();
        assert_eq!(err.to_string(), "missing field `name`");
        // ... and a map or a list is empty.
        let map = Record::<HashMap<String, String>>::from_reply(empty.clone()).unwrap();
        assert!(map.0.is_empty());
        let list = Record::<Vec<String>>::from_reply(empty).unwrap();
        assert!(list.0.is_empty());
    }
    // A hash that is there but corrupt stays an error.
    let err = Option::<Record<User>>::from_reply(flat(&[("name", "Ada")])).unwrap_err();
    assert_eq!(err.to_string(), "missing field `age`");
    let found = Option::<Record<User>>::from_reply(map(ADA)).unwrap();
    assert_eq!(found.map(Record::into_inner), Some(ada()));
    let found = Record::<Option<User>>::from_reply(flat(ADA)).unwrap();
    assert_eq!(found.0, Some(ada()));
}
