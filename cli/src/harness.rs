//! An in-process sandbox and a real wallet wired to it over pinned TLS: what
//! `scanpay demo` and `scanpay scenario` run on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::auth::{PinPad, SoftwareKeyStore};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::CreateOrderRequest;
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::payment::{
    CurrencyLimits, FlowState, Intent, OffsetClock, PaymentFlow, Timings, WalletConfig,
};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, ScannedCode, Scanner};
use scanpay_core::status::{ConnectivityStatus, StatusListener, StatusSnapshot};
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{Wallet, WalletOptions};
use scanpay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

use scanpay_core::i18n::describe::Describe as _;

use crate::image_io::load_luma;
use crate::{lang, render};

/// The payer's PIN, entered digit by digit through the core's PIN pad.
pub const PIN: [u8; 6] = [4, 8, 1, 5, 9, 2];

/// A step's result: the message says what did not behave as shown.
pub type Step<T> = Result<T, String>;

/// Prints a check and turns a failed one into an error.
pub fn check(ok: bool, what: &str) -> Step<()> {
    if ok {
        println!("    ✓ {what}");
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

/// How the harness is set up.
pub struct Options {
    /// Enrolment code at the sandbox (`SANDBOX`, `SANDBOX-LOW`, …).
    pub enrolment_code: String,
    /// The engine's query/reverse timings.
    pub timings: Timings,
    /// The HTTPS client's read timeout.
    pub read_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            enrolment_code: "SANDBOX".into(),
            timings: Timings::default(),
            read_timeout: Duration::from_secs(15),
        }
    }
}

/// The sandbox, the pinned client and the wallet.
pub struct Harness {
    pub sandbox: RunningSandbox,
    pub backend: Arc<HttpsBackend>,
    pub wallet: Wallet,
    /// The wallet's clock: real time, moved a day on with the sandbox's by
    /// [`Harness::advance_day`].
    pub clock: Arc<OffsetClock>,
    out: PathBuf,
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

/// A connectivity status in words.
pub fn describe(c: &ConnectivityStatus) -> String {
    match c {
        ConnectivityStatus::Online => "online".into(),
        ConnectivityStatus::Degraded { reason } => format!("degraded ({reason:?})"),
        ConnectivityStatus::Offline { .. } => "offline".into(),
    }
}

impl Harness {
    /// Starts a fresh sandbox under `out/sandbox`, opens a fresh wallet under
    /// `out/wallet`, syncs the registry and enrols with a PIN.
    pub fn start(out: &Path, opts: &Options) -> Step<Harness> {
        let _ = std::fs::remove_dir_all(out);
        std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let mut config = SandboxConfig::new(out.join("sandbox"));
        config.listen = ([127, 0, 0, 1], 0).into();
        let sandbox = Sandbox::start(config).map_err(|e| e.to_string())?;
        let link = sandbox.wallet_link();
        println!(
            "    sandbox {} — CA {} — pin {}",
            link.base_url,
            link.ca_pem_path.display(),
            link.spki_pin
        );

        let tls = TlsConfig {
            root_certificates: link.ca_pem.clone().into_bytes(),
            pins: vec![link.spki_pin.clone()],
            require_pins: true,
        };
        let mut client = ClientConfig::new(link.base_url.clone(), tls);
        client.read_timeout = opts.read_timeout;
        let backend = Arc::new(HttpsBackend::new(client).map_err(|e| e.to_string())?);
        let roots = std::fs::read(&link.roots_json_path).map_err(|e| e.to_string())?;
        let keystore = Arc::new(SoftwareKeyStore::generate().map_err(|e| e.to_string())?);
        let clock = Arc::new(OffsetClock::new());
        // Linked as an app's: queries and reversals are signed with the
        // wallet's request key (registered with the device below), and the
        // registry sync and registration go through the wallet.
        let wallet = Wallet::open_linked(
            WalletOptions {
                data_dir: out.join("wallet"),
                roots: RootKeys::from_json(&roots).map_err(|e| e.to_string())?,
                config: wallet_config(opts.timings),
                keystore,
                backend: backend.clone(),
                clock: clock.clone(),
            },
            backend.clone(),
        )
        .map_err(|e| e.to_string())?;
        wallet.status().subscribe(Arc::new(PrintStatus));
        println!(
            "    wallet journal {}",
            Wallet::database_path(&out.join("wallet")).display()
        );

        let info = wallet
            .sync_registry()
            .map_err(|e| e.to_string())?
            .ok_or("the sandbox sent no registry")?
            .info;
        println!(
            "    registry {} v{}: {} merchant keys",
            info.registry_id, info.version, info.key_count
        );

        wallet
            .authenticator()
            .enrol(&pin_pad(), crate::trust_files::now_or(None))
            .map_err(|e| e.to_string())?;
        let enrolment = wallet
            .register_device(&opts.enrolment_code)
            .map_err(|e| e.to_string())?;
        println!(
            "    enrolled with PIN: device {}, account {}, balance {}",
            enrolment.device_id, enrolment.account_id, enrolment.balance
        );
        Ok(Harness {
            sandbox,
            backend,
            wallet,
            clock,
            out: out.to_path_buf(),
        })
    }

