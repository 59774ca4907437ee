//! The shortcuts through the public API (issue 12, ADR 0022): opting in
//! with the PIN and a backend that holds the settings, a PIN-free payment in
//! two intents, a biometric one in three, every way back to the PIN (with
//! its typed reason), lapses, and an opt-out pushed when the backend is back.
//!
//! The settings go to [`Holder`], an in-process backend that verifies each
//! document with the real `verify_shortcuts` against the keys it registered
//! and the settings it holds; payments go to the simulated payment backend
//! of `payment_support`, and every journalled authorisation is verified here
//! with `verify_authorisation_with` as a backend would. The same paths over
//! TLS against the sandbox are `tests/system/tests/shortcuts.rs`.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use scanpay_core::auth::{
    verify_authorisation, verify_authorisation_with, verify_shortcuts, AuthError,
    AuthorisationError, BiometricAvailability, BiometricError, BiometricKey, PaymentAuthMethod,
    PinFreeLimits, RegisteredKeys, ShortcutSettings, ShortcutSigner, ShortcutsError,
    SignedShortcuts, SoftwareBiometricKey, SoftwareKeyStore, StoredRequestSigner,
};
use scanpay_core::money::Currency;
use scanpay_core::payment::{
    BackendError, Clock, FallbackReason, FlowState, Intent, PaymentFlow, PaymentRecord,
    PinFallback, PinFreeRefusal, Shortcut, ShortcutError, ShortcutLapse, ShortcutPushError,
    ShortcutRejection, ShortcutsBackend, DAILY_WINDOW_SECS,
};
use scanpay_core::store::ShortcutRow;
use scanpay_core::wallet::{Wallet, WalletOptions};

use crate::payment_support::{
    config, dynamic_code_at, new_payment, pad, roots, static_code, thb, App, TempDir, Tip, World,
    NOW, PIN, WRONG_PIN,
};

/// A day and a minute after [`NOW`]: a merchant paid at NOW is known.
const LATER: u64 = NOW + DAILY_WINDOW_SECS + 60;

const LIMITS: PinFreeLimits = PinFreeLimits {
    currency: Currency::THB,
    per_payment: 50_000,
    daily_total: 150_000,
    daily_count: 5,
};

/// What the backend holds for the device.
struct Books {
    device: Vec<u8>,
    request: Vec<u8>,
    held: Option<ShortcutSettings>,
    accepted: Vec<SignedShortcuts>,
    offline: bool,
    /// Holds what it accepts but the answer is lost on the way back.
    lose_answer: bool,
    /// Refuses every document's time (`bad-shortcuts`: the phone's clock
    /// is more than 300 s off).
    refuse_time: bool,
}

/// A settings backend on the real verification.
struct Holder {
    books: Mutex<Books>,
}

impl Holder {
    fn held(&self) -> Option<ShortcutSettings> {
        self.books.lock().unwrap().held.clone()
    }
    fn last(&self) -> Option<SignedShortcuts> {
        self.books.lock().unwrap().accepted.last().cloned()
    }
    fn accepted(&self) -> usize {
        self.books.lock().unwrap().accepted.len()
    }
    fn set_offline(&self, offline: bool) {
        self.books.lock().unwrap().offline = offline;
    }
    fn set_lose_answer(&self, lose: bool) {
        self.books.lock().unwrap().lose_answer = lose;
    }
    fn set_refuse_time(&self, refuse: bool) {
        self.books.lock().unwrap().refuse_time = refuse;
    }
    /// Changes what the backend holds behind the wallet's back (as after
    /// the wallet's database was restored from an older backup).
    fn tamper(&self, f: impl FnOnce(&mut ShortcutSettings)) {
        f(self.books.lock().unwrap().held.as_mut().unwrap());
    }
    /// The keys a payment backend verifies this device's payments with.
    fn verify(&self, rec: &PaymentRecord) -> Result<(), AuthorisationError> {
        let b = self.books.lock().unwrap();
        let biometric = b.held.as_ref().and_then(|h| h.biometric_public_key.clone());
        verify_authorisation_with(
            &RegisteredKeys {
                device: &b.device,
                request: Some(&b.request),
                biometric: biometric.as_deref(),
            },
            &rec.authorisation,
        )
    }
}

