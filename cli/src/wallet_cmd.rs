//! `scanpay wallet init|paycode|history|confirm` — a real wallet (the core's
//! [`Wallet`], its SQLite journal, its sealed keys) driven from scripts, so QA
//! can exercise the pay code against a sandbox without a phone.
//!
//! A wallet lives in its `--data` directory: the journal, `wallet.json` (how
//! to reach the sandbox: URL, CA, SPKI pin, registry roots — copied there at
//! `init`, so later commands need only `--data`), and `keystore.key` (mode
//! 0600), the 32-byte key of the software key store that wraps the sealed
//! device key and pay-code secret: on a phone that key lives in the Android
//! Keystore or the Secure Enclave, on this desktop tool in a file.
//!
//! The PIN is read from standard input (one line of digits), never from the
//! command line, where it would show in `ps` and shell history.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scanpay_core::auth::{AuthError, PinPad, SoftwareKeyStore};
use scanpay_core::net::api::paycode::{PaycodeLimits, MAX_EVENTS_WAIT_SECS};
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::paycode::render::{QrMatrix, QR_QUIET_MODULES};
use scanpay_core::paycode::{
    AuthMethod, ChargeOutcome, PaycodeChargeInfo, PaycodeDisplay, PaycodeError, PaycodeStatus,
};
use scanpay_core::payment::Backend;
use scanpay_core::payment::{Clock as _, SystemClock};
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{NoBackend, Wallet, WalletOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::json::money;
use crate::sandbox::{read_link, DEFAULT_DATA};

/// Exit status: the offline limit stops a new code (`wallet paycode`).
pub const EXIT_OFFLINE_LIMIT: u8 = 3;
/// Exit status: the PIN was refused (wrong, locked out, disabled).
pub const EXIT_PIN_REFUSED: u8 = 4;
/// Exit status: no charge waits for the PIN (`wallet confirm`).
pub const EXIT_NO_PENDING: u8 = 5;

/// The file in a wallet dir that says how to reach its sandbox.
const WALLET_FILE: &str = "wallet.json";
/// The software key store's key.
const KEYSTORE_FILE: &str = "keystore.key";
/// Quiet zone around the QR form, in modules (the core's matrix excludes it).
const QR_QUIET: u32 = QR_QUIET_MODULES;
/// Quiet zone on each side of the Code 128 form, in modules.
const BARS_QUIET: u32 = 10;

/// Arguments of `scanpay wallet`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Debug, clap::Subcommand)]
enum WalletCommand {
    /// Create a wallet: enrol with the PIN (stdin), register at the sandbox, provision the pay code.
    Init(InitArgs),
    /// Show the pay code (PIN on stdin): digits, valid_until, the CPM text; PNG/SVG for QA.
    Paycode(PaycodeArgs),
    /// The pay-code charges (with receipts) and payments, after a sync unless --offline.
    History(HistoryArgs),
    /// Answer a charge waiting for the PIN: confirm (PIN on stdin) or --decline.
    Confirm(ConfirmArgs),
}

/// Arguments of `scanpay wallet init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The running sandbox's data directory (its link.json, CA and registry roots).
    #[arg(long, default_value = DEFAULT_DATA)]
    sandbox: PathBuf,
    /// The wallet's directory (created; must not hold a wallet yet).
    #[arg(long)]
    data: PathBuf,
    /// The sandbox enrolment code (SANDBOX: 500.00 SGD; SANDBOX-LOW: 5.00 SGD).
    #[arg(long, default_value = "SANDBOX")]
    enrolment_code: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `scanpay wallet paycode`.
#[derive(Debug, clap::Args)]
pub struct PaycodeArgs {
    /// The wallet's directory.
    #[arg(long)]
    data: PathBuf,
    /// Make no network call: the code is made from the sealed secret alone.
    #[arg(long)]
    offline: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Write the QR form as a PNG (what the phone shows; `pos charge --image` reads it).
    #[arg(long)]
    png: Option<PathBuf>,
    /// Write an SVG with the QR form, the Code 128 bars and the digits.
    #[arg(long)]
    svg: Option<PathBuf>,
}

/// Arguments of `scanpay wallet history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The wallet's directory.
    #[arg(long)]
    data: PathBuf,
    /// Do not sync first: show what the journal holds.
    #[arg(long)]
    offline: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `scanpay wallet confirm`.
#[derive(Debug, clap::Args)]
pub struct ConfirmArgs {
    /// The wallet's directory.
    #[arg(long)]
    data: PathBuf,
    /// The charge to answer (default: the oldest one waiting).
    #[arg(long)]
    charge: Option<String>,
    /// Decline instead of confirming (no PIN read).
    #[arg(long)]
    decline: bool,
    /// Seconds to wait (long-polling the event feed) for a charge to arrive.
    #[arg(long, default_value_t = 10)]
    wait: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// `wallet.json`: how this wallet reaches its sandbox.
#[derive(Debug, Serialize, Deserialize)]
struct WalletFile {
    base_url: String,
    ca_pem_path: PathBuf,
    spki_pin: String,
    roots_json_path: PathBuf,
    device_id: String,
    account_id: String,
}

/// A wallet opened for one command.
struct Opened {
    wallet: Wallet,
    file: WalletFile,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    match &args.command {
        WalletCommand::Init(a) => init(a),
        WalletCommand::Paycode(a) => paycode(a),
        WalletCommand::History(a) => history(a),
        WalletCommand::Confirm(a) => confirm(a),
    }
}

/// Reads the PIN from standard input: one line of digits.
fn read_pin() -> Result<PinPad, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the PIN from standard input: {e}"))?;
    let digits = line.trim();
    if digits.is_empty() {
        return Err("no PIN on standard input (e.g. `echo 481592 | scanpay wallet …`)".into());
    }
    let mut pad = PinPad::new();
    for c in digits.chars() {
        let d = c
            .to_digit(10)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or("the PIN must be digits only")?;
        pad.press(d).map_err(|e| format!("PIN: {e}"))?;
    }
    line.clear();
    Ok(pad)
}

fn tls_of(file: &WalletFile) -> Result<TlsConfig, String> {
    let ca = std::fs::read(&file.ca_pem_path)
        .map_err(|e| format!("cannot read {}: {e}", file.ca_pem_path.display()))?;
    Ok(TlsConfig {
        root_certificates: ca,
        pins: vec![file.spki_pin.clone()],
        require_pins: true,
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Opens the wallet in `data`. With `online`, it is linked to the sandbox
/// (the pay code, registration and the registry go through it); without, it
/// has no backend at all and the network is reported down, so the core makes
/// no call.
fn open(data: &Path, file: WalletFile, online: bool) -> Result<Opened, String> {
    let key_path = data.join(KEYSTORE_FILE);
    let key_bytes = std::fs::read(&key_path).map_err(|e| {
        format!(
            "cannot read {} ({e}); is this a `scanpay wallet init` directory?",
            key_path.display()
        )
    })?;
    let key: [u8; 32] = key_bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{} is not a 32-byte key", key_path.display()))?;
    let roots = std::fs::read(&file.roots_json_path)
        .map_err(|e| format!("cannot read {}: {e}", file.roots_json_path.display()))?;
    let backend = if online {
        Some(Arc::new(
            HttpsBackend::new(ClientConfig::new(file.base_url.clone(), tls_of(&file)?))
                .map_err(|e| e.to_string())?,
        ))
    } else {
        None
    };
    let opts = WalletOptions {
        data_dir: data.to_path_buf(),
        roots: RootKeys::from_json(&roots).map_err(|e| e.to_string())?,
        config: crate::harness::wallet_config(Default::default()),
        keystore: Arc::new(SoftwareKeyStore::from_key_bytes(key)),
        backend: match &backend {
            Some(b) => b.clone() as Arc<dyn Backend>,
            None => Arc::new(NoBackend),
        },
        clock: Arc::new(SystemClock),
    };
    let wallet = match backend {
        Some(b) => Wallet::open_linked(opts, b),
        None => Wallet::open(opts),
    }
    .map_err(|e| e.to_string())?;
    if !online {
        wallet.set_network_available(false);
    }
    Ok(Opened { wallet, file })
}

fn load(data: &Path, online: bool) -> Result<Opened, String> {
    let path = data.join(WALLET_FILE);
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}); create the wallet with `scanpay wallet init --data {}`",
            path.display(),
            data.display()
        )
    })?;
    let file: WalletFile =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    open(data, file, online)
}