    /// Moves the sandbox's clock and the wallet's a day and a minute on
    /// together: the merchants paid so far become known ones (the PIN-free
    /// rule looks for a payment at least 24 hours old).
    pub fn advance_day(&self) -> Step<()> {
        const DAY_AND_A_MINUTE: u64 = 86_400 + 60;
        self.backend
            .advance_clock(DAY_AND_A_MINUTE)
            .map_err(|e| e.to_string())?;
        self.clock.advance(DAY_AND_A_MINUTE);
        Ok(())
    }

    /// The merchant side: create an order, render its code as a PNG, scan the PNG.
    pub fn order_code(&self, merchant: &str, amount: &str, reference: &str) -> Step<ScannedCode> {
        let currency = self
            .sandbox
            .data()
            .merchant(merchant)
            .map_err(|e| e.to_string())?
            .currency;
        let order = self
            .backend
            .create_order(&CreateOrderRequest {
                merchant_id: merchant.into(),
                amount: Money::parse(amount, currency).map_err(|e| e.to_string())?,
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

    /// Drives a flow from the scanned code to its end state, as a UI would.
    /// A refusal before the payment exists (offline, limits) is an `Err`.
    pub fn pay(&self, code: ScannedCode) -> Step<FlowState> {
        let mut flow = self.wallet.new_flow();
        review_and_confirm(&mut flow, code)?;
        for d in PIN {
            flow.handle(Intent::PinDigit(d))
                .map_err(|e| e.to_string())?;
        }
        check(
            matches!(
                flow.state(),
                FlowState::Processing { .. } | FlowState::Pending { .. }
            ),
            "PIN accepted; journalled before sending",
        )?;
        flow.process(&mut |s| {
            if let FlowState::Processing { stage, .. } = s {
                println!("    · {stage:?}");
            }
        })
        .map_err(|e| e.to_string())
    }

    /// The journal's state path of a payment, repeated states folded.
    pub fn journal_path(&self, id: &str) -> Step<Vec<String>> {
        let mut path: Vec<String> = self
            .wallet
            .store()
            .transitions(id)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|t| t.to)
            .collect();
        path.dedup();
        Ok(path)
    }
}

/// Scan → review (the registered merchant) → confirm the displayed total.
pub fn review_and_confirm(flow: &mut PaymentFlow, code: ScannedCode) -> Step<Money> {
    let state = flow.handle(Intent::ScannedCode(code)).map_err(|e| {
        lang::phone(&e.message());
        e.to_string()
    })?;
    lang::phone(&state.message());
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
    let state = flow.handle(Intent::Proceed).map_err(|e| {
        lang::phone(&e.message());
        e.to_string()
    })?;
    lang::phone(&state.message());
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
    let state = flow
        .handle(Intent::Confirm {
            displayed_total: breakdown.total,
        })
        .map_err(|e| {
            lang::phone(&e.message());
            e.to_string()
        })?;
    lang::phone(&state.message());
    Ok(breakdown.total)
}

/// Reads a PNG and scans its luma plane, as a camera frame would be.
pub fn scan_png(path: &Path) -> Step<ScannedCode> {
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

/// The demo PIN on a PIN pad, as the payer types it.
pub fn pin_pad() -> PinPad {
    let mut pad = PinPad::new();
    for d in PIN {
        // Digits are 0–9 and the pad holds six: these presses cannot fail.
        let _ = pad.press(d);
    }
    pad
}

/// The wallet configuration the demo, scenarios and `scanpay wallet` use.
pub fn wallet_config(timings: Timings) -> WalletConfig {
    let limits = |currency| CurrencyLimits {
        currency,
        // Minor units: 200.00, 500.00, 20.00 and 50.00.
        per_payment: 20_000,
        daily: 50_000,
        offline_per_payment: 2_000,
        offline_total: 5_000,
    };
    WalletConfig {
        limits: vec![limits(Currency::SGD), limits(Currency::THB)],
        timings,
        ..WalletConfig::default()
    }
}
