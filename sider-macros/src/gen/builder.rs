//! The builder a command with options returns: options as methods, sent by `.await` (through
//! `IntoFuture`) or, in a pipeline, by the next command or `execute()`.

use super::args::{encode, enum_ident, params, Place};
use crate::model::{Command, Node, Reply, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// Field name of the top-level argument at `index`.
pub fn field(index: usize) -> Ident {
    format_ident!("a{}", index)
}

/// Index of the first argument that is stored in a field rather than written at once.
pub fn first_deferred(command: &Command) -> usize {
    command
        .args
        .iter()
        .position(|a| a.optional)
        .unwrap_or(command.args.len())
}

pub fn builder(command: &Command) -> TokenStream {
    let name = format_ident!("{}", command.camel);
    let first = first_deferred(command);
    let deferred: Vec<(usize, &Node)> = command.args.iter().enumerate().skip(first).collect();
    let field_defs = deferred.iter().map(|(i, node)| {
        let f = field(*i);
        if node.optional && matches!(node.shape, Shape::Flag) {
            quote!(#f: ::core::primitive::bool)
        } else {
            quote!(#f: ::sider::__private::Frag)
        }
    });
    let moves: Vec<TokenStream> = deferred
        .iter()
        .map(|(i, _)| {
            let f = field(*i);
            quote!(#f: self.#f)
        })
        .collect();
    let finish_parts = deferred.iter().map(|(i, node)| {
        let f = field(*i);
        if node.optional && matches!(node.shape, Shape::Flag) {
            let token = node.token.clone().unwrap_or_default();
            quote!(if self.#f { cmd.push_arg(#token); })
        } else {
            quote!(self.#f.append_to(&mut cmd);)
        }
    });

    let mut general = Vec::new();
    let mut by_base = Vec::new();
    let combined = super::combine::combined(command);
    let traits = combined
        .iter()
        .map(|c| super::combine::option_trait(command, &combined, c));
    for (i, node) in &deferred {
        if !node.optional {
            continue;
        }
        let f = field(*i);
        let combo = combined.iter().find(|c| std::ptr::eq(c.node, *node));
        for option in options(command, node, &f) {
            let reply = option.reply.clone().or_else(|| node.reply.clone());
            let Opt { sig, body, doc, .. } = option;
            match (&reply, combo) {
                (None, _) => general.push(quote! {
                    #[doc = #doc]
                    pub fn #sig -> Self { #body self }
                }),
                (Some(_), Some(combo)) => {
                    general.push(through_trait(command, &name, combo, sig, body, doc, &moves));
                }
                (Some(reply), None) => {
                    let (method, in_base) =
                        reply_changing(command, &name, reply, sig, body, doc, &moves);
                    if in_base {
                        by_base.push(method);
                    } else {
                        general.push(method);
                    }
                }
            }
        }
    }

    let struct_doc = format!(
        "The `{}` command with its options; see [`{}`](Self) methods. Send it with `.await` on a \
         client, or keep chaining in a pipeline.",
        command.name, command.camel
    );
    let base_ty = &command.reply.ty;
    let base_bounds = command.reply.bounds(&command.reply.generics);
    let base_impl = if by_base.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            impl<S: ::sider::Dispatch, #(#base_bounds),*> #name<S, #base_ty> {
                #(#by_base)*
            }
        }
    };
    quote! {
        #[doc = #struct_doc]
        #[must_use = "a command does nothing until it is awaited or executed"]
        #[derive(Debug)]
        pub struct #name<S, R> {
            sink: S,
            cmd: ::sider::Cmd,
            #(#field_defs,)*
            reply: ::core::marker::PhantomData<fn() -> R>,
        }

        impl<S: ::sider::Dispatch, R: ::sider::FromReply> #name<S, R> {
            #(#general)*
        }

        #base_impl

        #(#traits)*

        impl<S: ::sider::Dispatch, R: ::sider::FromReply> ::sider::__private::Builder for #name<S, R> {
            type Done = <S as ::sider::Dispatch>::Out<R>;
            fn finish(self) -> Self::Done {
                let mut cmd = self.cmd;
                #(#finish_parts)*
                ::sider::Dispatch::dispatch::<R>(self.sink, cmd)
            }
        }

        impl<S: ::sider::Dispatch, R: ::sider::FromReply> ::core::future::IntoFuture for #name<S, R>
        where
            <S as ::sider::Dispatch>::Out<R>: ::core::future::IntoFuture,
        {
            type Output = <<S as ::sider::Dispatch>::Out<R> as ::core::future::IntoFuture>::Output;
            type IntoFuture = <<S as ::sider::Dispatch>::Out<R> as ::core::future::IntoFuture>::IntoFuture;
            fn into_future(self) -> Self::IntoFuture {
                ::core::future::IntoFuture::into_future(::sider::__private::Builder::finish(self))
            }
        }
    }
}

struct Opt {
    /// `name(mut self, params...)`
    sig: TokenStream,
    body: TokenStream,
    doc: String,
    /// The reply this option switches to, when it is an alternative with a `reply` of its own.
    reply: Option<crate::model::Reply>,
}

