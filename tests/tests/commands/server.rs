//! Groups connection, transactions, server and sentinel.

use crate::{error_code, Ctx};
use sider::commands::{ClientCachingMode, ClientKillFilter, ClientKillFilterFilters};
use sider::commands::{ClientListClientType, ClientNoEvictEnabled, ClientTrackingStatus};
use sider::commands::{CommandListFilterby, ReplicaofArgs, SentinelConfigAction, SlaveofArgs};
use sider::prelude::*;
use sider::{Cmd, Value};
use std::collections::HashMap;
use std::time::Duration;

/// The `name=value` field of a CLIENT INFO / CLIENT LIST line.
fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.split_whitespace()
        .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
}

pub async fn connection(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    assert_eq!(c.ping().await?, "PONG");
    assert_eq!(c.ping().message::<String>("hi").await?, "hi");
    assert_eq!(c.echo::<String>("echo").await?, "echo");
    assert_eq!(c.echo::<i64>(42).await?, 42);

    let mut conn = c.dedicated().await?;
    let id = conn.client_id().await?;
    assert!(id > 0);
    let name = t.key("conn").replace(':', "-");
    let (): () = conn.client_setname(&name).await?;
    assert_eq!(conn.client_getname().await?.as_deref(), Some(name.as_str()));
    let info = conn.client_info().await?;
    assert_eq!(field(&info, "name"), Some(name.as_str()));
    assert_eq!(field(&info, "id"), Some(id.to_string().as_str()));

    let hello: HashMap<String, Value> = conn
        .hello()
        .protocol(i64::from(t.protocol))
        .setname("renamed")
        .await?;
    assert_eq!(
        hello.get("proto"),
        Some(&Value::Integer(i64::from(t.protocol)))
    );
    assert_eq!(hello.get("id"), Some(&Value::Integer(id)));
    assert_eq!(conn.client_getname().await?.as_deref(), Some("renamed"));
    let (): () = conn.select(5).await?;
    conn.set(t.key("in5"), "x").await?;
    assert_eq!(
        c.exists(t.key("in5")).await?,
        0,
        "the shared client is on db 0"
    );
    assert_eq!(field(&conn.client_info().await?, "db"), Some("5"));
    let (): () = conn.client_no_evict(ClientNoEvictEnabled::On).await?;
    assert!(field(&conn.client_info().await?, "flags").is_some_and(|f| f.contains('e')));

    // Tracking, redirected to another connection so that no invalidation arrives here.
    let mut target = c.dedicated().await?;
    let target_id = target.client_id().await?;
    let (): () = conn
        .client_tracking(ClientTrackingStatus::On)
        .redirect(target_id)
        .bcast()
        .prefix(t.key("cached"))
        .noloop()
        .await?;
    let tracking: HashMap<String, Value> = conn.client_trackinginfo().await?;
    assert_eq!(tracking.get("redirect"), Some(&Value::Integer(target_id)));
    assert_eq!(conn.client_getredir().await?, target_id);
    assert_eq!(
        c.client_getredir().await?,
        -1,
        "no tracking on the shared client"
    );
    conn.client_tracking(ClientTrackingStatus::Off).await?;
    conn.client_tracking(ClientTrackingStatus::On)
        .redirect(target_id)
        .optin()
        .await?;
    let (): () = conn.client_caching(ClientCachingMode::Yes).await?;
    conn.client_tracking(ClientTrackingStatus::Off).await?;

    // RESET puts the connection back to its first state (db 0, no name, RESP2); QUIT ends it.
    let (): () = conn.reset().await?;
    assert_eq!(conn.client_getname().await?, None);
    assert_eq!(field(&conn.client_info().await?, "db"), Some("0"));
    let (): () = conn.quit().await?;
    drop(target);
    Ok(())
}

