//! The pay code through the wallet's public API (issue 11): provisioning
//! behind the PIN, codes shown once, the offline limits, the screen-capture
//! guard, the event sync journalled once per seq, and a charge above the
//! no-PIN amount confirmed with the PIN.
//!
//! The backend is [`Issuer`], an in-process issuer built on the real
//! construction (`paycode::code::find`, Ed25519 verification of the
//! provisioning and confirmation signatures); the HTTPS sandbox version of
//! these paths is `tests/system/tests/paycode.rs`. Everything else (store,
//! authenticator, key store, clock-driven wallet) is the real thing.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use crate::payment_support::{pad, registry_doc, roots, TempDir, NAME, NOW, PIN, WRONG_PIN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{UnparsedPublicKey, ED25519};
use scanpay_core::auth::{verify_authorisation, AuthError, SoftwareKeyStore};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::paycode::{
    charge_descriptor, ChargeEvent, ChargeState, ConfirmRequest, EventsResponse, PaycodeLimits,
    ProvisionRequest, ProvisionResponse,
};
use scanpay_core::paycode::code::{accepted_steps, find, step_of, PayCode, PaycodeSecret};
use scanpay_core::paycode::{
    AuthMethod, ChargeOutcome, OfflineLimit, PaycodeBackend, PaycodeBlock, PaycodeError,
};
use scanpay_core::payment::{
    BackendError, Clock, PaycodeCurrencyLimits, VirtualClock, WalletConfig,
};
use scanpay_core::wallet::{Wallet, WalletOptions};

fn sgd(minor: u64) -> Money {
    Money::new(minor, Currency::SGD)
}

/// The issuer's books for one device.
#[derive(Default)]
struct Books {
    device_key: Vec<u8>,
    secret: Option<[u8; 32]>,
    generation: u32,
    /// Lowest counter still accepted.
    next: u64,
    events: Vec<ChargeEvent>,
    /// Answer every call with "not sent" (the phone is offline).
    offline: bool,
    events_calls: u32,
    /// Drop the answer of the next events call after building it (a lost
    /// answer: the wallet must ask again from its cursor).
    lose_next_events_answer: bool,
    charges: u32,
}

/// An in-process issuer on the real construction.
struct Issuer {
    books: Mutex<Books>,
    clock: Arc<VirtualClock>,
    limits: PaycodeLimits,
}

impl Issuer {
    fn new(clock: Arc<VirtualClock>) -> Issuer {
        Issuer {
            books: Mutex::new(Books::default()),
            clock,
            limits: PaycodeLimits {
                no_pin_max: sgd(3_000),
                offline_max_codes: 10,
                offline_max_total: sgd(30_000),
            },
        }
    }

    fn set_offline(&self, offline: bool) {
        self.books.lock().unwrap().offline = offline;
    }

    /// A till charges `digits` for `amount`: the charge id, or why not.
    fn charge(&self, digits: &str, amount: Money) -> Result<String, &'static str> {
        let mut b = self.books.lock().unwrap();
        let secret = PaycodeSecret::from_bytes(&b.secret.ok_or("not-provisioned")?).unwrap();
        let code = PayCode::parse(digits).map_err(|_| "code-unknown")?;
        let now = self.clock.now();
        let (counter, _) = find(
            &secret,
            &code,
            b.next..b.next + 50,
            accepted_steps(step_of(now)),
        )
        .ok_or("code-unknown")?;
        b.next = counter + 1;
        b.charges += 1;
        let charge_id = format!("chg_{}", b.charges);
        let pin = amount.minor > self.limits.no_pin_max.minor;
        let seq = b.events.len() as u64 + 1;
        let n = b.charges;
        b.events.push(ChargeEvent {
            seq,
            charge_id: charge_id.clone(),
            state: if pin {
                ChargeState::Userpaying
            } else {
                ChargeState::Paid
            },
            merchant_id: "M-1".into(),
            merchant_name: "Backend's name".into(),
            amount,
            receipt: (!pin).then(|| format!("R-{n}")),
            counter,
            at: now,
            expires_at: pin.then_some(now + 45),
        });
        Ok(charge_id)
    }

    fn push_after(&self, charge_id: &str, state: ChargeState) -> ChargeEvent {
        let mut b = self.books.lock().unwrap();
        let last = b
            .events
            .iter()
            .rev()
            .find(|e| e.charge_id == charge_id)
            .cloned()
            .unwrap();
        let seq = b.events.len() as u64 + 1;
        let e = ChargeEvent {
            seq,
            state,
            receipt: (state == ChargeState::Paid).then(|| format!("R-{charge_id}")),
            expires_at: None,
            at: self.clock.now(),
            ..last
        };
        b.events.push(e.clone());
        e
    }

    fn not_sent(&self) -> Result<(), BackendError> {
        if self.books.lock().unwrap().offline {
            return Err(BackendError::NotSent("offline".into()));
        }
        Ok(())
    }
}

