//! What the test binaries that need the twin host share: the checkout's root, the twin
//! target, and the skip that keeps a fresh clone's `cargo test` green without it.

use std::path::PathBuf;

use witness::target::{self, Target};

pub fn root() -> PathBuf {
    witness::RunConfig::from_env()
        .expect("the WITNESS_* variables are valid")
        .root
}

/// These tests need the twin host. Asked for (`WITNESS_TARGET` set, as `cargo xtask test`
/// does), a missing twin fails them; otherwise (a fresh clone's `cargo test`) each test
/// says how to run it and returns.
pub fn skip(test: &str) -> bool {
    if std::env::var_os("WITNESS_TARGET").is_some() || target::load(&root(), "twin").is_ok() {
        return false;
    }
    eprintln!(
        "SKIPPED: needs the twin host: cargo xtask twin up, then cargo test --test {test} (cargo xtask test runs everything)"
    );
    true
}

pub fn twin() -> Target {
    target::load(&root(), "twin").unwrap_or_else(|e| {
        panic!("the twin host is not up ({e}); start it with: cargo xtask twin up")
    })
}
