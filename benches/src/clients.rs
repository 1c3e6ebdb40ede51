//! The four clients behind one enum, each doing the same commands with the same keys and values.
//!
//! Every client is connected the way its documentation shows, with `TCP_NODELAY` on (sider and
//! rustis set it by default; redis-rs and fred are told to) and no client-side response timeout
//! (redis-rs's default of 500 ms could fire on a loaded 2-core machine). Replies of SETs are
//! discarded through each client's unit type; GETs decode into `String` (`Bytes`-like types for
//! the 1 MiB values), so every client pays for typed replies alike.

use anyhow::{ensure, Context, Result};
use bytes::Bytes;
use std::fmt;

/// Which client library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `redis` (redis-rs) with its multiplexed tokio connection.
    RedisRs,
    /// `fred`.
    Fred,
    /// `rustis`.
    Rustis,
    /// `sider`, this workspace's client.
    Sider,
}

impl Kind {
    /// Every client, in the order the tables list them.
    pub const ALL: [Kind; 4] = [Kind::RedisRs, Kind::Fred, Kind::Rustis, Kind::Sider];

    /// The name used in tables, on the command line and in the chart.
    pub fn name(self) -> &'static str {
        match self {
            Kind::RedisRs => "redis-rs",
            Kind::Fred => "fred",
            Kind::Rustis => "rustis",
            Kind::Sider => "sider",
        }
    }

    /// The crates.io package, for looking up its locked version.
    pub fn package(self) -> &'static str {
        match self {
            Kind::RedisRs => "redis",
            Kind::Fred => "fred",
            Kind::Rustis => "rustis",
            Kind::Sider => "sider-redis",
        }
    }

    /// Parses a name as [`Kind::name`] writes it.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a batch of commands is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// All commands written before any reply is read.
    Pipeline,
    /// The same wrapped in MULTI ... EXEC.
    Transaction,
    /// sider's pipeline that discards every reply without decoding (the ancestor's
    /// `execute(ignore_results=True)`); only sider has a row for it.
    IgnoreResults,
}

impl Mode {
    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pipeline => "pipeline",
            Mode::Transaction => "transaction",
            Mode::IgnoreResults => "pipeline, ignore_results",
        }
    }

    /// Whether `kind` has a row for this mode at all.
    pub fn applies_to(self, kind: Kind) -> bool {
        self != Mode::IgnoreResults || kind == Kind::Sider
    }
}

/// Which command a batch consists of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `SET key value`, replies discarded.
    Set,
    /// `GET key`, replies decoded into `String` and checked.
    Get,
}

impl Op {
    /// The command's name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Set => "SET",
            Op::Get => "GET",
        }
    }
}

/// Whether a client could run a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ran {
    /// It ran; the time taken is the measurement.
    Yes,
    /// The client has no API for it (yet): the table shows "n/a".
    NotAvailable,
}

/// One big value, prepared once in the form each client takes without copying it in the loop.
#[derive(Clone)]
pub struct BigValue {
    bytes: Bytes,
    rustis: rustis::resp::BulkString,
}

