//! `scanpay scenario FILE` — replay a QA scenario without any device.
//!
//! A scenario is JSON:
//!
//! ```json
//! {
//!   "description": "A lost response is resolved by a query, charged once.",
//!   "enrolment_code": "SANDBOX",
//!   "read_timeout_ms": 2000,
//!   "timings": {"query_interval_secs": 1, "query_window_secs": 4, "reverse_tries": 3, "reverse_backoff_secs": 1},
//!   "steps": [
//!     {"step": "order", "amount": "4.80"},
//!     {"step": "fault", "kind": "submit", "fault": {"type": "drop-after-commit"}},
//!     {"step": "pay", "expect": "done", "charges": 1, "journal_includes": ["UNKNOWN"]},
//!     {"step": "network", "available": false},
//!     {"step": "expect-status", "status": "offline"}
//!   ]
//! }
//! ```
//!
//! Steps: `order` (`merchant`, default M-0001; `amount`), `fault` (`kind`,
//! `fault`, `count`), `pay` (`expect`: done / failed / pending /
//! needs-attention / refused; `charges`; `journal_includes`;
//! `message_contains`), `network` (`available`), `expect-status` (`status`:
//! online / degraded / offline), `advance-clock` (`secs`), `drop-connections`.
//!
//! Every step runs against a fresh in-process sandbox and a real wallet
//! (the same harness as `scanpay demo`). The exit status is 0 only when every
//! expectation held.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use scanpay_core::net::api::{Fault, FaultKind};
use scanpay_core::payment::{FlowState, Timings};
use scanpay_core::scan::ScannedCode;
use serde::Deserialize;

use crate::harness::{check, describe, Harness, Options, Step};

/// Arguments of `scanpay scenario`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (JSON).
    file: PathBuf,
    /// Working directory (recreated): sandbox state, wallet, QR images.
    #[arg(long, default_value = "target/scenario")]
    out: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    #[serde(default = "default_code")]
    enrolment_code: String,
    #[serde(default)]
    read_timeout_ms: Option<u64>,
    #[serde(default)]
    timings: Option<TimingsSpec>,
    steps: Vec<StepSpec>,
}

