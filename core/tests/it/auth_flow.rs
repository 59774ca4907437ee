//! Enrolment, verification, change, attempt limits, restarts and the clock,
//! against the real SQLite store and the real software key store.
// Helpers outside #[test] fns panic too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use crate::common::TempDb;
use scanpay_core::auth::{
    verify_authorisation, AuthError, Authenticator, AuthorisationError, KeyStoreError,
    PaymentAuthorisation, PinPad, PinRejected, PlatformKeyStore, SealedKey, SoftwareKeyStore,
};
use scanpay_core::auth::{FAILURES_BEFORE_DISABLE, FIRST_WAIT_SECS};
use scanpay_core::money::Currency;
use scanpay_core::store::{AuthRecord, Store};

const GOOD: &str = "481592";
const OTHER: &str = "730146";
const WRONG: &str = "481593";
const T0: u64 = 1_760_000_000;

fn pad(digits: &str) -> PinPad {
    let mut p = PinPad::new();
    for c in digits.bytes() {
        p.press(c - b'0').ok();
    }
    p
}

fn keystore() -> Arc<SoftwareKeyStore> {
    Arc::new(SoftwareKeyStore::from_key_bytes([42; 32]))
}

fn memory_auth() -> (Store, Authenticator) {
    let store = Store::open_in_memory().map_err(|e| e.to_string());
    let Ok(store) = store else {
        panic!("store: {store:?}")
    };
    let auth = Authenticator::new(store.clone(), keystore());
    (store, auth)
}

/// Opens the database file as a fresh app start would.
fn open(db: &TempDb) -> (Store, Authenticator) {
    let store = Store::open(db.path()).map_err(|e| e.to_string());
    let Ok(store) = store else {
        panic!("store: {store:?}")
    };
    let auth = Authenticator::new(store.clone(), keystore());
    (store, auth)
}

fn enrol(auth: &Authenticator, pin: &str, now: u64) -> Vec<u8> {
    let r = auth.enrol(&pad(pin), now).map_err(|e| e.to_string());
    let Ok(pk) = r else { panic!("enrol: {r:?}") };
    pk
}

fn failures(auth: &Authenticator, now: u64) -> u32 {
    auth.status(now).map(|s| s.failures).unwrap_or(u32::MAX)
}

fn wrong(attempts_left: u32, wait_secs: u64) -> Result<(), AuthError> {
    Err(AuthError::WrongPin {
        attempts_left,
        wait_secs,
    })
}

#[test]
fn enrol_verify_and_change() {
    let (_store, auth) = memory_auth();
    assert_eq!(auth.is_enrolled(), Ok(false));
    assert_eq!(auth.verify_pin(&pad(GOOD), T0), Err(AuthError::NotEnrolled));
    assert_eq!(auth.device_public_key(), Ok(None));
    assert_eq!(
        auth.enrol(&pad("123456"), T0),
        Err(AuthError::PinRejected(PinRejected::Sequence))
    );
    assert_eq!(auth.is_enrolled(), Ok(false));

    let pk = enrol(&auth, GOOD, T0);
    assert_eq!(pk.len(), 32);
    assert_eq!(auth.is_enrolled(), Ok(true));
    assert_eq!(auth.device_public_key(), Ok(Some(pk.clone())));
    assert_eq!(auth.enrol(&pad(OTHER), T0), Err(AuthError::AlreadyEnrolled));

    assert_eq!(auth.verify_pin(&pad(GOOD), T0), Ok(()));
    assert_eq!(auth.verify_pin(&pad(WRONG), T0), wrong(9, 0));
    assert_eq!(failures(&auth, T0), 1);
    // An incomplete PIN is no attempt.
    assert_eq!(
        auth.verify_pin(&pad("48159"), T0),
        Err(AuthError::PinIncomplete { entered: 5 })
    );
    assert_eq!(failures(&auth, T0), 1);
    assert_eq!(auth.verify_pin(&pad(GOOD), T0 + 1), Ok(()));
    assert_eq!(failures(&auth, T0 + 1), 0);

    // A refused new PIN spends no attempt; a wrong old PIN does.
    assert_eq!(
        auth.change_pin(&pad(GOOD), &pad("000000"), T0 + 2),
        Err(AuthError::PinRejected(PinRejected::AllSame))
    );
    assert_eq!(failures(&auth, T0 + 2), 0);
    assert_eq!(
        auth.change_pin(&pad(WRONG), &pad(OTHER), T0 + 2),
        wrong(9, 0)
    );
    assert_eq!(auth.change_pin(&pad(GOOD), &pad(OTHER), T0 + 3), Ok(()));
    assert_eq!(failures(&auth, T0 + 3), 0);
    assert_eq!(auth.verify_pin(&pad(GOOD), T0 + 4), wrong(9, 0));
    assert_eq!(auth.verify_pin(&pad(OTHER), T0 + 5), Ok(()));
    // Same device key, so the backend registration stays valid.
    assert_eq!(auth.device_public_key(), Ok(Some(pk)));
}

