//! The wallet: everything opened from one data directory.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use scanpay_core::money::Currency;
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::payment::{
    Backend, Clock, CurrencyLimits as CoreLimits, OfflinePolicy, PaymentFlow as CoreFlow,
    PaymentRecord, ShortcutError, SystemClock, Timings as CoreTimings, WalletConfig as CoreConfig,
};
use scanpay_core::status::{StatusMonitor, SubscriptionId};
use scanpay_core::store::HistoryCursor as CoreCursor;
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{NoBackend, Wallet as CoreWallet, WalletOptions};

use crate::errors::{PinError, WalletError};
use crate::flow::PaymentFlow;
use crate::pinpad::PinPad;
use crate::platform::{
    KeyStoreAdapter, Log, LogLevel, LogSink, NetworkAdapter, NetworkMonitor, PlatformKeyStore,
    StatusAdapter, StatusListener,
};
use crate::types::{
    AuthStatus, HistoryCursor, HistoryPage, Money, Payment, RegistryInfo, StatusSnapshot,
};
use crate::worker::run_blocking;
use crate::LiveToken;

/// Spending limits in one currency, in its minor units.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CurrencyLimits {
    /// ISO 4217 code ("THB").
    pub currency: String,
    /// Largest single payment.
    pub per_payment: u64,
    /// Largest sum in any rolling 24 hours.
    pub daily: u64,
    /// Largest single payment authorised offline.
    pub offline_per_payment: u64,
    /// Largest sum queued offline.
    pub offline_total: u64,
}

/// Query and reversal timings (defaults: query every 5 s for 45 s, then
/// reverse up to 6 times with 2 s doubling backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Timings {
    /// Seconds between queries of an unclear payment.
    pub query_interval_secs: u64,
    /// How long to query before reversing.
    pub query_window_secs: u64,
    /// Reversal attempts before NeedsAttention.
    pub reverse_tries: u32,
    /// First reversal backoff, doubling.
    pub reverse_backoff_secs: u64,
}

/// Where the backend is and how to trust it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackendConfig {
    /// `https://host[:port][/prefix]`.
    pub base_url: String,
    /// The CA certificate(s) to trust, PEM.
    pub ca_pem: String,
    /// SPKI SHA-256 pins (standard base64): current key first, then backups.
    pub spki_pins: Vec<String>,
    /// Refuse a configuration without pins (set it in release builds).
    pub require_pins: bool,
    /// Bound on connect and handshake, milliseconds (0: default 10 s).
    pub connect_timeout_ms: u64,
    /// Bound on a whole response, milliseconds (0: default 15 s).
    pub read_timeout_ms: u64,
}

/// What the app supplies to open a wallet.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletConfig {
    /// Private, app-owned directory (created if missing).
    pub data_dir: String,
    /// The acquirer's pinned registry roots (`roots.json` text).
    pub roots_json: String,
    /// The backend; `None` opens an offline-only wallet (payments fail as not sent).
    pub backend: Option<BackendConfig>,
    /// Limits per currency; a currency without limits cannot be paid in.
    pub limits: Vec<CurrencyLimits>,
    /// Allow payments authorised offline (queued, within the offline limits).
    pub allow_offline_payments: bool,
    /// Allow paying merchants that did not verify (after the UI shows why).
    pub allow_unverified_merchants: bool,
    /// Query / reversal timings; `None` for the defaults.
    pub timings: Option<Timings>,
}

/// The device as registered with the backend.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceRegistration {
    /// The backend's device id.
    pub device_id: String,
    /// The account the device pays from.
    pub account_id: String,
    /// Its balance.
    pub balance: Money,
}

/// What `start` found and resolved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResumeSummary {
    /// Every unresolved payment found, as it stands now.
    pub payments: Vec<Payment>,
    /// Payments that could not be read or driven, as messages.
    pub failures: Vec<String>,
}

/// What the wallet and its flows share.
pub(crate) struct Shared {
    pub(crate) wallet: CoreWallet,
    pub(crate) log: Log,
}

