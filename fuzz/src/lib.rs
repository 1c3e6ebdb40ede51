//! The checks behind sider's fuzz targets, kept in a library so that the saved seeds and crash
//! inputs also run as ordinary tests (`cargo test` in this folder, no sanitizer needed).
//!
//! Each `fuzz_targets/<name>.rs` is one line calling the function of the same name here. Every
//! function panics when it finds a bug and returns normally otherwise.

use arbitrary::{Result as ArbResult, Unstructured};
use bytes::{Bytes, BytesMut};
use sider::resp::{Decoder, Frame, Limits, ProtocolError};
use sider::FromReply;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How deeply [`arbitrary_frame`] nests aggregates.
const GEN_MAX_DEPTH: usize = 6;
/// The most elements [`arbitrary_frame`] puts in one aggregate.
const GEN_MAX_LEN: usize = 8;

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/// `resp_decode`: arbitrary bytes, fed whole.
///
/// Input: one byte choosing the [`Limits`] (see [`limits_from`]), then the RESP stream.
/// Checks that decoding never panics and always makes progress; that every frame respects the
/// limits and re-encodes (RESP3, canonical form) to bytes that decode back to the same frame; and
/// that what stops the loop (a partial frame or an error) is reported again by a fresh decoder.
pub fn resp_decode(data: &[u8]) {
    let Some((&cfg, stream)) = data.split_first() else {
        return;
    };
    let limits = limits_from(cfg);
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::from(stream);
    loop {
        let before = buf.len();
        match decoder.decode(&mut buf) {
            Ok(Some(frame)) => {
                assert!(buf.len() < before, "a frame was decoded from no bytes");
                check_limits(&frame, &limits, 0);
                let encoded = encode(&frame);
                let mut again = BytesMut::from(&encoded[..]);
                let back = Decoder::new(limits).decode(&mut again);
                match back {
                    Ok(Some(back)) => assert!(
                        same(&frame, &back),
                        "re-encoding changed the frame:\n{frame:?}\n{back:?}\n{:?}",
                        Bytes::from(encoded)
                    ),
                    other => panic!(
                        "re-encoded {frame:?} as {:?}, which decodes to {other:?}",
                        Bytes::from(encoded)
                    ),
                }
                assert!(again.is_empty(), "re-encoding left bytes over: {again:?}");
            }
            Ok(None) => {
                assert_eq!(buf.len(), before, "a partial frame consumed bytes");
                let mut fresh = buf.clone();
                assert_eq!(Decoder::new(limits).decode(&mut fresh), Ok(None));
                return;
            }
            Err(e) => {
                assert_eq!(buf.len(), before, "an error consumed bytes");
                // The decoder resets itself: the same bytes give the same error again.
                assert_eq!(decoder.decode(&mut buf), Err(e.clone()));
                assert_eq!(Decoder::new(limits).decode(&mut buf.clone()), Err(e));
                return;
            }
        }
    }
}

/// `resp_split`: the same stream fed whole and in pieces must decode identically.
///
/// Input: one byte choosing the [`Limits`], one byte `k` (the number of cuts, modulo 16), `k`
/// little-endian `u16` cut offsets (modulo the stream's length + 1), then the stream. Small
/// streams are also fed one byte at a time.
pub fn resp_split(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let (Ok(cfg), Ok(k)) = (u.arbitrary::<u8>(), u.arbitrary::<u8>()) else {
        return;
    };
    let mut offsets = Vec::new();
    for _ in 0..k % 16 {
        match u.arbitrary::<u16>() {
            Ok(o) => offsets.push(usize::from(o)),
            Err(_) => return,
        }
    }
    let stream = u.take_rest();
    let limits = limits_from(cfg);
    let whole = decode_chunks(limits, stream, &[]);
    let mut cuts: Vec<usize> = offsets.iter().map(|o| o % (stream.len() + 1)).collect();
    cuts.sort_unstable();
    let pieces = decode_chunks(limits, stream, &cuts);
    assert_same_outcome(&whole, &pieces, &cuts);
    if stream.len() <= 256 {
        let every: Vec<usize> = (0..stream.len()).collect();
        let bytewise = decode_chunks(limits, stream, &every);
        assert_same_outcome(&whole, &bytewise, &every);
    }
}

