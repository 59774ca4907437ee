//! The wallet façade: everything opened from one data directory, in the shape
//! the bindings wrap, and the one implementation of what a wallet does with
//! its backend. The bindings, the CLI, the demo and every test harness call
//! these methods; none of them re-implements a piece (issue 15).
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
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | opening, the parts, payments, history, the pay code |
//! | `backend.rs` | the link to the backend: the offline-only stand-in ([`NoBackend`]), device registration, the health check, and how a request outside the engine feeds the status |
//! | `sync.rs` | the merchant registry: sync from the backend, apply, cache |
//! | `shortcuts.rs` | biometric confirmation and PIN-free payments: status, opt-in with the PIN, opt-out, the pending narrowing push, the PIN change that lapses them (ADR 0022) |
//! | `network.rs` | the platform's network availability ([`NetworkMonitor`]) |
//!
//! A wallet opened with [`Wallet::open_linked`] has the pinned HTTPS client
//! as its link: queries and reversals are signed with the wallet's request
//! key, the pay code talks through it, and [`Wallet::register_device`],
//! [`Wallet::sync_registry`] and [`Wallet::check_backend`] use it. A wallet
//! opened with [`Wallet::open`] has no link (those three return
//! [`WalletError::NoBackend`]); tests that drive the engine with a simulated
//! backend open it that way.

mod backend;
mod network;
mod shortcuts;
mod sync;

pub use backend::{BackendCheck, NoBackend};
pub use network::NetworkMonitor;
pub use sync::AppliedRegistry;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use thiserror::Error;

use crate::auth::{AuthError, Authenticator, PinPad, PlatformKeyStore, StoredRequestSigner};
use crate::net::{HttpsBackend, NetError};
use crate::paycode::{
    ChargeOutcome, PaycodeBackend, PaycodeChargeInfo, PaycodeError, PaycodeService, PaycodeSession,
    PaycodeStatus, PendingCharge,
};
use crate::payment::ShortcutService;
use crate::payment::{
    Backend, Clock, EngineError, FlowServices, PaymentEngine, PaymentFlow, PaymentRecord,
    ResumeReport, WalletConfig,
};
use crate::status::{StatusConfig, StatusMonitor};
use crate::store::{HistoryCursor, Store, StoreError};
use crate::trust::{RegistryError, RootKeys, TrustStore};

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
    /// The payment engine's backend: for [`Wallet::open_linked`], the same
    /// HTTPS client (or a wrapper that forwards to it); [`NoBackend`] for a
    /// wallet that never sends.
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
    /// The wallet has no link to the backend (opened offline-only): nothing
    /// was sent.
    #[error("no backend is configured")]
    NoBackend,
    /// The device is not enrolled: set a PIN first.
    #[error("the wallet is not enrolled: set a PIN first")]
    NotEnrolled,
    /// A call to the backend failed; the error says whether it was sent.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The device key could not be read.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A payment in the journal does not parse: the history cannot be shown
    /// whole, and the id lets support find the record.
    #[error("payment {payment_id}: {detail}")]
    DamagedRecord {
        /// The payment's id.
        payment_id: String,
        /// What is wrong with its record.
        detail: String,
    },
}

/// One page of payment history, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentPage {
    /// The payments on this page.
    pub payments: Vec<PaymentRecord>,
    /// Where the next page starts; `None` when this page was the last.
    pub next: Option<HistoryCursor>,
}

/// The wallet. Cheap to share (`Arc` inside); `Send + Sync`.
pub struct Wallet {
    store: Store,
    trust: Arc<RwLock<TrustStore>>,
    authenticator: Arc<Authenticator>,
    engine: Arc<PaymentEngine>,
    status: StatusMonitor,
    paycode: Arc<PaycodeService>,
    /// Biometric and PIN-free shortcuts (ADR 0022).
    shortcuts: Arc<ShortcutService>,
    /// Why the cached registry was not loaded at open, if it was not.
    registry_problem: Option<RegistryError>,
    /// The link to the backend (enrolment, registry, health), if any.
    https: Option<Arc<HttpsBackend>>,
    /// The platform's network availability, asked before each network call.
    network: RwLock<Option<Arc<dyn NetworkMonitor>>>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// Opens (or creates) the wallet in `opts.data_dir`, with no link to the
    /// backend: the engine sends through `opts.backend`, and registration,
    /// registry sync and health checks return [`WalletError::NoBackend`]. A
    /// cached registry that no longer applies (expired past its grace period,
    /// damaged) does not stop the wallet from opening: merchants are then
    /// unverified until a fresh registry is applied, and
    /// [`Wallet::registry_problem`] says why.
    pub fn open(opts: WalletOptions) -> Result<Wallet, WalletError> {
        Wallet::open_with(opts, None)
    }

