//! The worked examples in `docs/api.md` are computed here: each block after
//! a `<!-- checked: NAME -->` marker must equal what the code produces for
//! the inputs the doc states, so the doc cannot drift from the code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::auth::{registration_proof_bytes, request_signed_bytes};
use scanpay_core::auth::{
    PaymentAuthMethod, PaymentAuthorisation, PinFreeLimits, RequestKey, ShortcutSettings,
};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::paycode::{
    charge_descriptor, ProvisionRequest, PATH_PROVISION, REQUEST_SIGNATURE_SUBJECT,
};
use scanpay_core::payload::mpm::MerchantPayload;
use zeroize::Zeroizing;

const PAYMENT_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const PAYLOAD: &str = "00020101021126230010SG.SCANPAY0105M00015204581253037025802SG5911KOPI CORNER6009SINGAPORE63045F9F";
const TIME: u64 = 1_767_225_600;
/// The P-256 base point G, uncompressed: a valid public key anyone can
/// check (its private key is 1), for the shortcut settings example.
const P256_G: &str = "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The computed value of every checked block.
fn computed() -> Vec<(&'static str, String)> {
    // A well-formed code (the parser checks its TLV and CRC), so the doc's
    // `merchant_account` is derived from it by the documented rule.
    let payload = MerchantPayload::parse(PAYLOAD).unwrap();
    let auth = PaymentAuthorisation {
        payment_id: PAYMENT_ID.into(),
        merchant_key_id: "kopi-2".into(),
        merchant_account: payload.merchant_account(),
        amount_minor: 450,
        currency: Currency::from_code("SGD").unwrap(),
        payload_sha256: PaymentAuthorisation::payload_digest(PAYLOAD),
        time: TIME,
    };
    let request_key = RequestKey::from_seed(Zeroizing::new([7; 32])).unwrap();
    let device = RequestKey::from_seed(Zeroizing::new([1; 32])).unwrap();
    let nonce: [u8; 16] = std::array::from_fn(|i| u8::try_from(i).unwrap());
    let path = format!("/v1/payments/{PAYMENT_ID}/reverse");
    let signed = request_signed_bytes("POST", &path, PAYMENT_ID, TIME, &nonce).unwrap();
    let header = request_key
        .sign_request("POST", &path, PAYMENT_ID, TIME, nonce)
        .unwrap()
        .header_value();
    // The pay code (part "Pay code"): provisioning and confirmation.
    let device_pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[1; 32]).unwrap();
    let nonce_text = URL_SAFE_NO_PAD.encode(nonce);
    let provision_bytes = ProvisionRequest::signed_bytes(TIME, &nonce_text);
    let provision_request = request_signed_bytes(
        "POST",
        PATH_PROVISION,
        REQUEST_SIGNATURE_SUBJECT,
        TIME,
        &nonce,
    )
    .unwrap();
    let charge_id = "chg_0f8fad5bd9cb469fa16570867728950e";
    let sgd = Currency::from_code("SGD").unwrap();
    let amount = Money::new(4_500, sgd);
    let descriptor = charge_descriptor(charge_id, "M-0001", &amount);
    let descriptor_sha: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, &descriptor)
        .as_ref()
        .try_into()
        .unwrap();
    let confirm = PaymentAuthorisation {
        payment_id: charge_id.into(),
        merchant_key_id: "paycode".into(),
        merchant_account: "M-0001".into(),
        amount_minor: amount.minor,
        currency: sgd,
        payload_sha256: descriptor_sha,
        time: TIME,
    };
    // Shortcuts (ADR 0022): the two other authorisation domains and the
    // settings document.
    let pin_free_bytes = auth.signed_bytes_for(PaymentAuthMethod::PinFree);
    let pin_free = request_key
        .sign_pin_free(auth.clone(), device.public_key())
        .unwrap();
    let g: Vec<u8> = (0..P256_G.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&P256_G[i..i + 2], 16).unwrap())
        .collect();
    let settings = ShortcutSettings {
        version: 3,
        time: TIME,
        biometric_public_key: Some(g),
        pin_free: vec![PinFreeLimits {
            currency: sgd,
            per_payment: 3_000,
            daily_total: 10_000,
            daily_count: 10,
        }],
    };
    let settings_bytes = settings.signed_bytes(device.public_key());
    vec![
        (
            "biometric-signed-bytes",
            hex(&auth.signed_bytes_for(PaymentAuthMethod::Biometric)),
        ),
        ("pin-free-signed-bytes", hex(&pin_free_bytes)),
        ("pin-free-signature", hex(&pin_free.signature)),
        ("shortcuts-signed-bytes", hex(&settings_bytes)),
        (
            "shortcuts-signature",
            hex(device_pair.sign(&settings_bytes).as_ref()),
        ),
        ("paycode-provision-signed-bytes", hex(&provision_bytes)),
        (
            "paycode-provision-signature",
            URL_SAFE_NO_PAD.encode(device_pair.sign(&provision_bytes).as_ref()),
        ),
        (
            "paycode-provision-request-signed-bytes",
            hex(&provision_request),
        ),
        ("paycode-charge-descriptor", hex(&descriptor)),
        ("paycode-charge-sha256", hex(&descriptor_sha)),
        ("paycode-confirm-signed-bytes", hex(&confirm.signed_bytes())),
        ("merchant-account", auth.merchant_account.clone()),
        ("payload-sha256", hex(&auth.payload_sha256)),
        ("authorisation-signed-bytes", hex(&auth.signed_bytes())),
        (
            "request-key-public",
            URL_SAFE_NO_PAD.encode(request_key.public_key()),
        ),
        ("request-signed-bytes", hex(&signed)),
        (
            "request-authorization-header",
            format!("Authorization: {header}"),
        ),
        (
            "device-key-public",
            URL_SAFE_NO_PAD.encode(device.public_key()),
        ),
        (
            "registration-proof-bytes",
            hex(&registration_proof_bytes(device.public_key())),
        ),
        (
            "registration-proof",
            URL_SAFE_NO_PAD.encode(request_key.registration_proof(device.public_key()).unwrap()),
        ),
    ]
}

/// The text of the fenced block after `<!-- checked: name -->`, whitespace
/// (line wrapping) removed.
fn block(doc: &str, name: &str) -> Option<String> {
    let marker = format!("<!-- checked: {name} -->");
    let after = &doc[doc.find(&marker)? + marker.len()..];
    let open = after.find("```")?;
    let body = &after[open + 3..];
    let body = &body[body.find('\n')? + 1..];
    let text = &body[..body.find("```")?];
    Some(text.split_whitespace().collect::<Vec<_>>().join(""))
}

#[test]
fn worked_examples_in_api_md_match_the_code() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    let mut wrong = Vec::new();
    for (name, value) in computed() {
        let want: String = value.split_whitespace().collect::<Vec<_>>().join("");
        match block(&doc, name) {
            Some(got) if got == want => {}
            got => wrong.push(format!("{name}: doc has {got:?}\n  code gives {value}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/api.md drifted:\n{}",
        wrong.join("\n")
    );
}
