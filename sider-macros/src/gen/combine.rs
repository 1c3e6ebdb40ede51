//! Reply-changing options that meet in one command: the reply type follows what the server sends
//! whatever order the options are called in.
//!
//! With one reply-changing option (or the alternatives of one `oneof`, which replace each other),
//! the last call sets the reply and that is always right. When two different options change the
//! reply to different types, the order matters: `SET ... NX GET` replies with the old value, so
//! `.get_old().nx()` must stay `Option<V>`, not become `bool`. Such options each get a hidden
//! trait (`SetGetOldCombinesWith`: named so that a refused pair reads as what it is in the
//! compiler's "trait bounds were not satisfied" note), implemented for the reply types the builder
//! can be in when the option is called:
//!
//! - the command's own reply: the option's reply;
//! - the option's reply (called twice, or after an option with the same reply): the same;
//! - the reply of an option that `overrides` this one: that reply, which stays;
//! - the reply of an option this one `overrides`: this option's reply.
//!
//! A pair with no `overrides` either way is one the server refuses (`LCS ... LEN IDX`), so the
//! trait has no impl for it and the second call does not compile, with a message saying why.
//! One case cannot be refused: a reply type that is an instance of another impl's self type
//! (`GEORADIUS` replies `Vec<M>`, and `WITHCOORD` makes it `Vec<Value>`; `HRANDFIELD`'s
//! `count_withvalues` makes `Vec<(F, V)>`, a `Vec<F>`) matches that impl, so an option called
//! after it compiles and the server refuses the pair at run time.

use crate::model::{Command, Node, Reply, Shape};
use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{format_ident, quote};

/// A reply-changing option of a command that has several.
pub struct Combined<'a> {
    pub node: &'a Node,
    pub reply: &'a Reply,
    pub trait_ident: Ident,
}

/// The reply-changing options of `command` that need a trait, or none when the order of calls
/// cannot change the reply (at most one such option, or all with the same reply).
pub fn combined(command: &Command) -> Vec<Combined<'_>> {
    let options: Vec<(&Node, &Reply)> = command
        .args
        .iter()
        .filter(|a| a.optional)
        .filter_map(|a| single_reply(a).map(|r| (a, r)))
        .collect();
    let first = options.first().map(|(_, r)| r.ty.to_string());
    if options.len() < 2 || options.iter().all(|(_, r)| Some(r.ty.to_string()) == first) {
        return Vec::new();
    }
    options
        .into_iter()
        .map(|(node, reply)| Combined {
            node,
            reply,
            trait_ident: format_ident!("{}{}CombinesWith", command.camel, node.camel),
        })
        .collect()
}

/// The reply an optional argument changes to: its own, or the one all its alternatives share.
/// (Validation makes sure options of commands with several reply-changing options have one.)
pub fn single_reply(node: &Node) -> Option<&Reply> {
    if let Some(reply) = &node.reply {
        return Some(reply);
    }
    match &node.shape {
        Shape::OneOf(alts) => alts.iter().find_map(|a| a.reply.as_ref()),
        _ => None,
    }
}

/// The option's own type parameters: those of its reply that the command's reply does not have
/// (`get_old`'s `V`). The others (`HRANDFIELD`'s `F` in `count`'s `Vec<F>`) come from the
/// builder's reply so far, as the options that reuse them always did.
pub fn own_generics<'a>(command: &Command, reply: &'a Reply) -> Vec<&'a Ident> {
    reply
        .generics
        .iter()
        .filter(|g| !command.reply.generics.contains(g))
        .collect()
}

