//! One Rust enum per `oneof`, implementing `ToArgs`.

use super::args::{encode, enum_ident, params, Place};
use crate::model::{Command, Node, Shape};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Every enum the command's arguments need, nested ones included.
pub fn enums(command: &Command) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &command.args {
        collect(node, &command.camel, command, &mut out);
    }
    out
}

fn collect(node: &Node, prefix: &str, command: &Command, out: &mut TokenStream) {
    match &node.shape {
        Shape::OneOf(alts) => {
            out.extend(one_enum(node, prefix, alts, command));
            let sub = enum_ident(prefix, node).to_string();
            for alt in alts {
                collect_inside(alt, &sub, command, out);
            }
        }
        Shape::Block(members) => {
            let sub = format!("{prefix}{}", node.camel);
            for m in members {
                collect(m, &sub, command, out);
            }
        }
        _ => {}
    }
}

/// Inside an enum, an alternative's own nested oneofs are named after the enum.
fn collect_inside(alt: &Node, prefix: &str, command: &Command, out: &mut TokenStream) {
    match &alt.shape {
        Shape::OneOf(_) => collect(alt, prefix, command, out),
        Shape::Block(members) => {
            let sub = format!("{prefix}{}", alt.camel);
            for m in members {
                collect(m, &sub, command, out);
            }
        }
        _ => {}
    }
}

fn one_enum(node: &Node, prefix: &str, alts: &[Node], command: &Command) -> TokenStream {
    let name = enum_ident(prefix, node);
    let sub = name.to_string();
    let doc = format!(
        "The choices for `{}` of [`{}`](https://redis.io/commands/{}/).",
        node.name,
        command.name,
        command.name.to_ascii_lowercase().replace(' ', "-")
    );
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    for alt in alts {
        let v = format_ident!("{}", alt.camel);
        // An alternative that is a plain value or a block is a tuple variant of its parameters.
        let ps = match &alt.shape {
            Shape::Block(_) | Shape::Value(_) | Shape::OneOf(_) => {
                params(alt, &sub, Place::Enum, false)
            }
            _ => Vec::new(),
        };
        let alt_doc = match &alt.token {
            Some(t) => format!("`{t}`"),
            None => format!("`{}`", alt.name),
        };
        let target = quote!(cmd);
        let body = encode(alt, &target, false);
        if ps.is_empty() {
            variants.push(quote!(#[doc = #alt_doc] #v));
            arms.push(quote!(Self::#v => { #body }));
        } else {
            let tys = ps.iter().map(|p| &p.ty);
            let binds: Vec<_> = ps.iter().map(|p| &p.ident).collect();
            variants.push(quote!(#[doc = #alt_doc] #v(#(#tys),*)));
            arms.push(quote!(Self::#v(#(#binds),*) => { #body }));
        }
    }
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#variants,)*
        }

        impl ::sider::ToArgs for #name {
            #[allow(unused_variables)]
            fn write_args(&self, cmd: &mut ::sider::Cmd) {
                match self {
                    #(#arms)*
                }
            }
        }

        impl ::sider::ToArgs for &#name {
            fn write_args(&self, cmd: &mut ::sider::Cmd) {
                ::sider::ToArgs::write_args(*self, cmd);
            }
        }
    }
}
