//! A device key that can no longer be opened (platform key store lost its key,
//! damaged blob) and the explicit way out: `Authenticator::reset_device_key`,
//! then enrolment again. Against the real SQLite store.
// Helpers outside #[test] fns panic too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::TempDb;
use scanpay_core::auth::FAILURES_BEFORE_WAIT;
use scanpay_core::auth::{
    AuthError, Authenticator, KeyStoreError, PinPad, PlatformKeyStore, SealedError,
    SoftwareKeyStore,
};
use scanpay_core::store::{PaymentRow, Store};

const GOOD: &str = "481592";
const NEW: &str = "730146";
const WRONG: &str = "481593";
const T0: u64 = 1_760_000_000;

fn pad(digits: &str) -> PinPad {
    let mut p = PinPad::new();
    for c in digits.bytes() {
        p.press(c - b'0').ok();
    }
    p
}

/// A platform key store that can be switched to what a phone's key store
/// reports after a restore onto new hardware or a wipe (`Unavailable`), to a
/// transient failure, or to a brand-new key (the new phone).
struct SwitchableKeyStore {
    inner: Mutex<SoftwareKeyStore>,
    unavailable: AtomicBool,
    failing: AtomicBool,
}

impl SwitchableKeyStore {
    fn new(key: u8) -> Arc<SwitchableKeyStore> {
        Arc::new(SwitchableKeyStore {
            inner: Mutex::new(SoftwareKeyStore::from_key_bytes([key; 32])),
            unavailable: AtomicBool::new(false),
            failing: AtomicBool::new(false),
        })
    }

    fn set_unavailable(&self, on: bool) {
        self.unavailable.store(on, Ordering::SeqCst);
    }

    fn set_failing(&self, on: bool) {
        self.failing.store(on, Ordering::SeqCst);
    }

    /// The platform now has a different key under the alias (a new phone).
    fn replace_key(&self, key: u8) {
        *self.inner.lock().unwrap() = SoftwareKeyStore::from_key_bytes([key; 32]);
    }

    fn check(&self) -> Result<(), KeyStoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(KeyStoreError::Unavailable(
                "key permanently invalidated".into(),
            ));
        }
        if self.failing.load(Ordering::SeqCst) {
            return Err(KeyStoreError::Failed("keystore daemon busy".into()));
        }
        Ok(())
    }
}

impl PlatformKeyStore for SwitchableKeyStore {
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.check()?;
        self.inner.lock().unwrap().wrap(alias, plaintext)
    }
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.check()?;
        PlatformKeyStore::unwrap(&*self.inner.lock().unwrap(), alias, wrapped)
    }
}

fn open(db: &TempDb, ks: &Arc<SwitchableKeyStore>) -> (Store, Authenticator) {
    let store = Store::open(db.path()).unwrap();
    let auth = Authenticator::new(store.clone(), Arc::clone(ks) as Arc<dyn PlatformKeyStore>);
    (store, auth)
}

fn payment(id: &str, created_at: u64, resolved: bool) -> PaymentRow {
    PaymentRow {
        id: id.to_string(),
        state: if resolved { "Succeeded" } else { "Pending" }.to_string(),
        record: format!("{{\"id\":\"{id}\"}}").into_bytes(),
        created_at,
        updated_at: created_at,
        resolved,
    }
}

#[test]
fn unavailable_key_store_is_recognisable_and_reset_allows_enrolling_again() {
    let db = TempDb::new("auth-reset");
    let ks = SwitchableKeyStore::new(1);
    let (store, auth) = open(&db, &ks);
    let old_key = auth.enrol(&pad(GOOD), T0).unwrap();
    assert_eq!(auth.verify_pin(&pad(GOOD), T0 + 1), Ok(()));
    store
        .insert_payment(&payment("p-done", T0 + 2, true))
        .unwrap();
    store
        .insert_payment(&payment("p-pending", T0 + 3, false))
        .unwrap();

    // The app data was restored onto a new phone: the platform key is gone.
    ks.set_unavailable(true);
    for now in [T0 + 10, T0 + 11, T0 + 12] {
        let err = auth.verify_pin(&pad(GOOD), now).unwrap_err();
        assert!(
            matches!(err, AuthError::KeyStore(KeyStoreError::Unavailable(_))),
            "{err:?}"
        );
        assert!(err.device_key_unusable(), "{err:?}");
    }
    let err = auth.device_public_key().unwrap_err();
    assert!(err.device_key_unusable(), "{err:?}");
    // Nothing was counted, and the store alone still says "enrolled": this is
    // the state an app could never leave before the reset existed.
    let status = auth.status(T0 + 13).unwrap();
    assert!(status.enrolled && !status.disabled && status.failures == 0);
    assert_eq!(auth.is_enrolled(), Ok(true));
    assert_eq!(
        auth.enrol(&pad(NEW), T0 + 13),
        Err(AuthError::AlreadyEnrolled)
    );

    auth.reset_device_key().unwrap();
    let status = auth.status(T0 + 14).unwrap();
    assert!(!status.enrolled && !status.disabled && status.failures == 0);
    assert_eq!(auth.is_enrolled(), Ok(false));
    assert_eq!(
        auth.verify_pin(&pad(GOOD), T0 + 14),
        Err(AuthError::NotEnrolled)
    );
    // The journal is untouched, unresolved payments included.
    assert!(store.payment("p-done").unwrap().is_some());
    assert_eq!(store.unresolved_payments().unwrap().len(), 1);

    // The new phone's key store works, with its own key.
    ks.replace_key(2);
    ks.set_unavailable(false);
    let new_key = auth.enrol(&pad(NEW), T0 + 15).unwrap();
    assert_ne!(new_key, old_key, "a fresh device key to register again");
    assert_eq!(auth.verify_pin(&pad(NEW), T0 + 16), Ok(()));
    assert_eq!(auth.device_public_key(), Ok(Some(new_key.clone())));

    // Durable: a restart sees the new enrolment and the kept journal.
    drop((store, auth));
    let (store, auth) = open(&db, &ks);
    assert_eq!(auth.device_public_key(), Ok(Some(new_key)));
    assert_eq!(auth.verify_pin(&pad(NEW), T0 + 17), Ok(()));
    assert_eq!(store.unresolved_payments().unwrap().len(), 1);
}

