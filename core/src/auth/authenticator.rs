//! Enrolment, PIN verification and change, payment authorisation.
//!
//! Every attempt follows the same order, so that no way of interrupting it
//! gains an attacker a free guess:
//!
//! 1. An incomplete PIN is refused before anything else (not an attempt).
//! 2. Load the attempt record, observe the clock ([`super::limits`]).
//! 3. Disabled → [`AuthError::Disabled`]; inside a wait →
//!    [`AuthError::LockedOut`]. Neither evaluates nor counts the PIN.
//! 4. Load, platform-unwrap and parse the sealed key. A failure here is not
//!    the PIN's fault and counts nothing.
//! 5. **Save the record as if this attempt failed** (count, wait, disable),
//!    durably, before deriving anything.
//! 6. Derive the PIN key and decrypt. Success saves the reset record; failure
//!    leaves the pessimistic record in place (deleting the sealed key when it
//!    reached the disable threshold).
//!
//! A kill between 5 and 6 therefore counts as a failure; a record left
//! disabled with the sealed key still present (killed during the 10th
//! attempt) is completed — the key deleted — at the next call.
//!
//! Calls on one `Authenticator` are serialised by an internal lock, so two
//! threads cannot both read the same count and each spend one attempt for it.
//!
//! A key that no PIN can open any more (platform key gone, blob damaged) is
//! not the PIN's fault and counts nothing, so it never reaches the disable
//! that would delete it: [`Authenticator::reset_device_key`] is the explicit
//! way out, followed by enrolment and registration with the backend.

use std::sync::{Arc, Mutex, MutexGuard};

use ring::rand::SystemRandom;

use super::authorisation::{PaymentAuthorisation, SignedAuthorisation};
use super::device::DeviceKey;
use super::kdf::DEFAULT_ITERATIONS;
use super::keystore::{PlatformKeyStore, DEVICE_KEY_ALIAS};
use super::limits::{attempts_left, Attempts};
use super::pinpad::PinPad;
use super::policy::check_new_pin;
use super::sealed::{SealedError, SealedKey};
use super::AuthError;
use crate::store::{AuthRecord, Store};

/// What the UI shows about the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthStatus {
    /// A device key exists and is not disabled. From the store only: whether
    /// the platform key store can still open it shows when it is used (see
    /// [`Authenticator::is_enrolled`]).
    pub enrolled: bool,
    /// The device key was disabled by too many failures; re-enrol.
    pub disabled: bool,
    /// Consecutive failures so far.
    pub failures: u32,
    /// Attempts left before the key is disabled.
    pub attempts_left: u32,
    /// Caller-clock time of the next allowed attempt, when waiting.
    pub locked_until: Option<u64>,
    /// Seconds until the next attempt is allowed (0 = now).
    pub retry_after_secs: u64,
}

/// PIN-protected access to the device key, with persisted attempt limits.
pub struct Authenticator {
    store: Store,
    keystore: Arc<dyn PlatformKeyStore>,
    iterations: u32,
    rng: SystemRandom,
    serial: Mutex<()>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator over `store`, wrapping through `keystore`, sealing new
    /// keys with [`DEFAULT_ITERATIONS`].
    pub fn new(store: Store, keystore: Arc<dyn PlatformKeyStore>) -> Self {
        Authenticator {
            store,
            keystore,
            iterations: DEFAULT_ITERATIONS,
            rng: SystemRandom::new(),
            serial: Mutex::new(()),
        }
    }

    /// PBKDF2 iterations used when sealing.
    pub fn kdf_iterations(&self) -> u32 {
        self.iterations
    }

    /// True when a device key exists and is not disabled. Reads only the
    /// store (no key store call, no PIN), so it does not prove the key can
    /// still be opened: after a restore onto another phone or a wiped platform
    /// key store it stays true while every verification fails with an error
    /// for which [`AuthError::device_key_unusable`] holds. The way out is
    /// [`Authenticator::reset_device_key`].
    pub fn is_enrolled(&self) -> Result<bool, AuthError> {
        let disabled = self.store.load_auth()?.is_some_and(|r| r.disabled);
        Ok(!disabled && self.store.load_sealed_key()?.is_some())
    }

