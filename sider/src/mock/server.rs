//! The mock's server side: it accepts connections on its loopback port and answers each one as
//! a Redis server would, from the expectations: the handshake (`HELLO`, `AUTH`, `INFO server`,
//! `CLIENT SETINFO`, `SELECT`), `PING`, `RESET`, transactions (`MULTI`, `EXEC`, `DISCARD`) and
//! subscriptions itself, every other command from the expectation it meets.
//!
//! Imports from `resp` (the codec) and the mock's `expect` and `state`.

use super::expect::Action;
use super::state::{Shared, SubscriptionSet};
use crate::resp::{Decoder, Frame, Limits};
use bytes::{BufMut, Bytes, BytesMut};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the mock (its `publish`, `drop_connections` or drop) asks of a connection's task.
#[derive(Debug)]
pub(super) enum Control {
    /// Sends this push (a published message).
    Push(Frame),
    /// Closes the connection.
    Close,
}

/// What a connection's task does next, in order.
enum Out {
    Reply(Frame),
    Sleep(Duration),
    Close,
}

/// Accepts connections until the mock is dropped (which aborts this task).
pub(super) async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors, say: try again shortly rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // A latency of 40 ms per reply (Nagle against delayed ACKs) would slow every test.
        let _ = stream.set_nodelay(true);
        let (tx, rx) = mpsc::unbounded_channel();
        let id = shared.connect(tx);
        tokio::spawn(serve(stream, id, shared.clone(), rx));
    }
}

/// Serves one connection until the client closes it or an expectation drops it.
async fn serve(
    mut stream: TcpStream,
    id: u64,
    shared: Arc<Shared>,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let mut session = Session {
        id,
        resp3: false,
        greeting: true,
        multi: None,
    };
    let mut decoder = Decoder::new(Limits::default());
    let mut input = BytesMut::with_capacity(4096);
    let mut output = BytesMut::with_capacity(4096);
    'conn: loop {
        loop {
            let frame = match decoder.decode(&mut input) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(_) => break 'conn, // not RESP: hang up, as a server would
            };
            let Some(args) = command_args(frame) else {
                break 'conn;
            };
            for out in session.handle(args, &shared) {
                match out {
                    Out::Reply(frame) => put_frame(&mut output, &frame, session.resp3),
                    Out::Sleep(delay) => {
                        if stream.write_all(&output).await.is_err() {
                            break 'conn;
                        }
                        output.clear();
                        tokio::time::sleep(delay).await;
                    }
                    Out::Close => break 'conn,
                }
            }
        }
        if !output.is_empty() {
            if stream.write_all(&output).await.is_err() {
                break;
            }
            output.clear();
        }
        tokio::select! {
            read = stream.read_buf(&mut input) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            },
            message = control.recv() => match message {
                Some(Control::Push(frame)) => put_frame(&mut output, &frame, session.resp3),
                Some(Control::Close) | None => break,
            },
        }
    }
    shared.disconnect(id);
}

