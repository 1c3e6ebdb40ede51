//! The typed command API, generated from the spec in `commands/` by `sider-redis-macros`.
//!
//! [`Commands`] has one method per Redis command. Commands with options return a builder (named
//! after the command: [`Set`], [`Zadd`]...) whose methods add the options; one-of choices are
//! enums ([`SetExpiration`]...). [`COMMANDS`] lists what the spec says of each command.

sider_macros::commands! {
    pub trait Commands;
    spec = "commands";
}
