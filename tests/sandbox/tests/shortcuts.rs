//! Shortcuts on the backend over real HTTPS (issue 12, ADR 0022, `docs/api.md`
//! "Authorisation methods", "PIN-free rules" and `POST /v1/devices/shortcuts`):
//! the settings document (opt-in with the PIN, narrowing without it, stale
//! versions, caps), the PIN-free rules the sandbox enforces on its own ledger
//! whatever the wallet says, biometric payments verified with the registered
//! key only, and the domain separation between the three methods.
//!
//! Every case here is an attack-corpus case for the shortcuts
//! (`docs/testing.md`, "shortcuts"): a wallet that lies, or someone holding an
//! unlocked phone, tries to pay without the PIN where the payer did not allow
//! it, and must get `pin-required` (nothing charged) or 401.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use scanpay_core::auth::{
    BiometricKey as _, BiometricPromptText, PaymentAuthMethod, PaymentAuthorisation, PinFreeLimits,
    RequestKey, ShortcutSettings, ShortcutSigner, SignedAuthorisation, SignedShortcuts,
    SoftwareBiometricKey,
};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::{
    CreateOrderResponse, Fault, FaultKind, PaymentRequestBody, ServerPaymentState,
};
use scanpay_core::payload::mpm::MerchantPayload;
use scanpay_core::payment::{AmountBreakdown, BackendReply};
use scanpay_core::trust::issue::{random_nonce, sign_payload};
use scanpay_core::trust::signed_qr::DynamicInfo;
use scanpay_core::trust::TrustStore;
use scanpay_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SandboxData};
use support::*;

const PATH: &str = "/v1/devices/shortcuts";
const DAY: u64 = 86_400;

fn sgd(per_payment: u64, daily_total: u64, daily_count: u32) -> PinFreeLimits {
    PinFreeLimits {
        currency: Currency::SGD,
        per_payment,
        daily_total,
        daily_count,
    }
}

fn settings(version: u64, bio: Option<Vec<u8>>, pin_free: Vec<PinFreeLimits>) -> ShortcutSettings {
    ShortcutSettings {
        version,
        time: wall_now(),
        biometric_public_key: bio,
        pin_free,
    }
}

/// Something that signs like a device key: the test wallets' `DeviceKey`,
/// or a raw Ed25519 pair (for a device whose key is also its request key).
trait DeviceSigner {
    fn public(&self) -> Vec<u8>;
    fn sign_bytes(&self, message: &[u8]) -> Vec<u8>;
}

impl DeviceSigner for scanpay_core::auth::DeviceKey {
    fn public(&self) -> Vec<u8> {
        self.public_key().to_vec()
    }
    fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        self.sign(message).unwrap()
    }
}

impl DeviceSigner for Ed25519KeyPair {
    fn public(&self) -> Vec<u8> {
        self.public_key().as_ref().to_vec()
    }
    fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        self.sign(message).as_ref().to_vec()
    }
}

/// The settings signed by the device key (what the PIN opens).
fn pin_signed(key: &dyn DeviceSigner, s: ShortcutSettings) -> SignedShortcuts {
    let pk = key.public();
    let signature = key.sign_bytes(&s.signed_bytes(&pk));
    SignedShortcuts {
        settings: s,
        device_public_key: pk,
        signer: ShortcutSigner::DeviceKey,
        signature,
    }
}

/// The settings signed by the wallet's request key (no PIN).
fn request_signed(w: &Wallet, s: ShortcutSettings) -> SignedShortcuts {
    request_key(w.request_seed)
        .sign_shortcuts(s, w.key.public_key())
        .unwrap()
}

fn post(c: &mut Client, doc: &SignedShortcuts) -> (u16, String) {
    let r = c.post(PATH, doc).unwrap();
    if r.status == 200 {
        let v: serde_json::Value = r.json();
        assert_eq!(v["version"], doc.settings.version);
        (200, String::new())
    } else {
        (r.status, r.error_code())
    }
}

fn held(sb: &RunningSandbox, w: &Wallet) -> Option<ShortcutSettings> {
    sb.data().shortcuts(&w.enrolment.device_id).unwrap()
}

