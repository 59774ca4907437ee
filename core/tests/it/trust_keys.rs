//! Public-key validation at load (issue 14, item 2; ADR 0011): small-order,
//! mixed-order and non-canonical Ed25519 keys and invalid P-256 points are
//! refused wherever a key is loaded — a `PublicKey`, a pinned root, a registry
//! entry — with a typed error. Also the registry's encoding rules that the
//! signed-QR docs state (padded base64url, `issued_at` ahead of the clock,
//! what `payload_sha256` hashes) and the compatibility-character name check.
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::trust_support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;
use scanpay_core::trust::issue;
use scanpay_core::trust::keys::{Algorithm, KeyError, PublicKey};
use scanpay_core::trust::registry::{RegistryDocument, RegistryError, RootKeys};
use scanpay_core::trust::{InMemoryReplayGuard, Reason, TrustStore, Verdict};

/// The Ed25519 identity point's canonical encoding (y = 1, x = 0).
const IDENTITY: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The field prime p = 2^255 - 19, little-endian.
fn p_le() -> [u8; 32] {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
}

/// Little-endian addition of two 255-bit numbers (no carry out: callers keep
/// the sum below 2^255).
fn add_le(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = (s & 0xff) as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// Every encoding of a small-order point ("Taming the many EdDSAs", Brendel et
/// al. 2020, table of the 8 torsion points and their non-canonical forms),
/// derived from curve25519-dalek's torsion constants rather than typed in:
/// each point's canonical encoding, the same with the sign bit flipped, and,
/// where y + p < 2^255 (y < 19), y + p with either sign bit.
fn small_order_encodings() -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    for t in EIGHT_TORSION {
        let canonical = t.compress().to_bytes();
        let mut flipped = canonical;
        flipped[31] ^= 0x80;
        out.push(canonical);
        out.push(flipped);
        let mut y = canonical;
        y[31] &= 0x7f;
        if y[1..].iter().all(|b| *b == 0) && y[0] < 19 {
            let mut big = add_le(&y, &p_le());
            out.push(big);
            big[31] |= 0x80;
            out.push(big);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn every_small_order_encoding_is_refused() {
    let encodings = small_order_encodings();
    // 8 points; 4 have x = 0 or y < 19 (identity, order 2, the two order-4
    // points): canonical and sign-flipped for all 8 (the flip of an order-8
    // point is its negation, another torsion point), plus y + p forms.
    assert!(encodings.len() >= 14, "{}", encodings.len());
    for e in &encodings {
        let got = PublicKey::new(Algorithm::Ed25519, e);
        assert!(
            matches!(
                got,
                Err(KeyError::WeakKey | KeyError::NonCanonical | KeyError::NotOnCurve(_))
            ),
            "{}: {got:?}",
            b64(e)
        );
    }
    // The canonical ones are refused as weak, not merely as badly encoded.
    for t in EIGHT_TORSION {
        assert_eq!(
            PublicKey::new(Algorithm::Ed25519, t.compress().as_bytes()),
            Err(KeyError::WeakKey)
        );
    }
    // All-zero bytes (y = 0: order 4) and the identity, named in the issue.
    assert_eq!(
        PublicKey::new(Algorithm::Ed25519, &[0u8; 32]),
        Err(KeyError::WeakKey)
    );
    assert_eq!(
        PublicKey::new(Algorithm::Ed25519, &IDENTITY),
        Err(KeyError::WeakKey)
    );
}

#[test]
fn a_small_order_key_really_verifies_a_forgery_without_the_check() {
    // Why the check exists: under the identity key, R = identity and S = 0
    // satisfy [S]B = R + [k]A for every message, and `ring` (cofactorless,
    // like RFC 8032) accepts it. Only the load-time check stops it.
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&IDENTITY);
    for msg in [&b"pay the attacker"[..], b"anything at all"] {
        assert!(
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, IDENTITY)
                .verify(msg, &sig)
                .is_ok()
        );
    }
    assert_eq!(
        PublicKey::new(Algorithm::Ed25519, &IDENTITY),
        Err(KeyError::WeakKey)
    );
}

#[test]
fn mixed_order_and_non_canonical_keys_are_refused() {
    let good = alice().public_key().as_bytes().to_vec();
    let point = CompressedEdwardsY::from_slice(&good)
        .unwrap()
        .decompress()
        .unwrap();
    // A good key plus a torsion component: signatures made for the good key
    // may or may not verify depending on the verifier (the cofactor
    // ambiguity), so such a key is never trusted.
    for t in &EIGHT_TORSION[1..] {
        let mixed = (point + t).compress();
        assert_eq!(
            PublicKey::new(Algorithm::Ed25519, mixed.as_bytes()),
            Err(KeyError::WeakKey),
            "{}",
            b64(mixed.as_bytes())
        );
    }
    // The good key itself loads.
    assert!(PublicKey::new(Algorithm::Ed25519, &good).is_ok());
    // y >= p: the identity written as y = p + 1.
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(
        PublicKey::new(Algorithm::Ed25519, &add_le(&one, &p_le())),
        Err(KeyError::NonCanonical)
    );
    // A y with no x on the curve (about half of all y are): the first such
    // small y, found through curve25519-dalek, is refused as not a point.
    let not_on_curve = (2u8..=255)
        .map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            b
        })
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .unwrap();
    assert_eq!(
        PublicKey::new(Algorithm::Ed25519, &not_on_curve),
        Err(KeyError::NotOnCurve(Algorithm::Ed25519))
    );
}

