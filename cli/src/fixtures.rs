//! `scanpay fixtures OUT_DIR` — the QA fixture pack.
//!
//! Every fixture is a PNG of a QR code beside `NAME.json`, a note of what the
//! wallet must conclude from it. The signed ones are made with the sandbox's
//! own merchant keys (from its data dir), so a wallet configured for that
//! sandbox gets exactly the verdicts written down; `roots.json` and
//! `registry.json` are copied into the pack so `scanpay inspect` can check
//! them offline. `fixtures.json` lists them all and `README.md` is the table
//! a QA engineer reads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ring::rand::SystemRandom;
use scanpay_core::money::Money;
use scanpay_core::net::api::CreateOrderRequest;
use scanpay_core::payload::tlv;
use scanpay_core::trust::issue::{self, SigningKey};
use scanpay_core::trust::signed_qr::DynamicInfo;
use scanpay_core::trust::Algorithm;
use scanpay_sandbox::SandboxData;
use serde::Serialize;
use serde_json::{json, Value};

use crate::qr::with_crc;
use crate::render::{self, Style};

/// Arguments of `scanpay fixtures`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the pack.
    out_dir: PathBuf,
    /// The sandbox data dir whose merchant keys sign the fixtures (created and
    /// seeded if missing; use the one `scanpay sandbox serve` runs on).
    #[arg(long, default_value = crate::sandbox::DEFAULT_DATA)]
    sandbox: PathBuf,
}