impl PaycodeBackend for Issuer {
    fn provision(&self, req: &ProvisionRequest) -> Result<ProvisionResponse, BackendError> {
        self.not_sent()?;
        let key = URL_SAFE_NO_PAD.decode(&req.device_public_key).unwrap();
        let sig = URL_SAFE_NO_PAD.decode(&req.signature).unwrap();
        UnparsedPublicKey::new(&ED25519, &key)
            .verify(&ProvisionRequest::signed_bytes(req.time, &req.nonce), &sig)
            .map_err(|_| BackendError::Server {
                status: 403,
                message: "bad-device-signature: no".into(),
            })?;
        let mut b = self.books.lock().unwrap();
        let secret: [u8; 32] = std::array::from_fn(|i| i as u8 ^ (b.generation as u8 + 1));
        b.device_key = key;
        b.secret = Some(secret);
        b.generation += 1;
        b.next = 0;
        Ok(ProvisionResponse {
            secret: URL_SAFE_NO_PAD.encode(secret),
            generation: b.generation,
            counter: 0,
            window: 50,
            step_secs: 60,
            limits: self.limits.clone(),
            account_id: "acct-1".into(),
        })
    }

    fn events(&self, after: u64, _wait: u64) -> Result<EventsResponse, BackendError> {
        self.not_sent()?;
        let mut b = self.books.lock().unwrap();
        b.events_calls += 1;
        let resp = EventsResponse {
            events: b.events.iter().filter(|e| e.seq > after).cloned().collect(),
            has_more: false,
            counter_next: b.next,
            limits: self.limits.clone(),
            time: self.clock.now(),
        };
        if std::mem::take(&mut b.lose_next_events_answer) {
            return Err(BackendError::MaybeSent("answer lost".into()));
        }
        Ok(resp)
    }

    fn confirm(&self, charge_id: &str, req: &ConfirmRequest) -> Result<ChargeEvent, BackendError> {
        self.not_sent()?;
        let key = self.books.lock().unwrap().device_key.clone();
        verify_authorisation(&key, &req.authorisation).unwrap();
        let a = &req.authorisation.authorisation;
        let last = {
            let b = self.books.lock().unwrap();
            b.events
                .iter()
                .rev()
                .find(|e| e.charge_id == charge_id)
                .cloned()
                .unwrap()
        };
        assert_eq!(a.payment_id, charge_id);
        assert_eq!(a.merchant_key_id, "paycode");
        assert_eq!(a.merchant_account, last.merchant_id);
        assert_eq!(
            (a.amount_minor, a.currency),
            (last.amount.minor, last.amount.currency)
        );
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            &charge_descriptor(charge_id, &last.merchant_id, &last.amount),
        );
        assert_eq!(&a.payload_sha256[..], digest.as_ref());
        Ok(self.push_after(charge_id, ChargeState::Paid))
    }

    fn decline(&self, charge_id: &str) -> Result<ChargeEvent, BackendError> {
        self.not_sent()?;
        Ok(self.push_after(charge_id, ChargeState::Closed))
    }
}

struct Phone {
    dir: TempDir,
    config: WalletConfig,
    clock: Arc<VirtualClock>,
    keystore: Arc<SoftwareKeyStore>,
    issuer: Arc<Issuer>,
}

