//! One Rust enum per `oneof`, and one per shared `[[choice]]`, implementing `ToArgs`. A variant
//! with values also gets a constructor function that takes payloads as any `ToArg`; an enum
//! where one variant alone takes a value, a payload, converts from any `ToArg` into it.

use super::args::{encode, enum_ident, params, Convert, Place};
use crate::model::{Choice, Command, Node, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Every enum the command's arguments need, nested ones included; not the shared choices,
/// which [`choice`] generates once.
pub fn enums(command: &Command) -> TokenStream {
    let mut out = TokenStream::new();
    for node in &command.args {
        collect(node, &command.camel, &mut |node, prefix, alts| {
            let doc = format!(
                "The choices for `{}` of [`{}`](https://redis.io/commands/{}/).",
                node.name,
                command.name,
                command.name.to_ascii_lowercase().replace(' ', "-")
            );
            // A plain value converts into an option's enum too, but the option's own methods
            // are what a caller uses (`.ifeq(value)`, not `.condition("value".into())`).
            out.extend(one_enum(node, prefix, alts, &doc, !node.optional));
        });
    }
    out
}

/// The enum of a shared choice, with the nested enums of its alternatives. Its doc names the
/// commands and arguments that take it, with links to their methods in `trait_name`.
pub fn choice(choice: &Choice, commands: &[Command], trait_name: &Ident) -> TokenStream {
    let Shape::OneOf(alts) = &choice.node.shape else {
        return TokenStream::new();
    };
    let mut users = Vec::new();
    for command in commands {
        let mut args = Vec::new();
        for node in &command.args {
            names_using(node, &choice.node.camel, &mut args);
        }
        if !args.is_empty() {
            let args: Vec<String> = args.iter().map(|a| format!("`{a}`")).collect();
            users.push(format!(
                "[`{m}`]({trait_name}::{m}) ({})",
                args.join(", "),
                m = command.method
            ));
        }
    }
    let doc = format!("{}\n\nTaken by {}.", choice.doc, users.join(", "));
    let name = &choice.node.camel;
    let mut out = one_enum(&choice.node, name, alts, &doc, true);
    for alt in alts {
        collect_inside(alt, name, &mut |node, prefix, alts| {
            let doc = format!(
                "The choices for `{}` in [`{name}`]'s `{}`.",
                node.name, alt.name
            );
            out.extend(one_enum(node, prefix, alts, &doc, !node.optional));
        });
    }
    out
}

/// The names of the arguments (at any depth) that are the choice `name`.
fn names_using(node: &Node, name: &str, out: &mut Vec<String>) {
    if node.choice.as_deref() == Some(name) {
        out.push(node.name.clone());
    }
    if let Shape::OneOf(members) | Shape::Block(members) = &node.shape {
        if node.choice.is_none() {
            for m in members {
                names_using(m, name, out);
            }
        }
    }
}

/// The type names an enum of the command gets, for checking choices against them.
pub fn enum_names(command: &Command) -> Vec<String> {
    let mut names = Vec::new();
    for node in &command.args {
        collect(node, &command.camel, &mut |node, prefix, _| {
            names.push(enum_ident(prefix, node).to_string());
        });
    }
    names
}

/// Calls `each` with every `oneof` of its own under `node` (not the shared choices).
fn collect(node: &Node, prefix: &str, each: &mut dyn FnMut(&Node, &str, &[Node])) {
    if node.choice.is_some() {
        return;
    }
    match &node.shape {
        Shape::OneOf(alts) => {
            each(node, prefix, alts);
            let sub = enum_ident(prefix, node).to_string();
            for alt in alts {
                collect_inside(alt, &sub, each);
            }
        }
        Shape::Block(members) => {
            let sub = format!("{prefix}{}", node.camel);
            for m in members {
                collect(m, &sub, each);
            }
        }
        _ => {}
    }
}

/// Inside an enum, an alternative's own nested oneofs are named after the enum.
fn collect_inside(alt: &Node, prefix: &str, each: &mut dyn FnMut(&Node, &str, &[Node])) {
    match &alt.shape {
        Shape::OneOf(_) => collect(alt, prefix, each),
        Shape::Block(members) => {
            let sub = format!("{prefix}{}", alt.camel);
            for m in members {
                collect(m, &sub, each);
            }
        }
        _ => {}
    }
}

/// The alternative that a plain value converts into: the only one that takes a value, when that
/// value is one payload (`XADD`'s ID: `*` or an explicit ID, so `"1-1"` is the ID).
pub fn from_arg_variant(alts: &[Node]) -> Option<&Node> {
    let mut valued = alts
        .iter()
        .filter(|a| !params(a, "", Place::Enum, false).is_empty());
    let only = valued.next()?;
    let payload = matches!(
        only.shape,
        Shape::Value(crate::model::Kind::Key | crate::model::Kind::Bytes)
    );
    (valued.next().is_none() && payload && !only.multiple).then_some(only)
}

fn one_enum(node: &Node, prefix: &str, alts: &[Node], doc: &str, convert: bool) -> TokenStream {
    let name = enum_ident(prefix, node);
    let sub = name.to_string();
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut ctors = Vec::new();
    for alt in alts {
        let v = format_ident!("{}", alt.camel);
        // An alternative that is a plain value or a block is a tuple variant of its parameters.
        let ps = match &alt.shape {
            Shape::Block(_) | Shape::Value(_) | Shape::OneOf(_) => {
                params(alt, &sub, Place::Enum, false)
            }
            _ => Vec::new(),
        };
        let said = match &alt.token {
            Some(t) => format!("`{t}`"),
            None => format!("`{}`", alt.name),
        };
        let alt_doc = match &alt.doc {
            Some(d) => format!("{said}: {d}"),
            None => said,
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
            ctors.push(ctor(alt, &sub, &v));
        }
    }
    let unit_only = ctors.is_empty();
    let derives = if unit_only {
        quote!(#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)])
    } else {
        quote!(#[derive(Clone, Debug, PartialEq)])
    };
    let ctors = if unit_only {
        TokenStream::new()
    } else {
        quote!(impl #name { #(#ctors)* })
    };
    let from = from_arg_variant(alts).filter(|_| convert).map(|alt| {
        let v = format_ident!("{}", alt.camel);
        quote! {
            /// A plain value is the alternative that takes one.
            impl<T: ::sider::ToArg> ::core::convert::From<T> for #name {
                fn from(value: T) -> Self {
                    Self::#v(::sider::__private::arg_bytes(&value))
                }
            }
        }
    });
    quote! {
        #[doc = #doc]
        #derives
        pub enum #name {
            #(#variants,)*
        }

        #ctors
        #from

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

/// `Trim::minid(id)`: the variant, with payloads taken as any `ToArg`.
fn ctor(alt: &Node, sub: &str, v: &Ident) -> TokenStream {
    let ps = params(alt, sub, Place::Ctor, false);
    let f = &alt.ident;
    let names = ps.iter().map(|p| &p.ident);
    let tys = ps.iter().map(|p| &p.ty);
    let values = ps.iter().map(|p| p.converted());
    let doc = if ps.iter().any(|p| p.convert != Convert::Same) {
        format!("[`Self::{v}`], from any argument value (`&str`, `String`, bytes, numbers).")
    } else {
        format!("[`Self::{v}`].")
    };
    quote! {
        #[doc = #doc]
        pub fn #f(#(#names: #tys),*) -> Self {
            Self::#v(#(#values),*)
        }
    }
}