impl ShortcutsBackend for Holder {
    fn push_shortcuts(&self, signed: &SignedShortcuts) -> Result<u64, ShortcutPushError> {
        let mut b = self.books.lock().unwrap();
        if b.offline {
            return Err(BackendError::NotSent("offline".into()).into());
        }
        let keys = RegisteredKeys {
            device: &b.device,
            request: Some(&b.request),
            biometric: None,
        };
        verify_shortcuts(&keys, b.held.as_ref(), signed).map_err(|e| {
            let code = match e {
                ShortcutsError::Widens => "shortcuts-widen-without-pin",
                ShortcutsError::StaleVersion { .. } => "stale-shortcuts",
                _ => "bad-shortcuts",
            };
            ShortcutPushError::Rejected {
                reason: ShortcutRejection::from_code(code),
                message: e.to_string(),
            }
        })?;
        if b.refuse_time {
            return Err(ShortcutPushError::Rejected {
                reason: ShortcutRejection::from_code("bad-shortcuts"),
                message: "the settings' time is 900 s off the server's clock".into(),
            });
        }
        b.held = Some(signed.settings.clone());
        b.accepted.push(signed.clone());
        if b.lose_answer {
            return Err(BackendError::MaybeSent("answer lost".into()).into());
        }
        Ok(signed.settings.version)
    }
}

/// A wallet's parts on the simulated payment backend, registered with a
/// request key, its settings going to a [`Holder`].
struct Setup {
    w: World,
    app: App,
    holder: Arc<Holder>,
}

fn setup() -> Setup {
    let w = World::new(config());
    let app = w.open();
    let request = StoredRequestSigner::new(app.store.clone(), w.keystore.clone())
        .load_or_create()
        .unwrap();
    let holder = Arc::new(Holder {
        books: Mutex::new(Books {
            device: app.auth.device_public_key().unwrap().unwrap(),
            request: request.public_key().to_vec(),
            held: None,
            accepted: Vec::new(),
            offline: false,
            lose_answer: false,
            refuse_time: false,
        }),
    });
    app.shortcuts.set_backend(holder.clone());
    Setup { w, app, holder }
}

impl Setup {
    /// A PIN payment to the test merchant at NOW, then the clock a day on:
    /// the merchant is known.
    fn paid_a_day_ago(&self) {
        self.app
            .engine
            .pay(new_payment(&self.app, 1_000), &mut |_| {})
            .unwrap();
        self.w.clock.set(LATER);
    }

    fn pin_free_on(&self, limits: PinFreeLimits) {
        let st = self
            .app
            .shortcuts
            .enable_pin_free(&pad(PIN), limits)
            .unwrap();
        assert_eq!(st.pin_free, vec![limits]);
    }

    fn scan(&self, flow: &mut PaymentFlow, amount: &str, tip: Tip) -> FlowState {
        let code = dynamic_code_at(amount, tip, self.w.clock.now());
        flow.handle(Intent::ScannedText(code)).unwrap()
    }

    /// From ReviewMerchant or ConfirmAmount, confirms the shown total.
    fn confirm(&self, flow: &mut PaymentFlow) -> FlowState {
        let mut s = flow.state().clone();
        if let FlowState::ReviewMerchant { .. } = s {
            s = flow.handle(Intent::Proceed).unwrap();
        }
        let total = match &s {
            FlowState::ConfirmAmount { breakdown, .. }
            | FlowState::ConfirmPinFree { breakdown, .. } => breakdown.total,
            FlowState::EnterAmount {
                breakdown: Some(b), ..
            } => b.total,
            other => panic!("{other:?}"),
        };
        flow.handle(Intent::Confirm {
            displayed_total: total,
        })
        .unwrap()
    }

    fn finish(&self, flow: &mut PaymentFlow) -> PaymentRecord {
        let end = flow.process(&mut |_| {}).unwrap();
        assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
        self.app
            .engine
            .payment(flow.payment_id().unwrap())
            .unwrap()
            .unwrap()
    }
}

fn fallback_of(s: &FlowState) -> Option<PinFallback> {
    match s {
        FlowState::EnterPin { fallback, .. } => fallback.clone(),
        other => panic!("not the PIN pad: {other:?}"),
    }
}