pub async fn client_admin(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let help: Vec<String> = c.client_help().await?;
    assert!(help.iter().any(|l| l.contains("TRACKING")));

    let mut victim = c.dedicated().await?;
    let victim_id = victim.client_id().await?;
    let mut other = c.dedicated().await?;
    let other_id = other.client_id().await?;
    let list = c.client_list().await?;
    let victim_text = victim_id.to_string();
    assert!(list
        .lines()
        .any(|l| field(l, "id") == Some(victim_text.as_str())));
    let list = c.client_list().id(victim_id).id(other_id).await?;
    assert_eq!(list.lines().count(), 2, "{list}");
    let list = c.client_list().normal().await?;
    assert!(list.lines().count() >= 3);
    let list = c
        .client_list()
        .client_type(ClientListClientType::Pubsub)
        .await?;
    assert!(!list.contains(&format!("id={victim_id} ")));

    // A blocked client, unblocked as if its timeout passed.
    let never = t.key("never");
    let popper = tokio::spawn(async move {
        let popped: Option<(String, String)> = victim.blpop(never, Duration::from_secs(10)).await?;
        anyhow::Ok((victim, popped))
    });
    let mut unblocked = false;
    for _ in 0..1000 {
        if c.client_unblock(victim_id).timeout().await? {
            unblocked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(unblocked, "the BLPOP never blocked");
    let (mut victim, popped) = popper.await??;
    assert_eq!(popped, None);
    assert!(
        !c.client_unblock(victim_id).error().await?,
        "not blocked now"
    );

    // CLIENT KILL in both forms: by filters (a count) and by address (OK).
    let killed = c
        .client_kill(ClientKillFilter::Filters(vec![
            ClientKillFilterFilters::Id(other_id),
            ClientKillFilterFilters::Skipme("yes".into()),
        ]))
        .await?;
    assert_eq!(killed, Value::Integer(1));
    let info = victim.client_info().await?;
    let addr = field(&info, "addr").expect("addr").to_owned();
    let killed = c.client_kill(ClientKillFilter::IpPort(addr.into())).await?;
    assert!(
        matches!(killed, Value::Simple(ref s) if &s[..] == b"OK"),
        "{killed:?}"
    );
    let err = c
        .client_kill(ClientKillFilter::IpPort("1.2.3.4:5".into()))
        .await;
    assert!(error_code(err).contains("No such client"));
    drop(other);
    Ok(())
}

pub async fn transactions(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (k, w) = (t.key("k"), t.key("w"));
    let mut conn = c.dedicated().await?;

    let (): () = conn.multi().await?;
    conn.set(&k, "1").await?;
    // Inside MULTI every reply is QUEUED until EXEC.
    assert_eq!(conn.get::<String>(&k).await?.as_deref(), Some("QUEUED"));
    let replies = conn.exec().await?.expect("not aborted");
    assert_eq!(
        replies,
        [Value::Simple("OK".into()), Value::Bulk("1".into())]
    );

    conn.multi().await?;
    conn.set(&k, "2").await?;
    let (): () = conn.discard().await?;
    assert_eq!(c.get::<i64>(&k).await?, Some(1));

    // A watched key changed by another client aborts the transaction: EXEC replies null.
    let (): () = conn.watch([&w, &k]).await?;
    c.set(&w, "changed").await?;
    conn.multi().await?;
    conn.set(&w, "mine").await?;
    assert_eq!(conn.exec().await?, None);
    assert_eq!(c.get::<String>(&w).await?.as_deref(), Some("changed"));

    // UNWATCH forgets the watched keys.
    conn.watch(&w).await?;
    c.set(&w, "again").await?;
    let (): () = conn.unwatch().await?;
    conn.multi().await?;
    conn.set(&w, "mine").await?;
    assert_eq!(conn.exec().await?.map(|r| r.len()), Some(1));
    assert_eq!(c.get::<String>(&w).await?.as_deref(), Some("mine"));
    Ok(())
}

pub async fn introspection(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let k = t.key("k");
    c.set(&k, "value").await?;

    let info = c.info().await?;
    let server = c.server();
    let version = format!("{}_version:{}.", server.name(), server.version().0);
    assert!(info.contains(&version), "{info}");
    let info = c.info().section("server").section("clients").await?;
    assert!(info.contains("# Clients") && !info.contains("# Memory"));
    let (secs, micros) = c.time().await?;
    assert!(secs > 1_600_000_000 && (0..1_000_000).contains(&micros));
    assert!(c.lastsave().await? > 0);
    assert!(c.dbsize().await? >= 1);

    assert!(c.command_count().await? > 200);
    let docs: HashMap<String, Value> = c.command_docs().command_name("get").await?;
    assert!(docs.contains_key("get"), "{docs:?}");
    let infos = c
        .command_info()
        .command_name("get")
        .command_name("no-such-command")
        .await?;
    assert_eq!(infos.len(), 2);
    assert!(matches!(&infos[0], Some(Value::Array(fields)) if fields.len() == 10));
    assert_eq!(infos[1], None);
    let names: Vec<String> = c.command_list().await?;
    assert!(names.iter().any(|n| n == "get"));
    let names: Vec<String> = c.command_list().aclcat("hyperloglog").await?;
    assert!(names.iter().all(|n| n.starts_with("pf")), "{names:?}");
    let names: Vec<String> = c
        .command_list()
        .filterby(CommandListFilterby::Pattern("xinf*".into()))
        .await?;
    assert!(names.iter().any(|n| n == "xinfo"), "{names:?}");
    let keys: Vec<String> = c.command_getkeys("set", ["a", "b"]).await?;
    assert_eq!(keys, ["a"]);
    let keys: Vec<(String, Vec<String>)> = c
        .command_getkeysandflags("lmove", ["src", "dst", "left", "left"])
        .await?;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].0, "src");
    assert!(keys[0].1.iter().any(|f| f == "RW"), "{keys:?}");
    let help: Vec<String> = c.command_help().await?;
    assert!(help.iter().any(|l| l.contains("GETKEYS")));

    let config: HashMap<String, String> = c.config_get(["maxmemory", "maxmemory-p*"]).await?;
    assert_eq!(config.get("maxmemory").map(String::as_str), Some("0"));
    assert!(config.contains_key("maxmemory-policy"));
    let help: Vec<String> = c.config_help().await?;
    assert!(help.iter().any(|l| l.contains("REWRITE")));

    let usage = c.memory_usage(&k).samples(5).await?;
    assert!(usage.is_some_and(|n| n > 0));
    assert_eq!(c.memory_usage(t.key("missing")).await?, None);
    let stats: HashMap<String, Value> = c.memory_stats().await?;
    assert!(stats.contains_key("peak.allocated"));
    assert!(!c.memory_doctor().await?.is_empty());
    assert!(!c.memory_malloc_stats().await?.is_empty());
    let help: Vec<String> = c.memory_help().await?;
    assert!(help.iter().any(|l| l.contains("USAGE")));

    assert!(!c.latency_doctor().await?.is_empty());
    let help: Vec<String> = c.latency_help().await?;
    assert!(help.iter().any(|l| l.contains("HISTOGRAM")));
    let histogram: HashMap<String, Value> = c.latency_histogram().command("set").await?;
    assert!(histogram.contains_key("set"), "{histogram:?}");
    let art = c.lolwut().version(5).await?;
    assert!(art.contains(" ver. "), "{art}");
    let Value::Array(role) = c.role().await? else {
        panic!("ROLE is an array");
    };
    assert_eq!(role[0], Value::Bulk("master".into()));

    let entries: Vec<Value> = c.slowlog_get().count(1).await?;
    assert!(entries.len() <= 1);
    assert!(c.slowlog_len().await? >= 0);
    let help: Vec<String> = c.slowlog_help().await?;
    assert!(help.iter().any(|l| l.contains("RESET")));
    // None loaded, but those some servers build in: Redis 8's vector sets, Valkey 9's Lua.
    let modules: Vec<HashMap<String, Value>> = c.module_list().await?;
    let built_in = [Value::Bulk("vectorset".into()), Value::Bulk("lua".into())];
    assert!(
        modules
            .iter()
            .all(|m| m.get("name").is_some_and(|name| built_in.contains(name))),
        "{modules:?}"
    );
    let help: Vec<String> = c.module_help().await?;
    assert!(help.iter().any(|l| l.contains("LOADEX")));
    Ok(())
}