impl Shared {
    /// Asks the platform for network availability and tells the status
    /// (the core's rule; flows call it before their network steps).
    pub(crate) fn refresh_network(&self) {
        self.wallet.refresh_network();
    }

    pub(crate) fn now(&self) -> u64 {
        self.wallet.engine().clock().now()
    }
}

fn core_config(c: &WalletConfig) -> Result<CoreConfig, WalletError> {
    let mut limits = Vec::with_capacity(c.limits.len());
    for l in &c.limits {
        let currency = Currency::from_code(&l.currency).ok_or_else(WalletError::invalid_config)?;
        limits.push(CoreLimits {
            currency,
            per_payment: l.per_payment,
            daily: l.daily,
            offline_per_payment: l.offline_per_payment,
            offline_total: l.offline_total,
        });
    }
    Ok(CoreConfig {
        limits,
        offline: OfflinePolicy {
            allowed: c.allow_offline_payments,
        },
        allow_unverified: c.allow_unverified_merchants,
        // The pay code's own limits: the core's defaults until the bindings
        // expose them.
        paycode: Default::default(),
        // The shortcuts' offers and PIN-free caps: the core's defaults
        // (docs/payments.md), until the bindings expose them.
        shortcuts: Default::default(),
        timings: c
            .timings
            .map_or_else(CoreTimings::default, |t| CoreTimings {
                query_interval_secs: t.query_interval_secs,
                query_window_secs: t.query_window_secs,
                reverse_tries: t.reverse_tries,
                reverse_backoff_secs: t.reverse_backoff_secs,
            }),
    })
}

fn https_backend(b: &BackendConfig) -> Result<HttpsBackend, WalletError> {
    let mut cfg = ClientConfig::new(
        b.base_url.clone(),
        TlsConfig {
            root_certificates: b.ca_pem.as_bytes().to_vec(),
            pins: b.spki_pins.clone(),
            require_pins: b.require_pins,
        },
    );
    if b.connect_timeout_ms > 0 {
        cfg.connect_timeout = Duration::from_millis(b.connect_timeout_ms);
    }
    if b.read_timeout_ms > 0 {
        cfg.read_timeout = Duration::from_millis(b.read_timeout_ms);
    }
    Ok(HttpsBackend::new(cfg)?)
}

fn payments(records: Vec<PaymentRecord>) -> Vec<Payment> {
    records.into_iter().map(Payment::from).collect()
}

/// A subscription to connectivity changes; closing it (or `cancel`) stops
/// delivery.
#[derive(uniffi::Object)]
pub struct StatusSubscription {
    monitor: StatusMonitor,
    id: Mutex<Option<SubscriptionId>>,
    _live: LiveToken,
}

impl std::fmt::Debug for StatusSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusSubscription")
    }
}

#[uniffi::export]
impl StatusSubscription {
    /// Stops delivery; true if it was still active.
    pub fn cancel(&self) -> bool {
        let id = self
            .id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        id.is_some_and(|id| self.monitor.unsubscribe(id))
    }
}

impl Drop for StatusSubscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The wallet. Thread-safe; share one per data directory.
#[derive(uniffi::Object)]
pub struct Wallet {
    pub(crate) shared: Arc<Shared>,
    _live: LiveToken,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").finish_non_exhaustive()
    }
}

/// Wipes `pads` (again) once a PIN call is over: the digits were moved out at
/// its start, so this only removes digits pressed while it ran, keeping the
/// promise that a pad is empty after the call.
fn clear_after<T>(pads: &[&PinPad], r: T) -> T {
    for p in pads {
        p.clear();
    }
    r
}

#[uniffi::export]
impl Wallet {
    /// Opens (or creates) the wallet in `config.data_dir`: the journal, the
    /// cached registry, the PIN state. Quick (local files only), but do not
    /// call it on the UI thread. `key_store` wraps the device key; `network`
    /// (optional) is asked for availability; `logger` (optional) receives log lines.
    #[uniffi::constructor]
    pub fn open(
        config: WalletConfig,
        key_store: Arc<dyn PlatformKeyStore>,
        network: Option<Arc<dyn NetworkMonitor>>,
        logger: Option<Arc<dyn LogSink>>,
    ) -> Result<Wallet, WalletError> {
        Wallet::open_with(config, key_store, network, logger, Arc::new(SystemClock))
    }
}

