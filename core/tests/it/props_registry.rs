//! Properties of the merchant key registry document and roots file (the
//! fuzz target `registry_apply` explores the same surface with libFuzzer):
//! no panic on any bytes, no edit of a signed document ever applies, and the
//! version a store holds never goes back whatever order documents arrive in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use scanpay_core::trust::registry::RootKeys;
use scanpay_core::trust::TrustStore;

const NOW: u64 = 1_780_000_000;

fn vector(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/trust")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn roots() -> RootKeys {
    RootKeys::from_json(&vector("roots.json")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_never_panic_and_never_apply(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = RootKeys::from_json(&bytes);
        let mut store = TrustStore::new(roots());
        prop_assert!(store.apply_registry(&bytes, NOW).is_err());
    }

    #[test]
    fn json_shaped_documents_never_apply(
        payload in "[A-Za-z0-9_-]{0,200}",
        key_id in "(root-1|root-2|[a-z0-9-]{1,10})",
        alg in "(ed25519|ecdsa-p256-sha256|[a-z0-9-]{1,12})",
        sig in "[A-Za-z0-9_-]{0,100}",
        extra in proptest::option::of("[a-z]{1,8}"),
    ) {
        let mut doc = format!(r#"{{"payload":"{payload}","signatures":[{{"key_id":"{key_id}","alg":"{alg}","sig":"{sig}"}}]"#);
        if let Some(x) = extra {
            doc.push_str(&format!(r#","{x}":1"#));
        }
        doc.push('}');
        let mut store = TrustStore::new(roots());
        prop_assert!(store.apply_registry(doc.as_bytes(), NOW).is_err());
    }

    #[test]
    fn any_single_byte_edit_of_a_signed_document_is_refused(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut doc = vector("registry.json");
        let i = pos.index(doc.len());
        prop_assume!(doc[i] != byte);
        // JSON whitespace outside strings does not change what was signed.
        prop_assume!(!(doc[i].is_ascii_whitespace() && byte.is_ascii_whitespace()));
        doc[i] = byte;
        let mut store = TrustStore::new(roots());
        let r = store.apply_registry(&doc, NOW);
        prop_assert!(r.is_err(), "edit at {i} to {byte:#04x} applied: {r:?}");
    }

    #[test]
    fn the_version_never_goes_back(order in proptest::collection::vec(0usize..4, 1..12)) {
        let docs = [
            vector("registry-v1.json"),
            vector("registry.json"),
            vector("registry-v2-conflict.json"),
            vector("registry-v3-forged.json"),
        ];
        let mut store = TrustStore::new(roots());
        let mut highest = 0u64;
        for i in order {
            let before = store.registry_info(NOW).map(|x| x.version);
            match store.apply_registry(&docs[i], NOW) {
                Ok(info) => {
                    prop_assert!(info.version >= highest, "went back to {} from {highest}", info.version);
                    highest = info.version;
                }
                Err(_) => prop_assert_eq!(store.registry_info(NOW).map(|x| x.version), before),
            }
        }
    }
}
