//! The spec covers every command the server under test lists, except those
//! `commands/excluded.txt` leaves out on purpose: Debian's Redis 7.0 by default, and each server of
//! the matrix (`scripts/servers`: Redis 8, Valkey 9) when `REDIS_SERVER_BIN` names it.
//!
//! The check goes one way: from the server to the spec. The spec may have commands this server
//! does not list (the SENTINEL subcommands, which only a Sentinel answers; the commands of newer
//! servers, or of the other server kind). A line of excluded.txt tagged `@redis` or `@valkey`
//! applies to that server's list only.

use sider::{Client, Cmd, Value};
use sider_tests::RedisServer;
use std::collections::BTreeSet;

const EXCLUDED: &str = include_str!("../../commands/excluded.txt");

/// One line of excluded.txt: the command ("client reply") and the server it is limited to.
fn parse_line(line: &str) -> Option<(String, Option<String>)> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return None;
    }
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let only = match words.last() {
        Some(tag) if tag.starts_with('@') => {
            let tag = words.pop().unwrap_or_default();
            Some(tag.trim_start_matches('@').to_owned())
        }
        _ => None,
    };
    Some((words.join(" "), only))
}

/// The commands excluded.txt lists for a server named `server` ("redis", "valkey"), lower case,
/// as written ("client reply").
fn excluded(server: &str) -> BTreeSet<String> {
    EXCLUDED
        .lines()
        .filter_map(parse_line)
        .filter(|(_, only)| only.as_deref().is_none_or(|o| o == server))
        .map(|(name, _)| name)
        .collect()
}

/// The names excluded on every server, which the spec must not have.
fn excluded_everywhere() -> BTreeSet<String> {
    EXCLUDED
        .lines()
        .filter_map(parse_line)
        .filter(|(_, only)| only.is_none())
        .map(|(name, _)| name)
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
    let spec = spec();
    for protocol in [2, 3] {
        let client = Client::connect(&format!("{}?protocol={protocol}", server.url())).await?;
        let info = client.server();
        let excluded = excluded(info.name());
        let listed = server_commands(&client).await?;
        // A sanity floor: a 7.0 server lists about 240 commands and 126 subcommands.
        assert!(
            listed.len() > 300,
            "{info}: only {} commands listed",
            listed.len()
        );
        assert!(listed.contains("config get") && listed.contains("get"));

        let missing: Vec<&String> = listed
            .iter()
            .filter(|name| !spec.contains(*name) && !excluded.contains(*name))
            .collect();
        let everywhere = excluded_everywhere();
        let both: Vec<&String> = everywhere.intersection(&spec).collect();
        assert!(
            missing.is_empty() && both.is_empty(),
            "{info}, RESP{protocol}:\n  in neither the spec nor commands/excluded.txt: \
             {missing:?}\n  in commands/excluded.txt and in the spec too: {both:?}"
        );
        // What the spec says this server has, it lists: the versions in the spec are right.
        let claimed: Vec<&str> = sider::commands::COMMANDS
            .iter()
            .filter(|c| {
                let since = if info.is_valkey() {
                    c.valkey_since()
                } else {
                    c.redis_since()
                };
                since.is_some_and(|v| version(v) <= info.version())
            })
            .map(|c| c.name())
            .filter(|name| !name.starts_with("SENTINEL "))
            .filter(|name| !listed.contains(&name.to_lowercase()))
            .collect();
        assert!(
            claimed.is_empty(),
            "{info}: the spec says these are there since an older version, but the server does \
             not list them: {claimed:?}"
        );
        println!(
            "{info} (RESP{protocol}): {} commands listed, all typed or excluded",
            listed.len()
        );
    }
    Ok(())
}

fn version(text: &str) -> (u32, u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn excluded_txt_lists_each_command_once_in_lower_case() {
    let mut seen = BTreeSet::new();
    for line in EXCLUDED.lines() {
        let Some((name, only)) = parse_line(line) else {
            continue;
        };
        assert_eq!(name, name.to_lowercase(), "not lower case: {line:?}");
        assert!(
            only.as_deref()
                .is_none_or(|o| o == "redis" || o == "valkey"),
            "unknown server tag: {line:?}"
        );
        assert!(seen.insert(name.clone()), "listed twice: {name:?}");
    }
    assert!(seen.contains("monitor") && seen.contains("client reply"));
    assert_eq!(
        parse_line("cluster syncslots @valkey  # why"),
        Some(("cluster syncslots".to_owned(), Some("valkey".to_owned())))
    );
}

/// The README's compatibility table says how many spec commands each server has: the same
/// count as the spec's versions give.
#[test]
fn the_readme_counts_of_typed_commands_match_the_spec() {
    let readme = include_str!("../../README.md");
    let rows: Vec<(&str, &str, usize)> = readme
        .lines()
        .filter(|l| l.starts_with("| Redis |") || l.starts_with("| Valkey |"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let count = cells[cells.len() - 2]
                .parse()
                .unwrap_or_else(|_| panic!("no count in {l:?}"));
            (cells[1], cells[2], count)
        })
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (server, at, count) in rows {
        let at = version(at);
        let has = sider::commands::COMMANDS
            .iter()
            .filter(|c| {
                let since = if server == "Valkey" {
                    c.valkey_since()
                } else {
                    c.redis_since()
                };
                since.is_some_and(|v| version(v) <= at)
            })
            .count();
        assert_eq!(
            has, count,
            "README: {server} {at:?} has {has} spec commands"
        );
    }
    let total = sider::commands::COMMANDS.len();
    assert!(
        readme.contains(&format!("The spec types {total} commands in all")),
        "README: the spec has {total} commands"
    );
}
