//! Commands and arguments of the connection, server, scripting and cluster groups that Redis 7.0
//! lacks: those of Redis 7.2 to 8.0 and of Valkey up to 9.1. Each test runs on every server and,
//! where a server lacks a command, checks the error it gives instead (for a command, one naming
//! the versions that have it; for an argument, the server's own refusal).

use crate::{error_code, Ctx};
use sider::commands::{
    ClientImportSourceEnabled, ClientKillFilter, ClientKillFilterFilters as Kill,
    ClientKillFilterFiltersClientType, ClientKillFilterFiltersNotClientType, ClientNoTouchEnabled,
    ClientSetinfoAttr, ClusterReplicateArgs, ClusterSetslotState, ClusterSlotStatsFilter,
    ClusterSlotStatsFilterOrderbyOrder, CommandlogGetLog, CommandlogLenLog, CommandlogResetLog,
};
use sider::prelude::*;
use sider::{Client, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// The `name=value` field of a CLIENT INFO / CLIENT LIST line.
fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.split_whitespace()
        .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
}

/// Whether the connected server has what came in Redis `redis` or Valkey `valkey` (`None`: that
/// server has none).
fn has(c: &Client, redis: Option<(u32, u32, u32)>, valkey: Option<(u32, u32, u32)>) -> bool {
    let server = c.server();
    let since = if server.is_valkey() { valkey } else { redis };
    since.is_some_and(|v| server.version() >= v)
}

/// Asserts the error of a command the server does not have: it names the versions that do.
fn lacks<T: std::fmt::Debug>(result: Result<T, sider::Error>, needs: &str) {
    let error = error_code(result);
    assert!(error.contains(&format!(": {needs}")), "{error}");
}

/// Connection state (CLIENT NO-TOUCH, SETINFO, CAPA), WAITAOF and SCRIPT SHOW.
pub async fn newer_connection(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let mut conn = c.dedicated().await?;
    let id = conn.client_id().await?;
    let is_72 = has(c, Some((7, 2, 0)), Some((7, 2, 0)));

    if is_72 {
        let (): () = conn.client_no_touch(ClientNoTouchEnabled::On).await?;
        let flags = field(&conn.client_info().await?, "flags").map(str::to_owned);
        assert!(
            flags.as_deref().is_some_and(|f| f.contains('T')),
            "{flags:?}"
        );
        conn.client_no_touch(ClientNoTouchEnabled::Off).await?;
        let flags = field(&conn.client_info().await?, "flags").map(str::to_owned);
        assert!(
            flags.as_deref().is_some_and(|f| !f.contains('T')),
            "{flags:?}"
        );

        let name = t.key("lib").replace(':', "-");
        let (): () = conn
            .client_setinfo(ClientSetinfoAttr::LibName(name.clone().into()))
            .await?;
        conn.client_setinfo(ClientSetinfoAttr::LibVer("9.8.7".into()))
            .await?;
        let info = conn.client_info().await?;
        assert_eq!(field(&info, "lib-name"), Some(name.as_str()), "{info}");
        assert_eq!(field(&info, "lib-ver"), Some("9.8.7"), "{info}");
        let listed = c.client_list().id(id).await?;
        assert_eq!(field(&listed, "lib-name"), Some(name.as_str()), "{listed}");
        let spaced = conn.client_setinfo(ClientSetinfoAttr::LibVer("1 2".into()));
        assert!(error_code(spaced.await).contains("cannot contain spaces"));

        assert_eq!(c.waitaof(0, 0, Duration::ZERO).await?, (0, 0));
        let local = c.waitaof(1, 0, Duration::from_millis(10)).await;
        assert!(error_code(local).contains("appendonly is disabled"));
    } else {
        lacks(
            conn.client_no_touch(ClientNoTouchEnabled::On).await,
            "needs Redis 7.2.0",
        );
        let setinfo = conn.client_setinfo(ClientSetinfoAttr::LibName("x".into()));
        lacks(setinfo.await, "needs Redis 7.2.0");
        lacks(c.waitaof(0, 0, Duration::ZERO).await, "needs Redis 7.2.0");
    }

    if has(c, None, Some((8, 0, 0))) {
        let (): () = conn.client_capa(["redirect"]).await?;
        assert_eq!(field(&conn.client_info().await?, "capa"), Some("r"));
    } else {
        lacks(
            conn.client_capa(["redirect"]).await,
            "needs Valkey 8.0.0 (no Redis release has it)",
        );
    }

    let sha = c.script_load("return 'shown'").await?;
    if has(c, None, Some((8, 0, 0))) {
        assert_eq!(c.script_show(&sha).await?, "return 'shown'");
        assert!(error_code(c.script_show("0".repeat(40)).await).starts_with("NOSCRIPT"));
    } else {
        lacks(
            c.script_show(&sha).await,
            "needs Valkey 8.0.0 (no Redis release has it)",
        );
    }
    Ok(())
}

