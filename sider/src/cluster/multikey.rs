//! Multi-key commands whose keys span slots: `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS` and
//! `TOUCH` are split into one command per slot, sent at once, and their replies put back
//! together as if one node had answered.
//!
//! Only these commands split, because only for them is the reply of the whole a plain function
//! of the replies of the parts: `MGET`'s values go back to their keys' positions, the counts of
//! `DEL`, `UNLINK`, `EXISTS` and `TOUCH` add up, and `MSET` answers `OK` once every part did.
//! Every other multi-key command (`SUNION`, `RENAME`, `MSETNX`, `SINTERSTORE`, scripts...) reads
//! or writes its keys together and keeps failing with `CrossSlot`.
//!
//! Imports the siblings `client`, `call` and `slot`, and `cmd`, `error`, `resp`.

use super::client::ClusterClient;
use super::slot::key_slot;
use crate::cmd::Cmd;
use crate::error::{Error, ErrorKind};
use crate::resp::Frame;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::Poll;

/// How the replies of a split command become one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// `MGET`: each part's array, its values put back at their keys' positions.
    Gather,
    /// `DEL`, `UNLINK`, `EXISTS`, `TOUCH`: the integers added up.
    Sum,
    /// `MSET`: `OK` once every part answered `OK`.
    AllOk,
}

/// The commands that split, the width of their blocks (a key and what goes with it), and how
/// their replies merge.
const SPLITS: &[(&str, usize, Split)] = &[
    ("MGET", 1, Split::Gather),
    ("MSET", 2, Split::AllOk),
    ("DEL", 1, Split::Sum),
    ("UNLINK", 1, Split::Sum),
    ("EXISTS", 1, Split::Sum),
    ("TOUCH", 1, Split::Sum),
];

/// Whether `cmd` may be split by slot, and how.
pub(crate) fn split_of(cmd: &Cmd) -> Option<(usize, Split)> {
    SPLITS
        .iter()
        .find(|(name, ..)| name.eq_ignore_ascii_case(cmd.name()))
        .map(|&(_, width, split)| (width, split))
}

/// One slot's share of a split command.
struct Part {
    slot: u16,
    cmd: Cmd,
    /// The positions (in blocks) of its keys in the caller's command.
    positions: Vec<usize>,
}

