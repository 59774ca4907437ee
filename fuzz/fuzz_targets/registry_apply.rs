//! The merchant key registry document and roots file: `RootKeys::from_json`
//! and `TrustStore::apply_registry` on any bytes. No panic; and a document
//! that applies must have been signed (the forged or garbled ones never do).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanpay_core::trust::registry::RootKeys;
use scanpay_core::trust::TrustStore;

const NOW: u64 = 1_780_000_000;

fuzz_target!(|data: &[u8]| {
    let _ = RootKeys::from_json(data);
    let Ok(roots) = RootKeys::from_json(include_bytes!("../../tests/vectors/trust/roots.json"))
    else {
        return;
    };
    let mut store = TrustStore::new(roots);
    if store.apply_registry(data, NOW).is_ok() {
        // Only a document signed by the pinned root applies; the committed
        // vectors (v1, v2, and the conflicting v2) are the only such documents.
        let genuine: [&[u8]; 3] = [
            include_bytes!("../../tests/vectors/trust/registry.json"),
            include_bytes!("../../tests/vectors/trust/registry-v1.json"),
            include_bytes!("../../tests/vectors/trust/registry-v2-conflict.json"),
        ];
        assert!(
            genuine.iter().any(|g| {
                // Same signed payload: the document may differ in JSON
                // whitespace or signature order, not in what was signed.
                serde_json::from_slice::<serde_json::Value>(g)
                    .ok()
                    .map(|v| v["payload"].clone())
                    == serde_json::from_slice::<serde_json::Value>(data)
                        .ok()
                        .map(|v| v["payload"].clone())
            }),
            "an unsigned registry document was accepted"
        );
    }
    // And after a genuine document, any bytes as the next one.
    let _ = store.apply_registry(
        include_bytes!("../../tests/vectors/trust/registry.json"),
        NOW,
    );
    let _ = store.apply_registry(data, NOW);
});