/// CLIENT KILL's MAXAGE (Redis 7.4, Valkey 8.0) and Valkey 9.0's filters, and the filters
/// CLIENT LIST takes from Valkey 8.1 on.
pub async fn newer_client_filters(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let my_id = c.client_id().await?;
    let mut victim = c.dedicated().await?;
    let victim_id = victim.client_id().await?;
    let name = t.key("victim").replace(':', "-");
    victim.client_setname(&name).await?;
    let kill = |filters: Vec<Kill>| c.client_kill(ClientKillFilter::Filters(filters));

    // MAXAGE: no client is a day old; the victim is older than a second after two.
    if has(c, Some((7, 4, 0)), Some((8, 0, 0))) {
        let day = Duration::from_secs(86_400);
        assert_eq!(kill(vec![Kill::Maxage(day)]).await?, Value::Integer(0));
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let old = vec![Kill::Id(victim_id), Kill::Maxage(Duration::from_secs(1))];
        assert_eq!(kill(old).await?, Value::Integer(1));
        victim = c.dedicated().await?;
    } else {
        let maxage = kill(vec![Kill::Maxage(Duration::from_secs(1))]).await;
        assert!(error_code(maxage).contains("syntax error"));
    }
    let victim_id = victim.client_id().await?;
    victim.client_setname(&name).await?;
    let info = victim.client_info().await?;
    let addr = field(&info, "addr").expect("addr").to_owned();
    let laddr = field(&info, "laddr").expect("laddr").to_owned();

    if has(c, None, Some((8, 1, 0))) {
        let list = c
            .client_list()
            .user("default")
            .addr(&addr)
            .laddr(&laddr)
            .skipme("yes")
            .await?;
        assert_eq!(
            field(&list, "id"),
            Some(victim_id.to_string().as_str()),
            "{list}"
        );
        let day = Duration::from_secs(86_400);
        assert_eq!(c.client_list().maxage(day).await?, "");
    } else {
        let list = c.client_list().user("default").await;
        assert!(error_code(list).contains("syntax error"));
    }

    if has(c, None, Some((9, 0, 0))) {
        victim.client_capa(["redirect"]).await?;
        let (lib, ver) = (t.key("lib").replace(':', "-"), "1.0");
        victim
            .client_setinfo(ClientSetinfoAttr::LibName(lib.clone().into()))
            .await?;
        victim
            .client_setinfo(ClientSetinfoAttr::LibVer(ver.into()))
            .await?;

        // CLIENT LIST: filters that keep the victim, and ones that each drop it.
        let list = c
            .client_list()
            .name(&name)
            .lib_name(&lib)
            .lib_ver(ver)
            .db(0)
            .capa("r")
            .ip("127.0.0.1")
            .flags("N")
            .not_normal()
            .await?;
        assert_eq!(list, "", "NOT-TYPE normal drops a normal client");
        let list = c
            .client_list()
            .name(&name)
            .lib_name(&lib)
            .lib_ver(ver)
            .db(0)
            .capa("r")
            .ip("127.0.0.1")
            .flags("N")
            .not_pubsub()
            .not_id(my_id)
            .not_user(t.key("no-user"))
            .not_addr("1.2.3.4:5")
            .not_laddr("1.2.3.4:5")
            .not_name("other")
            .not_flags("P")
            .not_lib_name("other")
            .not_lib_ver("0")
            .not_db(1)
            .not_ip("10.0.0.1")
            .await;
        // NOT-USER names an ACL user, which must exist.
        assert!(error_code(list).contains("No such user"));
        let list = c
            .client_list()
            .name(&name)
            .lib_name(&lib)
            .lib_ver(ver)
            .db(0)
            .capa("r")
            .ip("127.0.0.1")
            .flags("N")
            .not_pubsub()
            .not_id(my_id)
            .not_addr("1.2.3.4:5")
            .not_laddr("1.2.3.4:5")
            .not_name("other")
            .not_flags("P")
            .not_lib_name("other")
            .not_lib_ver("0")
            .not_db(1)
            .not_ip("10.0.0.1")
            .await?;
        let ids: Vec<&str> = list.lines().filter_map(|l| field(l, "id")).collect();
        assert_eq!(ids, [victim_id.to_string()], "{list}");
        for list in [
            c.client_list().id(victim_id).not_capa("r").await?,
            c.client_list().id(victim_id).not_user("default").await?,
            c.client_list()
                .id(victim_id)
                .idle(Duration::from_secs(1000))
                .await?,
        ] {
            assert_eq!(list, "");
        }

        // CLIENT KILL: each filter that would spare the victim, then all that pick it.
        let spare = [
            vec![Kill::Id(victim_id), Kill::NotCapa("r".into())],
            vec![Kill::Id(victim_id), Kill::NotUser("default".into())],
            vec![Kill::Id(victim_id), Kill::Idle(Duration::from_secs(1000))],
            vec![
                Kill::Id(victim_id),
                Kill::NotClientType(ClientKillFilterFiltersNotClientType::Normal),
            ],
            vec![
                Kill::Id(victim_id),
                Kill::ClientType(ClientKillFilterFiltersClientType::Primary),
            ],
            vec![Kill::Id(victim_id), Kill::NotId(vec![victim_id, my_id])],
        ];
        for filters in spare {
            assert_eq!(kill(filters).await?, Value::Integer(0));
        }
        let pick = vec![
            Kill::Name(name.clone().into()),
            Kill::LibName(lib.clone().into()),
            Kill::LibVer(ver.into()),
            Kill::Db(0),
            Kill::Capa("r".into()),
            Kill::Ip("127.0.0.1".into()),
            Kill::Flags("N".into()),
            Kill::NotClientType(ClientKillFilterFiltersNotClientType::Pubsub),
            Kill::NotId(vec![my_id]),
            Kill::NotAddr("1.2.3.4:5".into()),
            Kill::NotLaddr("1.2.3.4:5".into()),
            Kill::NotName("other".into()),
            Kill::NotFlags("P".into()),
            Kill::NotLibName("other".into()),
            Kill::NotLibVer("0".into()),
            Kill::NotDb(1),
            Kill::NotIp("10.0.0.1".into()),
        ];
        assert_eq!(kill(pick).await?, Value::Integer(1));
    } else {
        let by_name = kill(vec![Kill::Name(name.clone().into())]).await;
        assert!(error_code(by_name).contains("syntax error"));
        let primary = kill(vec![Kill::ClientType(
            ClientKillFilterFiltersClientType::Primary,
        )])
        .await;
        assert!(error_code(primary).contains("Unknown client type"));
    }
    Ok(())
}

