//! TLS: connect over `rediss://`, verifying the server's certificate against a CA of your own,
//! optionally with a client certificate (mutual TLS).
//!
//! Reads `REDIS_TLS_URL` (default `rediss://127.0.0.1:6380`), and optionally `REDIS_TLS_CA` (a
//! PEM file of CAs to trust instead of the public roots), `REDIS_TLS_CERT` and `REDIS_TLS_KEY`
//! (a client certificate and its key, for `tls-auth-clients yes`). `scripts/run-examples`
//! makes a throwaway CA with openssl and starts a TLS-only server for it; against your own:
//!
//! ```sh
//! redis-server --port 0 --tls-port 6380 --tls-cert-file server.crt --tls-key-file server.key \
//!     --tls-ca-cert-file ca.crt --tls-auth-clients no
//! REDIS_TLS_URL=rediss://127.0.0.1:6380 REDIS_TLS_CA=ca.crt \
//!     cargo run -p sider-examples --example tls
//! ```
//!
//! The certificate is always verified; the only way around it,
//! `TlsConfig::danger_accept_invalid_certs()`, is not used here.

use anyhow::Context;
use sider::prelude::*;
use sider::{Config, TlsConfig};

fn read(var: &str) -> anyhow::Result<Option<Vec<u8>>> {
    match std::env::var(var) {
        Ok(path) => Ok(Some(
            std::fs::read(&path).with_context(|| format!("reading {var}={path}"))?,
        )),
        Err(_) => Ok(None),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url =
        std::env::var("REDIS_TLS_URL").unwrap_or_else(|_| "rediss://127.0.0.1:6380".to_owned());
    let mut tls = TlsConfig::new();
    if let Some(ca) = read("REDIS_TLS_CA")? {
        tls = tls.ca_pem(ca);
    }
    if let (Some(cert), Some(key)) = (read("REDIS_TLS_CERT")?, read("REDIS_TLS_KEY")?) {
        tls = tls.client_cert_pem(cert, key);
    }
    let config = Config::from_url(&url)?.tls(tls);
    let client = sider::Client::connect_with(config)
        .await
        .with_context(|| format!("connecting to {url}"))?;

    client.set("tls:greeting", "hello over TLS").await?;
    let value = client.get::<String>("tls:greeting").await?;
    println!("{}", value.as_deref().unwrap_or("(nil)"));
    Ok(())
}
