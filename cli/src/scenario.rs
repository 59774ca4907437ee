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
//! online / degraded / offline), `advance-clock` (`secs`), `drop-connections`;
//! and the pay code: `paycode` (`form`: qr / digits — the phone shows its
//! code, the till reads it), `till-charge` (`merchant`, `amount`, `expect`:
//! paid / declined / closed / reversed / unresolved; `reason`,
//! `resolved_by`, `charges`), `paycode-sync` (the wallet syncs and holds the
//! last paid charge's receipt).
//!
//! Every step runs against a fresh in-process sandbox and a real wallet
//! (the same harness as `scanpay demo`). The exit status is 0 only when every
//! expectation held.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use scanpay_core::money::Money;
use scanpay_core::net::api::paycode::TillChargeRequest;
use scanpay_core::net::api::{Fault, FaultKind};
use scanpay_core::paycode::PaycodeSession;
use scanpay_core::payment::{Clock as _, SystemClock};
use scanpay_core::payment::{FlowState, Timings};
use scanpay_core::scan::ScannedCode;
use serde::Deserialize;

use crate::harness::{self, check, describe, Harness, Options, Step};
use crate::pos;

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
    /// The phone shows its pay code (opened with the PIN, provisioned on
    /// first use); the till reads it from a PNG of the QR form, or as typed
    /// digits. When the network is available the wallet syncs first, as its
    /// long-poll would have.
    Paycode {
        /// `qr` (default) or `digits`.
        #[serde(default = "default_form")]
        form: String,
    },
    /// The till charges the last code shown, resolving an unclear outcome
    /// like `scanpay pos charge`, and the outcome is checked.
    TillCharge {
        #[serde(default = "default_merchant")]
        merchant: String,
        amount: String,
        /// `paid`, `declined`, `closed`, `reversed` or `unresolved`.
        expect: String,
        /// The decline (or close) reason.
        #[serde(default)]
        reason: Option<String>,
        /// `charge`, `query` or `reverse`.
        #[serde(default)]
        resolved_by: Option<String>,
        /// Net charges (charges − refunds) the sandbox holds for it.
        #[serde(default)]
        charges: Option<u32>,
    },
    /// The wallet syncs; the last paid till charge must be in its pay-code
    /// history with the till's receipt.
    PaycodeSync,
}

fn default_form() -> String {
    "qr".into()
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
    let mut paycode = PaycodeState::default();
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
            StepSpec::Paycode { form } => paycode.show(&h, form, &args.out, i + 1)?,
            StepSpec::TillCharge {
                merchant,
                amount,
                expect,
                reason,
                resolved_by,
                charges,
            } => paycode.charge(
                &h,
                merchant,
                amount,
                &format!("SCN-PC-{}", i + 1),
                TillExpect {
                    status: expect,
                    reason: reason.as_deref(),
                    resolved_by: resolved_by.as_deref(),
                    charges: *charges,
                },
            )?,
            StepSpec::PaycodeSync => paycode.sync(&h)?,
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

/// What a till charge step expects.
struct TillExpect<'a> {
    status: &'a str,
    reason: Option<&'a str>,
    resolved_by: Option<&'a str>,
    charges: Option<u32>,
}

/// The pay code across steps: the open session, the last code the till
/// read, the last receipt it got.
#[derive(Default)]
struct PaycodeState {
    session: Option<PaycodeSession>,
    auth_code: Option<String>,
    receipt: Option<String>,
}

impl PaycodeState {
    fn show(&mut self, h: &Harness, form: &str, out: &Path, n: usize) -> Step<()> {
        if self.session.is_none() {
            let s = h
                .wallet
                .open_paycode(&harness::pin_pad())
                .map_err(|e| e.to_string())?;
            self.session = Some(s);
        }
        let session = self.session.as_ref().ok_or("no pay-code session")?;
        if !h.wallet.status().current().connectivity.is_offline() {
            // What the phone's long-poll would have told it by now.
            let _ = h.wallet.sync_paycode(0);
        }
        let d = session
            .current(SystemClock.now())
            .map_err(|e| e.to_string())?;
        println!(
            "    code counter {}, valid until +{} s",
            d.counter,
            d.valid_until.saturating_sub(d.issued_at)
        );
        self.auth_code = Some(match form {
            "digits" => d.digits.clone(),
            "qr" => {
                let png = out.join(format!("paycode-{n}.png"));
                crate::wallet_cmd::save_qr_png(&d.qr, &png)?;
                pos::code_from_image(&png)?
            }
            other => return Err(format!("paycode form {other:?}: use qr or digits")),
        });
        Ok(())
    }

    fn charge(
        &mut self,
        h: &Harness,
        merchant: &str,
        amount: &str,
        order: &str,
        want: TillExpect<'_>,
    ) -> Step<()> {
        let auth_code = self
            .auth_code
            .clone()
            .ok_or("till-charge: no pay code shown before it")?;
        let data = h.sandbox.data();
        let currency = data.merchant(merchant).map_err(|e| e.to_string())?.currency;
        let link = h.sandbox.wallet_link();
        let key = data.till_key(merchant).map_err(|e| e.to_string())?;
        let till = pos::till_client(&link.base_url, &link.ca_pem, &link.spki_pin, &key)?;
        let req = TillChargeRequest {
            out_trade_no: order.into(),
            auth_code,
            amount: Money::parse(amount, currency).map_err(|e| e.to_string())?,
        };
        let log = |line: &str| println!("{line}");
        let o = pos::Resolver::new(&till, pos::Policy::default(), &log).charge(&req, merchant)?;
        let status = o.status.name();
        check(
            status == want.status,
            &format!(
                "the till ends {} (it ended {status}, reason {:?})",
                want.status, o.reason
            ),
        )?;
        if let Some(r) = want.reason {
            check(
                o.reason.as_deref() == Some(r),
                &format!("the reason is {r}"),
            )?;
        }
        if let Some(v) = want.resolved_by {
            check(
                o.to_json()["resolved_by"] == v,
                &format!("resolved by the {v}"),
            )?;
        }
        let charge = o.charge.as_ref();
        if let Some(want) = want.charges {
            let net = match charge.and_then(|c| c.charge_id.as_deref()) {
                Some(id) => {
                    let t = data.payment_truth(id).map_err(|e| e.to_string())?;
                    t.charges_applied.saturating_sub(t.refunds_applied)
                }
                None => 0,
            };
            check(
                net == want,
                &format!("the sandbox holds {want} net charge(s) (it holds {net})"),
            )?;
        }
        if o.status == pos::Status::Paid {
            self.receipt = charge.and_then(|c| c.receipt.clone());
        }
        Ok(())
    }

    fn sync(&mut self, h: &Harness) -> Step<()> {
        let changed = h.wallet.sync_paycode(0).map_err(|e| e.to_string())?;
        for c in &changed {
            println!("    the payer sees: {}", crate::wallet_cmd::charge_line(c));
        }
        let receipt = self
            .receipt
            .clone()
            .ok_or("paycode-sync: no paid till charge before it")?;
        let history = h.wallet.paycode_history().map_err(|e| e.to_string())?;
        check(
            history
                .iter()
                .any(|c| c.charge.receipt.as_deref() == Some(receipt.as_str())),
            &format!("the wallet's history holds receipt {receipt}"),
        )
    }
}
