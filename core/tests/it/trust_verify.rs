//! Behaviour of `TrustStore` beyond the shared vectors: registry thresholds and
//! limits, replay across restarts, the signed-bytes definition, account
//! matching, the signing side.
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use crate::trust_support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::payload::mpm::MerchantPayload;
use scanpay_core::payload::tlv;
use scanpay_core::trust::issue::{self, IssueError, SigningKey};
use scanpay_core::trust::keys::{Algorithm, KeyError};
use scanpay_core::trust::registry::{
    RegisteredAccount, RegistryError, RootKeys, MAX_DOCUMENT_BYTES,
};
use scanpay_core::trust::replay::{ReplayGuard, ReplaySnapshot};
use scanpay_core::trust::signed_qr::{self, DynamicInfo, SIGNED_BYTES_PREFIX};
use scanpay_core::trust::{InMemoryReplayGuard, Reason, TrustStore, Verdict};

fn store() -> TrustStore {
    let mut s = TrustStore::new(roots());
    s.apply_registry(&registry_doc(2), NOW).unwrap();
    s
}

fn reason(v: &Verdict) -> &'static str {
    v.reason().map_or("verified", Reason::code)
}

#[test]
fn without_registry_nothing_verifies() {
    let s = TrustStore::new(roots());
    let p = sign_static(&Shape::alice(), &alice(), "m-alice-ed");
    assert_eq!(
        reason(&s.verify(&p, NOW, &mut InMemoryReplayGuard::default())),
        "no-registry"
    );
}

#[test]
fn verified_verdict_shows_registered_data_and_serialises_flat() {
    let p = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 60,
        "AAECAwQFBgcICQoL",
    );
    let v = store().verify(&p, NOW, &mut InMemoryReplayGuard::default());
    let Verdict::Verified(m) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(m.registered_name, ALICE_NAME);
    assert_eq!(m.registered_city, ALICE_CITY);
    assert_eq!(m.merchant_id, "M-0001");
    assert_eq!(m.registry_version, 2);
    assert_eq!(m.dynamic.as_ref().map(|d| d.expires_at), Some(NOW + 60));
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(j["verdict"], "verified");
    assert_eq!(j["registered_name"], ALICE_NAME);
    assert_eq!(j["algorithm"], "ed25519");
    assert_eq!(j["dynamic"]["nonce"], "AAECAwQFBgcICQoL");
}

#[test]
fn signed_bytes_are_exactly_as_documented() {
    // Recompute the signed bytes from the spec, independently of `extract`:
    // prefix || payload text minus the two signature-value templates and the CRC.
    for (key, id) in [(alice(), "m-alice-ed"), (bob(), "m-bob-p256")] {
        let p = sign_static(&Shape::alice(), &key, id);
        let objs = tlv::parse(&p).unwrap();
        let (first, second) = (scanpay_template_id(&p, 98), scanpay_template_id(&p, 99));
        let mut msg = SIGNED_BYTES_PREFIX.to_vec();
        let mut sig_text = String::new();
        for o in &objs {
            if o.id == first || o.id == second {
                let c = o.children().unwrap();
                sig_text.push_str(c.iter().find(|c| c.id != 0).unwrap().value);
            } else if o.id != 63 {
                msg.extend_from_slice(p[o.span.clone()].as_bytes());
            }
        }
        let sig = URL_SAFE_NO_PAD.decode(sig_text).unwrap();
        assert_eq!(sig.len(), 64);
        key.public_key().verify(&msg, &sig).unwrap();
        let parts = signed_qr::extract(&p).unwrap().unwrap();
        assert_eq!(parts.signed_bytes, msg);
        assert_eq!(parts.info.algorithm, key.algorithm());
    }
}

#[test]
fn signed_payload_is_valid_emvco_for_other_parsers() {
    let p = sign_dynamic(
        &Shape::alice_dynamic(),
        &bob(),
        "m-bob-p256",
        NOW + 60,
        "AAECAwQFBgcICQoL",
    );
    let m = MerchantPayload::parse(&p).unwrap();
    assert_eq!(m.unreserved.len(), 3);
    assert!(m.unreserved.iter().all(|t| t.has_guid("APP.SCANPAY")));
    assert_eq!(m.merchant_name.as_deref(), Some(ALICE_NAME));
    // Every value fits the 99-character limit by construction of the TLV layer.
    assert!(tlv::parse(&p)
        .unwrap()
        .iter()
        .all(|o| o.value.chars().count() <= 99));
}

