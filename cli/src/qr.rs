//! `scanpay qr make …` and `scanpay qr keygen …`: signed merchant QR codes as
//! PNG and SVG, for QA and for printing at a test till.
//!
//! A dynamic code for a sandbox merchant (`--merchant M --dynamic`) is an
//! order: the sandbox declines a dynamic code whose nonce belongs to no order
//! (`unknown-order`), so `qr make` creates the order in the sandbox's data dir
//! (the database a running `scanpay sandbox serve --data DIR` reads) and prints
//! its code, instead of signing a nonce nobody knows.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ring::rand::SystemRandom;
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::CreateOrderRequest;
use scanpay_core::payload::mpm::MpmBuilder;
use scanpay_core::trust::issue::{self, SigningKey};
use scanpay_core::trust::signed_qr::DynamicInfo;
use scanpay_core::trust::Algorithm;

use crate::render;
use crate::trust_files::now_or;

/// Arguments of `scanpay qr`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: QrCommand,
}

#[derive(Debug, clap::Subcommand)]
enum QrCommand {
    /// Make a (signed) merchant QR code: PNG, SVG beside it, payload on stdout.
    ///
    /// With --merchant and --dynamic the code is a sandbox order: it is created
    /// in the sandbox (--sandbox DIR) for --amount, so the sandbox accepts
    /// the payment once, until --expires-in runs out.
    Make(Box<MakeArgs>),
    /// Generate a merchant signing key (PKCS#8) and print its public key.
    Keygen(KeygenArgs),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Alg {
    Ed25519,
    P256,
}

impl From<Alg> for Algorithm {
    fn from(a: Alg) -> Algorithm {
        match a {
            Alg::Ed25519 => Algorithm::Ed25519,
            Alg::P256 => Algorithm::EcdsaP256Sha256,
        }
    }
}

/// Arguments of `scanpay qr make`.
#[derive(Debug, clap::Args)]
pub struct MakeArgs {
    /// A sandbox merchant (e.g. M-0001): its registered name, city, account and
    /// active key come from the sandbox data dir, so the code verifies there.
    #[arg(long, conflicts_with_all = ["key", "key_id", "name", "city", "accounts"])]
    merchant: Option<String>,
    /// The sandbox data dir for --merchant.
    #[arg(long, default_value = crate::sandbox::DEFAULT_DATA)]
    sandbox: PathBuf,
    /// Merchant signing key, PKCS#8 DER (from `scanpay qr keygen`). Omit with --unsigned.
    #[arg(long, required_unless_present_any = ["unsigned", "merchant"])]
    key: Option<PathBuf>,
    /// Algorithm of --key.
    #[arg(long, value_enum, default_value = "ed25519")]
    alg: Alg,
    /// Key id as registered in the merchant key registry.
    #[arg(long, required_unless_present_any = ["unsigned", "merchant"])]
    key_id: Option<String>,
    /// Make a plain EMVCo code without a ScanPay signature.
    #[arg(long)]
    unsigned: bool,
    /// Merchant name printed in the code (ID 59).
    #[arg(long, required_unless_present = "merchant")]
    name: Option<String>,
    /// Merchant city (ID 60).
    #[arg(long, required_unless_present = "merchant")]
    city: Option<String>,
    /// Country, ISO 3166-1 alpha-2 (ID 58).
    #[arg(long, default_value = "SG")]
    country: String,
    /// Currency, ISO 4217 alphabetic code (ID 53).
    #[arg(long, default_value = "SGD")]
    currency: String,
    /// Merchant category code (ID 52).
    #[arg(long, default_value = "5814")]
    mcc: String,
    /// Merchant account as GUID=ACCOUNT (template 26+, sub-IDs 00 and 01); repeatable.
    #[arg(long = "account", required_unless_present = "merchant")]
    accounts: Vec<String>,
    /// Amount in major units, e.g. 4.50 (ID 54). Without it the payer enters the amount.
    #[arg(long)]
    amount: Option<String>,
    /// A dynamic (single-use) code: signed with an expiry and a fresh nonce.
    /// With --merchant it is a sandbox order: needs --amount, and creates the
    /// order in the sandbox's data dir (--sandbox), which a running `scanpay
    /// sandbox serve --data` on that dir then accepts once; the order id is
    /// printed on stderr. Without --merchant nothing is created: a sandbox
    /// declines such a code (unknown-order).
    #[arg(long)]
    dynamic: bool,
    /// Lifetime of a dynamic code (and of its sandbox order: 1 to 86400), in seconds.
    #[arg(long, default_value_t = 600)]
    expires_in: u64,
    /// Bill number (ID 62, sub-ID 01); a sandbox order's reference (default QR-MAKE).
    #[arg(long)]
    bill: Option<String>,
    /// Reference label (ID 62, sub-ID 05). Not with --merchant --dynamic: an
    /// order's code carries the order id there.
    #[arg(long)]
    reference: Option<String>,
    /// Output PNG path; an SVG is written beside it.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `scanpay qr keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Algorithm.
    #[arg(long, value_enum, default_value = "ed25519")]
    alg: Alg,
    /// Where to write the PKCS#8 private key (created with mode 0600 where supported).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    match &args.command {
        QrCommand::Make(m) => make(m),
        QrCommand::Keygen(k) => keygen(k),
    }
}