#[test]
fn five_failures_wait_30s_then_60s() {
    let (_store, auth) = memory_auth();
    enrol(&auth, GOOD, T0);
    for left in [9, 8, 7, 6] {
        assert_eq!(auth.verify_pin(&pad(WRONG), T0), wrong(left, 0));
    }
    assert_eq!(auth.verify_pin(&pad(WRONG), T0), wrong(5, FIRST_WAIT_SECS));
    // During the wait even the right PIN is not evaluated, and nothing is counted.
    assert_eq!(
        auth.verify_pin(&pad(GOOD), T0 + 29),
        Err(AuthError::LockedOut {
            until: T0 + 30,
            retry_after_secs: 1
        })
    );
    let status = auth.status(T0 + 29).map_err(|e| e.to_string());
    let Ok(status) = status else {
        panic!("{status:?}")
    };
    assert_eq!(
        (
            status.failures,
            status.attempts_left,
            status.locked_until,
            status.retry_after_secs
        ),
        (5, 5, Some(T0 + 30), 1)
    );
    // The sixth failure doubles the wait.
    assert_eq!(auth.verify_pin(&pad(WRONG), T0 + 30), wrong(4, 60));
    assert_eq!(
        auth.verify_pin(&pad(GOOD), T0 + 89),
        Err(AuthError::LockedOut {
            until: T0 + 90,
            retry_after_secs: 1
        })
    );
    assert_eq!(auth.verify_pin(&pad(GOOD), T0 + 90), Ok(()));
    let status = auth.status(T0 + 90).map_err(|e| e.to_string());
    let Ok(status) = status else {
        panic!("{status:?}")
    };
    assert_eq!(
        (
            status.failures,
            status.locked_until,
            status.retry_after_secs
        ),
        (0, None, 0)
    );
}

#[test]
fn ten_failures_disable_until_re_enrolment() {
    let (store, auth) = memory_auth();
    let old_pk = enrol(&auth, GOOD, T0);
    let mut now = T0;
    for n in 1..=FAILURES_BEFORE_DISABLE {
        let r = auth.verify_pin(&pad(WRONG), now);
        let Err(AuthError::WrongPin {
            attempts_left,
            wait_secs,
        }) = r
        else {
            panic!("failure {n}: {r:?}")
        };
        assert_eq!(attempts_left, FAILURES_BEFORE_DISABLE - n);
        now += wait_secs;
    }
    // The eleventh attempt, with the right PIN, still fails.
    assert_eq!(
        auth.verify_pin(&pad(GOOD), now + 3600),
        Err(AuthError::Disabled)
    );
    assert_eq!(store.load_sealed_key().ok(), Some(None));
    assert_eq!(auth.is_enrolled(), Ok(false));
    assert_eq!(auth.device_public_key(), Ok(None));
    let status = auth.status(now).map_err(|e| e.to_string());
    let Ok(status) = status else {
        panic!("{status:?}")
    };
    assert!(status.disabled && !status.enrolled && status.attempts_left == 0);

    // Re-enrolment creates a fresh key and resets the limits.
    let new_pk = enrol(&auth, OTHER, now + 3600);
    assert_ne!(new_pk, old_pk);
    assert_eq!(auth.is_enrolled(), Ok(true));
    assert_eq!(failures(&auth, now + 3600), 0);
    assert_eq!(auth.verify_pin(&pad(OTHER), now + 3601), Ok(()));
    assert_eq!(
        auth.enrol(&pad(GOOD), now + 3602),
        Err(AuthError::AlreadyEnrolled)
    );
}

#[test]
fn the_counter_survives_reopening_the_store() {
    let db = TempDb::new("restart");
    {
        let (_s, auth) = open(&db);
        enrol(&auth, GOOD, T0);
        assert_eq!(auth.verify_pin(&pad(WRONG), T0), wrong(9, 0));
    }
    for left in [8, 7, 6, 5] {
        let (_s, auth) = open(&db);
        assert_eq!(failures(&auth, T0), 9 - left);
        let expect_wait = if left == 5 { 30 } else { 0 };
        assert_eq!(auth.verify_pin(&pad(WRONG), T0), wrong(left, expect_wait));
    }
    let (_s, auth) = open(&db);
    assert_eq!(
        auth.verify_pin(&pad(GOOD), T0 + 10),
        Err(AuthError::LockedOut {
            until: T0 + 30,
            retry_after_secs: 20
        })
    );
}