    /// Enrols: checks the PIN against the policy, creates a fresh Ed25519
    /// device key, seals it under the PIN and stores it. Returns the public key
    /// to register with the backend.
    ///
    /// Allowed when no device key exists, including after it was disabled
    /// (re-enrolment; the backend must register the new key before it is
    /// accepted). Otherwise [`AuthError::AlreadyEnrolled`].
    pub fn enrol(&self, pin: &PinPad, now: u64) -> Result<Vec<u8>, AuthError> {
        check_new_pin(pin)?;
        let _serial = self.serialise();
        let mut attempts = self.load_attempts()?.unwrap_or_default();
        attempts.observe(now);
        if self.store.load_sealed_key()?.is_some() {
            if !attempts.disabled {
                return Err(AuthError::AlreadyEnrolled);
            }
            self.store.delete_sealed_key()?;
        }
        let key = DeviceKey::generate(&self.rng)?;
        let blob = self.wrap(&SealedKey::seal(pin, &key, self.iterations, &self.rng)?)?;
        // Reset the record first: if the key write then fails or the app dies,
        // the wallet is simply not enrolled (no key), never a fresh key under a
        // disabled record that the next call would delete.
        let fresh = Attempts {
            last_seen: attempts.last_seen,
            ..Attempts::default()
        };
        self.save_attempts(&fresh)?;
        self.store.save_sealed_key(&blob)?;
        Ok(key.public_key().to_vec())
    }

    /// Deletes the device key and the PIN attempt state (failures, waits, the
    /// disable) in one transaction, so that [`Authenticator::enrol`] works
    /// again. The journal, the history and unresolved payments are kept.
    ///
    /// This is the deliberate way out when the key cannot be opened any more
    /// ([`AuthError::device_key_unusable`]: the platform key store lost its
    /// key after a restore onto a new phone or a wipe, or the stored blob is
    /// damaged); a wrong PIN is never a reason to call it. The UI should ask
    /// the user to confirm, since the old key is destroyed even if the key
    /// store would have come back.
    ///
    /// After a reset the wallet is not enrolled: the app must enrol a new PIN
    /// and then **register the new device key with the backend again** (with an
    /// enrolment code); the backend refuses authorisations signed by a key
    /// it does not know. It needs neither the PIN nor the key store, and it
    /// gives an attacker holding the phone nothing: the old key is gone, and a
    /// new one is useless until the backend registers it.
    pub fn reset_device_key(&self) -> Result<(), AuthError> {
        let _serial = self.serialise();
        self.store.reset_device_key()?;
        Ok(())
    }

    /// Checks `pin` (one attempt, counted as described in the module docs).
    pub fn verify_pin(&self, pin: &PinPad, now: u64) -> Result<(), AuthError> {
        let _serial = self.serialise();
        self.attempt(pin, now).map(drop)
    }

    /// Changes the PIN: the new PIN is checked against the policy first (a
    /// refusal spends no attempt), then `old` is one counted attempt, then the
    /// device key is resealed under `new` with a fresh salt and nonce. The
    /// device key (and its registered public key) stays the same.
    pub fn change_pin(&self, old: &PinPad, new: &PinPad, now: u64) -> Result<(), AuthError> {
        check_new_pin(new)?;
        let _serial = self.serialise();
        let key = self.attempt(old, now)?;
        let blob = self.wrap(&SealedKey::seal(new, &key, self.iterations, &self.rng)?)?;
        self.store.save_sealed_key(&blob)?;
        Ok(())
    }

    /// Verifies `pin` (one counted attempt) and signs `auth` with the device
    /// key. An authorisation with a field over its cap is refused before the
    /// PIN is tried.
    pub fn authorise(
        &self,
        pin: &PinPad,
        auth: PaymentAuthorisation,
        now: u64,
    ) -> Result<SignedAuthorisation, AuthError> {
        auth.validate()?;
        let _serial = self.serialise();
        let key = self.attempt(pin, now)?;
        let signature = key.sign(&auth.signed_bytes())?;
        Ok(SignedAuthorisation {
            authorisation: auth,
            device_public_key: key.public_key().to_vec(),
            signature,
        })
    }

