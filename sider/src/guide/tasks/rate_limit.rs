use sider::prelude::*;
use sider::Client;
use std::time::Duration;

/// Allows `limit` calls per `window` for `who`: a counter per caller, created by the first
/// call of a window and expiring with it.
pub async fn allow(
    client: &Client,
    who: &str,
    limit: i64,
    window: Duration,
) -> Result<bool, sider::Error> {
    let key = format!("rate:{who}");
    // INCR and EXPIRE NX in one transaction: the first call of a window starts its clock, the
    // others leave it running, and no counter is left without an expiry.
    let (calls, _started): (i64, bool) = client
        .transaction()
        .incr(&key)
        .expire(&key, window)
        .nx()
        .execute()
        .await?;
    Ok(calls <= limit)
}