/// `typed_decode`: decoding frames into Rust types never panics.
///
/// Input: one byte; if it is odd the rest drives [`arbitrary_frame`] (frames of any shape, many
/// of which fit the types), otherwise the rest is a RESP stream decoded with the default limits.
/// Every frame is then decoded into each type sider users commonly ask for.
pub fn typed_decode(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 1 {
        let mut u = Unstructured::new(rest);
        while !u.is_empty() {
            match arbitrary_frame(&mut u, 0) {
                Ok(frame) => typed(&frame),
                Err(_) => return,
            }
        }
    } else {
        let mut decoder = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(rest);
        while let Ok(Some(frame)) = decoder.decode(&mut buf) {
            typed(&frame);
        }
    }
}

/// `roundtrip`: any [`Frame`], encoded in any of the forms RESP2 and RESP3 allow, decodes back to
/// itself, whole and split at fuzzer-chosen points.
///
/// Input: drives [`arbitrary_frame`] for one to four frames, then the encoding choices, then the
/// cut offsets.
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(count) = u.int_in_range(1..=4usize) else {
        return;
    };
    let mut frames = Vec::new();
    for _ in 0..count {
        match arbitrary_frame(&mut u, 0) {
            Ok(frame) => frames.push(frame),
            Err(_) => return,
        }
    }
    let mut stream = Vec::new();
    for frame in &frames {
        encode_with(frame, &mut stream, &mut |n| {
            u.int_in_range(0..=n - 1).unwrap_or(0)
        });
    }
    let whole = decode_chunks(Limits::default(), &stream, &[]);
    assert_eq!(whole.error, None, "{:?}", Bytes::from(stream));
    assert!(whole.rest.is_empty(), "bytes left over: {:?}", whole.rest);
    assert_eq!(whole.frames.len(), frames.len());
    for (sent, got) in frames.iter().zip(&whole.frames) {
        assert!(
            same(sent, got),
            "sent {sent:?}\ngot  {got:?}\nwire {:?}",
            Bytes::from(stream.clone())
        );
    }
    let mut cuts = Vec::new();
    while cuts.len() < 64 {
        let Ok(o) = u.arbitrary::<u16>() else { break };
        if u.is_empty() && o == 0 {
            break;
        }
        cuts.push(usize::from(o) % (stream.len() + 1));
    }
    cuts.sort_unstable();
    let pieces = decode_chunks(Limits::default(), &stream, &cuts);
    assert_same_outcome(&whole, &pieces, &cuts);
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers
// ---------------------------------------------------------------------------------------------

/// Maps one byte to decoder limits. The two low bits pick a family: the defaults (0 and 1), small
/// limits chosen by the other six bits (2), or the largest limits a caller can set (3).
pub fn limits_from(cfg: u8) -> Limits {
    match cfg & 3 {
        2 => {
            let bits = cfg >> 2;
            Limits::default()
                .max_bulk_len([0, 3, 16, 100][usize::from(bits & 3)])
                .max_aggregate_len([0, 1, 4, 32][usize::from((bits >> 2) & 3)])
                .max_depth([0, 1, 3, 16][usize::from((bits >> 4) & 3)])
        }
        3 => Limits::default()
            .max_bulk_len(usize::MAX)
            .max_aggregate_len(usize::MAX),
        _ => Limits::default(),
    }
}

/// Everything one decoder produced from a stream.
#[derive(Debug)]
pub struct Outcome {
    /// The frames, in order.
    pub frames: Vec<Frame>,
    /// The error that stopped decoding, if any.
    pub error: Option<ProtocolError>,
    /// The bytes still in the buffer at the end.
    pub rest: BytesMut,
}