fn keygen(args: &KeygenArgs) -> Result<ExitCode, String> {
    let rng = SystemRandom::new();
    let pkcs8 = SigningKey::generate_pkcs8(args.alg.into(), &rng).map_err(|e| e.to_string())?;
    let key =
        SigningKey::from_pkcs8(args.alg.into(), pkcs8.as_bytes()).map_err(|e| e.to_string())?;
    write_private(&args.out, pkcs8.as_bytes())?;
    println!("{}", key.public_key().to_base64url());
    Ok(ExitCode::SUCCESS)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The fields of a merchant code, independent of how it is signed.
pub struct MerchantCode<'a> {
    pub name: &'a str,
    pub city: &'a str,
    pub country: &'a str,
    pub currency: Currency,
    pub mcc: &'a str,
    pub accounts: &'a [(String, String)],
    pub amount: Option<Money>,
    pub dynamic: bool,
    pub bill: Option<&'a str>,
    pub reference: Option<&'a str>,
}

/// Builds the unsigned EMVCo payload of a merchant code.
pub fn build_payload(code: &MerchantCode<'_>) -> Result<String, String> {
    let mut b = MpmBuilder::new();
    let e = |e: scanpay_core::payload::mpm::MpmError| e.to_string();
    b.object(1, if code.dynamic { "12" } else { "11" })
        .map_err(e)?;
    for (i, (guid, account)) in code.accounts.iter().enumerate() {
        let id = u8::try_from(26 + i).map_err(|_| "too many accounts".to_string())?;
        b.template(id, &[(0, guid.as_str()), (1, account.as_str())])
            .map_err(e)?;
    }
    b.object(52, code.mcc).map_err(e)?;
    b.object(53, &code.currency.numeric_str()).map_err(e)?;
    if let Some(amount) = &code.amount {
        b.object(54, &amount.to_emv_string()).map_err(e)?;
    }
    b.object(58, code.country).map_err(e)?;
    b.object(59, code.name).map_err(e)?;
    b.object(60, code.city).map_err(e)?;
    let mut additional: Vec<(u8, &str)> = Vec::new();
    if let Some(bill) = code.bill {
        additional.push((1, bill));
    }
    if let Some(reference) = code.reference {
        additional.push((5, reference));
    }
    if !additional.is_empty() {
        b.template(62, &additional).map_err(e)?;
    }
    b.finish().map_err(e)
}

/// Signs a payload; a dynamic code gets an expiry `lifetime` seconds from `now` and a fresh nonce.
pub fn sign(
    payload: &str,
    key: &SigningKey,
    key_id: &str,
    dynamic: bool,
    now: u64,
    lifetime: u64,
) -> Result<String, String> {
    let info = if dynamic {
        let nonce = issue::random_nonce(&SystemRandom::new()).map_err(|e| e.to_string())?;
        Some(DynamicInfo {
            expires_at: now.saturating_add(lifetime),
            nonce,
        })
    } else {
        None
    };
    issue::sign_payload(payload, key, key_id, info).map_err(|e| e.to_string())
}

fn make(args: &MakeArgs) -> Result<ExitCode, String> {
    let payload = match &args.merchant {
        Some(merchant) => sandbox_payload(args, merchant)?,
        None => own_payload(args)?,
    };
    write_code(&payload, &args.out)?;
    println!("{payload}");
    Ok(ExitCode::SUCCESS)
}

