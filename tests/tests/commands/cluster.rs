//! Group cluster, on a single-node cluster-enabled server; and what a plain server says.

use crate::{error_code, Ctx};
use sider::commands::{ClusterReplicateArgs, ClusterResetMode, ClusterSetslotState};
use sider::prelude::*;
use sider::Value;
use std::collections::HashMap;

/// Runs on the cluster-enabled server, RESP2 then RESP3 (not concurrently: it assigns slots).
pub async fn cluster(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    assert_eq!(c.cluster_keyslot("foo").await?, 12182);
    assert_eq!(c.cluster_keyslot("{foo}.bar").await?, 12182);
    let id = c.cluster_myid().await?;
    assert_eq!(id.len(), 40);
    let info = c.cluster_info().await?;
    assert!(info.contains("cluster_state:"), "{info}");
    let nodes = c.cluster_nodes().await?;
    assert!(
        nodes.starts_with(&id) && nodes.contains("myself,master"),
        "{nodes}"
    );
    let help: Vec<String> = c.cluster_help().await?;
    assert!(help.iter().any(|l| l.contains("ADDSLOTSRANGE")));

    let (): () = c.cluster_addslots([1, 2]).await?;
    let (): () = c.cluster_addslotsrange([(10, 20), (30, 31)]).await?;
    let (): () = c.cluster_delslots(2).await?;
    let (): () = c.cluster_delslotsrange([(15, 20)]).await?;
    let (): () = c.cluster_setslot(3, ClusterSetslotState::Stable).await?;
    let slots: Vec<Value> = c.cluster_slots().await?;
    // Slot 1, 10-14 and 30-31: three ranges.
    assert_eq!(slots.len(), 3, "{slots:?}");
    let shards: Vec<HashMap<String, Value>> = c.cluster_shards().await?;
    assert_eq!(shards.len(), 1);
    assert!(shards[0].contains_key("slots") && shards[0].contains_key("nodes"));
    let links: Vec<HashMap<String, Value>> = c.cluster_links().await?;
    assert!(links.is_empty(), "a single node has no links: {links:?}");
    assert_eq!(c.cluster_countkeysinslot(1).await?, 0);
    let keys: Vec<String> = c.cluster_getkeysinslot(1, 10).await?;
    assert!(keys.is_empty());
    assert!(c.cluster_replicas(&id).await?.is_empty());
    assert!(c.cluster_slaves(&id).await?.is_empty());
    assert_eq!(c.cluster_count_failure_reports(&id).await?, 0);

    let epoch = c.cluster_bumpepoch().await?;
    assert!(
        epoch.starts_with("BUMPED ") || epoch.starts_with("STILL "),
        "{epoch}"
    );
    assert!(error_code(c.cluster_set_config_epoch(5).await).contains("epoch"));
    let (): () = c.cluster_saveconfig().await?;
    assert!(error_code(c.cluster_forget("no-such-node").await).contains("Unknown node"));
    let replicate = c.cluster_replicate(ClusterReplicateArgs::NodeId("no-such-node".into()));
    assert!(error_code(replicate.await).contains("Unknown node"));
    assert!(error_code(c.cluster_failover().await).contains("replica"));
    assert!(error_code(c.cluster_failover().force().await).contains("replica"));

    // The per-connection switches a cluster client sends.
    let mut conn = c.dedicated().await?;
    let (): () = conn.readonly().await?;
    let (): () = conn.readwrite().await?;
    let (): () = conn.asking().await?;

    // A node to meet that never answers: it stays in handshake until the reset below forgets it.
    let (): () = c.cluster_meet("127.0.0.1", 1).cluster_bus_port(2).await?;
    assert!(c.cluster_nodes().await?.contains("handshake"));
    let (): () = c.cluster_flushslots().await?;
    assert!(c.cluster_slots().await?.is_empty());
    let (): () = c.cluster_reset().soft().await?;
    c.cluster_reset().mode(ClusterResetMode::Soft).await?;
    assert_eq!(
        c.cluster_myid().await?,
        id,
        "a soft reset keeps the node ID"
    );
    Ok(())
}

/// A plain server refuses the CLUSTER commands and the cluster connection switches; Valkey
/// still computes a key's slot and accepts READONLY.
pub async fn cluster_disabled_on_a_plain_server(t: Ctx) -> anyhow::Result<()> {
    let c = &t.client;
    let valkey = c.server().is_valkey();
    assert!(error_code(c.cluster_info().await).contains("cluster support disabled"));
    let mut conn = c.dedicated().await?;
    if valkey {
        assert_eq!(c.cluster_keyslot("foo").await?, 12182);
        let (): () = conn.readonly().await?;
    } else {
        assert!(error_code(c.cluster_keyslot("foo").await).contains("cluster support disabled"));
        assert!(error_code(conn.readonly().await).contains("cluster support disabled"));
    }
    assert!(error_code(conn.asking().await).contains("cluster support disabled"));
    Ok(())
}
