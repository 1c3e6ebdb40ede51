use sider::prelude::*;
use sider::Client;
use std::collections::HashMap;
use std::time::Duration;

/// A stream read through a consumer group: stream name → entries (ID, then fields and values).
type Batch = Option<HashMap<String, Vec<(String, Option<Vec<(String, String)>>)>>>;

/// Creates the `workers` group on the `jobs` stream (and the stream), once; a group that
/// exists already is fine.
pub async fn create_group(client: &Client) -> Result<(), sider::Error> {
    let created = client
        .xgroup_create("jobs", "workers", "0") // "0": from the stream's start
        .mkstream()
        .await;
    match created {
        Err(e) if e.server_error().is_some_and(|s| s.code() == "BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Adds a job to the queue; any process can, with or without workers running.
pub async fn enqueue(client: &Client, job: &str) -> Result<String, sider::Error> {
    client.xadd("jobs", "*", [("job", job)]).await // "*": the server picks the ID
}

/// One round of one worker: waits up to a second for jobs no other worker of the group was
/// given, handles them, and acknowledges each. A job whose worker died before `XACK` stays
/// pending, for `XAUTOCLAIM` to hand to another.
pub async fn work(client: &Client, worker: &str) -> Result<Vec<String>, sider::Error> {
    let batch: Batch = client
        .xreadgroup("workers", worker, "jobs", ">")
        .count(10)
        .block(Duration::from_secs(1))
        .await?;
    let mut done = Vec::new();
    for (id, fields) in batch
        .into_iter()
        .flatten()
        .flat_map(|(_stream, entries)| entries)
    {
        let job = fields
            .into_iter()
            .flatten()
            .find(|(field, _)| field == "job");
        if let Some((_, job)) = job {
            done.push(job); // the work itself goes here
        }
        client.xack("jobs", "workers", [&id]).await?;
    }
    Ok(done)
}
