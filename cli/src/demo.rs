//! `scanpay demo` — the main job: a complete payment through the core.
//!
//! 1. Start the sandbox backend in-process on loopback (TLS, fresh data dir);
//!    open a wallet (SQLite journal) pinned to its certificate; sync the signed
//!    merchant key registry; enrol with a PIN set through the core's PIN pad.
//! 2. The merchant creates an order; its signed QR code is rendered as a PNG
//!    and scanned through the core's scanner, as a camera frame would be.
//! 3. The payment flow: review the *registered* merchant, confirm the exact
//!    total, enter the PIN, pay, print the receipt; the sandbox confirms one charge.
//! 4. A lost response: the sandbox commits a payment but drops the answer;
//!    the wallet goes Unknown → queries → resolves it exactly once.
//! 5. The network goes away (status: offline; a payment is refused with a
//!    clear message) and comes back.
//!
//! Every step checks what it shows; the exit status is non-zero if any step
//! does not behave as described.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use scanpay_core::net::api::{Fault, FaultKind};
use scanpay_core::payment::FlowState;
use scanpay_core::status::ConnectivityStatus;

use crate::harness::{self, check, Harness, Options, Step};

/// Arguments of `scanpay demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Working directory (recreated on each run): sandbox state, wallet, QR images.
    #[arg(long, default_value = "target/demo")]
    out: PathBuf,
}

const MERCHANT: &str = "M-0001";

struct Demo {
    started: Instant,
    step: u32,
}

impl Demo {
    fn step(&mut self, what: &str) {
        self.step += 1;
        println!(
            "\n[{}] {what}   (+{:.2} s)",
            self.step,
            self.started.elapsed().as_secs_f64()
        );
    }
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let mut demo = Demo {
        started: Instant::now(),
        step: 0,
    };
    match demo.run(args) {
        Ok(()) => {
            println!(
                "\nDemo complete in {:.1} s: paid, a lost response resolved exactly once, offline and back.",
                demo.started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("\nDEMO FAILED at step {}: {e}", demo.step);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The receipt of a finished payment, or the reason it is not one.
fn done(end: FlowState) -> Step<String> {
    match end {
        FlowState::Done {
            payment_id,
            merchant_name,
            receipt,
        } => {
            println!(
                "    DONE: paid {} to {merchant_name} — receipt {} at {}",
                receipt.amount, receipt.reference, receipt.paid_at
            );
            Ok(payment_id)
        }
        other => Err(format!("the payment ended {}: {other:?}", other.name())),
    }
}

impl Demo {
    fn run(&mut self, args: &Args) -> Step<()> {
        self.step("Start the sandbox (HTTPS on loopback), open the wallet, sync the registry, enrol with a PIN");
        let h = Harness::start(&args.out, &Options::default())?;

        self.step("Pay: the merchant shows a 12.50 SGD order; the wallet scans it and pays");
        let code = h.order_code(MERCHANT, "12.50", "DEMO-1")?;
        let id = done(h.pay(code)?)?;
        let truth = h.backend.control_payment(&id).map_err(|e| e.to_string())?;
        check(
            truth.charges_applied == 1,
            "the sandbox applied exactly one charge",
        )?;

        self.step("Lost response: the sandbox commits the next payment but drops its answer");
        h.sandbox
            .inject(FaultKind::Submit, Fault::DropAfterCommit, 1);
        let code = h.order_code(MERCHANT, "4.80", "DEMO-2")?;
        let id = done(h.pay(code)?)?;
        let path = h.journal_path(&id)?;
        println!("    journal: {}", path.join(" → "));
        check(
            path.iter().any(|s| s == "UNKNOWN"),
            "the lost answer made the payment UNKNOWN, not failed",
        )?;
        check(
            path.last().map(String::as_str) == Some("SUCCEEDED"),
            "a query resolved it: SUCCEEDED",
        )?;
        let truth = h.backend.control_payment(&id).map_err(|e| e.to_string())?;
        check(
            truth.charges_applied == 1 && truth.submits_received == 1,
            "charged exactly once, submitted once",
        )?;

        self.step(
            "Network away: the app reports no network; a new payment is refused, nothing lost",
        );
        h.wallet.set_network_available(false);
        let status = h.wallet.status().current().connectivity;
        check(
            matches!(status, ConnectivityStatus::Offline { .. }),
            "status is offline",
        )?;
        let code = h.order_code(MERCHANT, "3.20", "DEMO-3")?;
        let mut flow = h.wallet.new_flow();
        match harness::review_and_confirm(&mut flow, code) {
            Err(e) if e.contains("offline") => println!("    the payer sees: {e}"),
            Err(e) => return Err(format!("refused for the wrong reason: {e}")),
            Ok(_) => return Err("a payment was accepted offline against the policy".into()),
        }
        check(true, "refused while offline, with a clear reason")?;
        h.wallet.set_network_available(true);
        let status = h.wallet.status().current().connectivity;
        check(
            status == ConnectivityStatus::Online,
            "network back: status is online",
        )?;
        h.sandbox.stop();
        Ok(())
    }
}
