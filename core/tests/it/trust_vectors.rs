//! Cross-language test vectors for signed merchant codes (`tests/vectors/trust/`).
//!
//! `generate_vectors` (ignored) writes them once from fixed keys:
//! `cargo test -p scanpay-core --test it -- --ignored trust_vectors::generate_vectors`.
//! `vectors_give_expected_verdicts` and `registry_vectors_behave` load the
//! committed JSON and assert every expectation, exactly as the Kotlin and
//! Python tests will.
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use crate::trust_support::*;
use scanpay_core::trust::registry::RootKeys;
use scanpay_core::trust::{issue, InMemoryReplayGuard, TrustStore};
use serde_json::{json, Value};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/trust")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn verified(
    name: &str,
    desc: &str,
    payload: String,
    now: u64,
    merchant: (&str, &str, &str),
    warnings: &[&str],
) -> Value {
    json!({
        "name": name, "description": desc, "payload": payload, "now": now,
        "expect": {"verdict": "verified", "registered_name": merchant.0, "merchant_id": merchant.1,
                   "key_id": merchant.2, "warnings": warnings}
    })
}

fn unverified(name: &str, desc: &str, payload: String, now: u64, reason: &str) -> Value {
    json!({"name": name, "description": desc, "payload": payload, "now": now,
           "expect": {"verdict": "unverified", "reason": reason}})
}

