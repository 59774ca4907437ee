//! The wallet façade: everything opened from one data directory, in the shape
//! the bindings wrap.
//!
//! ```text
//! <data_dir>/wallet.sqlite   journal, PIN attempt state, sealed device key,
//!                            cached merchant registry, seen nonces, the pay
//!                            code (sealed secret, issued counters, events,
//!                            charges)
//! ```
//!
//! Opening a wallet opens the journal (integrity check, migrations), loads the
//! cached registry into a [`TrustStore`] (so merchants verify offline), and
//! builds the [`Authenticator`], the [`StatusMonitor`], the
//! [`PaymentEngine`] and the [`PaycodeService`]. [`Wallet::start`] then
//! resumes every unresolved payment: call it once, on a background thread,
//! at app start. The pay code needs its backend attached
//! ([`Wallet::set_paycode_backend`]) to provision and sync; an app online
//! keeps a [`Wallet::sync_paycode`] long-poll running so the payer hears of
//! each charge at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use thiserror::Error;

use crate::auth::{Authenticator, PinPad, PlatformKeyStore};
use crate::paycode::{
    ChargeOutcome, PaycodeBackend, PaycodeChargeInfo, PaycodeError, PaycodeService, PaycodeSession,
    PaycodeStatus, PendingCharge,
};
use crate::payment::{
    Backend, Clock, EngineError, FlowServices, PaymentEngine, PaymentFlow, PaymentRecord,
    ResumeReport, WalletConfig,
};
use crate::status::{StatusConfig, StatusMonitor};
use crate::store::{Store, StoreError};
use crate::trust::{RegistryError, RegistryInfo, RootKeys, TrustStore};

/// File name of the journal inside the data directory.
pub const DATABASE_FILE: &str = "wallet.sqlite";

/// What the app supplies to open a wallet.
pub struct WalletOptions {
    /// Private, app-owned directory (created if missing).
    pub data_dir: PathBuf,
    /// The acquirer root keys the wallet pins for the merchant registry.
    pub roots: RootKeys,
    /// Limits, offline policy, timings.
    pub config: WalletConfig,
    /// The platform key store (Android Keystore / Secure Enclave / software).
    pub keystore: Arc<dyn PlatformKeyStore>,
    /// The backend client.
    pub backend: Arc<dyn Backend>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

/// Why a wallet could not be opened or updated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WalletError {
    /// The data directory cannot be created.
    #[error("the data directory {path} cannot be created: {detail}")]
    DataDir {
        /// The directory.
        path: String,
        /// The OS error.
        detail: String,
    },
    /// The journal failed (damaged, newer schema, disk full…).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A registry document was refused.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A payment operation failed.
    #[error(transparent)]
    Payment(#[from] EngineError),
}

/// The wallet. Cheap to share (`Arc` inside); `Send + Sync`.
pub struct Wallet {
    store: Store,
    trust: Arc<RwLock<TrustStore>>,
    authenticator: Arc<Authenticator>,
    engine: Arc<PaymentEngine>,
    status: StatusMonitor,
    paycode: Arc<PaycodeService>,
    /// Why the cached registry was not loaded at open, if it was not.
    registry_problem: Option<RegistryError>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// Opens (or creates) the wallet in `opts.data_dir`. A cached registry that
    /// no longer applies (expired past its grace period, damaged) does not
    /// stop the wallet from opening: merchants are then unverified until a
    /// fresh registry is applied, and [`Wallet::registry_problem`] says why.
    pub fn open(opts: WalletOptions) -> Result<Wallet, WalletError> {
        std::fs::create_dir_all(&opts.data_dir).map_err(|e| WalletError::DataDir {
            path: opts.data_dir.display().to_string(),
            detail: e.to_string(),
        })?;
        let store = Store::open(&opts.data_dir.join(DATABASE_FILE))?;
        let mut trust = TrustStore::new(opts.roots);
        let registry_problem = match store.load_registry_doc()? {
            Some(doc) => trust.apply_registry(&doc, opts.clock.now()).err(),
            None => None,
        };
        let status = StatusMonitor::new(StatusConfig::default());
        let authenticator = Arc::new(Authenticator::new(store.clone(), opts.keystore));
        let trust = Arc::new(RwLock::new(trust));
        let paycode = Arc::new(PaycodeService::new(
            store.clone(),
            Arc::clone(&authenticator),
            opts.config.paycode.clone(),
            Arc::clone(&opts.clock),
            Arc::clone(&trust),
            status.clone(),
        ));
        let engine = Arc::new(PaymentEngine::new(
            store.clone(),
            opts.backend,
            opts.clock,
            opts.config,
            status.clone(),
        ));
        let wallet = Wallet {
            store,
            trust,
            authenticator,
            engine,
            status,
            paycode,
            registry_problem,
        };
        if let Ok(n) = wallet.engine.pending_count() {
            wallet
                .status
                .set_pending_payments(n, wallet.engine.clock().now_millis());
        }
        Ok(wallet)
    }