impl BigValue {
    /// `len` bytes of a repeating pattern.
    pub fn new(len: usize) -> BigValue {
        let data: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        BigValue {
            rustis: rustis::resp::BulkString::new(data.clone()),
            bytes: Bytes::from(data),
        }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True for a zero-length value.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// A connected client of any kind. Cloning gives another handle on the same connection.
#[derive(Clone)]
pub enum Client {
    /// redis-rs's multiplexed connection (its handle is cloned per task, as its docs advise).
    RedisRs(redis::aio::MultiplexedConnection),
    /// fred's client.
    Fred(fred::prelude::Client),
    /// rustis's client.
    Rustis(rustis::client::Client),
    /// sider's client.
    Sider(sider::Client),
}

impl Client {
    /// Connects a client of `kind` to `redis://host:port`.
    pub async fn connect(kind: Kind, host: &str, port: u16) -> Result<Client> {
        let url = format!("redis://{host}:{port}");
        let client = match kind {
            Kind::RedisRs => {
                use redis::IntoConnectionInfo;
                let info = url
                    .as_str()
                    .into_connection_info()?
                    .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true));
                let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
                let client = redis::Client::open(info)?;
                Client::RedisRs(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                )
            }
            Kind::Fred => {
                use fred::prelude::{Builder, ClientLike, Config, TcpConfig};
                let config = Config::from_url(&url)?;
                let client = Builder::from_config(config)
                    .with_connection_config(|c| {
                        c.tcp = TcpConfig {
                            nodelay: Some(true),
                            ..Default::default()
                        };
                    })
                    .build()?;
                client.init().await?;
                Client::Fred(client)
            }
            Kind::Rustis => Client::Rustis(rustis::client::Client::connect(url.as_str()).await?),
            Kind::Sider => Client::Sider(sider::Client::connect(&url).await?),
        };
        Ok(client)
    }

    /// Which library this is.
    pub fn kind(&self) -> Kind {
        match self {
            Client::RedisRs(_) => Kind::RedisRs,
            Client::Fred(_) => Kind::Fred,
            Client::Rustis(_) => Kind::Rustis,
            Client::Sider(_) => Kind::Sider,
        }
    }

    /// `SET key value`, one round trip.
    pub async fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match self {
            Client::RedisRs(c) => {
                use redis::AsyncCommands;
                c.set::<_, _, ()>(key, value).await?;
            }
            Client::Fred(c) => {
                use fred::prelude::KeysInterface;
                c.set::<(), _, _>(key, value, None, None, false).await?;
            }
            Client::Rustis(c) => {
                use rustis::commands::StringCommands;
                c.set(key, value).await?;
            }
            Client::Sider(c) => {
                use sider::prelude::*;
                c.set(key, value).await?;
            }
        }
        Ok(())
    }

    /// `GET key`, one round trip, decoded into a `String`.
    pub async fn get(&mut self, key: &str) -> Result<Option<String>> {
        Ok(match self {
            Client::RedisRs(c) => {
                use redis::AsyncCommands;
                c.get::<_, Option<String>>(key).await?
            }
            Client::Fred(c) => {
                use fred::prelude::KeysInterface;
                c.get::<Option<String>, _>(key).await?
            }
            Client::Rustis(c) => {
                use rustis::commands::StringCommands;
                c.get::<Option<String>>(key).await?
            }
            Client::Sider(c) => {
                use sider::prelude::*;
                c.get::<String>(key).await?
            }
        })
    }

    /// `SET key <big value>`.
    pub async fn set_big(&mut self, key: &str, value: &BigValue) -> Result<()> {
        match self {
            Client::RedisRs(c) => {
                use redis::AsyncCommands;
                c.set::<_, _, ()>(key, &value.bytes[..]).await?;
            }
            Client::Fred(c) => {
                use fred::prelude::KeysInterface;
                c.set::<(), _, _>(key, value.bytes.clone(), None, None, false)
                    .await?;
            }
            Client::Rustis(c) => {
                use rustis::commands::StringCommands;
                c.set(key, &value.rustis).await?;
            }
            Client::Sider(c) => {
                use sider::prelude::*;
                c.set(key, &value.bytes).await?;
            }
        }
        Ok(())
    }

    /// `GET key` of a big value, decoded into the client's own bytes type; returns its length.
    pub async fn get_big(&mut self, key: &str) -> Result<usize> {
        let len = match self {
            Client::RedisRs(c) => {
                use redis::AsyncCommands;
                c.get::<_, Option<Vec<u8>>>(key).await?.map(|v| v.len())
            }
            Client::Fred(c) => {
                use fred::prelude::KeysInterface;
                c.get::<Option<Bytes>, _>(key).await?.map(|v| v.len())
            }
            Client::Rustis(c) => {
                use rustis::commands::StringCommands;
                c.get::<Option<rustis::resp::BulkString>>(key)
                    .await?
                    .map(|v| v.len())
            }
            Client::Sider(c) => {
                use sider::prelude::*;
                c.get::<Bytes>(key).await?.map(|v| v.len())
            }
        };
        len.with_context(|| format!("{key} vanished"))
    }

    /// Sends `keys.len()` commands as one batch: SETs of `keys[i]` to `values[i]` (replies
    /// discarded), or GETs of `keys[i]` (replies decoded and checked against `values`).
    pub async fn batch(
        &mut self,
        mode: Mode,
        op: Op,
        keys: &[String],
        values: &[String],
    ) -> Result<Ran> {
        if !mode.applies_to(self.kind()) {
            return Ok(Ran::NotAvailable);
        }
        let got = match self {
            Client::RedisRs(c) => redis_rs_batch(c, mode, op, keys, values).await?,
            Client::Fred(c) => fred_batch(c, mode, op, keys, values).await?,
            Client::Rustis(c) => rustis_batch(c, mode, op, keys, values).await?,
            Client::Sider(c) => match sider_batch(c, mode, op, keys, values).await? {
                Some(got) => got,
                None => return Ok(Ran::NotAvailable),
            },
        };
        if op == Op::Get {
            check_gets(&got, values)?;
        }
        Ok(Ran::Yes)
    }
}

