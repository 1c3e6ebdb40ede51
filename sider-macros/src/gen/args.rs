//! Parameters and encoding of arguments: shared by command methods, builder options and enums.

use crate::model::{Kind, Node, Shape};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// Where a parameter's type is used: a method signature (generic, borrowed), an enum variant
/// (owned), or the constructor function of a variant (owned, but payloads as any `ToArg`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Method,
    Enum,
    Ctor,
}

pub struct Param {
    pub ident: Ident,
    pub ty: TokenStream,
    /// How a constructor turns the parameter into the variant's field.
    pub convert: Convert,
}

/// From a constructor's parameter to the variant's owned field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Convert {
    /// The same type.
    Same,
    /// Any `ToArg` into `Bytes`.
    Arg,
    /// Any list of `ToArg` into `Vec<Bytes>`.
    Args,
}

impl Param {
    /// The expression that makes the variant's field of this parameter.
    pub fn converted(&self) -> TokenStream {
        let ident = &self.ident;
        match self.convert {
            Convert::Same => quote!(#ident),
            Convert::Arg => quote!(::sider::__private::arg_bytes(&#ident)),
            Convert::Args => quote!(
                ::core::iter::IntoIterator::into_iter(#ident)
                    .map(|arg| ::sider::__private::arg_bytes(&arg))
                    .collect()
            ),
        }
    }
}

fn kind_type(kind: Kind, place: Place) -> TokenStream {
    match kind {
        Kind::Key | Kind::Bytes => match place {
            Place::Method | Place::Ctor => quote!(impl ::sider::ToArg),
            Place::Enum => quote!(::sider::__private::Bytes),
        },
        Kind::Integer => quote!(::core::primitive::i64),
        Kind::Double => quote!(::core::primitive::f64),
        Kind::Seconds | Kind::Millis | Kind::FSeconds => match place {
            Place::Method => quote!(impl ::sider::TimeSpan),
            Place::Enum | Place::Ctor => quote!(::core::time::Duration),
        },
        Kind::UnixTime | Kind::UnixTimeMs => match place {
            Place::Method => quote!(impl ::sider::Timestamp),
            Place::Enum | Place::Ctor => quote!(::std::time::SystemTime),
        },
    }
}

/// The Rust type name of the enum generated for a `oneof` node under `prefix`, or of the shared
/// choice it names.
pub fn enum_ident(prefix: &str, node: &Node) -> Ident {
    match &node.choice {
        Some(choice) => format_ident!("{}", choice),
        None => format_ident!("{}{}", prefix, node.camel),
    }
}

/// The parameters a node takes, when its value is given as arguments.
/// `in_block` marks optional members of blocks, which become `Option`/`bool` parameters.
pub fn params(node: &Node, prefix: &str, place: Place, in_block: bool) -> Vec<Param> {
    let ident = node.ident.clone();
    let optional = in_block && node.optional;
    let with = |ty: TokenStream, convert: Convert| {
        let ty = if optional {
            quote!(::core::option::Option<#ty>)
        } else {
            ty
        };
        vec![Param {
            ident: ident.clone(),
            ty,
            convert,
        }]
    };
    let one = |ty: TokenStream| with(ty, Convert::Same);
    let payload = |kind: &Kind| matches!(kind, Kind::Key | Kind::Bytes);
    match &node.shape {
        Shape::Count(_) => Vec::new(),
        Shape::Flag if optional => vec![Param {
            ident,
            ty: quote!(::core::primitive::bool),
            convert: Convert::Same,
        }],
        Shape::Flag => Vec::new(),
        Shape::Value(kind) if node.multiple => match place {
            Place::Method if node.multiple_token => one(quote!(
                impl ::core::iter::IntoIterator<Item = impl ::sider::ToArg>
            )),
            Place::Method => one(quote!(impl ::sider::ToArgs)),
            Place::Ctor if payload(kind) && !optional => with(
                quote!(impl ::core::iter::IntoIterator<Item = impl ::sider::ToArg>),
                Convert::Args,
            ),
            Place::Enum | Place::Ctor => {
                let t = kind_type(*kind, Place::Enum);
                one(quote!(::std::vec::Vec<#t>))
            }
        },
        Shape::Value(kind) => {
            if optional && place != Place::Enum {
                // `Option<impl Trait>` is not allowed in argument position's inner types, and
                // `None` would leave the type unknown: an optional block member takes the owned
                // type an enum variant holds.
                one(kind_type(*kind, Place::Enum))
            } else if place == Place::Ctor && payload(kind) {
                with(kind_type(*kind, place), Convert::Arg)
            } else {
                one(kind_type(*kind, place))
            }
        }
        Shape::Block(members) if node.multiple => match place {
            Place::Method => one(quote!(impl ::sider::ToArgs)),
            Place::Enum | Place::Ctor => one(quote!(::std::vec::Vec<::sider::__private::Bytes>)),
        },
        Shape::Block(members) => {
            let sub = format!("{prefix}{}", node.camel);
            optional_members(members, optional)
                .iter()
                .flat_map(|m| params(m, &sub, place, true))
                .collect()
        }
        Shape::OneOf(_) => {
            let e = enum_ident(prefix, node);
            if node.multiple {
                match place {
                    Place::Method => one(quote!(impl ::core::iter::IntoIterator<Item = #e>)),
                    Place::Enum | Place::Ctor => one(quote!(::std::vec::Vec<#e>)),
                }
            } else {
                one(quote!(#e))
            }
        }
    }
}

fn push_value(kind: Kind, target: &TokenStream, value: &TokenStream) -> TokenStream {
    match kind {
        Kind::Key => quote!(#target.push_key(&#value);),
        Kind::Bytes | Kind::Integer | Kind::Double => quote!(#target.push_arg(&#value);),
        Kind::Seconds => quote!(#target.push_arg(&::sider::__private::secs(&#value));),
        Kind::Millis => quote!(#target.push_arg(&::sider::__private::millis(&#value));),
        Kind::FSeconds => quote!(#target.push_arg(&::sider::__private::fsecs(&#value));),
        Kind::UnixTime => quote!(#target.push_arg(&::sider::__private::unix_secs(&#value));),
        Kind::UnixTimeMs => quote!(#target.push_arg(&::sider::__private::unix_millis(&#value));),
    }
}

/// For a repeated block of plain values holding one key, the key's index in the block. Blocks
/// with options, tokens or nested parts have no fixed width, so their keys are not recorded.
fn keyed_block(members: &[Node]) -> Option<usize> {
    let plain = members.iter().all(|m| {
        !m.optional && !m.multiple && m.token.is_none() && matches!(m.shape, Shape::Value(_))
    });
    let mut keys = members
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m.shape, Shape::Value(Kind::Key)));
    match (plain, keys.next(), keys.next()) {
        (true, Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// Code that writes a node whose parameters are in scope under their own names.
pub fn encode(node: &Node, target: &TokenStream, in_block: bool) -> TokenStream {
    let ident = &node.ident;
    let token = node.token.as_ref().map(|t| quote!(#target.push_arg(#t);));
    let optional = in_block && node.optional;
    let body = match &node.shape {
        Shape::Count(_) => return TokenStream::new(),
        Shape::Flag => quote!(#token),
        Shape::Value(_) | Shape::Block(_) if node.multiple && optional => {
            // An optional list inside a block: written only when given.
            let mut present = node.clone();
            present.optional = false;
            let v = format_ident!("__list");
            present.ident = v.clone();
            let write = encode(&present, target, false);
            return quote!(if let ::core::option::Option::Some(#v) = #ident { #write });
        }
        Shape::Value(kind) if node.multiple => {
            let item = format_ident!("__item");
            if node.multiple_token {
                let push = push_value(*kind, target, &quote!(#item));
                quote!(for #item in #ident { #token #push })
            } else if *kind == Kind::Key {
                quote!(#token #target.push_keys(&#ident);)
            } else {
                quote!(#token #target.push_args(&#ident);)
            }
        }
        Shape::Value(kind) => {
            if optional {
                let v = format_ident!("__v");
                let push = push_value(*kind, target, &quote!(#v));
                return quote!(if let ::core::option::Option::Some(#v) = #ident { #token #push });
            }
            let push = push_value(*kind, target, &quote!(#ident));
            quote!(#token #push)
        }
        Shape::Block(members) if node.multiple => match keyed_block(members) {
            // MSET's key/value pairs: record where the keys are, for cluster routing.
            Some(key_at) => {
                let width = members.len();
                quote!(#token #target.push_key_blocks(&#ident, #width, #key_at);)
            }
            None => quote!(#token #target.push_args(&#ident);),
        },
        Shape::Block(members) if optional => {
            // An optional block inside a block is present when its first member is given.
            let members = optional_members(members, true);
            let parts = members.iter().map(|m| encode(m, target, true));
            let Some(first) = members.first() else {
                return TokenStream::new();
            };
            let f = &first.ident;
            let present = match first.shape {
                Shape::Flag => quote!(::sider::__private::flag(&#f)),
                _ => quote!(#f.is_some()),
            };
            return quote!(if #present { #token #(#parts)* });
        }
        Shape::Block(members) => {
            let parts = members.iter().map(|m| encode(m, target, true));
            quote!(#token #(#parts)*)
        }
        Shape::OneOf(_) if node.multiple => {
            quote!(for __item in #ident { #token #target.push_args(&__item); })
        }
        Shape::OneOf(_) if optional => {
            return quote!(if let ::core::option::Option::Some(__v) = &#ident { #token #target.push_args(__v); });
        }
        Shape::OneOf(_) => quote!(#token #target.push_args(&#ident);),
    };
    if optional {
        // Only flags reach here: optional values returned above.
        quote!(if ::sider::__private::flag(&#ident) { #body })
    } else {
        body
    }
}

/// The members of a block; all optional when the block itself is an optional block member.
fn optional_members(members: &[Node], optional: bool) -> Vec<Node> {
    members
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.optional |= optional;
            m
        })
        .collect()
}

pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}