fn pin_free_refused(r: PinFreeRefusal) -> Option<PinFallback> {
    Some(PinFallback {
        shortcut: Shortcut::PinFree {
            currency: Currency::THB,
        },
        reason: FallbackReason::PinFreeRefused(r),
    })
}

#[test]
fn pin_free_opt_in_needs_the_pin_the_caps_and_the_backend() {
    let s = setup();
    let sc = &s.app.shortcuts;
    let over = PinFreeLimits {
        per_payment: 150_001,
        ..LIMITS
    };
    assert_eq!(
        sc.enable_pin_free(&pad(PIN), over),
        Err(ShortcutError::OverCap {
            field: "per_payment",
            cap: 150_000
        })
    );
    let jpy = PinFreeLimits {
        currency: Currency::JPY,
        ..LIMITS
    };
    assert_eq!(
        sc.enable_pin_free(&pad(PIN), jpy),
        Err(ShortcutError::PinFreeNotOffered(Currency::JPY))
    );
    // Refused before the PIN: nothing counted, nothing sent.
    assert_eq!(s.app.auth.status(NOW).unwrap().failures, 0);
    assert!(matches!(
        sc.enable_pin_free(&pad(WRONG_PIN), LIMITS),
        Err(ShortcutError::Auth(AuthError::WrongPin { .. }))
    ));
    s.holder.set_offline(true);
    assert!(matches!(
        sc.enable_pin_free(&pad(PIN), LIMITS),
        Err(ShortcutError::Push(ShortcutPushError::Transport(_)))
    ));
    // Neither a wrong PIN nor an opt-in the backend never heard of is on.
    assert!(sc.status().unwrap().pin_free.is_empty());
    assert_eq!(s.holder.accepted(), 0);
    s.holder.set_offline(false);
    s.pin_free_on(LIMITS);
    let held = s.holder.last().unwrap();
    assert_eq!(held.signer, ShortcutSigner::DeviceKey);
    assert_eq!(held.settings.pin_free, vec![LIMITS]);
    // The lost answer's version is never signed again.
    assert!(held.settings.version >= 2, "{:?}", held.settings);
    assert_eq!(
        sc.status().unwrap().held_version,
        Some(held.settings.version)
    );
}

#[test]
fn a_dynamic_code_under_the_pin_free_amount_is_scan_plus_one_tap() {
    let s = setup();
    s.pin_free_on(LIMITS);
    s.paid_a_day_ago();
    let mut flow = s.app.flow();
    let shown = s.scan(&mut flow, "120.00", Tip::None);
    let FlowState::ConfirmPinFree {
        review,
        breakdown,
        limits,
    } = &shown
    else {
        panic!("{shown:?}")
    };
    assert_eq!(review.registered_name.as_deref(), Some("ALICE CAFE"));
    assert_eq!((breakdown.total, *limits), (thb(12_000), LIMITS));
    let s2 = s.confirm(&mut flow);
    assert!(matches!(s2, FlowState::Processing { .. }), "{s2:?}");
    let rec = s.finish(&mut flow);
    assert_eq!(rec.method(), PaymentAuthMethod::PinFree);
    // The request key signed under the PIN-free domain: a backend holding the
    // request key accepts it, one that takes only PIN payments does not.
    assert_eq!(s.holder.verify(&rec), Ok(()));
    let device = s.app.auth.device_public_key().unwrap().unwrap();
    assert_eq!(
        verify_authorisation(&device, &rec.authorisation),
        Err(AuthorisationError::NoKeyForMethod(
            PaymentAuthMethod::PinFree
        ))
    );
    // No PIN attempt was made.
    assert_eq!(s.app.auth.status(LATER).unwrap().failures, 0);
    // Tap again with another total than shown: refused, nothing paid.
    let mut flow = s.app.flow();
    s.scan(&mut flow, "10.00", Tip::None);
    assert!(flow
        .handle(Intent::Confirm {
            displayed_total: thb(1_001)
        })
        .is_err());
    assert!(matches!(flow.state(), FlowState::ConfirmPinFree { .. }));
    // UsePin goes to the pad, saying the payer chose it.
    let pinpad = flow.handle(Intent::UsePin).unwrap();
    assert_eq!(
        fallback_of(&pinpad).map(|f| f.reason),
        Some(FallbackReason::PayerChose)
    );
}

