use super::*;

fn decode_all(input: &[u8]) -> Result<Vec<Frame>, ProtocolError> {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(input);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode(&mut buf)? {
        frames.push(frame);
    }
    assert!(buf.is_empty(), "left over: {buf:?}");
    Ok(frames)
}

fn one(input: &[u8]) -> Frame {
    let frames = decode_all(input).unwrap();
    assert_eq!(frames.len(), 1, "{frames:?}");
    frames.into_iter().next().unwrap()
}

fn err(input: &[u8]) -> ProtocolError {
    err_with(Limits::default(), input)
}

fn err_with(limits: Limits, input: &[u8]) -> ProtocolError {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::from(input);
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("{input:?} asked for more bytes instead of failing"),
            Err(e) => return e,
        }
    }
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Every frame type of RESP2 and RESP3, with what it decodes to.
fn corpus() -> Vec<(&'static [u8], Frame)> {
    vec![
        (b"+OK\r\n", Frame::Simple(b("OK"))),
        (b"+\r\n", Frame::Simple(b(""))),
        (b"-ERR bad thing\r\n", Frame::Error(b("ERR bad thing"))),
        (b":0\r\n", Frame::Integer(0)),
        (b":-42\r\n", Frame::Integer(-42)),
        (b":+7\r\n", Frame::Integer(7)),
        (b":9223372036854775807\r\n", Frame::Integer(i64::MAX)),
        (b":-9223372036854775808\r\n", Frame::Integer(i64::MIN)),
        (b"$5\r\nhello\r\n", Frame::Bulk(b("hello"))),
        (b"$0\r\n\r\n", Frame::Bulk(b(""))),
        (b"$4\r\na\r\nb\r\n", Frame::Bulk(b("a\r\nb"))),
        (b"$-1\r\n", Frame::Null),
        (b"*-1\r\n", Frame::Null),
        (b"*0\r\n", Frame::Array(vec![])),
        (
            b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n",
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Bulk(b("a")),
                Frame::Array(vec![Frame::Simple(b("x"))]),
            ]),
        ),
        (b"_\r\n", Frame::Null),
        (b"#t\r\n", Frame::Boolean(true)),
        (b"#f\r\n", Frame::Boolean(false)),
        (b",3.25\r\n", Frame::Double(3.25)),
        (b",-1e10\r\n", Frame::Double(-1e10)),
        (b",10\r\n", Frame::Double(10.0)),
        (b",inf\r\n", Frame::Double(f64::INFINITY)),
        (b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
        (
            b"(3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b("3492890328409238509324850943850943825024385")),
        ),
        (b"(-12\r\n", Frame::BigNumber(b("-12"))),
        (
            b"!21\r\nSYNTAX invalid syntax\r\n",
            Frame::Error(b("SYNTAX invalid syntax")),
        ),
        (
            b"=15\r\ntxt:Some string\r\n",
            Frame::Verbatim {
                format: *b"txt",
                data: b("Some string"),
            },
        ),
        (
            b"=4\r\nmkd:\r\n",
            Frame::Verbatim {
                format: *b"mkd",
                data: b(""),
            },
        ),
        (
            b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            Frame::Map(vec![
                (Frame::Simple(b("first")), Frame::Integer(1)),
                (Frame::Simple(b("second")), Frame::Integer(2)),
            ]),
        ),
        (b"%0\r\n", Frame::Map(vec![])),
        (
            b"~2\r\n$1\r\na\r\n#f\r\n",
            Frame::Set(vec![Frame::Bulk(b("a")), Frame::Boolean(false)]),
        ),
        (
            b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n",
            Frame::Attribute {
                attrs: vec![(
                    Frame::Simple(b("key-popularity")),
                    Frame::Map(vec![(Frame::Bulk(b("a")), Frame::Double(0.19))]),
                )],
                value: Box::new(Frame::Array(vec![Frame::Integer(2)])),
            },
        ),
        (
            b"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n",
            Frame::Array(vec![
                Frame::Attribute {
                    attrs: vec![(Frame::Simple(b("a")), Frame::Simple(b("b")))],
                    value: Box::new(Frame::Integer(1)),
                },
                Frame::Integer(2),
            ]),
        ),
        (
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            Frame::Push(vec![
                Frame::Bulk(b("message")),
                Frame::Bulk(b("ch")),
                Frame::Bulk(b("hi")),
            ]),
        ),
    ]
}