#[test]
fn a_foreign_unreserved_template_is_signed_too() {
    let mut b = scanpay_core::payload::mpm::MpmBuilder::new();
    b.object(1, "11").unwrap();
    b.template(29, &[(0, PROMPTPAY), (1, BOB_PHONE)]).unwrap();
    b.object(53, "764").unwrap();
    b.object(58, "TH").unwrap();
    b.object(59, BOB_NAME).unwrap();
    b.object(60, BOB_CITY).unwrap();
    b.template(80, &[(0, "com.example.loyalty"), (1, "POINTS-X2")])
        .unwrap();
    let p = issue::sign_payload(&b.finish().unwrap(), &bob(), "m-bob-p256", None).unwrap();
    // The ScanPay templates took the next free IDs.
    assert_eq!(scanpay_template_id(&p, 3), 81);
    let s = store();
    assert!(s
        .verify(&p, NOW, &mut InMemoryReplayGuard::default())
        .is_verified());
    let t = tamper(&p, 80, Some(1), "POINTS-X9");
    assert_eq!(
        reason(&s.verify(&t, NOW, &mut InMemoryReplayGuard::default())),
        "bad-signature"
    );
}

#[test]
fn forged_code_cannot_burn_a_genuine_nonce() {
    let s = store();
    let mut g = InMemoryReplayGuard::default();
    let genuine = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 60,
        "AAECAwQFBgcICQoL",
    );
    let forged = tamper(&genuine, 54, None, "1.00");
    assert_eq!(reason(&s.verify(&forged, NOW, &mut g)), "bad-signature");
    assert!(g.is_empty());
    assert!(s.verify(&genuine, NOW, &mut g).is_verified());
    assert_eq!(
        reason(&s.verify(&genuine, NOW + 1, &mut g)),
        "replayed-nonce"
    );
}

#[test]
fn replay_memory_survives_a_restart_and_release_allows_rescan() {
    let s = store();
    let p = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 60,
        "AAECAwQFBgcICQoL",
    );
    let mut g = InMemoryReplayGuard::new(100);
    assert!(s.verify(&p, NOW, &mut g).is_verified());
    let saved = serde_json::to_vec(&g.snapshot()).unwrap();
    let restored: ReplaySnapshot = serde_json::from_slice(&saved).unwrap();
    let mut g2 = InMemoryReplayGuard::from_snapshot(restored).unwrap();
    assert_eq!(reason(&s.verify(&p, NOW + 1, &mut g2)), "replayed-nonce");
    // The flow abandoned the code before paying: it may be scanned again.
    g2.release("m-alice-ed", "AAECAwQFBgcICQoL");
    assert!(s.verify(&p, NOW + 2, &mut g2).is_verified());
}

#[test]
fn static_codes_are_reusable_and_never_touch_the_guard() {
    let s = store();
    let p = sign_static(&Shape::alice(), &alice(), "m-alice-ed");
    let mut g = InMemoryReplayGuard::default();
    for t in 0..3 {
        assert!(s.verify(&p, NOW + t, &mut g).is_verified());
    }
    assert!(g.is_empty());
}

#[test]
fn dynamic_initiation_without_nonce_warns() {
    let shape = Shape {
        dynamic: true,
        ..Shape::alice()
    };
    let p = sign_static(&shape, &alice(), "m-alice-ed");
    let j =
        serde_json::to_value(store().verify(&p, NOW, &mut InMemoryReplayGuard::default())).unwrap();
    assert_eq!(j["verdict"], "verified");
    assert_eq!(j["warnings"][0]["warning"], "dynamic-without-nonce");
}

