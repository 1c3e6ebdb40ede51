//! Reply types: the spec's `reply` strings parsed into fully spelled Rust types.

use super::Ctxt;
use crate::model::Reply;
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use toml::Spanned;

/// Parses a reply type such as `Vec<Option<V>>` into a fully spelled Rust type.
pub(super) fn parse_reply(cx: &mut Ctxt<'_>, reply: &Spanned<String>) -> Option<Reply> {
    let ty: syn::Type = match syn::parse_str(reply.get_ref()) {
        Ok(ty) => ty,
        Err(e) => {
            cx.error(
                reply,
                format_args!("reply `{}` is not a type: {e}", reply.get_ref()),
            );
            return None;
        }
    };
    let mut generics = Vec::new();
    let mut hashed = Vec::new();
    match map_type(&ty, &mut generics, &mut hashed, false) {
        Ok(ty) => Some(Reply {
            ty,
            generics,
            hashed,
        }),
        Err(msg) => {
            cx.error(reply, msg);
            None
        }
    }
}

fn map_type(
    ty: &syn::Type,
    generics: &mut Vec<Ident>,
    hashed: &mut Vec<Ident>,
    hash: bool,
) -> Result<TokenStream, String> {
    match ty {
        syn::Type::Tuple(t) => {
            let elems = t
                .elems
                .iter()
                .map(|e| map_type(e, generics, hashed, hash))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(quote!((#(#elems,)*)))
        }
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let seg = &p.path.segments[0];
            let name = seg.ident.to_string();
            let args: Vec<TokenStream> = match &seg.arguments {
                syn::PathArguments::None => Vec::new(),
                syn::PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .enumerate()
                    .map(|(i, arg)| match arg {
                        syn::GenericArgument::Type(t) => {
                            let key = (name == "Map" && i == 0) || name == "Set";
                            map_type(t, generics, hashed, key)
                        }
                        _ => Err(format!(
                            "unexpected generic argument in reply type `{name}`"
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                syn::PathArguments::Parenthesized(_) => {
                    return Err(format!("unexpected `(...)` after `{name}` in reply type"))
                }
            };
            let arity = |n: usize| -> Result<(), String> {
                if args.len() == n {
                    Ok(())
                } else {
                    Err(format!(
                        "`{name}` takes {n} type argument(s) in a reply type"
                    ))
                }
            };
            Ok(match name.as_str() {
                "i64" | "u64" | "f64" | "bool" => {
                    arity(0)?;
                    let id = &seg.ident;
                    quote!(::core::primitive::#id)
                }
                "String" => {
                    arity(0)?;
                    quote!(::std::string::String)
                }
                "Bytes" => {
                    arity(0)?;
                    quote!(::sider::__private::Bytes)
                }
                "Value" => {
                    arity(0)?;
                    quote!(::sider::Value)
                }
                // Typed readings of the codes some commands reply (see `reply/expiry.rs`).
                "Ttl" | "FieldExpire" | "FieldPersist" => {
                    arity(0)?;
                    let id = &seg.ident;
                    quote!(::sider::#id)
                }
                "Option" => {
                    arity(1)?;
                    let a = &args[0];
                    quote!(::core::option::Option<#a>)
                }
                "Vec" => {
                    arity(1)?;
                    let a = &args[0];
                    quote!(::std::vec::Vec<#a>)
                }
                "Set" => {
                    arity(1)?;
                    let a = &args[0];
                    quote!(::std::collections::HashSet<#a>)
                }
                "Map" => {
                    arity(2)?;
                    let (k, v) = (&args[0], &args[1]);
                    quote!(::std::collections::HashMap<#k, #v>)
                }
                single if single.len() == 1 && single.chars().all(|c| c.is_ascii_uppercase()) => {
                    arity(0)?;
                    if !generics.iter().any(|g| g == &seg.ident) {
                        generics.push(seg.ident.clone());
                    }
                    if hash && !hashed.iter().any(|g| g == &seg.ident) {
                        hashed.push(seg.ident.clone());
                    }
                    let id = &seg.ident;
                    quote!(#id)
                }
                other => {
                    return Err(format!(
                        "unknown reply type `{other}` (expected (), i64, u64, f64, bool, String, Bytes, Value, Ttl, FieldExpire, FieldPersist, Option, Vec, Map, Set, tuples, or a single capital letter for a caller-picked type)"
                    ))
                }
            })
        }
        _ => Err("reply types are names, generics and tuples only".to_owned()),
    }
}