/// One fixture as written to `NAME.json` and `fixtures.json`.
#[derive(Debug, Serialize)]
pub struct Fixture {
    /// File stem.
    pub name: String,
    /// The PNG, relative to the pack.
    pub image: String,
    /// What the QA engineer is looking at.
    pub description: String,
    /// The scanned text, exactly.
    pub payload: String,
    /// What the wallet must conclude: `kind`, and `verdict` / `reason` for
    /// merchant codes, or `flags` for links.
    pub expect: Value,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let fixtures = make_pack(&args.out_dir, &args.sandbox)?;
    for f in &fixtures {
        println!("{:<22} {}", f.name, f.expect);
    }
    println!(
        "\n{} fixtures in {} (see README.md there)",
        fixtures.len(),
        args.out_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the whole pack and returns what it wrote.
pub fn make_pack(out: &Path, sandbox_dir: &Path) -> Result<Vec<Fixture>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let data = SandboxData::open(sandbox_dir).map_err(err)?;
    let now = data.now().map_err(err)?;
    let rng = SystemRandom::new();

    let kopi = data.merchant("M-0001").map_err(err)?;
    let laksa = data.merchant("M-0002").map_err(err)?;
    let (kopi_key_id, kopi_key) = data.merchant_active_key("M-0001").map_err(err)?;
    let (laksa_key_id, laksa_key) = data.merchant_active_key("M-0002").map_err(err)?;
    let revoked_key_id = kopi
        .keys
        .iter()
        .find(|k| k.revoked)
        .map(|k| k.key_id.clone())
        .ok_or("the sandbox seed has no revoked key for M-0001")?;
    let revoked_key = data.merchant_signing_key(&revoked_key_id).map_err(err)?;
    let amount = Money::parse("12.50", kopi.currency).map_err(err)?;

    let valid_static = data.static_payload("M-0001").map_err(err)?;
    let order = data
        .create_order_with_ttl(
            &CreateOrderRequest {
                merchant_id: "M-0001".into(),
                amount,
                reference: "QA-ORDER-1".into(),
            },
            scanpay_sandbox::data::MAX_ORDER_TTL_SECS,
        )
        .map_err(|e| e.message)?;
    let dynamic_unsigned =
        SandboxData::unsigned_payload(&kopi, Some(amount), Some("QA-BILL-7"), None).map_err(err)?;
    let expired = issue::sign_payload(
        &dynamic_unsigned,
        &kopi_key,
        &kopi_key_id,
        Some(DynamicInfo {
            expires_at: now.saturating_sub(60),
            nonce: issue::random_nonce(&rng).map_err(err)?,
        }),
    )
    .map_err(err)?;
    let stranger_pkcs8 = SigningKey::generate_pkcs8(Algorithm::Ed25519, &rng).map_err(err)?;
    let stranger =
        SigningKey::from_pkcs8(Algorithm::Ed25519, stranger_pkcs8.as_bytes()).map_err(err)?;
    let static_unsigned = SandboxData::unsigned_payload(&kopi, None, None, None).map_err(err)?;
    let unknown_key =
        issue::sign_payload(&static_unsigned, &stranger, "ghost-1", None).map_err(err)?;
    let revoked =
        issue::sign_payload(&static_unsigned, &revoked_key, &revoked_key_id, None).map_err(err)?;
    // A registered merchant (LAKSA HOUSE) signs, with its own valid key, a code
    // that pays KOPI CORNER's account: the signature verifies, the account is
    // not registered to that key.
    let mut swapped = laksa.clone();
    swapped.account = kopi.account.clone();
    swapped.account_id = kopi.account_id;
    let sticker_swap = issue::sign_payload(
        &SandboxData::unsigned_payload(&swapped, None, None, None).map_err(err)?,
        &laksa_key,
        &laksa_key_id,
        None,
    )
    .map_err(err)?;
    // The real key, but a printed name with a Greek capital omicron.
    let mut lookalike = kopi.clone();
    lookalike.name = "KOPI C\u{039F}RNER".into();
    let lookalike_name = issue::sign_payload(
        &SandboxData::unsigned_payload(&lookalike, None, None, None).map_err(err)?,
        &kopi_key,
        &kopi_key_id,
        None,
    )
    .map_err(err)?;

    let verified =
        |name: &str| json!({"kind": "emv-mpm", "verdict": "verified", "registered_name": name});
    let unverified =
        |reason: &str| json!({"kind": "emv-mpm", "verdict": "unverified", "reason": reason});
    let link = |flags: &[&str]| json!({"kind": "url", "clean": false, "flags": flags});
    let plain = Style::default();
    let specs: Vec<(&str, String, &str, Value, Style)> = vec![
        ("valid-static", valid_static.clone(), "KOPI CORNER's static code: the payer enters the amount.", verified(&kopi.name), plain),
        ("valid-dynamic", order.payload.clone(), "A 12.50 SGD order valid for 24 h (sandbox clock); single use: a second scan is a replay.", verified(&kopi.name), plain),
        ("expired", expired, "A dynamic code whose expiry passed a minute before the pack was made.", unverified("code-expired"), plain),
        ("tampered-amount", tamper_amount(&order.payload)?, "The valid dynamic code with its amount changed and the CRC recomputed, as a forger would.", unverified("bad-signature"), plain),
        ("unknown-key", unknown_key, "Signed by a key that is not in the registry.", unverified("unknown-key"), plain),
        ("revoked-key", revoked, "Signed by KOPI CORNER's revoked key.", unverified("revoked-key"), plain),
        ("sticker-swap", sticker_swap, "LAKSA HOUSE's valid key signs a code that pays KOPI CORNER's account.", unverified("account-not-registered"), plain),
        ("unsigned-promptpay", UNSIGNED_PROMPTPAY.into(), "A real PromptPay code (dtinth/promptpay-qr tests): valid EMVCo, no ScanPay signature.", unverified("no-signature"), plain),
        ("lookalike-name", lookalike_name, "The real key, but the printed name has a Greek omicron in place of an O.", unverified("confusable-name"), plain),
        ("oversized", oversized(&valid_static)?, "A valid-looking EMVCo payload over the 512-character limit.", unverified("malformed-payload"), plain),
        ("light-on-dark", valid_static.clone(), "The valid static code printed light-on-dark.", verified(&kopi.name), Style { inverted: true, ..plain }),
        ("rotated", valid_static.clone(), "The valid static code turned a quarter to the right.", verified(&kopi.name), Style { quarter_turns: 1, ..plain }),
        ("phishing-http", "http://kopi-corner.example/pay?amount=12.50".into(), "A plain-http link: shown with its host, never opened.", link(&["not-https"]), plain),
        ("phishing-javascript", "javascript:alert(document.cookie)".into(), "A script link.", link(&["dangerous-scheme", "not-https"]), plain),
        ("phishing-punycode", "https://xn--pypal-4ve.com/login".into(), "An IDN host that looks like paypal.com (Cyrillic a).", link(&["international-host", "lookalike:paypal"]), plain),
        ("phishing-userinfo", "https://paypal.com@evil.example/login".into(), "What looks like the host is user-info; the real host is evil.example.", link(&["user-info"]), plain),
    ];

    let mut fixtures = Vec::with_capacity(specs.len());
    for (name, payload, description, expect, style) in specs {
        let rendered = render::render(&payload, style)?;
        let image = format!("{name}.png");
        render::save_png(&rendered.image, &out.join(&image))?;
        let fixture = Fixture {
            name: name.to_string(),
            image,
            description: description.to_string(),
            payload,
            expect,
        };
        write_json(&out.join(format!("{name}.json")), &fixture)?;
        fixtures.push(fixture);
    }
    write_json(&out.join("fixtures.json"), &fixtures)?;
    let (_, registry) = data.registry_document().map_err(err)?;
    write_bytes(&out.join("registry.json"), &registry)?;
    let roots = std::fs::read(data.roots_json_path()).map_err(err)?;
    write_bytes(&out.join("roots.json"), &roots)?;
    write_bytes(&out.join("README.md"), readme(&fixtures, now).as_bytes())?;
    Ok(fixtures)
}

/// A real PromptPay payload from dtinth/promptpay-qr's tests (also in
/// `tests/vectors/emv/real-payloads.json`).
const UNSIGNED_PROMPTPAY: &str =
    "00020101021129370016A000000677010111011300668012345675802TH530376463046197";

/// Rewrites the amount (ID 54) with a different one of the same length and
/// recomputes the CRC: a forgery the CRC cannot catch.
fn tamper_amount(payload: &str) -> Result<String, String> {
    let objects = tlv::parse(payload).map_err(err)?;
    let mut out = String::new();
    for o in &objects {
        match o.id {
            54 => {
                let forged: String = o
                    .value
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == 0 && c.is_ascii_digit() { '9' } else { c })
                    .collect();
                tlv::encode_into(&mut out, 54, &forged).map_err(err)?;
            }
            63 => {}
            _ => out.push_str(payload.get(o.span.clone()).unwrap_or_default()),
        }
    }
    Ok(with_crc(out))
}