#[test]
#[ignore = "writes tests/vectors/trust; run once by hand"]
fn generate_vectors() {
    let d = dir();
    std::fs::create_dir_all(&d).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(d.join(name), bytes).unwrap();

    write(
        "roots.json",
        &serde_json::to_vec_pretty(&roots().to_json()).unwrap(),
    );
    write("registry.json", &registry_doc(2));
    write("registry-v1.json", &registry_doc(1));
    let mut conflict = registry_json(2);
    conflict.issued_at += 1;
    write(
        "registry-v2-conflict.json",
        &issue::sign_registry(&conflict, &[("root-1", &root())]).unwrap(),
    );
    // Version 3, "signed" by a key that claims to be root-1 but is not pinned.
    write(
        "registry-v3-forged.json",
        &issue::sign_registry(&registry_json(3), &[("root-1", &ed("attacker-root"))]).unwrap(),
    );
    write(
        "keys.json",
        &serde_json::to_vec_pretty(&json!({
            "warning": "TEST ONLY. Never use these keys outside tests.",
            "ed25519_seed_rule": "seed = SHA-256(\"scanpay-test-vector:\" || label), label = key id",
            "keys": [
                {"key_id": "root-1", "alg": "ed25519", "seed_label": "root-1", "public_key": root().public_key().to_base64url()},
                {"key_id": "m-alice-ed", "alg": "ed25519", "seed_label": "m-alice-ed", "public_key": alice().public_key().to_base64url()},
                {"key_id": "m-bob-p256", "alg": "ecdsa-p256-sha256", "pkcs8": BOB_P256_PKCS8, "public_key": bob().public_key().to_base64url()},
                {"key_id": "m-revoked", "alg": "ed25519", "seed_label": "m-revoked"},
                {"key_id": "m-future", "alg": "ed25519", "seed_label": "m-future"},
                {"key_id": "m-expired", "alg": "ed25519", "seed_label": "m-expired"},
                {"key_id": "m-spoof", "alg": "ed25519", "seed_label": "m-spoof"},
                {"key_id": "m-ghost", "alg": "ed25519", "seed_label": "m-ghost", "note": "not in the registry"}
            ]
        }))
        .unwrap(),
    );

    let alice_m = (ALICE_NAME, "M-0001", "m-alice-ed");
    let bob_m = (BOB_NAME, "M-0002", "m-bob-p256");
    let a_static = sign_static(&Shape::alice(), &alice(), "m-alice-ed");
    let a_dyn = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 600,
        "AAECAwQFBgcICQoL",
    );
    let b_static = sign_static(&Shape::bob(), &bob(), "m-bob-p256");
    let b_dyn_shape = Shape {
        dynamic: true,
        amount: Some("89.00"),
        bill: Some("B-7781"),
        ..Shape::bob()
    };
    let b_dyn = sign_dynamic(
        &b_dyn_shape,
        &bob(),
        "m-bob-p256",
        NOW + 300,
        "ZmVkY2JhOTg3NjU0",
    );
    let a_dyn2 = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 600,
        "c2Vjb25kLW5vbmNlMQ",
    );
    let sig_first = scanpay_template_id(&a_static, 98);
    let first_half = {
        let objs = scanpay_core::payload::tlv::parse(&a_static).unwrap();
        let t = objs.iter().find(|o| o.id == sig_first).unwrap();
        t.children()
            .unwrap()
            .iter()
            .find(|c| c.id == 98)
            .unwrap()
            .value
            .to_string()
    };
    // Flip one base64url character (first one: all 6 bits are signature bits).
    let flipped = {
        let mut c: Vec<char> = first_half.chars().collect();
        c[0] = if c[0] == 'A' { 'B' } else { 'A' };
        c.into_iter().collect::<String>()
    };
    let info_id = scanpay_template_id(&a_static, 3);
    let shape_with = |name: &'static str, city: &'static str| Shape {
        name,
        city,
        ..Shape::alice()
    };
    let swap = Shape {
        accounts: vec![(29, PROMPTPAY, vec![(1, ATTACKER_PHONE)])],
        ..Shape::alice()
    };
    let spoof = Shape {
        accounts: vec![(29, PROMPTPAY, vec![(1, "0066844444444")])],
        name: "PAYPАL STORE",
        city: "BANGKOK",
        ..Shape::bob()
    };
    let revoked = Shape {
        accounts: vec![(29, PROMPTPAY, vec![(1, "0066811111111")])],
        name: "OLD TEA SHOP",
        city: "CHIANG MAI",
        ..Shape::bob()
    };
    let future = Shape {
        accounts: vec![(29, PROMPTPAY, vec![(1, "0066822222222")])],
        name: "NEW TEA SHOP",
        city: "CHIANG MAI",
        ..Shape::bob()
    };
    let expired = Shape {
        accounts: vec![(29, PROMPTPAY, vec![(1, "0066833333333")])],
        name: "GONE TEA SHOP",
        city: "CHIANG MAI",
        ..Shape::bob()
    };

    let cases = vec![
        verified(
            "valid-static-ed25519",
            "Static code, Ed25519, two registered accounts.",
            a_static.clone(),
            NOW,
            alice_m,
            &[],
        ),
        verified(
            "valid-static-p256",
            "Static code, ECDSA P-256.",
            b_static.clone(),
            NOW,
            bob_m,
            &[],
        ),
        verified(
            "valid-dynamic-ed25519",
            "Dynamic code with amount, bill number, reference, expiry and nonce.",
            a_dyn.clone(),
            NOW,
            alice_m,
            &[],
        ),
        verified(
            "valid-dynamic-p256",
            "Dynamic code, ECDSA P-256.",
            b_dyn.clone(),
            NOW + 10,
            bob_m,
            &[],
        ),
        unverified(
            "replayed-nonce",
            "valid-dynamic-ed25519 scanned a second time.",
            a_dyn.clone(),
            NOW + 5,
            "replayed-nonce",
        ),
        unverified(
            "expired-dynamic",
            "A dynamic code scanned after its expiry.",
            a_dyn2.clone(),
            NOW + 600,
            "code-expired",
        ),
        unverified(
            "expiry-too-far",
            "A dynamic code claiming to live three days.",
            sign_dynamic(
                &Shape::alice_dynamic(),
                &alice(),
                "m-alice-ed",
                NOW + 3 * DAY,
                "dGhyZWUtZGF5cy1ub25jZQ",
            ),
            NOW,
            "expiry-too-far",
        ),
        unverified(
            "tampered-amount",
            "Amount changed after signing, CRC recomputed.",
            tamper(&a_dyn2, 54, None, "9250.75"),
            NOW,
            "bad-signature",
        ),
        unverified(
            "tampered-name",
            "Merchant name changed after signing, CRC recomputed.",
            tamper(&a_static, 59, None, "EVIL TWIN COFFEE"),
            NOW,
            "bad-signature",
        ),
        unverified(
            "tampered-account",
            "PromptPay number changed after signing.",
            tamper(&a_static, 29, Some(1), ATTACKER_PHONE),
            NOW,
            "bad-signature",
        ),
        unverified(
            "tampered-expiry",
            "Expiry extended after signing.",
            tamper(
                &a_dyn2,
                scanpay_template_id(&a_dyn2, 3),
                Some(4),
                &(NOW + 900).to_string(),
            ),
            NOW,
            "bad-signature",
        ),
        unverified(
            "bad-signature",
            "One signature character flipped.",
            tamper(&a_static, sig_first, Some(98), &flipped),
            NOW,
            "bad-signature",
        ),
        unverified(
            "unknown-key",
            "Signed by a key the registry does not list.",
            sign_static(&Shape::alice(), &ed("m-ghost"), "m-ghost"),
            NOW,
            "unknown-key",
        ),
        unverified(
            "key-id-swapped",
            "Key id rewritten to another registered key.",
            tamper(&a_static, info_id, Some(3), "m-revoked"),
            NOW,
            "bad-signature",
        ),
        unverified(
            "revoked-key",
            "Signed by a revoked key.",
            sign_static(&revoked, &ed("m-revoked"), "m-revoked"),
            NOW,
            "revoked-key",
        ),
        unverified(
            "key-not-yet-valid",
            "Signed by a key whose validity starts in 10 days.",
            sign_static(&future, &ed("m-future"), "m-future"),
            NOW,
            "key-not-yet-valid",
        ),
        unverified(
            "key-expired",
            "Signed by a key whose validity ended yesterday.",
            sign_static(&expired, &ed("m-expired"), "m-expired"),
            NOW,
            "key-expired",
        ),
        unverified(
            "sticker-swap",
            "Alice's valid key signs a payload paying an account not registered to her.",
            sign_static(&swap, &alice(), "m-alice-ed"),
            NOW,
            "account-not-registered",
        ),
        unverified(
            "name-mismatch",
            "Printed name differs from the registered name.",
            sign_static(
                &shape_with("RIVERSIDE CAFE", ALICE_CITY),
                &alice(),
                "m-alice-ed",
            ),
            NOW,
            "name-mismatch",
        ),
        unverified(
            "confusable-name",
            "Printed name is a lookalike (digit zero for O).",
            sign_static(
                &shape_with("SIAM RIVERSIDE C0FFEE CO.", ALICE_CITY),
                &alice(),
                "m-alice-ed",
            ),
            NOW,
            "confusable-name",
        ),
        unverified(
            "mixed-script-name",
            "Registered name mixes Latin with a Cyrillic letter.",
            sign_static(&spoof, &ed("m-spoof"), "m-spoof"),
            NOW,
            "mixed-script-name",
        ),
        verified(
            "case-and-space-insensitive-name",
            "Name printed in other case and spacing.",
            sign_static(
                &shape_with("Siam  Riverside Coffee Co.", ALICE_CITY),
                &alice(),
                "m-alice-ed",
            ),
            NOW,
            alice_m,
            &[],
        ),
        verified(
            "city-differs",
            "Printed city differs: verified, registered city shown, warning.",
            sign_static(&shape_with(ALICE_NAME, "BANGKOK"), &alice(), "m-alice-ed"),
            NOW,
            alice_m,
            &["city-differs"],
        ),
        unverified(
            "unsigned-emv",
            "An ordinary EMVCo code (PromptPay) without a ScanPay signature.",
            Shape::alice().build(),
            NOW,
            "no-signature",
        ),
        unverified(
            "malformed-signature",
            "Second signature half removed.",
            {
                let second = scanpay_template_id(&a_static, 99);
                let objs = scanpay_core::payload::tlv::parse(&a_static).unwrap();
                with_crc(
                    objs.iter()
                        .filter(|o| o.id != second && o.id != 63)
                        .map(|o| &a_static[o.span.clone()])
                        .collect(),
                )
            },
            NOW,
            "malformed-signature",
        ),
        unverified(
            "unsupported-algorithm",
            "Algorithm code RS (not supported).",
            tamper(&a_static, info_id, Some(2), "RS"),
            NOW,
            "unsupported-algorithm",
        ),
        unverified(
            "unsupported-version",
            "Format version 2.",
            tamper(&a_static, info_id, Some(1), "2"),
            NOW,
            "unsupported-version",
        ),
        unverified(
            "algorithm-mismatch",
            "Ed25519 key's signature presented as ECDSA P-256.",
            sign_with_claimed_algorithm(&Shape::alice(), &alice(), "m-alice-ed", "ES"),
            NOW,
            "algorithm-mismatch",
        ),
        unverified(
            "bad-crc",
            "CRC digits altered.",
            {
                let mut s = a_static.clone();
                let n = s.len();
                s.replace_range(
                    n - 4..,
                    if a_static.ends_with("0000") {
                        "1111"
                    } else {
                        "0000"
                    },
                );
                s
            },
            NOW,
            "malformed-payload",
        ),
        verified(
            "registry-stale",
            "Registry past expires_at, within the 30-day offline grace.",
            a_static.clone(),
            NOW + 31 * DAY,
            alice_m,
            &["registry-stale"],
        ),
        unverified(
            "registry-expired",
            "Registry 31 days past the grace period.",
            a_static.clone(),
            NOW + 61 * DAY,
            "registry-expired",
        ),
    ];

    let doc = json!({
        "description": "Signed merchant QR verdicts. Load roots.json, apply registry.json at `registry_now`, then verify every case IN ORDER with ONE replay guard shared by all cases (the replayed-nonce case depends on valid-dynamic-ed25519 before it). Expectations list only the fields to compare; `warnings` lists warning codes in order.",
        "roots": "roots.json",
        "registry": "registry.json",
        "registry_now": NOW,
        "cases": cases,
        "registry_cases": [
            {"name": "rollback", "description": "Version 1 after version 2 is refused.",
             "documents": ["registry.json", "registry-v1.json"], "now": NOW, "expect_error": "rollback"},
            {"name": "version-conflict", "description": "Version 2 again with different bytes.",
             "documents": ["registry.json", "registry-v2-conflict.json"], "now": NOW, "expect_error": "version-conflict"},
            {"name": "same-document-again", "description": "Re-applying the same document is fine (restart).",
             "documents": ["registry.json", "registry.json"], "now": NOW, "expect_error": null},
            {"name": "forged-root", "description": "Signed by a key claiming the pinned root's id.",
             "documents": ["registry-v3-forged.json"], "now": NOW, "expect_error": "not-enough-signatures"},
            {"name": "upgrade", "description": "Version 1 then version 2.",
             "documents": ["registry-v1.json", "registry.json"], "now": NOW, "expect_error": null}
        ]
    });
    write("cases.json", &serde_json::to_vec_pretty(&doc).unwrap());
}