fn order(c: &mut Client, merchant: &str, minor: u64) -> String {
    let r = c
        .post(
            "/v1/merchant/orders",
            &serde_json::json!({"merchant_id": merchant,
                "amount": {"minor": minor, "currency": "SGD"}, "reference": "SC-1"}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json::<CreateOrderResponse>().payload
}

/// A request body for `auth` signed as `signed`, with `tip` on top of the
/// authorisation's amount... the authorisation signs the total.
fn request(
    signed: SignedAuthorisation,
    payload: &str,
    amount: Money,
    tip: Money,
) -> PaymentRequestBody {
    let zero = Money::zero(amount.currency);
    PaymentRequestBody {
        payment_id: signed.authorisation.payment_id.clone(),
        authorisation: signed,
        payload: payload.to_string(),
        breakdown: AmountBreakdown {
            amount,
            tip,
            fee: zero,
            total: amount.checked_add(tip).unwrap(),
        },
    }
}

/// What the wallet signs for `payload`, also for a code that does not
/// verify (key id from the code's signature info, account by the rule).
fn terms(
    store: &TrustStore,
    id: &str,
    payload: &str,
    total: Money,
    time: u64,
    verify_at: u64,
) -> PaymentAuthorisation {
    let parsed = MerchantPayload::parse(payload).unwrap();
    // Verified at the sandbox's time whatever the signed time says (a code
    // signed "ten minutes ahead" must still name its real key).
    let key_id = match store.verify(
        payload,
        verify_at,
        &mut scanpay_core::trust::InMemoryReplayGuard::default(),
    ) {
        scanpay_core::trust::Verdict::Verified(v) => v.key_id,
        scanpay_core::trust::Verdict::Unverified { .. } => "kopi-1".to_string(),
    };
    PaymentAuthorisation {
        payment_id: id.to_string(),
        merchant_key_id: key_id,
        merchant_account: parsed.merchant_account(),
        amount_minor: total.minor,
        currency: total.currency,
        payload_sha256: PaymentAuthorisation::payload_digest(payload),
        time,
    }
}

/// A PIN-free request from `w` paying `amount` (+ `tip`) on `payload`,
/// signed at `time` (the code verified at `verify_at`, the sandbox's time).
fn pin_free_at(
    w: &Wallet,
    store: &TrustStore,
    payload: &str,
    amount: Money,
    tip: Money,
    time: u64,
    verify_at: u64,
) -> PaymentRequestBody {
    let total = amount.checked_add(tip).unwrap();
    let auth = terms(store, &new_id(), payload, total, time, verify_at);
    let signed = request_key(w.request_seed)
        .sign_pin_free(auth, w.key.public_key())
        .unwrap();
    request(signed, payload, amount, tip)
}

/// A biometric request from `w` signed by `bio`.
fn biometric(
    w: &Wallet,
    bio: &SoftwareBiometricKey,
    store: &TrustStore,
    payload: &str,
    amount: Money,
    time: u64,
) -> PaymentRequestBody {
    let auth = terms(store, &new_id(), payload, amount, time, time);
    let signature = bio
        .sign(
            &auth.signed_bytes_for(PaymentAuthMethod::Biometric),
            &BiometricPromptText {
                title: "Pay".into(),
                subtitle: String::new(),
                cancel: String::new(),
            },
        )
        .unwrap();
    let signed = SignedAuthorisation {
        authorisation: auth,
        method: PaymentAuthMethod::Biometric,
        device_public_key: w.key.public_key().to_vec(),
        signature,
    };
    request(signed, payload, amount, Money::zero(amount.currency))
}

fn paid(r: &Resp) -> bool {
    matches!(r.reply(), BackendReply::Succeeded { .. })
}

/// The rule word of a `pin-required` decline (panics on anything else).
fn pin_required(r: &Resp) -> String {
    match r.reply() {
        BackendReply::Declined { code, message } => {
            assert_eq!(code, "pin-required", "{message}");
            let rest = message
                .strip_prefix("pin-free: ")
                .unwrap_or_else(|| panic!("{message}"));
            rest.split(':').next().unwrap().to_string()
        }
        other => panic!("expected pin-required, got {other:?}"),
    }
}

fn status(r: &Resp) -> (u16, String) {
    (r.status, r.error_code())
}

/// A payer with SGD PIN-free limits 20.00 a payment, 50.00 and 3 payments
/// a day, who paid M-0001 with the PIN more than a day ago (sandbox clock).
struct Ready {
    sb: RunningSandbox,
    c: Client,
    store: TrustStore,
    w: Wallet,
}

impl Ready {
    fn new(name: &str, bio: Option<Vec<u8>>) -> Ready {
        let sb = start(name);
        let mut c = Client::new(&sb);
        let store = trust_store(&sb, &mut c);
        let w = enrol(&mut c, "SANDBOX");
        let doc = pin_signed(&w.key, settings(1, bio, vec![sgd(2_000, 5_000, 3)]));
        assert_eq!(post(&mut c, &doc), (200, String::new()));
        let payload = order(&mut c, "M-0001", 500);
        let now = sb.data().now().unwrap();
        let r = c
            .submit(&w.pay(&store, &new_id(), &payload, money(500, "SGD"), now))
            .unwrap();
        assert!(paid(&r));
        sb.data().advance_clock(DAY + 1).unwrap();
        Ready { sb, c, store, w }
    }

    fn now(&self) -> u64 {
        self.sb.data().now().unwrap()
    }

    /// A PIN-free payment of `minor` on a new M-0001 order, signed now.
    fn pin_free(&mut self, minor: u64) -> (String, Resp) {
        let payload = order(&mut self.c, "M-0001", minor);
        let now = self.now();
        let req = pin_free_at(
            &self.w,
            &self.store,
            &payload,
            money(minor, "SGD"),
            money(0, "SGD"),
            now,
            now,
        );
        let r = self.c.submit(&req).unwrap();
        (req.payment_id, r)
    }

    fn balance(&mut self) -> u64 {
        let account = self.w.enrolment.account_id.clone();
        self.c.balance(&account)
    }

    /// Asserts `r` is `pin-required` for `word` and that nothing moved.
    fn refused(&mut self, id: &str, r: &Resp, word: &str, balance: u64) {
        assert_eq!(pin_required(r), word);
        let t = self.c.truth(id);
        assert_eq!(
            (t.state, t.charges_applied, t.method),
            (
                ServerPaymentState::Declined,
                0,
                Some(PaymentAuthMethod::PinFree)
            ),
            "{word}"
        );
        assert_eq!(self.balance(), balance, "{word}: nothing charged");
    }
}

#[test]
fn opting_in_with_the_pin_is_held_and_a_later_version_replaces_it() {
    let sb = start("sc-opt-in");
    let mut c = Client::new(&sb);
    let w = enrol(&mut c, "SANDBOX");
    assert_eq!(held(&sb, &w), None);
    let bio = SoftwareBiometricKey::new().create_key().unwrap();
    let v1 = settings(1, Some(bio.clone()), vec![sgd(3_000, 10_000, 10)]);
    assert_eq!(
        post(&mut c, &pin_signed(&w.key, v1.clone())),
        (200, String::new())
    );
    assert_eq!(held(&sb, &w), Some(v1));
    // A later document replaces it whole (here: wider, so with the PIN).
    let v7 = settings(7, None, vec![sgd(5_000, 20_000, 20)]);
    assert_eq!(
        post(&mut c, &pin_signed(&w.key, v7.clone())),
        (200, String::new())
    );
    assert_eq!(held(&sb, &w), Some(v7));
}

#[test]
fn without_the_pin_a_document_may_only_narrow() {
    let sb = start("sc-narrow");
    let mut c = Client::new(&sb);
    let w = enrol(&mut c, "SANDBOX");
    // Nothing held: only the all-off document narrows.
    let widening = request_signed(&w, settings(1, None, vec![sgd(100, 100, 1)]));
    assert_eq!(
        post(&mut c, &widening),
        (403, "shortcuts-widen-without-pin".into())
    );
    assert_eq!(held(&sb, &w), None);

    let bio = SoftwareBiometricKey::new().create_key().unwrap();
    let v1 = settings(1, Some(bio.clone()), vec![sgd(2_000, 5_000, 3)]);
    assert_eq!(
        post(&mut c, &pin_signed(&w.key, v1.clone())),
        (200, String::new())
    );
    let other_bio = SoftwareBiometricKey::new().create_key().unwrap();
    let mut thb = sgd(100, 100, 1);
    thb.currency = Currency::THB;
    for (what, s) in [
        (
            "a raised per-payment limit",
            settings(2, Some(bio.clone()), vec![sgd(2_001, 5_000, 3)]),
        ),
        (
            "a raised daily total",
            settings(2, Some(bio.clone()), vec![sgd(2_000, 5_001, 3)]),
        ),
        (
            "a raised daily count",
            settings(2, Some(bio.clone()), vec![sgd(2_000, 5_000, 4)]),
        ),
        (
            "another biometric key",
            settings(2, Some(other_bio), vec![sgd(2_000, 5_000, 3)]),
        ),
        (
            "a new currency",
            settings(2, Some(bio.clone()), vec![sgd(2_000, 5_000, 3), thb]),
        ),
    ] {
        assert_eq!(
            post(&mut c, &request_signed(&w, s)),
            (403, "shortcuts-widen-without-pin".into()),
            "{what}"
        );
        assert_eq!(held(&sb, &w).as_ref(), Some(&v1), "{what}: nothing changed");
    }
    // Narrowing without the PIN: a lower limit, then biometric off, then all off.
    let v2 = settings(2, Some(bio), vec![sgd(1_000, 5_000, 3)]);
    assert_eq!(
        post(&mut c, &request_signed(&w, v2.clone())),
        (200, String::new())
    );
    assert_eq!(held(&sb, &w), Some(v2));
    let v3 = settings(3, None, vec![sgd(1_000, 5_000, 3)]);
    assert_eq!(
        post(&mut c, &request_signed(&w, v3.clone())),
        (200, String::new())
    );
    let off = ShortcutSettings::off(4, wall_now());
    assert_eq!(
        post(&mut c, &request_signed(&w, off.clone())),
        (200, String::new())
    );
    assert_eq!(held(&sb, &w), Some(off));
}

#[test]
fn a_version_not_above_the_held_one_is_refused() {
    let sb = start("sc-stale");
    let mut c = Client::new(&sb);
    let w = enrol(&mut c, "SANDBOX");
    let v5 = pin_signed(&w.key, settings(5, None, vec![sgd(2_000, 5_000, 3)]));
    assert_eq!(post(&mut c, &v5), (200, String::new()));
    // The accepted document replayed, and an older wider one signed with
    // the PIN: both refused.
    assert_eq!(post(&mut c, &v5), (409, "stale-shortcuts".into()));
    let v4 = pin_signed(&w.key, settings(4, None, vec![sgd(10_000, 30_000, 20)]));
    assert_eq!(post(&mut c, &v4), (409, "stale-shortcuts".into()));
    assert_eq!(held(&sb, &w), Some(v5.settings));
}

#[test]
fn unverifiable_stale_and_over_cap_documents_are_refused_with_their_codes() {
    let sb = start("sc-refused");
    let mut c = Client::new(&sb);
    let w = enrol(&mut c, "SANDBOX");
    let ok = || settings(1, None, vec![sgd(2_000, 5_000, 3)]);

    let stranger =
        scanpay_core::auth::DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    assert_eq!(
        post(&mut c, &pin_signed(&stranger, ok())),
        (401, "bad-shortcuts".into()),
        "a device never enrolled"
    );
    let mut forged = pin_signed(&w.key, ok());
    forged.signature[0] ^= 1;
    assert_eq!(post(&mut c, &forged), (401, "bad-shortcuts".into()));
    // The request key's signature labelled as the device key's.
    let mut relabelled = request_signed(&w, ok());
    relabelled.signer = ShortcutSigner::DeviceKey;
    assert_eq!(post(&mut c, &relabelled), (401, "bad-shortcuts".into()));
    // Signed with the PIN ten minutes ago or ahead: not replayable later.
    for time in [wall_now() - 600, wall_now() + 600] {
        let mut s = ok();
        s.time = time;
        assert_eq!(
            post(&mut c, &pin_signed(&w.key, s)),
            (401, "bad-shortcuts".into())
        );
    }
    // The sandbox's caps: SGD 100.00 a payment, 300.00 and 20 a day.
    for limits in [
        sgd(10_001, 10_001, 3),
        sgd(2_000, 30_001, 3),
        sgd(2_000, 5_000, 21),
    ] {
        assert_eq!(
            post(&mut c, &pin_signed(&w.key, settings(1, None, vec![limits]))),
            (400, "shortcuts-over-cap".into()),
            "{limits:?}"
        );
    }
    // Out of range, and a biometric "key" that is not a P-256 point.
    for s in [
        settings(1, None, vec![sgd(5_000, 2_000, 3)]),
        settings(1, Some(vec![4; 65]), vec![]),
    ] {
        assert_eq!(
            post(&mut c, &pin_signed(&w.key, s)),
            (400, "malformed-request".into())
        );
    }
    assert_eq!(held(&sb, &w), None, "nothing held after any refusal");
    // At the caps exactly: accepted.
    let at_cap = settings(1, None, vec![sgd(10_000, 30_000, 20)]);
    assert_eq!(
        post(&mut c, &pin_signed(&w.key, at_cap)),
        (200, String::new())
    );
}

#[test]
fn a_pin_free_payment_within_the_limits_is_paid_and_its_method_recorded() {
    let mut r = Ready::new("sc-paid", None);
    let before = r.balance();
    let (id, resp) = r.pin_free(1_500);
    assert!(paid(&resp), "{:?}", resp.reply());
    let t = r.c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied, t.method),
        (
            ServerPaymentState::Succeeded,
            1,
            Some(PaymentAuthMethod::PinFree)
        )
    );
    assert_eq!(r.balance(), before - 1_500);
    // The PIN payment of the setup is recorded as such; an unknown id has none.
    let pin_id = new_id();
    let payload = order(&mut r.c, "M-0001", 100);
    let now = r.now();
    assert!(paid(
        &r.c.submit(&r.w.pay(&r.store, &pin_id, &payload, money(100, "SGD"), now))
            .unwrap()
    ));
    assert_eq!(r.c.truth(&pin_id).method, Some(PaymentAuthMethod::Pin));
    assert_eq!(r.c.truth(&new_id()).method, None);
}