/// Bob's P-256 key (04 || x || y), a valid point.
fn bob_point() -> Vec<u8> {
    bob().public_key().as_bytes().to_vec()
}

#[test]
fn invalid_p256_points_are_refused() {
    let good = bob_point();
    assert!(PublicKey::new(Algorithm::EcdsaP256Sha256, &good).is_ok());
    let not_on_curve = Err(KeyError::NotOnCurve(Algorithm::EcdsaP256Sha256));
    // Off the curve: y + 1.
    let mut off = good.clone();
    off[64] ^= 1;
    assert_eq!(
        PublicKey::new(Algorithm::EcdsaP256Sha256, &off),
        not_on_curve
    );
    // x = p and y = p (coordinates must be below p). p is
    // ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff ffffffff.
    let p: [u8; 32] = {
        let mut p = [0u8; 32];
        p[..4].copy_from_slice(&[0xff; 4]);
        p[7] = 1;
        p[20..].copy_from_slice(&[0xff; 12]);
        p
    };
    let mut x_big = good.clone();
    x_big[1..33].copy_from_slice(&p);
    assert_eq!(
        PublicKey::new(Algorithm::EcdsaP256Sha256, &x_big),
        not_on_curve
    );
    let mut y_big = good.clone();
    y_big[33..].copy_from_slice(&p);
    assert_eq!(
        PublicKey::new(Algorithm::EcdsaP256Sha256, &y_big),
        not_on_curve
    );
    // All-zero coordinates (the usual stand-in for infinity: not on the curve).
    let mut zero = vec![0u8; 65];
    zero[0] = 4;
    assert_eq!(
        PublicKey::new(Algorithm::EcdsaP256Sha256, &zero),
        not_on_curve
    );
    // Wrong prefix: compressed-form markers and the hybrid form.
    for prefix in [0u8, 2, 3, 6, 7] {
        let mut k = good.clone();
        k[0] = prefix;
        assert_eq!(
            PublicKey::new(Algorithm::EcdsaP256Sha256, &k),
            Err(KeyError::NotUncompressed),
            "prefix {prefix}"
        );
    }
    // A compressed key (33 bytes) is a length error.
    assert!(matches!(
        PublicKey::new(Algorithm::EcdsaP256Sha256, &good[..33]),
        Err(KeyError::WrongLength { got: 33, .. })
    ));
}

