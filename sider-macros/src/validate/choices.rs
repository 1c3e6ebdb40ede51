//! Shared choices (`[[choice]]`: one `Side` for every LEFT/RIGHT argument) and a command's extra
//! methods (`[[command.also]]`: `pttl_typed` beside `pttl`).

use super::{check_arg, check_name, parse_reply, Ctxt};
use crate::model::{Also, Choice, Command, Node, Shape};
use crate::spec::{self, Source};
use proc_macro2::{Ident, Span};
use std::collections::{BTreeMap, BTreeSet, HashMap};

type Files = [(Source, Result<spec::File, toml::de::Error>)];

/// Checks every `[[choice]]` of every file; returns the valid ones by name.
pub(super) fn check_choices(files: &Files, errors: &mut Vec<String>) -> BTreeMap<String, Choice> {
    let none = BTreeMap::new();
    let mut out = BTreeMap::new();
    let mut first_at: HashMap<String, String> = HashMap::new();
    for (source, parsed) in files {
        let Ok(file) = parsed else { continue };
        for choice in &file.choice {
            let name = choice.name.get_ref();
            let mut cx = Ctxt {
                source,
                errors: &mut *errors,
                command: format!("choice `{name}`"),
                choices: &none,
            };
            let here = source.position(&choice.name.span());
            if let Some(first) = first_at.insert(name.clone(), here) {
                cx.error(
                    &choice.name,
                    format_args!("choice `{name}` is also defined at {first}"),
                );
                continue;
            }
            if let Some(checked) = check_choice(&mut cx, choice) {
                out.insert(name.clone(), checked);
            }
        }
    }
    out
}

/// Whether `name` can be a Rust type name: `Side`, `Trim`, `GeoUnit`.
fn is_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && name != "Self"
}

fn check_choice(cx: &mut Ctxt<'_>, choice: &spec::Choice) -> Option<Choice> {
    let errors_before = cx.errors.len();
    let name = choice.name.get_ref();
    if !is_type_name(name) {
        cx.error(
            &choice.name,
            "a choice is named like a Rust type, in CamelCase: `Side`, `Trim`",
        );
    }
    if choice.doc.get_ref().trim().is_empty() {
        cx.error(&choice.doc, "`doc` needs a one-line description");
    }
    if choice.oneof.len() < 2 {
        cx.error(&choice.name, "a choice needs at least two alternatives");
    }
    let mut alts = Vec::new();
    let mut seen = BTreeSet::new();
    for alt in &choice.oneof {
        if !seen.insert(alt.name.get_ref().clone()) {
            cx.error(
                &alt.name,
                format_args!("alternative `{}` appears twice", alt.name.get_ref()),
            );
        }
        if let Some(nested) = &alt.choice {
            cx.error(
                nested,
                "a choice's alternatives cannot name another choice; spell them out",
            );
            continue;
        }
        if let Some(node) = check_arg(cx, alt, false, false) {
            alts.push(node);
        }
    }
    if cx.errors.len() > errors_before {
        return None;
    }
    Some(Choice {
        doc: choice.doc.get_ref().trim().to_owned(),
        node: Node {
            name: name.clone(),
            ident: Ident::new(&name.to_ascii_lowercase(), Span::call_site()),
            camel: name.clone(),
            token: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            shape: Shape::OneOf(alts),
            choice: Some(name.clone()),
            reply: None,
            doc: None,
            overrides: Vec::new(),
            versions: None,
        },
    })
}

/// Every choice is used, and none has the name of a type the commands generate.
pub(super) fn check_uses(
    files: &Files,
    choices: &BTreeMap<String, Choice>,
    commands: &[Command],
    errors: &mut Vec<String>,
) {
    let mut used = BTreeSet::new();
    for command in commands {
        for node in &command.args {
            uses(node, &mut used);
        }
    }
    let generated: BTreeMap<String, &str> = commands
        .iter()
        .flat_map(|c| {
            crate::gen::type_names(c)
                .into_iter()
                .map(move |t| (t, c.name.as_str()))
        })
        .collect();
    for (source, parsed) in files {
        let Ok(file) = parsed else { continue };
        for choice in &file.choice {
            let name = choice.name.get_ref();
            if !choices.contains_key(name) {
                continue;
            }
            let position = source.position(&choice.name.span());
            if !used.contains(name) {
                errors.push(format!(
                    "{position}: choice `{name}`: no argument names it; use it with \
                     `choice = \"{name}\"` or remove it"
                ));
            }
            if let Some(command) = generated.get(name) {
                errors.push(format!(
                    "{position}: choice `{name}`: `{command}` generates a type of that name; \
                     pick another"
                ));
            }
        }
    }
}

fn uses(node: &Node, used: &mut BTreeSet<String>) {
    if let Some(choice) = &node.choice {
        used.insert(choice.clone());
    }
    match &node.shape {
        Shape::OneOf(members) | Shape::Block(members) => {
            for m in members {
                uses(m, used);
            }
        }
        _ => {}
    }
}

/// The command's `also` methods: each a method name, a doc line and a reply type; only for
/// commands whose options leave the reply alone, so the builder's reply is the method's.
pub(super) fn check_also(cx: &mut Ctxt<'_>, entry: &spec::Command, args: &[Node]) -> Vec<Also> {
    let mut out = Vec::new();
    let changing = args
        .iter()
        .any(|a| a.optional && crate::gen::single_reply(a).is_some());
    for also in &entry.also {
        let method = check_name(cx, &also.method, "method");
        if also.doc.get_ref().trim().is_empty() {
            cx.error(&also.doc, "`doc` needs a one-line description");
        }
        if changing {
            cx.error(
                &also.method,
                "`also` is for commands whose options leave the reply as it is; this one has \
                 options that change it",
            );
        }
        let reply = parse_reply(cx, &also.reply);
        if let (Some(method), Some(reply)) = (method, reply) {
            out.push(Also {
                method,
                doc: also.doc.get_ref().trim().to_owned(),
                reply,
            });
        }
    }
    out
}
