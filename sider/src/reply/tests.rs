use super::*;
use crate::resp::Frame;
use bytes::Bytes;

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn scalars() {
    assert_eq!(String::from_reply(bulk("hi")).unwrap(), "hi");
    assert_eq!(
        String::from_reply(Frame::Simple("OK".into())).unwrap(),
        "OK"
    );
    assert_eq!(String::from_reply(Frame::Integer(5)).unwrap(), "5");
    assert_eq!(i64::from_reply(Frame::Integer(-5)).unwrap(), -5);
    assert_eq!(i64::from_reply(bulk("12")).unwrap(), 12);
    assert_eq!(u8::from_reply(Frame::Integer(255)).unwrap(), 255);
    assert!(u8::from_reply(Frame::Integer(256)).is_err());
    assert_eq!(f64::from_reply(bulk("1.5")).unwrap(), 1.5);
    assert_eq!(f64::from_reply(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
    assert_eq!(f64::from_reply(Frame::Double(2.5)).unwrap(), 2.5);
    assert!(bool::from_reply(Frame::Integer(1)).unwrap());
    assert!(!bool::from_reply(Frame::Boolean(false)).unwrap());
    assert_eq!(Vec::<u8>::from_reply(bulk("ab")).unwrap(), b"ab");
    assert_eq!(Bytes::from_reply(bulk("ab")).unwrap(), "ab");
    assert_eq!(Option::<String>::from_reply(Frame::Null).unwrap(), None);
    let verbatim = Frame::Verbatim {
        format: *b"txt",
        data: "x".into(),
    };
    assert_eq!(String::from_reply(verbatim).unwrap(), "x");
}

#[test]
fn wrong_shapes_name_expected_and_actual() {
    let err = i64::from_reply(Frame::Array(vec![])).unwrap_err();
    assert_eq!(err.to_string(), "expected integer, got array (0 elements)");
    let err = String::from_reply(Frame::Bulk(Bytes::from_static(b"\xff"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected UTF-8 string, got invalid UTF-8 at byte 0"
    );
    let err = <(i64, i64)>::from_reply(Frame::Array(vec![Frame::Integer(1)])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected array of 2, got array (1 elements)"
    );
}

#[test]
fn maps_from_resp2_and_resp3_agree() {
    let resp2 = Frame::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2")]);
    let resp3 = Frame::Map(vec![
        (bulk("a"), Frame::Integer(1)),
        (bulk("b"), Frame::Integer(2)),
    ]);
    let a: HashMap<String, i64> = FromReply::from_reply(resp2.clone()).unwrap();
    let b: HashMap<String, i64> = FromReply::from_reply(resp3.clone()).unwrap();
    assert_eq!(a, b);
    let a: Vec<(String, i64)> = FromReply::from_reply(resp2).unwrap();
    let b: Vec<(String, i64)> = FromReply::from_reply(resp3).unwrap();
    assert_eq!(a, b);
    let c: BTreeMap<String, i64> = FromReply::from_reply(Frame::Array(vec![Frame::Array(vec![
        bulk("a"),
        Frame::Integer(1),
    ])]))
    .unwrap();
    assert_eq!(c.get("a"), Some(&1));
}

#[test]
fn collections() {
    let set = Frame::Set(vec![bulk("x"), bulk("y")]);
    let h: HashSet<String> = FromReply::from_reply(set.clone()).unwrap();
    assert_eq!(h.len(), 2);
    let b: BTreeSet<String> = FromReply::from_reply(set.clone()).unwrap();
    assert_eq!(b.into_iter().collect::<Vec<_>>(), ["x", "y"]);
    let v: Vec<String> = FromReply::from_reply(set).unwrap();
    assert_eq!(v, ["x", "y"]);
    let t: (String, i64, Option<String>) = FromReply::from_reply(Frame::Array(vec![
        bulk("a"),
        Frame::Integer(2),
        Frame::Null,
    ]))
    .unwrap();
    assert_eq!(t, ("a".to_owned(), 2, None));
    let nested: Vec<Vec<u8>> = FromReply::from_reply(Frame::Array(vec![bulk("ab")])).unwrap();
    assert_eq!(nested, [b"ab".to_vec()]);
}

#[test]
fn bools_read_what_bool_arguments_write() {
    assert!(bool::from_reply(bulk("1")).unwrap());
    assert!(!bool::from_reply(bulk("0")).unwrap());
    let err = bool::from_reply(bulk("yes")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected boolean, got bulk string (3 bytes)"
    );
}

#[test]
fn an_option_is_none_for_null_only_unless_its_type_says_otherwise() {
    assert_eq!(Option::<i64>::from_reply(Frame::Null).unwrap(), None);
    let empty: Option<HashMap<String, String>> = FromReply::from_reply(Frame::Map(vec![])).unwrap();
    assert_eq!(empty, Some(HashMap::new()));
    let empty: Option<Vec<String>> = FromReply::from_reply(Frame::Array(vec![])).unwrap();
    assert_eq!(empty, Some(Vec::new()));
}