#[test]
fn pin_free_over_each_cap_is_declined_pin_required_before_money_moves() {
    let mut r = Ready::new("sc-caps", None);
    let mut balance = r.balance();
    // Per payment: 20.00.
    let (id, resp) = r.pin_free(2_001);
    r.refused(&id, &resp, "over-per-payment", balance);
    // Two within the limits (40.00 of 50.00, 2 of 3) ...
    for minor in [2_000, 2_000] {
        let (_, resp) = r.pin_free(minor);
        assert!(paid(&resp));
        balance -= minor;
    }
    // ... then 15.00 would make 55.00 in 24 h.
    let (id, resp) = r.pin_free(1_500);
    r.refused(&id, &resp, "over-daily-total", balance);
    // 10.00 makes 50.00 exactly: paid, the third of three.
    let (third, resp) = r.pin_free(1_000);
    assert!(paid(&resp));
    balance -= 1_000;
    // A fourth, however small: the count is used up.
    let (id, resp) = r.pin_free(1);
    r.refused(&id, &resp, "over-daily-count", balance);
    // A reversed PIN-free payment no longer counts (nor its amount).
    assert!(matches!(
        r.c.reverse(&third).unwrap().reply(),
        BackendReply::Reversed
    ));
    balance += 1_000;
    let (_, resp) = r.pin_free(1_000);
    assert!(paid(&resp), "{:?}", resp.reply());
    balance -= 1_000;
    let (id, resp) = r.pin_free(1);
    r.refused(&id, &resp, "over-daily-count", balance);
    // The window rolls: a day later the count and total start again.
    r.sb.data().advance_clock(DAY + 1).unwrap();
    let (_, resp) = r.pin_free(2_000);
    assert!(paid(&resp), "{:?}", resp.reply());
}