/// Feeds `stream` to one decoder in pieces ending at each of the sorted `cuts` (and at the end),
/// decoding as many frames as possible after each piece, until the stream ends or an error.
pub fn decode_chunks(limits: Limits, stream: &[u8], cuts: &[usize]) -> Outcome {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    for &cut in cuts.iter().chain(Some(&stream.len())) {
        if cut < fed {
            continue;
        }
        buf.extend_from_slice(&stream[fed..cut]);
        fed = cut;
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(buf.len() < before, "a frame was decoded from no bytes");
                    frames.push(frame);
                }
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        frames,
                        error: Some(e),
                        rest: buf,
                    }
                }
            }
        }
    }
    Outcome {
        frames,
        error: None,
        rest: buf,
    }
}

/// Panics unless the two outcomes hold the same frames, the same error and the same leftover.
pub fn assert_same_outcome(whole: &Outcome, pieces: &Outcome, cuts: &[usize]) {
    assert_eq!(
        whole.frames.len(),
        pieces.frames.len(),
        "frame count differs with cuts {cuts:?}: {whole:?} vs {pieces:?}"
    );
    for (a, b) in whole.frames.iter().zip(&pieces.frames) {
        assert!(same(a, b), "cuts {cuts:?} changed {a:?} into {b:?}");
    }
    assert_eq!(whole.error, pieces.error, "cuts {cuts:?}");
    if whole.error.is_none() {
        assert_eq!(whole.rest, pieces.rest, "cuts {cuts:?}");
    }
}

/// Panics if `frame`, found `level` aggregates deep, breaks one of `limits`.
pub fn check_limits(frame: &Frame, limits: &Limits, level: usize) {
    assert!(level <= limits.depth(), "{frame:?} at depth {level}");
    let open = |len: usize| {
        assert!(len <= limits.aggregate_len(), "{len} elements");
        assert!(
            len == 0 || level < limits.depth(),
            "non-empty aggregate at {level}"
        );
    };
    match frame {
        Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(b) | Frame::BigNumber(b) => {
            assert!(b.len() <= limits.bulk_len(), "{} bytes", b.len());
        }
        Frame::Verbatim { data, .. } => {
            assert!(data.len() + 4 <= limits.bulk_len(), "{} bytes", data.len());
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            open(items.len());
            for item in items {
                check_limits(item, limits, level + 1);
            }
        }
        Frame::Map(pairs) => {
            open(pairs.len());
            for (k, v) in pairs {
                check_limits(k, limits, level + 1);
                check_limits(v, limits, level + 1);
            }
        }
        Frame::Attribute { attrs, value } => {
            assert!(attrs.len() <= limits.aggregate_len());
            assert!(level < limits.depth(), "attribute at {level}");
            for (k, v) in attrs {
                check_limits(k, limits, level + 1);
                check_limits(v, limits, level + 1);
            }
            check_limits(value, limits, level + 1);
        }
        Frame::Integer(_) | Frame::Null | Frame::Boolean(_) | Frame::Double(_) => {}
    }
}