#[test]
fn account_matching_rules() {
    let mut reg = registry_json(1);
    // Registry writes the GUID in lower case; the payload in upper case.
    reg.keys[1].accounts = vec![
        RegisteredAccount::Template {
            guid: PROMPTPAY.to_lowercase(),
            fields: BTreeMap::from([("01".into(), BOB_PHONE.into())]),
        },
        RegisteredAccount::Primitive {
            id: 4,
            value: "5111111111111118".into(),
        },
    ];
    let doc = issue::sign_registry(&reg, &[("root-1", &root())]).unwrap();
    let mut s = TrustStore::new(roots());
    s.apply_registry(&doc, NOW).unwrap();
    let mut g = InMemoryReplayGuard::default();
    let ok = sign_static(&Shape::bob(), &bob(), "m-bob-p256");
    assert!(s.verify(&ok, NOW, &mut g).is_verified());

    // An extra sub-field in a registered template makes it another account.
    let extra = Shape {
        accounts: vec![(29, PROMPTPAY, vec![(1, BOB_PHONE), (2, "1234567890123")])],
        ..Shape::bob()
    };
    let v = s.verify(&sign_static(&extra, &bob(), "m-bob-p256"), NOW, &mut g);
    assert_eq!(
        v.reason(),
        Some(&Reason::AccountNotRegistered {
            key_id: "m-bob-p256".into(),
            account_id: 29,
            guid: Some(PROMPTPAY.into())
        })
    );
    // A registered account plus an unregistered one: refused (the wallet could pay either).
    let mixed = Shape {
        accounts: vec![
            (29, PROMPTPAY, vec![(1, BOB_PHONE)]),
            (30, PROMPTPAY, vec![(1, ATTACKER_PHONE)]),
        ],
        ..Shape::bob()
    };
    assert_eq!(
        reason(&s.verify(&sign_static(&mixed, &bob(), "m-bob-p256"), NOW, &mut g)),
        "account-not-registered"
    );
}

#[test]
fn root_threshold_two_of_two() {
    let roots2 = RootKeys::new(
        vec![
            ("root-1".into(), root().public_key().clone()),
            ("root-2".into(), root2().public_key().clone()),
        ],
        2,
    )
    .unwrap();
    let one = registry_doc(1);
    let mut s = TrustStore::new(roots2.clone());
    assert_eq!(
        s.apply_registry(&one, NOW),
        Err(RegistryError::NotEnoughSignatures {
            valid: 1,
            threshold: 2
        })
    );
    // The same root twice still counts once.
    let twice = issue::sign_registry(
        &registry_json(1),
        &[("root-1", &root()), ("root-1", &root())],
    )
    .unwrap();
    assert!(matches!(
        s.apply_registry(&twice, NOW),
        Err(RegistryError::NotEnoughSignatures { valid: 1, .. })
    ));
    let both = issue::sign_registry(
        &registry_json(1),
        &[("root-1", &root()), ("root-2", &root2())],
    )
    .unwrap();
    let info = s.apply_registry(&both, NOW).unwrap();
    assert_eq!((info.version, info.key_count, info.stale), (1, 6, false));
    // roots.json round trip keeps the threshold.
    let json = serde_json::to_vec(&roots2.to_json()).unwrap();
    assert_eq!(RootKeys::from_json(&json).unwrap(), roots2);
}

#[test]
fn registry_document_limits_and_errors() {
    let mut s = TrustStore::new(roots());
    let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(
        s.apply_registry(&big, NOW),
        Err(RegistryError::TooLarge { .. })
    ));
    assert!(matches!(
        s.apply_registry(b"{not json", NOW),
        Err(RegistryError::Json(_))
    ));
    assert_eq!(
        s.apply_registry(br#"{"payload": "%%%", "signatures": []}"#, NOW),
        Err(RegistryError::PayloadEncoding)
    );
    // Signed garbage: the root vouches for bytes that are not a registry.
    let garbage = issue::sign_registry_bytes(b"[1,2,3]", &[("root-1", &root())]).unwrap();
    assert!(matches!(
        s.apply_registry(&garbage, NOW),
        Err(RegistryError::Content(_))
    ));
    // Duplicate key ids.
    let mut dup = registry_json(1);
    dup.keys.push(dup.keys[0].clone());
    let doc = issue::sign_registry(&dup, &[("root-1", &root())]).unwrap();
    assert_eq!(
        s.apply_registry(&doc, NOW),
        Err(RegistryError::DuplicateKeyId("m-alice-ed".into()))
    );
    // A wrong-length public key in an entry.
    let mut badkey = registry_json(1);
    badkey.keys[0].public_key = "AAAA".into();
    let doc = issue::sign_registry(&badkey, &[("root-1", &root())]).unwrap();
    // (A key is its own typed error, with the key's reason: trust_keys.rs.)
    assert!(matches!(
        s.apply_registry(&doc, NOW),
        Err(RegistryError::BadKey { ref key_id, error: KeyError::WrongLength { got: 3, .. } })
            if key_id == "m-alice-ed"
    ));
    // Another registry id after one is in use.
    s.apply_registry(&registry_doc(1), NOW).unwrap();
    let mut other = registry_json(5);
    other.registry_id = "someone-else".into();
    let doc = issue::sign_registry(&other, &[("root-1", &root())]).unwrap();
    assert!(matches!(
        s.apply_registry(&doc, NOW),
        Err(RegistryError::DifferentRegistry { .. })
    ));
    // A stale document is accepted, and says so.
    let info = s.apply_registry(&registry_doc(2), NOW + 40 * DAY).unwrap();
    assert!(info.stale);
}

