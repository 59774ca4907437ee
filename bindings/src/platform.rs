//! Platform capabilities the app implements (foreign interfaces), and the
//! adapters that plug them into the core's traits.
//!
//! Which thread calls what is documented on each trait and in
//! `docs/bindings.md`. A foreign implementation that throws where no error is
//! declared (a bug in the app) is caught here: the call is treated as failed
//! or ignored, never as a crash of the core.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

// The core's trait and error keep their names; the bindings export their own
// `PlatformKeyStore` / `PlatformKeyStoreError` to the apps, so the core's are
// aliased here.
use scanpay_core::auth::{
    KeyStoreError as CoreKeyStoreError, PlatformKeyStore as CorePlatformKeyStore,
    SoftwareKeyStore as CoreSoftwareKeyStore,
};
use scanpay_core::status::{StatusListener as CoreStatusListener, StatusSnapshot as CoreSnapshot};
use scanpay_core::wallet::NetworkMonitor as CoreNetworkMonitor;

use crate::errors::PlatformKeyStoreError;
use crate::flow::FlowState;
use crate::types::StatusSnapshot;

/// The key store that wraps the PIN-sealed device key: Android Keystore
/// (StrongBox when present) or the iOS Secure Enclave / Keychain. The blob it
/// receives is already encrypted under the PIN; the platform adds a key that
/// never leaves its hardware.
///
/// Named `PlatformKeyStore` rather than `KeyStore` so that the generated
/// Kotlin does not clash with `java.security.KeyStore`, which the Android
/// Keystore implementation of this trait must import.
///
/// Implementations must authenticate (an altered wrapping is
/// [`PlatformKeyStoreError::Rejected`], never garbage) and bind `alias`. Called on the
/// thread that calls enrol / verify / change PIN (a `scanpay-worker` thread)
/// or the thread that enters a payment's last PIN digit.
#[uniffi::export(rust, foreign)]
pub trait PlatformKeyStore: Send + Sync {
    /// Encrypts `plaintext` under the key for `alias`, creating it if needed.
    fn wrap(&self, alias: String, plaintext: Vec<u8>) -> Result<Vec<u8>, PlatformKeyStoreError>;
    /// Decrypts what `wrap` returned for `alias`.
    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, PlatformKeyStoreError>;
}

/// The core's software key store (AES-256-GCM under an in-memory key), for
/// desktops and tests. It protects nothing against someone who can read the
/// process memory: phones use the platform's key store.
struct SoftwareKeyStore(CoreSoftwareKeyStore);

impl PlatformKeyStore for SoftwareKeyStore {
    fn wrap(&self, alias: String, plaintext: Vec<u8>) -> Result<Vec<u8>, PlatformKeyStoreError> {
        Ok(self.0.wrap(&alias, &plaintext)?)
    }
    fn unwrap(&self, alias: String, wrapped: Vec<u8>) -> Result<Vec<u8>, PlatformKeyStoreError> {
        Ok(CorePlatformKeyStore::unwrap(&self.0, &alias, &wrapped)?)
    }
}

/// A software key store with a fresh random key (desktop and tests only).
#[uniffi::export]
pub fn software_key_store() -> Result<Arc<dyn PlatformKeyStore>, PlatformKeyStoreError> {
    Ok(Arc::new(
        SoftwareKeyStore(CoreSoftwareKeyStore::generate()?),
    ))
}

/// Plugs a [`PlatformKeyStore`] into the core.
pub(crate) struct KeyStoreAdapter(pub(crate) Arc<dyn PlatformKeyStore>);

fn guarded<T>(
    f: impl FnOnce() -> Result<T, PlatformKeyStoreError>,
) -> Result<T, CoreKeyStoreError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(CoreKeyStoreError::from),
        Err(_) => Err(CoreKeyStoreError::Failed(
            "the platform key store failed unexpectedly".into(),
        )),
    }
}

impl CorePlatformKeyStore for KeyStoreAdapter {
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, CoreKeyStoreError> {
        guarded(|| self.0.wrap(alias.to_string(), plaintext.to_vec()))
    }
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, CoreKeyStoreError> {
        guarded(|| self.0.unwrap(alias.to_string(), wrapped.to_vec()))
    }
}

/// Whether the platform has a usable network (Android `ConnectivityManager`,
/// iOS `NWPathMonitor`). Asked when the wallet opens and before each network
/// call, on the calling thread (usually a `scanpay-worker` thread). Changes
/// are pushed with `Wallet::set_network_available`.
#[uniffi::export(foreign)]
pub trait NetworkMonitor: Send + Sync {
    /// True when a network is available.
    fn is_network_available(&self) -> bool;
}

/// Plugs a [`NetworkMonitor`] into the core's wallet.
pub(crate) struct NetworkAdapter(pub(crate) Arc<dyn NetworkMonitor>);

impl CoreNetworkMonitor for NetworkAdapter {
    fn is_network_available(&self) -> bool {
        // A throwing monitor is treated as "available": the backend calls
        // then find out for themselves.
        catch_unwind(AssertUnwindSafe(|| self.0.is_network_available())).unwrap_or(true)
    }
}

/// Log severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Diagnostics.
    Debug,
    /// Normal events (wallet opened, payment resolved).
    Info,
    /// Something went wrong but was handled.
    Warn,
    /// An operation failed.
    Error,
}

/// Where the bindings' log lines go (Logcat, `os_log`, Python `logging`).
/// Lines never contain PIN digits, keys or payloads. Called on whichever
/// thread logs (the caller's or a `scanpay-worker` thread); keep it quick.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    /// One log line.
    fn log(&self, level: LogLevel, message: String);
}

/// Receives connectivity changes (see `Wallet::subscribe_status`).
///
/// Called once per change, in order, on any thread — usually the one whose
/// call caused the change: the caller of `set_network_available`, the
/// `scanpay-worker` of a payment, probe, sync or forward, or the caller of
/// `PaymentFlow::press_pin_digit` (a digit refreshes the network flag; the
/// last one may queue a payment and change the pending count) or of
/// `PaymentFlow::handle` (cancelling a queued payment). While one thread is delivering, changes made on other
/// threads are handed to it, so a change may arrive on another thread than
/// the one that made it, after that call returned. Hop to the UI thread
/// yourself, and return quickly.
#[uniffi::export(foreign)]
pub trait StatusListener: Send + Sync {
    /// The new status.
    fn on_status(&self, status: StatusSnapshot);
}

/// Plugs a [`StatusListener`] into the core's status monitor.
pub(crate) struct StatusAdapter(pub(crate) Arc<dyn StatusListener>);

impl CoreStatusListener for StatusAdapter {
    fn on_status(&self, status: CoreSnapshot) {
        // A listener that throws must not break delivery to the others.
        let _ = catch_unwind(AssertUnwindSafe(|| self.0.on_status(status)));
    }
}

/// Receives the intermediate states of `PaymentFlow::process` (Processing
/// with its stage: sending, confirming, reversing), on the `scanpay-worker`
/// thread running the payment.
#[uniffi::export(foreign)]
pub trait FlowListener: Send + Sync {
    /// The flow moved to `state`.
    fn on_state(&self, state: FlowState);
}

/// Logs through an optional [`LogSink`], swallowing a throwing logger.
#[derive(Clone, Default)]
pub(crate) struct Log(pub(crate) Option<Arc<dyn LogSink>>);

impl Log {
    pub(crate) fn line(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if let Some(l) = &self.0 {
            let m = message();
            let _ = catch_unwind(AssertUnwindSafe(|| l.log(level, m)));
        }
    }
}