/// Frame equality where any NaN equals any NaN (the wire has no NaN payloads) and other doubles
/// compare bit for bit, so that `-0.0` and `0.0` differ.
pub fn same(a: &Frame, b: &Frame) -> bool {
    let all =
        |x: &[Frame], y: &[Frame]| x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b));
    let pairs = |x: &[(Frame, Frame)], y: &[(Frame, Frame)]| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
    };
    match (a, b) {
        (Frame::Double(x), Frame::Double(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Frame::Array(x), Frame::Array(y))
        | (Frame::Set(x), Frame::Set(y))
        | (Frame::Push(x), Frame::Push(y)) => all(x, y),
        (Frame::Map(x), Frame::Map(y)) => pairs(x, y),
        (
            Frame::Attribute { attrs, value },
            Frame::Attribute {
                attrs: attrs2,
                value: value2,
            },
        ) => pairs(attrs, attrs2) && same(value, value2),
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Typed decoding
// ---------------------------------------------------------------------------------------------

/// Decodes `frame` into each of a set of types; panics only if sider panics or if two decodings
/// that must agree do not.
pub fn typed(frame: &Frame) {
    let string = String::from_reply(frame.clone());
    let bytes = Vec::<u8>::from_reply(frame.clone());
    if let Ok(s) = &string {
        // A frame that reads as text reads as the same bytes.
        assert_eq!(bytes.as_deref().ok(), Some(s.as_bytes()), "{frame:?}");
    }
    let value = sider::Value::from_reply(frame.clone());
    assert!(matches!(&value, Ok(v) if same(v, frame)), "{value:?}");
    let int = i64::from_reply(frame.clone());
    if let Ok(n) = int {
        assert_eq!(Option::<i64>::from_reply(frame.clone()).ok(), Some(Some(n)));
    }
    let _ = f64::from_reply(frame.clone());
    let _ = bool::from_reply(frame.clone());
    let _ = Bytes::from_reply(frame.clone());
    let _ = u8::from_reply(frame.clone());
    let _ = u64::from_reply(frame.clone());
    let _ = Option::<String>::from_reply(frame.clone());
    let _ = Vec::<Option<String>>::from_reply(frame.clone());
    let _ = Vec::<String>::from_reply(frame.clone());
    let _ = Vec::<Vec<u8>>::from_reply(frame.clone());
    let _ = Vec::<(String, f64)>::from_reply(frame.clone());
    let _ = Vec::<(String, i64, Option<String>)>::from_reply(frame.clone());
    let _ = Vec::<sider::Value>::from_reply(frame.clone());
    let _ = HashMap::<String, String>::from_reply(frame.clone());
    let _ = HashMap::<String, Vec<sider::Value>>::from_reply(frame.clone());
    let _ = BTreeMap::<Vec<u8>, i64>::from_reply(frame.clone());
    let _ = HashSet::<String>::from_reply(frame.clone());
    let _ = <(String, i64)>::from_reply(frame.clone());
    let _ = <(i64,)>::from_reply(frame.clone());
    let _ = <(String, Vec<(String, String)>)>::from_reply(frame.clone());
    let _ = <()>::from_reply(frame.clone());
}

// ---------------------------------------------------------------------------------------------
// Frame generation and RESP3 encoding
// ---------------------------------------------------------------------------------------------

/// Builds a frame of any kind from fuzzer bytes: every variant, any payload the protocol can
/// carry, at most [`GEN_MAX_DEPTH`] levels of at most [`GEN_MAX_LEN`] elements.
pub fn arbitrary_frame(u: &mut Unstructured<'_>, depth: usize) -> ArbResult<Frame> {
    let kinds = if depth >= GEN_MAX_DEPTH { 9 } else { 14 };
    Ok(match u.int_in_range(0..=kinds - 1)? {
        0 => {
            let line: Vec<u8> = u.arbitrary()?;
            Frame::Simple(
                line.into_iter()
                    .filter(|&b| b != b'\r' && b != b'\n')
                    .collect(),
            )
        }
        1 => Frame::Error(Bytes::from(u.arbitrary::<Vec<u8>>()?)),
        2 => Frame::Integer(u.arbitrary()?),
        3 => Frame::Bulk(Bytes::from(u.arbitrary::<Vec<u8>>()?)),
        4 => Frame::Null,
        5 => Frame::Boolean(u.arbitrary()?),
        6 => Frame::Double(u.arbitrary()?),
        7 => {
            let sign: &[u8] = u.choose(&[&b""[..], b"-", b"+"])?;
            let digits: Vec<u8> = u.arbitrary()?;
            let mut text = sign.to_vec();
            text.extend(digits.iter().map(|d| b'0' + d % 10));
            if digits.is_empty() {
                text.push(b'0');
            }
            Frame::BigNumber(Bytes::from(text))
        }
        8 => Frame::Verbatim {
            format: u.arbitrary()?,
            data: Bytes::from(u.arbitrary::<Vec<u8>>()?),
        },
        kind => {
            let len = u.int_in_range(0..=GEN_MAX_LEN)?;
            let mut items = Vec::with_capacity(len);
            let pairs = matches!(kind, 10 | 12);
            for _ in 0..len * if pairs { 2 } else { 1 } {
                items.push(arbitrary_frame(u, depth + 1)?);
            }
            let into_pairs = |items: Vec<Frame>| {
                let mut it = items.into_iter();
                let mut out = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    out.push((k, v));
                }
                out
            };
            match kind {
                9 => Frame::Array(items),
                10 => Frame::Map(into_pairs(items)),
                11 => Frame::Set(items),
                12 => Frame::Attribute {
                    attrs: into_pairs(items),
                    value: Box::new(arbitrary_frame(u, depth + 1)?),
                },
                _ => Frame::Push(items),
            }
        }
    })
}

/// The canonical RESP3 encoding of `frame`.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    encode_with(frame, &mut out, &mut |_| 0);
    out
}