pub async fn acl(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let user = t.key("user").replace(':', "-");
    let (): () = c
        .acl_setuser(&user)
        .rule("on")
        .rule(">secret")
        .rule("~*")
        .rule("+@all")
        .rule("-debug")
        .await?;
    let described = c.acl_getuser(&user).await?.expect("the user exists");
    let Some(Value::Array(flags) | Value::Set(flags)) = described.get("flags") else {
        panic!("ACL GETUSER flags: {described:?}");
    };
    assert!(flags.contains(&Value::Bulk("on".into())), "{flags:?}");
    assert_eq!(c.acl_getuser(t.key("nobody")).await?, None);
    assert!(c.acl_users().await?.contains(&user));
    assert!(c
        .acl_list()
        .await?
        .iter()
        .any(|rule| rule.starts_with(&format!("user {user} on"))));
    let categories = c.acl_cat().await?;
    assert!(categories.iter().any(|cat| cat == "hyperloglog"));
    let commands = c.acl_cat().category("hyperloglog").await?;
    assert!(commands.iter().any(|cmd| cmd == "pfadd"), "{commands:?}");
    assert_eq!(c.acl_dryrun(&user, "get").arg("k").await?, "OK");
    let denied = c.acl_dryrun(&user, "debug").arg("sleep").arg("0").await?;
    assert!(denied.contains("no permissions"), "{denied}");
    assert_eq!(c.acl_genpass().await?.len(), 64);
    assert_eq!(c.acl_genpass().bits(32).await?.len(), 8);
    assert_eq!(c.acl_whoami().await?, "default");
    let help: Vec<String> = c.acl_help().await?;
    assert!(help.iter().any(|l| l.contains("DRYRUN")));

    let mut conn = c.dedicated().await?;
    let err = conn.auth("wrong").username(&user).await;
    assert!(error_code(err).starts_with("WRONGPASS"));
    let (): () = conn.auth("secret").username(&user).await?;
    assert_eq!(conn.acl_whoami().await?, user);
    let log: Vec<HashMap<String, Value>> = c.acl_log().count(100).await?;
    assert!(
        log.iter()
            .any(|entry| entry.get("username") == Some(&Value::Bulk(user.clone().into()))),
        "{log:?}"
    );
    assert_eq!(c.acl_deluser([&user, &t.key("nobody")]).await?, 1);
    Ok(())
}