/// A command's arguments: an array of bulk strings.
fn command_args(frame: Frame) -> Option<Vec<Bytes>> {
    match frame {
        Frame::Array(items) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                Frame::Bulk(b) | Frame::Simple(b) => Some(b),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// One connection's state.
struct Session {
    id: u64,
    resp3: bool,
    /// Still in the handshake: `AUTH`, `CLIENT SETNAME`/`SETINFO`/`TRACKING`, `INFO` and
    /// `SELECT` are answered by the mock unless an expectation asks for them.
    greeting: bool,
    /// Inside `MULTI`: what each queued command will reply, and whether one was refused.
    multi: Option<Multi>,
}

#[derive(Default)]
struct Multi {
    queued: Vec<(Action, Option<Duration>)>,
    refused: bool,
}

fn simple(text: &'static str) -> Out {
    Out::Reply(Frame::Simple(Bytes::from_static(text.as_bytes())))
}

fn error(text: impl Into<String>) -> Out {
    Out::Reply(Frame::Error(Bytes::from(text.into())))
}

fn bulk(text: impl Into<Bytes>) -> Frame {
    Frame::Bulk(text.into())
}

impl Session {
    fn handle(&mut self, args: Vec<Bytes>, shared: &Shared) -> Vec<Out> {
        let Some(name) = args.first().map(|name| name.to_ascii_uppercase()) else {
            return vec![error("ERR empty command")];
        };
        let sub = args.get(1).map(|a| a.to_ascii_uppercase());
        match &name[..] {
            b"HELLO" => return vec![self.hello(&args, shared)],
            b"RESET" if shared.has_reset() => {
                self.resp3 = false;
                self.greeting = true;
                self.multi = None;
                shared.unsubscribe_all(self.id);
                return vec![simple("RESET")];
            }
            b"MULTI" if self.multi.is_some() => {
                return vec![error("ERR MULTI calls can not be nested")]
            }
            b"MULTI" => {
                self.multi = Some(Multi::default());
                return vec![simple("OK")];
            }
            b"EXEC" => return self.exec(),
            b"DISCARD" => {
                return match self.multi.take() {
                    Some(_) => vec![simple("OK")],
                    None => vec![error("ERR DISCARD without MULTI")],
                }
            }
            b"SUBSCRIBE" | b"PSUBSCRIBE" | b"SSUBSCRIBE" => {
                let set = SubscriptionSet::of(&name);
                return shared
                    .subscribe(self.id, set, &args[1..])
                    .into_iter()
                    .map(Out::Reply)
                    .collect();
            }
            b"UNSUBSCRIBE" | b"PUNSUBSCRIBE" | b"SUNSUBSCRIBE" => {
                let set = SubscriptionSet::of(&name);
                return shared
                    .unsubscribe(self.id, set, &args[1..])
                    .into_iter()
                    .map(Out::Reply)
                    .collect();
            }
            _ => {}
        }
        let handshake = self.greeting && is_handshake(&name, sub.as_deref());
        if !handshake {
            self.greeting = false;
        }
        let answered = if handshake || &name[..] == b"PING" {
            // The mock's own answer, unless the test expects the command.
            match shared.take(self.id, &args, false) {
                Some(answer) => Some(answer),
                None => return vec![self.builtin(&name, &args, shared)],
            }
        } else {
            shared.take(self.id, &args, true)
        };
        let Some((action, delay)) = answered else {
            let refusal = error(format!(
                "ERR sider mock: unexpected command {}",
                super::report::Args(&args)
            ));
            if let Some(multi) = &mut self.multi {
                multi.refused = true;
            }
            return vec![refusal];
        };
        if let Some(multi) = &mut self.multi {
            multi.queued.push((action, delay));
            return vec![simple("QUEUED")];
        }
        let mut outs = Vec::with_capacity(2);
        if let Some(delay) = delay {
            outs.push(Out::Sleep(delay));
        }
        outs.push(match action {
            Action::Reply(frame) => Out::Reply(frame),
            Action::Fail(line) => Out::Reply(Frame::Error(line)),
            Action::Drop => Out::Close,
            Action::Unset => error("ERR sider mock: this expectation has no reply"),
        });
        outs
    }

    /// `HELLO [protover [AUTH user pass] [SETNAME name]]`.
    fn hello(&mut self, args: &[Bytes], shared: &Shared) -> Out {
        if shared.resp2_only() {
            return error("ERR unknown command 'HELLO', with args beginning with: ");
        }
        match args.get(1).map(|v| &v[..]) {
            Some(b"3") => self.resp3 = true,
            Some(b"2") => self.resp3 = false,
            None => {}
            Some(_) => return error("NOPROTO unsupported protocol version"),
        }
        let (server, version) = shared.server();
        let proto = if self.resp3 { 3 } else { 2 };
        Out::Reply(Frame::Map(vec![
            (bulk("server"), bulk(server.to_owned())),
            (bulk("version"), bulk(version.to_owned())),
            (bulk("proto"), Frame::Integer(proto)),
            (bulk("id"), Frame::Integer(self.id as i64)),
            (bulk("mode"), bulk("standalone")),
            (bulk("role"), bulk("master")),
            (bulk("modules"), Frame::Array(Vec::new())),
        ]))
    }

    /// The mock's own answer to a handshake command or `PING`.
    fn builtin(&self, name: &[u8], args: &[Bytes], shared: &Shared) -> Out {
        match name {
            b"PING" => match args.get(1) {
                Some(message) => Out::Reply(Frame::Bulk(message.clone())),
                None => simple("PONG"),
            },
            b"INFO" => {
                let (server, version) = shared.server();
                let text = if server == "valkey" {
                    format!(
                        "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:{version}\r\nredis_mode:standalone\r\n"
                    )
                } else {
                    format!("# Server\r\nredis_version:{version}\r\nredis_mode:standalone\r\n")
                };
                Out::Reply(Frame::Bulk(Bytes::from(text)))
            }
            _ => simple("OK"),
        }
    }

    /// `EXEC`: every queued command's reply in one array, after their delays; an error if one
    /// was refused as it was queued; the connection closed if one drops it.
    fn exec(&mut self) -> Vec<Out> {
        let Some(multi) = self.multi.take() else {
            return vec![error("ERR EXEC without MULTI")];
        };
        if multi.refused {
            return vec![error(
                "EXECABORT Transaction discarded because of previous errors.",
            )];
        }
        let delay: Duration = multi.queued.iter().filter_map(|(_, d)| *d).sum();
        let mut outs = Vec::with_capacity(2);
        if !delay.is_zero() {
            outs.push(Out::Sleep(delay));
        }
        let mut replies = Vec::with_capacity(multi.queued.len());
        for (action, _) in multi.queued {
            replies.push(match action {
                Action::Reply(frame) => frame,
                Action::Fail(line) => Frame::Error(line),
                Action::Unset => Frame::Error(Bytes::from_static(
                    b"ERR sider mock: this expectation has no reply",
                )),
                Action::Drop => {
                    outs.push(Out::Close);
                    return outs;
                }
            });
        }
        outs.push(Out::Reply(Frame::Array(replies)));
        outs
    }
}

/// The commands of sider's handshake (and its restoring after `RESET`).
fn is_handshake(name: &[u8], sub: Option<&[u8]>) -> bool {
    match name {
        b"AUTH" | b"SELECT" | b"INFO" => true,
        b"CLIENT" => matches!(sub, Some(b"SETNAME" | b"SETINFO" | b"TRACKING")),
        _ => false,
    }
}

/// Encodes `frame` as RESP3, or in RESP2's shapes: maps as flat arrays, booleans as 0 and 1,
/// doubles and big numbers as bulk strings, pushes as arrays.
pub(super) fn put_frame(out: &mut BytesMut, frame: &Frame, resp3: bool) {
    let line = |out: &mut BytesMut, prefix: u8, text: &[u8]| {
        out.put_u8(prefix);
        out.extend_from_slice(text);
        out.extend_from_slice(b"\r\n");
    };
    let header = |out: &mut BytesMut, prefix: u8, len: usize| {
        line(out, prefix, itoa::Buffer::new().format(len).as_bytes());
    };
    let bulk = |out: &mut BytesMut, data: &[u8]| {
        header(out, b'$', data.len());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    };
    match frame {
        Frame::Simple(s) => line(out, b'+', s),
        Frame::Error(e) if e.contains(&b'\r') || e.contains(&b'\n') => {
            let flat: Vec<u8> = e
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            line(out, b'-', &flat);
        }
        Frame::Error(e) => line(out, b'-', e),
        Frame::Integer(n) => line(out, b':', itoa::Buffer::new().format(*n).as_bytes()),
        Frame::Bulk(b) => bulk(out, b),
        Frame::Null if resp3 => out.extend_from_slice(b"_\r\n"),
        Frame::Null => out.extend_from_slice(b"$-1\r\n"),
        Frame::Array(items) => {
            header(out, b'*', items.len());
            items.iter().for_each(|item| put_frame(out, item, resp3));
        }
        Frame::Boolean(b) if resp3 => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Boolean(b) => out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        Frame::Double(d) => {
            let text = if d.is_nan() {
                "nan".to_owned()
            } else if d.is_infinite() {
                if *d > 0.0 { "inf" } else { "-inf" }.to_owned()
            } else {
                ryu::Buffer::new().format_finite(*d).to_owned()
            };
            if resp3 {
                line(out, b',', text.as_bytes());
            } else {
                bulk(out, text.as_bytes());
            }
        }
        Frame::BigNumber(digits) if resp3 => line(out, b'(', digits),
        Frame::BigNumber(digits) => bulk(out, digits),
        Frame::Verbatim { format, data } if resp3 => {
            header(out, b'=', data.len() + 4);
            out.extend_from_slice(format);
            out.put_u8(b':');
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Verbatim { data, .. } => bulk(out, data),
        Frame::Map(pairs) => {
            if resp3 {
                header(out, b'%', pairs.len());
            } else {
                header(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                put_frame(out, k, resp3);
                put_frame(out, v, resp3);
            }
        }
        Frame::Set(items) => {
            header(out, if resp3 { b'~' } else { b'*' }, items.len());
            items.iter().for_each(|item| put_frame(out, item, resp3));
        }
        Frame::Attribute { attrs, value } => {
            if resp3 {
                header(out, b'|', attrs.len());
                for (k, v) in attrs {
                    put_frame(out, k, resp3);
                    put_frame(out, v, resp3);
                }
            }
            put_frame(out, value, resp3);
        }
        Frame::Push(items) => {
            header(out, if resp3 { b'>' } else { b'*' }, items.len());
            items.iter().for_each(|item| put_frame(out, item, resp3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(frame: Frame, resp3: bool) -> Frame {
        let mut out = BytesMut::new();
        put_frame(&mut out, &frame, resp3);
        Decoder::new(Limits::default())
            .decode(&mut out)
            .expect("valid RESP")
            .expect("a whole frame")
    }

    #[test]
    fn resp3_frames_decode_back_and_resp2_takes_its_shapes() {
        let map = Frame::Map(vec![(bulk("a"), Frame::Double(1.5))]);
        assert_eq!(round_trip(map.clone(), true), map);
        assert_eq!(
            round_trip(map, false),
            Frame::Array(vec![bulk("a"), bulk("1.5")])
        );
        assert_eq!(round_trip(Frame::Boolean(true), false), Frame::Integer(1));
        assert_eq!(round_trip(Frame::Null, false), Frame::Null);
        let push = Frame::Push(vec![bulk("message"), bulk("c"), bulk("m")]);
        assert_eq!(round_trip(push.clone(), true), push);
        let text = Frame::Verbatim {
            format: *b"txt",
            data: Bytes::from_static(b"hi"),
        };
        assert_eq!(round_trip(text.clone(), true), text);
    }
}