#[test]
fn decodes_every_type() {
    for (input, expected) in corpus() {
        assert_eq!(one(input), expected, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn decodes_nan() {
    assert!(matches!(one(b",nan\r\n"), Frame::Double(d) if d.is_nan()));
}

#[test]
fn every_split_point_decodes_the_same() {
    for (input, expected) in corpus() {
        for split in 0..input.len() {
            let mut decoder = Decoder::new(Limits::default());
            let mut buf = BytesMut::from(&input[..split]);
            assert_eq!(
                decoder.decode(&mut buf),
                Ok(None),
                "split {split} of {input:?}"
            );
            buf.extend_from_slice(&input[split..]);
            assert_eq!(decoder.decode(&mut buf), Ok(Some(expected.clone())));
            assert!(buf.is_empty());
        }
    }
}

#[test]
fn byte_at_a_time_decodes_the_same() {
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for (input, frame) in corpus() {
        stream.extend_from_slice(input);
        expected.push(frame);
    }
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for &byte in &stream {
        buf.extend_from_slice(&[byte]);
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            got.push(frame);
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn many_frames_in_one_buffer() {
    let mut input = Vec::new();
    for _ in 0..1000 {
        input.extend_from_slice(b"+OK\r\n$3\r\nabc\r\n");
    }
    let frames = decode_all(&input).unwrap();
    assert_eq!(frames.len(), 2000);
}

#[test]
fn bulk_payloads_share_the_read_buffer() {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n"[..]);
    let start = buf.as_ptr() as usize;
    let Some(Frame::Array(items)) = decoder.decode(&mut buf).unwrap() else {
        panic!("not an array");
    };
    let Frame::Bulk(hello) = &items[0] else {
        panic!()
    };
    let Frame::Bulk(world) = &items[1] else {
        panic!()
    };
    // Both payloads point into the original allocation: nothing was copied.
    assert_eq!(hello.as_ptr() as usize, start + 8);
    assert_eq!(world.as_ptr() as usize, start + 19);
}

#[test]
fn malformed_input_is_a_typed_error() {
    let cases: &[(&[u8], ProtocolError)] = &[
        (b"?x\r\n", ProtocolError::UnknownType(b'?')),
        (b"\r\n", ProtocolError::UnknownType(b'\r')),
        (b"+OK\n", ProtocolError::MissingCrlf),
        (b"+OK\rX", ProtocolError::MissingCrlf),
        (b"$3\r\nabcXY", ProtocolError::MissingCrlf),
        (b"$3\r\nabc\rX", ProtocolError::MissingCrlf),
        (b":12a\r\n", ProtocolError::InvalidInteger),
        (b":\r\n", ProtocolError::InvalidInteger),
        (b":-\r\n", ProtocolError::InvalidInteger),
        (b":9223372036854775808\r\n", ProtocolError::InvalidInteger),
        (b":99999999999999999999\r\n", ProtocolError::InvalidInteger),
        (
            b":1111111111111111111111111111111",
            ProtocolError::InvalidLength,
        ),
        (b"$-2\r\n", ProtocolError::InvalidLength),
        (b"$abc\r\n", ProtocolError::InvalidLength),
        (b"$\r\n", ProtocolError::InvalidLength),
        (b"*-5\r\n", ProtocolError::InvalidLength),
        (b"%-1\r\n", ProtocolError::InvalidLength),
        (b"!-1\r\n", ProtocolError::InvalidLength),
        (b"*99999999999999999999\r\n", ProtocolError::InvalidLength),
        (b"*?\r\n", ProtocolError::Streamed),
        (b",1.5x\r\n", ProtocolError::InvalidDouble),
        (b",infinity\r\n", ProtocolError::InvalidDouble),
        (b",\r\n", ProtocolError::InvalidDouble),
        (b"#x\r\n", ProtocolError::InvalidBoolean),
        (b"#\r\n", ProtocolError::InvalidBoolean),
        (b"(12x\r\n", ProtocolError::InvalidBigNumber),
        (b"(\r\n", ProtocolError::InvalidBigNumber),
        (b"=3\r\ntxt\r\n", ProtocolError::InvalidVerbatim),
        (b"=5\r\ntxtxy\r\n", ProtocolError::InvalidVerbatim),
        (b"_x\r\n", ProtocolError::MissingCrlf),
        (b"*2\r\n:1\r\n&\r\n", ProtocolError::UnknownType(b'&')),
    ];
    for (input, expected) in cases {
        assert_eq!(&err(input), expected, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn limits_are_enforced_before_bytes_arrive() {
    let limits = Limits::default()
        .max_bulk_len(10)
        .max_aggregate_len(4)
        .max_depth(3);
    assert_eq!(
        err_with(limits, b"$11\r\n"),
        ProtocolError::BulkTooLong { len: 11, max: 10 }
    );
    assert_eq!(
        err_with(limits, b"$9999999999999999\r\n"),
        ProtocolError::BulkTooLong {
            len: 9999999999999999,
            max: 10
        }
    );
    assert_eq!(
        err_with(limits, b"*5\r\n"),
        ProtocolError::AggregateTooLong { len: 5, max: 4 }
    );
    assert_eq!(
        err_with(limits, b"%5\r\n"),
        ProtocolError::AggregateTooLong { len: 5, max: 4 }
    );
    assert_eq!(
        err_with(limits, b"*1\r\n*1\r\n*1\r\n*1\r\n"),
        ProtocolError::TooDeep { max: 3 }
    );
    assert_eq!(
        err_with(limits, b"+0123456789ab"),
        ProtocolError::LineTooLong { max: 10 }
    );
    // Within the limits the same shapes decode.
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::from(&b"*1\r\n*1\r\n*0\r\n$10\r\n0123456789\r\n"[..]);
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert!(decoder.decode(&mut buf).unwrap().is_some());
}

#[test]
fn endless_nesting_fails_at_the_depth_limit() {
    let input = b"*1\r\n".repeat(10_000);
    assert_eq!(err(&input), ProtocolError::TooDeep { max: 128 });
}

#[test]
fn huge_declared_aggregate_allocates_nothing_early() {
    // Four billion elements declared, three sent: the decoder waits without reserving memory.
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*4294967295\r\n:1\r\n:2\r\n:3\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.open, vec![4294967292]);
}

#[test]
fn resumes_without_rescanning() {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*3\r\n:1\r\n:2\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.pos, buf.len());
    buf.extend_from_slice(b":3\r\n");
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(Frame::Array(vec![
            Frame::Integer(1),
            Frame::Integer(2),
            Frame::Integer(3)
        ])))
    );
}

#[test]
fn error_resets_the_decoder() {
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"*2\r\n:x\r\n"[..]);
    assert!(decoder.decode(&mut buf).is_err());
    let mut fresh = BytesMut::from(&b":1\r\n"[..]);
    assert_eq!(decoder.decode(&mut fresh), Ok(Some(Frame::Integer(1))));
}

#[test]
fn encodes_commands() {
    use crate::resp::{put_array_header, put_bulk, put_bulk_f64, put_bulk_i64, put_bulk_u64};
    let mut out = BytesMut::new();
    put_array_header(&mut out, 6);
    put_bulk(&mut out, b"SET");
    put_bulk(&mut out, b"");
    put_bulk_i64(&mut out, -12);
    put_bulk_u64(&mut out, u64::MAX);
    put_bulk_f64(&mut out, 1.5);
    put_bulk_f64(&mut out, f64::NEG_INFINITY);
    assert_eq!(
        &out[..],
        &b"*6\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\n-12\r\n$20\r\n18446744073709551615\r\n$3\r\n1.5\r\n$4\r\n-inf\r\n"[..]
    );
    // What the encoder writes, the decoder reads back.
    let frame = one(&out);
    let Frame::Array(args) = frame else { panic!() };
    assert_eq!(args.len(), 6);
    assert_eq!(args[3], Frame::Bulk(b("18446744073709551615")));
}

#[test]
fn pair_counts_past_u64_are_invalid_under_the_largest_limits() {
    // Found by the `resp_decode` fuzz target: with no aggregate limit, doubling a map's or an
    // attribute's pair count overflowed (a panic in debug builds).
    let limits = Limits::default().max_aggregate_len(usize::MAX);
    for input in [
        &b"%9999999999999999999\r\n"[..],
        b"|9223372036854775808\r\n",
    ] {
        assert_eq!(err_with(limits, input), ProtocolError::InvalidLength);
    }
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::from(&b"%4611686018427387904\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn a_long_line_is_too_long_whatever_the_limit() {
    // Found by the `codec_props` property tests: with the bulk limit set to 24, the length of a
    // numeric header line, an overlong simple string was reported as an invalid length.
    for max in [23, 24, 25] {
        let limits = Limits::default().max_bulk_len(max);
        for marker in [b'+', b'-', b'('] {
            let mut input = vec![marker];
            input.resize(max + 2, b'7');
            assert_eq!(err_with(limits, &input), ProtocolError::LineTooLong { max });
        }
        // Numeric headers keep their own bound.
        assert_eq!(err_with(limits, &[b':'; 30]), ProtocolError::InvalidLength,);
    }
}

#[test]
fn a_long_line_arriving_in_pieces_is_scanned_once() {
    // 4 MiB of a simple string in 4 KiB reads: rescanning from the start on every read would
    // scan about 2 GiB; the decoder remembers where it got to.
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"+"[..]);
    let chunk = vec![b'a'; 4096];
    for _ in 0..1024 {
        buf.extend_from_slice(&chunk);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.scanned, buf.len() - 1);
    }
    buf.extend_from_slice(b"\r");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"\n:1\r\n");
    let Some(Frame::Simple(line)) = decoder.decode(&mut buf).unwrap() else {
        panic!()
    };
    assert_eq!(line.len(), 4 * 1024 * 1024);
    assert_eq!(decoder.scanned, 0);
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Frame::Integer(1))));
}

#[test]
fn wants_is_cleared_once_the_awaited_bulk_arrives() {
    // A bulk reply in two reads: the first leaves the decoder waiting for 1,009 bytes, the fast
    // path completes it, and nothing is wanted afterwards however many scalars follow.
    let mut decoder = Decoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"$1000\r\nabc"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.wants(), 1009);
    buf.extend_from_slice(&[b'x'; 997]);
    buf.extend_from_slice(b"\r\n+OK\r\n");
    assert!(matches!(decoder.decode(&mut buf), Ok(Some(Frame::Bulk(b))) if b.len() == 1000));
    assert_eq!(decoder.wants(), 0);
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(Frame::Simple("OK".into())))
    );
    assert_eq!(decoder.wants(), 0);
}