fn apply(doc: &[u8]) -> Result<(), RegistryError> {
    TrustStore::new(roots())
        .apply_registry(doc, NOW)
        .map(|_| ())
}

#[test]
fn a_registry_entry_with_a_weak_key_refuses_the_whole_document() {
    for (alg, key, want) in [
        (Algorithm::Ed25519, b64(&IDENTITY), KeyError::WeakKey),
        (Algorithm::Ed25519, b64(&[0u8; 32]), KeyError::WeakKey),
        (
            Algorithm::EcdsaP256Sha256,
            b64(&{
                let mut z = [0u8; 65];
                z[0] = 4;
                z
            }),
            KeyError::NotOnCurve(Algorithm::EcdsaP256Sha256),
        ),
        (
            Algorithm::Ed25519,
            format!("{}=", b64(alice().public_key().as_bytes())),
            KeyError::Padded,
        ),
    ] {
        let err = apply(&registry_with_key(alg, &key)).unwrap_err();
        assert_eq!(
            err,
            RegistryError::BadKey {
                key_id: "m-weak".into(),
                error: want
            }
        );
        assert_eq!(err.code(), "bad-key");
    }
    // Control: the same document with a good key applies.
    assert!(apply(&registry_with_key(
        Algorithm::Ed25519,
        &b64(alice().public_key().as_bytes())
    ))
    .is_ok());
}

#[test]
fn a_code_signed_for_a_small_order_key_never_verifies() {
    // The forged code: R = identity, S = 0 under key id m-weak. The registry
    // that would vouch for m-weak is refused, so the store falls back to the
    // registry it has, where m-weak does not exist.
    let mut store = TrustStore::new(roots());
    store.apply_registry(&registry_doc(2), NOW).unwrap();
    assert!(store
        .apply_registry(&registry_with_key(Algorithm::Ed25519, &b64(&IDENTITY)), NOW)
        .is_err());
    let forged = forged_identity_code();
    let v = store.verify(&forged, NOW, &mut InMemoryReplayGuard::default());
    assert_eq!(
        v.reason(),
        Some(&Reason::UnknownKey {
            key_id: "m-weak".into()
        })
    );
}

#[test]
fn a_root_with_a_weak_key_is_refused_at_load() {
    for (alg, key, want) in [
        (Algorithm::Ed25519, b64(&IDENTITY), KeyError::WeakKey),
        (Algorithm::Ed25519, b64(&[0u8; 32]), KeyError::WeakKey),
        (
            Algorithm::EcdsaP256Sha256,
            b64(&{
                let mut k = bob_point();
                k[64] ^= 1;
                k
            }),
            KeyError::NotOnCurve(Algorithm::EcdsaP256Sha256),
        ),
        (
            Algorithm::Ed25519,
            format!("{}=", b64(root().public_key().as_bytes())),
            KeyError::Padded,
        ),
    ] {
        let json = serde_json::json!({"roots": [
            {"key_id": "root-1", "alg": alg, "public_key": key}
        ]});
        let err = RootKeys::from_json(json.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            err,
            RegistryError::BadRootKey {
                key_id: "root-1".into(),
                error: want
            }
        );
        assert_eq!(err.code(), "bad-root-key");
    }
    // Roots may be P-256: a valid P-256 root loads and verifies registries.
    let p256_roots = RootKeys::new(vec![("root-2".into(), root2().public_key().clone())], 1);
    let doc = issue::sign_registry(&registry_json(2), &[("root-2", &root2())]).unwrap();
    let mut s = TrustStore::new(p256_roots.unwrap());
    assert!(s.apply_registry(&doc, NOW).is_ok());
}