#[test]
fn each_pin_free_rule_refuses_locally_and_the_pin_pad_names_it() {
    let s = setup();
    s.pin_free_on(PinFreeLimits {
        daily_count: 1,
        ..LIMITS
    });
    // A merchant never paid: the usual review, then the PIN with the rule.
    let mut flow = s.app.flow();
    assert!(matches!(
        s.scan(&mut flow, "10.00", Tip::None),
        FlowState::ReviewMerchant { .. }
    ));
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        pin_free_refused(PinFreeRefusal::NewMerchant)
    );
    s.paid_a_day_ago();
    // Over the per-payment limit.
    let mut flow = s.app.flow();
    s.scan(&mut flow, "500.01", Tip::None);
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        pin_free_refused(PinFreeRefusal::OverPerPayment { limit: thb(50_000) })
    );
    // A code that asks for a tip is not offered straight away; a typed tip
    // refuses.
    let mut flow = s.app.flow();
    s.scan(&mut flow, "10.00", Tip::Prompt);
    flow.handle(Intent::Proceed).unwrap();
    flow.handle(Intent::EditTip("1.00".into())).unwrap();
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        pin_free_refused(PinFreeRefusal::TipEntered)
    );
    // A static code: the payer types the amount.
    let mut flow = s.app.flow();
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    flow.handle(Intent::EditAmount("10.00".into())).unwrap();
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        pin_free_refused(PinFreeRefusal::StaticCode)
    );
    // A PIN lockout since the last correct PIN: still refused after the wait.
    for _ in 0..5 {
        let _ = s.app.auth.verify_pin(&pad(WRONG_PIN), LATER);
    }
    s.w.clock.set(LATER + 3_600);
    let mut flow = s.app.flow();
    s.scan(&mut flow, "10.00", Tip::None);
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        pin_free_refused(PinFreeRefusal::PinLockout)
    );
    // The correct PIN on that pad pays and clears the lockout...
    for d in PIN.bytes() {
        flow.handle(Intent::PinDigit(d - b'0')).unwrap();
    }
    let rec = s.finish(&mut flow);
    assert_eq!(rec.method(), PaymentAuthMethod::Pin);
    // ...so the next one is one tap; the one after is over the daily count.
    let mut flow = s.app.flow();
    assert!(matches!(
        s.scan(&mut flow, "10.00", Tip::None),
        FlowState::ConfirmPinFree { .. }
    ));
    s.confirm(&mut flow);
    assert_eq!(s.finish(&mut flow).method(), PaymentAuthMethod::PinFree);
    let mut flow = s.app.flow();
    assert!(matches!(
        s.scan(&mut flow, "10.00", Tip::None),
        FlowState::ReviewMerchant { .. }
    ));
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        pin_free_refused(PinFreeRefusal::OverDailyCount { limit: 1 })
    );
}

fn biometric_on(s: &Setup) -> Arc<SoftwareBiometricKey> {
    let key = Arc::new(SoftwareBiometricKey::new());
    let st = s
        .app
        .shortcuts
        .enable_biometric(&pad(PIN), key.clone())
        .unwrap();
    assert!(st.biometric);
    // The returned status already sees the key it attached.
    assert_eq!(
        st.biometric_availability,
        Some(scanpay_core::auth::BiometricAvailability::Available)
    );
    key
}