/// Appends a RESP encoding of `frame` to `out`. Where the protocol allows several forms (the
/// three nulls, `-` or `!` errors, `+` on integers, spellings of doubles) `pick(n)` chooses one,
/// returning a number below `n`; 0 is the canonical RESP3 form.
pub fn encode_with(frame: &Frame, out: &mut Vec<u8>, pick: &mut dyn FnMut(u8) -> u8) {
    fn header(out: &mut Vec<u8>, marker: u8, text: &[u8]) {
        out.push(marker);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    }
    fn blob(out: &mut Vec<u8>, marker: u8, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        header(out, marker, len.to_string().as_bytes());
        for part in parts {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(b"\r\n");
    }
    match frame {
        Frame::Simple(s) => header(out, b'+', s),
        Frame::Error(e) => {
            if e.contains(&b'\r') || e.contains(&b'\n') || pick(2) == 1 {
                blob(out, b'!', &[e]);
            } else {
                header(out, b'-', e);
            }
        }
        Frame::Integer(n) => {
            let sign = if *n >= 0 && pick(2) == 1 { "+" } else { "" };
            header(out, b':', format!("{sign}{n}").as_bytes());
        }
        Frame::Bulk(b) => blob(out, b'$', &[b]),
        Frame::Null => {
            out.extend_from_slice([&b"_\r\n"[..], b"$-1\r\n", b"*-1\r\n"][usize::from(pick(3))])
        }
        Frame::Boolean(b) => header(out, b'#', if *b { b"t" } else { b"f" }),
        Frame::Double(d) => {
            let text = if d.is_nan() {
                ["nan", "-nan"][usize::from(pick(2))].to_owned()
            } else if *d == f64::INFINITY {
                ["inf", "+inf"][usize::from(pick(2))].to_owned()
            } else if *d == f64::NEG_INFINITY {
                "-inf".to_owned()
            } else if pick(2) == 1 {
                format!("{d:e}")
            } else {
                ryu::Buffer::new().format_finite(*d).to_owned()
            };
            header(out, b',', text.as_bytes());
        }
        Frame::BigNumber(n) => header(out, b'(', n),
        Frame::Verbatim { format, data } => blob(out, b'=', &[format, b":", data]),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            let marker = match frame {
                Frame::Array(_) => b'*',
                Frame::Set(_) => b'~',
                _ => b'>',
            };
            header(out, marker, items.len().to_string().as_bytes());
            for item in items {
                encode_with(item, out, pick);
            }
        }
        Frame::Map(pairs) | Frame::Attribute { attrs: pairs, .. } => {
            let marker = if matches!(frame, Frame::Map(_)) {
                b'%'
            } else {
                b'|'
            };
            header(out, marker, pairs.len().to_string().as_bytes());
            for (k, v) in pairs {
                encode_with(k, out, pick);
                encode_with(v, out, pick);
            }
            if let Frame::Attribute { value, .. } = frame {
                encode_with(value, out, pick);
            }
        }
    }
}
