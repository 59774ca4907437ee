//! Enrolment, PIN verification and change, payment authorisation.
//!
//! Every attempt follows the same order, so that no way of interrupting it
//! gains an attacker a free guess:
//!
//! 1. An incomplete PIN is refused before anything else (not an attempt).
//! 2. In one transaction: load the attempt record, observe the clock
//!    ([`super::limits`]); disabled → [`AuthError::Disabled`]; inside a wait
//!    → [`AuthError::LockedOut`]; no key → [`AuthError::NotEnrolled`].
//!    None of these evaluates or counts the PIN.
//! 3. Platform-unwrap and parse the sealed key (no lock held). A failure here
//!    is not the PIN's fault and counts nothing.
//! 4. In one `BEGIN IMMEDIATE` transaction: re-read the record, refuse as in
//!    2 if another attempt changed the verdict meanwhile, and **save the
//!    record as if this attempt failed** (count, wait, disable), durably,
//!    before deriving anything.
//! 5. Derive the PIN key and decrypt (no lock held). Success resets the
//!    record as it is then; failure leaves the pessimistic count in place
//!    (deleting the sealed key when the record is disabled).
//!
//! A kill between 4 and 5 therefore counts as a failure; a record left
//! disabled with the sealed key still present (killed during the 10th
//! attempt) is completed — the key deleted — at the next call.
//!
//! ## Concurrency
//!
//! The count is exact however many attempts run at once: threads sharing one
//! `Authenticator`, several wallet objects opened on the same data directory,
//! or several processes (an app and its extension or background service).
//! Step 4's read-and-increment is one SQLite `BEGIN IMMEDIATE` transaction
//! ([`Store::auth_transaction`]), which SQLite serialises across connections
//! and processes, so N wrong PINs move the count by exactly N, and no more
//! than [`super::limits::FAILURES_BEFORE_DISABLE`] wrong PINs are ever
//! evaluated. Enrolment is a compare-and-set in one transaction: of two
//! racing enrolments one stores its key, the other gets
//! [`AuthError::AlreadyEnrolled`]. A correct PIN resets the count as it is
//! when its success is recorded, so failures counted meanwhile by concurrent
//! attempts are cleared with it (each was evaluated once, and counted until
//! then, exactly as if it had come just before the correct PIN); if a
//! concurrent tenth failure has already deleted the key, the correct PIN gets
//! [`AuthError::Disabled`] (a deleted key is never brought back). (Why a
//! transaction and not a lock on the data directory: ADR 0005, "Several
//! processes on one wallet".)
//!
//! No lock of any kind is held while the app's [`PlatformKeyStore`] runs or
//! the key is derived, so a key store may call back into the authenticator
//! ([`Authenticator::status`], [`Authenticator::device_public_key`]) from its
//! wrap or unwrap without deadlocking it.
//!
//! A key that no PIN can open any more (platform key gone, blob damaged) is
//! not the PIN's fault and counts nothing, so it never reaches the disable
//! that would delete it: [`Authenticator::reset_device_key`] is the explicit
//! way out, followed by enrolment and registration with the backend.

use std::sync::Arc;