/// The sentinel group needs a running Sentinel (`redis-server --sentinel` with a config file of
/// its own); a plain server does not know the command. Only that refusal is checked here.
pub async fn sentinel_is_not_available(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    assert!(error_code(c.sentinel_masters().await).contains("unknown command"));
    let get = SentinelConfigAction::Get("resolve-hostnames".into());
    assert!(error_code(c.sentinel_config(get).await).contains("unknown command"));
    Ok(())
}

/// Databases: FLUSHDB, SWAPDB and FLUSHALL touch every test's keys, so this runs alone.
pub async fn databases(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let mut nine = c.dedicated().await?;
    nine.select(9).await?;
    let mut ten = c.dedicated().await?;
    ten.select(10).await?;
    nine.set(t.key("a"), "1").await?;
    nine.set(t.key("b"), "1").await?;
    assert_eq!(nine.dbsize().await?, 2);
    let (): () = c.swapdb(9, 10).await?;
    assert_eq!(nine.dbsize().await?, 0);
    assert_eq!(ten.dbsize().await?, 2);
    let (): () = ten.flushdb().await?;
    assert_eq!(ten.dbsize().await?, 0);
    ten.set(t.key("a"), "1").await?;
    ten.flushdb().asynchronous().await?;
    assert_eq!(ten.dbsize().await?, 0);
    ten.set(t.key("a"), "1").await?;
    let (): () = c.flushall().synchronous().await?;
    assert_eq!(ten.dbsize().await?, 0);
    c.flushall().await?;
    Ok(())
}