#[test]
fn a_biometric_payment_is_scan_confirm_touch_and_verified() {
    let s = setup();
    // Opt-in refused while the platform cannot check a biometric.
    let key = Arc::new(SoftwareBiometricKey::new());
    key.set_availability(BiometricAvailability::NotEnrolled);
    assert_eq!(
        s.app.shortcuts.enable_biometric(&pad(PIN), key.clone()),
        Err(ShortcutError::BiometricUnavailable(
            BiometricAvailability::NotEnrolled
        ))
    );
    let key = biometric_on(&s);
    let held = s.holder.held().unwrap();
    assert_eq!(held.biometric_public_key.as_ref().map(Vec::len), Some(65));
    assert_eq!(
        s.app.shortcuts.enable_biometric(&pad(PIN), key.clone()),
        Err(ShortcutError::AlreadyOn(Shortcut::Biometric))
    );
    let mut flow = s.app.flow();
    // A verified dynamic code skips the review: scan, confirm, touch.
    assert!(matches!(
        s.scan(&mut flow, "25.00", Tip::None),
        FlowState::ConfirmAmount { .. }
    ));
    let st = s.confirm(&mut flow);
    assert!(
        matches!(st, FlowState::ConfirmBiometric { problem: None, .. }),
        "{st:?}"
    );
    let st = flow.handle(Intent::AuthenticateBiometric).unwrap();
    assert!(matches!(st, FlowState::Processing { .. }), "{st:?}");
    let rec = s.finish(&mut flow);
    assert_eq!(rec.method(), PaymentAuthMethod::Biometric);
    assert_eq!(s.holder.verify(&rec), Ok(()));
    assert!(rec.authorisation.signature.len() <= 72);
    // No PIN was tried.
    assert_eq!(s.app.auth.status(NOW).unwrap().failures, 0);
    drop(key);
}

#[test]
fn every_biometric_outcome_falls_back_to_the_pin_or_stays_to_retry() {
    let s = setup();
    let key = biometric_on(&s);
    let to_prompt = |s: &Setup| {
        let mut flow = s.app.flow();
        s.scan(&mut flow, "25.00", Tip::None);
        let st = s.confirm(&mut flow);
        assert!(matches!(st, FlowState::ConfirmBiometric { .. }), "{st:?}");
        flow
    };
    let bio = |reason| {
        Some(PinFallback {
            shortcut: Shortcut::Biometric,
            reason,
        })
    };
    // Cancelled: stays, with the problem shown; then the payer picks the PIN.
    let mut flow = to_prompt(&s);
    key.fail_next(BiometricError::Cancelled);
    let st = flow.handle(Intent::AuthenticateBiometric).unwrap();
    assert!(
        matches!(
            st,
            FlowState::ConfirmBiometric {
                problem: Some(BiometricError::Cancelled),
                ..
            }
        ),
        "{st:?}"
    );
    let st = flow.handle(Intent::UsePin).unwrap();
    assert_eq!(fallback_of(&st), bio(FallbackReason::PayerChose));
    // The platform's lockout: the PIN, biometric stays on.
    let mut flow = to_prompt(&s);
    key.fail_next(BiometricError::LockedOut);
    let st = flow.handle(Intent::AuthenticateBiometric).unwrap();
    assert_eq!(
        fallback_of(&st),
        bio(FallbackReason::Biometric(BiometricError::LockedOut))
    );
    assert!(s.app.shortcuts.status().unwrap().biometric);
    // Not enrolled any more: straight to the PIN at confirm.
    key.set_availability(BiometricAvailability::NotEnrolled);
    let mut flow = s.app.flow();
    s.scan(&mut flow, "25.00", Tip::None);
    assert_eq!(
        fallback_of(&s.confirm(&mut flow)),
        bio(FallbackReason::BiometricUnavailable(
            BiometricAvailability::NotEnrolled
        ))
    );
    key.set_availability(BiometricAvailability::Available);
    // A signature by another key than the one recorded: never journalled,
    // biometric confirmation lapses.
    let mut flow = to_prompt(&s);
    key.create_key().unwrap();
    let st = flow.handle(Intent::AuthenticateBiometric).unwrap();
    assert_eq!(fallback_of(&st), bio(FallbackReason::BadSignature));
    assert_eq!(flow.payment_id(), None);
    let status = s.app.shortcuts.status().unwrap();
    assert!(!status.biometric);
    assert_eq!(status.lapses[0].reason, ShortcutLapse::BadSignature);
    assert!(status.push_pending);
    // The narrowing goes out signed by the request key, without the PIN.
    let status = s.app.shortcuts.push().unwrap();
    assert!(!status.push_pending);
    let last = s.holder.last().unwrap();
    assert_eq!(last.signer, ShortcutSigner::RequestKey);
    assert_eq!(last.settings.biometric_public_key, None);
    // With biometric off the next payment is the plain PIN path.
    let mut flow = s.app.flow();
    assert!(matches!(
        s.scan(&mut flow, "25.00", Tip::None),
        FlowState::ReviewMerchant { .. }
    ));
    assert_eq!(fallback_of(&s.confirm(&mut flow)), None);
}