/// Waits until no background save runs.
async fn no_child_running(c: &Client) -> anyhow::Result<()> {
    for _ in 0..500 {
        let info = c.info().section("persistence").await?;
        if info.contains("aof_rewrite_in_progress:0") && info.contains("rdb_bgsave_in_progress:0") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("a background save or rewrite still runs after 5 s")
}

/// COMMANDLOG, CLIENT IMPORT-SOURCE (with import mode), BGSAVE CANCEL and SHUTDOWN FAILOVER:
/// server-wide settings, so this runs alone.
pub async fn newer_server_admin(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    if has(c, None, Some((8, 1, 0))) {
        let help: Vec<String> = c.commandlog_help().await?;
        assert!(help.iter().any(|l| l.contains("large-reply")), "{help:?}");
        c.config_set([
            ("commandlog-execution-slower-than", "0"),
            ("commandlog-request-larger-than", "100"),
            ("commandlog-reply-larger-than", "100"),
        ])
        .await?;
        for log in [CommandlogResetLog::Slow, CommandlogResetLog::LargeRequest] {
            let (): () = c.commandlog_reset(log).await?;
        }
        c.commandlog_reset(CommandlogResetLog::LargeReply).await?;
        let big = "x".repeat(200);
        c.set(t.key("big"), &big).await?;
        c.get::<String>(t.key("big")).await?;

        let slow = c.commandlog_get(10, CommandlogGetLog::Slow).await?;
        assert!(!slow.is_empty() && c.commandlog_len(CommandlogLenLog::Slow).await? >= 1);
        let requests = c.commandlog_get(-1, CommandlogGetLog::LargeRequest).await?;
        let (_, when, size, args, _, _) = requests
            .iter()
            .find(|e| e.3.first().is_some_and(|a| a.eq_ignore_ascii_case(b"set")))
            .unwrap_or_else(|| panic!("no SET among {requests:?}"));
        assert!(*when > 1_600_000_000 && *size >= 200, "{requests:?}");
        assert_eq!(args[1], t.key("big").as_bytes());
        let replies = c.commandlog_get(-1, CommandlogGetLog::LargeReply).await?;
        assert!(
            replies
                .iter()
                .any(|e| e.3.first().is_some_and(|a| a.eq_ignore_ascii_case(b"get"))),
            "{replies:?}"
        );
        assert!(c.commandlog_len(CommandlogLenLog::LargeReply).await? >= 1);
        c.config_set([
            ("commandlog-execution-slower-than", "10000"),
            ("commandlog-request-larger-than", "1048576"),
            ("commandlog-reply-larger-than", "1048576"),
        ])
        .await?;
        c.commandlog_reset(CommandlogResetLog::LargeRequest).await?;
        assert_eq!(c.commandlog_len(CommandlogLenLog::LargeRequest).await?, 0);

        // Import mode: only then may a connection mark itself as an import source.
        let mut conn = c.dedicated().await?;
        let refused = conn
            .client_import_source(ClientImportSourceEnabled::On)
            .await;
        assert!(error_code(refused).contains("not in import mode"));
        c.config_set([("import-mode", "yes")]).await?;
        let (): () = conn
            .client_import_source(ClientImportSourceEnabled::On)
            .await?;
        let flags = field(&conn.client_info().await?, "flags").map(str::to_owned);
        assert!(
            flags.as_deref().is_some_and(|f| f.contains('I')),
            "{flags:?}"
        );
        conn.client_import_source(ClientImportSourceEnabled::Off)
            .await?;
        c.config_set([("import-mode", "no")]).await?;

        // Nothing to cancel; then a save cancelled at once, unless it finished first.
        no_child_running(c).await?;
        let nothing = c.bgsave().cancel().await;
        assert!(error_code(nothing).contains("not in progress"));
        c.bgsave().await?;
        match c.bgsave().cancel().await {
            Ok(text) => assert!(text.contains("cancelled"), "{text}"),
            Err(e) => assert!(error_code::<()>(Err(e)).contains("not in progress")),
        }
        no_child_running(c).await?;
    } else {
        lacks(
            c.commandlog_help().await,
            "needs Valkey 8.1.0 (no Redis release has it)",
        );
        lacks(
            c.commandlog_get(1, CommandlogGetLog::Slow).await,
            "needs Valkey 8.1.0",
        );
        lacks(
            c.commandlog_len(CommandlogLenLog::Slow).await,
            "needs Valkey 8.1.0",
        );
        lacks(
            c.commandlog_reset(CommandlogResetLog::Slow).await,
            "needs Valkey 8.1.0",
        );
        let mut conn = c.dedicated().await?;
        lacks(
            conn.client_import_source(ClientImportSourceEnabled::On)
                .await,
            "needs Valkey 8.1.0",
        );
        assert!(error_code(c.bgsave().cancel().await).contains("syntax error"));
    }

    // FAILOVER is for cluster nodes; a plain Valkey refuses it before shutting anything down.
    let failover = c.shutdown().failover_first().await;
    if has(c, None, Some((9, 0, 0))) {
        assert!(error_code(failover).contains("only supported in cluster mode"));
    } else {
        assert!(error_code(failover).contains("syntax error"));
    }
    Ok(())
}

/// On the single-node cluster server: CLUSTER MYSHARDID, Valkey's SLOT-STATS, CLUSTERSCAN and
/// slot-migration subcommands, and SETSLOT's TIMEOUT and REPLICATE NO ONE. Leaves the node with
/// no slots and no keys, as it found it.
pub async fn newer_cluster(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    if has(c, Some((7, 2, 0)), Some((7, 2, 0))) {
        let shard = c.cluster_myshardid().await?;
        assert!(
            shard.len() == 40 && shard.chars().all(|ch| ch.is_ascii_hexdigit()),
            "{shard}"
        );
    } else {
        lacks(c.cluster_myshardid().await, "needs Redis 7.2.0");
    }

    let slots = |a, b| ClusterSlotStatsFilter::Slotsrange(a, b);
    if has(c, None, Some((8, 0, 0))) {
        let stats = c.cluster_slot_stats(slots(0, 1)).await?;
        assert!(stats.is_empty(), "no slots served yet: {stats:?}");
    } else {
        lacks(
            c.cluster_slot_stats(slots(0, 1)).await,
            "needs Valkey 8.0.0 (no Redis release has it)",
        );
    }

    if has(c, None, Some((9, 0, 0))) {
        let migrations: Vec<HashMap<String, Value>> = c.cluster_getslotmigrations().await?;
        assert!(migrations.is_empty(), "{migrations:?}");
        let none = c.cluster_cancelslotmigrations().await;
        assert!(error_code(none).contains("No migrations"));
        // Refused before the target is looked at: this node serves no slot yet.
        let nowhere = c.cluster_migrateslots([(0, 10)], "0".repeat(40)).await;
        assert!(error_code(nowhere).contains("Slot 0 has no node served"));
        let (): () = c.cluster_replicate(ClusterReplicateArgs::NoOne).await?;
    } else {
        lacks(c.cluster_getslotmigrations().await, "needs Valkey 9.0.0");
        lacks(c.cluster_cancelslotmigrations().await, "needs Valkey 9.0.0");
        lacks(
            c.cluster_migrateslots([(0, 10)], "0".repeat(40)).await,
            "needs Valkey 9.0.0",
        );
        lacks(c.cluster_flushslot(0).await, "needs Valkey 9.0.0");
        let no_one = c.cluster_replicate(ClusterReplicateArgs::NoOne).await;
        assert!(error_code(no_one).contains("wrong number of arguments"));
    }

    let timeout = c
        .cluster_setslot(3, ClusterSetslotState::Stable)
        .timeout(Duration::from_millis(100))
        .await;
    if has(c, None, Some((8, 0, 0))) {
        let (): () = timeout?;
    } else {
        assert!(error_code(timeout).contains("Invalid CLUSTER SETSLOT"));
    }

    if has(c, None, Some((9, 1, 0))) {
        with_all_slots(&t).await?;
    } else {
        lacks(
            c.clusterscan::<String>("0").await,
            "needs Valkey 9.1.0 (no Redis release has it)",
        );
    }
    Ok(())
}

/// Valkey 9.1, with every slot on this node: keys to scan, count and flush by slot.
async fn with_all_slots(t: &Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    c.cluster_addslotsrange([(0, 16383)]).await?;
    // A node that had no slots waits its node timeout before it reports the cluster ok.
    for _ in 0..200 {
        if c.cluster_info().await?.contains("cluster_state:ok") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tag = format!("{{{}}}", t.key("slot"));
    let slot = c.cluster_keyslot(&tag).await?;
    let keys: BTreeSet<String> = ["a", "b"].map(|k| format!("{tag}{k}")).into();
    for key in &keys {
        c.set(key, "1").await?;
    }
    c.hset(format!("{tag}hash"), [("f", "v")]).await?;

    // CLUSTERSCAN of that slot only, strings matching the tag; then of the whole keyspace.
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_owned();
    for calls in 0.. {
        anyhow::ensure!(calls < 100, "CLUSTERSCAN never ended");
        let (next, batch): (String, Vec<String>) = c
            .clusterscan(&cursor)
            .slot(slot)
            .pattern(format!("{tag}*"))
            .of_type("string")
            .count(10)
            .await?;
        seen.extend(batch);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert_eq!(seen, keys);
    let mut all = BTreeSet::new();
    let mut cursor = "0".to_owned();
    for calls in 0.. {
        anyhow::ensure!(calls < 20_000, "CLUSTERSCAN never ended");
        let (next, batch): (String, Vec<String>) = c.clusterscan(&cursor).count(1000).await?;
        all.extend(batch);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    assert!(all.len() == 3 && all.is_superset(&keys), "{all:?}");

    let stats = c
        .cluster_slot_stats(ClusterSlotStatsFilter::Slotsrange(slot, slot))
        .await?;
    assert_eq!(stats.len(), 1, "{stats:?}");
    assert_eq!(stats[0].0, slot);
    assert_eq!(stats[0].1.get("key-count"), Some(&3));
    let top = c
        .cluster_slot_stats(ClusterSlotStatsFilter::Orderby(
            "key-count".into(),
            Some(1),
            Some(ClusterSlotStatsFilterOrderbyOrder::Desc),
        ))
        .await?;
    assert_eq!(top.len(), 1);
    assert_eq!((top[0].0, top[0].1.get("key-count")), (slot, Some(&3)));

    let (): () = c.cluster_flushslot(slot).synchronous().await?;
    assert_eq!(c.cluster_countkeysinslot(slot).await?, 0);
    c.set(format!("{tag}again"), "1").await?;
    c.cluster_flushslot(slot).asynchronous().await?;
    for _ in 0..500 {
        if c.cluster_countkeysinslot(slot).await? == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(c.cluster_countkeysinslot(slot).await?, 0);
    c.cluster_flushslots().await?;
    Ok(())
}
