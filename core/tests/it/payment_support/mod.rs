//! Shared fixtures of the `payment_*` and `flow_*` tests: a signed merchant
//! registry, signed codes, a simulated backend with fault injection, and a
//! "world" that can reopen the journal file as after a crash.
//!
//! The simulated backend is a test double of the HTTPS backend (issue 4): an
//! idempotent ledger keyed by payment id, with scripted faults per operation.
//! Everything else (Store, Authenticator with SoftwareKeyStore, TrustStore,
//! StatusMonitor) is the real thing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use scanpay_core::auth::{
    Authenticator, PaymentAuthorisation, PinPad, SoftwareKeyStore, StoredRequestSigner,
};
use scanpay_core::money::{Currency, Money};
use scanpay_core::payload::mpm::MpmBuilder;
use scanpay_core::payment::{
    breakdown, Backend, BackendError, BackendReply, Clock, CurrencyLimits, FlowServices,
    MerchantSummary, NewPayment, Operation, PaymentEngine, PaymentFlow, PaymentRequest, Receipt,
    ShortcutService, VirtualClock, WalletConfig,
};
use scanpay_core::status::StatusMonitor;
use scanpay_core::store::Store;
use scanpay_core::trust::issue::{self, SigningKey};
use scanpay_core::trust::keys::Algorithm;
use scanpay_core::trust::registry::{MerchantKeyJson, RegisteredAccount, RegistryJson, RootKeys};
use scanpay_core::trust::signed_qr::DynamicInfo;
use scanpay_core::trust::TrustStore;

/// Fixed start time of every test.
pub const NOW: u64 = 1_780_000_000;
/// The enrolled PIN.
pub const PIN: &str = "258014";
/// A wrong PIN.
pub const WRONG_PIN: &str = "904172";
/// Registered name and city.
pub const NAME: &str = "ALICE CAFE";
pub const CITY: &str = "BANGKOK";
pub const ACCOUNT: &str = "5111111111111118";

pub fn thb(minor: u64) -> Money {
    Money::new(minor, Currency::THB)
}

fn root_key() -> SigningKey {
    SigningKey::ed25519_from_seed(&[1; 32]).unwrap()
}

fn merchant_key() -> SigningKey {
    SigningKey::ed25519_from_seed(&[2; 32]).unwrap()
}

/// The pinned root keys.
pub fn roots() -> RootKeys {
    RootKeys::new(vec![("root-1".into(), root_key().public_key().clone())], 1).unwrap()
}

/// A signed registry document with one merchant ("m1").
pub fn registry_doc() -> Vec<u8> {
    let registry = RegistryJson {
        format: 1,
        registry_id: "test".into(),
        version: 1,
        issued_at: NOW - 1000,
        expires_at: NOW + 30 * 86_400,
        keys: vec![MerchantKeyJson {
            key_id: "m1".into(),
            merchant_id: "M-1".into(),
            name: NAME.into(),
            city: CITY.into(),
            accounts: vec![RegisteredAccount::Primitive {
                id: 4,
                value: ACCOUNT.into(),
            }],
            alg: Algorithm::Ed25519,
            public_key: merchant_key().public_key().to_base64url(),
            not_before: 0,
            not_after: NOW + 365 * 86_400,
            revoked: false,
        }],
    };
    issue::sign_registry(&registry, &[("root-1", &root_key())]).unwrap()
}

/// A trust store holding [`registry_doc`].
pub fn trust_store() -> TrustStore {
    let mut store = TrustStore::new(roots());
    store.apply_registry(&registry_doc(), NOW).unwrap();
    store
}

