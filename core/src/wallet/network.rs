//! The platform's network availability (Android `ConnectivityManager`, iOS
//! `NWPathMonitor`, a desktop's "always"), pushed by the app or asked by the
//! wallet.
//!
//! The wallet asks its [`NetworkMonitor`] right before each call that may use
//! the network (start, forwarding, registration, registry sync, health check,
//! the pay code's provisioning, sync and confirmations), so the status is
//! Offline before a request is even tried when the phone has no network.
//! Payment flows are driven by their own caller, which asks through
//! [`Wallet::refresh_network`].

use std::sync::{Arc, PoisonError};

use super::Wallet;

/// Whether the platform has a usable network. Called on the thread making
/// the wallet call (usually a worker thread, never the wallet's own).
pub trait NetworkMonitor: Send + Sync {
    /// True when a network is available.
    fn is_network_available(&self) -> bool;
}

impl Wallet {
    /// Sets the monitor the wallet asks before each network call, and asks it
    /// now. Replaces any earlier one.
    pub fn set_network_monitor(&self, monitor: Arc<dyn NetworkMonitor>) {
        *self.network.write().unwrap_or_else(PoisonError::into_inner) = Some(monitor);
        self.refresh_network();
    }

    /// Asks the network monitor (if one is set) for availability and tells
    /// the status. Without a monitor the status keeps what was last pushed
    /// with [`Wallet::set_network_available`].
    pub fn refresh_network(&self) {
        // Cloned out so the monitor (app code) is not called under the lock.
        let monitor = self
            .network
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(m) = monitor {
            self.set_network_available(m.is_network_available());
        }
    }

    /// The platform reports network availability (from its network
    /// callback). Status only; subscribers are told on this thread. Queued
    /// payments are not sent: call [`Wallet::forward_queued`] (blocking) when
    /// it comes back.
    pub fn set_network_available(&self, available: bool) {
        self.status.set_network_available(available, self.now_ms());
    }
}