#[test]
fn a_padded_root_signature_is_a_typed_error() {
    let doc = registry_doc(2);
    let mut d: RegistryDocument = serde_json::from_slice(&doc).unwrap();
    d.signatures[0].sig.push_str("==");
    let err = apply(&serde_json::to_vec(&d).unwrap()).unwrap_err();
    assert_eq!(
        err,
        RegistryError::SignatureEncoding {
            key_id: "root-1".into(),
            padded: true
        }
    );
    assert_eq!(err.code(), "signature-encoding");
    // A signature claimed by a root this build does not pin is still ignored
    // (it proves nothing to us), whatever its encoding.
    let mut d: RegistryDocument = serde_json::from_slice(&doc).unwrap();
    let mut other = d.signatures[0].clone();
    other.key_id = "root-elsewhere".into();
    other.sig = "not base64==".into();
    d.signatures.push(other);
    assert!(apply(&serde_json::to_vec(&d).unwrap()).is_ok());
}

#[test]
fn a_registry_issued_in_the_future_is_accepted() {
    // Decision (docs/signed-qr.md): `issued_at` is informational. Versions
    // order registries and `expires_at` bounds staleness; a phone whose clock
    // is behind must still take the newest revocations.
    let mut r = registry_json(2);
    r.issued_at = NOW + 365 * DAY;
    let doc = issue::sign_registry(&r, &[("root-1", &root())]).unwrap();
    let info = TrustStore::new(roots()).apply_registry(&doc, NOW).unwrap();
    assert_eq!(info.issued_at, NOW + 365 * DAY);
    assert!(!info.stale);
}

#[test]
fn payload_sha256_hashes_the_payload_without_the_signed_prefix() {
    let doc = registry_doc(2);
    let d: RegistryDocument = serde_json::from_slice(&doc).unwrap();
    let payload = URL_SAFE_NO_PAD.decode(&d.payload).unwrap();
    let want: String = ring::digest::digest(&ring::digest::SHA256, &payload)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let info = TrustStore::new(roots()).apply_registry(&doc, NOW).unwrap();
    assert_eq!(info.payload_sha256, want);
}

fn verify_name(printed: &str) -> Verdict {
    let mut shape = Shape::bob();
    shape.name = printed;
    let mut s = TrustStore::new(roots());
    s.apply_registry(&registry_doc(2), NOW).unwrap();
    s.verify(
        &sign_static(&shape, &bob(), "m-bob-p256"),
        NOW,
        &mut InMemoryReplayGuard::default(),
    )
}

#[test]
fn compatibility_characters_that_fold_to_the_registered_name_are_flagged() {
    // U+212A KELVIN SIGN lower-cases to ASCII "k": before the fix this name
    // compared equal to "BANGKOK NOODLE HOUSE" and verified.
    let kelvin = "BANG\u{212A}O\u{212A} NOODLE HOUSE";
    assert_eq!(
        verify_name(kelvin).reason(),
        Some(&Reason::ConfusableName {
            printed: kelvin.into(),
            registered: BOB_NAME.into()
        })
    );
    // Full-width letters: refused too (they do not fold to ASCII by case).
    let fullwidth = "ＢＡＮＧＫＯＫ NOODLE HOUSE";
    let v = verify_name(fullwidth);
    assert!(
        matches!(
            v.reason(),
            Some(Reason::ConfusableName { .. } | Reason::MixedScriptName { .. })
        ),
        "{v:?}"
    );
    // Control: plain case and spacing differences still verify.
    assert!(verify_name("Bangkok  Noodle House").is_verified());
}

/// Alice's code claiming key id m-weak, with the signature R = identity,
/// S = 0 (what verifies under the identity key).
fn forged_identity_code() -> String {
    let signed = sign_static(&Shape::alice(), &alice(), "m-weak");
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&IDENTITY);
    let text = b64(&sig);
    let (a, b) = text.split_at(43);
    let first = tamper(&signed, scanpay_template_id(&signed, 98), Some(98), a);
    tamper(&first, scanpay_template_id(&first, 99), Some(99), b)
}