impl ClusterClient {
    /// Sends one command per slot of `cmd`'s keys, all at once, and merges the replies.
    pub(super) async fn split(&self, cmd: Cmd, width: usize, split: Split) -> Result<Frame, Error> {
        let parts = partition(&cmd, width)?;
        let total = parts.iter().map(|p| p.positions.len()).sum::<usize>();
        // Each part is a command of one slot, with the redirect path of any other: building
        // the futures sends every part that can go at once.
        let mut calls: Vec<Option<Pin<Box<super::ClusterFuture<'_, Frame>>>>> = parts
            .iter()
            .map(|part| Some(Box::pin(self.send::<Frame>(part.cmd.clone()).into_future())))
            .collect();
        let mut results: Vec<Option<Result<Frame, Error>>> = parts.iter().map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (call, result) in calls.iter_mut().zip(results.iter_mut()) {
                if let Some(fut) = call {
                    match fut.as_mut().poll(cx) {
                        Poll::Ready(r) => {
                            *result = Some(r);
                            *call = None;
                        }
                        Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        merge(cmd.name(), split, parts, results, total)
    }
}

/// Groups `cmd`'s blocks by their key's slot, in order of first appearance, each group a
/// command of its own.
fn partition(cmd: &Cmd, width: usize) -> Result<Vec<Part>, Error> {
    let mut args = cmd.written_args();
    // The name: one word for every command that splits.
    args.next();
    let args: Vec<&[u8]> = args.collect();
    if args.is_empty() || args.len() % width != 0 {
        return Err(Error::config(format!(
            "{} takes {}: got {} arguments",
            cmd.name(),
            if width == 1 {
                "keys"
            } else {
                "key/value pairs"
            },
            args.len()
        )));
    }
    let mut parts: Vec<Part> = Vec::new();
    for (position, block) in args.chunks(width).enumerate() {
        let Some((key, rest)) = block.split_first() else {
            continue;
        };
        let slot = key_slot(key);
        let part = match parts.iter().position(|p| p.slot == slot) {
            Some(i) => &mut parts[i],
            None => {
                let cmd = match cmd.info() {
                    Some(info) => Cmd::from_info(info),
                    None => Cmd::new(cmd.name()),
                };
                parts.push(Part {
                    slot,
                    cmd,
                    positions: Vec::new(),
                });
                let last = parts.len() - 1;
                &mut parts[last]
            }
        };
        part.cmd.push_key(*key);
        for arg in rest {
            part.cmd.push_arg(*arg);
        }
        part.positions.push(position);
    }
    Ok(parts)
}

/// Puts the parts' replies together; the first part that failed fails the whole.
fn merge(
    name: &str,
    split: Split,
    parts: Vec<Part>,
    results: Vec<Option<Result<Frame, Error>>>,
    total: usize,
) -> Result<Frame, Error> {
    let count = parts.len();
    let mut sum = 0i64;
    let mut values: Vec<Frame> = match split {
        Split::Gather => (0..total).map(|_| Frame::Null).collect(),
        _ => Vec::new(),
    };
    let mut failure: Option<Error> = None;
    let mut done = 0usize;
    for (part, result) in parts.into_iter().zip(results) {
        let frame = match result {
            Some(Ok(frame)) => frame,
            Some(Err(err)) => {
                failure.get_or_insert(err.context(format_args!(
                    "{name}'s part for slot {} ({} keys)",
                    part.slot,
                    part.positions.len()
                )));
                continue;
            }
            None => {
                failure.get_or_insert(Error::closed(format!(
                    "{name}'s part for slot {} got no reply",
                    part.slot
                )));
                continue;
            }
        };
        done += 1;
        let unexpected = |frame: &Frame| {
            Error::protocol_msg(format!(
                "{name}'s part for slot {} got {}",
                part.slot,
                frame.describe()
            ))
        };
        match split {
            Split::Gather => match frame {
                Frame::Array(items) | Frame::Set(items) if items.len() == part.positions.len() => {
                    for (position, value) in part.positions.iter().zip(items) {
                        if let Some(place) = values.get_mut(*position) {
                            *place = value;
                        }
                    }
                }
                other => return Err(unexpected(&other)),
            },
            Split::Sum => match frame {
                Frame::Integer(n) => sum = sum.saturating_add(n),
                other => return Err(unexpected(&other)),
            },
            Split::AllOk => {}
        }
    }
    if let Some(err) = failure {
        // A write's parts that did succeed stay applied: say how many, since the caller may
        // have to repair.
        return Err(match (split, err.kind()) {
            (Split::AllOk | Split::Sum, ErrorKind::Server | ErrorKind::Io | ErrorKind::Closed)
                if done > 0 =>
            {
                err.context(format_args!(
                    "{done} of {count} slots' parts succeeded and stay applied"
                ))
            }
            _ => err,
        });
    }
    Ok(match split {
        Split::Gather => Frame::Array(values),
        Split::Sum => Frame::Integer(sum),
        Split::AllOk => Frame::Simple(bytes::Bytes::from_static(b"OK")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_by_slot_in_order() {
        let cmd = Cmd::new("MSET").args(("a", 1, "b", 2, "{a}x", 3));
        let parts = partition(&cmd, 2).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].positions, [0, 2]);
        assert_eq!(parts[1].positions, [1]);
        assert_eq!(
            parts[0].cmd.keys().collect::<Vec<_>>(),
            [&b"a"[..], &b"{a}x"[..]]
        );
        assert_eq!(parts[0].cmd.arg_count(), 5);
        assert!(partition(&Cmd::new("MSET").args(("a", 1, "b")), 2).is_err());
        assert_eq!(split_of(&Cmd::new("mget")), Some((1, Split::Gather)));
        assert_eq!(split_of(&Cmd::new("SUNION")), None);
    }

    #[test]
    fn merges_in_the_callers_order() {
        let cmd = Cmd::new("MGET").key("a").key("b").key("{a}x");
        let parts = partition(&cmd, 1).unwrap();
        let bulk = |s: &str| Frame::Bulk(s.as_bytes().to_vec().into());
        let results = vec![
            Some(Ok(Frame::Array(vec![bulk("A"), Frame::Null]))),
            Some(Ok(Frame::Array(vec![bulk("B")]))),
        ];
        let merged = merge("MGET", Split::Gather, parts, results, 3).unwrap();
        assert_eq!(
            merged,
            Frame::Array(vec![bulk("A"), bulk("B"), Frame::Null])
        );
    }
}
