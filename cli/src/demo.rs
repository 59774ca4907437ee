//! `scanpay demo` — the main job, end to end through the core.
//!
//! 1. Generate a root key (the acquirer's, pinned by the wallet) and a merchant key.
//! 2. Sign a merchant key registry with the root.
//! 3. Build a dynamic EMVCo merchant payload and sign it with the merchant key.
//! 4. Render it as a PNG QR image, as a till would print or display it.
//! 5. Read the PNG back, scan its luma plane with the core's scanner.
//! 6. Classify and parse the scanned text, verify the merchant, show what the
//!    payer would see.
//! 7. Show that a tampered copy and a second scan of the same code are refused.
//!
//! The payment itself (amount and PIN confirmation, the journal, the sandbox
//! backend over TLS) joins this demo with the wallet-flow and backend issues.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ring::rand::SystemRandom;
use scanpay_core::payload::mpm::MpmBuilder;
use scanpay_core::payload::{self, Payload};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, Scanner};
use scanpay_core::trust::issue::{self, SigningKey};
use scanpay_core::trust::registry::{
    MerchantKeyJson, RegisteredAccount, RegistryJson, RootKeyJson, RootsJson,
};
use scanpay_core::trust::signed_qr::DynamicInfo;
use scanpay_core::trust::{Algorithm, InMemoryReplayGuard, RootKeys, Verdict};

use crate::image_io::load_luma;
use crate::render;
use crate::trust_files::{now_or, TrustFiles};

/// Arguments of `scanpay demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the QR image and trust files.
    #[arg(long, default_value = "target/demo")]
    out: PathBuf,
}

const ROOT_ID: &str = "demo-root-1";
const MERCHANT_KEY_ID: &str = "kopi-corner-2026";
const ACCOUNT_GUID: &str = "com.scanpay.demo";
const ACCOUNT_ID: &str = "MERCHANT-000042";

