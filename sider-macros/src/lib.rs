//! Procedural macros for sider: they read the declarative Redis command spec and generate the
//! typed command API. Use them through `sider`, which re-exports [`commands!`].
//!
//! The macro works in three stages, each in its own module: `spec` parses the TOML files,
//! `validate` checks them and builds the `model`, `gen` writes Rust from the model.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod gen;
mod model;
mod spec;
#[cfg(test)]
mod tests;
mod validate;

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use std::path::{Path, PathBuf};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token, Visibility};

/// `commands! { pub trait Commands; spec = "commands"; }`
struct Input {
    vis: Visibility,
    trait_name: Ident,
    spec: Vec<LitStr>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let vis: Visibility = input.parse()?;
        input.parse::<Token![trait]>()?;
        let trait_name: Ident = input.parse()?;
        input.parse::<Token![;]>()?;
        let mut spec = Vec::new();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "spec" {
                return Err(syn::Error::new(key.span(), "expected `spec = \"path\";`"));
            }
            input.parse::<Token![=]>()?;
            spec.push(input.parse()?);
            input.parse::<Token![;]>()?;
        }
        if spec.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "name the spec: `spec = \"commands\";` (a folder of .toml files, or one file)",
            ));
        }
        Ok(Input {
            vis,
            trait_name,
            spec,
        })
    }
}

/// Generates a trait of typed command methods from spec files.
///
/// ```text
/// sider::commands! {
///     pub trait RediSearch;
///     spec = "redisearch.toml";   // relative to the crate's Cargo.toml; a folder reads every .toml in it
/// }
/// ```
#[proc_macro]
pub fn commands(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    expand(input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

fn expand(input: Input) -> syn::Result<proc_macro2::TokenStream> {
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .map_err(|_| syn::Error::new(Span::call_site(), "CARGO_MANIFEST_DIR is not set"))?;
    let mut sources = Vec::new();
    for lit in &input.spec {
        for (path, display) in resolve(&root, lit)? {
            let source =
                spec::Source::load(&path, display).map_err(|e| syn::Error::new(lit.span(), e))?;
            let parsed = toml::from_str::<spec::File>(&source.text);
            sources.push((source, parsed));
        }
    }
    let (model, errors) = validate::check(sources);
    let options = gen::Options {
        vis: input.vis,
        trait_name: input.trait_name,
    };
    let code = gen::generate(&model, &options);
    let span = input.spec[0].span();
    let errors = errors.0.iter().map(|e| {
        let msg = LitStr::new(e, span);
        quote::quote_spanned!(span=> ::core::compile_error!(#msg);)
    });
    Ok(quote!(#code #(#errors)*))
}

/// The spec files a literal names: the file itself, or every `.toml` in the folder, sorted.
fn resolve(root: &Path, lit: &LitStr) -> syn::Result<Vec<(PathBuf, String)>> {
    let rel = lit.value();
    if Path::new(&rel).is_absolute() {
        return Err(syn::Error::new(
            lit.span(),
            "spec paths are relative to the crate's Cargo.toml",
        ));
    }
    let path = root.join(&rel);
    let path = path.canonicalize().map_err(|e| {
        syn::Error::new(
            lit.span(),
            format!("cannot find spec `{}`: {e}", path.display()),
        )
    })?;
    if path.is_file() {
        return Ok(vec![(path, rel)]);
    }
    let entries = std::fs::read_dir(&path).map_err(|e| {
        syn::Error::new(lit.span(), format!("cannot read `{}`: {e}", path.display()))
    })?;
    let mut files: Vec<(PathBuf, String)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (p, format!("{}/{name}", rel.trim_end_matches('/')))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            format!("no .toml files in `{}`", path.display()),
        ));
    }
    Ok(files)
}