/// A GET batch must give back every value, in order (the last one is compared in full).
fn check_gets(got: &[String], values: &[String]) -> Result<()> {
    ensure!(
        got.len() == values.len(),
        "{} replies for {} GETs",
        got.len(),
        values.len()
    );
    ensure!(
        got.last() == values.last(),
        "GET returned {:?}, expected {:?}",
        got.last(),
        values.last()
    );
    Ok(())
}

async fn redis_rs_batch(
    c: &mut redis::aio::MultiplexedConnection,
    mode: Mode,
    op: Op,
    keys: &[String],
    values: &[String],
) -> Result<Vec<String>> {
    let mut pipe = redis::pipe();
    if mode == Mode::Transaction {
        pipe.atomic();
    }
    Ok(match op {
        Op::Set => {
            for (k, v) in keys.iter().zip(values) {
                pipe.set(k.as_str(), v.as_str());
            }
            pipe.query_async::<()>(c).await?;
            Vec::new()
        }
        Op::Get => {
            for k in keys {
                pipe.get(k.as_str());
            }
            pipe.query_async::<Vec<String>>(c).await?
        }
    })
}

async fn fred_batch(
    c: &fred::prelude::Client,
    mode: Mode,
    op: Op,
    keys: &[String],
    values: &[String],
) -> Result<Vec<String>> {
    use fred::prelude::{KeysInterface, TransactionInterface};
    // fred queues a command by awaiting it on the pipeline or transaction: it resolves at once.
    match mode {
        Mode::Transaction => {
            let trx = c.multi();
            match op {
                Op::Set => {
                    for (k, v) in keys.iter().zip(values) {
                        trx.set::<(), _, _>(k.as_str(), v.as_str(), None, None, false)
                            .await?;
                    }
                    trx.exec::<()>(true).await?;
                    Ok(Vec::new())
                }
                Op::Get => {
                    for k in keys {
                        trx.get::<(), _>(k.as_str()).await?;
                    }
                    Ok(trx.exec::<Vec<String>>(true).await?)
                }
            }
        }
        _ => {
            let pipe = c.pipeline();
            match op {
                Op::Set => {
                    for (k, v) in keys.iter().zip(values) {
                        pipe.set::<(), _, _>(k.as_str(), v.as_str(), None, None, false)
                            .await?;
                    }
                    pipe.all::<()>().await?;
                    Ok(Vec::new())
                }
                Op::Get => {
                    for k in keys {
                        pipe.get::<(), _>(k.as_str()).await?;
                    }
                    Ok(pipe.all::<Vec<String>>().await?)
                }
            }
        }
    }
}