/// The tip objects of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tip {
    None,
    Prompt,
    Fixed(&'static str),
    Percent(&'static str),
}

fn body(dynamic: bool, amount: Option<&str>, tip: Tip, name: &str) -> String {
    let mut b = MpmBuilder::new();
    b.object(1, if dynamic { "12" } else { "11" }).unwrap();
    b.object(4, ACCOUNT).unwrap();
    b.object(52, "5812").unwrap();
    b.object(53, "764").unwrap();
    if let Some(a) = amount {
        b.object(54, a).unwrap();
    }
    match tip {
        Tip::None => {}
        Tip::Prompt => {
            b.object(55, "01").unwrap();
        }
        Tip::Fixed(f) => {
            b.object(55, "02").unwrap().object(56, f).unwrap();
        }
        Tip::Percent(p) => {
            b.object(55, "03").unwrap().object(57, p).unwrap();
        }
    }
    b.object(58, "TH").unwrap();
    b.object(59, name).unwrap();
    b.object(60, CITY).unwrap();
    b.finish().unwrap()
}

/// A signed static code (no amount).
pub fn static_code(tip: Tip) -> String {
    issue::sign_payload(&body(false, None, tip, NAME), &merchant_key(), "m1", None).unwrap()
}

/// A signed dynamic code with an amount and a fresh nonce.
pub fn dynamic_code(amount: &str, tip: Tip) -> String {
    dynamic_code_at(amount, tip, NOW)
}

/// A signed dynamic code with an amount and a fresh nonce, valid for an
/// hour from `now` (for tests that move the clock by days).
pub fn dynamic_code_at(amount: &str, tip: Tip, now: u64) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let nonce = format!("nonce-{n:010}-abcdefgh");
    issue::sign_payload(
        &body(true, Some(amount), tip, NAME),
        &merchant_key(),
        "m1",
        Some(DynamicInfo {
            expires_at: now + 3600,
            nonce,
        }),
    )
    .unwrap()
}

/// A valid EMVCo code without a ScanPay signature (unverified).
pub fn unsigned_code() -> String {
    body(false, None, Tip::None, NAME)
}

/// A scripted fault for the next call of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing was sent.
    NotSent,
    /// TLS failure, nothing sent.
    Tls,
    /// The request is lost on the way (not applied), reported as a timeout.
    DropRequest,
    /// Applied, but the response is lost (timeout).
    LoseResponse,
    /// A 500, not applied.
    Server500,
    /// The payer completes payment just before this call is handled.
    PaidJustBefore,
}

/// How the backend settles a new payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Succeed,
    Decline,
    /// "User paying" for this many seconds, then paid (unless reversed first).
    UserPaying(u64),
    /// "User paying" forever (until reversed).
    UserPayingForever,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SimStatus {
    Paid { at: u64 },
    Declined,
    Paying { until: Option<u64> },
    Reversed,
}

#[derive(Debug, Clone)]
struct SimPayment {
    status: SimStatus,
    amount: Money,
    submits: u32,
}

#[derive(Default)]
struct SimState {
    payments: HashMap<String, SimPayment>,
    faults: HashMap<Operation, VecDeque<Fault>>,
    mode: Option<Mode>,
    calls: Vec<(Operation, String)>,
    violations: Vec<String>,
    /// Crash (panic) at this call number (0-based); `true` = after applying.
    crash_at: Option<(usize, bool)>,
    journal: Option<Store>,
    reverse_broken: bool,
}

/// The simulated backend.
pub struct SimBackend {
    clock: Arc<VirtualClock>,
    state: Mutex<SimState>,
}

pub const CRASH: &str = "simulated crash";

