use super::*;

fn limits(entries: usize, bytes: usize) -> CacheLimits {
    CacheLimits {
        entries,
        bytes,
        ttl: None,
        prefixes: Vec::new(),
    }
}

fn live(limits: CacheLimits) -> Cache {
    let cache = Cache::new(limits);
    cache.connected();
    cache
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn put(cache: &Cache, key: &str, command: &str, value: &str) {
    cache.insert(b(key), b(command), Frame::Bulk(b(value)), None);
}

#[test]
fn serves_nothing_until_live_and_nothing_after_a_disconnect() {
    let cache = Cache::new(limits(10, 1 << 20));
    put(&cache, "k", "GET k", "v");
    assert_eq!(cache.get(b"GET k"), None, "not live: nothing kept");
    cache.connected();
    put(&cache, "k", "GET k", "v");
    assert_eq!(cache.get(b"GET k"), Some(Frame::Bulk(b("v"))));
    cache.disconnected();
    assert_eq!((cache.len(), cache.get(b"GET k")), (0, None));
    put(&cache, "k", "GET k", "v");
    assert_eq!(cache.len(), 0, "dead: nothing kept");
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.disconnects), (1, 2, 1));
}

#[test]
fn invalidation_drops_every_command_of_a_key_and_nothing_else() {
    let cache = live(limits(10, 1 << 20));
    put(&cache, "k", "GET k", "v");
    put(&cache, "k", "STRLEN k", "1");
    put(&cache, "j", "GET j", "w");
    cache.invalidate(b"k");
    assert_eq!(cache.get(b"GET k"), None);
    assert_eq!(cache.get(b"STRLEN k"), None);
    assert_eq!(cache.get(b"GET j"), Some(Frame::Bulk(b("w"))));
    assert_eq!(cache.stats().invalidated, 2);
    cache.flush();
    assert_eq!(cache.len(), 0);
    assert_eq!(cache.stats().invalidated, 3);
}

#[test]
fn evicts_the_least_recently_used_by_count_and_by_bytes() {
    let cache = live(limits(3, 1 << 20));
    put(&cache, "a", "GET a", "1");
    put(&cache, "b", "GET b", "2");
    put(&cache, "c", "GET c", "3");
    assert!(cache.get(b"GET a").is_some()); // a is now the most recent
    put(&cache, "d", "GET d", "4");
    assert_eq!(cache.get(b"GET b"), None, "b was the least recently used");
    assert!(cache.get(b"GET a").is_some() && cache.get(b"GET d").is_some());
    assert_eq!(cache.stats().evicted, 1);

    // Room for two 1 KiB values, not three.
    let entry = ENTRY_OVERHEAD + 16 + 1024 + 10;
    let cache = live(limits(100, 2 * entry + entry / 2));
    let big = "x".repeat(1024);
    put(&cache, "a", "GET a", &big);
    put(&cache, "b", "GET b", &big);
    put(&cache, "c", "GET c", &big);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.get(b"GET a"), None);
    assert!(cache.stats().bytes <= 2 * entry + entry / 2);
    // A reply larger than the whole bound is not kept at all.
    put(&cache, "h", "GET h", &"y".repeat(8 * 1024));
    assert_eq!(cache.get(b"GET h"), None);
    assert_eq!(cache.len(), 2);
}

#[test]
fn broadcast_keeps_only_keys_under_its_prefixes() {
    let cache = live(CacheLimits {
        prefixes: vec![b("user:")],
        ..limits(10, 1 << 20)
    });
    put(&cache, "user:1", "GET user:1", "ada");
    put(&cache, "other", "GET other", "x");
    assert!(cache.get(b"GET user:1").is_some());
    assert_eq!(cache.get(b"GET other"), None, "nothing would invalidate it");
}

#[test]
fn entries_expire() {
    let cache = live(limits(10, 1 << 20));
    let past = Instant::now() - Duration::from_millis(1);
    cache.insert(b("k"), b("GET k"), Frame::Bulk(b("v")), Some(past));
    assert_eq!(cache.get(b"GET k"), None);
    assert_eq!((cache.len(), cache.stats().expired), (0, 1));
    let later = Instant::now() + Duration::from_secs(60);
    cache.insert(b("k"), b("GET k"), Frame::Bulk(b("v")), Some(later));
    assert!(cache.get(b"GET k").is_some());
}

#[test]
fn a_replaced_entry_is_counted_once_and_slots_are_reused() {
    let cache = live(limits(10, 1 << 20));
    for i in 0..100 {
        put(&cache, "k", "GET k", &i.to_string());
    }
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.store().slots.len(), 1);
    assert_eq!(cache.get(b"GET k"), Some(Frame::Bulk(b("99"))));
    let bytes = cache.stats().bytes;
    cache.invalidate(b"k");
    assert_eq!((cache.stats().bytes, bytes > 0), (0, true));
}

/// The cost of one invalidation does not grow with the cache's size: prints nanoseconds per
/// invalidation at 10,000 and 1,000,000 entries (50,000 invalidations each). Run with
/// `cargo test --release -p sider-redis --lib invalidation_cost -- --ignored --nocapture`; for
/// instruction counts, run one size at a time under
/// `valgrind --tool=callgrind --toggle-collect='sider::conn::cache::Cache::invalidate'`.
#[test]
#[ignore = "a measurement, not a check: run it in release"]
fn invalidation_cost() {
    // `SIDER_INVALIDATION_SIZES=10000` measures one size (for callgrind, one run each).
    let sizes: Vec<usize> = std::env::var("SIDER_INVALIDATION_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 1_000_000]);
    for n in sizes {
        let cache = live(limits(n, usize::MAX));
        let keys: Vec<Bytes> = (0..n).map(|i| Bytes::from(format!("key:{i}"))).collect();
        let fill = |cache: &Cache| {
            for key in &keys {
                let mut command = b"GET ".to_vec();
                command.extend_from_slice(key);
                cache.insert(key.clone(), command.into(), Frame::Integer(1), None);
            }
        };
        fill(&cache);
        let sample = 10_000.min(n);
        let mut rounds = Vec::new();
        for round in 0..5 {
            let started = Instant::now();
            for key in keys.iter().skip(round * 7).step_by(n / sample).take(sample) {
                cache.invalidate(key);
            }
            rounds.push(started.elapsed().as_nanos() / sample as u128);
            fill(&cache);
        }
        rounds.sort_unstable();
        println!(
            "invalidation at {n} entries: median {} ns (rounds {rounds:?})",
            rounds[2]
        );
    }
}