#[test]
fn an_attempt_interrupted_after_counting_stays_counted() {
    // What a kill between "count saved" and "PIN evaluated" leaves on disk:
    // the record as if the attempt failed. Written here through the real store.
    let db = TempDb::new("interrupted");
    {
        let (store, auth) = open(&db);
        enrol(&auth, GOOD, T0);
        let five = AuthRecord {
            failures: 5,
            lockouts: 1,
            locked_until: T0 + 30,
            disabled: false,
            clock_high_water: T0,
        };
        assert_eq!(store.save_auth(&five), Ok(()));
    }
    {
        let (_s, auth) = open(&db);
        assert!(matches!(
            auth.verify_pin(&pad(GOOD), T0 + 1),
            Err(AuthError::LockedOut { .. })
        ));
    }
    // Killed during the tenth attempt: disabled written, key not yet deleted.
    {
        let (store, _auth) = open(&db);
        let ten = AuthRecord {
            failures: 10,
            lockouts: 5,
            locked_until: 0,
            disabled: true,
            clock_high_water: T0 + 1000,
        };
        assert_eq!(store.save_auth(&ten), Ok(()));
        assert!(matches!(store.load_sealed_key(), Ok(Some(_))));
    }
    let (store, auth) = open(&db);
    assert_eq!(
        auth.verify_pin(&pad(GOOD), T0 + 2000),
        Err(AuthError::Disabled)
    );
    assert_eq!(store.load_sealed_key().ok(), Some(None));
}

#[test]
fn setting_the_clock_back_does_not_shorten_a_wait() {
    let db = TempDb::new("clock");
    {
        let (_s, auth) = open(&db);
        enrol(&auth, GOOD, T0);
        for _ in 0..5 {
            let _ = auth.verify_pin(&pad(WRONG), T0);
        }
        assert_eq!(auth.status(T0 + 10).map(|s| s.retry_after_secs), Ok(20));
    }
    // Restarted with the clock an hour back: the 20 s left are still owed.
    let back = T0 - 3600;
    let (_s, auth) = open(&db);
    assert_eq!(
        auth.verify_pin(&pad(GOOD), back),
        Err(AuthError::LockedOut {
            until: back + 20,
            retry_after_secs: 20
        })
    );
    assert_eq!(
        auth.verify_pin(&pad(GOOD), back + 19),
        Err(AuthError::LockedOut {
            until: back + 20,
            retry_after_secs: 1
        })
    );
    // Jumping back again mid-wait still owes the remainder.
    assert_eq!(auth.status(back - 100).map(|s| s.retry_after_secs), Ok(1));
    assert_eq!(auth.verify_pin(&pad(WRONG), back - 99), wrong(4, 60));

    // A clock set forward ends the wait, but the attempt still counts and
    // the disable still comes at ten.
    let far = T0 + 100_000;
    assert_eq!(auth.verify_pin(&pad(WRONG), far), wrong(3, 120));
    assert_eq!(failures(&auth, far), 7);
}

#[test]
fn authorise_signs_what_the_backend_verifies() {
    let (_store, auth) = memory_auth();
    let pk = enrol(&auth, GOOD, T0);
    let payment = PaymentAuthorisation {
        payment_id: "0b7c6f0e-3f5a-4d0e-9c43-6c1f2a9e8d11".into(),
        merchant_key_id: "acq1.m42".into(),
        merchant_account: "A000000677010111:0066812345678".into(),
        amount_minor: 12_550,
        currency: Currency::THB,
        payload_sha256: PaymentAuthorisation::payload_digest("000201010212"),
        time: T0,
    };
    let signed = auth
        .authorise(&pad(GOOD), payment.clone(), T0)
        .map_err(|e| e.to_string());
    let Ok(signed) = signed else {
        panic!("{signed:?}")
    };
    assert_eq!(signed.device_public_key, pk);
    assert_eq!(verify_authorisation(&pk, &signed), Ok(()));
    let mut altered = signed.clone();
    altered.authorisation.amount_minor = 1_255_000;
    assert_eq!(
        verify_authorisation(&pk, &altered),
        Err(AuthorisationError::BadSignature)
    );

    assert_eq!(
        auth.authorise(&pad(WRONG), payment.clone(), T0).err(),
        Some(AuthError::WrongPin {
            attempts_left: 9,
            wait_secs: 0
        })
    );
    // A malformed authorisation is refused before the PIN is tried.
    let mut long = payment;
    long.payment_id = "p".repeat(65);
    assert_eq!(
        auth.authorise(&pad(GOOD), long, T0).err(),
        Some(AuthError::Authorisation(AuthorisationError::FieldTooLong(
            "payment_id"
        )))
    );
    assert_eq!(failures(&auth, T0), 1);
}