#[test]
fn roots_file_errors() {
    assert!(matches!(
        RootKeys::from_json(br#"{"roots": []}"#),
        Err(RegistryError::BadRoots(_))
    ));
    let pk = root().public_key().to_base64url();
    let zero = format!(
        r#"{{"threshold": 0, "roots": [{{"key_id": "r", "alg": "ed25519", "public_key": "{pk}"}}]}}"#
    );
    assert!(matches!(
        RootKeys::from_json(zero.as_bytes()),
        Err(RegistryError::BadRoots(_))
    ));
    let wrong = format!(
        r#"{{"roots": [{{"key_id": "r", "alg": "ecdsa-p256-sha256", "public_key": "{pk}"}}]}}"#
    );
    assert!(matches!(
        RootKeys::from_json(wrong.as_bytes()),
        Err(RegistryError::BadRootKey {
            error: KeyError::WrongLength { got: 32, .. },
            ..
        })
    ));
    let ok = format!(r#"{{"roots": [{{"key_id": "r", "alg": "ed25519", "public_key": "{pk}"}}]}}"#);
    assert_eq!(RootKeys::from_json(ok.as_bytes()).unwrap().threshold(), 1);
}

#[test]
fn signing_side_refusals() {
    let unsigned = Shape::alice().build();
    let signed = issue::sign_payload(&unsigned, &alice(), "m-alice-ed", None).unwrap();
    assert_eq!(
        issue::sign_payload(&signed, &alice(), "m-alice-ed", None),
        Err(IssueError::AlreadySigned)
    );
    assert!(matches!(
        issue::sign_payload(&unsigned, &alice(), "bad id!", None),
        Err(IssueError::BadKeyId(_))
    ));
    let short = Some(DynamicInfo {
        expires_at: NOW,
        nonce: "short".into(),
    });
    assert_eq!(
        issue::sign_payload(&unsigned, &alice(), "m-alice-ed", short),
        Err(IssueError::BadNonce)
    );
    // Only two free unreserved IDs left.
    let mut b = scanpay_core::payload::mpm::MpmBuilder::new();
    b.object(1, "11").unwrap();
    b.template(29, &[(0, PROMPTPAY), (1, BOB_PHONE)]).unwrap();
    b.object(53, "764").unwrap();
    b.object(58, "TH").unwrap();
    for id in 80..=97 {
        b.object(id, "X").unwrap();
    }
    assert_eq!(
        issue::sign_payload(&b.finish().unwrap(), &bob(), "m-bob-p256", None),
        Err(IssueError::NoFreeTemplateIds)
    );
}

#[test]
fn generated_keys_and_nonces_work_and_secrets_stay_out_of_debug() {
    let rng = ring::rand::SystemRandom::new();
    for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256Sha256] {
        let pkcs8 = SigningKey::generate_pkcs8(alg, &rng).unwrap();
        assert_eq!(format!("{pkcs8:?}"), "Pkcs8Secret(<redacted>)");
        let key = SigningKey::from_pkcs8(alg, pkcs8.as_bytes()).unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("<redacted>") && dbg.contains(&key.public_key().to_base64url()));
        let sig = key.sign(b"hello").unwrap();
        assert_eq!(sig.len(), 64);
        key.public_key().verify(b"hello", &sig).unwrap();
        assert!(key.public_key().verify(b"hellO", &sig).is_err());
    }
    let n1 = issue::random_nonce(&rng).unwrap();
    let n2 = issue::random_nonce(&rng).unwrap();
    assert_eq!(n1.len(), 16);
    assert_ne!(n1, n2);
    assert!(signed_qr::is_valid_nonce(&n1));
}