/// A code for a sandbox merchant, signed with its active key (or unsigned).
fn sandbox_payload(args: &MakeArgs, merchant: &str) -> Result<String, String> {
    let data = scanpay_sandbox::SandboxData::open(&args.sandbox).map_err(|e| e.to_string())?;
    let info = data.merchant(merchant).map_err(|e| e.to_string())?;
    let amount = args
        .amount
        .as_deref()
        .map(|a| Money::parse(a, info.currency).map_err(|e| format!("amount {a:?}: {e}")))
        .transpose()?;
    if args.dynamic && !args.unsigned {
        return sandbox_order(args, &data, merchant, amount);
    }
    let mut unsigned = scanpay_sandbox::SandboxData::unsigned_payload(
        &info,
        amount,
        args.bill.as_deref(),
        args.reference.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    if args.dynamic && amount.is_none() {
        // unsigned_payload marks a code dynamic only when it has an amount.
        unsigned = unsigned.replacen("010211", "010212", 1);
    }
    if args.unsigned {
        return Ok(with_crc(unsigned));
    }
    let (key_id, key) = data
        .merchant_active_key(merchant)
        .map_err(|e| e.to_string())?;
    let now = data.now().map_err(|e| e.to_string())?;
    sign(&unsigned, &key, &key_id, args.dynamic, now, args.expires_in)
}

/// The default reference of an order made by `qr make` (the sandbox requires one).
const ORDER_REFERENCE: &str = "QR-MAKE";

/// A dynamic code for a sandbox merchant: an order created in the sandbox,
/// so that paying it is accepted once (a signed nonce the sandbox has no order
/// for is declined `unknown-order`). The sandbox signs the code itself with
/// the merchant's active key, as `POST /v1/merchant/orders` does.
fn sandbox_order(
    args: &MakeArgs,
    data: &scanpay_sandbox::SandboxData,
    merchant: &str,
    amount: Option<Money>,
) -> Result<String, String> {
    let amount = amount.ok_or(
        "--merchant --dynamic makes a sandbox order, which is for an amount: add --amount \
         (e.g. --amount 4.50)",
    )?;
    if args.reference.is_some() {
        return Err(
            "--reference: an order's code carries the order id in the reference \
                    label (ID 62/05); give your reference with --bill"
                .into(),
        );
    }
    let reference = args.bill.as_deref().unwrap_or(ORDER_REFERENCE);
    let order = data
        .create_order_with_ttl(
            &CreateOrderRequest {
                merchant_id: merchant.to_string(),
                amount,
                reference: reference.to_string(),
            },
            args.expires_in,
        )
        .map_err(|e| format!("the sandbox refused the order: {}", e.message))?;
    eprintln!(
        "sandbox order {} ({}): {amount}, reference {reference:?}, open until {} \
         (sandbox clock, unix seconds); {}",
        order.order_id,
        merchant,
        order.expires_at,
        args.sandbox.display()
    );
    Ok(order.payload)
}

/// Appends `6304` and the CRC to a payload body.
pub fn with_crc(mut body: String) -> String {
    body.push_str("6304");
    let crc = scanpay_core::payload::tlv::crc16_ccitt_false(body.as_bytes());
    body.push_str(&scanpay_core::payload::tlv::crc_hex(crc));
    body
}

/// A code from the fields and key given on the command line.
fn own_payload(args: &MakeArgs) -> Result<String, String> {
    let currency = Currency::from_code(&args.currency)
        .ok_or_else(|| format!("unknown currency {:?}", args.currency))?;
    let amount = args
        .amount
        .as_deref()
        .map(|a| Money::parse(a, currency).map_err(|e| format!("amount {a:?}: {e}")))
        .transpose()?;
    let accounts = args
        .accounts
        .iter()
        .map(|a| {
            a.split_once('=')
                .map(|(g, v)| (g.to_string(), v.to_string()))
                .ok_or_else(|| format!("--account {a:?}: expected GUID=ACCOUNT"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let code = MerchantCode {
        name: args.name.as_deref().unwrap_or_default(),
        city: args.city.as_deref().unwrap_or_default(),
        country: &args.country,
        currency,
        mcc: &args.mcc,
        accounts: &accounts,
        amount,
        dynamic: args.dynamic,
        bill: args.bill.as_deref(),
        reference: args.reference.as_deref(),
    };
    let unsigned = build_payload(&code)?;
    match (&args.key, &args.key_id, args.unsigned) {
        (_, _, true) => Ok(unsigned),
        (Some(path), Some(key_id), false) => {
            let der =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let key = SigningKey::from_pkcs8(args.alg.into(), &der).map_err(|e| e.to_string())?;
            sign(
                &unsigned,
                &key,
                key_id,
                args.dynamic,
                now_or(None),
                args.expires_in,
            )
        }
        _ => Err("--key and --key-id are required unless --unsigned or --merchant".into()),
    }
}

/// Writes the PNG and the SVG beside it.
fn write_code(payload: &str, out: &Path) -> Result<(), String> {
    let rendered = render::render(payload, render::Style::default())?;
    render::save_png(&rendered.image, out)?;
    let svg = out.with_extension("svg");
    render::save_svg(payload, &svg)?;
    eprintln!(
        "wrote {} and {} (QR version {}, {} characters)",
        out.display(),
        svg.display(),
        rendered.version,
        payload.chars().count()
    );
    Ok(())
}
