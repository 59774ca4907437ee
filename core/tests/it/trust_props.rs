//! Property tests: the verifier never panics, and no edit to the signed part
//! of a code (CRC recomputed, so the edit is well-formed) is ever verified.
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::trust_support::*;
use proptest::prelude::*;
use scanpay_core::payload::tlv;
use scanpay_core::trust::{signed_qr, InMemoryReplayGuard, TrustStore};

fn store() -> TrustStore {
    let mut s = TrustStore::new(roots());
    s.apply_registry(&registry_doc(2), NOW).unwrap();
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn extract_never_panics(s in "\\PC{0,400}") {
        let _ = signed_qr::extract(&s);
    }

    #[test]
    fn extract_never_panics_on_template_soup(body in "(8[0-9]|9[0-9])[0-9]{2}(0011app\\.scanpay)?[0-9A-Za-z_-]{0,90}", tail in "[0-9A-Z]{0,12}") {
        let _ = signed_qr::extract(&format!("000201{body}{tail}"));
        let _ = signed_qr::extract(&with_crc(format!("000201{body}")));
    }

    #[test]
    fn verify_never_panics(s in "\\PC{0,600}") {
        let st = store();
        let _ = st.verify(&s, NOW, &mut InMemoryReplayGuard::default());
    }

    #[test]
    fn any_edit_of_signed_bytes_is_refused(pos in 0usize..400, c in "[ -~]", dynamic in any::<bool>()) {
        let p = if dynamic {
            sign_dynamic(&Shape::alice_dynamic(), &alice(), "m-alice-ed", NOW + 60, "AAECAwQFBgcICQoL")
        } else {
            sign_static(&Shape::bob(), &bob(), "m-bob-p256")
        };
        // Control: the unedited code verifies, so a refusal below is the edit's doing.
        prop_assert!(store().verify(&p, NOW, &mut InMemoryReplayGuard::default()).is_verified());
        // The issuer appends the signature-value templates after every signed object.
        let sig_start = tlv::parse(&p).unwrap().iter().find(|o| o.id == scanpay_template_id(&p, 98)).unwrap().span.start;
        let pos = pos % sig_start;
        let replacement = c.chars().next().unwrap();
        let original = p[pos..].chars().next().unwrap();
        prop_assume!(replacement != original);
        let mut edited = p[..sig_start].to_string();
        edited.replace_range(pos..pos + original.len_utf8(), &replacement.to_string());
        edited.push_str(&p[sig_start..p.len() - 8]);
        let edited = with_crc(edited);
        let v = store().verify(&edited, NOW, &mut InMemoryReplayGuard::default());
        prop_assert!(!v.is_verified(), "edit at {} to {:?} verified: {}", pos, replacement, edited);
    }
}

proptest! {
    /// The replay guard stays within its capacity, never accepts a pair it
    /// still remembers, and forgets only what expired or was evicted.
    #[test]
    fn replay_guard_invariants(ops in proptest::collection::vec((0u8..6, 0u8..12, 1u64..50), 1..200)) {
        use scanpay_core::trust::replay::ReplayGuard;
        let mut g = InMemoryReplayGuard::new(5);
        let mut now = 0u64;
        for (key, nonce, ttl) in ops {
            now += 1;
            let (k, n) = (format!("k{key}"), format!("n{nonce}"));
            let was_seen = g.seen(&k, &n);
            // Remembered and still live: this call must be a replay.
            let live = g
                .snapshot()
                .entries
                .iter()
                .any(|e| e.key_id == k && e.nonce == n && e.expires_at > now);
            let evictions_before = g.evictions();
            let r = g.check_and_record(&k, &n, now + ttl, now);
            prop_assert!(g.len() <= 5);
            prop_assert!(g.seen(&k, &n));
            prop_assert_eq!(r.is_err(), live);
            if r.is_err() {
                // Refused only if remembered (and not yet expired).
                prop_assert!(was_seen);
                prop_assert_eq!(g.evictions(), evictions_before);
            }
        }
        let restored = InMemoryReplayGuard::from_snapshot(g.snapshot()).unwrap();
        prop_assert_eq!(restored.snapshot(), g.snapshot());
    }
}