#[test]
fn unsupported_version_guard_cannot_be_forged_into_verified() {
    // Signature-info claims an unknown sub-ID: refused as malformed, even though
    // the signature (made over it) would verify.
    let unsigned = Shape::bob().build();
    let objs = tlv::parse(&unsigned).unwrap();
    let mut body: String = objs
        .iter()
        .filter(|o| o.id != 63)
        .map(|o| &unsigned[o.span.clone()])
        .collect();
    let mut info = String::new();
    for (id, v) in [
        (0, "app.scanpay"),
        (1, "1"),
        (2, "ES"),
        (3, "m-bob-p256"),
        (6, "X"),
    ] {
        tlv::encode_into(&mut info, id, v).unwrap();
    }
    tlv::encode_into(&mut body, 80, &info).unwrap();
    let mut msg = SIGNED_BYTES_PREFIX.to_vec();
    msg.extend_from_slice(body.as_bytes());
    let (a, b) = signed_qr::encode_signature(&bob().sign(&msg).unwrap()).unwrap();
    tlv::encode_into(&mut body, 81, &a).unwrap();
    tlv::encode_into(&mut body, 82, &b).unwrap();
    let p = with_crc(body);
    assert_eq!(
        reason(&store().verify(&p, NOW, &mut InMemoryReplayGuard::default())),
        "malformed-signature"
    );
}

/// The printed form of a signed code, rebuilt from its top-level objects in
/// the order `ids` gives (63 is recomputed).
fn rebuild(payload: &str, ids: &[u8]) -> String {
    let objs = tlv::parse(payload).unwrap();
    let mut body = String::new();
    for id in ids {
        let o = objs.iter().find(|o| o.id == *id).unwrap();
        body.push_str(&payload[o.span.clone()]);
    }
    with_crc(body)
}

fn top_level_ids(payload: &str) -> Vec<u8> {
    tlv::parse(payload)
        .unwrap()
        .iter()
        .map(|o| o.id)
        .filter(|id| *id != 63)
        .collect()
}

#[test]
fn signature_value_templates_may_move_but_signed_objects_may_not() {
    let s = store();
    let p = sign_static(&Shape::alice(), &alice(), "m-alice-ed");
    let (info, first, second) = (
        scanpay_template_id(&p, 3),
        scanpay_template_id(&p, 98),
        scanpay_template_id(&p, 99),
    );
    let rest: Vec<u8> = top_level_ids(&p)
        .into_iter()
        .filter(|id| ![0, first, second].contains(id))
        .collect();
    // The halves (unsigned) in front of everything but 00, in swapped order:
    // the signed bytes are unchanged, so the verdict is the same.
    let mut ids = vec![0, second, first];
    ids.extend(&rest);
    let moved = rebuild(&p, &ids);
    assert_ne!(moved, p);
    assert_eq!(
        signed_qr::extract(&moved).unwrap().unwrap().signed_bytes,
        signed_qr::extract(&p).unwrap().unwrap().signed_bytes
    );
    let original = s.verify(&p, NOW, &mut InMemoryReplayGuard::default());
    assert!(original.is_verified());
    assert_eq!(
        s.verify(&moved, NOW, &mut InMemoryReplayGuard::default()),
        original
    );
    // The info template is signed, and so is its position: moving it in front
    // of the merchant's objects reorders the signed bytes.
    let mut ids = vec![0, info];
    ids.extend(
        top_level_ids(&p)
            .into_iter()
            .filter(|id| ![0, info].contains(id)),
    );
    assert_eq!(
        reason(&s.verify(&rebuild(&p, &ids), NOW, &mut InMemoryReplayGuard::default())),
        "bad-signature"
    );
}

#[test]
fn a_second_info_template_is_refused_even_when_identical() {
    let s = store();
    let p = sign_static(&Shape::bob(), &bob(), "m-bob-p256");
    let info = scanpay_template_id(&p, 3);
    let info_value = tlv::parse(&p)
        .unwrap()
        .iter()
        .find(|o| o.id == info)
        .unwrap()
        .value
        .to_string();
    let mut body = p[..p.len() - 8].to_string();
    // The same claims again, and claims for another key: both ambiguous.
    for extra in [
        info_value.clone(),
        info_value.replace("m-bob-p256", "m-alice-ed"),
    ] {
        let mut b = body.clone();
        tlv::encode_into(&mut b, 90, &extra).unwrap();
        let v = s.verify(&with_crc(b), NOW, &mut InMemoryReplayGuard::default());
        assert_eq!(reason(&v), "malformed-signature", "{v:?}");
    }
    // Nor may a second pair of signature halves ride along.
    let first = scanpay_template_id(&p, 99);
    let half = tlv::parse(&p)
        .unwrap()
        .iter()
        .find(|o| o.id == first)
        .unwrap()
        .value
        .to_string();
    tlv::encode_into(&mut body, 90, &half).unwrap();
    assert_eq!(
        reason(&s.verify(&with_crc(body), NOW, &mut InMemoryReplayGuard::default())),
        "malformed-signature"
    );
}

