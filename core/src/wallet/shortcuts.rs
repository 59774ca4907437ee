//! Biometric confirmation and PIN-free payments in the wallet (issue 12,
//! ADR 0022): what the settings screen calls. The rules and the state are
//! [`ShortcutService`](crate::payment::ShortcutService)'s; this file adds
//! the platform's network check before each call that may reach the
//! backend, and the PIN change, which lapses every shortcut.

use std::sync::Arc;

use super::Wallet;
use crate::auth::{BiometricKey, PinFreeLimits, PinPad};
use crate::money::Currency;
use crate::payment::{ShortcutError, ShortcutLapse, ShortcutStatus, ShortcutsBackend};

impl Wallet {
    /// Attaches the platform's biometric key (the app's implementation) at
    /// start, so the flow can offer biometric confirmation the payer turned
    /// on earlier. [`Wallet::enable_biometric`] attaches the key it is given.
    pub fn set_biometric_key(&self, key: Arc<dyn BiometricKey>) {
        self.shortcuts.set_biometric_key(key);
    }

    /// Attaches where shortcut settings go (for an
    /// [`HttpsBackend`](crate::net::HttpsBackend), the same object as the
    /// payment backend; [`Wallet::open_linked`] does it).
    pub fn set_shortcuts_backend(&self, backend: Arc<dyn ShortcutsBackend>) {
        self.shortcuts.set_backend(backend);
    }

    /// What is on, what may be chosen, what lapsed and why, and whether a
    /// narrowing is still to reach the backend.
    pub fn shortcut_status(&self) -> Result<ShortcutStatus, ShortcutError> {
        self.shortcuts.status()
    }

    /// Turns biometric confirmation on with the PIN (one counted attempt):
    /// `key` creates the platform key, the settings are signed with the
    /// device key and sent to the backend; on as soon as the backend
    /// accepted, never before (blocking; asks the platform for the network
    /// first).
    pub fn enable_biometric(
        &self,
        pin: &PinPad,
        key: Arc<dyn BiometricKey>,
    ) -> Result<ShortcutStatus, ShortcutError> {
        self.refresh_network();
        self.shortcuts.enable_biometric(pin, key)
    }

    /// Turns PIN-free payments on in `limits.currency` (or changes their
    /// limits) with the PIN, within the wallet's caps
    /// ([`ShortcutError::OverCap`] otherwise); on once the backend accepted
    /// (blocking; asks the platform for the network first).
    pub fn enable_pin_free(
        &self,
        pin: &PinPad,
        limits: PinFreeLimits,
    ) -> Result<ShortcutStatus, ShortcutError> {
        self.refresh_network();
        self.shortcuts.enable_pin_free(pin, limits)
    }

    /// Turns biometric confirmation off: in the wallet at once (and the
    /// platform key deleted), then told to the backend without the PIN;
    /// if the backend is not reachable the status says `push_pending` and
    /// the next [`Wallet::push_shortcuts`], registry sync or health check
    /// sends it (blocking).
    pub fn disable_biometric(&self) -> Result<ShortcutStatus, ShortcutError> {
        self.refresh_network();
        self.shortcuts.disable_biometric()
    }

    /// Turns PIN-free payments off in `currency`, like
    /// [`Wallet::disable_biometric`].
    pub fn disable_pin_free(&self, currency: Currency) -> Result<ShortcutStatus, ShortcutError> {
        self.refresh_network();
        self.shortcuts.disable_pin_free(currency)
    }

    /// Sends a pending narrowing of the shortcuts (an opt-out, a lapse, a PIN
    /// change) to the backend, signed by the request key (blocking; asks
    /// the platform for the network first). Nothing pending is a success.
    pub fn push_shortcuts(&self) -> Result<ShortcutStatus, ShortcutError> {
        self.refresh_network();
        self.shortcuts.push()
    }

    /// Changes the PIN (`old` is one counted attempt; see
    /// [`Authenticator::change_pin`](crate::auth::Authenticator::change_pin))
    /// and lapses every shortcut ([`ShortcutLapse::PinChanged`]): what the
    /// old PIN allowed, the new one must allow again. The narrowing is sent
    /// now, or left pending when the backend is not reachable (blocking).
    ///
    /// An error means the PIN did not change. Once it changed the result is
    /// `Ok`, whatever happens to the shortcuts after: a caller told "failed"
    /// would keep typing the old PIN, each time a counted wrong attempt. A
    /// lapse that could not be recorded here still happens at the
    /// shortcuts' next use (the PIN epoch no longer matches), and a push
    /// that failed stays pending.
    pub fn change_pin(&self, old: &PinPad, new: &PinPad) -> Result<ShortcutStatus, ShortcutError> {
        let now = self.engine.clock().now();
        self.authenticator.change_pin(old, new, now)?;
        // Ignored on purpose (see above): the PIN epoch lapses them anyway.
        let _ = self.shortcuts.lapse_all(ShortcutLapse::PinChanged);
        self.refresh_network();
        Ok(self
            .shortcuts
            .push_quietly()
            .unwrap_or_else(|_| self.shortcuts.status_or_off()))
    }

    /// After a successful exchange with the backend: sends a pending
    /// narrowing, if any. Its failure is not the caller's (the narrowing
    /// already applies in the wallet; it stays pending).
    pub(super) fn retry_shortcut_push(&self) {
        if self
            .shortcuts
            .status()
            .is_ok_and(|status| status.push_pending)
        {
            let _ = self.shortcuts.push_quietly();
        }
    }
}
