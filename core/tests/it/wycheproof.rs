//! Wycheproof vectors through ScanPay's own verification wrapper
//! (`trust::keys::PublicKey::verify`), not through `ring` directly.
//!
//! ScanPay accepts only fixed-length (P1363) ECDSA signatures, never DER, so
//! the P-256 suite is `ecdsa_secp256r1_sha256_p1363`. Policy for "acceptable"
//! results: none occur in these two sets today; should one appear, it may pass
//! or fail, and is counted separately (see `docs/signed-qr.md`).
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use scanpay_core::trust::keys::{Algorithm, PublicKey};
use wycheproof::TestResult;

#[derive(Debug, Default)]
struct Tally {
    valid_ok: usize,
    invalid_err: usize,
    acceptable: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn record(
        &mut self,
        id: usize,
        result: TestResult,
        key: Result<PublicKey, String>,
        msg: &[u8],
        sig: &[u8],
    ) {
        let ok = match key {
            Ok(k) => k.verify(msg, sig).is_ok(),
            Err(_) => false,
        };
        match (result, ok) {
            (TestResult::Valid, true) => self.valid_ok += 1,
            (TestResult::Invalid, false) => self.invalid_err += 1,
            (TestResult::Acceptable, _) => self.acceptable += 1,
            (r, got) => self
                .mismatches
                .push(format!("tcId {id}: expected {r:?}, verify ok = {got}")),
        }
    }
}

#[test]
fn ed25519_vectors_through_wrapper() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let mut t = Tally::default();
    for g in &set.test_groups {
        for tc in &g.tests {
            let key = PublicKey::new(Algorithm::Ed25519, &g.key.pk).map_err(|e| e.to_string());
            t.record(tc.tc_id, tc.result, key, &tc.msg, &tc.sig);
        }
    }
    println!("ed25519: {t:?} of {}", set.number_of_tests);
    assert!(t.mismatches.is_empty(), "{:#?}", t.mismatches);
    assert_eq!(
        t.valid_ok + t.invalid_err + t.acceptable,
        set.number_of_tests
    );
    assert!(t.valid_ok > 0 && t.invalid_err > 0);
}

#[test]
fn ecdsa_p256_p1363_vectors_through_wrapper() {
    let set =
        wycheproof::ecdsa::TestSet::load(wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363)
            .unwrap();
    let mut t = Tally::default();
    for g in &set.test_groups {
        assert_eq!(g.key.curve, wycheproof::EllipticCurve::Secp256r1);
        for tc in &g.tests {
            let key =
                PublicKey::new(Algorithm::EcdsaP256Sha256, &g.key.key).map_err(|e| e.to_string());
            t.record(tc.tc_id, tc.result, key, &tc.msg, &tc.sig);
        }
    }
    println!("ecdsa p-256 p1363: {t:?} of {}", set.number_of_tests);
    assert!(t.mismatches.is_empty(), "{:#?}", t.mismatches);
    assert_eq!(
        t.valid_ok + t.invalid_err + t.acceptable,
        set.number_of_tests
    );
    assert!(t.valid_ok > 0 && t.invalid_err > 0);
}

/// DER-encoded signatures are not a ScanPay format: every valid DER signature
/// from the DER suite must be *refused* by the wrapper (it only takes r || s).
#[test]
fn der_signatures_are_never_accepted() {
    let set = wycheproof::ecdsa::TestSet::load(wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256)
        .unwrap();
    let mut checked = 0;
    for g in &set.test_groups {
        let Ok(key) = PublicKey::new(Algorithm::EcdsaP256Sha256, &g.key.key) else {
            continue;
        };
        for tc in g.tests.iter().filter(|tc| tc.result == TestResult::Valid) {
            assert!(
                key.verify(&tc.msg, &tc.sig).is_err(),
                "tcId {} DER accepted",
                tc.tc_id
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

/// Wycheproof's P-256 ECDH public keys (`ecdh_secp256r1_ecpoint`, raw points)
/// through `PublicKey::new`: every valid uncompressed point loads; every
/// invalid one (the invalid-curve-attack points, the wrong-curve and broken
/// encodings) is refused at load; compressed points ("acceptable" in
/// Wycheproof) are refused because ScanPay keys are uncompressed only.
#[test]
fn p256_public_keys_from_the_ecdh_suite_are_validated_at_load() {
    let set =
        wycheproof::ecdh::TestSet::load(wycheproof::ecdh::TestName::EcdhSecp256r1Ecpoint).unwrap();
    let (mut loaded, mut refused) = (0, 0);
    let mut mismatches = Vec::new();
    for g in &set.test_groups {
        for tc in &g.tests {
            let key = PublicKey::new(Algorithm::EcdsaP256Sha256, &tc.public_key);
            let want_ok = tc.result == TestResult::Valid && tc.public_key.len() == 65;
            match (want_ok, key.is_ok()) {
                (true, true) => loaded += 1,
                (false, false) => refused += 1,
                (w, got) => mismatches.push(format!(
                    "tcId {}: expected load = {w}, got {got} ({:?})",
                    tc.tc_id, tc.result
                )),
            }
        }
    }
    println!("ecdh p-256 public keys: {loaded} loaded, {refused} refused");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // 16 invalid-curve-attack points among the refused.
    assert!(loaded > 300 && refused >= 16, "{loaded} {refused}");
}