fn limits_json(l: &PaycodeLimits) -> Value {
    json!({
        "no_pin_max": money(&l.no_pin_max),
        "offline_max_codes": l.offline_max_codes,
        "offline_max_total": money(&l.offline_max_total),
    })
}

fn status_json(s: &PaycodeStatus) -> Value {
    json!({
        "provisioned": s.provisioned,
        "generation": s.generation,
        "account_id": s.account_id,
        "issued_since_sync": s.issued_since_sync,
        "limits": s.limits.as_ref().map(limits_json),
        "last_sync_at": s.last_sync_at,
        "pending_charges": s.pending_charges,
        "blocked": s.blocked.map(|b| format!("{b:?}")),
    })
}

/// A pay-code error as the exit status and the error object scripts read.
fn paycode_failure(e: &PaycodeError, json_out: bool) -> Result<ExitCode, String> {
    let (code, exit) = match e {
        PaycodeError::OfflineLimit(_) => ("offline-limit", EXIT_OFFLINE_LIMIT),
        PaycodeError::Auth(
            AuthError::WrongPin { .. } | AuthError::LockedOut { .. } | AuthError::Disabled,
        ) => ("pin-refused", EXIT_PIN_REFUSED),
        _ => return Err(e.to_string()),
    };
    if json_out {
        println!("{}", json!({"error": code, "message": e.to_string()}));
    }
    eprintln!("scanpay: {e}");
    Ok(ExitCode::from(exit))
}