#[test]
fn a_pin_required_decline_leaves_the_order_for_a_pin_payment_with_a_new_id() {
    let mut r = Ready::new("sc-retry", None);
    let payload = order(&mut r.c, "M-0001", 2_500);
    let now = r.now();
    let free = pin_free_at(
        &r.w,
        &r.store,
        &payload,
        money(2_500, "SGD"),
        money(0, "SGD"),
        now,
        now,
    );
    let resp = r.c.submit(&free).unwrap();
    assert_eq!(pin_required(&resp), "over-per-payment");
    // The same id with the PIN's signature is other parameters.
    let same_id = r.w.pay(
        &r.store,
        &free.payment_id,
        &payload,
        money(2_500, "SGD"),
        now,
    );
    assert_eq!(
        status(&r.c.submit(&same_id).unwrap()),
        (409, "idempotency-key-reuse".into())
    );
    // A new payment with the PIN pays the still open order.
    let retry =
        r.w.pay(&r.store, &new_id(), &payload, money(2_500, "SGD"), now);
    assert!(paid(&r.c.submit(&retry).unwrap()));
}

/// A code for `merchant_id` with its active key whose printed city differs
/// from the registered one: it verifies, with a `city-differs` warning.
fn code_with_a_warning(data: &SandboxData, merchant_id: &str, minor: u64) -> String {
    let mut m = data.merchant(merchant_id).unwrap();
    m.city = "ELSEWHERE".into();
    let unsigned =
        SandboxData::unsigned_payload(&m, Some(money(minor, "SGD")), Some("SC-W"), None).unwrap();
    let (key_id, key) = data.merchant_active_key(merchant_id).unwrap();
    let info = DynamicInfo {
        expires_at: data.now().unwrap() + 40,
        nonce: random_nonce(&ring::rand::SystemRandom::new()).unwrap(),
    };
    sign_payload(&unsigned, &key, &key_id, Some(info)).unwrap()
}

