use super::*;

#[test]
fn parses_urls() {
    let c = Config::from_url("redis://127.0.0.1").unwrap();
    assert_eq!(
        c.addr,
        Addr::Tcp {
            host: "127.0.0.1".into(),
            port: 6379
        }
    );
    assert_eq!((c.db, c.protocol), (0, Protocol::Resp3));

    let c = Config::from_url("redis://user:p%40ss@localhost:7000/3?protocol=2").unwrap();
    assert_eq!(
        c.addr,
        Addr::Tcp {
            host: "localhost".into(),
            port: 7000
        }
    );
    assert_eq!(c.username.as_deref(), Some("user"));
    assert_eq!(c.password.as_deref(), Some("p@ss"));
    assert_eq!((c.db, c.protocol), (3, Protocol::Resp2));

    let c = Config::from_url("redis://:secret@[::1]:6380").unwrap();
    assert_eq!(
        c.addr,
        Addr::Tcp {
            host: "::1".into(),
            port: 6380
        }
    );
    assert_eq!(c.username, None);
    assert_eq!(c.password.as_deref(), Some("secret"));

    let c = Config::from_url("unix:///tmp/redis.sock?db=5").unwrap();
    assert_eq!(c.addr, Addr::Unix("/tmp/redis.sock".into()));
    assert_eq!(c.db, 5);
}

#[test]
fn rejects_bad_urls() {
    for url in [
        "http://localhost",
        "redis://localhost/abc",
        "redis://localhost?protocol=4",
        "redis://localhost?bogus=1",
        "not a url",
        #[cfg(not(feature = "tls"))]
        "rediss://localhost",
    ] {
        let err = Config::from_url(url).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config, "{url}");
    }
    #[cfg(not(feature = "tls"))]
    {
        let err = Config::from_url("rediss://localhost").unwrap_err();
        assert!(err.to_string().contains("without TLS"), "{err}");
    }
    #[cfg(feature = "tls")]
    assert!(Config::from_url("rediss://localhost")
        .unwrap()
        .tls
        .is_some());
}

#[test]
fn debug_hides_the_password() {
    let c = Config::from_url("redis://u:hunter2@localhost").unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
}
