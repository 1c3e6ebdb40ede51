//! Replays every saved input in `seeds/<target>/` through its target's checks, so that seeds and
//! the inputs of fixed crashes stay regression tests: `cargo test` in this folder.

use std::fs;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = fs::read(&path).unwrap();
        eprintln!("{target}: {}", path.display());
        check(&data);
        count += 1;
    }
    assert!(count > 0, "no seeds in {}", dir.display());
}

#[test]
fn resp_decode_seeds() {
    replay("resp_decode", sider_fuzz::resp_decode);
}

#[test]
fn resp_split_seeds() {
    replay("resp_split", sider_fuzz::resp_split);
}

#[test]
fn typed_decode_seeds() {
    replay("typed_decode", sider_fuzz::typed_decode);
}

#[test]
fn roundtrip_seeds() {
    replay("roundtrip", sider_fuzz::roundtrip);
}