    /// Opens (or creates) the wallet like [`Wallet::open`], with `https` as
    /// its link to the backend: queries and reversals are signed by the
    /// request key in this wallet's journal (wrapped by `opts.keystore`,
    /// never PIN-sealed: the engine sends them unattended), the pay code
    /// provisions, syncs and confirms through it, and it carries device
    /// registration, registry sync and health checks. `opts.backend` should
    /// be `https` itself, or a wrapper forwarding to it.
    pub fn open_linked(
        opts: WalletOptions,
        https: Arc<HttpsBackend>,
    ) -> Result<Wallet, WalletError> {
        let keystore = Arc::clone(&opts.keystore);
        let wallet = Wallet::open_with(opts, Some(Arc::clone(&https)))?;
        https.set_request_signer(Arc::new(StoredRequestSigner::new(
            wallet.store.clone(),
            keystore,
        )));
        wallet.set_paycode_backend(Arc::clone(&https) as Arc<dyn PaycodeBackend>);
        wallet.set_shortcuts_backend(https);
        Ok(wallet)
    }

    fn open_with(
        opts: WalletOptions,
        https: Option<Arc<HttpsBackend>>,
    ) -> Result<Wallet, WalletError> {
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
        // The shortcuts' own handle on the request key (the HTTPS client has
        // another over the same row): PIN-free payments and narrowing
        // documents are signed with it.
        let request_key = Arc::new(StoredRequestSigner::new(
            store.clone(),
            Arc::clone(&opts.keystore),
        ));
        let authenticator = Arc::new(Authenticator::new(store.clone(), opts.keystore));
        let shortcuts = Arc::new(ShortcutService::new(
            store.clone(),
            Arc::clone(&authenticator),
            request_key,
            opts.config.shortcuts.clone(),
            Arc::clone(&opts.clock),
        ));
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
            shortcuts,
            registry_problem,
            https,
            network: RwLock::new(None),
        };
        if let Ok(n) = wallet.engine.pending_count() {
            wallet
                .status
                .set_pending_payments(n, wallet.engine.clock().now_millis());
        }
        Ok(wallet)
    }

    /// Resumes every unresolved payment (blocking; see
    /// [`PaymentEngine::resume_all`]), after asking the platform for the
    /// network.
    pub fn start(&self) -> ResumeReport {
        self.refresh_network();
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
            shortcuts: Arc::clone(&self.shortcuts),
        }
    }

    /// Forwards payments queued offline, in order (blocking), after asking
    /// the platform for the network.
    pub fn forward_queued(&self) -> Result<Vec<PaymentRecord>, WalletError> {
        self.refresh_network();
        Ok(self.engine.forward_queued()?)
    }

    /// One payment by id.
    pub fn payment(&self, id: &str) -> Result<Option<PaymentRecord>, WalletError> {
        Ok(self.engine.payment(id)?)
    }

    /// History, newest first: at most `limit` payments (capped by the
    /// journal) created before `before` (unix seconds), or the newest when
    /// `None`. Paging with it skips payments created in the same second as
    /// the last row: page with [`Wallet::history_page`].
    pub fn history(
        &self,
        limit: u32,
        before: Option<u64>,
    ) -> Result<Vec<PaymentRecord>, WalletError> {
        decode_rows(self.store.payments(limit, before)?)
    }

    /// One page of history, newest first: the first with `after = None`,
    /// then the page's `next` until it is `None`. `limit` is clamped to
    /// 1–1000. The cursor is (creation time, journal position), so payments
    /// created in the same second are neither skipped nor repeated.
    pub fn history_page(
        &self,
        limit: u32,
        after: Option<HistoryCursor>,
    ) -> Result<PaymentPage, WalletError> {
        let page = self.store.payments_page(limit, after)?;
        Ok(PaymentPage {
            payments: decode_rows(page.rows)?,
            next: page.next,
        })
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
    /// attached (blocking; asks the platform for the network first). See
    /// [`PaycodeService`].
    pub fn open_paycode(&self, pin: &PinPad) -> Result<PaycodeSession, PaycodeError> {
        self.refresh_network();
        self.paycode.open(pin)
    }

    /// One pay-code sync: the charges made with this wallet's codes since the
    /// last one, journalled once each (blocking; asks the platform for the
    /// network first; long-polls up to `wait_secs`, at most 25). Returns the
    /// charges that changed.
    pub fn sync_paycode(&self, wait_secs: u64) -> Result<Vec<PaycodeChargeInfo>, PaycodeError> {
        self.refresh_network();
        self.paycode.sync(wait_secs)
    }

    /// Pay-code charges above the no-PIN amount waiting for the payer.
    pub fn pending_charges(&self) -> Result<Vec<PendingCharge>, PaycodeError> {
        self.paycode.pending_charges()
    }

    /// Confirms a pending charge with the PIN (blocking; asks the platform
    /// for the network first).
    pub fn confirm_charge(
        &self,
        charge_id: &str,
        pin: &PinPad,
    ) -> Result<ChargeOutcome, PaycodeError> {
        self.refresh_network();
        self.paycode.confirm(charge_id, pin)
    }

    /// Declines a pending charge (blocking; asks the platform for the network
    /// first).
    pub fn decline_charge(&self, charge_id: &str) -> Result<ChargeOutcome, PaycodeError> {
        self.refresh_network();
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

/// Journal rows to payments; a record that does not parse is an error naming
/// the payment, not a silently shorter list.
fn decode_rows(rows: Vec<crate::store::PaymentRow>) -> Result<Vec<PaymentRecord>, WalletError> {
    rows.into_iter()
        .map(|row| {
            PaymentRecord::from_json(&row.record).map_err(|e| WalletError::DamagedRecord {
                payment_id: row.id,
                detail: e.to_string(),
            })
        })
        .collect()
}