// Test-only: in a library built with the `testing` feature (the host builds
// of the binding suites), never in a phone's (ADR 0025). Its own export block
// so the cfg removes the constructor and its FFI symbols whole.
#[cfg(feature = "testing")]
#[uniffi::export]
impl Wallet {
    /// `open` with a wallet clock that runs ahead of the system clock by what
    /// `clock` was advanced: **tests and QA only**, to reach the rules that
    /// count days (a merchant first paid 24 hours ago, the PIN-free daily
    /// window) together with `scanpay sandbox`'s own clock advance. An app
    /// never calls it.
    #[uniffi::constructor]
    pub fn open_with_test_clock(
        config: WalletConfig,
        key_store: Arc<dyn PlatformKeyStore>,
        network: Option<Arc<dyn NetworkMonitor>>,
        logger: Option<Arc<dyn LogSink>>,
        clock: Arc<TestClock>,
    ) -> Result<Wallet, WalletError> {
        Wallet::open_with(config, key_store, network, logger, clock)
    }
}

/// A wallet clock for tests and QA: the system clock plus an offset that
/// only grows ([`TestClock::advance`]); waits really sleep. Given to
/// `Wallet::open_with_test_clock`. The core's
/// [`OffsetClock`](scanpay_core::payment::OffsetClock), which the CLI demo
/// and the system tests use too. Built with the `testing` feature only.
#[cfg(feature = "testing")]
#[derive(uniffi::Object, Debug, Default)]
pub struct TestClock {
    clock: scanpay_core::payment::OffsetClock,
    /// Set by [`TestClock::freeze`]: the reading every call returns.
    frozen_millis: std::sync::Mutex<Option<u64>>,
}

#[cfg(feature = "testing")]
#[uniffi::export]
impl TestClock {
    /// The system time, no offset yet.
    #[uniffi::constructor]
    pub fn new() -> TestClock {
        TestClock::default()
    }

    /// Moves the clock forward by `secs`; returns the new time (unix seconds).
    pub fn advance(&self, secs: u64) -> u64 {
        self.clock.advance(secs);
        if let Some(frozen) = self.frozen().as_mut() {
            *frozen = frozen.saturating_add(secs.saturating_mul(1000));
        }
        Clock::now(self)
    }

    /// Stops the clock at its current reading (waits still really sleep):
    /// for a test that needs several events in one second, however slow
    /// the machine. Returns the frozen time (unix seconds).
    pub fn freeze(&self) -> u64 {
        let now = self.clock.now_millis();
        *self.frozen() = Some(now);
        now / 1000
    }
}

#[cfg(feature = "testing")]
impl TestClock {
    fn frozen(&self) -> std::sync::MutexGuard<'_, Option<u64>> {
        self.frozen_millis
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(feature = "testing")]
impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.now_millis() / 1000
    }
    fn sleep(&self, secs: u64) {
        self.clock.sleep(secs);
    }
    fn now_millis(&self) -> u64 {
        let frozen = *self.frozen();
        frozen.unwrap_or_else(|| self.clock.now_millis())
    }
}

