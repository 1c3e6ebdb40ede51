//! Reading the spec: TOML files into serde types that remember where each value came from.

use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One spec file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub group: Spanned<String>,
    #[serde(default)]
    pub command: Vec<Command>,
    /// Choice types shared by arguments of any command in the spec (`Side`, `Trim`).
    #[serde(default)]
    pub choice: Vec<Choice>,
}

/// One `[[choice]]` entry: a one-of type that arguments name with `choice = "..."`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub name: Spanned<String>,
    pub doc: Spanned<String>,
    pub oneof: Vec<Arg>,
}

/// One `[[command.also]]` entry: another method for the same command, with a reply of its own
/// (a typed reading of raw codes: `pttl_typed` beside `pttl`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Also {
    pub method: Spanned<String>,
    pub doc: Spanned<String>,
    pub reply: Spanned<String>,
}

/// One `[[command]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub name: Spanned<String>,
    pub doc: Spanned<String>,
    /// The Redis version that introduced the command; absent for a command only Valkey has.
    pub since: Option<Spanned<String>>,
    /// The Valkey version that introduced the command, when Valkey has it but not from its first
    /// release (7.2.4, the Redis version it forked from).
    pub valkey: Option<Spanned<String>>,
    pub complexity: Option<String>,
    #[serde(default)]
    pub flags: Vec<Spanned<String>>,
    pub reply: Spanned<String>,
    pub method: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub deprecated: Option<String>,
    pub group: Option<Spanned<String>>,
    #[serde(default)]
    pub arg: Vec<Arg>,
    #[serde(default)]
    pub also: Vec<Also>,
}

/// One argument, alternative or block member.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arg {
    pub name: Spanned<String>,
    pub kind: Option<Spanned<String>>,
    pub token: Option<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub multiple_token: bool,
    pub oneof: Option<Vec<Arg>>,
    /// The name of a shared `[[choice]]`, in place of a `oneof` of its own.
    pub choice: Option<Spanned<String>>,
    pub block: Option<Vec<Arg>>,
    pub reply: Option<Spanned<String>>,
    pub of: Option<Spanned<String>>,
    pub doc: Option<String>,
    /// Other reply-changing options whose reply this one's replaces, in whatever order they
    /// are called (`SET`'s `get_old` over `condition`).
    #[serde(default)]
    pub overrides: Vec<Spanned<String>>,
    /// The Redis version that added this argument, when later than its command.
    pub since: Option<Spanned<String>>,
    /// The Valkey version that added this argument, when Valkey has it but not from 7.2.4.
    pub valkey: Option<Spanned<String>>,
}

/// A spec file's text, for turning byte offsets into `file:line:col`.
pub struct Source {
    pub path: PathBuf,
    pub display: String,
    pub text: String,
}

impl Source {
    pub fn load(path: &Path, display: String) -> Result<Source, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{display}: cannot read spec file: {e}"))?;
        Ok(Source {
            path: path.to_path_buf(),
            display,
            text,
        })
    }

    /// `file:line:col` of a byte offset (1-based line and column).
    pub fn position(&self, span: &Range<usize>) -> String {
        let offset = span.start.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{col}", self.display)
    }
}