impl SimBackend {
    pub fn new(clock: Arc<VirtualClock>) -> SimBackend {
        SimBackend {
            clock,
            state: Mutex::new(SimState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_mode(&self, mode: Mode) {
        self.lock().mode = Some(mode);
    }

    pub fn fault(&self, op: Operation, fault: Fault) {
        self.lock().faults.entry(op).or_default().push_back(fault);
    }

    pub fn faults(&self, op: Operation, fault: Fault, n: usize) {
        for _ in 0..n {
            self.fault(op, fault);
        }
    }

    /// Every reversal times out (not applied).
    pub fn set_reverse_broken(&self, broken: bool) {
        self.lock().reverse_broken = broken;
    }

    pub fn crash_at(&self, call: usize, after_apply: bool) {
        self.lock().crash_at = Some((call, after_apply));
    }

    pub fn clear_crash(&self) {
        self.lock().crash_at = None;
    }

    /// The journal the backend checks "journalled before sent" against.
    pub fn set_journal(&self, store: Store) {
        self.lock().journal = Some(store);
    }

    pub fn calls(&self) -> Vec<(Operation, String)> {
        self.lock().calls.clone()
    }

    pub fn count(&self, op: Operation) -> usize {
        self.lock().calls.iter().filter(|(o, _)| *o == op).count()
    }

    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Whether the ledger holds the payment as paid.
    pub fn is_paid(&self, id: &str) -> bool {
        matches!(
            self.lock().payments.get(id).map(|p| p.status),
            Some(SimStatus::Paid { .. })
        )
    }

    pub fn known(&self, id: &str) -> bool {
        self.lock().payments.contains_key(id)
    }

    pub fn submits(&self, id: &str) -> u32 {
        self.lock().payments.get(id).map_or(0, |p| p.submits)
    }

    fn settle(p: &mut SimPayment, now: u64) {
        if let SimStatus::Paying { until: Some(u) } = p.status {
            if now >= u {
                p.status = SimStatus::Paid { at: u };
            }
        }
    }

    fn reply(id: &str, p: &SimPayment) -> BackendReply {
        match p.status {
            SimStatus::Paid { at } => BackendReply::Succeeded {
                receipt: Receipt {
                    reference: format!("R-{id}"),
                    amount: p.amount,
                    paid_at: at,
                },
            },
            SimStatus::Declined => BackendReply::Declined {
                code: "insufficient-funds".into(),
                message: "not enough money".into(),
            },
            SimStatus::Paying { .. } => BackendReply::Processing,
            SimStatus::Reversed => BackendReply::Reversed,
        }
    }

    /// Common prologue: log the call, maybe crash before applying, pop a fault.
    fn begin(&self, op: Operation, id: &str) -> (Option<Fault>, bool) {
        let mut s = self.lock();
        let n = s.calls.len();
        s.calls.push((op, id.to_string()));
        let mut crash_after = false;
        if let Some((at, after)) = s.crash_at {
            if at == n {
                if !after {
                    s.crash_at = None;
                    drop(s);
                    panic!("{CRASH}");
                }
                crash_after = true;
            }
        }
        let fault = s.faults.get_mut(&op).and_then(VecDeque::pop_front);
        (fault, crash_after)
    }

    fn finish(
        &self,
        crash_after: bool,
        r: Result<BackendReply, BackendError>,
    ) -> Result<BackendReply, BackendError> {
        if crash_after {
            self.lock().crash_at = None;
            panic!("{CRASH}");
        }
        r
    }

    fn pre_fault(f: Option<Fault>) -> Option<Result<BackendReply, BackendError>> {
        match f {
            Some(Fault::NotSent) => Some(Err(BackendError::NotSent("no route".into()))),
            Some(Fault::Tls) => Some(Err(BackendError::Tls("bad pin".into()))),
            Some(Fault::DropRequest) => Some(Err(BackendError::MaybeSent("timeout".into()))),
            Some(Fault::Server500) => Some(Err(BackendError::Server {
                status: 500,
                message: "oops".into(),
            })),
            _ => None,
        }
    }

    fn post_fault(f: Option<Fault>, r: BackendReply) -> Result<BackendReply, BackendError> {
        if f == Some(Fault::LoseResponse) {
            Err(BackendError::MaybeSent("response lost".into()))
        } else {
            Ok(r)
        }
    }

    fn pay_now(&self, id: &str, now: u64) {
        if let Some(p) = self.lock().payments.get_mut(id) {
            if matches!(p.status, SimStatus::Paying { .. }) {
                p.status = SimStatus::Paid { at: now };
            }
        }
    }
}

impl Backend for SimBackend {
    fn submit(&self, req: &PaymentRequest) -> Result<BackendReply, BackendError> {
        let id = req.payment_id.clone();
        {
            let mut s = self.lock();
            // The discipline under test: journalled as SENDING before any send.
            let row = s.journal.as_ref().map(|j| j.payment(&id));
            match row {
                Some(Ok(Some(r))) if r.state == "SENDING" => {}
                other => s.violations.push(format!(
                    "submit of {id} not journalled as SENDING: {other:?}"
                )),
            }
            if req.authorisation.authorisation.payment_id != id
                || req.authorisation.authorisation.amount_minor != req.breakdown.total.minor
            {
                s.violations
                    .push(format!("request {id} does not match its authorisation"));
            }
        }
        let (fault, crash_after) = self.begin(Operation::Submit, &id);
        if let Some(r) = Self::pre_fault(fault) {
            return self.finish(crash_after, r);
        }
        let now = self.clock.now();
        if fault == Some(Fault::PaidJustBefore) {
            self.pay_now(&id, now);
        }
        let reply = {
            let mut s = self.lock();
            let mode = s.mode.unwrap_or(Mode::Succeed);
            let p = s.payments.entry(id.clone()).or_insert_with(|| SimPayment {
                status: match mode {
                    Mode::Succeed => SimStatus::Paid { at: now },
                    Mode::Decline => SimStatus::Declined,
                    Mode::UserPaying(secs) => SimStatus::Paying {
                        until: Some(now + secs),
                    },
                    Mode::UserPayingForever => SimStatus::Paying { until: None },
                },
                amount: req.breakdown.total,
                submits: 0,
            });
            p.submits += 1;
            Self::settle(p, now);
            Self::reply(&id, p)
        };
        let r = Self::post_fault(fault, reply);
        self.finish(crash_after, r)
    }

    fn query(&self, payment_id: &str) -> Result<BackendReply, BackendError> {
        let (fault, crash_after) = self.begin(Operation::Query, payment_id);
        if let Some(r) = Self::pre_fault(fault) {
            return self.finish(crash_after, r);
        }
        let now = self.clock.now();
        if fault == Some(Fault::PaidJustBefore) {
            self.pay_now(payment_id, now);
        }
        let reply = {
            let mut s = self.lock();
            match s.payments.get_mut(payment_id) {
                None => BackendReply::NotFound,
                Some(p) => {
                    Self::settle(p, now);
                    Self::reply(payment_id, p)
                }
            }
        };
        let r = Self::post_fault(fault, reply);
        self.finish(crash_after, r)
    }

    fn reverse(&self, payment_id: &str) -> Result<BackendReply, BackendError> {
        let (mut fault, crash_after) = self.begin(Operation::Reverse, payment_id);
        if self.lock().reverse_broken {
            fault = Some(Fault::DropRequest);
        }
        if let Some(r) = Self::pre_fault(fault) {
            return self.finish(crash_after, r);
        }
        let now = self.clock.now();
        if fault == Some(Fault::PaidJustBefore) {
            self.pay_now(payment_id, now);
        }
        let reply = {
            let mut s = self.lock();
            let p = s
                .payments
                .entry(payment_id.to_string())
                .or_insert_with(|| SimPayment {
                    // A tombstone: a late submit with this id is refused.
                    status: SimStatus::Reversed,
                    amount: Money::zero(Currency::THB),
                    submits: 0,
                });
            Self::settle(p, now);
            if let SimStatus::Paying { .. } = p.status {
                p.status = SimStatus::Reversed;
            }
            Self::reply(payment_id, p)
        };
        let r = Self::post_fault(fault, reply);
        self.finish(crash_after, r)
    }
}

pub fn limits() -> CurrencyLimits {
    CurrencyLimits {
        currency: Currency::THB,
        per_payment: 500_000,
        daily: 1_000_000,
        offline_per_payment: 20_000,
        offline_total: 50_000,
    }
}

pub fn config() -> WalletConfig {
    WalletConfig {
        limits: vec![limits()],
        ..WalletConfig::default()
    }
}

pub fn pad(pin: &str) -> PinPad {
    let mut p = PinPad::new();
    for c in pin.bytes() {
        p.press(c - b'0').unwrap();
    }
    p
}

/// A temporary directory removed on drop.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir(
            tempfile::Builder::new()
                .prefix(&format!("scanpay-{tag}-"))
                .tempdir()
                .unwrap(),
        )
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// What survives a crash: the journal file, the backend, the clock, the
/// platform key store. Everything else is rebuilt by [`World::open`].
pub struct World {
    pub dir: TempDir,
    pub clock: Arc<VirtualClock>,
    pub sim: Arc<SimBackend>,
    pub keystore: Arc<SoftwareKeyStore>,
    pub config: WalletConfig,
}

/// One "process": the journal opened, the engine, the authenticator.
pub struct App {
    pub store: Store,
    pub engine: Arc<PaymentEngine>,
    pub auth: Arc<Authenticator>,
    pub trust: Arc<RwLock<TrustStore>>,
    pub status: StatusMonitor,
    pub shortcuts: Arc<ShortcutService>,
}

impl App {
    pub fn services(&self) -> FlowServices {
        FlowServices {
            engine: Arc::clone(&self.engine),
            authenticator: Arc::clone(&self.auth),
            trust: Arc::clone(&self.trust),
            shortcuts: Arc::clone(&self.shortcuts),
        }
    }

    pub fn flow(&self) -> PaymentFlow {
        PaymentFlow::new(self.services())
    }
}

impl World {
    pub fn new(config: WalletConfig) -> World {
        let clock = Arc::new(VirtualClock::at(NOW));
        World {
            dir: TempDir::new("pay"),
            sim: Arc::new(SimBackend::new(Arc::clone(&clock))),
            clock,
            keystore: Arc::new(SoftwareKeyStore::from_key_bytes([7; 32])),
            config,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("wallet.db")
    }

    /// Opens (or reopens) the journal file and builds a fresh process on it.
    pub fn open(&self) -> App {
        let store = Store::open(&self.path()).unwrap();
        self.sim.set_journal(store.clone());
        let status = StatusMonitor::default();
        let clock: Arc<dyn Clock> = self.clock.clone();
        let engine = Arc::new(PaymentEngine::new(
            store.clone(),
            self.sim.clone(),
            clock,
            self.config.clone(),
            status.clone(),
        ));
        let auth = Arc::new(Authenticator::new(store.clone(), self.keystore.clone()));
        if !auth.is_enrolled().unwrap() {
            auth.enrol(&pad(PIN), self.clock.now()).unwrap();
        }
        let shortcuts = Arc::new(ShortcutService::new(
            store.clone(),
            Arc::clone(&auth),
            Arc::new(StoredRequestSigner::new(
                store.clone(),
                self.keystore.clone(),
            )),
            self.config.shortcuts.clone(),
            self.clock.clone(),
        ));
        App {
            store,
            engine,
            auth,
            trust: Arc::new(RwLock::new(trust_store())),
            status,
            shortcuts,
        }
    }
}

/// A payment to the test merchant for `total` minor units of THB, authorised
/// with the PIN: ready for `PaymentEngine::journal` / `pay`.
pub fn new_payment(app: &App, total: u64) -> NewPayment {
    let id = PaymentEngine::new_payment_id().unwrap();
    let payload = static_code(Tip::None);
    let b = breakdown(thb(total), None, None).unwrap();
    let signed = app
        .auth
        .authorise(
            &pad(PIN),
            PaymentAuthorisation {
                payment_id: id.clone(),
                merchant_key_id: "m1".into(),
                merchant_account: format!("04={ACCOUNT}"),
                amount_minor: total,
                currency: b.total.currency,
                payload_sha256: PaymentAuthorisation::payload_digest(&payload),
                time: NOW,
            },
            NOW,
        )
        .unwrap();
    NewPayment {
        id,
        merchant: MerchantSummary {
            name: NAME.into(),
            city: Some(CITY.into()),
            merchant_id: Some("M-1".into()),
            key_id: Some("m1".into()),
            account: format!("04={ACCOUNT}"),
            verified: true,
        },
        breakdown: b,
        payload,
        authorisation: signed,
    }
}