impl Phone {
    fn new() -> Phone {
        let clock = Arc::new(VirtualClock::at(NOW));
        Phone {
            dir: TempDir::new("paycode"),
            config: WalletConfig::default(),
            issuer: Arc::new(Issuer::new(Arc::clone(&clock))),
            clock,
            keystore: Arc::new(SoftwareKeyStore::from_key_bytes([7; 32])),
        }
    }

    /// Opens (or reopens, as after a crash) the wallet, with the issuer
    /// attached when `online`.
    fn open(&self, with_backend: bool) -> Wallet {
        let clock: Arc<dyn Clock> = self.clock.clone();
        let wallet = Wallet::open(WalletOptions {
            data_dir: self.dir.path().join("data"),
            roots: roots(),
            config: self.config.clone(),
            keystore: self.keystore.clone(),
            backend: Arc::new(crate::payment_support::SimBackend::new(Arc::clone(
                &self.clock,
            ))),
            clock,
        })
        .unwrap();
        if with_backend {
            wallet.set_paycode_backend(self.issuer.clone());
        }
        wallet
    }

    fn enrolled(&self) -> Wallet {
        let w = self.open(true);
        if !w.authenticator().is_enrolled().unwrap() {
            w.authenticator().enrol(&pad(PIN), NOW).unwrap();
        }
        w
    }

    fn now(&self) -> u64 {
        self.clock.now()
    }
}

#[test]
fn provisioning_needs_the_pin_and_a_wrong_pin_counts() {
    let phone = Phone::new();
    let offline = phone.open(false);
    offline.authenticator().enrol(&pad(PIN), NOW).unwrap();
    assert_eq!(
        offline.paycode_status(NOW).unwrap().blocked,
        Some(PaycodeBlock::NotProvisioned)
    );
    // Not provisioned and nobody to provision: refused before the PIN.
    assert_eq!(
        offline.open_paycode(&pad(PIN)).unwrap_err(),
        PaycodeError::NotProvisioned
    );
    assert_eq!(offline.authenticator().status(NOW).unwrap().failures, 0);
    drop(offline);

    let wallet = phone.enrolled();
    let err = wallet.open_paycode(&pad(WRONG_PIN)).unwrap_err();
    assert!(
        matches!(err, PaycodeError::Auth(AuthError::WrongPin { .. })),
        "{err:?}"
    );
    assert_eq!(wallet.authenticator().status(NOW).unwrap().failures, 1);
    assert!(!wallet.paycode_status(NOW).unwrap().provisioned);

    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    let st = wallet.paycode_status(NOW).unwrap();
    assert!(st.provisioned);
    assert_eq!(st.generation, Some(1));
    assert_eq!(st.blocked, None);
    // A correct PIN clears the count, exactly as a payment's would.
    assert_eq!(wallet.authenticator().status(NOW).unwrap().failures, 0);
    let shown = session.current(NOW).unwrap();
    assert_eq!(shown.digits.len(), 18);
    assert!(shown.digits.starts_with("39"));
    assert_eq!(
        PayCode::parse(&shown.cpm_text).unwrap().digits(),
        shown.digits
    );
    assert!(!shown.bars.is_empty());
    assert_eq!(shown.qr.size, 33);
    assert_eq!(shown.qr.modules.len(), 33 * 33);

    // The sealed secret needs the PIN: reopened, a wrong PIN opens nothing
    // and counts; the right one makes the next code of the same secret.
    drop(session);
    drop(wallet);
    let wallet = phone.enrolled();
    assert!(matches!(
        wallet.open_paycode(&pad(WRONG_PIN)).unwrap_err(),
        PaycodeError::Auth(AuthError::WrongPin { .. })
    ));
    assert_eq!(wallet.authenticator().status(NOW).unwrap().failures, 1);
    let again = wallet.open_paycode(&pad(PIN)).unwrap();
    assert_eq!(wallet.paycode_status(NOW).unwrap().generation, Some(1));
    let next = again.current(NOW).unwrap();
    assert_ne!(next.digits, shown.digits);
    assert_eq!(next.counter, shown.counter + 1);
    // The issuer accepts it: it is a code of the provisioned secret.
    phone.issuer.charge(&next.digits, sgd(100)).unwrap();
}