#[test]
fn pin_free_is_refused_for_unverified_static_tipped_new_merchant_and_stale_payments() {
    let mut r = Ready::new("sc-rules", None);
    let balance = r.balance();
    let sgd0 = money(0, "SGD");
    let now = r.now();
    let data = r.sb.data().clone();

    // A code signed with the merchant's revoked key.
    let m = data.merchant("M-0001").unwrap();
    let revoked = sign_payload(
        &SandboxData::unsigned_payload(&m, Some(money(500, "SGD")), None, None).unwrap(),
        &data.merchant_signing_key("kopi-1").unwrap(),
        "kopi-1",
        None,
    )
    .unwrap();
    // A verified code with a trust warning.
    let warned = code_with_a_warning(&data, "M-0001", 500);
    // The static code, the payer typing the amount.
    let fixed = data.static_payload("M-0001").unwrap();
    // M-0002: never paid, then paid with the PIN today.
    let laksa = order(&mut r.c, "M-0002", 500);
    let tipped = order(&mut r.c, "M-0001", 500);
    let late = order(&mut r.c, "M-0001", 500);
    let early = order(&mut r.c, "M-0001", 500);
    let free = |payload: &str, tip: u64, time: u64| {
        pin_free_at(
            &r.w,
            &r.store,
            payload,
            money(500, "SGD"),
            money(tip, "SGD"),
            time,
            now,
        )
    };
    let cases: Vec<(&str, PaymentRequestBody)> = vec![
        ("merchant-unverified", free(&revoked, 0, now)),
        ("trust-warning", free(&warned, 0, now)),
        ("static-code", free(&fixed, 0, now)),
        ("tip-entered", free(&tipped, 100, now)),
        ("new-merchant", free(&laksa, 0, now)),
        // Queued offline ten minutes ago, or a clock ten minutes ahead.
        ("stale-time", free(&late, 0, now - 600)),
        ("stale-time", free(&early, 0, now + 600)),
    ];
    for (word, req) in &cases {
        let resp = r.c.submit(req).unwrap();
        r.refused(&req.payment_id, &resp, word, balance);
    }
    // The rules are about skipping the PIN: with it, a tip pays on a code
    // that asks for one (55 = 01); a tip the code does not ask for is no
    // payment of it at all.
    assert_eq!(
        declined_code(&pin_paid(&mut r, &tipped, 500, 100)),
        "amount-mismatch"
    );
    let prompt = code_with_fee(&data, "550201");
    let tip_pin = pin_paid(&mut r, &prompt, 500, 100);
    assert!(paid(&tip_pin));
    // Paid with the PIN today is not yet known for PIN-free.
    let pin_today = order(&mut r.c, "M-0002", 300);
    assert!(paid(&pin_paid(&mut r, &pin_today, 300, 0)));
    let balance = balance - 600 - 300;
    let again = order(&mut r.c, "M-0002", 500);
    let req = pin_free_at(&r.w, &r.store, &again, money(500, "SGD"), sgd0, now, now);
    let resp = r.c.submit(&req).unwrap();
    r.refused(&req.payment_id, &resp, "new-merchant", balance);
    // A day later it is.
    data.advance_clock(DAY + 1).unwrap();
    let later = order(&mut r.c, "M-0002", 500);
    let now = r.now();
    let req = pin_free_at(&r.w, &r.store, &later, money(500, "SGD"), sgd0, now, now);
    assert!(paid(&r.c.submit(&req).unwrap()));
}

/// Pays `amount` + `tip` on `payload` with the PIN.
fn pin_paid(r: &mut Ready, payload: &str, amount: u64, tip: u64) -> Resp {
    let now = r.now();
    let auth = terms(
        &r.store,
        &new_id(),
        payload,
        money(amount + tip, "SGD"),
        now,
        now,
    );
    let signature = r.w.key.sign(&auth.signed_bytes()).unwrap();
    let signed = SignedAuthorisation {
        authorisation: auth,
        method: PaymentAuthMethod::Pin,
        device_public_key: r.w.key.public_key().to_vec(),
        signature,
    };
    let req = request(signed, payload, money(amount, "SGD"), money(tip, "SGD"));
    r.c.submit(&req).unwrap()
}

#[test]
fn pin_free_needs_an_opt_in_in_the_currency_and_lapses_with_an_opt_out() {
    let mut r = Ready::new("sc-opt-out", None);
    let (_, resp) = r.pin_free(500);
    assert!(paid(&resp));
    let balance = r.balance();
    let off = request_signed(&r.w, ShortcutSettings::off(2, wall_now()));
    assert_eq!(post(&mut r.c, &off), (200, String::new()));
    let (id, resp) = r.pin_free(500);
    r.refused(&id, &resp, "not-opted-in", balance);
}

#[test]
fn biometric_payments_verify_with_the_registered_key_only() {
    let bio = SoftwareBiometricKey::new();
    let pk = bio.create_key().unwrap();
    let mut r = Ready::new("sc-bio", Some(pk));
    let now = r.now();
    let before = r.balance();
    // Paid, method recorded.
    let payload = order(&mut r.c, "M-0001", 4_000);
    let good = biometric(&r.w, &bio, &r.store, &payload, money(4_000, "SGD"), now);
    assert!(paid(&r.c.submit(&good).unwrap()));
    assert_eq!(
        r.c.truth(&good.payment_id).method,
        Some(PaymentAuthMethod::Biometric)
    );
    let balance = before - 4_000;

    // Forged: another P-256 key's signature, and bytes that are no signature.
    let other = SoftwareBiometricKey::new();
    other.create_key().unwrap();
    let payload = order(&mut r.c, "M-0001", 4_000);
    let forged = biometric(&r.w, &other, &r.store, &payload, money(4_000, "SGD"), now);
    assert_eq!(
        status(&r.c.submit(&forged).unwrap()),
        (401, "bad-authorisation".into())
    );
    let mut junk = biometric(&r.w, &bio, &r.store, &payload, money(4_000, "SGD"), now);
    junk.authorisation.signature = vec![0x30, 0x06, 2, 1, 1, 2, 1, 1];
    assert_eq!(
        status(&r.c.submit(&junk).unwrap()),
        (401, "bad-authorisation".into())
    );
    // The paid payment's signature replayed for a new payment id.
    let new = new_id();
    let mut replay = good.clone();
    replay.payment_id = new.clone();
    replay.authorisation.authorisation.payment_id = new.clone();
    replay.authorisation.authorisation.payload_sha256 =
        PaymentAuthorisation::payload_digest(&payload);
    replay.payload = payload.clone();
    assert_eq!(
        status(&r.c.submit(&replay).unwrap()),
        (401, "bad-authorisation".into())
    );
    assert_eq!(r.c.truth(&new).state, ServerPaymentState::NotFound);
    assert_eq!(r.balance(), balance);

    // After the key is removed without the PIN, the key's signature is no
    // longer accepted.
    let no_bio = request_signed(&r.w, settings(2, None, vec![sgd(2_000, 5_000, 3)]));
    assert_eq!(post(&mut r.c, &no_bio), (200, String::new()));
    let late = biometric(&r.w, &bio, &r.store, &payload, money(4_000, "SGD"), now);
    assert_eq!(
        status(&r.c.submit(&late).unwrap()),
        (401, "bad-authorisation".into())
    );
    assert_eq!(r.balance(), balance);
}

