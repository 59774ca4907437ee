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
//! 6. The pay code: provisioned online; the phone goes offline and shows a
//!    code (no request leaves it); the cashier scans the QR and charges it
//!    (`scanpay pos charge`'s logic); the phone comes back and shows the
//!    receipt; then a charge whose answer is lost at the till is resolved by
//!    a query, with exactly one charge in the sandbox's records.
//! 7. The shortcuts: PIN-free payments and biometric confirmation turned on
//!    with the PIN; a day later (both clocks moved on) a small order at the
//!    same merchant is paid with one tap, and a larger one with scan,
//!    confirm and a touch (a software biometric key: no reader here), each
//!    recorded by the sandbox with its method.
//!
//! Every step checks what it shows; the exit status is non-zero if any step
//! does not behave as described.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use scanpay_core::auth::{PaymentAuthMethod, PinFreeLimits, SoftwareBiometricKey};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::paycode::{ChargeState, TillChargeRequest};
use scanpay_core::net::api::{Fault, FaultKind};
use scanpay_core::payment::{Clock as _, SystemClock};
use scanpay_core::payment::{FlowState, Intent, PaymentFlow, ShortcutError};
use scanpay_core::status::ConnectivityStatus;

use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::i18n::describe::Describe as _;

use crate::harness::{self, check, Harness, Options, Step};
use crate::lang;
use crate::pos;

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
                "\nDemo complete in {:.1} s: paid, a lost response resolved exactly once, offline and back, a pay code charged at the till (offline phone, lost till answer resolved once), a PIN-free payment in one tap and a biometric one.",
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
    lang::phone(&end.message());
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
            // The phone's line was printed by the harness, in the payer's language.
            Err(e) if e.contains("offline") => println!("    refused: {e}"),
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

        self.paycode(&h, args)?;
        self.shortcuts(&h)?;
        h.sandbox.stop();
        Ok(())
    }

    /// The shortcuts (ADR 0022): PIN-free small payments and biometric
    /// confirmation, each turned on with the PIN, each checked against the
    /// sandbox's record of how the payment was authorised.
    fn shortcuts(&mut self, h: &Harness) -> Step<()> {
        self.step("Shortcuts: with the PIN, turn on PIN-free payments (up to 20.00 SGD each, 60.00 and 5 a day) and biometric confirmation (a software key: this machine has no fingerprint reader)");
        let limits = PinFreeLimits {
            currency: Currency::SGD,
            per_payment: 2_000,
            daily_total: 6_000,
            daily_count: 5,
        };
        let err = |e: ShortcutError| e.to_string();
        h.wallet
            .enable_pin_free(&harness::pin_pad(), limits)
            .map_err(err)?;
        let status = h
            .wallet
            .enable_biometric(&harness::pin_pad(), Arc::new(SoftwareBiometricKey::new()))
            .map_err(err)?;
        check(
            status.biometric && status.pin_free == vec![limits] && !status.push_pending,
            "both on, and the sandbox holds the PIN-signed settings",
        )?;

        self.step("A day later at the same merchant (both clocks moved on): a 4.50 SGD order is paid with one tap, no PIN");
        h.advance_day()?;
        let code = h.order_code(MERCHANT, "4.50", "DEMO-6")?;
        let mut flow = h.wallet.new_flow();
        let mut actions = 1;
        let shown = flow
            .handle(Intent::ScannedCode(code))
            .map_err(|e| e.to_string())?;
        lang::phone(&shown.message());
        let FlowState::ConfirmPinFree {
            review, breakdown, ..
        } = shown
        else {
            return Err(format!("expected the one-tap screen, got {}", shown.name()));
        };
        println!(
            "    one tap: pay {} to {} (a known merchant, verified, under the PIN-free amount)",
            breakdown.total,
            review.registered_name.as_deref().unwrap_or("?")
        );
        flow.handle(Intent::Confirm {
            displayed_total: breakdown.total,
        })
        .map_err(|e| e.to_string())?;
        actions += 1;
        self.finish_with(h, &mut flow, actions, PaymentAuthMethod::PinFree)?;

        self.step("Above the PIN-free amount, 35.00 SGD: confirmed with the biometric — scan, confirm, touch");
        let code = h.order_code(MERCHANT, "35.00", "DEMO-7")?;
        let mut flow = h.wallet.new_flow();
        let shown = flow
            .handle(Intent::ScannedCode(code))
            .map_err(|e| e.to_string())?;
        let FlowState::ConfirmAmount { breakdown, .. } = shown else {
            return Err(format!("expected the confirm screen, got {}", shown.name()));
        };
        let shown = flow
            .handle(Intent::Confirm {
                displayed_total: breakdown.total,
            })
            .map_err(|e| e.to_string())?;
        lang::phone(&shown.message());
        check(
            matches!(shown, FlowState::ConfirmBiometric { .. }),
            "the wallet asks for the biometric, not the PIN",
        )?;
        // The platform's dialog; the core checks the key's signature over
        // the payment's terms before anything is journalled.
        flow.handle(Intent::AuthenticateBiometric)
            .map_err(|e| e.to_string())?;
        self.finish_with(h, &mut flow, 3, PaymentAuthMethod::Biometric)
    }

    /// Sends a journalled payment, prints its receipt and checks the
    /// sandbox recorded `method` and one charge.
    fn finish_with(
        &mut self,
        h: &Harness,
        flow: &mut PaymentFlow,
        actions: u32,
        method: PaymentAuthMethod,
    ) -> Step<()> {
        let end = flow.process(&mut |_| {}).map_err(|e| e.to_string())?;
        let id = done(end)?;
        let truth = h.backend.control_payment(&id).map_err(|e| e.to_string())?;
        println!(
            "    {actions} payer actions; the sandbox recorded method {}",
            truth.method.map_or("(none)", |m| m.code())
        );
        check(
            truth.method == Some(method) && truth.charges_applied == 1,
            &format!("authorised by {}, charged once", method.code()),
        )
    }

    /// The pay code: the cashier scans the phone, which may be offline.
    fn paycode(&mut self, h: &Harness, args: &Args) -> Step<()> {
        self.step("Pay code: set it up online; then the phone goes offline and shows its code");
        let session = h
            .wallet
            .open_paycode(&harness::pin_pad())
            .map_err(|e| e.to_string())?;
        h.wallet.set_network_available(false);
        let stats_before = h.backend.stats().requests;
        let code = session
            .current(SystemClock.now())
            .map_err(|e| e.to_string())?;
        check(
            h.backend.stats().requests == stats_before,
            "the code was made offline: no request left the phone",
        )?;
        lang::phone(&Msg::PaycodeShowCashier);
        let png = args.out.join("paycode.png");
        crate::wallet_cmd::save_qr_png(&code.qr, &png)?;
        println!(
            "    code {}… valid until +{} s (counter {}); QR {}",
            code.digits.get(..6).unwrap_or_default(),
            code.valid_until.saturating_sub(code.issued_at),
            code.counter,
            png.display()
        );

        self.step("The cashier scans the phone's QR and charges 3.20 SGD (the till's own HTTPS client and key)");
        let link = h.sandbox.wallet_link();
        let key = h
            .sandbox
            .data()
            .till_key(MERCHANT)
            .map_err(|e| e.to_string())?;
        let till = pos::till_client(&link.base_url, &link.ca_pem, &link.spki_pin, &key)?;
        let scanned = pos::code_from_image(&png)?;
        let sale = |order: &str, auth_code: String| -> Step<pos::Outcome> {
            let req = TillChargeRequest {
                out_trade_no: order.into(),
                auth_code,
                amount: Money::parse("3.20", Currency::SGD).map_err(|e| e.to_string())?,
            };
            let log = |line: &str| println!("{line}");
            pos::Resolver::new(&till, pos::Policy::default(), &log).charge(&req, MERCHANT)
        };
        let paid = sale("DEMO-PC-1", scanned)?;
        let receipt = paid.charge.as_ref().and_then(|c| c.receipt.clone());
        check(
            paid.status == pos::Status::Paid && receipt.is_some(),
            "the till: PAID, with a receipt",
        )?;

        self.step("The phone comes back online, syncs, and shows the receipt");
        h.wallet.set_network_available(true);
        let changed = h.wallet.sync_paycode(0).map_err(|e| e.to_string())?;
        for c in &changed {
            println!("    synced: {}", crate::wallet_cmd::charge_line(c));
            if c.charge.state == ChargeState::Paid {
                lang::phone(&Msg::FlowDone {
                    amount: c.charge.amount,
                    merchant: c.merchant.name.clone(),
                });
            }
        }
        check(
            changed
                .iter()
                .any(|c| c.charge.receipt == receipt && c.merchant.registered),
            "the same receipt, from the registered merchant name",
        )?;

        self.step(
            "Lost answer at the till: the sandbox commits the next charge and drops its answer",
        );
        h.sandbox
            .inject(FaultKind::Charge, Fault::DropAfterCommit, 1);
        let next = session
            .current(SystemClock.now())
            .map_err(|e| e.to_string())?;
        check(
            next.counter > code.counter,
            "the used code was replaced by the next one",
        )?;
        let lost = sale("DEMO-PC-2", next.digits.clone())?;
        let charge_id = lost
            .charge
            .as_ref()
            .and_then(|c| c.charge_id.clone())
            .ok_or("no charge id")?;
        check(
            lost.status == pos::Status::Paid
                && lost.resolved_by == pos::Via::Query
                && lost.calls.first().is_some_and(|c| c.error.is_some()),
            "the charge's answer was lost; a query resolved it: PAID",
        )?;
        let truth = h
            .sandbox
            .data()
            .payment_truth(&charge_id)
            .map_err(|e| e.to_string())?;
        println!(
            "    sandbox truth for {charge_id}: state {:?}, charges applied {}, refunds {}",
            truth.state, truth.charges_applied, truth.refunds_applied
        );
        check(
            truth.charges_applied == 1 && truth.refunds_applied == 0,
            "exactly one charge",
        )?;
        session.close();
        Ok(())
    }
}