#[test]
fn a_code_is_shown_for_60_s_then_the_next_counter() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    let a = session.current(NOW).unwrap();
    assert_eq!(
        (a.issued_at, a.valid_until, a.refresh_in_secs),
        (NOW, NOW + 60, 60)
    );
    phone.clock.set(NOW + 59);
    let same = session.current(phone.now()).unwrap();
    assert_eq!(
        (same.digits.as_str(), same.refresh_in_secs),
        (a.digits.as_str(), 1)
    );
    phone.clock.set(NOW + 60);
    let b = session.current(phone.now()).unwrap();
    assert_ne!(b.digits, a.digits);
    assert_eq!(b.counter, a.counter + 1);
    // A clock set back before the issue time does not keep showing it.
    phone.clock.set(NOW + 10);
    let c = session.current(phone.now()).unwrap();
    assert_eq!(c.counter, b.counter + 1);
}

#[test]
fn counters_never_repeat_across_a_crash_and_reopen() {
    let phone = Phone::new();
    let mut seen = std::collections::HashSet::new();
    let mut counters = Vec::new();
    for round in 0..3 {
        // Each round is a process: the wallet is dropped mid-session,
        // without close(), as when the app is killed.
        let wallet = phone.enrolled();
        let session = wallet.open_paycode(&pad(PIN)).unwrap();
        let d = session.current(phone.now()).unwrap();
        assert!(
            seen.insert(d.digits.clone()),
            "round {round} repeated a code"
        );
        counters.push(d.counter);
        std::mem::forget(session);
        drop(wallet);
    }
    assert_eq!(counters, vec![0, 1, 2]);
}

#[test]
fn the_offline_limit_stops_new_codes_until_a_sync() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    phone.issuer.set_offline(true);
    // Defaults: SGD 30.00 per code, 300.00 in all, 10 codes: 10 codes fit.
    for i in 0..10 {
        phone.clock.set(NOW + 60 * i);
        session.current(phone.now()).unwrap();
    }
    phone.clock.set(NOW + 600);
    let err = session.current(phone.now()).unwrap_err();
    assert_eq!(
        err,
        PaycodeError::OfflineLimit(OfflineLimit::Codes {
            issued: 10,
            max: 10
        })
    );
    assert_eq!(
        wallet.paycode_status(phone.now()).unwrap().blocked,
        Some(PaycodeBlock::OfflineLimit(OfflineLimit::Codes {
            issued: 10,
            max: 10
        }))
    );
    // Back online, while the connectivity status still says offline (the
    // failed syncs were reported to it): the limit makes the wallet try a
    // sync anyway, and the code is shown.
    assert!(wallet.status().current().connectivity.is_offline());
    phone.issuer.set_offline(false);
    let d = session.current(phone.now()).unwrap();
    assert_eq!(d.counter, 10);
    let st = wallet.paycode_status(phone.now()).unwrap();
    assert_eq!(st.issued_since_sync, 1);
    assert_eq!(st.last_sync_at, Some(NOW + 600));
}

#[test]
fn a_captured_screen_gets_nothing_to_draw() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    let a = session.current(NOW).unwrap();
    assert!(a.displayable);
    session.set_screen_captured(true);
    let hidden = session.current(NOW + 1).unwrap();
    assert!(!hidden.displayable);
    assert!(hidden.digits.is_empty() && hidden.cpm_text.is_empty() && hidden.bars.is_empty());
    assert_eq!(hidden.qr.size, 0);
    assert!(hidden.qr.modules.is_empty());
    assert_eq!(hidden.counter, a.counter, "the same code, not drawn");
    session.set_screen_captured(false);
    assert_eq!(session.current(NOW + 2).unwrap().digits, a.digits);
    // Captured past the code's validity: no counter is spent on codes
    // nobody may see.
    session.set_screen_captured(true);
    for t in [NOW + 60, NOW + 120, NOW + 180] {
        let d = session.current(t).unwrap();
        assert!(!d.displayable && d.digits.is_empty());
        assert_eq!(d.refresh_in_secs, 1);
    }
    assert_eq!(wallet.paycode_status(NOW).unwrap().issued_since_sync, 1);
    session.set_screen_captured(false);
    let b = session.current(NOW + 181).unwrap();
    assert_eq!(b.counter, a.counter + 1);
    session.close();
    assert_eq!(session.current(NOW + 3).unwrap_err(), PaycodeError::Closed);
}