    /// The attempt state for the UI. Observes (and persists) the clock, so a
    /// clock set back is noticed even between attempts.
    pub fn status(&self, now: u64) -> Result<AuthStatus, AuthError> {
        let _serial = self.serialise();
        let stored = self.load_attempts()?;
        let mut attempts = stored.unwrap_or_default();
        if attempts.observe(now) && stored.is_some() {
            self.save_attempts(&attempts)?;
        }
        let has_key = self.store.load_sealed_key()?.is_some();
        let wait = attempts.remaining_wait();
        Ok(AuthStatus {
            enrolled: has_key && !attempts.disabled,
            disabled: attempts.disabled,
            failures: attempts.failures,
            attempts_left: attempts_left(attempts.failures),
            locked_until: (wait > 0 && !attempts.disabled).then_some(attempts.locked_until),
            retry_after_secs: if attempts.disabled { 0 } else { wait },
        })
    }

    /// The device public key (32 bytes), if enrolled and not disabled. Needs
    /// the platform key store but not the PIN.
    pub fn device_public_key(&self) -> Result<Option<Vec<u8>>, AuthError> {
        let _serial = self.serialise();
        if self.load_attempts()?.is_some_and(|a| a.disabled) {
            return Ok(None);
        }
        Ok(self.load_sealed()?.map(|s| s.public_key().to_vec()))
    }

    /// One counted attempt; the caller holds the serial lock.
    fn attempt(&self, pin: &PinPad, now: u64) -> Result<DeviceKey, AuthError> {
        if !pin.is_complete() {
            return Err(AuthError::PinIncomplete { entered: pin.len() });
        }
        let stored = self.load_attempts()?;
        let mut attempts = stored.unwrap_or_default();
        let moved = attempts.observe(now);
        let persist_clock = |a: &Attempts| -> Result<(), AuthError> {
            if moved && stored.is_some() {
                self.save_attempts(a)?;
            }
            Ok(())
        };
        if attempts.disabled {
            persist_clock(&attempts)?;
            // Completes a disable interrupted after its record was written.
            self.store.delete_sealed_key()?;
            return Err(AuthError::Disabled);
        }
        let wait = attempts.remaining_wait();
        if wait > 0 {
            persist_clock(&attempts)?;
            return Err(AuthError::LockedOut {
                until: attempts.locked_until,
                retry_after_secs: wait,
            });
        }
        let Some(sealed) = self.load_sealed()? else {
            persist_clock(&attempts)?;
            return Err(AuthError::NotEnrolled);
        };
        attempts.count_failure();
        self.save_attempts(&attempts)?;
        match sealed.unseal(pin) {
            Ok(key) => {
                attempts.succeed();
                self.save_attempts(&attempts)?;
                Ok(key)
            }
            Err(SealedError::Decrypt) => {
                if attempts.disabled {
                    self.store.delete_sealed_key()?;
                }
                Err(AuthError::WrongPin {
                    attempts_left: attempts_left(attempts.failures),
                    wait_secs: attempts.remaining_wait(),
                })
            }
            Err(other) => Err(other.into()),
        }
    }

    fn serialise(&self) -> MutexGuard<'_, ()> {
        // The guard protects no data, so a poisoned lock is still a valid lock.
        self.serial.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load_attempts(&self) -> Result<Option<Attempts>, AuthError> {
        Ok(self.store.load_auth()?.map(|r| Attempts {
            failures: r.failures,
            lockouts: r.lockouts,
            locked_until: r.locked_until,
            disabled: r.disabled,
            last_seen: r.clock_high_water,
        }))
    }

    fn save_attempts(&self, a: &Attempts) -> Result<(), AuthError> {
        self.store.save_auth(&AuthRecord {
            failures: a.failures,
            lockouts: a.lockouts,
            locked_until: a.locked_until,
            disabled: a.disabled,
            // The store's field holds the limits' timeline position; see
            // `limits` for why it is rebased when the clock moves back.
            clock_high_water: a.last_seen,
        })?;
        Ok(())
    }

    fn load_sealed(&self) -> Result<Option<SealedKey>, AuthError> {
        let Some(wrapped) = self.store.load_sealed_key()? else {
            return Ok(None);
        };
        let inner = self.keystore.unwrap(DEVICE_KEY_ALIAS, &wrapped)?;
        Ok(Some(SealedKey::parse(&inner)?))
    }

    fn wrap(&self, sealed: &SealedKey) -> Result<Vec<u8>, AuthError> {
        Ok(self.keystore.wrap(DEVICE_KEY_ALIAS, &sealed.to_bytes())?)
    }
}
