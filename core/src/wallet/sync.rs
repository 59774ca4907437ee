//! The merchant registry in the wallet: a sync from the backend, a document
//! applied another way (bundled, pushed), and the cache in the journal.
//!
//! A sync is a backend request like a payment's, so its outcome feeds the
//! connectivity status the same way: a pin failure during a registry sync is
//! often the first sign of an interception proxy, and the UI must show it
//! before the payer scans anything.

use std::sync::PoisonError;
use std::time::Instant;

use super::backend::outcome_of;
use super::{Wallet, WalletError};
use crate::trust::{RegistryError, RegistryInfo};

/// A registry document a sync downloaded and applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRegistry {
    /// What the wallet now verifies merchants against.
    pub info: RegistryInfo,
    /// The document's exact bytes, as verified and cached.
    pub document: Vec<u8>,
}

impl Wallet {
    /// Downloads the merchant registry if the backend has a newer one than
    /// the wallet's, verifies and applies it, and caches it (blocking; asks
    /// the platform for the network first). Returns the document applied, or
    /// `None` when the wallet was current. The request's outcome goes to the
    /// status monitor like a payment request's (a pin failure makes it
    /// Degraded(TlsFailure)); subscribers are told on this thread. A
    /// pending shortcut narrowing is sent after the backend answered.
    pub fn sync_registry(&self) -> Result<Option<AppliedRegistry>, WalletError> {
        self.refresh_network();
        let https = self.https()?;
        let have = self.registry_info().map(|i| i.version);
        let started = Instant::now();
        let fetched = https.fetch_registry(have);
        self.status
            .record_request(outcome_of(&fetched, started), self.now_ms());
        let fetched = fetched?;
        // The backend answered: a shortcut narrowing left pending while it
        // was unreachable goes now.
        self.retry_shortcut_push();
        match fetched {
            Some(document) => {
                let info = self.apply_registry(&document)?;
                Ok(Some(AppliedRegistry { info, document }))
            }
            None => Ok(None),
        }
    }

    /// Applies a registry document obtained another way (bundled, pushed, or
    /// downloaded by [`Wallet::sync_registry`]), then caches it in the
    /// journal (only a document that verified and applied is cached).
    pub fn apply_registry(&self, doc: &[u8]) -> Result<RegistryInfo, WalletError> {
        let now = self.engine.clock().now();
        let info = self
            .trust
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .apply_registry(doc, now)?;
        self.store.save_registry_doc(doc)?;
        Ok(info)
    }

    /// The loaded registry, if any.
    pub fn registry_info(&self) -> Option<RegistryInfo> {
        let now = self.engine.clock().now();
        self.trust
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .registry_info(now)
    }

    /// Why the cached registry was not loaded at open, if it was not.
    pub fn registry_problem(&self) -> Option<&RegistryError> {
        self.registry_problem.as_ref()
    }
}
