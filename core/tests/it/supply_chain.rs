//! The crypto provider is ring only: aws-lc-rs (a large C/assembly build,
//! and a second crypto stack to audit) must never enter the workspace's
//! dependency graph, whatever the platform or dependency kind.
//!
//! The check reads `Cargo.lock`, not `cargo tree`. The lock file is the
//! workspace's whole resolve — every platform's dependencies, build and dev
//! dependencies, optional ones any member's feature can switch on — so a
//! crate absent from it cannot be built for any target. `cargo tree
//! --target all` answers the same question but needs every platform's crates
//! downloaded, which a fresh machine does not have after building for its own
//! host: it failed there with `--offline` (issue 14) while CI, on a machine
//! with a warm cache, stayed green. Reading the lock needs no network and no
//! cache at all.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

/// Crates that must never be in the graph (ADR 0007: ring is the provider).
const BANNED: &[&str] = &["aws-lc-rs", "aws-lc-sys", "aws-lc-fips-sys", "openssl-sys"];

#[derive(Deserialize)]
struct LockFile {
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Package name → the names of its dependencies. A dependency entry is
/// `name`, `name version` or `name version (source)`; only the name counts
/// here (two versions of one crate are the same crate for a ban).
fn graph(lock_text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let lock: LockFile = toml::from_str(lock_text).expect("Cargo.lock parses as TOML");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in lock.package {
        let deps = p
            .dependencies
            .iter()
            .filter_map(|d| d.split_whitespace().next())
            .map(str::to_string);
        graph.entry(p.name).or_default().extend(deps);
    }
    graph
}

/// Every banned crate reachable from `root`, with the path that reaches it.
fn banned_reachable(graph: &BTreeMap<String, BTreeSet<String>>, root: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![root.to_string()]];
    while let Some(path) = stack.pop() {
        let Some(last) = path.last() else { continue };
        if !seen.insert(last.clone()) {
            continue;
        }
        if BANNED.contains(&last.as_str()) {
            found.push(path.join(" -> "));
        }
        for dep in graph.get(last).into_iter().flatten() {
            let mut next = path.clone();
            next.push(dep.clone());
            stack.push(next);
        }
    }
    found
}

fn workspace_lock() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock");
    std::fs::read_to_string(path).expect("the workspace's Cargo.lock")
}

/// The workspace's members (path dependencies have no `source` in the lock;
/// their names are the roots of the graph).
fn members(lock_text: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct Lock {
        package: Vec<Pkg>,
    }
    #[derive(Deserialize)]
    struct Pkg {
        name: String,
        source: Option<String>,
    }
    let lock: Lock = toml::from_str(lock_text).expect("Cargo.lock parses as TOML");
    lock.package
        .into_iter()
        .filter(|p| p.source.is_none())
        .map(|p| p.name)
        .collect()
}

#[test]
fn aws_lc_rs_is_not_in_the_lock_file() {
    let text = workspace_lock();
    let graph = graph(&text);
    for banned in BANNED {
        assert!(
            !graph.contains_key(*banned),
            "{banned} is in Cargo.lock: the workspace's resolve can build it"
        );
    }
    let members = members(&text);
    assert!(
        members.iter().any(|m| m == "scanpay-core") && members.iter().any(|m| m == "scanpay-ffi"),
        "the workspace members are the lock's path packages: {members:?}"
    );
    for m in &members {
        assert_eq!(banned_reachable(&graph, m), Vec::<String>::new(), "{m}");
    }
}

#[test]
fn ring_is_the_provider_in_the_lock_file() {
    let graph = graph(&workspace_lock());
    let rustls = graph.get("rustls").expect("rustls is in the lock");
    assert!(rustls.contains("ring"), "rustls depends on {rustls:?}");
    let core = graph
        .get("scanpay-core")
        .expect("scanpay-core is in the lock");
    assert!(core.contains("rustls") && core.contains("ring"), "{core:?}");
}

#[test]
fn the_check_finds_a_banned_crate_however_deep() {
    // The same check on a lock that does pull aws-lc-rs in, through a
    // dependency of a dependency, must see it: the tests above cannot pass
    // merely because the walk is broken.
    let lock = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["tls 1.0.0", "log"]

[[package]]
name = "tls"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["aws-lc-rs 1.13.0 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "log"
version = "0.4.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "aws-lc-rs"
version = "1.13.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["aws-lc-sys"]

[[package]]
name = "aws-lc-sys"
version = "0.30.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
    let graph = graph(lock);
    assert_eq!(members(lock), vec!["app".to_string()]);
    let found = banned_reachable(&graph, "app");
    assert!(
        found.contains(&"app -> tls -> aws-lc-rs".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"app -> tls -> aws-lc-rs -> aws-lc-sys".to_string()),
        "{found:?}"
    );
}
