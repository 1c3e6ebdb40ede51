//! Unit tests of the three stages on small specs written here, and of the generated docs over
//! sider's own spec (`commands/`).

use crate::{gen, spec, validate};
use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use std::path::PathBuf;

type Parsed = (spec::Source, Result<spec::File, toml::de::Error>);

fn parse(name: &str, text: &str) -> Parsed {
    let source = spec::Source {
        path: PathBuf::from(name),
        display: name.to_owned(),
        text: text.to_owned(),
    };
    (source, toml::from_str::<spec::File>(text))
}

/// Checks the files; returns the model and every error.
fn check(files: &[(&str, &str)]) -> (crate::model::Model, Vec<String>) {
    let parsed = files.iter().map(|(n, t)| parse(n, t)).collect();
    let (model, errors) = validate::check(parsed);
    (model, errors.0)
}

/// Checks and generates a spec that must be valid; the code parses as Rust.
fn generate(files: &[(&str, &str)]) -> TokenStream {
    let (model, errors) = check(files);
    assert!(errors.is_empty(), "{errors:#?}");
    let options = gen::Options {
        vis: syn::parse_quote!(pub),
        trait_name: Ident::new("Commands", Span::call_site()),
    };
    let code = gen::generate(&model, &options);
    if let Err(e) = syn::parse2::<syn::File>(code.clone()) {
        panic!("the generated code is not Rust: {e}\n{code}");
    }
    code
}

