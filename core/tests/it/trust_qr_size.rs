//! Size budget: a typical signed payload must fit a QR code of version 15 or
//! lower at error-correction level M (what a till screen or a sticker prints
//! and a mid-range phone reads at arm's length).
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::trust_support::*;
use qrcode::{EcLevel, QrCode, Version};

fn version_of(payload: &str) -> i16 {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .unwrap_or_else(|e| panic!("no QR code holds this payload: {e:?}"));
    match code.version() {
        Version::Normal(v) => v,
        Version::Micro(v) => v,
    }
}

fn check(label: &str, payload: &str) -> i16 {
    let v = version_of(payload);
    println!(
        "{label}: {} characters, QR version {v} at level M",
        payload.chars().count()
    );
    assert!(v <= 15, "{label} needs QR version {v}: {payload}");
    v
}

#[test]
fn static_codes_fit_version_15_at_level_m() {
    // Two accounts (PromptPay + an acquirer template with terminal id), a
    // 25-character name, a 12-character city and a terminal label.
    let shape = Shape::alice();
    check(
        "static ed25519",
        &sign_static(&shape, &alice(), "m-alice-ed"),
    );
    check("static p-256", &sign_static(&shape, &bob(), "m-bob-p256"));
}

#[test]
fn dynamic_codes_fit_version_15_at_level_m() {
    // Amount, 18-character bill number and reference, expiry and nonce.
    let shape = Shape::alice_dynamic();
    let nonce = "AAECAwQFBgcICQoL";
    check(
        "dynamic ed25519",
        &sign_dynamic(&shape, &alice(), "m-alice-ed", NOW + 600, nonce),
    );
    check(
        "dynamic p-256",
        &sign_dynamic(&shape, &bob(), "m-bob-p256", NOW + 600, nonce),
    );
}

#[test]
fn unsigned_baseline_is_smaller() {
    // The signature's cost, for the record (printed, and sanity-checked).
    let unsigned = Shape::alice().build();
    let signed = sign_static(&Shape::alice(), &alice(), "m-alice-ed");
    println!(
        "unsigned {} chars (v{}), signed {} chars (v{})",
        unsigned.len(),
        version_of(&unsigned),
        signed.len(),
        version_of(&signed)
    );
    assert!(signed.len() > unsigned.len() + 150);
}
