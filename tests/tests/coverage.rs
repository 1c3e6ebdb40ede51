//! The spec covers every command a real Redis 7.0 server lists, except those `commands/excluded.txt`
//! leaves out on purpose.
//!
//! The check goes one way: from the server to the spec. The spec may have commands this server
//! does not list (the SENTINEL subcommands, which only a Sentinel answers).

use sider::{Client, Cmd, Value};
use sider_tests::RedisServer;
use std::collections::BTreeSet;

const EXCLUDED: &str = include_str!("../../commands/excluded.txt");

/// The commands excluded.txt lists, lower case, as written ("client reply").
fn excluded() -> BTreeSet<String> {
    EXCLUDED
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The spec's commands, lower case ("config get").
fn spec() -> BTreeSet<String> {
    sider::commands::COMMANDS
        .iter()
        .map(|c| c.name().to_lowercase())
        .collect()
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Bulk(b) | Value::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Verbatim { data, .. } => Some(String::from_utf8_lossy(data).into_owned()),
        _ => None,
    }
}

/// Adds the name of one `COMMAND` entry and of its subcommands (`config|get` becomes
/// "config get").
fn collect(entry: &Value, into: &mut BTreeSet<String>) {
    let Value::Array(fields) = entry else {
        panic!("a COMMAND entry is not an array: {entry:?}");
    };
    let name = fields
        .first()
        .and_then(text)
        .unwrap_or_else(|| panic!("a COMMAND entry without a name: {entry:?}"));
    into.insert(name.to_lowercase().replace('|', " "));
    // Field 10 (index 9) lists the subcommands, each an entry of the same shape.
    if let Some(Value::Array(subcommands) | Value::Set(subcommands)) = fields.get(9) {
        for sub in subcommands {
            collect(sub, into);
        }
    }
}

/// Every command and subcommand the server lists.
async fn server_commands(client: &Client) -> anyhow::Result<BTreeSet<String>> {
    let reply: Value = client.send(Cmd::new("COMMAND")).await?;
    let Value::Array(entries) = reply else {
        anyhow::bail!("COMMAND did not reply an array: {reply:?}");
    };
    let mut names = BTreeSet::new();
    for entry in &entries {
        collect(entry, &mut names);
    }
    Ok(names)
}

#[tokio::test]
async fn every_server_command_is_in_the_spec_or_excluded() -> anyhow::Result<()> {
    let server = RedisServer::start();
    let excluded = excluded();
    let spec = spec();
    for protocol in [2, 3] {
        let client = Client::connect(&format!("{}?protocol={protocol}", server.url())).await?;
        let listed = server_commands(&client).await?;
        // A sanity floor: a 7.0 server lists about 240 commands and 126 subcommands.
        assert!(listed.len() > 300, "only {} commands listed", listed.len());
        assert!(listed.contains("config get") && listed.contains("get"));

        let missing: Vec<&String> = listed
            .iter()
            .filter(|name| !spec.contains(*name) && !excluded.contains(*name))
            .collect();
        let both: Vec<&String> = excluded.intersection(&spec).collect();
        assert!(
            missing.is_empty() && both.is_empty(),
            "RESP{protocol}:\n  in neither the spec nor commands/excluded.txt: {missing:?}\n  \
             in commands/excluded.txt and in the spec too: {both:?}"
        );
    }
    Ok(())
}

#[test]
fn excluded_txt_lists_each_command_once_in_lower_case() {
    let mut seen = BTreeSet::new();
    for line in EXCLUDED.lines() {
        let name = line.split('#').next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        assert_eq!(name, name.to_lowercase(), "not lower case: {line:?}");
        assert!(seen.insert(name), "listed twice: {name:?}");
    }
    assert!(seen.contains("monitor") && seen.contains("client reply"));
}