#[test]
fn damaged_sealed_key_is_recognisable_and_reset_recovers() {
    let db = TempDb::new("auth-reset-damaged");
    let ks = SwitchableKeyStore::new(3);
    let (store, auth) = open(&db, &ks);
    auth.enrol(&pad(GOOD), T0).unwrap();

    // Wrapped by the platform, but not a sealed key inside.
    let junk = ks
        .wrap("scanpay.device-key.v1", b"not a sealed key")
        .unwrap();
    store.save_sealed_key(&junk).unwrap();
    let err = auth.verify_pin(&pad(GOOD), T0 + 1).unwrap_err();
    assert!(
        matches!(err, AuthError::SealedKey(SealedError::Malformed(_))),
        "{err:?}"
    );
    assert!(err.device_key_unusable());

    // Altered wrapping: the key store rejects it.
    store.save_sealed_key(b"garbage").unwrap();
    let err = auth.verify_pin(&pad(GOOD), T0 + 2).unwrap_err();
    assert_eq!(err, AuthError::KeyStore(KeyStoreError::Rejected));
    assert!(err.device_key_unusable());
    assert_eq!(auth.status(T0 + 2).unwrap().failures, 0);

    auth.reset_device_key().unwrap();
    auth.enrol(&pad(NEW), T0 + 3).unwrap();
    assert_eq!(auth.verify_pin(&pad(NEW), T0 + 4), Ok(()));
}

#[test]
fn transient_failures_and_wrong_pins_are_not_reasons_to_reset() {
    let db = TempDb::new("auth-reset-transient");
    let ks = SwitchableKeyStore::new(4);
    let (_store, auth) = open(&db, &ks);
    auth.enrol(&pad(GOOD), T0).unwrap();
    ks.set_failing(true);
    let err = auth.verify_pin(&pad(GOOD), T0 + 1).unwrap_err();
    assert!(
        matches!(err, AuthError::KeyStore(KeyStoreError::Failed(_))),
        "{err:?}"
    );
    assert!(!err.device_key_unusable());
    ks.set_failing(false);
    let err = auth.verify_pin(&pad(WRONG), T0 + 2).unwrap_err();
    assert!(matches!(err, AuthError::WrongPin { .. }), "{err:?}");
    assert!(!err.device_key_unusable());
    assert!(!AuthError::Disabled.device_key_unusable());
    assert!(!AuthError::SealedKey(SealedError::UnsupportedVersion(9)).device_key_unusable());
    assert_eq!(auth.verify_pin(&pad(GOOD), T0 + 3), Ok(()));
}

#[test]
fn reset_clears_waits_and_the_disable() {
    let db = TempDb::new("auth-reset-limits");
    let ks = SwitchableKeyStore::new(5);
    let (_store, auth) = open(&db, &ks);
    auth.enrol(&pad(GOOD), T0).unwrap();
    for _ in 0..FAILURES_BEFORE_WAIT {
        let _ = auth.verify_pin(&pad(WRONG), T0 + 1);
    }
    assert!(matches!(
        auth.verify_pin(&pad(GOOD), T0 + 2),
        Err(AuthError::LockedOut { .. })
    ));
    auth.reset_device_key().unwrap();
    let status = auth.status(T0 + 2).unwrap();
    assert_eq!(
        (status.enrolled, status.failures, status.locked_until),
        (false, 0, None)
    );
    auth.enrol(&pad(NEW), T0 + 2).unwrap();
    assert_eq!(auth.verify_pin(&pad(NEW), T0 + 2), Ok(()));

    // Resetting a wallet that holds no key is harmless (idempotent).
    auth.reset_device_key().unwrap();
    auth.reset_device_key().unwrap();
    assert_eq!(auth.is_enrolled(), Ok(false));
}
