//! Every QA scenario under `tests/scenarios/` replays green through
//! `scanpay scenario`: the files are both examples for QA and tests.

// Test helpers fail loudly: a broken scenario is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

#[test]
fn every_scenario_replays_green() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "scenarios in {}", dir.display());
    for file in files {
        let out_tmp = tempfile::Builder::new()
            .prefix(&format!(
                "scanpay-scenario-{}-",
                file.file_stem().unwrap().to_string_lossy()
            ))
            .tempdir()
            .unwrap();
        let out_dir = out_tmp.path();
        let out = Command::new(env!("CARGO_BIN_EXE_scanpay"))
            .args([
                "scenario",
                file.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .output()
            .expect("run scanpay scenario");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} failed:\n{stdout}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("Scenario passed"), "{stdout}");
    }
}
