//! The crypto provider is ring only: aws-lc-rs (a large C/assembly build,
//! and a second crypto stack to audit) must never enter the workspace's
//! dependency tree, whatever the platform or dependency kind.

use std::process::Command;

#[test]
fn aws_lc_rs_is_not_in_the_dependency_tree() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--workspace",
            "--target",
            "all",
            "-e",
            "all",
            "-i",
            "aws-lc-rs",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `cargo tree -i` fails with "did not match any packages" when the
    // package is absent; if it is present it succeeds and prints its
    // reverse dependencies.
    assert!(!out.status.success(), "aws-lc-rs is in the tree:\n{stdout}");
    assert!(
        stderr.contains("did not match any packages"),
        "unexpected cargo tree failure:\n{stderr}"
    );
    assert!(stdout.trim().is_empty());
}

#[test]
fn ring_is_the_provider_in_the_tree() {
    // The same query for a package that is there must succeed, so the test
    // above cannot pass merely because `cargo tree` is broken.
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--workspace",
            "-i",
            "ring",
            "--depth",
            "1",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("rustls"), "{stdout}");
}
