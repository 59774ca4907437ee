//! Shared by the CLI's integration tests: run the real `scanpay` binary.
#![allow(dead_code, clippy::expect_used)]

use std::process::{Command, Output};

/// Runs the `scanpay` binary Cargo built for these tests with `args`.
pub fn scanpay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scanpay"))
        .args(args)
        .output()
        .expect("run scanpay")
}