/// Every `#[doc = "..."]` string in the code, in order.
fn docs(code: &TokenStream) -> Vec<String> {
    fn walk(tokens: TokenStream, out: &mut Vec<String>) {
        for tree in tokens {
            if let TokenTree::Group(group) = tree {
                if group.delimiter() == Delimiter::Bracket {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    if let [TokenTree::Ident(doc), TokenTree::Punct(eq), TokenTree::Literal(lit)] =
                        inner.as_slice()
                    {
                        if doc == "doc" && eq.as_char() == '=' {
                            let lit: syn::LitStr = syn::parse_str(&lit.to_string())
                                .unwrap_or_else(|e| panic!("doc literal {lit}: {e}"));
                            out.push(lit.value());
                            continue;
                        }
                    }
                }
                walk(group.stream(), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(code.clone(), &mut out);
    out
}

/// The code with its spacing removed, for looking for a fragment.
fn squash(code: &TokenStream) -> String {
    code.to_string().replace(' ', "")
}

const LISTS: &str = r#"
group = "list"

[[choice]]
name = "Side"
doc = "An end of a list."
oneof = [
  { name = "left", token = "LEFT", doc = "The head." },
  { name = "right", token = "RIGHT" },
]

[[command]]
name = "LMOVE"
doc = "Moves an element."
since = "6.2.0"
reply = "Option<V>"

[[command.arg]]
name = "source"
kind = "key"

[[command.arg]]
name = "destination"
kind = "key"

[[command.arg]]
name = "wherefrom"
choice = "Side"

[[command.arg]]
name = "whereto"
choice = "Side"

[[command]]
name = "LMPOP"
doc = "Pops elements."
since = "7.0.0"
reply = "Option<(K, Vec<V>)>"

[[command.arg]]
name = "numkeys"
kind = "count"
of = "key"

[[command.arg]]
name = "key"
kind = "key"
multiple = true

[[command.arg]]
name = "end"
choice = "Side"

[[command.arg]]
name = "count"
kind = "integer"
token = "COUNT"
optional = true
"#;

const STREAMS: &str = r#"
group = "stream"

[[choice]]
name = "Trim"
doc = "How to trim a stream."
oneof = [
  { name = "maxlen", token = "MAXLEN", kind = "integer" },
  { name = "maxlen_approx", token = "MAXLEN", block = [
    { name = "approx", token = "~" },
    { name = "count", kind = "integer" },
  ] },
  { name = "minid", token = "MINID", kind = "string" },
]

[[command]]
name = "XADD"
doc = "Appends an entry."
since = "5.0.0"
reply = "String"

[[command.arg]]
name = "key"
kind = "key"

[[command.arg]]
name = "nomkstream"
token = "NOMKSTREAM"
optional = true
reply = "Option<String>"

[[command.arg]]
name = "trim"
optional = true
choice = "Trim"

[[command.arg]]
name = "id"
oneof = [
  { name = "auto", token = "*" },
  { name = "id", kind = "string" },
]

[[command.arg]]
name = "field_value"
multiple = true
block = [
  { name = "field", kind = "string" },
  { name = "value", kind = "string" },
]

[[command]]
name = "XTRIM"
doc = "Trims a stream."
since = "5.0.0"
reply = "i64"

[[command.arg]]
name = "key"
kind = "key"

[[command.arg]]
name = "trim"
choice = "Trim"

[[command]]
name = "PTTL"
doc = "Returns milliseconds to live."
since = "2.6.0"
reply = "i64"

[[command.arg]]
name = "key"
kind = "key"

[[command.also]]
method = "pttl_typed"
reply = "Ttl"
doc = "Returns how long a key has left to live."
"#;

#[test]
fn spec_files_parse_choices_and_also() {
    let (_, parsed) = parse("lists.toml", LISTS);
    let file = parsed.unwrap();
    assert_eq!(file.choice.len(), 1);
    assert_eq!(file.choice[0].name.get_ref(), "Side");
    assert_eq!(file.choice[0].oneof.len(), 2);
    let choices: Vec<Option<&String>> = file.command[0]
        .arg
        .iter()
        .map(|a| a.choice.as_ref().map(|c| c.get_ref()))
        .collect();
    assert_eq!(
        choices,
        [None, None, Some(&"Side".into()), Some(&"Side".into())]
    );

    let (_, parsed) = parse("streams.toml", STREAMS);
    let file = parsed.unwrap();
    let pttl = &file.command[2];
    assert_eq!(pttl.also.len(), 1);
    assert_eq!(pttl.also[0].method.get_ref(), "pttl_typed");

    // Unknown fields in the new tables are errors, as everywhere in the spec.
    let (_, parsed) = parse(
        "typo.toml",
        "group = \"g\"\n[[choice]]\nname = \"Side\"\ndoc = \"d\"\noneof = []\nalts = 1\n",
    );
    let err = parsed.unwrap_err().to_string();
    assert!(err.contains("unknown field `alts`"), "{err}");
}

#[test]
fn a_choice_is_one_enum_for_every_argument_that_names_it() {
    let code = generate(&[("lists.toml", LISTS)]);
    let flat = squash(&code);
    assert_eq!(flat.matches("pubenumSide{").count(), 1, "{code}");
    assert!(!flat.contains("LmoveWherefrom") && !flat.contains("LmpopEnd"));
    // Unit-only enums are `Copy`, so one value serves both ends of LMOVE.
    assert!(flat.contains("#[derive(Clone,Copy,Debug,PartialEq,Eq,Hash)]pubenumSide"));
    assert!(flat.contains("wherefrom:Side,whereto:Side"), "{code}");
    assert!(flat.contains("end:Side"));
    let docs = docs(&code);
    // The enum says who takes it; the methods link it.
    assert!(docs.iter().any(|d| d.contains(
        "Taken by [`lmove`](Commands::lmove) (`wherefrom`, `whereto`), [`lmpop`](Commands::lmpop) (`end`)."
    )), "{docs:#?}");
    assert!(docs
        .iter()
        .any(|d| d == "Choices: [`Side`] (`wherefrom`, `whereto`)."));
    assert!(docs.iter().any(|d| d == "`LEFT`: The head."));
}

#[test]
fn choices_are_checked() {
    let bad = r#"
group = "g"

[[choice]]
name = "side"
doc = "Lower case."
oneof = [{ name = "a", token = "A" }, { name = "b", token = "B" }]

[[choice]]
name = "Unused"
doc = "No argument names it."
oneof = [{ name = "a", token = "A" }, { name = "b", token = "B" }]

[[choice]]
name = "Lonely"
doc = "One alternative."
oneof = [{ name = "a", token = "A" }]

[[choice]]
name = "Widget"
doc = "The name of a command's builder."
oneof = [{ name = "a", token = "A" }, { name = "b", token = "B" }]

[[command]]
name = "WIDGET"
doc = "A command with a builder."
since = "1.0.0"
reply = "()"

[[command.arg]]
name = "c"
choice = "Widget"
optional = true

[[command]]
name = "BROKEN"
doc = "A command."
since = "1.0.0"
reply = "()"

[[command.arg]]
name = "a"
choice = "Sidee"

[[command.arg]]
name = "b"
choice = "Widget"
oneof = [{ name = "x", token = "X" }, { name = "y", token = "Y" }]
"#;
    let (_, errors) = check(&[("bad.toml", bad)]);
    let expect = [
        "bad.toml:5:8: choice `side`: a choice is named like a Rust type, in CamelCase",
        "bad.toml:10:8: choice `Unused`: no argument names it; use it with `choice = \"Unused\"`",
        "bad.toml:15:8: choice `Lonely`: a choice needs at least two alternatives",
        "bad.toml:20:8: choice `Widget`: `WIDGET` generates a type of that name; pick another",
        "bad.toml:43:10: BROKEN: unknown choice `Sidee` (the spec's choices: Unused, Widget)",
        "bad.toml:46:8: BROKEN: an argument has only one of `kind`, `oneof`, `choice` and `block`",
    ];
    for e in expect {
        assert!(
            errors.iter().any(|got| got.starts_with(e)),
            "missing {e:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");

    // Defined twice, in two files.
    let one = "group = \"g\"\n[[choice]]\nname = \"Side\"\ndoc = \"d\"\noneof = [{ name = \"a\", token = \"A\" }, { name = \"b\", token = \"B\" }]\n";
    let (_, errors) = check(&[("a.toml", one), ("b.toml", one)]);
    assert!(
        errors.iter().any(|e| e
            .starts_with("b.toml:3:8: choice `Side`: choice `Side` is also defined at a.toml:3:8")),
        "{errors:#?}"
    );
}

#[test]
fn a_choice_in_another_file_is_found() {
    let side = "group = \"g\"\n[[choice]]\nname = \"Side\"\ndoc = \"An end.\"\noneof = [{ name = \"left\", token = \"LEFT\" }, { name = \"right\", token = \"RIGHT\" }]\n";
    let user = "group = \"g\"\n[[command]]\nname = \"LPOSX\"\ndoc = \"d\"\nsince = \"1.0.0\"\nreply = \"()\"\n[[command.arg]]\nname = \"side\"\nchoice = \"Side\"\noptional = true\n";
    let code = generate(&[("b.toml", user), ("a.toml", side)]);
    let flat = squash(&code);
    // An optional choice is a builder method per alternative, as a `oneof` is.
    assert!(flat.contains("pubfnleft(mutself,)"), "{code}");
    assert!(flat.contains("pubfnside(mutself,value:Side)"), "{code}");
}

#[test]
fn trim_reads_as_builder_methods_and_constructors() {
    let code = generate(&[("streams.toml", STREAMS)]);
    let flat = squash(&code);
    for method in [
        "pubfnmaxlen(mutself,maxlen:::core::primitive::i64)",
        "pubfnmaxlen_approx(mutself,count:::core::primitive::i64)",
        "pubfnminid(mutself,minid:impl::sider::ToArg)",
    ] {
        assert!(flat.contains(method), "no {method} in {code}");
    }
    // The enum owns its payload, and its constructors take any argument value.
    assert!(flat.contains("Minid(::sider::__private::Bytes)"));
    assert!(flat.contains(
        "pubfnminid(minid:impl::sider::ToArg)->Self{Self::Minid(::sider::__private::arg_bytes(&minid))}"
    ), "{code}");
    assert!(flat.contains("pubfnmaxlen_approx(count:::core::primitive::i64)->Self"));
    // XTRIM takes the choice as a parameter.
    assert!(flat.contains("fnxtrim(mutself,key:impl::sider::ToArg,trim:Trim)"));
}

#[test]
fn a_one_payload_choice_converts_from_a_plain_value() {
    let code = generate(&[("streams.toml", STREAMS)]);
    let flat = squash(&code);
    assert!(flat.contains(
        "impl<T:::sider::ToArg>::core::convert::From<T>forXaddId{fnfrom(value:T)->Self{Self::Id(::sider::__private::arg_bytes(&value))}}"
    ), "{code}");
    assert!(
        flat.contains("id:impl::core::convert::Into<XaddId>"),
        "{code}"
    );
    assert!(flat.contains("letid:XaddId=::core::convert::Into::into(id);"));
    // Trim has several alternatives with values: no conversion, which one would be a guess.
    assert!(!flat.contains("forTrim{fnfrom"));
}

#[test]
fn also_methods_share_the_command_with_another_reply() {
    let code = generate(&[("streams.toml", STREAMS)]);
    let flat = squash(&code);
    assert!(
        flat.contains("fnpttl(mutself,key:impl::sider::ToArg)->Self::Out<::core::primitive::i64>")
    );
    assert!(flat.contains("fnpttl_typed(mutself,key:impl::sider::ToArg)->Self::Out<::sider::Ttl>"));
    // One command, one entry in COMMANDS.
    assert_eq!(flat.matches("pubstatic__INFO_PTTL").count(), 1);
    assert_eq!(flat.matches("__INFO_PTTL_TYPED").count(), 0);
    let docs = docs(&code);
    assert!(docs
        .iter()
        .any(|d| d == "Typed reading: [`pttl_typed`](Self::pttl_typed) (`Ttl`)."));
    assert!(docs.iter().any(
        |d| d == "Replies `Ttl`; [`pttl`](Self::pttl) gives the reply as the server sends it."
    ));
}

#[test]
fn also_is_checked() {
    let spec = r#"
group = "g"

[[command]]
name = "SETX"
doc = "d"
since = "1.0.0"
reply = "()"

[[command.arg]]
name = "get_old"
token = "GET"
optional = true
reply = "Option<V>"

[[command.also]]
method = "setx_typed"
reply = "bool"
doc = "d"

[[command]]
name = "GETX"
doc = "d"
since = "1.0.0"
reply = "()"

[[command.also]]
method = "setx"
reply = "Tll"
doc = ""
"#;
    let (_, errors) = check(&[("also.toml", spec)]);
    let expect = [
        "also.toml:17:10: SETX: `also` is for commands whose options leave the reply as it is",
        "also.toml:30:7: GETX: `doc` needs a one-line description",
        "also.toml:29:9: GETX: unknown reply type `Tll`",
    ];
    for e in expect {
        assert!(
            errors.iter().any(|got| got.starts_with(e)),
            "missing {e:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    let spec = spec
        .replace(
            "reply = \"Tll\"\ndoc = \"\"",
            "reply = \"Ttl\"\ndoc = \"d\"",
        )
        .replace(
            "[[command.also]]\nmethod = \"setx_typed\"\nreply = \"bool\"\ndoc = \"d\"",
            "",
        );
    let (_, errors) = check(&[("also.toml", &spec)]);
    assert!(
        errors.iter().any(|e| e.starts_with(
            "also.toml:25:10: GETX: method `setx` is also generated by the entry at also.toml:5:8"
        )),
        "{errors:#?}"
    );
}

#[test]
fn types_in_docs_read_as_written() {
    let cases = [
        (
            quote::quote!(::core::option::Option<::std::string::String>),
            "Option<String>",
        ),
        (
            quote::quote!(::std::collections::HashMap<F, ::std::vec::Vec<(::core::primitive::i64, V,)>>),
            "HashMap<F, Vec<(i64, V)>>",
        ),
        (quote::quote!(()), "()"),
        (quote::quote!((::sider::__private::Bytes,)), "(Bytes,)"),
        (quote::quote!(::std::vec::Vec<::sider::Ttl>), "Vec<Ttl>"),
    ];
    for (ty, want) in cases {
        assert_eq!(gen::rust_type(&ty), want);
    }
    let code = generate(&[("streams.toml", STREAMS)]);
    let docs = docs(&code);
    assert!(
        docs.iter()
            .any(|d| d == "Adds `NOMKSTREAM`. Changes the reply to `Option<String>`."),
        "{docs:#?}"
    );
}

/// sider's own spec: valid, and every doc line reads as a person writes it.
#[test]
fn sider_spec_docs_read_like_user_code() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../commands");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // a packaged crate has no spec beside it
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let code = generate(&refs);
    let docs = docs(&code);
    for doc in &docs {
        // Link targets are not shown; the text is.
        let shown: String = doc
            .split("](")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once(')').map_or("", |(_, rest)| rest)
                }
            })
            .collect::<String>()
            .replace(" <https://", " https://");
        for noise in ["::core", "::std", "::sider", "__private"] {
            assert!(!shown.contains(noise), "`{noise}` in the doc line {doc:?}");
        }
        // Where the generator renders a type, it is spaced as code is written.
        let mut types: Vec<&str> = ["reply to `", "Replies `"]
            .iter()
            .filter_map(|marker| shown.split_once(marker))
            .filter_map(|(_, rest)| rest.split('`').next())
            .collect();
        if shown.starts_with("Typed reading: ") {
            types.extend(
                shown
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .filter(|t| !t.contains('_')),
            );
        }
        for ty in types {
            for noise in [" <", "< ", " >", " ,", "::"] {
                assert!(
                    !ty.contains(noise),
                    "`{noise}` in `{ty}` of the doc line {doc:?}"
                );
            }
        }
    }
    for line in [
        // XADD NOMKSTREAM, SET GET, and an option of a command with several (LCS LEN).
        "Do not create the stream if it does not exist; the reply is then None. Changes the reply to `Option<String>`.",
        "Choices: [`Side`] (`wherefrom`, `whereto`).",
        "Choices: [`Trim`] (`trim`), [`XaddId`] (`id`).",
        "Typed reading: [`pttl_typed`](Self::pttl_typed) (`Ttl`).",
        "Typed reading: [`hexpire_typed`](Self::hexpire_typed) (`Vec<FieldExpire>`).",
    ] {
        assert!(docs.iter().any(|d| d == line), "no doc line {line:?}");
    }
    assert!(
        docs.iter()
            .any(|d| d.contains("Changes the reply to `Option<V>`, before or after")),
        "SET's get_old"
    );
}