fn step(n: u32, what: &str) {
    println!("\n[{n}] {what}");
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let now = now_or(None);
    let rng = SystemRandom::new();
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;

    step(
        1,
        "Keys: a pinned acquirer root and a merchant key (Ed25519, fresh each run)",
    );
    let root = new_key(&rng)?;
    let merchant = new_key(&rng)?;
    let roots = RootsJson {
        threshold: 1,
        roots: vec![RootKeyJson {
            key_id: ROOT_ID.into(),
            alg: Algorithm::Ed25519,
            public_key: root.public_key().to_base64url(),
        }],
    };
    let roots_bytes = serde_json::to_vec_pretty(&roots).map_err(|e| e.to_string())?;
    write(&args.out.join("roots.json"), &roots_bytes)?;
    println!("    root {ROOT_ID}: {}", root.public_key().to_base64url());
    println!(
        "    merchant key {MERCHANT_KEY_ID}: {}",
        merchant.public_key().to_base64url()
    );

    step(
        2,
        "Registry: the root signs the merchant's key, name, city and account",
    );
    let registry = RegistryJson {
        format: scanpay_core::trust::registry::REGISTRY_FORMAT,
        registry_id: "scanpay-demo".into(),
        version: 1,
        issued_at: now,
        expires_at: now + 7 * 24 * 3600,
        keys: vec![MerchantKeyJson {
            key_id: MERCHANT_KEY_ID.into(),
            merchant_id: "M-42".into(),
            name: "Kopi Corner".into(),
            city: "Singapore".into(),
            accounts: vec![RegisteredAccount::Template {
                guid: ACCOUNT_GUID.into(),
                fields: [("01".to_string(), ACCOUNT_ID.to_string())]
                    .into_iter()
                    .collect(),
            }],
            alg: Algorithm::Ed25519,
            public_key: merchant.public_key().to_base64url(),
            not_before: now.saturating_sub(3600),
            not_after: now + 365 * 24 * 3600,
            revoked: false,
        }],
    };
    let doc = issue::sign_registry(&registry, &[(ROOT_ID, &root)]).map_err(|e| e.to_string())?;
    write(&args.out.join("registry.json"), &doc)?;
    println!(
        "    registry scanpay-demo v1, {} bytes, 1 merchant key",
        doc.len()
    );

    step(
        3,
        "Merchant code: a dynamic EMVCo payload for SGD 4.50, signed, valid 10 minutes",
    );
    let mut builder = MpmBuilder::new();
    builder
        .object(1, "12")
        .and_then(|b| b.template(26, &[(0, ACCOUNT_GUID), (1, ACCOUNT_ID)]))
        .and_then(|b| b.object(52, "5814"))
        .and_then(|b| b.object(53, "702"))
        .and_then(|b| b.object(54, "4.50"))
        .and_then(|b| b.object(58, "SG"))
        .and_then(|b| b.object(59, "KOPI CORNER"))
        .and_then(|b| b.object(60, "SINGAPORE"))
        .and_then(|b| b.template(62, &[(1, "INV-20261125-0042")]))
        .map_err(|e| e.to_string())?;
    let unsigned = builder.finish().map_err(|e| e.to_string())?;
    let dynamic = DynamicInfo {
        expires_at: now + 600,
        nonce: issue::random_nonce(&rng).map_err(|e| e.to_string())?,
    };
    let signed = issue::sign_payload(&unsigned, &merchant, MERCHANT_KEY_ID, Some(dynamic))
        .map_err(|e| e.to_string())?;
    println!("    {} characters: {signed}", signed.chars().count());

    step(4, "Render: QR image at error-correction level M");
    let rendered = render::render(&signed, render::Style::default())?;
    let (img, version) = (rendered.image, rendered.version);
    let png = args.out.join("qr.png");
    render::save_png(&img, &png)?;
    println!(
        "    {} ({}x{} px, QR version {version})",
        png.display(),
        img.width(),
        img.height()
    );

    step(
        5,
        "Scan: read the PNG back and feed its luma plane to the core's scanner",
    );
    let luma = load_luma(&png)?;
    let frame = LumaFrame {
        data: &luma.pixels,
        width: luma.width,
        height: luma.height,
        row_stride: luma.width,
        rotation: Rotation::R0,
    };
    let mut scanner = Scanner::new();
    let started = Instant::now();
    let codes = scanner
        .scan(&frame, &ScanOptions::default())
        .map_err(|e| e.to_string())?;
    let scan_ms = started.elapsed().as_secs_f64() * 1000.0;
    let Some(text) = codes.first().and_then(|c| c.text.clone()) else {
        println!("    FAILED: the scanner found no code");
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "    {} code(s) in {scan_ms:.2} ms; text matches what was signed: {}",
        codes.len(),
        text == signed
    );

    step(
        6,
        "Understand and verify: parse the payload, check the signature against the registry",
    );
    let classified = payload::classify(&text);
    let merchant_payload = match classified.result {
        Ok(Payload::EmvMpm(m)) => m,
        Ok(_) => {
            return fail(&format!(
                "classified as {}, not a merchant code",
                classified.kind.as_str()
            ))
        }
        Err(e) => return fail(&format!("payload refused: {e}")),
    };
    let roots = RootKeys::from_json(&roots_bytes).map_err(|e| e.to_string())?;
    let trust = TrustFiles::from_bytes(roots, &doc, now)?;
    let mut replay = InMemoryReplayGuard::new(1024);
    let verdict = trust.verdict_with(&text, now, &mut replay);
    let Verdict::Verified(v) = &verdict else {
        return fail(&format!("merchant not verified: {}", json(&verdict)));
    };
    let amount = merchant_payload.amount.map_or_else(
        || "(payer enters the amount)".to_string(),
        |a| a.to_string(),
    );
    println!(
        "    VERIFIED merchant: {} ({}), merchant id {}",
        v.registered_name, v.registered_city, v.merchant_id
    );
    println!("    amount: {amount}");
    if let Some(bill) = merchant_payload
        .additional
        .as_ref()
        .and_then(|a| a.bill_number.as_ref())
    {
        println!("    bill: {}", bill.as_emv());
    }
    println!(
        "    printed name in the QR: {:?} (shown: the registered name)",
        merchant_payload.merchant_name.unwrap_or_default()
    );

    step(
        7,
        "Attacks: a tampered amount and a second scan of the same dynamic code",
    );
    let tampered = signed.replacen("54044.50", "540414.5", 1);
    let tampered = refresh_crc(&tampered);
    let v1 = trust.verdict_with(&tampered, now, &mut replay);
    println!("    tampered amount (CRC fixed up): {}", json(&v1));
    let v2 = trust.verdict_with(&text, now, &mut replay);
    println!("    same code scanned again: {}", json(&v2));
    if v1.is_verified() || v2.is_verified() {
        return fail("an attack was accepted");
    }

    println!("\nDemo complete: scanned, parsed and verified; attacks refused.");
    println!(
        "Try: scanpay inspect --roots {0}/roots.json --registry {0}/registry.json '{signed}'",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn new_key(rng: &SystemRandom) -> Result<SigningKey, String> {
    let pkcs8 = SigningKey::generate_pkcs8(Algorithm::Ed25519, rng).map_err(|e| e.to_string())?;
    SigningKey::from_pkcs8(Algorithm::Ed25519, pkcs8.as_bytes()).map_err(|e| e.to_string())
}

/// Recomputes the trailing CRC, as an attacker printing a sticker would.
fn refresh_crc(payload: &str) -> String {
    let body = payload
        .get(..payload.len().saturating_sub(4))
        .unwrap_or(payload);
    let crc = scanpay_core::payload::tlv::crc16_ccitt_false(body.as_bytes());
    format!("{body}{}", scanpay_core::payload::tlv::crc_hex(crc))
}

fn json(v: &Verdict) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn fail(msg: &str) -> Result<ExitCode, String> {
    println!("    FAILED: {msg}");
    Ok(ExitCode::FAILURE)
}