#[test]
fn a_biometric_payment_from_a_device_that_never_opted_in_is_401() {
    let sb = start("sc-bio-none");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let w = enrol(&mut c, "SANDBOX");
    let bio = SoftwareBiometricKey::new();
    bio.create_key().unwrap();
    let payload = order(&mut c, "M-0001", 500);
    let now = sb.data().now().unwrap();
    let req = biometric(&w, &bio, &store, &payload, money(500, "SGD"), now);
    assert_eq!(
        status(&c.submit(&req).unwrap()),
        (401, "bad-authorisation".into())
    );
}

/// Enrols a device whose request key is its device key, so that only the
/// domain tells a PIN signature from a PIN-free one, opts in and makes
/// M-0001 known.
fn same_key_payer(
    name: &str,
    bio_pk: Vec<u8>,
) -> (
    RunningSandbox,
    Client,
    TrustStore,
    Ed25519KeyPair,
    RequestKey,
) {
    let sb = start(name);
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let seed = [0x42; 32];
    let device = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    let rk = request_key(seed);
    let pk = device.public_key().as_ref().to_vec();
    let resp = c
        .post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": URL_SAFE_NO_PAD.encode(&pk),
                "enrolment_code": "SANDBOX",
                "request_key": URL_SAFE_NO_PAD.encode(rk.public_key()),
                "request_key_proof": URL_SAFE_NO_PAD.encode(rk.registration_proof(&pk).unwrap()),
            }),
        )
        .unwrap();
    assert_eq!(resp.status, 200);
    c.request_seed = Some(seed);
    let doc = pin_signed(
        &device,
        settings(1, Some(bio_pk), vec![sgd(2_000, 5_000, 3)]),
    );
    assert_eq!(post(&mut c, &doc), (200, String::new()));
    let payload = order(&mut c, "M-0001", 500);
    let now = sb.data().now().unwrap();
    let auth = terms(&store, &new_id(), &payload, money(500, "SGD"), now, now);
    let signed = SignedAuthorisation {
        signature: device.sign(&auth.signed_bytes()).as_ref().to_vec(),
        authorisation: auth,
        method: PaymentAuthMethod::Pin,
        device_public_key: pk,
    };
    let first = request(signed, &payload, money(500, "SGD"), money(0, "SGD"));
    assert!(paid(&c.submit(&first).unwrap()));
    sb.data().advance_clock(DAY + 1).unwrap();
    (sb, c, store, device, rk)
}

type Signer<'a> = &'a dyn Fn(&PaymentAuthorisation) -> Vec<u8>;

/// Submits a payment of 5.00 on a new M-0001 order whose authorisation
/// `sign` signed, labelled `as_method`.
fn labelled(
    c: &mut Client,
    store: &TrustStore,
    device_pk: &[u8],
    now: u64,
    sign: Signer<'_>,
    as_method: PaymentAuthMethod,
) -> (String, Resp) {
    let payload = order(c, "M-0001", 500);
    let auth = terms(store, &new_id(), &payload, money(500, "SGD"), now, now);
    let signed = SignedAuthorisation {
        signature: sign(&auth),
        authorisation: auth,
        method: as_method,
        device_public_key: device_pk.to_vec(),
    };
    let req = request(signed, &payload, money(500, "SGD"), money(0, "SGD"));
    (req.payment_id.clone(), c.submit(&req).unwrap())
}