#[test]
fn a_new_enrolment_invalidates_the_key_and_biometric_lapses() {
    let s = setup();
    let key = biometric_on(&s);
    let mut flow = s.app.flow();
    s.scan(&mut flow, "25.00", Tip::None);
    s.confirm(&mut flow);
    key.invalidate();
    let st = flow.handle(Intent::AuthenticateBiometric).unwrap();
    assert_eq!(
        fallback_of(&st),
        Some(PinFallback {
            shortcut: Shortcut::Biometric,
            reason: FallbackReason::Biometric(BiometricError::KeyInvalidated),
        })
    );
    let status = s.app.shortcuts.status().unwrap();
    assert!(!status.biometric);
    assert_eq!(
        (status.lapses[0].shortcut, status.lapses[0].reason),
        (Shortcut::Biometric, ShortcutLapse::KeyInvalidated)
    );
    // The PIN pays this very payment.
    for d in PIN.bytes() {
        flow.handle(Intent::PinDigit(d - b'0')).unwrap();
    }
    assert_eq!(s.finish(&mut flow).method(), PaymentAuthMethod::Pin);
    // Opting in again clears the lapse.
    let again = Arc::new(SoftwareBiometricKey::new());
    let status = s.app.shortcuts.enable_biometric(&pad(PIN), again).unwrap();
    assert!(status.biometric && status.lapses.is_empty());
}

#[test]
fn opting_out_applies_at_once_and_is_pushed_when_the_backend_is_back() {
    let s = setup();
    s.pin_free_on(LIMITS);
    s.paid_a_day_ago();
    s.holder.set_offline(true);
    let status = s.app.shortcuts.disable_pin_free(Currency::THB).unwrap();
    assert!(status.pin_free.is_empty());
    assert!(status.push_pending);
    assert_eq!(
        status.lapses[0].reason,
        ShortcutLapse::OptedOut,
        "{status:?}"
    );
    // Off in the wallet although the backend still holds it on.
    assert_eq!(s.holder.held().unwrap().pin_free, vec![LIMITS]);
    let mut flow = s.app.flow();
    assert!(matches!(
        s.scan(&mut flow, "10.00", Tip::None),
        FlowState::ReviewMerchant { .. }
    ));
    assert_eq!(fallback_of(&s.confirm(&mut flow)), None);
    assert!(matches!(
        s.app.shortcuts.push(),
        Err(ShortcutError::Push(ShortcutPushError::Transport(_)))
    ));
    assert!(s.app.shortcuts.status().unwrap().push_pending);
    s.holder.set_offline(false);
    assert!(!s.app.shortcuts.push().unwrap().push_pending);
    let last = s.holder.last().unwrap();
    assert_eq!(last.signer, ShortcutSigner::RequestKey);
    assert!(last.settings.pin_free.is_empty());
}

#[test]
fn a_narrowing_refused_for_its_time_stays_pending_until_accepted() {
    let s = setup();
    s.pin_free_on(LIMITS);
    s.holder.set_refuse_time(true);
    let status = s.app.shortcuts.disable_pin_free(Currency::THB).unwrap();
    assert!(status.pin_free.is_empty());
    assert!(status.push_pending, "refused, so not told: {status:?}");
    assert_eq!(s.holder.held().unwrap().pin_free, vec![LIMITS]);
    assert!(matches!(
        s.app.shortcuts.push(),
        Err(ShortcutError::Push(ShortcutPushError::Rejected {
            reason: ShortcutRejection::BadShortcuts,
            ..
        }))
    ));
    assert!(s.app.shortcuts.status().unwrap().push_pending);
    // The clock is right again: the next push signs a fresh time.
    s.holder.set_refuse_time(false);
    assert!(!s.app.shortcuts.push().unwrap().push_pending);
    assert!(s.holder.held().unwrap().pin_free.is_empty());
}