#[test]
fn a_used_code_is_replaced_and_the_sync_journals_each_event_once() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    wallet.apply_registry(&registry_doc()).unwrap();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    phone.issuer.set_offline(true);
    let a = session.current(NOW).unwrap();
    let charge = phone.issuer.charge(&a.digits, sgd(320)).unwrap();
    // Offline the wallet cannot know: the same code is still shown.
    assert_eq!(session.current(NOW + 1).unwrap().digits, a.digits);
    assert!(matches!(
        wallet.sync_paycode(0),
        Err(PaycodeError::Backend(_))
    ));
    phone.issuer.set_offline(false);

    // The answer is lost after the issuer built it: nothing was applied,
    // the cursor did not move, and the next sync gets the event again.
    phone.issuer.books.lock().unwrap().lose_next_events_answer = true;
    assert!(wallet.sync_paycode(0).is_err());
    assert!(wallet.paycode_history().unwrap().is_empty());
    let changed = wallet.sync_paycode(0).unwrap();
    assert_eq!(changed.len(), 1);
    let got = &changed[0];
    assert_eq!(got.charge.charge_id, charge);
    assert_eq!(got.charge.receipt.as_deref(), Some("R-1"));
    assert_eq!(got.method, AuthMethod::Code);
    // The registered name, not the event's.
    assert_eq!(
        (got.merchant.name.as_str(), got.merchant.registered),
        (NAME, true)
    );
    // A second sync, and a second wallet object on the same file, apply
    // nothing again.
    assert!(wallet.sync_paycode(0).unwrap().is_empty());
    let other = phone.enrolled();
    assert!(other.sync_paycode(0).unwrap().is_empty());
    assert_eq!(wallet.paycode_history().unwrap().len(), 1);

    // The code was used: the next call shows the next counter at once.
    let b = session.current(NOW + 2).unwrap();
    assert_ne!(b.digits, a.digits);
    assert_eq!(b.counter, a.counter + 1);
    // The reused code is refused by the issuer.
    assert_eq!(
        phone.issuer.charge(&a.digits, sgd(100)),
        Err("code-unknown")
    );
}

#[test]
fn a_charge_heard_while_making_the_next_code_still_reaches_the_apps_sync() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    let a = session.current(NOW).unwrap();
    let charge = phone.issuer.charge(&a.digits, sgd(320)).unwrap();
    // The code's minute is over: making the next one syncs first and so
    // journals the charge, before the app's long-poll asks.
    phone.clock.set(NOW + 60);
    let b = session.current(phone.now()).unwrap();
    assert_eq!(b.counter, a.counter + 1);
    assert_eq!(wallet.paycode_history().unwrap().len(), 1);
    // The app's sync still hears it, once.
    let heard = wallet.sync_paycode(0).unwrap();
    assert_eq!(
        heard
            .iter()
            .map(|c| c.charge.charge_id.as_str())
            .collect::<Vec<_>>(),
        [charge.as_str()]
    );
    assert!(wallet.sync_paycode(0).unwrap().is_empty());
}