/// The methods of one optional argument.
fn options(command: &Command, node: &Node, f: &Ident) -> Vec<Opt> {
    let target = quote!(self.#f);
    let ident = &node.ident;
    let token_doc = |n: &Node| match &n.token {
        Some(t) => format!("Adds `{t}`."),
        None => format!("Sets `{}`.", n.name),
    };
    let with_doc = |n: &Node, fallback: String| {
        let doc = n.doc.clone().unwrap_or(fallback);
        match &n.versions {
            Some(v) => format!("{doc} {}.", v.describe()),
            None => doc,
        }
    };
    match &node.shape {
        Shape::Flag => vec![Opt {
            sig: quote!(#ident(mut self)),
            body: quote!(self.#f = true;),
            doc: with_doc(node, token_doc(node)),
            reply: None,
        }],
        Shape::Value(_) | Shape::Block(_) => {
            // One value (or block) a call: repeatable options append, others replace.
            let mut single = node.clone();
            single.multiple = false;
            let ps = params(&single, &command.camel, Place::Method, false);
            let names = ps.iter().map(|p| &p.ident);
            let tys = ps.iter().map(|p| &p.ty);
            let sig = quote!(#ident(mut self, #(#names: #tys),*));
            let body = if node.multiple {
                let mut rest = single.clone();
                let token = rest.token.take();
                let write = encode(&rest, &target, false);
                match token {
                    Some(t) if !node.multiple_token => {
                        quote!(if self.#f.arg_count() == 0 { self.#f.push_arg(#t); } #write)
                    }
                    Some(t) => quote!(self.#f.push_arg(#t); #write),
                    None => write,
                }
            } else {
                let write = encode(&single, &target, false);
                quote!(self.#f.clear(); #write)
            };
            let doc = if node.multiple {
                format!("{} Call it again to add more.", token_doc(node))
            } else {
                token_doc(node)
            };
            vec![Opt {
                sig,
                body,
                doc: with_doc(node, doc),
                reply: None,
            }]
        }
        Shape::OneOf(alts) => {
            let e = enum_ident(&command.camel, node);
            let sub = e.to_string();
            let token = node.token.as_ref().map(|t| quote!(self.#f.push_arg(#t);));
            let reset = if node.multiple {
                TokenStream::new()
            } else {
                quote!(self.#f.clear();)
            };
            let mut out = vec![Opt {
                sig: quote!(#ident(mut self, value: #e)),
                body: quote!(#reset #token self.#f.push_args(&value);),
                doc: with_doc(node, format!("Sets `{}` to one of its choices.", node.name))
                    + &format!(" Choices: [`{e}`]."),
                reply: None,
            }];
            for alt in alts {
                let a = &alt.ident;
                let ps = params(alt, &sub, Place::Method, false);
                let names = ps.iter().map(|p| &p.ident);
                let tys = ps.iter().map(|p| &p.ty);
                let write = encode(alt, &target, false);
                out.push(Opt {
                    sig: quote!(#a(mut self, #(#names: #tys),*)),
                    body: quote!(#reset #token #write),
                    doc: with_doc(alt, token_doc(alt)),
                    reply: alt.reply.clone(),
                });
            }
            out
        }
        Shape::Count(_) => Vec::new(),
    }
}

/// An option that changes the reply type. Returns the method and whether it belongs in the impl
/// for the base reply (when the new reply reuses the base reply's caller-picked types).
fn reply_changing(
    command: &Command,
    name: &Ident,
    reply: &Reply,
    sig: TokenStream,
    body: TokenStream,
    doc: String,
    moves: &[TokenStream],
) -> (TokenStream, bool) {
    let base = &command.reply.generics;
    let in_base = reply.generics.iter().any(|g| base.contains(g));
    let own: Vec<&Ident> = reply
        .generics
        .iter()
        .filter(|g| !(in_base && base.contains(g)))
        .collect();
    let ty = &reply.ty;
    // Insert the option's own type parameters after the method name.
    let mut tokens = sig.into_iter();
    let method_name = tokens.next();
    let rest: TokenStream = tokens.collect();
    let generics = if own.is_empty() {
        TokenStream::new()
    } else {
        let bounds = reply.bounds(own.iter().copied());
        quote!(<#(#bounds),*>)
    };
    let doc = format!("{doc} Changes the reply to `{}`.", super::rust_type(ty));
    let method = quote! {
        #[doc = #doc]
        pub fn #method_name #generics #rest -> #name<S, #ty> {
            #body
            #name {
                sink: self.sink,
                cmd: self.cmd,
                #(#moves,)*
                reply: ::core::marker::PhantomData,
            }
        }
    };
    (method, in_base)
}

/// An option of a command with several reply-changing options: its reply type comes from its
/// trait (see `combine.rs`), so it follows the options called before it.
fn through_trait(
    command: &Command,
    name: &Ident,
    combo: &super::combine::Combined<'_>,
    sig: TokenStream,
    body: TokenStream,
    doc: String,
    moves: &[TokenStream],
) -> TokenStream {
    let trait_ident = &combo.trait_ident;
    let own = super::combine::own_generics(command, combo.reply);
    let mut tokens = sig.into_iter();
    let method_name = tokens.next();
    let rest: TokenStream = tokens.collect();
    let generics = if own.is_empty() {
        TokenStream::new()
    } else {
        let bounds = combo.reply.bounds(own.iter().copied());
        quote!(<#(#bounds),*>)
    };
    let ty = &combo.reply.ty;
    let mut doc = format!("{doc} Changes the reply to `{}`", super::rust_type(ty));
    if !combo.node.overrides.is_empty() {
        let over: Vec<String> = combo
            .node
            .overrides
            .iter()
            .map(|o| format!("`.{o}()`"))
            .collect();
        doc.push_str(&format!(", before or after {}", over.join(", ")));
    }
    doc.push('.');
    quote! {
        #[doc = #doc]
        pub fn #method_name #generics #rest -> #name<S, <R as #trait_ident<#(#own),*>>::Out>
        where
            R: #trait_ident<#(#own),*>,
        {
            #body
            #name {
                sink: self.sink,
                cmd: self.cmd,
                #(#moves,)*
                reply: ::core::marker::PhantomData,
            }
        }
    }
}