/// CONFIG SET, the slow log and latency monitor, saving: server-wide, so this runs alone.
pub async fn config_and_stats(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    // First, since it clears the command statistics the harness reads between serial tests.
    let (): () = c.config_resetstat().await?;
    let (): () = c
        .config_set([
            ("slowlog-log-slower-than", "0"),
            ("latency-monitor-threshold", "1"),
        ])
        .await?;
    let (): () = c.slowlog_reset().await?;
    c.set(t.key("slow"), "1").await?;
    let entries: Vec<Value> = c.slowlog_get().count(10).await?;
    assert!(!entries.is_empty());
    assert!(c.slowlog_len().await? >= 1);

    // A 20 ms DEBUG SLEEP is a latency event above the 1 ms threshold.
    let slept = c.debug("SLEEP").arg("0.02").await?;
    assert!(
        matches!(slept, Value::Simple(ref s) if &s[..] == b"OK"),
        "{slept:?}"
    );
    // Name, time, latest and highest latency; Valkey adds their sum and count.
    let latest = c.latency_latest().await?;
    let command = latest
        .iter()
        .find(|e| e.first() == Some(&Value::Bulk("command".into())))
        .unwrap_or_else(|| panic!("no `command` event: {latest:?}"));
    let fields = if c.server().is_valkey() { 6 } else { 4 };
    assert_eq!(command.len(), fields, "{command:?}");
    assert!(
        matches!(command[2], Value::Integer(ms) if ms >= 20),
        "{command:?}"
    );
    let history: Vec<(i64, i64)> = c.latency_history("command").await?;
    assert!(history.iter().any(|(_, ms)| *ms >= 20), "{history:?}");
    let graph = c.latency_graph("command").await?;
    assert!(graph.contains("command"), "{graph}");
    assert_eq!(c.latency_reset().event("command").await?, 1);
    assert!(c.latency_reset().await? >= 0);

    c.config_set([
        ("slowlog-log-slower-than", "10000"),
        ("latency-monitor-threshold", "0"),
    ])
    .await?;
    let (): () = c.memory_purge().await?;
    let (): () = c.save().await?;
    assert!(c.lastsave().await? > 0);
    let started = c.bgsave().schedule().await?;
    assert!(started.starts_with("Background saving"), "{started}");
    no_child_running(c).await
}

/// Waits until no background save or rewrite runs, so that the next SAVE is not refused.
async fn no_child_running(c: &sider::Client) -> anyhow::Result<()> {
    for _ in 0..500 {
        let info = c.info().section("persistence").await?;
        if info.contains("aof_rewrite_in_progress:0") && info.contains("rdb_bgsave_in_progress:0") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("a background save or rewrite still runs after 5 s")
}

/// Commands that fail on this server, each with the error checked; and a few that change
/// replication or persistence settings.
pub async fn admin_errors(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    assert!(error_code(c.config_rewrite().await).contains("without a config file"));
    assert!(error_code(c.acl_load().await).contains("ACL file"));
    assert!(error_code(c.acl_save().await).contains("ACL file"));
    let (): () = c.acl_log().reset_log().await?;
    assert!(c.acl_log().await?.is_empty());
    assert!(error_code(c.failover().await).contains("replicas"));
    assert!(error_code(c.failover().abort().await).contains("No failover in progress"));
    assert!(error_code(c.shutdown().abort().await).contains("No shutdown in progress"));
    assert!(error_code(c.module_load("/nonexistent/module.so").await).contains("Error loading"));
    assert!(error_code(
        c.module_loadex("/nonexistent/module.so")
            .config("a", "b")
            .arg("x")
            .await
    )
    .contains("Error loading"));
    assert!(error_code(c.module_unload("no-such-module").await).contains("no such module"));
    let (): () = c.replicaof(ReplicaofArgs::NoOne).await?;
    let (): () = c.slaveof(SlaveofArgs::NoOne).await?;
    let object = c.debug("OBJECT").arg(t.key("missing")).await;
    assert!(error_code(object).contains("no such key"));
    let rewrite = c.bgrewriteaof().await?;
    assert!(
        rewrite.starts_with("Background append only file rewriting"),
        "{rewrite}"
    );
    no_child_running(c).await
}

/// CLIENT PAUSE stops every client's writes: it runs alone.
pub async fn client_pause(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let (): () = c.client_pause(Duration::from_secs(10)).write().await?;
    // The write waits on a client of its own: a paused client's later commands wait behind it.
    let writer = t.another_client().await?;
    let key = t.key("k");
    let write = tokio::spawn(async move { writer.set(key, "1").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!write.is_finished(), "a write went through a paused server");
    assert_eq!(c.get::<String>(t.key("k")).await?, None, "reads still run");
    let (): () = c.client_unpause().await?;
    write.await??;
    c.client_pause(Duration::from_millis(10)).all().await?;
    assert_eq!(c.get::<String>(t.key("k")).await?.as_deref(), Some("1"));
    // The raw API and the typed one agree on the same command.
    let raw: Value = c.send(Cmd::new("ECHO").arg("x")).await?;
    assert_eq!(raw, Value::Bulk("x".into()));
    Ok(())
}