#[test]
fn a_charge_above_the_no_pin_amount_waits_for_the_pin() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    let a = session.current(NOW).unwrap();
    let id = phone.issuer.charge(&a.digits, sgd(4_500)).unwrap();
    wallet.sync_paycode(0).unwrap();
    let pending = wallet.pending_charges().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].amount, sgd(4_500));
    assert_eq!(pending[0].expires_at, Some(NOW + 45));
    // No registry loaded: the event's name, marked as such.
    assert!(!pending[0].merchant.registered);
    assert_eq!(wallet.paycode_status(NOW).unwrap().pending_charges, 1);

    // A wrong PIN is a counted attempt and sends nothing.
    assert!(matches!(
        wallet.confirm_charge(&id, &pad(WRONG_PIN)).unwrap_err(),
        PaycodeError::Auth(AuthError::WrongPin { .. })
    ));
    assert_eq!(wallet.authenticator().status(NOW).unwrap().failures, 1);
    let outcome = wallet.confirm_charge(&id, &pad(PIN)).unwrap();
    assert_eq!(
        outcome,
        ChargeOutcome::Paid {
            receipt: Some(format!("R-{id}"))
        }
    );
    assert!(wallet.pending_charges().unwrap().is_empty());
    let h = wallet.paycode_history().unwrap();
    assert_eq!(h[0].method, AuthMethod::CodeAndPin);
    // The feed later brings the same events: applied once, state unchanged.
    wallet.sync_paycode(0).unwrap();
    let h = wallet.paycode_history().unwrap();
    assert_eq!((h.len(), h[0].charge.state), (1, ChargeState::Paid));
    assert!(matches!(
        wallet.confirm_charge(&id, &pad(PIN)).unwrap_err(),
        PaycodeError::NotPending { .. }
    ));

    // Declining needs no PIN and closes it.
    let b = session.current(NOW + 1).unwrap();
    let id2 = phone.issuer.charge(&b.digits, sgd(9_900)).unwrap();
    wallet.sync_paycode(0).unwrap();
    assert_eq!(wallet.decline_charge(&id2).unwrap(), ChargeOutcome::Closed);
}

#[test]
fn resetting_the_device_key_drops_the_pay_code() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    drop(wallet.open_paycode(&pad(PIN)).unwrap());
    assert!(wallet.paycode_status(NOW).unwrap().provisioned);
    wallet.authenticator().reset_device_key().unwrap();
    let st = wallet.paycode_status(NOW).unwrap();
    assert!(!st.provisioned);
    assert_eq!(st.blocked, Some(PaycodeBlock::NotEnrolled));
    // Re-enrolled, the next open provisions a new secret.
    wallet.authenticator().enrol(&pad(PIN), NOW).unwrap();
    let s = wallet.open_paycode(&pad(PIN)).unwrap();
    assert_eq!(wallet.paycode_status(NOW).unwrap().generation, Some(2));
    s.current(NOW).unwrap();
}

#[test]
fn the_stricter_limit_applies_and_the_worst_case_total_counts() {
    let mut phone = Phone::new();
    // The wallet allows more per code than the issuer (30.00) but less in
    // total (50.00): 30.00 per code, 50.00 in all.
    phone.config.paycode.limits = vec![PaycodeCurrencyLimits {
        currency: Currency::SGD,
        no_pin_max: 10_000,
        offline_max_total: 5_000,
    }];
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    phone.issuer.set_offline(true);
    let limits = wallet.paycode_status(NOW).unwrap().limits.unwrap();
    assert_eq!(
        (limits.no_pin_max, limits.offline_max_total),
        (sgd(3_000), sgd(5_000))
    );
    session.current(NOW).unwrap();
    // A second code could make 2 × 30.00 = 60.00 > 50.00.
    assert_eq!(
        session.current(NOW + 60).unwrap_err(),
        PaycodeError::OfflineLimit(OfflineLimit::Total {
            issued: 1,
            no_pin_max: sgd(3_000),
            max_total: sgd(5_000)
        })
    );
}

#[test]
fn a_pin_change_keeps_the_pay_code_and_the_old_pin_opens_nothing() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let first = wallet
        .open_paycode(&pad(PIN))
        .unwrap()
        .current(NOW)
        .unwrap();
    wallet
        .authenticator()
        .change_pin(&pad(PIN), &pad("631947"), NOW)
        .unwrap();
    assert!(matches!(
        wallet.open_paycode(&pad(PIN)).unwrap_err(),
        PaycodeError::Auth(AuthError::WrongPin { .. })
    ));
    let session = wallet.open_paycode(&pad("631947")).unwrap();
    // The same secret (no new provisioning), the next counter.
    assert_eq!(wallet.paycode_status(NOW).unwrap().generation, Some(1));
    let next = session.current(NOW).unwrap();
    assert_eq!(next.counter, first.counter + 1);
    phone.issuer.charge(&next.digits, sgd(100)).unwrap();
}

