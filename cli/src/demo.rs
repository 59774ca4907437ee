//! `scanpay demo` — the main job: a complete payment through the core.
//!
//! 1. Start the sandbox backend in-process on loopback (TLS, fresh data dir).
//! 2. Open a wallet (SQLite journal), pinned to the sandbox's certificate.
//! 3. Sync the signed merchant key registry.
//! 4. Enrol: a PIN set through the core's PIN pad seals a new device key;
//!    the backend registers its public key.
//! 5. The merchant creates an order; its signed QR code is rendered as a PNG.
//! 6. The PNG is scanned through the core's scanner, as a camera frame would be.
//! 7. The payment flow: review the *registered* merchant, confirm the exact
//!    total, enter the PIN, pay, print the receipt; the sandbox confirms one charge.
//! 8. A lost response: the sandbox commits a payment but drops the answer;
//!    the wallet goes Unknown → queries → resolves it exactly once.
//! 9. The network goes away (status: offline; a payment is refused with a
//!    clear message) and comes back.
//!
//! Every step checks what it shows; the exit status is non-zero if any step
//! does not behave as described.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use scanpay_core::auth::{PinPad, SoftwareKeyStore};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::{CreateOrderRequest, Fault, FaultKind};
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::payment::{
    CurrencyLimits, FlowState, Intent, PaymentFlow, SystemClock, WalletConfig,
};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, ScannedCode, Scanner};
use scanpay_core::status::{ConnectivityStatus, StatusListener, StatusSnapshot};
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{Wallet, WalletOptions};
use scanpay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

use crate::image_io::load_luma;
use crate::render;

/// Arguments of `scanpay demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Working directory (recreated on each run): sandbox state, wallet, QR images.
    #[arg(long, default_value = "target/demo")]
    out: PathBuf,
}

/// The demo payer's PIN, entered digit by digit through the core's PIN pad.
const PIN: [u8; 6] = [4, 8, 1, 5, 9, 2];
const MERCHANT: &str = "M-0001";

type Step<T> = Result<T, String>;

