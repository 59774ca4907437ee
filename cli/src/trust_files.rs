//! Loading pinned roots and a signed registry from files, for `inspect` and `demo`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use scanpay_core::trust::{InMemoryReplayGuard, RegistryInfo, RootKeys, TrustStore, Verdict};
use serde_json::Value;

/// Nonces a one-shot CLI run remembers. A single `inspect` sees one payload, so
/// replay protection across runs is not something the CLI can show; the demo
/// reuses one guard across its scans to show it within a run.
const CLI_REPLAY_CAPACITY: usize = 1024;

/// A trust store built from `roots.json` and a registry document.
pub struct TrustFiles {
    store: TrustStore,
    info: RegistryInfo,
}

/// `now` if given, else the system clock in unix seconds.
pub fn now_or(now: Option<u64>) -> u64 {
    now.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

impl TrustFiles {
    /// Loads the pinned roots and applies the registry document at `now`.
    pub fn load(roots: &Path, registry: &Path, now: u64) -> Result<TrustFiles, String> {
        let roots =
            RootKeys::from_json(&read(roots)?).map_err(|e| format!("{}: {e}", roots.display()))?;
        Self::from_bytes(roots, &read(registry)?, now)
            .map_err(|e| format!("{}: {e}", registry.display()))
    }

    /// Builds the store from parsed roots and registry document bytes.
    pub fn from_bytes(roots: RootKeys, registry: &[u8], now: u64) -> Result<TrustFiles, String> {
        let mut store = TrustStore::new(roots);
        let info = store
            .apply_registry(registry, now)
            .map_err(|e| format!("registry refused ({}): {e}", e.code()))?;
        Ok(TrustFiles { store, info })
    }

    /// The registry in use.
    pub fn info(&self) -> &RegistryInfo {
        &self.info
    }

    /// Verifies one payload with a fresh replay guard.
    pub fn verdict(&self, payload: &str, now: u64) -> Verdict {
        let mut replay = InMemoryReplayGuard::new(CLI_REPLAY_CAPACITY);
        self.store.verify(payload, now, &mut replay)
    }

    /// The verdict as JSON (`{"verdict": "verified", …}` / `{"verdict": "unverified", "reason": …}`).
    pub fn verdict_json(&self, payload: &str, now: u64) -> Value {
        serde_json::to_value(self.verdict(payload, now))
            .unwrap_or_else(|e| serde_json::json!({"verdict": "error", "detail": e.to_string()}))
    }
}