    /// Resumes every unresolved payment (blocking; see
    /// [`PaymentEngine::resume_all`]).
    pub fn start(&self) -> ResumeReport {
        self.engine.resume_all()
    }

    /// A new payment flow, in Scanning.
    pub fn new_flow(&self) -> PaymentFlow {
        PaymentFlow::new(self.services())
    }

    /// What a flow needs, for callers that build their own.
    pub fn services(&self) -> FlowServices {
        FlowServices {
            engine: Arc::clone(&self.engine),
            authenticator: Arc::clone(&self.authenticator),
            trust: Arc::clone(&self.trust),
        }
    }

    /// Applies a freshly downloaded registry document, then caches it in the
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

    /// The platform reports network availability. Status only: call
    /// [`Wallet::forward_queued`] (blocking) when it comes back.
    pub fn set_network_available(&self, available: bool) {
        self.status
            .set_network_available(available, self.engine.clock().now_millis());
    }

    /// Forwards payments queued offline, in order (blocking).
    pub fn forward_queued(&self) -> Result<Vec<PaymentRecord>, WalletError> {
        Ok(self.engine.forward_queued()?)
    }

    /// One payment by id.
    pub fn payment(&self, id: &str) -> Result<Option<PaymentRecord>, WalletError> {
        Ok(self.engine.payment(id)?)
    }

    /// The connectivity monitor (subscribe here).
    pub fn status(&self) -> &StatusMonitor {
        &self.status
    }

    /// The PIN and device key.
    pub fn authenticator(&self) -> &Arc<Authenticator> {
        &self.authenticator
    }

    /// The payment engine.
    pub fn engine(&self) -> &Arc<PaymentEngine> {
        &self.engine
    }

    /// The journal.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Attaches the pay code's backend (for an [`crate::net::HttpsBackend`],
    /// the same object as the payment backend). Without one the pay code
    /// works offline only: an unprovisioned wallet cannot provision, and
    /// nothing syncs.
    pub fn set_paycode_backend(&self, backend: Arc<dyn PaycodeBackend>) {
        self.paycode.set_backend(backend);
    }

    /// The pay code's status at `now` (wallet clock): provisioned, codes
    /// issued since the last sync against the limits, and why no code can be
    /// shown if none can.
    pub fn paycode_status(&self, now: u64) -> Result<PaycodeStatus, PaycodeError> {
        self.paycode.status(now)
    }

    /// Opens the pay code with the PIN (one counted attempt, like a
    /// payment's), provisioning it first when needed and a backend is
    /// attached (blocking). See [`crate::paycode::service`].
    pub fn open_paycode(&self, pin: &PinPad) -> Result<PaycodeSession, PaycodeError> {
        self.paycode.open(pin)
    }

    /// One pay-code sync: the charges made with this wallet's codes since the
    /// last one, journalled once each (blocking; long-polls up to
    /// `wait_secs`, at most 25). Returns the charges that changed.
    pub fn sync_paycode(&self, wait_secs: u64) -> Result<Vec<PaycodeChargeInfo>, PaycodeError> {
        self.paycode.sync(wait_secs)
    }

    /// Pay-code charges above the no-PIN amount waiting for the payer.
    pub fn pending_charges(&self) -> Result<Vec<PendingCharge>, PaycodeError> {
        self.paycode.pending_charges()
    }

    /// Confirms a pending charge with the PIN (blocking).
    pub fn confirm_charge(
        &self,
        charge_id: &str,
        pin: &PinPad,
    ) -> Result<ChargeOutcome, PaycodeError> {
        self.paycode.confirm(charge_id, pin)
    }

    /// Declines a pending charge (blocking).
    pub fn decline_charge(&self, charge_id: &str) -> Result<ChargeOutcome, PaycodeError> {
        self.paycode.decline(charge_id)
    }

    /// The pay-code charges, newest first, each with the receipt the till
    /// got. Payments made by scanning a merchant stay in the payment history
    /// ([`PaymentEngine`]); the two are kept apart because a pay-code charge
    /// has no payment id, payload or engine state.
    pub fn paycode_history(&self) -> Result<Vec<PaycodeChargeInfo>, PaycodeError> {
        self.paycode.history()
    }

    /// The pay-code service.
    pub fn paycode(&self) -> &Arc<PaycodeService> {
        &self.paycode
    }

    /// The database file of a data directory.
    pub fn database_path(data_dir: &Path) -> PathBuf {
        data_dir.join(DATABASE_FILE)
    }
}