fn init(args: &InitArgs) -> Result<ExitCode, String> {
    if args.data.join(WALLET_FILE).exists() {
        return Err(format!(
            "{} already holds a wallet; use another --data",
            args.data.display()
        ));
    }
    let pin = read_pin()?;
    let link = read_link(&args.sandbox)?;
    std::fs::create_dir_all(&args.data)
        .map_err(|e| format!("cannot create {}: {e}", args.data.display()))?;
    // Copies, so the wallet keeps working if the sandbox dir moves; a new
    // sandbox dir means new keys and a new wallet anyway.
    let ca_pem_path = args.data.join("ca.pem");
    let roots_json_path = args.data.join("roots.json");
    for (from, to) in [
        (&link.ca_pem_path, &ca_pem_path),
        (&link.roots_json_path, &roots_json_path),
    ] {
        std::fs::copy(from, to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    }
    let keystore = SoftwareKeyStore::generate().map_err(|e| e.to_string())?;
    write_private(
        &args.data.join(KEYSTORE_FILE),
        keystore.key_bytes().as_slice(),
    )?;
    let file = WalletFile {
        base_url: link.base_url,
        ca_pem_path,
        spki_pin: link.spki_pin,
        roots_json_path,
        device_id: String::new(),
        account_id: String::new(),
    };
    let mut opened = open(&args.data, file, true)?;
    let w = &opened.wallet;
    w.sync_registry()
        .map_err(|e| format!("registry: {e}"))?
        .ok_or("the sandbox sent no registry")?;
    w.authenticator()
        .enrol(&pin, SystemClock.now())
        .map_err(|e| format!("enrol: {e}"))?;
    // Registering also registers the wallet's request key (the link signs
    // with it): the event feed and provisioning need it.
    let enrolment = w
        .register_device(&args.enrolment_code)
        .map_err(|e| format!("register at the sandbox: {e}"))?;
    let file = &mut opened.file;
    file.device_id = enrolment.device_id.clone();
    file.account_id = enrolment.account_id.clone();
    let json_file = serde_json::to_vec_pretty(&*file).map_err(|e| e.to_string())?;
    std::fs::write(args.data.join(WALLET_FILE), json_file)
        .map_err(|e| format!("cannot write {WALLET_FILE}: {e}"))?;
    let w = &opened.wallet;
    let session = match w.open_paycode(&pin) {
        Ok(s) => s,
        Err(e) => return paycode_failure(&e, args.json),
    };
    session.close();
    let status = w
        .paycode_status(SystemClock.now())
        .map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            json!({
                "data": args.data,
                "device_id": enrolment.device_id,
                "account_id": enrolment.account_id,
                "balance": money(&enrolment.balance),
                "paycode": status_json(&status),
            })
        );
    } else {
        println!(
            "wallet {}: device {}, account {} ({}), pay code provisioned (generation {})",
            args.data.display(),
            enrolment.device_id,
            enrolment.account_id,
            enrolment.balance,
            status.generation.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn paycode(args: &PaycodeArgs) -> Result<ExitCode, String> {
    let pin = read_pin()?;
    let opened = load(&args.data, !args.offline)?;
    let w = &opened.wallet;
    let session = match w.open_paycode(&pin) {
        Ok(s) => s,
        Err(e) => return paycode_failure(&e, args.json),
    };
    let now = SystemClock.now();
    let shown = session.current(now);
    session.close();
    let d = match shown {
        Ok(d) => d,
        Err(e) => return paycode_failure(&e, args.json),
    };
    if !d.displayable || d.digits.is_empty() {
        return Err("the core handed out no displayable code".into());
    }
    // The matrix the core hands an app, drawn as an app would.
    let qr = &d.qr;
    if qr.size == 0 {
        return Err("the core handed out no QR matrix".into());
    }
    if let Some(png) = &args.png {
        save_qr_png(qr, png)?;
    }
    if let Some(svg) = &args.svg {
        std::fs::write(svg, svg_of(&d, qr))
            .map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
    }
    let status = w
        .paycode_status(SystemClock.now())
        .map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            json!({
                "digits": d.digits,
                "cpm_text": d.cpm_text,
                "counter": d.counter,
                "issued_at": d.issued_at,
                "valid_until": d.valid_until,
                "refresh_in_secs": d.refresh_in_secs,
                "qr": {"size": qr.size, "quiet_zone": QR_QUIET},
                "bars": d.bars,
                "offline": args.offline,
                "issued_since_sync": status.issued_since_sync,
                "png": args.png,
                "svg": args.svg,
            })
        );
    } else {
        println!("{}", d.digits);
        println!(
            "  valid until {} (unix s, {} s from now); counter {}",
            d.valid_until, d.refresh_in_secs, d.counter
        );
        println!("  QR (EMVCo CPM): {}", d.cpm_text);
        println!(
            "  codes issued since the last sync: {}",
            status.issued_since_sync
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The QR module matrix as a PNG: 8 px a module, the 4-module quiet zone.
pub fn save_qr_png(qr: &QrMatrix, path: &Path) -> Result<(), String> {
    // 8 px a module (328 px square for a version-4 code): a size a till's
    // camera reads from a phone screen, and every module edge on the
    // scanner's 8-px block grid, the case core/tests/it/scan_scales.rs keeps.
    const SCALE: u32 = 8;
    let size = qr.size;
    let side = (size + 2 * QR_QUIET) * SCALE;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / SCALE, y / SCALE);
        let dark = mx >= QR_QUIET && my >= QR_QUIET && qr.is_dark(mx - QR_QUIET, my - QR_QUIET);
        image::Luma([if dark { 0 } else { 255 }])
    });
    img.save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// An SVG with the QR form, the Code 128 form under it, and the digits.
fn svg_of(d: &PaycodeDisplay, qr: &QrMatrix) -> String {
    const M: u32 = 4; // px per QR module
    const B: u32 = 2; // px per barcode module
    const BAR_H: u32 = 80;
    let qr_side = (qr.size + 2 * QR_QUIET) * M;
    let bar_modules: u32 = d.bars.iter().map(|&w| u32::from(w)).sum::<u32>() + 2 * BARS_QUIET;
    let width = qr_side.max(bar_modules * B);
    let height = qr_side + BAR_H + 40;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>\n<g fill=\"#000\">\n"
    );
    let qr_x = (width - qr_side) / 2;
    for my in 0..qr.size {
        for mx in (0..qr.size).filter(|&mx| qr.is_dark(mx, my)) {
            out.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{M}\" height=\"{M}\"/>",
                qr_x + (mx + QR_QUIET) * M,
                (my + QR_QUIET) * M
            ));
        }
    }
    out.push('\n');
    let mut x = (width - bar_modules * B) / 2 + BARS_QUIET * B;
    for (i, w) in d.bars.iter().enumerate() {
        let w = u32::from(*w) * B;
        // Widths alternate bar, space, bar, …, starting with a bar.
        if i % 2 == 0 {
            out.push_str(&format!(
                "<rect x=\"{x}\" y=\"{qr_side}\" width=\"{w}\" height=\"{BAR_H}\"/>"
            ));
        }
        x += w;
    }
    out.push_str(&format!(
        "\n</g>\n<text x=\"{}\" y=\"{}\" font-family=\"monospace\" font-size=\"18\" text-anchor=\"middle\">{}</text>\n</svg>\n",
        width / 2,
        qr_side + BAR_H + 28,
        d.digits
    ));
    out
}