/// The trait of one option and its impls, as described in the module doc.
pub fn option_trait(command: &Command, all: &[Combined<'_>], this: &Combined<'_>) -> TokenStream {
    let trait_ident = &this.trait_ident;
    let own = own_generics(command, this.reply);
    let shared: Vec<Ident> = this
        .reply
        .generics
        .iter()
        .filter(|g| !own.contains(g))
        .cloned()
        .collect();
    // This option's reply, with the parameters it shares with the builder's reply taken from the
    // impl's self type.
    let out = rename(&this.reply.ty, &shared);
    let base = &command.reply;
    let mut impls = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut add = |self_reply: &Reply, out_ty: &TokenStream, impls: &mut Vec<TokenStream>| {
        // The self type's own parameters are renamed, so that they never clash with the trait's.
        let renamed = rename(&self_reply.ty, &self_reply.generics);
        let key = renamed.to_string();
        if seen.contains(&key) {
            return;
        }
        seen.push(key);
        let hashed = |g: &Ident| self_reply.hashed.contains(g) || this.reply.hashed.contains(g);
        let bound = |name: Ident, g: &Ident| {
            if hashed(g) {
                quote!(#name: ::sider::FromReply + ::core::cmp::Eq + ::core::hash::Hash)
            } else {
                quote!(#name: ::sider::FromReply)
            }
        };
        let bounds = self_reply
            .generics
            .iter()
            .map(|g| bound(suffixed(g), g))
            .chain(own.iter().map(|g| bound((*g).clone(), g)));
        impls.push(quote! {
            impl<#(#bounds),*> #trait_ident<#(#own),*> for #renamed {
                type Out = #out_ty;
            }
        });
    };
    add(base, &out, &mut impls);
    if !instance_of(&this.reply.ty, base) {
        add(this.reply, &out, &mut impls);
    }
    for other in all {
        let same = other.reply.ty.to_string() == this.reply.ty.to_string();
        if std::ptr::eq(other.node, this.node) || same || instance_of(&other.reply.ty, base) {
            continue;
        }
        if other.node.overrides.contains(&this.node.name) {
            // That option's reply stays.
            let stays = rename(&other.reply.ty, &other.reply.generics);
            add(other.reply, &stays, &mut impls);
        } else if this.node.overrides.contains(&other.node.name)
            && shared.iter().all(|g| other.reply.generics.contains(g))
        {
            add(other.reply, &out, &mut impls);
        }
    }
    let message = format!(
        "`{}`: `.{}()` cannot follow an option that changes the reply to `{{Self}}`",
        command.name, this.node.name
    );
    let note = format!(
        "the server refuses `{}` with both options; call only one of them",
        command.name
    );
    quote! {
        #[doc(hidden)]
        #[diagnostic::on_unimplemented(message = #message, label = "the builder's reply so far", note = #note)]
        pub trait #trait_ident<#(#own),*> {
            type Out: ::sider::FromReply;
        }
        #(#impls)*
    }
}

/// `V` as `V__`: a parameter of an impl's self type.
fn suffixed(ident: &Ident) -> Ident {
    format_ident!("{}__", ident)
}

/// `ty` with each of `generics` renamed by [`suffixed`].
fn rename(ty: &TokenStream, generics: &[Ident]) -> TokenStream {
    ty.clone()
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) if generics.contains(&ident) => {
                TokenTree::Ident(suffixed(&ident))
            }
            TokenTree::Group(group) => {
                let mut out =
                    proc_macro2::Group::new(group.delimiter(), rename(&group.stream(), generics));
                out.set_span(group.span());
                TokenTree::Group(out)
            }
            other => other,
        })
        .collect()
}

/// Whether `ty` is the command's reply with its caller-picked types filled in (`Vec<Value>` of
/// `Vec<M>`): then the impl for the command's reply covers it, and an impl of its own would
/// overlap.
fn instance_of(ty: &TokenStream, base: &Reply) -> bool {
    match (
        syn::parse2::<syn::Type>(ty.clone()),
        syn::parse2::<syn::Type>(base.ty.clone()),
    ) {
        (Ok(ty), Ok(pattern)) => matches(&pattern, &ty, &base.generics),
        _ => false,
    }
}

fn matches(pattern: &syn::Type, ty: &syn::Type, wild: &[Ident]) -> bool {
    use syn::{GenericArgument, PathArguments, Type};
    match (pattern, ty) {
        (Type::Path(p), _) if p.qself.is_none() && wild.iter().any(|w| p.path.is_ident(w)) => true,
        (Type::Path(p), Type::Path(t)) => {
            p.path.segments.len() == t.path.segments.len()
                && p.path
                    .segments
                    .iter()
                    .zip(&t.path.segments)
                    .all(|(ps, ts)| {
                        ps.ident == ts.ident
                            && match (&ps.arguments, &ts.arguments) {
                                (PathArguments::None, PathArguments::None) => true,
                                (
                                    PathArguments::AngleBracketed(pa),
                                    PathArguments::AngleBracketed(ta),
                                ) => {
                                    pa.args.len() == ta.args.len()
                                        && pa.args.iter().zip(&ta.args).all(|(a, b)| match (a, b) {
                                            (
                                                GenericArgument::Type(a),
                                                GenericArgument::Type(b),
                                            ) => matches(a, b, wild),
                                            _ => false,
                                        })
                                }
                                _ => false,
                            }
                    })
        }
        (Type::Tuple(p), Type::Tuple(t)) => {
            p.elems.len() == t.elems.len()
                && p.elems
                    .iter()
                    .zip(&t.elems)
                    .all(|(a, b)| matches(a, b, wild))
        }
        (Type::Paren(p), _) => matches(&p.elem, ty, wild),
        (_, Type::Paren(t)) => matches(pattern, &t.elem, wild),
        _ => false,
    }
}
