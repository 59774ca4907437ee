//! `scanpay fixtures` writes a QA pack whose every image scans back to its
//! payload and whose every note states the verdict the core really gives.

// Test helpers fail loudly: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::scanpay;

use serde_json::Value;

/// A fresh directory under the system temp dir, removed when dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("scanpay-fx-{name}-"))
        .tempdir()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_fixture_scans_back_and_gets_its_stated_verdict() {
    let sandbox_tmp = temp_dir("sandbox");
    let pack_tmp = temp_dir("pack");
    let (sandbox, pack) = (sandbox_tmp.path(), pack_tmp.path());
    let out = scanpay(&["fixtures", s(pack), "--sandbox", s(sandbox)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(pack.join("fixtures.json")).unwrap()).unwrap();
    let fixtures = manifest.as_array().unwrap();
    let names: BTreeSet<&str> = fixtures
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for required in [
        "valid-static",
        "valid-dynamic",
        "expired",
        "tampered-amount",
        "unknown-key",
        "revoked-key",
        "sticker-swap",
        "unsigned-promptpay",
        "lookalike-name",
        "oversized",
        "light-on-dark",
        "rotated",
        "phishing-http",
        "phishing-javascript",
        "phishing-punycode",
        "phishing-userinfo",
    ] {
        assert!(names.contains(required), "missing fixture {required}");
    }

    let roots = pack.join("roots.json");
    let registry = pack.join("registry.json");
    for f in fixtures {
        let name = f["name"].as_str().unwrap();
        let payload = f["payload"].as_str().unwrap();
        let note: Value =
            serde_json::from_slice(&std::fs::read(pack.join(format!("{name}.json"))).unwrap())
                .unwrap();
        assert_eq!(&note, f, "{name}: note and manifest agree");

        // The image scans back to exactly the payload.
        let image = pack.join(f["image"].as_str().unwrap());
        let decoded = scanpay(&["decode", "--json", s(&image)]);
        let line: Value = serde_json::from_slice(&decoded.stdout).unwrap();
        assert_eq!(line["codes"][0]["text"], payload, "{name}: scans back");

        // The stated outcome is what the core concludes.
        let report = scanpay(&[
            "inspect",
            "--json",
            "--roots",
            s(&roots),
            "--registry",
            s(&registry),
            payload,
        ]);
        let v: Value = serde_json::from_slice(&report.stdout).unwrap();
        let expect = &f["expect"];
        assert_eq!(v["kind"], expect["kind"], "{name}");
        match expect["kind"].as_str().unwrap() {
            "emv-mpm" => {
                assert_eq!(v["verdict"]["verdict"], expect["verdict"], "{name}: {v}");
                if let Some(reason) = expect.get("reason") {
                    assert_eq!(&v["verdict"]["reason"], reason, "{name}");
                }
                if let Some(registered) = expect.get("registered_name") {
                    assert_eq!(&v["verdict"]["registered_name"], registered, "{name}");
                }
            }
            "url" => {
                let got: BTreeSet<&str> = v["url"]["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect();
                let want: BTreeSet<&str> = expect["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect();
                assert_eq!(got, want, "{name}");
                assert_eq!(v["url"]["clean"], false, "{name}");
            }
            other => panic!("{name}: unexpected kind {other}"),
        }
    }
}