fn method_name(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::Code => "code",
        AuthMethod::CodeAndPin => "code+pin",
    }
}

/// One pay-code charge as `wallet history --json` shows it.
pub fn charge_json(c: &PaycodeChargeInfo) -> Value {
    json!({
        "kind": "paycode",
        "charge_id": c.charge.charge_id,
        "state": c.charge.state,
        "merchant_id": c.merchant.id,
        "merchant_name": c.merchant.name,
        "merchant_registered": c.merchant.registered,
        "amount": money(&c.charge.amount),
        "receipt": c.charge.receipt,
        "method": method_name(c.method),
        "counter": c.charge.counter,
        "at": c.charge.at,
        "expires_at": c.charge.expires_at,
    })
}

/// "paid 3.20 SGD to KOPI CORNER — receipt R-…", as the phone says it.
pub fn charge_line(c: &PaycodeChargeInfo) -> String {
    let state = serde_json::to_value(c.charge.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!(
        "{state} {} to {}{}{}",
        c.charge.amount,
        c.merchant.name,
        if c.merchant.registered {
            ""
        } else {
            " (as named by ScanPay)"
        },
        c.charge
            .receipt
            .as_deref()
            .map_or_else(String::new, |r| format!(" — receipt {r}"))
    )
}

fn history(args: &HistoryArgs) -> Result<ExitCode, String> {
    let opened = load(&args.data, !args.offline)?;
    let w = &opened.wallet;
    let sync_error = if args.offline {
        None
    } else {
        w.sync_paycode(0).err().map(|e| e.to_string())
    };
    let charges = w.paycode_history().map_err(|e| e.to_string())?;
    let rows = w.store().payments(100, None).map_err(|e| e.to_string())?;
    let mut payments = Vec::new();
    for row in rows {
        if let Some(p) = w.payment(&row.id).map_err(|e| e.to_string())? {
            payments.push(p);
        }
    }
    if args.json {
        println!(
            "{}",
            json!({
                "synced": !args.offline && sync_error.is_none(),
                "sync_error": sync_error,
                "device_id": opened.file.device_id,
                "account_id": opened.file.account_id,
                "paycode": charges.iter().map(charge_json).collect::<Vec<_>>(),
                "payments": payments.iter().map(|p| json!({
                    "kind": "payment",
                    "payment_id": p.id,
                    "state": p.state.as_str(),
                    "merchant_name": p.merchant.name,
                    "amount": money(&p.breakdown.total),
                    "receipt": p.receipt.as_ref().map(|r| r.reference.clone()),
                    "created_at": p.created_at,
                })).collect::<Vec<_>>(),
            })
        );
    } else {
        match (&sync_error, args.offline) {
            (_, true) => println!("(not synced: --offline)"),
            (Some(e), _) => println!("(sync failed: {e}; showing the journal)"),
            (None, _) => {}
        }
        for c in &charges {
            println!("pay code  {}", charge_line(c));
        }
        for p in &payments {
            println!(
                "payment   {} {} to {}{}",
                p.state.as_str(),
                p.breakdown.total,
                p.merchant.name,
                p.receipt
                    .as_ref()
                    .map_or_else(String::new, |r| format!(" — receipt {}", r.reference))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn confirm(args: &ConfirmArgs) -> Result<ExitCode, String> {
    let pin = if args.decline {
        None
    } else {
        Some(read_pin()?)
    };
    let opened = load(&args.data, true)?;
    let w = &opened.wallet;
    // Long-poll the feed until a charge waits for us (the till may have
    // charged a moment ago) or the wait is over.
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let pending = loop {
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        w.sync_paycode(left.min(MAX_EVENTS_WAIT_SECS))
            .map_err(|e| format!("sync: {e}"))?;
        let pending = w.pending_charges().map_err(|e| e.to_string())?;
        let found = match &args.charge {
            Some(id) => pending.into_iter().find(|p| &p.charge_id == id),
            None => pending.into_iter().next(),
        };
        if found.is_some() || Instant::now() >= deadline {
            break found;
        }
    };
    let Some(p) = pending else {
        if args.json {
            println!(
                "{}",
                json!({"error": "no-pending-charge", "message": "no charge waits for the PIN"})
            );
        }
        eprintln!("scanpay: no charge waits for the PIN");
        return Ok(ExitCode::from(EXIT_NO_PENDING));
    };
    let outcome = match &pin {
        Some(pin) => w.confirm_charge(&p.charge_id, pin),
        None => w.decline_charge(&p.charge_id),
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return paycode_failure(&e, args.json),
    };
    let (name, receipt) = match &outcome {
        ChargeOutcome::Paid { receipt } => ("paid", receipt.clone()),
        ChargeOutcome::Closed => ("closed", None),
        ChargeOutcome::Reversed => ("reversed", None),
        ChargeOutcome::Unknown => ("unknown", None),
    };
    if args.json {
        println!(
            "{}",
            json!({
                "charge_id": p.charge_id,
                "merchant_id": p.merchant.id,
                "merchant_name": p.merchant.name,
                "merchant_registered": p.merchant.registered,
                "amount": money(&p.amount),
                "answer": if args.decline { "declined" } else { "confirmed" },
                "outcome": name,
                "receipt": receipt,
            })
        );
    } else {
        println!(
            "{} {} to {}: {name}{}",
            if args.decline {
                "declined"
            } else {
                "confirmed"
            },
            p.amount,
            p.merchant.name,
            receipt.map_or_else(String::new, |r| format!(" — receipt {r}"))
        );
    }
    Ok(ExitCode::SUCCESS)
}