fn load_store(registry: &str, now: u64) -> TrustStore {
    let roots = RootKeys::from_json(&read("roots.json")).unwrap();
    let mut store = TrustStore::new(roots);
    store.apply_registry(&read(registry), now).unwrap();
    store
}

#[test]
fn vectors_give_expected_verdicts() {
    let doc: Value = serde_json::from_slice(&read("cases.json")).unwrap();
    let store = load_store(
        doc["registry"].as_str().unwrap(),
        doc["registry_now"].as_u64().unwrap(),
    );
    let mut guard = InMemoryReplayGuard::default();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let verdict = store.verify(
            c["payload"].as_str().unwrap(),
            c["now"].as_u64().unwrap(),
            &mut guard,
        );
        let got = serde_json::to_value(&verdict).unwrap();
        let expect = &c["expect"];
        for (k, want) in expect.as_object().unwrap() {
            let have = if k == "warnings" {
                Value::Array(
                    got["warnings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|w| w["warning"].clone())
                        .collect(),
                )
            } else {
                got[k].clone()
            };
            if &have != want {
                failures.push(format!(
                    "{name}: {k} = {have}, expected {want} (verdict {got})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn registry_vectors_behave() {
    let doc: Value = serde_json::from_slice(&read("cases.json")).unwrap();
    for c in doc["registry_cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let now = c["now"].as_u64().unwrap();
        let mut store = TrustStore::new(RootKeys::from_json(&read("roots.json")).unwrap());
        let mut last = Ok(());
        for d in c["documents"].as_array().unwrap() {
            last = store
                .apply_registry(&read(d.as_str().unwrap()), now)
                .map(|_| ());
            if last.is_err() {
                break;
            }
        }
        let got = last.err().map(|e| e.code());
        assert_eq!(got, c["expect_error"].as_str(), "{name}");
    }
}

/// The committed vectors match what the generator would produce from the same
/// fixed keys: roots and Ed25519 signatures are deterministic, so they must be
/// byte-identical (P-256 signatures are randomised and only checked by verdict).
#[test]
fn committed_vectors_use_the_fixed_keys() {
    assert_eq!(RootKeys::from_json(&read("roots.json")).unwrap(), roots(),);
    assert_eq!(read("registry.json"), registry_doc(2));
    let doc: Value = serde_json::from_slice(&read("cases.json")).unwrap();
    let first = &doc["cases"][0];
    assert_eq!(first["name"], "valid-static-ed25519");
    assert_eq!(
        first["payload"].as_str().unwrap(),
        sign_static(&Shape::alice(), &alice(), "m-alice-ed")
    );
}
