//! Property tests for the RESP codec (`sider::resp`), with no socket: frames survive an encode
//! and decode, a stream decodes the same however it is split, arbitrary bytes never panic or
//! hang, and lengths above the limits are refused before anything is allocated for them.
//!
//! 128 cases per property by default, so that `cargo test` stays quick; set `PROPTEST_CASES` for a
//! longer run. The fuzz targets in `fuzz/` check the same things at a much larger scale.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use proptest::sample::Index;
use sider::resp::{Decoder, Frame, Limits, ProtocolError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// An allocator that counts what the current thread allocates, to prove the limits act before
// any buffer is reserved for a declared length.
// ---------------------------------------------------------------------------------------------

struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    let _ = ALLOCATED.try_with(|a| a.set(a.get().saturating_add(bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning its result and the bytes this thread allocated meanwhile.
fn allocated_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATED.with(Cell::get);
    let out = f();
    (out, ALLOCATED.with(Cell::get) - before)
}

// ---------------------------------------------------------------------------------------------
// A RESP3 encoder for every frame type (sider itself only encodes commands).
// ---------------------------------------------------------------------------------------------

/// Chooses among the encodings the protocol allows for one value; 0 is the canonical form.
struct Picker(u64);

impl Picker {
    fn pick(&mut self, n: u64) -> usize {
        // xorshift64: cheap, and reproducible from the seed proptest shrinks.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n) as usize
    }
}

fn line(out: &mut Vec<u8>, marker: u8, text: &[u8]) {
    out.push(marker);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

fn blob(out: &mut Vec<u8>, marker: u8, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    line(out, marker, len.to_string().as_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends an encoding of `frame`: RESP2 or RESP3 nulls, `-` or `!` errors, and several
/// spellings of integers and doubles, as `picker` chooses (`Picker(0)` always picks canonical).
fn encode(frame: &Frame, out: &mut Vec<u8>, picker: &mut Picker) {
    match frame {
        Frame::Simple(s) => line(out, b'+', s),
        Frame::Error(e) => {
            if e.contains(&b'\r') || e.contains(&b'\n') || picker.pick(2) == 1 {
                blob(out, b'!', &[e]);
            } else {
                line(out, b'-', e);
            }
        }
        Frame::Integer(n) => {
            let sign = if *n >= 0 && picker.pick(2) == 1 {
                "+"
            } else {
                ""
            };
            line(out, b':', format!("{sign}{n}").as_bytes());
        }
        Frame::Bulk(b) => blob(out, b'$', &[b]),
        Frame::Null => {
            out.extend_from_slice([&b"_\r\n"[..], b"$-1\r\n", b"*-1\r\n"][picker.pick(3)])
        }
        Frame::Boolean(b) => line(out, b'#', if *b { b"t" } else { b"f" }),
        Frame::Double(d) => {
            let text = if d.is_nan() {
                ["nan", "-nan"][picker.pick(2)].to_owned()
            } else if d.is_infinite() {
                match (*d > 0.0, picker.pick(2)) {
                    (true, 0) => "inf".to_owned(),
                    (true, _) => "+inf".to_owned(),
                    (false, _) => "-inf".to_owned(),
                }
            } else if picker.pick(2) == 1 {
                format!("{d:e}")
            } else {
                // Debug prints the shortest digits that round-trip, with a `.0` or an exponent.
                format!("{d:?}")
            };
            line(out, b',', text.as_bytes());
        }
        Frame::BigNumber(n) => line(out, b'(', n),
        Frame::Verbatim { format, data } => blob(out, b'=', &[format, b":", data]),
        Frame::Array(items) => aggregate(out, b'*', items, picker),
        Frame::Set(items) => aggregate(out, b'~', items, picker),
        Frame::Push(items) => aggregate(out, b'>', items, picker),
        Frame::Map(pairs) => map(out, b'%', pairs, picker),
        Frame::Attribute { attrs, value } => {
            map(out, b'|', attrs, picker);
            encode(value, out, picker);
        }
    }
}

fn aggregate(out: &mut Vec<u8>, marker: u8, items: &[Frame], picker: &mut Picker) {
    line(out, marker, items.len().to_string().as_bytes());
    for item in items {
        encode(item, out, picker);
    }
}

fn map(out: &mut Vec<u8>, marker: u8, pairs: &[(Frame, Frame)], picker: &mut Picker) {
    line(out, marker, pairs.len().to_string().as_bytes());
    for (k, v) in pairs {
        encode(k, out, picker);
        encode(v, out, picker);
    }
}

/// Frame equality where NaN equals NaN and other doubles compare bit for bit.
fn same(a: &Frame, b: &Frame) -> bool {
    fn all(x: &[Frame], y: &[Frame]) -> bool {
        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
    }
    fn pairs(x: &[(Frame, Frame)], y: &[(Frame, Frame)]) -> bool {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
    }
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
// Decoding helpers
// ---------------------------------------------------------------------------------------------

/// Everything one decoder produced from a stream.
#[derive(Debug)]
struct Outcome {
    frames: Vec<Frame>,
    error: Option<ProtocolError>,
    rest: BytesMut,
}

/// Feeds `stream` in pieces ending at each of the `cuts` (sorted here) and at its end, decoding all
/// it can after each piece, until an error. Panics if a call returns a frame without consuming
/// bytes, which is what an endless loop in a caller would need.
fn decode_chunks(limits: Limits, stream: &[u8], cuts: &[usize]) -> Outcome {
    let mut cuts = cuts.to_vec();
    cuts.sort_unstable();
    cuts.push(stream.len());
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    for cut in cuts {
        let cut = cut.min(stream.len());
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
                Ok(None) => {
                    assert_eq!(buf.len(), before, "a partial frame consumed bytes");
                    break;
                }
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

fn assert_same_outcome(whole: &Outcome, pieces: &Outcome) {
    assert_eq!(
        whole.frames.len(),
        pieces.frames.len(),
        "{whole:?}\n{pieces:?}"
    );
    for (a, b) in whole.frames.iter().zip(&pieces.frames) {
        assert!(same(a, b), "{a:?} became {b:?}");
    }
    assert_eq!(whole.error, pieces.error);
    if whole.error.is_none() {
        assert_eq!(whole.rest, pieces.rest);
    }
}

/// Panics if `frame`, `level` aggregates deep, breaks one of `limits`.
fn check_limits(frame: &Frame, limits: &Limits, level: usize) {
    assert!(level <= limits.depth());
    let open = |len: usize| {
        assert!(len <= limits.aggregate_len());
        assert!(len == 0 || level < limits.depth());
    };
    match frame {
        Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(b) | Frame::BigNumber(b) => {
            assert!(b.len() <= limits.bulk_len());
        }
        Frame::Verbatim { data, .. } => assert!(data.len() + 4 <= limits.bulk_len()),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            open(items.len());
            items
                .iter()
                .for_each(|f| check_limits(f, limits, level + 1));
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
            assert!(level < limits.depth());
            for (k, v) in attrs {
                check_limits(k, limits, level + 1);
                check_limits(v, limits, level + 1);
            }
            check_limits(value, limits, level + 1);
        }
        Frame::Integer(_) | Frame::Null | Frame::Boolean(_) | Frame::Double(_) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn payload() -> impl Strategy<Value = Bytes> {
    // Plenty of CR and LF, the bytes a decoder could mistake for the end of a payload.
    prop::collection::vec(
        prop_oneof![3 => any::<u8>(), 1 => Just(b'\r'), 1 => Just(b'\n')],
        0..24,
    )
    .prop_map(Bytes::from)
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => any::<f64>(),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::NAN),
        1 => Just(-0.0),
    ]
}

fn scalar() -> impl Strategy<Value = Frame> {
    prop_oneof![
        "[^\r\n]{0,12}".prop_map(|s| Frame::Simple(Bytes::from(s))),
        payload().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        payload().prop_map(Frame::Bulk),
        Just(Frame::Null),
        any::<bool>().prop_map(Frame::Boolean),
        double().prop_map(Frame::Double),
        "[-+]?[0-9]{1,50}".prop_map(|s| Frame::BigNumber(Bytes::from(s))),
        (any::<[u8; 3]>(), payload()).prop_map(|(format, data)| Frame::Verbatim { format, data }),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        let items = prop::collection::vec(inner.clone(), 0..6);
        let pairs = prop::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            items.clone().prop_map(Frame::Array),
            items.clone().prop_map(Frame::Set),
            items.prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attrs, value)| Frame::Attribute {
                attrs,
                value: Box::new(value),
            }),
        ]
    })
}

/// Bytes that look like RESP: markers, numbers, CRLFs and text, in any order.
fn resp_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        prop::sample::select(&b"+-:$*_#,(!=%~|>"[..]).prop_map(|b| vec![b]),
        Just(b"\r\n".to_vec()),
        (0u64..20).prop_map(|n| n.to_string().into_bytes()),
        Just(b"-1".to_vec()),
        Just(b"9999999999999999999".to_vec()),
        prop::sample::select(vec!["t", "f", "inf", "nan", "1.5", "txt:", "?", "\r", "\n"])
            .prop_map(|s| s.as_bytes().to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(token, 0..64).prop_map(|t| t.concat())
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        Just(Limits::default()),
        (0usize..64, 0usize..8, 0usize..6).prop_map(|(bulk, agg, depth)| {
            Limits::default()
                .max_bulk_len(bulk)
                .max_aggregate_len(agg)
                .max_depth(depth)
        }),
        Just(
            Limits::default()
                .max_bulk_len(usize::MAX)
                .max_aggregate_len(usize::MAX)
        ),
    ]
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 128;
    }
    config
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Any frame, in any of its encodings, decodes back to itself and consumes exactly its bytes.
    #[test]
    fn encode_then_decode_gives_back_the_frame(frame in frame(), seed in any::<u64>()) {
        let mut wire = Vec::new();
        encode(&frame, &mut wire, &mut Picker(seed | 1));
        let mut buf = BytesMut::from(&wire[..]);
        let decoded = Decoder::new(Limits::default()).decode(&mut buf);
        let wire = Bytes::from(wire);
        match decoded {
            Ok(Some(back)) => prop_assert!(same(&frame, &back), "{frame:?}\n{back:?}\n{wire:?}"),
            other => prop_assert!(false, "{frame:?} as {wire:?} decoded to {other:?}"),
        }
        prop_assert!(buf.is_empty(), "left over: {buf:?}");
    }

    /// A stream of frames split at any points decodes to the same frames, and so does one byte
    /// at a time.
    #[test]
    fn split_stream_decodes_identically(
        frames in prop::collection::vec(frame(), 1..5),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
        seed in any::<u64>(),
    ) {
        let mut wire = Vec::new();
        let mut picker = Picker(seed | 1);
        for frame in &frames {
            encode(frame, &mut wire, &mut picker);
        }
        let whole = decode_chunks(Limits::default(), &wire, &[]);
        prop_assert_eq!(&whole.error, &None);
        prop_assert!(whole.rest.is_empty());
        prop_assert_eq!(whole.frames.len(), frames.len());
        for (sent, got) in frames.iter().zip(&whole.frames) {
            prop_assert!(same(sent, got), "{:?} became {:?}", sent, got);
        }
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        assert_same_outcome(&whole, &decode_chunks(Limits::default(), &wire, &cuts));
        if wire.len() <= 512 {
            let every: Vec<usize> = (0..wire.len()).collect();
            assert_same_outcome(&whole, &decode_chunks(Limits::default(), &wire, &every));
        }
    }

    /// Arbitrary bytes never panic, always terminate, decode the same however they are split,
    /// and whatever frames they hold respect the limits.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..256), resp_like()],
        limits in limits(),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let started = Instant::now();
        let whole = decode_chunks(limits, &bytes, &[]);
        for frame in &whole.frames {
            check_limits(frame, &limits, 0);
        }
        let cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        assert_same_outcome(&whole, &decode_chunks(limits, &bytes, &cuts));
        prop_assert!(started.elapsed() < Duration::from_secs(2));
    }

    /// A bulk length above the limit is an error as soon as its header arrives, at the top level
    /// or inside an aggregate, without waiting for or allocating the payload.
    #[test]
    fn bulk_lengths_above_the_limit_are_refused_at_once(
        max in 0usize..(1 << 30),
        excess in 1u64..=(9_999_999_999_999_999_999 - (1 << 30)),
        marker in prop::sample::select(&b"$!="[..]),
        nested in any::<bool>(),
    ) {
        let len = max as u64 + excess;
        let limits = Limits::default().max_bulk_len(max);
        let mut wire = if nested { b"*2\r\n:1\r\n".to_vec() } else { Vec::new() };
        wire.push(marker);
        wire.extend_from_slice(format!("{len}\r\n").as_bytes());
        let mut buf = BytesMut::from(&wire[..]);
        let mut decoder = Decoder::new(limits);
        let started = Instant::now();
        let (result, allocated) = allocated_during(|| decoder.decode(&mut buf));
        prop_assert_eq!(result, Err(ProtocolError::BulkTooLong { len, max }));
        prop_assert!(allocated < 1024, "{} bytes allocated", allocated);
        prop_assert!(started.elapsed() < Duration::from_millis(500));
    }

    /// The same for an aggregate's element count, whatever the aggregate type.
    #[test]
    fn aggregate_lengths_above_the_limit_are_refused_at_once(
        max in 0usize..(1 << 32),
        excess in 1u64..=(9_999_999_999_999_999_999 - (1 << 32)),
        marker in prop::sample::select(&b"*~>%|"[..]),
        nested in any::<bool>(),
    ) {
        let len = max as u64 + excess;
        let limits = Limits::default().max_aggregate_len(max);
        let mut wire = if nested { b"*2\r\n:1\r\n".to_vec() } else { Vec::new() };
        wire.push(marker);
        wire.extend_from_slice(format!("{len}\r\n").as_bytes());
        let mut buf = BytesMut::from(&wire[..]);
        let mut decoder = Decoder::new(limits);
        let started = Instant::now();
        let (result, allocated) = allocated_during(|| decoder.decode(&mut buf));
        prop_assert_eq!(result, Err(ProtocolError::AggregateTooLong { len, max }));
        prop_assert!(allocated < 1024, "{} bytes allocated", allocated);
        prop_assert!(started.elapsed() < Duration::from_millis(500));
    }

    /// Nesting one level past the limit fails as soon as that level opens; at the limit it
    /// decodes.
    #[test]
    fn nesting_past_the_limit_is_refused(depth in 0usize..200, marker in prop::sample::select(&b"*~>%|"[..])) {
        let limits = Limits::default().max_depth(depth);
        let opener = [marker, b'1', b'\r', b'\n'];
        let mut decoder = Decoder::new(limits);
        let mut buf = BytesMut::from(&opener.repeat(depth + 1)[..]);
        let (result, allocated) = allocated_during(|| decoder.decode(&mut buf));
        prop_assert_eq!(result, Err(ProtocolError::TooDeep { max: depth }));
        // The decoder's own stack of open aggregates grows with the depth, nothing else.
        prop_assert!(allocated < 64 * (depth + 1) + 1024);

        // `depth` levels, each `*1` except the innermost, which holds `:1`: accepted.
        let mut wire = b"*1\r\n".repeat(depth);
        wire.extend_from_slice(b":1\r\n");
        let mut buf = BytesMut::from(&wire[..]);
        let frame = Decoder::new(limits).decode(&mut buf);
        prop_assert!(matches!(frame, Ok(Some(_))), "{:?}", frame);
    }

    /// A simple string or error line that runs past the bulk limit without a CRLF is refused
    /// without waiting for its end.
    #[test]
    fn lines_past_the_limit_are_refused(max in 0usize..512, marker in prop::sample::select(&b"+-("[..])) {
        let mut wire = vec![marker];
        wire.extend_from_slice(&vec![b'7'; max + 1]);
        let mut buf = BytesMut::from(&wire[..]);
        let result = Decoder::new(Limits::default().max_bulk_len(max)).decode(&mut buf);
        prop_assert_eq!(result, Err(ProtocolError::LineTooLong { max }));
    }
}