struct Demo {
    out: PathBuf,
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

/// Prints each status change as the core reports it.
struct PrintStatus;

impl StatusListener for PrintStatus {
    fn on_status(&self, status: StatusSnapshot) {
        println!(
            "    · status: {} ({} pending)",
            describe(&status.connectivity),
            status.pending_payments
        );
    }
}

fn describe(c: &ConnectivityStatus) -> String {
    match c {
        ConnectivityStatus::Online => "online".into(),
        ConnectivityStatus::Degraded { reason } => format!("degraded ({reason:?})"),
        ConnectivityStatus::Offline { .. } => "offline".into(),
    }
}

fn check(ok: bool, what: &str) -> Step<()> {
    if ok {
        println!("    ✓ {what}");
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let mut demo = Demo {
        out: args.out.clone(),
        started: Instant::now(),
        step: 0,
    };
    match demo.run() {
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

impl Demo {
    fn run(&mut self) -> Step<()> {
        let _ = std::fs::remove_dir_all(&self.out);
        std::fs::create_dir_all(&self.out)
            .map_err(|e| format!("cannot create {}: {e}", self.out.display()))?;

        self.step("Start the sandbox backend (HTTPS on loopback, certificates made by rcgen)");
        let mut config = SandboxConfig::new(self.out.join("sandbox"));
        config.listen = ([127, 0, 0, 1], 0).into();
        let sandbox = Sandbox::start(config).map_err(|e| e.to_string())?;
        let link = sandbox.wallet_link();
        println!(
            "    {} — CA {} — pin {}",
            link.base_url,
            link.ca_pem_path.display(),
            link.spki_pin
        );

        self.step("Open the wallet: SQLite journal, device key store, pinned TLS to the sandbox");
        let tls = TlsConfig {
            root_certificates: link.ca_pem.clone().into_bytes(),
            pins: vec![link.spki_pin.clone()],
            require_pins: true,
        };
        let backend = Arc::new(
            HttpsBackend::new(ClientConfig::new(link.base_url.clone(), tls))
                .map_err(|e| e.to_string())?,
        );
        let roots = std::fs::read(&link.roots_json_path).map_err(|e| e.to_string())?;
        let wallet = Wallet::open(WalletOptions {
            data_dir: self.out.join("wallet"),
            roots: RootKeys::from_json(&roots).map_err(|e| e.to_string())?,
            config: wallet_config(),
            keystore: Arc::new(SoftwareKeyStore::generate().map_err(|e| e.to_string())?),
            backend: backend.clone(),
            clock: Arc::new(SystemClock),
        })
        .map_err(|e| e.to_string())?;
        wallet.status().subscribe(Arc::new(PrintStatus));
        println!(
            "    journal: {}",
            Wallet::database_path(&self.out.join("wallet")).display()
        );

        self.step("Sync the merchant key registry (signed by the acquirer root the wallet pins)");
        let doc = backend
            .fetch_registry(None)
            .map_err(|e| e.to_string())?
            .ok_or("the sandbox sent no registry")?;
        let info = wallet.apply_registry(&doc).map_err(|e| e.to_string())?;
        println!(
            "    registry {} v{}: {} merchant keys",
            info.registry_id, info.version, info.key_count
        );

        self.step("Enrol: set a 6-digit PIN on the core's PIN pad; register the device key");
        let public_key = wallet
            .authenticator()
            .enrol(&pin_pad(), now())
            .map_err(|e| e.to_string())?;
        let enrolment = backend
            .enrol(&public_key, "SANDBOX")
            .map_err(|e| e.to_string())?;
        println!(
            "    device {} on account {}, balance {}",
            enrolment.device_id, enrolment.account_id, enrolment.balance
        );

        self.step("Pay: the merchant shows a 12.50 SGD order; the wallet scans it and pays");
        let code = self.order_code(&backend, "12.50", "DEMO-1")?;
        let (id, receipt) = self.pay(&wallet, code)?;
        println!(
            "    receipt {} — {} paid at {}",
            receipt.0, receipt.1, receipt.2
        );
        let truth = backend.control_payment(&id).map_err(|e| e.to_string())?;
        check(
            truth.charges_applied == 1,
            "the sandbox applied exactly one charge",
        )?;

        self.step("Lost response: the sandbox commits the next payment but drops its answer");
        sandbox.inject(FaultKind::Submit, Fault::DropAfterCommit, 1);
        let code = self.order_code(&backend, "4.80", "DEMO-2")?;
        let (id, _) = self.pay(&wallet, code)?;
        let states: Vec<String> = wallet
            .store()
            .transitions(&id)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|t| t.to)
            .collect();
        let mut path = states.clone();
        path.dedup();
        println!("    journal: {}", path.join(" → "));
        check(
            path.iter().any(|s| s == "UNKNOWN"),
            "the lost answer made the payment UNKNOWN, not failed",
        )?;
        check(
            path.last().map(String::as_str) == Some("SUCCEEDED"),
            "a query resolved it: SUCCEEDED",
        )?;
        let truth = backend.control_payment(&id).map_err(|e| e.to_string())?;
        check(
            truth.charges_applied == 1 && truth.submits_received == 1,
            "charged exactly once, submitted once",
        )?;

        self.step(
            "Network away: the app reports no network; a new payment is refused, nothing lost",
        );
        wallet.set_network_available(false);
        check(
            matches!(
                wallet.status().current().connectivity,
                ConnectivityStatus::Offline { .. }
            ),
            "status is offline",
        )?;
        let code = self.order_code(&backend, "3.20", "DEMO-3")?;
        let refused = self.try_offline(&wallet, code)?;
        println!("    the payer sees: {refused}");
        wallet.set_network_available(true);
        check(
            wallet.status().current().connectivity == ConnectivityStatus::Online,
            "network back: status is online",
        )?;
        sandbox_stop(sandbox);
        Ok(())
    }

    /// The merchant side: create an order, render its code, then scan the image.
    fn order_code(
        &self,
        backend: &HttpsBackend,
        amount: &str,
        reference: &str,
    ) -> Step<ScannedCode> {
        let order = backend
            .create_order(&CreateOrderRequest {
                merchant_id: MERCHANT.into(),
                amount: Money::parse(amount, Currency::SGD).map_err(|e| e.to_string())?,
                reference: reference.into(),
            })
            .map_err(|e| e.to_string())?;
        let png = self.out.join(format!("{reference}.png"));
        let rendered = render::render(&order.payload, render::Style::default())?;
        render::save_png(&rendered.image, &png)?;
        let code = scan_png(&png)?;
        println!(
            "    QR {} (version {}) scanned: {} characters, text matches the order: {}",
            png.display(),
            rendered.version,
            code.bytes.len(),
            code.text.as_deref() == Some(order.payload.as_str())
        );
        Ok(code)
    }

    /// Drives a flow from the scanned code to its end, as a UI would.
    fn pay(&self, wallet: &Wallet, code: ScannedCode) -> Step<(String, (String, String, u64))> {
        let mut flow = wallet.new_flow();
        let total = review_and_confirm(&mut flow, code)?;
        for d in PIN {
            flow.handle(Intent::PinDigit(d))
                .map_err(|e| e.to_string())?;
        }
        check(
            matches!(flow.state(), FlowState::Processing { .. }),
            "PIN accepted; journalled before sending",
        )?;
        let end = flow
            .process(&mut |s| {
                if let FlowState::Processing { stage, .. } = s {
                    println!("    · {stage:?}");
                }
            })
            .map_err(|e| e.to_string())?;
        match end {
            FlowState::Done {
                payment_id,
                merchant_name,
                receipt,
            } => {
                check(
                    receipt.amount == total,
                    "the receipt is for the confirmed total",
                )?;
                println!("    DONE: paid {} to {merchant_name}", receipt.amount);
                Ok((
                    payment_id,
                    (
                        receipt.reference,
                        receipt.amount.to_string(),
                        receipt.paid_at,
                    ),
                ))
            }
            other => Err(format!("the payment ended {other:?}")),
        }
    }

    /// Offline with the default policy: the flow refuses at confirmation.
    fn try_offline(&self, wallet: &Wallet, code: ScannedCode) -> Step<String> {
        let mut flow = wallet.new_flow();
        match review_and_confirm(&mut flow, code) {
            Err(e) if e.contains("offline") => {
                check(true, "refused while offline, with a clear reason")?;
                Ok(e)
            }
            Err(e) => Err(format!("refused for the wrong reason: {e}")),
            Ok(_) => Err("a payment was accepted offline against the policy".into()),
        }
    }
}

/// Scan → review (the registered merchant) → confirm the displayed total.
fn review_and_confirm(flow: &mut PaymentFlow, code: ScannedCode) -> Step<Money> {
    let state = flow
        .handle(Intent::ScannedCode(code))
        .map_err(|e| e.to_string())?;
    let FlowState::ReviewMerchant { review } = state else {
        return Err(format!(
            "expected the merchant review, got {}",
            state.name()
        ));
    };
    println!(
        "    merchant: {} ({}) — verified: {}; amount {}",
        review.registered_name.as_deref().unwrap_or("?"),
        review.registered_city.as_deref().unwrap_or("?"),
        review.verdict.is_verified(),
        review
            .amount
            .map_or_else(|| "to enter".into(), |a| a.to_string())
    );
    check(
        review.payable && review.verdict.is_verified(),
        "merchant verified against the registry",
    )?;
    let state = flow.handle(Intent::Proceed).map_err(|e| e.to_string())?;
    let FlowState::ConfirmAmount { breakdown, .. } = state else {
        return Err(format!(
            "expected the amount confirmation, got {}",
            state.name()
        ));
    };
    println!(
        "    confirm total {} (amount {}, fee {}, tip {})",
        breakdown.total, breakdown.amount, breakdown.fee, breakdown.tip
    );
    flow.handle(Intent::Confirm {
        displayed_total: breakdown.total,
    })
    .map_err(|e| e.to_string())?;
    Ok(breakdown.total)
}

fn scan_png(path: &Path) -> Step<ScannedCode> {
    let img = load_luma(path)?;
    let frame = LumaFrame {
        data: &img.pixels,
        width: img.width,
        height: img.height,
        row_stride: img.width,
        rotation: Rotation::R0,
    };
    Scanner::new()
        .scan(&frame, &ScanOptions::default())
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| format!("no code found in {}", path.display()))
}

fn pin_pad() -> PinPad {
    let mut pad = PinPad::new();
    for d in PIN {
        // Digits are 0–9 and the pad holds six: these presses cannot fail.
        let _ = pad.press(d);
    }
    pad
}

fn wallet_config() -> WalletConfig {
    WalletConfig {
        limits: vec![CurrencyLimits {
            currency: Currency::SGD,
            // Minor units (cents): 200.00, 500.00, 20.00 and 50.00 SGD.
            per_payment: 20_000,
            daily: 50_000,
            offline_per_payment: 2_000,
            offline_total: 5_000,
        }],
        ..WalletConfig::default()
    }
}

fn now() -> u64 {
    crate::trust_files::now_or(None)
}

fn sandbox_stop(sandbox: RunningSandbox) {
    sandbox.stop();
}