#[test]
fn a_narrowing_refused_as_stale_is_retried_above_the_held_version() {
    let s = setup();
    s.pin_free_on(LIMITS);
    // The backend holds a version the wallet never saw signed.
    s.holder.tamper(|h| h.version += 7);
    let held = s.holder.held().unwrap().version;
    let status = s.app.shortcuts.disable_pin_free(Currency::THB).unwrap();
    assert!(!status.push_pending, "{status:?}");
    let now = s.holder.held().unwrap();
    assert!(now.pin_free.is_empty());
    assert_eq!(
        now.version,
        held + 1,
        "just above the version the 409 named"
    );
    assert_eq!(status.held_version, Some(held + 1));
}

#[test]
fn a_narrowing_after_a_lost_opt_in_answer_narrows_both_candidates() {
    let s = setup();
    s.pin_free_on(LIMITS);
    let _key = biometric_on(&s);
    // Lower limits, signed with the PIN; the backend holds them but the
    // answer is lost, so the wallet still applies (and believes held) the
    // old ones.
    let lower = PinFreeLimits {
        per_payment: 20_000,
        ..LIMITS
    };
    s.holder.set_lose_answer(true);
    assert!(matches!(
        s.app.shortcuts.enable_pin_free(&pad(PIN), lower),
        Err(ShortcutError::Push(ShortcutPushError::Transport(_)))
    ));
    s.holder.set_lose_answer(false);
    assert_eq!(s.holder.held().unwrap().pin_free, vec![lower]);
    let status = s.app.shortcuts.disable_biometric().unwrap();
    assert!(!status.push_pending, "{status:?}");
    let held = s.holder.held().unwrap();
    assert!(!held.biometric_on());
    assert_eq!(held.pin_free, vec![lower]);
    // The wallet applies what the backend now holds.
    assert_eq!(status.pin_free, vec![lower]);
    assert_eq!(s.holder.last().unwrap().signer, ShortcutSigner::RequestKey);
}

#[test]
fn a_narrowing_refused_as_widening_falls_back_to_all_off() {
    let s = setup();
    s.pin_free_on(LIMITS);
    let _key = biometric_on(&s);
    // What the backend holds is not what the wallet recorded: the wallet's
    // narrowing would raise a limit there.
    s.holder.tamper(|h| h.pin_free[0].daily_count = 1);
    let status = s.app.shortcuts.disable_biometric().unwrap();
    assert!(!status.push_pending, "{status:?}");
    let held = s.holder.held().unwrap();
    assert!(!held.biometric_on() && held.pin_free.is_empty(), "{held:?}");
    // Everything lapsed in the wallet too, so it applies no more than held.
    assert!(!status.biometric && status.pin_free.is_empty());
    assert!(status.lapses.iter().any(|l| l.shortcut
        == Shortcut::PinFree {
            currency: Currency::THB
        }));
}

#[test]
fn a_pin_change_lapses_every_shortcut_through_the_wallet() {
    let dir = TempDir::new("shortcuts-wallet");
    let world = World::new(config());
    let keystore = Arc::new(SoftwareKeyStore::from_key_bytes([9; 32]));
    let wallet = Wallet::open(WalletOptions {
        data_dir: PathBuf::from(dir.path()),
        roots: roots(),
        config: config(),
        keystore: keystore.clone(),
        backend: world.sim.clone(),
        clock: world.clock.clone(),
    })
    .unwrap();
    let device = wallet.authenticator().enrol(&pad(PIN), NOW).unwrap();
    let request = StoredRequestSigner::new(wallet.store().clone(), keystore)
        .load_or_create()
        .unwrap();
    let holder = Arc::new(Holder {
        books: Mutex::new(Books {
            device,
            request: request.public_key().to_vec(),
            held: None,
            accepted: Vec::new(),
            offline: false,
            lose_answer: false,
            refuse_time: false,
        }),
    });
    wallet.set_shortcuts_backend(holder.clone());
    wallet.enable_pin_free(&pad(PIN), LIMITS).unwrap();
    let key = Arc::new(SoftwareBiometricKey::new());
    wallet.enable_biometric(&pad(PIN), key).unwrap();
    let before = wallet.shortcut_status().unwrap();
    assert!(before.biometric && before.pin_free == vec![LIMITS]);
    // A wrong old PIN changes nothing.
    assert!(matches!(
        wallet.change_pin(&pad(WRONG_PIN), &pad("731946")),
        Err(ShortcutError::Auth(AuthError::WrongPin { .. }))
    ));
    assert!(wallet.shortcut_status().unwrap().biometric);
    let after = wallet.change_pin(&pad(PIN), &pad("731946")).unwrap();
    assert!(!after.biometric && after.pin_free.is_empty());
    assert!(!after.push_pending, "pushed at once: {after:?}");
    let mut lapsed: Vec<_> = after
        .lapses
        .iter()
        .map(|l| (l.shortcut, l.reason))
        .collect();
    lapsed.sort_by_key(|(s, _)| s.code());
    assert_eq!(
        lapsed,
        vec![
            (Shortcut::Biometric, ShortcutLapse::PinChanged),
            (
                Shortcut::PinFree {
                    currency: Currency::THB
                },
                ShortcutLapse::PinChanged
            ),
        ]
    );
    let held = holder.held().unwrap();
    assert!(!held.biometric_on() && held.pin_free.is_empty());
    assert_eq!(holder.last().unwrap().signer, ShortcutSigner::RequestKey);
}

