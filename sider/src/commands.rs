//! The typed command API, generated from the spec in `commands/` by `sider-redis-macros`.
//!
//! [`Commands`] has one method per Redis command. Commands with options return a builder (named
//! after the command: [`Set`], [`Zadd`]...) whose methods add the options. [`COMMANDS`] lists
//! what the spec says of each command.
//!
//! # Choices
//!
//! Where a command takes one of several forms, the form is an enum of this module, and each
//! method's docs name the enums its arguments take ("Choices: ..."). Most are named after the
//! command and the argument: [`XaddId`] for `XADD`'s ID, [`LinsertPosition`], [`ZaddCondition`].
//! Those several commands share have a name of their own:
//!
//! | enum | taken by |
//! |---|---|
//! | [`Side`] | the list end of `LMOVE`, `BLMOVE`, `LMPOP`, `BLMPOP` |
//! | [`Trim`] | how `XADD` and `XTRIM` trim a stream |
//!
//! An optional choice is also a builder method per alternative: `.maxlen_approx(10_000)` is
//! `.trim(Trim::MaxlenApprox(10_000))`. A variant that holds a value has a constructor taking
//! any argument value (`Trim::minid(&id)`), and an enum in which one variant alone holds a value
//! converts from that value: `client.xadd("events", "*", [("kind", "login")])`.
//!
//! ```no_run
//! use sider::commands::{Side, Trim};
//! use sider::prelude::*;
//!
//! # async fn run(client: sider::Client) -> Result<(), sider::Error> {
//! let job: Option<String> = client.lmove("jobs", "working", Side::Right, Side::Left).await?;
//! client.xadd("events", "*", [("kind", "login")]).maxlen_approx(10_000).await?;
//! client.xtrim("events", Trim::minid("1700000000000-0")).await?;
//! # Ok(()) }
//! ```
//!
//! # Typed readings
//!
//! Commands that reply codes keep their raw method and have a `_typed` sibling whose reply says
//! what the codes mean: [`pttl_typed`](Commands::pttl_typed) gives a [`Ttl`](crate::Ttl),
//! [`hpttl_typed`](Commands::hpttl_typed) one per field, [`hexpire_typed`](Commands::hexpire_typed)
//! and its siblings a [`FieldExpire`](crate::FieldExpire) per field,
//! [`hpersist_typed`](Commands::hpersist_typed) a [`FieldPersist`](crate::FieldPersist).

sider_macros::commands! {
    pub trait Commands;
    spec = "commands";
}