impl Wallet {
    fn open_with(
        config: WalletConfig,
        key_store: Arc<dyn PlatformKeyStore>,
        network: Option<Arc<dyn NetworkMonitor>>,
        logger: Option<Arc<dyn LogSink>>,
        clock: Arc<dyn Clock>,
    ) -> Result<Wallet, WalletError> {
        let log = Log(logger);
        let roots = RootKeys::from_json(config.roots_json.as_bytes()).map_err(|e| {
            // The payer's text says nothing of it; the app's log does.
            log.line(LogLevel::Error, || {
                format!("open: invalid registry roots: {e}")
            });
            WalletError::invalid_roots()
        })?;
        let core_cfg = core_config(&config)?;
        let https = config
            .backend
            .as_ref()
            .map(https_backend)
            .transpose()?
            .map(Arc::new);
        let backend: Arc<dyn Backend> = match &https {
            Some(h) => Arc::clone(h) as Arc<dyn Backend>,
            None => Arc::new(NoBackend),
        };
        let opts = WalletOptions {
            data_dir: PathBuf::from(&config.data_dir),
            roots,
            config: core_cfg,
            keystore: Arc::new(KeyStoreAdapter(key_store)),
            backend,
            clock,
        };
        let wallet = match https {
            Some(h) => CoreWallet::open_linked(opts, h)?,
            None => CoreWallet::open(opts)?,
        };
        if let Some(p) = wallet.registry_problem() {
            let p = p.to_string();
            log.line(LogLevel::Warn, || {
                format!("cached registry not loaded: {p}")
            });
        }
        if let Some(n) = network {
            // Asked now, and before every call that may use the network.
            wallet.set_network_monitor(Arc::new(NetworkAdapter(n)));
        }
        let shared = Arc::new(Shared { wallet, log });
        shared
            .log
            .line(LogLevel::Info, || "wallet opened".to_string());
        Ok(Wallet {
            shared,
            _live: LiveToken::new(),
        })
    }
}

#[uniffi::export]
impl Wallet {
    /// Resumes every unresolved payment (after a crash or restart), on a
    /// `scanpay-worker` thread. Call once at app start.
    pub async fn start(&self) -> Result<ResumeSummary, WalletError> {
        let shared = Arc::clone(&self.shared);
        let report = run_blocking(move || shared.wallet.start()).await?;
        Ok(ResumeSummary {
            payments: payments(report.payments),
            failures: report
                .failures
                .into_iter()
                .map(|(id, e)| format!("{id}: {e}"))
                .collect(),
        })
    }

    /// A new payment flow, in Scanning.
    pub fn new_flow(&self) -> PaymentFlow {
        PaymentFlow::wrap(self.shared.wallet.new_flow(), Arc::clone(&self.shared))
    }

    /// A flow showing a journalled payment (after a restart, or from history).
    pub fn flow_for_payment(&self, payment_id: String) -> Result<PaymentFlow, WalletError> {
        let rec = self
            .shared
            .wallet
            .payment(&payment_id)?
            .ok_or_else(WalletError::payment_not_found)?;
        Ok(PaymentFlow::wrap(
            CoreFlow::for_payment(self.shared.wallet.services(), &rec),
            Arc::clone(&self.shared),
        ))
    }

    /// Whether a device key exists and is not disabled. Reads only the
    /// journal: a key the platform key store can no longer open still counts
    /// until `verify_pin` (or the last PIN digit of a payment) reports
    /// [`PinError::DeviceKeyUnusable`] and the app calls `reset_device_key`.
    pub fn is_enrolled(&self) -> Result<bool, PinError> {
        Ok(self.shared.wallet.authenticator().is_enrolled()?)
    }

    /// What the PIN screen shows: attempts left, waits, disabled.
    pub fn auth_status(&self) -> Result<AuthStatus, PinError> {
        Ok(self
            .shared
            .wallet
            .authenticator()
            .status(self.shared.now())?)
    }