#[test]
fn a_changed_pin_is_reported_changed_even_when_the_shortcuts_cannot_lapse() {
    let dir = TempDir::new("shortcuts-pin-change");
    let world = World::new(config());
    let wallet = Wallet::open(WalletOptions {
        data_dir: PathBuf::from(dir.path()),
        roots: roots(),
        config: config(),
        keystore: Arc::new(SoftwareKeyStore::from_key_bytes([9; 32])),
        backend: world.sim.clone(),
        clock: world.clock.clone(),
    })
    .unwrap();
    wallet.authenticator().enrol(&pad(PIN), NOW).unwrap();
    // The shortcut state cannot be read: recording the lapse fails after
    // the PIN already changed.
    wallet
        .store()
        .save_shortcuts(&ShortcutRow {
            current: "damaged".into(),
            held: None,
            lapses: "[]".into(),
            push_pending: false,
            version_high: 0,
            pin_epoch: None,
            updated_at: NOW,
        })
        .unwrap();
    assert!(matches!(
        wallet.shortcut_status(),
        Err(ShortcutError::Damaged(_))
    ));
    let status = wallet
        .change_pin(&pad(PIN), &pad("731946"))
        .expect("the PIN changed, so the call must say so");
    // Nothing is known to have reached the backend, and nothing is on.
    assert!(status.push_pending && !status.biometric && status.pin_free.is_empty());
    // The new PIN is the PIN: the payer is not sent back to the old one.
    wallet
        .authenticator()
        .verify_pin(&pad("731946"), NOW)
        .unwrap();
    assert!(matches!(
        wallet.authenticator().verify_pin(&pad(PIN), NOW),
        Err(AuthError::WrongPin { .. })
    ));
}

#[test]
fn a_pin_changed_past_the_wallet_lapses_the_shortcuts_at_their_next_use() {
    let s = setup();
    s.pin_free_on(LIMITS);
    s.paid_a_day_ago();
    let key = biometric_on(&s);
    // The PIN changed through the authenticator alone, not the wallet.
    s.app
        .auth
        .change_pin(&pad(PIN), &pad("731946"), LATER)
        .unwrap();
    let mut flow = s.app.flow();
    assert!(matches!(
        s.scan(&mut flow, "10.00", Tip::None),
        FlowState::ReviewMerchant { .. }
    ));
    assert_eq!(fallback_of(&s.confirm(&mut flow)), None);
    let status = s.app.shortcuts.status().unwrap();
    assert!(!status.biometric && status.pin_free.is_empty());
    assert!(status
        .lapses
        .iter()
        .all(|l| l.reason == ShortcutLapse::PinChanged));
    assert_eq!(status.lapses.len(), 2);
    assert!(status.push_pending);
    assert!(!s.app.shortcuts.push().unwrap().push_pending);
    // Opting in again with the new PIN counts under it.
    let on = s
        .app
        .shortcuts
        .enable_pin_free(&pad("731946"), LIMITS)
        .unwrap();
    assert_eq!(on.pin_free, vec![LIMITS]);
    assert!(on.lapses.iter().all(|l| l.shortcut == Shortcut::Biometric));
    drop(key);
}