#[test]
fn a_signature_made_for_one_method_never_verifies_as_another() {
    let bio = SoftwareBiometricKey::new();
    let bio_pk = bio.create_key().unwrap();
    let (sb, mut c, store, device, rk) = same_key_payer("sc-domains", bio_pk);
    let pk = device.public_key().as_ref().to_vec();
    let now = sb.data().now().unwrap();
    let prompt = BiometricPromptText {
        title: "Pay".into(),
        subtitle: String::new(),
        cancel: String::new(),
    };
    // One key is both the device key and the request key, so only the
    // domain tells its PIN signature from its PIN-free one.
    let pin_sig = |a: &PaymentAuthorisation| device.sign(&a.signed_bytes()).as_ref().to_vec();
    let free_sig = |a: &PaymentAuthorisation| rk.sign_pin_free(a.clone(), &pk).unwrap().signature;
    let bio_pin_domain = |a: &PaymentAuthorisation| bio.sign(&a.signed_bytes(), &prompt).unwrap();
    let bio_free_domain = |a: &PaymentAuthorisation| {
        bio.sign(&a.signed_bytes_for(PaymentAuthMethod::PinFree), &prompt)
            .unwrap()
    };
    let cases: [(&str, Signer<'_>, PaymentAuthMethod); 4] = [
        (
            "a PIN signature as pin-free",
            &pin_sig,
            PaymentAuthMethod::PinFree,
        ),
        (
            "a pin-free signature as PIN",
            &free_sig,
            PaymentAuthMethod::Pin,
        ),
        (
            "the biometric key over the PIN domain",
            &bio_pin_domain,
            PaymentAuthMethod::Biometric,
        ),
        (
            "the biometric key over the pin-free domain",
            &bio_free_domain,
            PaymentAuthMethod::Biometric,
        ),
    ];
    for (what, sign, as_method) in cases {
        let (id, resp) = labelled(&mut c, &store, &pk, now, sign, as_method);
        assert_eq!(status(&resp), (401, "bad-authorisation".into()), "{what}");
        assert_eq!(
            c.truth(&id).state,
            ServerPaymentState::NotFound,
            "{what}: nothing recorded"
        );
    }
    // The controls: each signature under its own method pays.
    let (_, resp) = labelled(&mut c, &store, &pk, now, &pin_sig, PaymentAuthMethod::Pin);
    assert!(paid(&resp));
    let (_, resp) = labelled(
        &mut c,
        &store,
        &pk,
        now,
        &free_sig,
        PaymentAuthMethod::PinFree,
    );
    assert!(paid(&resp), "{:?}", resp.reply());
}

#[test]
fn registering_a_new_device_key_drops_the_old_devices_shortcuts() {
    let mut r = Ready::new("sc-reregister", None);
    let pk = r.w.key.public_key().to_vec();
    let rk = request_key(r.w.request_seed);
    let register = |c: &mut Client, device_pk: &[u8]| {
        let resp = c
            .post(
                "/v1/devices",
                &serde_json::json!({
                    "public_key": URL_SAFE_NO_PAD.encode(device_pk),
                    "enrolment_code": "SANDBOX",
                    "request_key": URL_SAFE_NO_PAD.encode(rk.public_key()),
                    "request_key_proof": URL_SAFE_NO_PAD.encode(rk.registration_proof(device_pk).unwrap()),
                }),
            )
            .unwrap();
        assert_eq!(resp.status, 200);
        resp.json::<scanpay_core::net::api::EnrolResponse>()
    };
    // The same device key again (a replay): the settings stay.
    register(&mut r.c, &pk);
    assert!(held(&r.sb, &r.w).is_some());
    let (_, resp) = r.pin_free(500);
    assert!(paid(&resp));
    // A new device key with the same request key (a PIN reset): the old
    // device's settings are dropped, the new device has none.
    let new_key =
        scanpay_core::auth::DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let enrolment = register(&mut r.c, new_key.public_key());
    assert_eq!(held(&r.sb, &r.w), None);
    assert_eq!(r.sb.data().shortcuts(&enrolment.device_id).unwrap(), None);
    let balance = r.balance();
    let (id, resp) = r.pin_free(500);
    r.refused(&id, &resp, "not-opted-in", balance);
}

#[test]
fn settings_survive_a_restart_and_an_older_data_dir_gains_the_method_column() {
    let dir = temp_dir("sc-restart");
    let sb = Sandbox::start(SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let w = enrol(&mut c, "SANDBOX");
    let v1 = settings(1, None, vec![sgd(2_000, 5_000, 3)]);
    assert_eq!(
        post(&mut c, &pin_signed(&w.key, v1.clone())),
        (200, String::new())
    );
    let payload = sb.data().static_payload("M-0001").unwrap();
    let now = sb.data().now().unwrap();
    let before = new_id();
    assert!(paid(
        &c.submit(&w.pay(&store, &before, &payload, money(700, "SGD"), now))
            .unwrap()
    ));
    sb.stop();
    // The data dir as a sandbox from before issue 12 left it: no method
    // column (its payments were all PIN, unrecorded).
    let db = rusqlite::Connection::open(dir.join("sandbox.db")).unwrap();
    db.execute_batch("ALTER TABLE payments DROP COLUMN method;")
        .unwrap();
    drop(db);

    let sb = Sandbox::start(SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    c.request_seed = Some(w.request_seed);
    assert_eq!(held(&sb, &w), Some(v1), "the settings survive the restart");
    assert_eq!(c.truth(&before).method, None, "an older row has no method");
    let after = new_id();
    let now = sb.data().now().unwrap();
    assert!(paid(
        &c.submit(&w.pay(&store, &after, &payload, money(700, "SGD"), now))
            .unwrap()
    ));
    assert_eq!(c.truth(&after).method, Some(PaymentAuthMethod::Pin));
}

#[test]
fn under_payer_pending_the_rules_decide_at_the_deciding_query() {
    let mut r = Ready::new("sc-pending", None);
    let balance = r.balance();
    for (minor, word) in [(1_500, None), (2_500, Some("over-per-payment"))] {
        r.sb.inject(FaultKind::Submit, Fault::PayerPending { queries: 1 }, 1);
        let (id, resp) = r.pin_free(minor);
        assert!(matches!(resp.reply(), BackendReply::Processing));
        let t = r.c.truth(&id);
        assert_eq!(
            (t.state, t.charges_applied, t.method),
            (
                ServerPaymentState::Processing,
                0,
                Some(PaymentAuthMethod::PinFree)
            )
        );
        let decided = r.c.query(&id).unwrap();
        match word {
            None => assert!(paid(&decided), "{:?}", decided.reply()),
            Some(w) => r.refused(&id, &decided, w, balance - 1_500),
        }
    }
}

/// Pays `amount` + `fee` on `payload` with the PIN (no tip).
fn pin_paid_with_fee(r: &mut Ready, payload: &str, amount: u64, fee: u64) -> Resp {
    let now = r.now();
    let total = money(amount + fee, "SGD");
    let auth = terms(&r.store, &new_id(), payload, total, now, now);
    let signature = r.w.key.sign(&auth.signed_bytes()).unwrap();
    let signed = SignedAuthorisation {
        authorisation: auth,
        method: PaymentAuthMethod::Pin,
        device_public_key: r.w.key.public_key().to_vec(),
        signature,
    };
    let mut req = request(signed, payload, money(amount, "SGD"), money(0, "SGD"));
    req.breakdown.fee = money(fee, "SGD");
    req.breakdown.total = total;
    r.c.submit(&req).unwrap()
}

/// A signed (not order-bound) code of M-0001 for 5.00 SGD carrying the tip
/// rule `rule` (EMVCo 55 with its 56/57, e.g. `"550202" "5604" "0.50"`).
fn code_with_fee(data: &SandboxData, rule: &str) -> String {
    let m = data.merchant("M-0001").unwrap();
    let unsigned = SandboxData::unsigned_payload(&m, Some(money(500, "SGD")), None, None).unwrap();
    let at = unsigned.find("5802").unwrap();
    let with_rule = format!("{}{rule}{}", &unsigned[..at], &unsigned[at..]);
    let (key_id, key) = data.merchant_active_key("M-0001").unwrap();
    sign_payload(&with_rule, &key, &key_id, None).unwrap()
}

fn declined_code(r: &Resp) -> String {
    match r.reply() {
        BackendReply::Declined { code, .. } => code,
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[test]
fn a_fee_the_code_does_not_charge_is_refused_pin_free_and_declined_with_the_pin() {
    let mut r = Ready::new("sc-fee", None);
    let balance = r.balance();
    // The order's code carries 5.00 and no fee rule; the request says tip 0
    // and puts 10.00 in `fee` (15.00 is within the 20.00 PIN-free limit).
    let payload = order(&mut r.c, "M-0001", 500);
    let now = r.now();
    let total = money(1_500, "SGD");
    let auth = terms(&r.store, &new_id(), &payload, total, now, now);
    let signed = request_key(r.w.request_seed)
        .sign_pin_free(auth, r.w.key.public_key())
        .unwrap();
    let mut req = request(signed, &payload, money(500, "SGD"), money(0, "SGD"));
    req.breakdown.fee = money(1_000, "SGD");
    req.breakdown.total = total;
    let resp = r.c.submit(&req).unwrap();
    r.refused(&req.payment_id, &resp, "fee-mismatch", balance);
    // With the PIN the same split is no payment of this code either.
    let resp = pin_paid_with_fee(&mut r, &payload, 500, 1_000);
    assert_eq!(declined_code(&resp), "amount-mismatch");
    assert_eq!(r.balance(), balance);

    // Codes with a convenience fee: the code's fee pays, any other is
    // declined. Fixed 0.50; 2.5 % of 5.00 = 12.5 cents, half up 0.13.
    let data = r.sb.data().clone();
    let fixed = code_with_fee(&data, "55020256040.50");
    let pct = code_with_fee(&data, "55020357032.5");
    let mut expected = balance;
    for (code, fee) in [(&fixed, 50), (&pct, 13)] {
        for wrong in [0, fee + 1, fee - 1] {
            let resp = pin_paid_with_fee(&mut r, code, 500, wrong);
            assert_eq!(declined_code(&resp), "amount-mismatch", "fee {wrong}");
        }
        assert_eq!(r.balance(), expected);
        assert!(paid(&pin_paid_with_fee(&mut r, code, 500, fee)));
        expected -= 500 + fee;
    }
    assert_eq!(r.balance(), balance - 550 - 513);
}

#[test]
fn only_the_latest_request_key_signs_pin_free_payments_and_settings() {
    let mut r = Ready::new("sc-latest-rk", None);
    let old_seed = r.w.request_seed;
    // The same device registers again with a new request key.
    let new_seed = [0x5a; 32];
    let rk = request_key(new_seed);
    let pk = r.w.key.public_key().to_vec();
    let resp =
        r.c.post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": URL_SAFE_NO_PAD.encode(&pk),
                "enrolment_code": "SANDBOX",
                "request_key": URL_SAFE_NO_PAD.encode(rk.public_key()),
                "request_key_proof": URL_SAFE_NO_PAD.encode(rk.registration_proof(&pk).unwrap()),
            }),
        )
        .unwrap();
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let balance = r.balance();

    // The superseded key authorises nothing without the PIN any more.
    let (_, resp) = r.pin_free(500);
    assert_eq!(resp.status, 401, "{}", String::from_utf8_lossy(&resp.body));
    let narrower = settings(2, None, vec![sgd(1_000, 5_000, 3)]);
    let doc = request_signed(&r.w, narrower.clone());
    assert_eq!(post(&mut r.c, &doc), (401, "bad-shortcuts".to_string()));
    assert_eq!(r.balance(), balance);

    // The latest one does; and its verdict on a stale document is its own.
    r.w.request_seed = new_seed;
    let (_, resp) = r.pin_free(500);
    assert!(paid(&resp));
    let doc = request_signed(&r.w, narrower);
    assert_eq!(post(&mut r.c, &doc), (200, String::new()));
    assert_eq!(post(&mut r.c, &doc), (409, "stale-shortcuts".to_string()));
    assert_eq!(
        held(&r.sb, &r.w).unwrap().pin_free,
        vec![sgd(1_000, 5_000, 3)]
    );
    // Queries keep their rule: any registered key of the device signs them.
    r.c.request_seed = Some(old_seed);
    assert_eq!(r.balance(), balance - 500);
}

/// The premise of keying "known merchant" on the merchant id (ADR 0022 §4,
/// `docs/api.md` rule 11): a code verifies only with its merchant's own
/// registered account, so a known merchant id never stands for an account
/// the wallet would call new.
#[test]
fn a_known_merchants_key_on_another_account_is_no_known_merchant() {
    let mut r = Ready::new("sc-known-account", None);
    let balance = r.balance();
    let data = r.sb.data().clone();
    let mut m = data.merchant("M-0001").unwrap();
    m.account = data.merchant("M-0002").unwrap().account;
    let (key_id, key) = data.merchant_active_key("M-0001").unwrap();
    let info = DynamicInfo {
        expires_at: data.now().unwrap() + 40,
        nonce: random_nonce(&ring::rand::SystemRandom::new()).unwrap(),
    };
    let unsigned =
        SandboxData::unsigned_payload(&m, Some(money(500, "SGD")), Some("SC-A"), None).unwrap();
    let other_account = sign_payload(&unsigned, &key, &key_id, Some(info)).unwrap();
    let now = r.now();
    let req = pin_free_at(
        &r.w,
        &r.store,
        &other_account,
        money(500, "SGD"),
        money(0, "SGD"),
        now,
        now,
    );
    let resp = r.c.submit(&req).unwrap();
    let BackendReply::Declined { message, .. } = resp.reply() else {
        panic!("declined above")
    };
    assert!(message.contains("account"), "{message}");
    r.refused(&req.payment_id, &resp, "merchant-unverified", balance);
}