    /// Creates the device key sealed under the PIN in `pin` (policy-checked)
    /// and returns its Ed25519 public key. Runs the key derivation on a
    /// `scanpay-worker` thread. The pad is wiped afterwards, whatever happens.
    pub async fn enrol(&self, pin: Arc<PinPad>) -> Result<Vec<u8>, PinError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            // Digits moved out first: the pad is not locked during the
            // derivation, so a press from the UI thread does not block.
            let digits = pin.take();
            let r = shared.wallet.authenticator().enrol(&digits, shared.now());
            clear_after(&[&pin], r)
        })
        .await?
        .map_err(PinError::from)
    }

    /// Checks the PIN (counts against the attempt limits). The pad is wiped.
    /// [`PinError::DeviceKeyUnusable`] means no PIN can succeed on this device
    /// any more: offer `reset_device_key`.
    pub async fn verify_pin(&self, pin: Arc<PinPad>) -> Result<(), PinError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let digits = pin.take();
            let r = shared
                .wallet
                .authenticator()
                .verify_pin(&digits, shared.now());
            clear_after(&[&pin], r)
        })
        .await?
        .map_err(PinError::from)
    }

    /// Changes the PIN (the old one counts against the limits; the new one is
    /// policy-checked). Both pads are wiped. Every shortcut lapses
    /// (`ShortcutLapse::PinChanged`: what the old PIN allowed, the new one must
    /// allow again), and the backend is told when reachable. The same pad for both is
    /// [`PinError::SamePinPad`] (nothing attempted or counted; the pad is
    /// wiped).
    pub async fn change_pin(&self, old: Arc<PinPad>, new: Arc<PinPad>) -> Result<(), PinError> {
        if Arc::ptr_eq(&old, &new) {
            // One pad cannot hold two PINs; refused before any work rather
            // than evaluating an empty "new" PIN.
            old.clear();
            return Err(PinError::SamePinPad);
        }
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            // Each pad is locked only for the moment its digits move out,
            // never both at once and never during the derivation.
            let old_digits = old.take();
            let new_digits = new.take();
            // The wallet's change, not the authenticator's: it lapses the
            // shortcuts the old PIN turned on.
            let r = shared
                .wallet
                .change_pin(&old_digits, &new_digits)
                .map(drop)
                .map_err(|e| match e {
                    ShortcutError::Auth(a) => PinError::from(a),
                    other => PinError::Internal {
                        reason: other.to_string(),
                    },
                });
            clear_after(&[&old, &new], r)
        })
        .await?
    }

    /// Deletes the device key and the PIN attempt state (failures, waits, the
    /// disable) so that `enrol` works again; the journal, the history and
    /// unresolved payments are kept. Quick (one local write, no key store
    /// call).
    ///
    /// For a key that can no longer be opened on this device
    /// ([`PinError::DeviceKeyUnusable`] / `FlowError::DeviceKeyUnusable`:
    /// app data restored onto a new phone, Keystore / Keychain wiped, stored
    /// key damaged), after the user confirms; never for a wrong PIN. Afterwards
    /// `auth_status().enrolled` is false: enrol a new PIN, then **register the
    /// device with the backend again** (`register_device` with an enrolment code),
    /// since the backend only accepts payments signed by a registered
    /// key.
    pub fn reset_device_key(&self) -> Result<(), PinError> {
        self.shared.wallet.authenticator().reset_device_key()?;
        self.shared.log.line(LogLevel::Warn, || {
            "device key reset; enrol again".to_string()
        });
        Ok(())
    }

    /// The device's Ed25519 public key, when enrolled.
    pub fn device_public_key(&self) -> Result<Option<Vec<u8>>, PinError> {
        Ok(self.shared.wallet.authenticator().device_public_key()?)
    }

    /// Registers the enrolled device's public key with the backend, with the
    /// enrolment code the user received, together with the wallet's request
    /// key (created now if the wallet has none; it signs the payment queries
    /// and reversals the wallet sends without the PIN, and is kept across
    /// `reset_device_key`). A wallet registered by an app version from before
    /// request keys cannot query or reverse (its payments wait unresolved and
    /// `WalletError::RequestKey` says why): calling this again with the same
    /// code registers the key.
    pub async fn register_device(
        &self,
        enrolment_code: String,
    ) -> Result<DeviceRegistration, WalletError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let r = shared.wallet.register_device(&enrolment_code)?;
            Ok(DeviceRegistration {
                device_id: r.device_id,
                account_id: r.account_id,
                balance: r.balance.into(),
            })
        })
        .await?
    }

    /// Downloads the merchant registry if the backend has a newer one,
    /// verifies and applies it, and caches it. Returns the registry in use.
    /// The request's outcome feeds the connectivity status like a payment
    /// request's (a pin failure makes it Degraded(TlsFailure)); subscribers
    /// are told on the `scanpay-worker` thread.
    pub async fn sync_registry(&self) -> Result<Option<RegistryInfo>, WalletError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            if let Some(applied) = shared.wallet.sync_registry()? {
                let v = applied.info.version;
                shared
                    .log
                    .line(LogLevel::Info, || format!("registry v{v} applied"));
            }
            Ok(shared.wallet.registry_info())
        })
        .await?
    }

    /// Applies a registry document obtained another way (bundled, pushed).
    pub fn apply_registry(&self, document: Vec<u8>) -> Result<RegistryInfo, WalletError> {
        Ok(self.shared.wallet.apply_registry(&document)?)
    }

    /// The registry in use, if any.
    pub fn registry_info(&self) -> Option<RegistryInfo> {
        self.shared.wallet.registry_info()
    }

    /// Why the cached registry was not loaded at open, if it was not.
    pub fn registry_problem(&self) -> Option<String> {
        self.shared.wallet.registry_problem().map(|e| e.to_string())
    }

    /// The platform reports network availability (call it from the
    /// platform's network callback). Status subscribers are told on this
    /// thread. Queued payments are not sent: call `forward_queued`.
    pub fn set_network_available(&self, available: bool) {
        self.shared.wallet.set_network_available(available);
    }

    /// Probes the backend's health on a `scanpay-worker` thread and feeds the
    /// outcome to the status (subscribers are told on that thread). Returns
    /// the status after the probe; a failed probe is a status, not an error.
    pub async fn check_backend(&self) -> Result<StatusSnapshot, WalletError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let check = shared.wallet.check_backend()?;
            if let Some(e) = &check.problem {
                shared
                    .log
                    .line(LogLevel::Warn, || format!("health probe failed: {e}"));
            }
            Ok(check.status)
        })
        .await?
    }

    /// Forwards payments queued offline, in order, on a `scanpay-worker` thread.
    pub async fn forward_queued(&self) -> Result<Vec<Payment>, WalletError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || Ok(payments(shared.wallet.forward_queued()?))).await?
    }

    /// One payment by id.
    pub fn payment(&self, payment_id: String) -> Result<Option<Payment>, WalletError> {
        Ok(self.shared.wallet.payment(&payment_id)?.map(Payment::from))
    }

    /// History, newest first: at most `limit` payments (capped by the core)
    /// created before `before` (unix seconds), or the newest when `None`.
    ///
    /// Do not page with it: passing the last row's `created_at` as `before`
    /// skips every other payment created in that same second. Use
    /// `history_page`, whose cursor cannot skip or repeat a payment.
    pub fn history(&self, limit: u32, before: Option<u64>) -> Result<Vec<Payment>, WalletError> {
        Ok(payments(self.shared.wallet.history(limit, before)?))
    }

    /// One page of history, newest first, for infinite scroll: the first page
    /// with `cursor = None`, then pass the page's `next` back until it is
    /// `None` (this page was the last). `limit` is clamped to 1–1000. The
    /// cursor is (creation time, journal position), so payments created in
    /// the same second are neither skipped nor repeated. Payments created
    /// after the first page are not in later pages (refresh from `None`).
    pub fn history_page(
        &self,
        limit: u32,
        cursor: Option<HistoryCursor>,
    ) -> Result<HistoryPage, WalletError> {
        let after = cursor.map(|c| CoreCursor::new(c.created_at, c.seq));
        let page = self.shared.wallet.history_page(limit, after)?;
        Ok(HistoryPage {
            payments: payments(page.payments),
            next: page.next.map(HistoryCursor::from),
        })
    }

    /// The current connectivity status.
    pub fn status(&self) -> StatusSnapshot {
        self.shared.wallet.status().current()
    }

    /// Subscribes to connectivity changes. `listener` is called once per
    /// change, in order, on the thread that caused it (see [`StatusListener`]).
    /// Keep the subscription; close or cancel it to stop.
    pub fn subscribe_status(&self, listener: Arc<dyn StatusListener>) -> StatusSubscription {
        let monitor = self.shared.wallet.status().clone();
        let id = monitor.subscribe(Arc::new(StatusAdapter(listener)));
        StatusSubscription {
            monitor,
            id: Mutex::new(Some(id)),
            _live: LiveToken::new(),
        }
    }
}
