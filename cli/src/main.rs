//! `scanpay` — the ScanPay command-line tool for developers and QA.
//!
//! Subcommands:
//! - `scanpay decode [--json] IMAGE...` — decode every QR code in each image.
//! - `scanpay inspect [--json] [--roots FILE --registry FILE [--now T]] PAYLOAD` — classify
//!   a scanned text, parse it, and (with trust data) give the merchant verdict.
//! - `scanpay demo [--out DIR]` — the main job: a signed merchant QR image, scanned,
//!   parsed and verified end to end through the core.
//!
//! The `--json` output formats are a contract that other tools read; see
//! `docs/cli.md`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
mod demo;
mod fixtures;
mod harness;
mod image_io;
mod inspect;
mod json;
mod qr;
mod render;
mod sandbox;
mod scenario;
mod trust_files;

/// ScanPay developer and QA tool.
#[derive(Debug, Parser)]
#[command(name = "scanpay", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode every QR code in each image (PNG, JPEG, WebP).
    Decode(decode::Args),
    /// Classify and parse a scanned text; give the merchant verdict when trust data is given.
    Inspect(inspect::Args),
    /// Make signed merchant QR codes (PNG + SVG) and merchant keys.
    Qr(Box<qr::Args>),
    /// Run the sandbox backend and steer it (faults, clock, server-side truth).
    Sandbox(Box<sandbox::Args>),
    /// Write the QA fixture pack: QR images with the expected verdict of each.
    Fixtures(fixtures::Args),
    /// Replay a QA scenario (JSON) against an in-process sandbox and a real wallet.
    Scenario(scenario::Args),
    /// Run the main job: make a signed merchant QR, scan it, parse and verify it.
    Demo(demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Qr(args) => qr::run(&args),
        Command::Fixtures(args) => fixtures::run(&args),
        Command::Scenario(args) => scenario::run(&args),
        Command::Sandbox(args) => sandbox::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("scanpay: {e}");
            ExitCode::from(2)
        }
    }
}