/// The valid payload padded past 512 characters with unreserved templates.
fn oversized(payload: &str) -> Result<String, String> {
    let body = payload
        .get(..payload.len().saturating_sub(8))
        .unwrap_or(payload);
    let mut out = body.to_string();
    for id in 90..=93 {
        tlv::encode_into(&mut out, id, &"X".repeat(60)).map_err(err)?;
    }
    Ok(with_crc(out))
}

fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), String> {
    let bytes = serde_json::to_vec_pretty(value).map_err(err)?;
    write_bytes(path, &bytes)
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn readme(fixtures: &[Fixture], now: u64) -> String {
    let mut s = format!(
        "# ScanPay QA fixtures\n\nMade by `scanpay fixtures` at sandbox time {now}. Each PNG sits beside a \
         JSON note with the exact payload and the expected outcome. Check one offline with\n\n\
         ```sh\nscanpay inspect --json --roots roots.json --registry registry.json \"$(jq -r .payload NAME.json)\"\n```\n\n\
         | fixture | expected | what it is |\n|---|---|---|\n"
    );
    for f in fixtures {
        let expect = match (f.expect["verdict"].as_str(), f.expect["reason"].as_str()) {
            (Some("verified"), _) => "verified".to_string(),
            (Some(_), Some(reason)) => format!("unverified: {reason}"),
            _ => format!("link: {}", f.expect["flags"]),
        };
        s.push_str(&format!(
            "| `{}` | {expect} | {} |\n",
            f.image, f.description
        ));
    }
    s
}
