//! `scanpay` — the ScanPay command-line tool for developers and QA.
//!
//! Subcommands (all nine; `scanpay help COMMAND` for every option):
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
//! - `scanpay pos charge|query|reverse` — the cashier's till: charge a payer's pay code
//!   (digits or an image of its QR) at a sandbox and resolve an unclear outcome (query,
//!   reverse) so that the sale ends paid, declined, closed or reversed.
//! - `scanpay wallet init|paycode|history|confirm` — a real wallet driven from scripts (PIN
//!   on stdin): enrol and provision the pay code, show a code (online or `--offline`, PNG/SVG),
//!   list the charges with their receipts, confirm a charge above the no-PIN amount.
//! - `scanpay demo [--out DIR]` — the main job: a signed merchant QR image, scanned,
//!   parsed and verified end to end through the core, and paid against the sandbox.
//!
//! `--lang TAG[,TAG…]` (any subcommand) chooses the language of the lines printed as the
//! payer's phone would show them (`phone: …`); without it the usual environment variables
//! decide (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`). `scanpay demo --lang zh-Hans`.
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
mod lang;
mod pos;
mod qr;
mod render;
mod sandbox;
mod scenario;
mod trust_files;
mod wallet_cmd;

/// ScanPay developer and QA tool.
#[derive(Debug, Parser)]
#[command(name = "scanpay", version, about)]
struct Cli {
    /// The payer's language for what the phone would show, in order of preference
    /// (en, zh-Hans, ms, id; e.g. `zh-SG,en`). Default: LANGUAGE, LC_ALL, LC_MESSAGES, LANG.
    #[arg(long, global = true, value_delimiter = ',')]
    lang: Vec<String>,
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
    /// The cashier's till: charge a payer's pay code at a sandbox, query, reverse.
    Pos(Box<pos::Args>),
    /// A wallet driven from scripts (PIN on stdin): init, show the pay code, history, confirm.
    Wallet(Box<wallet_cmd::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    lang::choose(&cli.lang);
    let result = match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Qr(args) => qr::run(&args),
        Command::Fixtures(args) => fixtures::run(&args),
        Command::Scenario(args) => scenario::run(&args),
        Command::Sandbox(args) => sandbox::run(&args),
        Command::Pos(args) => pos::run(&args),
        Command::Wallet(args) => wallet_cmd::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("scanpay: {e}");
            ExitCode::from(2)
        }
    }
}