use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use super::authorisation::{PaymentAuthMethod, PaymentAuthorisation, SignedAuthorisation};
use super::device::DeviceKey;
use super::kdf::DEFAULT_ITERATIONS;
use super::keystore::{KeyStoreError, PlatformKeyStore, WrapDefect, DEVICE_KEY_ALIAS};
use super::limits::{attempts_left, Attempts};
use super::paycode_secret;
use super::pinpad::PinPad;
use super::policy::check_new_pin;
use super::sealed::{SealedError, SealedKey};
use super::shortcuts::{ShortcutSettings, ShortcutSigner, SignedShortcuts};
use super::AuthError;
use crate::store::{AuthRecord, AuthTx, Store, StoreError};

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
        Ok(self.store.auth_transaction(|tx| {
            let disabled = tx.load_auth()?.is_some_and(|r| r.disabled);
            Ok(!disabled && tx.load_sealed_key()?.is_some())
        })?)
    }

    /// Enrols: checks the PIN against the policy, creates a fresh Ed25519
    /// device key, seals it under the PIN and stores it. Returns the public key
    /// to register with the backend.
    ///
    /// Allowed when no device key exists, including after it was disabled
    /// (re-enrolment; the backend must register the new key before it is
    /// accepted). Otherwise [`AuthError::AlreadyEnrolled`]. The check and the
    /// write are one transaction (compare-and-set): of two enrolments racing
    /// on the same data directory — threads, wallet objects or processes —
    /// exactly one stores its key, the other gets `AlreadyEnrolled` and its
    /// key is thrown away unused.
    ///
    /// The platform key store is checked on the way
    /// ([`AuthError::KeyStoreIneffective`]): its wrapping must not contain the
    /// sealed blob in the clear, and must unwrap to it again.
    pub fn enrol(&self, pin: &PinPad, now: u64) -> Result<Vec<u8>, AuthError> {
        check_new_pin(pin)?;
        // A cheap early refusal; the transaction below decides.
        if self.is_enrolled()? {
            return Err(AuthError::AlreadyEnrolled);
        }
        let key = DeviceKey::generate(&self.rng)?;
        let blob = self.wrap(&SealedKey::seal(pin, &key, self.iterations, &self.rng)?)?;
        self.store.auth_transaction(|tx| {
            let mut attempts = tx.load_auth()?.map(from_record).unwrap_or_default();
            attempts.observe(now);
            if tx.load_sealed_key()?.is_some() {
                if !attempts.disabled {
                    return Ok(Err(AuthError::AlreadyEnrolled));
                }
                tx.delete_sealed_key()?;
            }
            let fresh = Attempts {
                last_seen: attempts.last_seen,
                ..Attempts::default()
            };
            tx.save_auth(&to_record(&fresh))?;
            tx.save_sealed_key(&blob)?;
            Ok(Ok(()))
        })??;
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
        self.store.reset_device_key()?;
        Ok(())
    }

    /// Checks `pin` (one attempt, counted as described in the module docs).
    pub fn verify_pin(&self, pin: &PinPad, now: u64) -> Result<(), AuthError> {
        self.attempt(pin, now).map(drop)
    }

    /// Changes the PIN: the new PIN is checked against the policy first (a
    /// refusal spends no attempt), then `old` is one counted attempt, then the
    /// device key is resealed under `new` with a fresh salt and nonce. The
    /// device key (and its registered public key) stays the same.
    pub fn change_pin(&self, old: &PinPad, new: &PinPad, now: u64) -> Result<(), AuthError> {
        check_new_pin(new)?;
        let key = self.attempt(old, now)?;
        let blob = self.wrap(&SealedKey::seal(new, &key, self.iterations, &self.rng)?)?;
        // Only over a key that is still there: a disable or reset that landed
        // meanwhile (another wallet object or process) is not undone.
        self.store.auth_transaction(|tx| {
            if tx.load_auth()?.is_some_and(|r| r.disabled) {
                return Ok(Err(AuthError::Disabled));
            }
            if tx.load_sealed_key()?.is_none() {
                return Ok(Err(AuthError::NotEnrolled));
            }
            tx.save_sealed_key(&blob)?;
            Ok(Ok(()))
        })?
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
        let key = self.attempt(pin, now)?;
        let signature = key.sign(&auth.signed_bytes())?;
        Ok(SignedAuthorisation {
            authorisation: auth,
            method: PaymentAuthMethod::Pin,
            device_public_key: key.public_key().to_vec(),
            signature,
        })
    }

    /// Verifies `pin` (one counted attempt, exactly like a payment's) and
    /// signs the shortcut `settings` with the device key: the only way to
    /// turn a shortcut on or raise a limit (ADR 0022).
    pub fn sign_shortcuts(
        &self,
        pin: &PinPad,
        settings: ShortcutSettings,
        now: u64,
    ) -> Result<SignedShortcuts, AuthError> {
        settings.validate()?;
        let key = self.attempt(pin, now)?;
        let signature = key.sign(&settings.signed_bytes(key.public_key()))?;
        Ok(SignedShortcuts {
            settings,
            device_public_key: key.public_key().to_vec(),
            signer: ShortcutSigner::DeviceKey,
            signature,
        })
    }

    /// The attempt state for the UI. Observes (and persists) the clock, so a
    /// clock set back is noticed even between attempts. Touches only the
    /// store, never the platform key store, so a key store may call it (or
    /// [`Authenticator::device_public_key`]) from inside its own wrap or
    /// unwrap.
    pub fn status(&self, now: u64) -> Result<AuthStatus, AuthError> {
        let (attempts, has_key) = self.store.auth_transaction(|tx| {
            let stored = tx.load_auth()?;
            let mut attempts = stored.map(from_record).unwrap_or_default();
            if attempts.observe(now) && stored.is_some() {
                tx.save_auth(&to_record(&attempts))?;
            }
            Ok((attempts, tx.load_sealed_key()?.is_some()))
        })?;
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
        let wrapped = self.store.auth_transaction(|tx| {
            if tx.load_auth()?.is_some_and(|a| a.disabled) {
                return Ok(None);
            }
            tx.load_sealed_key()
        })?;
        let Some(wrapped) = wrapped else {
            return Ok(None);
        };
        Ok(Some(self.unwrap(&wrapped)?.public_key().to_vec()))
    }

    /// Verifies `pin` (one counted attempt, exactly like a payment's) and
    /// hands the opened device key to the crate (the pay code signs its
    /// provisioning and confirmations with it and derives its seal key from
    /// it). Never leaves the crate.
    pub(crate) fn unlock(&self, pin: &PinPad, now: u64) -> Result<DeviceKey, AuthError> {
        self.attempt(pin, now)
    }

    /// Seals the pay-code secret to `key` and wraps it through the platform
    /// key store (checked like the device key's wrapping).
    pub(crate) fn seal_paycode_secret(
        &self,
        key: &DeviceKey,
        secret: &[u8; paycode_secret::SECRET_LEN],
        generation: u32,
    ) -> Result<Vec<u8>, AuthError> {
        let sealed = Zeroizing::new(paycode_secret::seal(key, secret, generation, &self.rng)?);
        self.wrap_bytes(paycode_secret::PAYCODE_SECRET_ALIAS, &sealed)
    }

    /// Unwraps and opens a sealed pay-code secret with `key`: its generation
    /// and the secret.
    pub(crate) fn open_paycode_secret(
        &self,
        key: &DeviceKey,
        wrapped: &[u8],
    ) -> Result<(u32, Zeroizing<[u8; paycode_secret::SECRET_LEN]>), AuthError> {
        let inner = Zeroizing::new(
            self.keystore
                .unwrap(paycode_secret::PAYCODE_SECRET_ALIAS, wrapped)?,
        );
        paycode_secret::open(key, &inner).map_err(|e| match e {
            // Not the PIN's fault (the PIN opened `key`): the blob belongs to
            // another key or was altered.
            SealedError::Decrypt => AuthError::SealedKey(SealedError::KeyRejected),
            other => other.into(),
        })
    }

    /// One counted attempt.
    ///
    /// Three short transactions around two slow steps that hold no lock (the
    /// app's key store, which may call back into this authenticator, and the
    /// key derivation): (1) refusals — disabled, waiting, not enrolled — and
    /// the blob; then the key store unwraps it; (2) re-read, refuse again if
    /// another attempt changed the verdict meanwhile, count this attempt as
    /// failed; then the PIN is evaluated; (3) record the outcome against the
    /// record as it is *now* (other attempts may have counted meanwhile).
    fn attempt(&self, pin: &PinPad, now: u64) -> Result<DeviceKey, AuthError> {
        if !pin.is_complete() {
            return Err(AuthError::PinIncomplete { entered: pin.len() });
        }
        // A blob replaced between (1) and (2) (a PIN change or re-enrolment
        // elsewhere) is read again; a bounded number of times, then Busy.
        for _ in 0..MAX_BLOB_RACES {
            let wrapped = self.store.auth_transaction(|tx| admit(tx, now))??;
            let sealed = self.unwrap(&wrapped)?;
            let counted = self.store.auth_transaction(|tx| {
                if let Err(refused) = admit(tx, now)? {
                    return Ok(Err(refused));
                }
                if tx.load_sealed_key()?.as_deref() != Some(wrapped.as_slice()) {
                    return Ok(Ok(None));
                }
                let mut attempts = tx.load_auth()?.map(from_record).unwrap_or_default();
                attempts.observe(now);
                attempts.count_failure();
                tx.save_auth(&to_record(&attempts))?;
                Ok(Ok(Some(attempts)))
            })??;
            let Some(counted) = counted else {
                continue;
            };
            return match sealed.unseal(pin) {
                Ok(key) => {
                    self.store
                        .auth_transaction(|tx| record_success(tx, now))??;
                    Ok(key)
                }
                Err(SealedError::Decrypt) => {
                    if counted.disabled {
                        // Re-read: a correct PIN elsewhere may have reset it.
                        self.store.auth_transaction(|tx| {
                            if tx.load_auth()?.is_some_and(|r| r.disabled) {
                                tx.delete_sealed_key()?;
                            }
                            Ok(())
                        })?;
                    }
                    Err(AuthError::WrongPin {
                        attempts_left: attempts_left(counted.failures),
                        wait_secs: counted.remaining_wait(),
                    })
                }
                Err(other) => Err(other.into()),
            };
        }
        Err(StoreError::Busy.into())
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<SealedKey, AuthError> {
        let inner = self.keystore.unwrap(DEVICE_KEY_ALIAS, wrapped)?;
        Ok(SealedKey::parse(&inner)?)
    }

    /// Wraps through the platform key store and checks the result: a
    /// wrapping that holds the sealed blob in the clear (an identity "wrap")
    /// or that does not unwrap to it again would leave the PIN-sealed key
    /// without the hardware's protection, or unusable, so it is refused
    /// before anything is stored.
    fn wrap(&self, sealed: &SealedKey) -> Result<Vec<u8>, AuthError> {
        self.wrap_bytes(DEVICE_KEY_ALIAS, &Zeroizing::new(sealed.to_bytes()))
    }

    fn wrap_bytes(&self, alias: &str, plain: &Zeroizing<Vec<u8>>) -> Result<Vec<u8>, AuthError> {
        let wrapped = self.keystore.wrap(alias, plain)?;
        if wrapped.windows(plain.len()).any(|w| w == plain.as_slice()) {
            return Err(AuthError::KeyStoreIneffective(WrapDefect::Cleartext));
        }
        match self.keystore.unwrap(alias, &wrapped) {
            Ok(back) if back == **plain => Ok(wrapped),
            Ok(_) | Err(KeyStoreError::Rejected) => {
                Err(AuthError::KeyStoreIneffective(WrapDefect::RoundTrip))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// How many times an attempt re-reads a blob replaced under it before giving
/// up with [`StoreError::Busy`].
const MAX_BLOB_RACES: usize = 3;

/// Inside a transaction: observes the clock and decides whether an attempt
/// may be made. `Ok(Err(..))` is a refusal whose writes (the clock, the
/// completion of an interrupted disable) are kept; `Ok(Ok(blob))` is the
/// wrapped sealed key to try.
fn admit(tx: &AuthTx<'_>, now: u64) -> Result<Result<Vec<u8>, AuthError>, StoreError> {
    let stored = tx.load_auth()?;
    let mut attempts = stored.map(from_record).unwrap_or_default();
    if attempts.observe(now) && stored.is_some() {
        tx.save_auth(&to_record(&attempts))?;
    }
    if attempts.disabled {
        // Completes a disable interrupted after its record was written (or
        // finishes one another attempt is about to finish).
        tx.delete_sealed_key()?;
        return Ok(Err(AuthError::Disabled));
    }
    let wait = attempts.remaining_wait();
    if wait > 0 {
        return Ok(Err(AuthError::LockedOut {
            until: attempts.locked_until,
            retry_after_secs: wait,
        }));
    }
    Ok(tx.load_sealed_key()?.ok_or(AuthError::NotEnrolled))
}

/// Inside a transaction: a correct PIN resets the record as it is now. If
/// the key is gone meanwhile (a concurrent tenth failure disabled it, or a
/// reset), the success does not bring it back.
fn record_success(tx: &AuthTx<'_>, now: u64) -> Result<Result<(), AuthError>, StoreError> {
    let mut attempts = tx.load_auth()?.map(from_record).unwrap_or_default();
    attempts.observe(now);
    if tx.load_sealed_key()?.is_none() {
        return Ok(Err(if attempts.disabled {
            AuthError::Disabled
        } else {
            AuthError::NotEnrolled
        }));
    }
    attempts.succeed();
    tx.save_auth(&to_record(&attempts))?;
    Ok(Ok(()))
}

fn from_record(r: AuthRecord) -> Attempts {
    Attempts {
        failures: r.failures,
        lockouts: r.lockouts,
        locked_until: r.locked_until,
        disabled: r.disabled,
        last_seen: r.clock_high_water,
    }
}

fn to_record(a: &Attempts) -> AuthRecord {
    AuthRecord {
        failures: a.failures,
        lockouts: a.lockouts,
        locked_until: a.locked_until,
        disabled: a.disabled,
        // The store's field holds the limits' timeline position; see
        // `limits` for why it is rebased when the clock moves back.
        clock_high_water: a.last_seen,
    }
}