#[test]
fn a_key_store_failure_counts_no_attempt() {
    let (store, auth) = memory_auth();
    enrol(&auth, GOOD, T0);
    // Another platform key (e.g. restored onto new hardware).
    let elsewhere = Authenticator::new(
        store.clone(),
        Arc::new(SoftwareKeyStore::from_key_bytes([7; 32])),
    );
    assert_eq!(
        elsewhere.verify_pin(&pad(GOOD), T0),
        Err(AuthError::KeyStore(KeyStoreError::Rejected))
    );
    assert_eq!(failures(&auth, T0), 0);
    // A damaged inner blob is reported as such, also without counting.
    assert_eq!(
        store.save_sealed_key(
            &keystore()
                .wrap("scanpay.device-key.v1", b"junk")
                .unwrap_or_default()
        ),
        Ok(())
    );
    assert!(matches!(
        auth.verify_pin(&pad(GOOD), T0),
        Err(AuthError::SealedKey(_))
    ));
    assert_eq!(failures(&auth, T0), 0);
}

#[test]
fn the_pin_never_appears_in_debug_or_error_messages() {
    let (store, auth) = memory_auth();
    let pin = pad(GOOD);
    let mut seen: Vec<String> = Vec::new();
    let mut record = |debug: String, display: Option<String>| {
        seen.push(debug);
        seen.extend(display);
    };
    record(format!("{pin:?} {pin:#?}"), None);
    record(format!("{auth:?}"), None);
    if let Err(e) = auth.enrol(&pin, T0) {
        panic!("enrol: {e}");
    }
    for p in ["48159", WRONG, "123456"] {
        let e = auth.verify_pin(&pad(p), T0).err();
        record(format!("{e:?}"), e.map(|e| e.to_string()));
    }
    let e = auth.change_pin(&pin, &pad("111111"), T0).err();
    record(format!("{e:?}"), e.map(|e| e.to_string()));
    let e = auth.enrol(&pin, T0).err();
    record(format!("{e:?}"), e.map(|e| e.to_string()));
    let mut full = pad(GOOD);
    let e = full.press(3).err();
    record(format!("{e:?}"), e.map(|e| e.to_string()));
    record(format!("{:?}", auth.status(T0)), None);
    let payment = PaymentAuthorisation {
        payment_id: "p1".into(),
        merchant_key_id: "k1".into(),
        merchant_account: "acct".into(),
        amount_minor: 1,
        currency: Currency::THB,
        payload_sha256: [0; 32],
        time: T0,
    };
    let signed = auth.authorise(&pin, payment, T0);
    record(format!("{signed:?}"), None);
    // Reach the sealed blob and decrypted key types through the public API.
    let wrapped = store.load_sealed_key().ok().flatten().unwrap_or_default();
    let inner = keystore()
        .unwrap("scanpay.device-key.v1", &wrapped)
        .unwrap_or_default();
    let sealed = SealedKey::parse(&inner).map_err(|e| e.to_string());
    record(format!("{sealed:?}"), None);
    if let Ok(sealed) = sealed {
        let key = sealed.unseal(&pin);
        record(format!("{key:?}"), None);
        let e = sealed.unseal(&pad(WRONG)).err();
        record(format!("{e:?}"), e.map(|e| e.to_string()));
    }
    record(format!("{:?}", keystore()), None);
    record(format!("{store:?}"), None);
    // Lock out and disable to see those messages too.
    let mut now = T0;
    for _ in 0..10 {
        let r = auth.verify_pin(&pad(WRONG), now);
        record(format!("{r:?}"), r.clone().err().map(|e| e.to_string()));
        if let Err(AuthError::WrongPin { wait_secs, .. }) = r {
            if wait_secs > 0 {
                // Inside the wait the right PIN is not evaluated.
                let e = auth.verify_pin(&pin, now + wait_secs - 1).err();
                record(format!("{e:?}"), e.map(|e| e.to_string()));
            }
            now += wait_secs;
        }
    }
    let e = auth.verify_pin(&pin, now).err();
    assert_eq!(e, Some(AuthError::Disabled));
    record(format!("{e:?}"), e.map(|e| e.to_string()));

    let all = seen.join("\n");
    assert!(all.contains("LockedOut") && all.contains("WrongPin") && all.contains("PinPad"));
    for needle in [
        "481592",
        "4, 8, 1, 5, 9, 2",
        "52, 56, 49, 53, 57, 50",
        "4,8,1,5,9,2",
    ] {
        assert!(!all.contains(needle), "{needle:?} found in:\n{all}");
    }
}