fn default_code() -> String {
    "SANDBOX".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimingsSpec {
    query_interval_secs: u64,
    query_window_secs: u64,
    reverse_tries: u32,
    reverse_backoff_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case", deny_unknown_fields)]
enum StepSpec {
    /// The merchant creates an order; its QR image is rendered and scanned.
    Order {
        #[serde(default = "default_merchant")]
        merchant: String,
        amount: String,
    },
    /// Arm a sandbox fault.
    Fault {
        kind: FaultKind,
        fault: Fault,
        #[serde(default = "one")]
        count: u32,
    },
    /// Pay the last scanned order and check the outcome.
    Pay {
        /// `done`, `failed`, `pending`, `needs-attention`, or `refused` (before a payment exists).
        expect: String,
        /// Charges the sandbox applied, net of refunds.
        #[serde(default)]
        charges: Option<u32>,
        /// States the journal must have passed through.
        #[serde(default)]
        journal_includes: Vec<String>,
        /// Text the refusal or failure must contain.
        #[serde(default)]
        message_contains: Option<String>,
    },
    /// The app reports network availability.
    Network { available: bool },
    /// The status the UI shows.
    ExpectStatus { status: String },
    /// Move the sandbox clock forward.
    AdvanceClock { secs: u64 },
    /// Close the client's idle keep-alive connections (the next request
    /// handshakes afresh, as after the phone changed networks).
    DropConnections,
}

fn default_merchant() -> String {
    "M-0001".into()
}

fn one() -> u32 {
    1
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let scenario: Scenario =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", args.file.display()))?;
    println!("Scenario {}: {}", args.file.display(), scenario.description);
    match play(&scenario, args) {
        Ok(()) => {
            println!("\nScenario passed: {} steps.", scenario.steps.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("\nSCENARIO FAILED: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn play(scenario: &Scenario, args: &Args) -> Step<()> {
    let mut opts = Options {
        enrolment_code: scenario.enrolment_code.clone(),
        ..Options::default()
    };
    if let Some(ms) = scenario.read_timeout_ms {
        opts.read_timeout = Duration::from_millis(ms);
    }
    if let Some(t) = &scenario.timings {
        opts.timings = Timings {
            query_interval_secs: t.query_interval_secs,
            query_window_secs: t.query_window_secs,
            reverse_tries: t.reverse_tries,
            reverse_backoff_secs: t.reverse_backoff_secs,
        };
    }
    println!("\n[setup]");
    let h = Harness::start(&args.out, &opts)?;
    let mut code: Option<ScannedCode> = None;
    for (i, step) in scenario.steps.iter().enumerate() {
        println!("\n[{}] {step:?}", i + 1);
        match step {
            StepSpec::Order { merchant, amount } => {
                code = Some(h.order_code(merchant, amount, &format!("SCN-{}", i + 1))?);
            }
            StepSpec::Fault { kind, fault, count } => h.sandbox.inject(*kind, *fault, *count),
            StepSpec::Pay {
                expect,
                charges,
                journal_includes,
                message_contains,
            } => {
                let scanned = code.take().ok_or("pay: no order scanned before it")?;
                pay(
                    &h,
                    scanned,
                    expect,
                    *charges,
                    journal_includes,
                    message_contains.as_deref(),
                )?;
            }
            StepSpec::Network { available } => h.wallet.set_network_available(*available),
            StepSpec::ExpectStatus { status } => {
                let now = describe(&h.wallet.status().current().connectivity);
                check(
                    now.starts_with(status.as_str()),
                    &format!("status is {status} (it is {now})"),
                )?;
            }
            StepSpec::DropConnections => h.backend.close_idle(),
            StepSpec::AdvanceClock { secs } => {
                let now = h
                    .sandbox
                    .data()
                    .advance_clock(*secs)
                    .map_err(|e| e.to_string())?;
                println!("    sandbox clock now {now}");
            }
        }
    }
    Ok(())
}

fn pay(
    h: &Harness,
    code: ScannedCode,
    expect: &str,
    charges: Option<u32>,
    journal_includes: &[String],
    message_contains: Option<&str>,
) -> Step<()> {
    let (outcome, id, message) = match h.pay(code) {
        Err(e) => ("refused".to_string(), None, e),
        Ok(end) => {
            let id = match &end {
                FlowState::Done { payment_id, .. }
                | FlowState::Pending { payment_id, .. }
                | FlowState::NeedsAttention { payment_id, .. } => Some(payment_id.clone()),
                FlowState::Failed { payment_id, .. } => payment_id.clone(),
                _ => None,
            };
            (end.name().to_string(), id, format!("{end:?}"))
        }
    };
    println!("    outcome: {outcome}");
    check(
        outcome == expect,
        &format!("the payment ends {expect} (it ended {outcome}: {message})"),
    )?;
    if let Some(text) = message_contains {
        check(
            message.contains(text),
            &format!("the message says {text:?}"),
        )?;
    }
    if let Some(id) = id {
        let path = h.journal_path(&id)?;
        println!("    journal: {}", path.join(" → "));
        for state in journal_includes {
            check(
                path.contains(state),
                &format!("the journal passed through {state}"),
            )?;
        }
        if let Some(want) = charges {
            let truth = h.backend.control_payment(&id).map_err(|e| e.to_string())?;
            let net = truth.charges_applied.saturating_sub(truth.refunds_applied);
            check(
                net == want,
                &format!("the sandbox holds {want} net charge(s) (it holds {net})"),
            )?;
        }
    } else if !journal_includes.is_empty() || charges.is_some_and(|c| c > 0) {
        return Err("no payment was created, so nothing can be charged or journalled".into());
    }
    Ok(())
}
