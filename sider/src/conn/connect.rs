//! Opening a client's connection: to its server directly, or to the primary (or a replica) a
//! Sentinel names; then the handshake. The one entry point above `handshake` and `sentinel`.

use super::config::{Addr, Config};
use super::handshake::Established;
use crate::error::Error;

/// Connects to `config.addr` and runs the handshake, within `config.connect_timeout`.
pub(crate) async fn connect(config: &Config) -> Result<Established, Error> {
    let result = match tokio::time::timeout(config.connect_timeout, connect_inner(config)).await {
        Ok(result) => result,
        Err(_) => Err(Error::timeout(format!(
            "connecting to {} (limit {:?})",
            config.addr, config.connect_timeout
        ))),
    };
    // Requests that fail here were never written: a cluster client may resend them elsewhere.
    result.map_err(Error::unsent)
}

async fn connect_inner(config: &Config) -> Result<Established, Error> {
    match &config.addr {
        Addr::Sentinel {
            master,
            sentinels,
            replica,
        } => super::sentinel::connect(config, master, sentinels, *replica).await,
        addr => super::handshake::connect_to(config, addr).await,
    }
}