async fn rustis_batch(
    c: &rustis::client::Client,
    mode: Mode,
    op: Op,
    keys: &[String],
    values: &[String],
) -> Result<Vec<String>> {
    use rustis::client::BatchPreparedCommand;
    use rustis::commands::StringCommands;
    // rustis cannot decode N replies into `()`; `forget` is its way of discarding them.
    match mode {
        Mode::Transaction => {
            let mut trx = c.create_transaction();
            match op {
                Op::Set => {
                    for (k, v) in keys.iter().zip(values) {
                        trx.set(k.as_str(), v.as_str()).forget();
                    }
                    trx.execute::<()>().await?;
                    Ok(Vec::new())
                }
                Op::Get => {
                    for k in keys {
                        trx.get::<()>(k.as_str()).queue();
                    }
                    Ok(trx.execute::<Vec<String>>().await?)
                }
            }
        }
        _ => {
            let mut pipe = c.create_pipeline();
            match op {
                Op::Set => {
                    for (k, v) in keys.iter().zip(values) {
                        pipe.set(k.as_str(), v.as_str()).forget();
                    }
                    pipe.execute::<()>().await?;
                    Ok(Vec::new())
                }
                Op::Get => {
                    for k in keys {
                        pipe.get::<()>(k.as_str()).queue();
                    }
                    Ok(pipe.execute::<Vec<String>>().await?)
                }
            }
        }
    }
}

/// sider's batches, through its loop forms: [`sider::Batch`] from `client.batch()` for
/// pipelines (`Batch<()>` for SETs, `Batch<Option<String>>` for GETs, `execute_ignore_results()`
/// for [`Mode::IgnoreResults`]) and from `client.transaction_batch()` for MULTI/EXEC. Returns
/// `None` for a workload sider has no API for.
async fn sider_batch(
    c: &sider::Client,
    mode: Mode,
    op: Op,
    keys: &[String],
    values: &[String],
) -> Result<Option<Vec<String>>> {
    use sider::prelude::*;
    match (mode, op) {
        (Mode::Pipeline, Op::Set) => {
            let mut batch = c.batch::<()>();
            for (k, v) in keys.iter().zip(values) {
                batch.push(|b| b.set(k.as_str(), v.as_str()));
            }
            batch.execute().await?;
            Ok(Some(Vec::new()))
        }
        (Mode::IgnoreResults, Op::Set) => {
            let mut batch = c.batch::<()>();
            for (k, v) in keys.iter().zip(values) {
                batch.push(|b| b.set(k.as_str(), v.as_str()));
            }
            let ignored = batch.execute_ignore_results().await?;
            ensure!(ignored.replies == keys.len(), "{ignored:?}");
            Ok(Some(Vec::new()))
        }
        (Mode::Pipeline, Op::Get) => {
            let mut batch = c.batch::<Option<String>>();
            for k in keys {
                batch.push(|b| b.get::<String>(k.as_str()));
            }
            let got = batch.execute().await?;
            Ok(Some(
                got.into_iter().map(Option::unwrap_or_default).collect(),
            ))
        }
        (Mode::Transaction, Op::Set) => {
            let mut tx = c.transaction_batch::<()>();
            for (k, v) in keys.iter().zip(values) {
                tx.push(|b| b.set(k.as_str(), v.as_str()));
            }
            tx.execute().await?;
            Ok(Some(Vec::new()))
        }
        (Mode::Transaction, Op::Get) => {
            let mut tx = c.transaction_batch::<Option<String>>();
            for k in keys {
                tx.push(|b| b.get::<String>(k.as_str()));
            }
            let got = tx.execute().await?;
            Ok(Some(
                got.into_iter().map(Option::unwrap_or_default).collect(),
            ))
        }
        (Mode::IgnoreResults, Op::Get) => Ok(None),
    }
}
