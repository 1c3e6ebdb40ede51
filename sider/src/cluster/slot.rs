//! Hash slots: CRC16 of a key (or of its `{hash tag}`) modulo 16384, and the slot a whole command
//! goes to.
//!
//! Imports `cmd`, `error` and `info` only.

use crate::cmd::Cmd;
use crate::error::Error;

/// How many hash slots a Redis Cluster has.
pub const SLOTS: usize = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes
/// keys with, one table lookup per byte.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        let index = usize::from(((crc >> 8) as u8) ^ b);
        (crc << 8) ^ CRC16_TABLE[index]
    })
}

/// The part of a key that is hashed: what is between the first `{` and the next `}` when that
/// is not empty, else the whole key. `{user1}.name` and `{user1}.email` share a slot.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        let after = &key[open + 1..];
        if let Some(close) = after.iter().position(|&b| b == b'}') {
            if close > 0 {
                return &after[..close];
            }
        }
    }
    key
}

/// The hash slot of a key, as `CLUSTER KEYSLOT` computes it.
///
/// ```
/// use sider::cluster::key_slot;
///
/// assert_eq!(key_slot(b"foo"), 12182);
/// assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) & (SLOTS as u16 - 1)
}

/// Where a command goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// To the node serving this slot.
    Slot(u16),
    /// It has no keys: any node will do.
    Any,
    /// To every primary, replies merged.
    FanOut(Merge),
}

/// How the replies of a command sent to every primary become one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Integers added up (`DBSIZE`).
    Sum,
    /// Arrays concatenated (`KEYS`).
    Concat,
    /// Every node must succeed; the first reply stands for all (`FLUSHALL`, `SCRIPT LOAD`).
    AllOk,
}

/// Keyless commands that concern every primary, and how their replies merge.
const FAN_OUT: &[(&str, Merge)] = &[
    ("DBSIZE", Merge::Sum),
    ("KEYS", Merge::Concat),
    ("FLUSHALL", Merge::AllOk),
    ("FLUSHDB", Merge::AllOk),
    ("SCRIPT FLUSH", Merge::AllOk),
    ("SCRIPT LOAD", Merge::AllOk),
    ("FUNCTION LOAD", Merge::AllOk),
    ("FUNCTION FLUSH", Merge::AllOk),
    ("FUNCTION DELETE", Merge::AllOk),
];

/// Where `cmd` goes: the one slot all its keys hash to, any node, or every primary.
///
/// # Errors
///
/// [`ErrorKind::CrossSlot`](crate::ErrorKind::CrossSlot) when its keys hash to different slots;
/// [`ErrorKind::Config`](crate::ErrorKind::Config) for a command Redis Cluster refuses (`SELECT`).
pub(crate) fn target(cmd: &Cmd) -> Result<Target, Error> {
    if cmd.info().is_some_and(|info| info.is_no_cluster()) {
        return Err(Error::config("not available in Redis Cluster"));
    }
    let mut keys = cmd.keys();
    if !keys.complete() {
        return Err(Error::config(
            "too large for its keys to be found for cluster routing",
        ));
    }
    let Some(first) = keys.next() else {
        return Ok(FAN_OUT
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(cmd.name()))
            .map_or(Target::Any, |&(_, merge)| Target::FanOut(merge)));
    };
    let slot = key_slot(first);
    for key in keys {
        let other = key_slot(key);
        if other != slot {
            return Err(Error::cross_slot(format!(
                "keys `{}` (slot {slot}) and `{}` (slot {other}) are in different hash slots; \
                 give them a common hash tag such as `{{tag}}` to keep them together",
                String::from_utf8_lossy(first),
                String::from_utf8_lossy(key),
            )));
        }
    }
    Ok(Target::Slot(slot))
}

/// Whether a command never writes, per the spec (raw commands are looked up by name).
pub(crate) fn is_readonly(cmd: &Cmd) -> bool {
    let info = cmd.info().or_else(|| {
        crate::commands::COMMANDS
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(cmd.name()))
    });
    info.is_some_and(|info| info.is_readonly())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_reference() {
        // The check value of CRC16/XMODEM, and the examples of the cluster specification.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn hash_tags() {
        assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"{unclosed"), b"{unclosed");
    }

    #[test]
    fn routes_commands() {
        let get = Cmd::new("GET").key("foo");
        assert_eq!(target(&get).unwrap(), Target::Slot(12182));
        let mget = Cmd::new("MGET").key("{a}1").key("{a}2");
        assert_eq!(target(&mget).unwrap(), Target::Slot(key_slot(b"a")));
        let err = target(&Cmd::new("MGET").key("foo").key("bar")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::CrossSlot);
        assert!(err.to_string().contains("slot 12182"), "{err}");
        assert_eq!(target(&Cmd::new("PING")).unwrap(), Target::Any);
        assert_eq!(
            target(&Cmd::new("DBSIZE")).unwrap(),
            Target::FanOut(Merge::Sum)
        );
        assert!(is_readonly(&Cmd::new("GET")));
        assert!(!is_readonly(&Cmd::new("SET")));
    }
}
