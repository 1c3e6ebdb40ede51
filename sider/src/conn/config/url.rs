//! [`Config::from_url`]: the URL forms a client connects with.

use super::{Config, Protocol};
use crate::error::Error;

impl Config {
    /// Parses `redis://[user[:password]@]host[:port][/db][?protocol=2]`,
    /// `rediss://...` (TLS), `unix:///path/to/socket[?db=N&protocol=2]`, or
    /// `redis+sentinel://[user[:password]@]host1[:port1],host2[:port2]/master[/db][?role=replica]`
    /// (a group Redis Sentinel watches, see [`Config::sentinel`]; sentinel ports default to
    /// 26379, and `rediss+sentinel://` speaks TLS to sentinels and data nodes alike).
    ///
    /// Query parameters: `protocol` (`2` or `3`), `db`, `client_name`, `password`, `username`;
    /// `role` (`primary` or `replica`) for Sentinel.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a malformed URL, an unknown scheme or
    /// parameter, or `rediss://` in a build without the `tls` feature.
    pub fn from_url(url: &str) -> Result<Config, Error> {
        if let Some((tls, rest)) = url
            .strip_prefix("redis+sentinel://")
            .map(|rest| (false, rest))
            .or_else(|| {
                url.strip_prefix("rediss+sentinel://")
                    .map(|rest| (true, rest))
            })
        {
            return super::super::sentinel::parse_url(tls, rest);
        }
        let parsed =
            url::Url::parse(url).map_err(|e| Error::config(format!("invalid Redis URL: {e}")))?;
        let mut config = match parsed.scheme() {
            "redis" | "rediss" => {
                let host = match parsed.host() {
                    Some(url::Host::Ipv6(ip)) => ip.to_string(),
                    Some(host) => host.to_string(),
                    None => return Err(Error::config("Redis URL has no host")),
                };
                let mut config = Config::tcp(host, parsed.port().unwrap_or(6379));
                if parsed.scheme() == "rediss" {
                    config = config.with_default_tls()?;
                }
                match parsed.path().trim_start_matches('/') {
                    "" => {}
                    db => config.db = parse_db(db)?,
                }
                config
            }
            "unix" | "redis+unix" => {
                if parsed.path().is_empty() {
                    return Err(Error::config("unix URL has no socket path"));
                }
                Config::unix(parsed.path())
            }
            other => {
                return Err(Error::config(format!(
                    "unknown URL scheme `{other}` (expected redis, rediss, unix or redis+sentinel)"
                )))
            }
        };
        if !parsed.username().is_empty() {
            config.username = Some(decode(parsed.username())?);
        }
        if let Some(password) = parsed.password() {
            config.password = Some(decode(password)?);
        }
        for (key, value) in parsed.query_pairs() {
            match &*key {
                "db" => config.db = parse_db(&value)?,
                "protocol" | "resp" => {
                    config.protocol = match &*value {
                        "2" | "resp2" => Protocol::Resp2,
                        "3" | "resp3" => Protocol::Resp3,
                        other => {
                            return Err(Error::config(format!(
                                "unknown protocol `{other}` (expected 2 or 3)"
                            )))
                        }
                    }
                }
                "client_name" | "name" => config.client_name = Some(value.into_owned()),
                "password" => config.password = Some(value.into_owned()),
                "username" | "user" => config.username = Some(value.into_owned()),
                other => {
                    return Err(Error::config(format!("unknown URL parameter `{other}`")));
                }
            }
        }
        // A password with an empty user name (`redis://:pass@host`) authenticates as `default`.
        if config.username.as_deref() == Some("") {
            config.username = None;
        }
        Ok(config)
    }
}

impl std::str::FromStr for Config {
    type Err = Error;

    fn from_str(url: &str) -> Result<Config, Error> {
        Config::from_url(url)
    }
}

fn parse_db(text: &str) -> Result<i64, Error> {
    text.parse()
        .map_err(|_| Error::config(format!("database `{text}` is not a number")))
}

fn decode(text: &str) -> Result<String, Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes).map_err(|_| Error::config("URL credentials are not UTF-8"))
}
