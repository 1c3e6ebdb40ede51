//! Code generation from the checked [`Model`]: one trait with a method per command, a builder per
//! command with options, an enum per `oneof`, and a table of command facts.

mod args;
mod builder;
mod combine;
mod enums;

pub use combine::single_reply;

use crate::model::{Also, Command, Model, Node, Shape};
use args::{encode, params, Place};
use builder::{field, first_deferred};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub struct Options {
    pub vis: syn::Visibility,
    pub trait_name: Ident,
}

pub fn generate(model: &Model, options: &Options) -> TokenStream {
    let vis = &options.vis;
    let trait_name = &options.trait_name;
    let methods = model.commands.iter().map(method);
    let builders = model
        .commands
        .iter()
        .filter(|c| c.has_builder())
        .map(builder::builder);
    let enums = model.commands.iter().map(enums::enums);
    let choices = model
        .choices
        .iter()
        .map(|c| enums::choice(c, &model.commands, trait_name));
    let infos = model.commands.iter().map(info);
    let info_refs = model.commands.iter().map(info_ident);
    let tracked = model.files.iter().map(|p| {
        let path = p.display().to_string();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    let trait_doc = format!(
        "Typed Redis commands, generated from the spec ({} commands). Implemented for every \
         [`Dispatch`](::sider::Dispatch): the client, pipelines and transactions.",
        model.commands.len()
    );
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_name: ::sider::Dispatch {
            #(#methods)*
        }

        impl<D: ::sider::Dispatch> #trait_name for D {}

        #(#builders)*
        #(#choices)*
        #(#enums)*
        #(#infos)*

        /// What the spec says of each command: name, group, version, and the flags the client
        /// uses for routing and retries.
        #vis static COMMANDS: &[&::sider::CommandInfo] = &[#(&#info_refs),*];

        #(#tracked)*
    }
}

/// The type names generating `command` defines: its builder, its enums, its options' traits.
pub fn type_names(command: &Command) -> Vec<String> {
    let mut names = enums::enum_names(command);
    if command.has_builder() {
        names.push(command.camel.clone());
    }
    names.extend(
        combine::combined(command)
            .iter()
            .map(|c| c.trait_ident.to_string()),
    );
    names
}

/// A type as a user writes it, for docs: `Option<String>`, not
/// `::core::option::Option<::std::string::String>`.
pub fn rust_type(ty: &TokenStream) -> String {
    match syn::parse2::<syn::Type>(ty.clone()) {
        Ok(ty) => render(&ty),
        Err(_) => ty.to_string(),
    }
}

fn render(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Tuple(t) => {
            let elems: Vec<String> = t.elems.iter().map(render).collect();
            match elems.as_slice() {
                [one] => format!("({one},)"),
                all => format!("({})", all.join(", ")),
            }
        }
        syn::Type::Path(p) => match p.path.segments.last() {
            Some(last) => {
                let args = match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => {
                        let args: Vec<String> = a
                            .args
                            .iter()
                            .map(|arg| match arg {
                                syn::GenericArgument::Type(t) => render(t),
                                other => quote!(#other).to_string(),
                            })
                            .collect();
                        format!("<{}>", args.join(", "))
                    }
                    _ => String::new(),
                };
                format!("{}{args}", last.ident)
            }
            None => quote!(#p).to_string(),
        },
        syn::Type::Paren(p) => render(&p.elem),
        other => quote!(#other).to_string(),
    }
}

fn info_ident(command: &Command) -> Ident {
    format_ident!("__INFO_{}", command.method.to_string().to_ascii_uppercase())
}

fn info(command: &Command) -> TokenStream {
    let ident = info_ident(command);
    let name = &command.name;
    let group = &command.group;
    let version = |v: &Option<String>| match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let redis = version(&command.versions.redis);
    let valkey = version(&command.versions.valkey);
    let method = command.method.to_string();
    let f = command.flags;
    let bits: u16 = [
        f.readonly,
        f.write,
        f.blocking,
        f.cacheable,
        f.admin,
        f.pubsub,
        f.noscript,
        f.fast,
        f.no_cluster,
        f.exclusive,
    ]
    .iter()
    .enumerate()
    .map(|(i, &set)| u16::from(set) << i)
    .sum();
    let timeout = match &command.timeout {
        Some(t) => quote!(::core::option::Option::Some(#t)),
        None => quote!(::core::option::Option::None),
    };
    let first_key = key_position(command);
    // The name's words as RESP bulk strings, written into every command in one copy.
    let words: Vec<&str> = command.name.split(' ').filter(|w| !w.is_empty()).collect();
    let mut encoded = Vec::new();
    for word in &words {
        encoded.extend_from_slice(format!("${}\r\n{word}\r\n", word.len()).as_bytes());
    }
    let encoded = proc_macro2::Literal::byte_string(&encoded);
    let word_count = words.len();
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        pub static #ident: ::sider::CommandInfo = ::sider::CommandInfo::__new(
            #name, #method, #group, #redis, #valkey, #bits, #timeout, #first_key, #encoded, #word_count,
        );
    }
}

/// How many words one element of a counted argument is: 1 for a value, the members (and their
/// tokens) of a block. Validation allows counting only blocks of plain members.
pub fn count_width(node: &crate::model::Node) -> usize {
    match &node.shape {
        Shape::Block(members) => members
            .iter()
            .map(|m| 1 + usize::from(m.token.is_some()))
            .sum(),
        _ => 1,
    }
}

/// The argument index of the first key when it is at a fixed position (name words counted), or 0.
fn key_position(command: &Command) -> usize {
    let mut index = command.name.split(' ').count();
    for arg in &command.args {
        if arg.optional
            || arg.multiple && !matches!(arg.shape, Shape::Value(crate::model::Kind::Key))
        {
            return 0;
        }
        if arg.token.is_some() {
            index += 1;
        }
        match &arg.shape {
            Shape::Value(crate::model::Kind::Key) => return index,
            Shape::Value(_) | Shape::Count(_) => index += 1,
            Shape::Flag => {}
            _ => return 0,
        }
    }
    0
}

/// The method's docs: the spec's line, the facts, and what the caller needs to find: the builder
/// and its options, the enums its choices take, and its other methods.
fn docs(command: &Command, also: Option<&Also>) -> TokenStream {
    let slug = command.name.to_ascii_lowercase().replace(' ', "-");
    let summary = also.map_or(&command.doc, |a| &a.doc);
    let mut lines = vec![summary.clone(), String::new()];
    let mut facts = format!("{} · {}", command.versions.describe(), command.group);
    if let Some(c) = &command.complexity {
        facts.push_str(&format!(" · {c}"));
    }
    facts.push_str(&format!(" · <https://redis.io/commands/{slug}/>"));
    lines.push(facts);
    if let Some(d) = &command.deprecated {
        lines.push(String::new());
        lines.push(format!("**Deprecated** since {d}."));
    }
    if command.flags.blocking {
        lines.push(String::new());
        lines.push("Blocking: waits for data up to its timeout.".to_owned());
    }
    if command.flags.exclusive {
        lines.push(String::new());
        lines.push(
            "Changes the connection's state, so it is only available on a connection held alone."
                .to_owned(),
        );
    }
    let choices = choice_types(command);
    if !choices.is_empty() {
        let listed: Vec<String> = choices
            .iter()
            .map(|(ty, args)| {
                let args: Vec<String> = args.iter().map(|a| format!("`{a}`")).collect();
                format!("[`{ty}`] ({})", args.join(", "))
            })
            .collect();
        lines.push(String::new());
        lines.push(format!("Choices: {}.", listed.join(", ")));
    }
    if command.has_builder() {
        let opts: Vec<String> = command
            .args
            .iter()
            .filter(|a| a.optional)
            .flat_map(|a| {
                let mut names = vec![format!("`.{}()`", a.name)];
                if let Shape::OneOf(alts) = &a.shape {
                    names.extend(alts.iter().map(|x| format!("`.{}()`", x.name)));
                }
                names
            })
            .collect();
        lines.push(String::new());
        lines.push(format!(
            "Returns a [`{}`] builder with the options {}.",
            command.camel,
            opts.join(", ")
        ));
    }
    match also {
        Some(_) => {
            lines.push(String::new());
            lines.push(format!(
                "Replies `{}`; [`{m}`](Self::{m}) gives the reply as the server sends it.",
                rust_type(&command.also_reply(also).ty),
                m = command.method
            ));
        }
        None if !command.also.is_empty() => {
            let others: Vec<String> = command
                .also
                .iter()
                .map(|a| {
                    format!(
                        "[`{m}`](Self::{m}) (`{}`)",
                        rust_type(&a.reply.ty),
                        m = a.method
                    )
                })
                .collect();
            lines.push(String::new());
            lines.push(format!("Typed reading: {}.", others.join(", ")));
        }
        None => {}
    }
    quote!(#(#[doc = #lines])*)
}

/// The enum types the command's arguments take (shared choices and its own, at any depth), each
/// with the names of the arguments that take it, in order of first appearance.
fn choice_types(command: &Command) -> Vec<(String, Vec<String>)> {
    fn walk(node: &Node, prefix: &str, out: &mut Vec<(String, Vec<String>)>) {
        match &node.shape {
            Shape::OneOf(alts) => {
                let ty = args::enum_ident(prefix, node).to_string();
                match out.iter_mut().find(|(t, _)| *t == ty) {
                    Some((_, names)) => names.push(node.name.clone()),
                    None => out.push((ty.clone(), vec![node.name.clone()])),
                }
                if node.choice.is_none() {
                    for alt in alts {
                        if let Shape::Block(members) = &alt.shape {
                            let sub = format!("{ty}{}", alt.camel);
                            for m in members {
                                walk(m, &sub, out);
                            }
                        } else if let Shape::OneOf(_) = alt.shape {
                            walk(alt, &ty, out);
                        }
                    }
                }
            }
            Shape::Block(members) => {
                let sub = format!("{prefix}{}", node.camel);
                for m in members {
                    walk(m, &sub, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for node in &command.args {
        walk(node, &command.camel, &mut out);
    }
    out
}

/// A top-level required `oneof` whose enum converts from a plain value: the method takes
/// `impl Into<Enum>`, so `client.xadd(key, "*", ...)` reads as the server's syntax does.
fn into_param(node: &Node, command: &Command) -> Option<Ident> {
    match &node.shape {
        Shape::OneOf(alts)
            if !node.optional && !node.multiple && enums::from_arg_variant(alts).is_some() =>
        {
            Some(args::enum_ident(&command.camel, node))
        }
        _ => None,
    }
}

fn method(command: &Command) -> TokenStream {
    let mut out = method_as(command, None);
    for also in &command.also {
        out.extend(method_as(command, Some(also)));
    }
    out
}

/// The command's method, or one of its `also` methods: the same arguments, another name and
/// reply.
fn method_as(command: &Command, also: Option<&Also>) -> TokenStream {
    let name = also.map_or(&command.method, |a| &a.method);
    let docs = docs(command, also);
    let reply = command.also_reply(also);
    let generics = if reply.generics.is_empty() {
        TokenStream::new()
    } else {
        let bounds = reply.bounds(&reply.generics);
        quote!(<#(#bounds),*>)
    };
    let reply = &reply.ty;
    let mut ps = Vec::new();
    let mut conversions = Vec::new();
    for a in command.args.iter().filter(|a| !a.optional) {
        match into_param(a, command) {
            Some(e) => {
                let ident = &a.ident;
                ps.push(args::Param {
                    ident: ident.clone(),
                    ty: quote!(impl ::core::convert::Into<#e>),
                    convert: args::Convert::Same,
                });
                conversions.push(quote!(let #ident: #e = ::core::convert::Into::into(#ident);));
            }
            None => ps.extend(params(a, &command.camel, Place::Method, false)),
        }
    }
    let names = ps.iter().map(|p| &p.ident);
    let tys = ps.iter().map(|p| &p.ty);
    let info = info_ident(command);
    let deprecated = deprecated_attr(command);
    let exclusive = if command.flags.exclusive {
        quote!(where Self: ::sider::__private::Exclusive)
    } else {
        TokenStream::new()
    };

    // Arguments counted by a `count` argument are written to a fragment first.
    let counted: Vec<&str> = command
        .args
        .iter()
        .filter_map(|a| match &a.shape {
            Shape::Count(of) => Some(of.as_str()),
            _ => None,
        })
        .collect();
    let mut pre = conversions;
    for node in &command.args {
        if counted.contains(&node.name.as_str()) {
            let frag = format_ident!("__count_{}", node.ident);
            let write = encode(node, &quote!(#frag), false);
            pre.push(quote!(let mut #frag = ::sider::Cmd::fragment(); #write));
        }
    }
    let write_arg = |node: &crate::model::Node, target: TokenStream| -> TokenStream {
        match &node.shape {
            Shape::Count(of) => {
                let frag = format_ident!("__count_{}", args::ident(of));
                // `FIELDS numfields`: the token goes before the number.
                let token = node.token.as_ref().map(|t| quote!(#target.push_arg(#t);));
                // A repeated block (`field value` pairs) counts its elements, not its words.
                let width = command
                    .args
                    .iter()
                    .find(|a| &a.name == of)
                    .map_or(1, count_width);
                quote!(
                    #token
                    #target.push_arg(&((#frag.arg_count() / #width) as ::core::primitive::i64));
                )
            }
            _ if counted.contains(&node.name.as_str()) => {
                let frag = format_ident!("__count_{}", node.ident);
                quote!(#target.append(#frag);)
            }
            _ => encode(node, &target, false),
        }
    };

    if !command.has_builder() {
        let writes = command.args.iter().map(|a| write_arg(a, quote!(cmd)));
        return quote! {
            #docs
            #deprecated
            fn #name #generics (mut self, #(#names: #tys),*) -> Self::Out<#reply> #exclusive {
                #(#pre)*
                let mut cmd = ::sider::Dispatch::new_cmd(&mut self, &#info);
                #(#writes)*
                ::sider::Dispatch::dispatch(self, cmd)
            }
        };
    }
    let builder = format_ident!("{}", command.camel);
    let first = first_deferred(command);
    let head = command
        .args
        .iter()
        .take(first)
        .map(|a| write_arg(a, quote!(cmd)));
    let fields = command.args.iter().enumerate().skip(first).map(|(i, a)| {
        let f = field(i);
        if a.optional && matches!(a.shape, Shape::Flag) {
            quote!(#f: false)
        } else {
            quote!(#f: ::sider::__private::Frag::new())
        }
    });
    let tail = command
        .args
        .iter()
        .enumerate()
        .skip(first)
        .filter(|(_, a)| !a.optional)
        .map(|(i, a)| {
            let f = field(i);
            write_arg(a, quote!(built.#f))
        });
    quote! {
        #docs
        #deprecated
        fn #name #generics (mut self, #(#names: #tys),*) -> #builder<Self, #reply> #exclusive {
            #(#pre)*
            let mut cmd = ::sider::Dispatch::new_cmd(&mut self, &#info);
            #(#head)*
            #[allow(unused_mut)]
            let mut built = #builder {
                sink: self,
                cmd,
                #(#fields,)*
                reply: ::core::marker::PhantomData,
            };
            #(#tail)*
            built
        }
    }
}

/// `#[deprecated]` for a command the spec marks deprecated (`"6.2.0: use GETDEL"`), so that a
/// call names what to use instead.
pub(crate) fn deprecated_attr(command: &Command) -> TokenStream {
    let Some(text) = &command.deprecated else {
        return TokenStream::new();
    };
    match text.split_once(':') {
        Some((since, note)) => {
            let (since, note) = (since.trim(), note.trim());
            quote!(#[deprecated(since = #since, note = #note)])
        }
        None => quote!(#[deprecated(note = #text)]),
    }
}