#[test]
fn scanpay_templates_count_only_at_the_top_level() {
    // A signature-info template hidden in 62 (sub-ID 50, a payment-system
    // template) is merchant data, not a signature: with the halves at the top
    // level the signature is incomplete, without them the code is unsigned.
    let mut info = String::new();
    for (id, v) in [(0, "app.scanpay"), (1, "1"), (2, "ES"), (3, "m-bob-p256")] {
        tlv::encode_into(&mut info, id, v).unwrap();
    }
    let mut b = scanpay_core::payload::mpm::MpmBuilder::new();
    b.object(1, "11").unwrap();
    b.template(29, &[(0, PROMPTPAY), (1, BOB_PHONE)]).unwrap();
    b.object(53, "764").unwrap();
    b.object(58, "TH").unwrap();
    b.object(59, BOB_NAME).unwrap();
    b.template(62, &[(50, &info)]).unwrap();
    let nested_only = b.finish().unwrap();
    let s = store();
    assert_eq!(
        reason(&s.verify(&nested_only, NOW, &mut InMemoryReplayGuard::default())),
        "no-signature"
    );
    let (h1, h2) = signed_qr::encode_signature(&[0u8; 64]).unwrap();
    b.object(81, &h1).unwrap().object(82, &h2).unwrap();
    assert_eq!(
        reason(&s.verify(
            &b.finish().unwrap(),
            NOW,
            &mut InMemoryReplayGuard::default()
        )),
        "malformed-signature"
    );
}

#[test]
fn alternate_language_name_is_signed_but_never_what_the_verdict_shows() {
    // Template 64 carries a name the registry cannot vouch for (it holds no
    // alternate-language name): the code verifies, the verdict shows the
    // registered name, and editing 64 breaks the signature.
    let mut b = scanpay_core::payload::mpm::MpmBuilder::new();
    b.object(1, "11").unwrap();
    b.template(29, &[(0, PROMPTPAY), (1, BOB_PHONE)]).unwrap();
    b.object(53, "764").unwrap();
    b.object(58, "TH").unwrap();
    b.object(59, BOB_NAME).unwrap();
    b.object(60, BOB_CITY).unwrap();
    b.template(64, &[(0, "TH"), (1, "ร้านก๋วยเตี๋ยวบางกอก")])
        .unwrap();
    let p = issue::sign_payload(&b.finish().unwrap(), &bob(), "m-bob-p256", None).unwrap();
    let s = store();
    let v = s.verify(&p, NOW, &mut InMemoryReplayGuard::default());
    let Verdict::Verified(m) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(m.registered_name, BOB_NAME);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let parsed = MerchantPayload::parse(&p).unwrap();
    assert_eq!(
        parsed.alternate_language.map(|a| a.name).as_deref(),
        Some("ร้านก๋วยเตี๋ยวบางกอก")
    );
    let t = tamper(&p, 64, Some(1), "ธนาคารกรุงเทพ");
    assert_eq!(
        reason(&s.verify(&t, NOW, &mut InMemoryReplayGuard::default())),
        "bad-signature"
    );
}

#[test]
fn a_duplicate_amount_is_malformed_not_a_choice() {
    let p = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 60,
        "AAECAwQFBgcICQoL",
    );
    // A second 54 after the signature: whichever one a UI read, refuse both.
    let mut body = p[..p.len() - 8].to_string();
    tlv::encode_into(&mut body, 54, "1.00").unwrap();
    let mut g = InMemoryReplayGuard::default();
    assert_eq!(
        reason(&store().verify(&with_crc(body), NOW, &mut g)),
        "malformed-payload"
    );
    assert!(g.is_empty());
}

#[test]
fn one_key_pinned_twice_cannot_fake_a_two_of_two_threshold() {
    let k = root().public_key().clone();
    assert!(matches!(
        RootKeys::new(vec![("root-1".into(), k.clone()), ("root-2".into(), k)], 2),
        Err(RegistryError::BadRoots(_))
    ));
    // Through roots.json too.
    let pk = root().public_key().to_base64url();
    let json = format!(
        r#"{{"threshold": 2, "roots": [
            {{"key_id": "root-1", "alg": "ed25519", "public_key": "{pk}"}},
            {{"key_id": "root-2", "alg": "ed25519", "public_key": "{pk}"}}]}}"#
    );
    assert!(matches!(
        RootKeys::from_json(json.as_bytes()),
        Err(RegistryError::BadRoots(_))
    ));
}