#[test]
fn lockout_is_respected_and_spends_nothing() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let mut last = None;
    for _ in 0..5 {
        last = Some(wallet.open_paycode(&pad(WRONG_PIN)).unwrap_err());
    }
    // The fifth failure imposes a wait; the correct PIN is not evaluated.
    assert!(
        matches!(last, Some(PaycodeError::Auth(AuthError::WrongPin { wait_secs, .. })) if wait_secs > 0),
        "{last:?}"
    );
    assert!(matches!(
        wallet.open_paycode(&pad(PIN)).unwrap_err(),
        PaycodeError::Auth(AuthError::LockedOut { .. })
    ));
    assert!(matches!(
        wallet.paycode_status(NOW).unwrap().blocked,
        Some(PaycodeBlock::PinLocked { .. })
    ));
    assert!(!wallet.paycode_status(NOW).unwrap().provisioned);
}

#[test]
fn codes_never_used_exhaust_the_window_and_opening_again_provisions_afresh() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    // Online, shown and never used: the issuer's floor stays at 0, so only
    // counters 0..50 (its window) are accepted.
    let mut last = None;
    for i in 0..50 {
        last = Some(session.current(NOW + 60 * i).unwrap());
    }
    assert_eq!(last.as_ref().unwrap().counter, 49);
    assert_eq!(
        session.current(NOW + 3000).unwrap_err(),
        PaycodeError::WindowExhausted
    );
    assert_eq!(
        wallet.paycode_status(NOW + 3000).unwrap().blocked,
        Some(PaycodeBlock::WindowExhausted)
    );
    // The 50th code is still good at the issuer.
    phone.clock.set(NOW + 60 * 49);
    phone
        .issuer
        .charge(&last.unwrap().digits, sgd(100))
        .unwrap();
    // Opening again with the PIN while the window is low provisions a new
    // secret, whose codes the issuer accepts.
    let fresh = wallet.open_paycode(&pad(PIN)).unwrap();
    assert_eq!(wallet.paycode_status(NOW).unwrap().generation, Some(2));
    let d = fresh.current(phone.now()).unwrap();
    assert_eq!(d.counter, 0);
    phone.issuer.charge(&d.digits, sgd(100)).unwrap();
    // The old session's secret is gone.
    assert_eq!(
        session.current(phone.now() + 60).unwrap_err(),
        PaycodeError::SecretReplaced
    );
}

#[test]
fn the_database_holds_neither_the_secret_nor_a_code() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    let shown = session.current(NOW).unwrap();
    drop(session);
    drop(wallet);
    let secret: [u8; 32] = std::array::from_fn(|i| i as u8 ^ 1);
    let data = phone.dir.path().join("data");
    for entry in std::fs::read_dir(&data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(32).any(|w| w == secret), "secret in a file");
        assert!(
            !bytes
                .windows(16)
                .any(|w| w == &shown.digits.as_bytes()[2..]),
            "a code's digits in a file"
        );
    }
}

#[test]
fn a_feed_with_a_gap_is_refused_whole() {
    let phone = Phone::new();
    let wallet = phone.enrolled();
    let session = wallet.open_paycode(&pad(PIN)).unwrap();
    // The phone offline while both codes are charged: no sync in between.
    phone.issuer.set_offline(true);
    let a = session.current(NOW).unwrap();
    phone.issuer.charge(&a.digits, sgd(100)).unwrap();
    let b = session.current(NOW + 60).unwrap();
    phone.issuer.charge(&b.digits, sgd(200)).unwrap();
    phone.issuer.set_offline(false);
    // The first event goes missing from the feed: seq 2 alone.
    let first = phone.issuer.books.lock().unwrap().events.remove(0);
    assert!(matches!(
        wallet.sync_paycode(0),
        Err(PaycodeError::BadAnswer(_))
    ));
    assert!(wallet.paycode_history().unwrap().is_empty());
    // Restored, both arrive, in order.
    phone.issuer.books.lock().unwrap().events.insert(0, first);
    assert_eq!(wallet.sync_paycode(0).unwrap().len(), 2);
}
