//! The checked model of the spec that code generation works from.

use proc_macro2::{Ident, TokenStream};

pub struct Model {
    pub commands: Vec<Command>,
    /// The shared `[[choice]]` types, each generated once.
    pub choices: Vec<Choice>,
    pub files: Vec<std::path::PathBuf>,
}

/// A one-of type shared by arguments of several commands (`Side` for LEFT/RIGHT).
pub struct Choice {
    pub doc: String,
    /// A node with `choice` set to the type's name, whose shape is the alternatives.
    pub node: Node,
}

/// Another method for a command, with a reply of its own (`pttl_typed`).
pub struct Also {
    pub method: Ident,
    pub doc: String,
    pub reply: Reply,
}

pub struct Command {
    /// As sent, e.g. `CONFIG GET`.
    pub name: String,
    pub method: Ident,
    /// CamelCase, for builder and enum type names.
    pub camel: String,
    pub doc: String,
    pub versions: Versions,
    pub group: String,
    pub complexity: Option<String>,
    pub deprecated: Option<String>,
    pub flags: Flags,
    /// The name of the top-level argument that holds a blocking command's timeout.
    pub timeout: Option<String>,
    pub reply: Reply,
    pub args: Vec<Node>,
    /// More methods for the same command, each with a reply of its own.
    pub also: Vec<Also>,
}

#[derive(Default, Clone, Copy)]
pub struct Flags {
    pub readonly: bool,
    pub write: bool,
    pub blocking: bool,
    pub cacheable: bool,
    pub admin: bool,
    pub pubsub: bool,
    pub noscript: bool,
    pub fast: bool,
    pub no_cluster: bool,
    pub exclusive: bool,
}

impl Command {
    /// Whether the command has options, and so returns a builder.
    pub fn has_builder(&self) -> bool {
        self.args.iter().any(|a| a.optional)
    }

    /// The reply of the command's own method, or of one of its `also` methods.
    pub fn also_reply<'a>(&'a self, also: Option<&'a Also>) -> &'a Reply {
        also.map_or(&self.reply, |a| &a.reply)
    }
}

#[derive(Clone)]
pub struct Node {
    pub name: String,
    pub ident: Ident,
    pub camel: String,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    pub shape: Shape,
    /// For a `OneOf`: the shared choice type it is, instead of an enum of its own.
    pub choice: Option<String>,
    pub reply: Option<Reply>,
    pub doc: Option<String>,
    /// The reply-changing options whose reply this one's replaces, whatever the call order.
    pub overrides: Vec<String>,
    /// Where the argument came later than its command; `None` when it is as old.
    pub versions: Option<Versions>,
}

/// The first version of each server that has a command or an argument.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Versions {
    /// Redis; `None` when no Redis release has it.
    pub redis: Option<String>,
    /// Valkey; `None` when no Valkey release has it. Valkey forked from Redis 7.2.4, so whatever
    /// Redis had by then Valkey has from its first release, 7.2.4.
    pub valkey: Option<String>,
}

impl Versions {
    /// For rustdoc: "Redis 7.4.0 · Valkey 9.0.0", "Redis 1.0.0", "Valkey 9.0.0 (not in Redis)".
    pub fn describe(&self) -> String {
        match (&self.redis, &self.valkey) {
            (Some(r), Some(v)) if v == crate::validate::VALKEY_FIRST => {
                format!("Since Redis {r} (every Valkey)")
            }
            (Some(r), Some(v)) => format!("Since Redis {r} and Valkey {v}"),
            (Some(r), None) => format!("Since Redis {r} (not in Valkey)"),
            (None, Some(v)) => format!("Since Valkey {v} (not in Redis)"),
            (None, None) => String::new(),
        }
    }
}

#[derive(Clone)]
pub enum Shape {
    /// A token alone (`NX`).
    Flag,
    Value(Kind),
    Block(Vec<Node>),
    OneOf(Vec<Node>),
    /// The number of values given for the named sibling.
    Count(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Key,
    Bytes,
    Integer,
    Double,
    Seconds,
    Millis,
    FSeconds,
    UnixTime,
    UnixTimeMs,
}

#[derive(Clone)]
pub struct Reply {
    /// The Rust type, with every name spelled in full.
    pub ty: TokenStream,
    /// The caller-picked type parameters, in order of first appearance.
    pub generics: Vec<Ident>,
    /// Those used as map keys or set elements, which must be `Eq + Hash`.
    pub hashed: Vec<Ident>,
}

impl Reply {
    /// `V: FromReply` (plus `Eq + Hash` where needed) for each listed parameter.
    pub fn bounds<'a>(
        &'a self,
        only: impl IntoIterator<Item = &'a Ident>,
    ) -> Vec<proc_macro2::TokenStream> {
        only.into_iter()
            .map(|g| {
                if self.hashed.contains(g) {
                    quote::quote!(#g: ::sider::FromReply + ::core::cmp::Eq + ::core::hash::Hash)
                } else {
                    quote::quote!(#g: ::sider::FromReply)
                }
            })
            .collect()
    }
}
