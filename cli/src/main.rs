//! `scanpay` — the ScanPay command-line tool for developers and QA.
//!
//! Subcommands (all seven; `scanpay help COMMAND` for every option):
//! - `scanpay decode [--json] IMAGE...` — decode every QR code in each image.
//! - `scanpay inspect [--json] [--roots FILE --registry FILE [--now T]] PAYLOAD` — classify
//!   a scanned text, parse it, and (with trust data) give the merchant verdict.
//! - `scanpay qr make …` / `scanpay qr keygen --out FILE` — signed merchant QR codes (PNG +
//!   SVG, payload on stdout) and merchant signing keys; `qr make --merchant M --dynamic
//!   --amount A` creates the order in the sandbox so that the code is payable there.
//! - `scanpay sandbox serve|fault|clear-faults|advance-clock|payment` — run the sandbox
//!   backend (HTTPS) and steer a running one through its data dir's `link.json`.
//! - `scanpay fixtures DIR` — the QA fixture pack: QR images with the verdict each must get.
//! - `scanpay scenario FILE` — replay a QA scenario (JSON) against an in-process sandbox
//!   and a real wallet.
//! - `scanpay demo [--out DIR]` — the main job: a signed merchant QR image, scanned,
//!   parsed and verified end to end through the core, and paid against the sandbox.
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
