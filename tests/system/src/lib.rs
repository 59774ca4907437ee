//! # scanpay-system-tests
//!
//! Shared harness for the system suites in `tests/system/tests/`: the real
//! wallet ([`Wallet`] with its journal, [`Authenticator`](scanpay_core::auth::Authenticator) and
//! [`HttpsBackend`]) against the real sandbox ([`RunningSandbox`]) over TLS on
//! loopback. Nothing is simulated: the only thing between the wallet's engine
//! and its HTTPS client is [`Tap`], which forwards every call unchanged,
//! records what came back, and can arm a sandbox fault right before the n-th
//! submit, query or reverse (so a fault strikes exactly the request a case is
//! about).
//!
//! Time: the wallet runs on a [`VirtualClock`] whose `sleep` advances instantly,
//! so the 45 s query window and the reversal backoff cost no real time; the
//! sandbox keeps real time (plus its control-API offset). Client timeouts are
//! short ([`READ_TIMEOUT`]) and the faults that wait ([`FAULT_WAIT_MS`]) wait
//! well past them.
//!
//! `docs/testing.md` says what each suite proves and how to run it.
#![forbid(unsafe_code)]

pub mod child;
pub mod crash;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use scanpay_core::auth::{
    AuthError, PinPad, PlatformKeyStore, SoftwareKeyStore, StoredRequestSigner,
};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::{
    ControlPayment, CreateOrderRequest, CreateOrderResponse, EnrolResponse, Fault, FaultKind,
    FaultRequest,
};
use scanpay_core::net::{
    ClientConfig, ConfigError, HttpsBackend, NetError, TillClient, TillError, TlsConfig,
};
use scanpay_core::paycode::PaycodeError;
use scanpay_core::payment::{
    Backend, BackendError, BackendReply, Clock, CurrencyLimits, FlowError, FlowState, Intent,
    Operation, PaymentFlow, PaymentRequest, VirtualClock, WalletConfig,
};
use scanpay_core::trust::{RegistryError, RegistryInfo, RootKeys};
use scanpay_core::wallet::{AppliedRegistry, Wallet, WalletError, WalletOptions};
use scanpay_sandbox::{RunningSandbox, Sandbox, SandboxConfig, SandboxError, WalletLink};
use thiserror::Error;

/// The PIN every test wallet is enrolled with (passes the PIN policy).
pub const PIN: [u8; 6] = [4, 8, 2, 9, 1, 6];

/// The wallet client's read timeout in the system suites: short, so a fault
/// that waits past it costs little real time, long enough that a loaded
/// two-core machine does not time out a healthy request.
pub const READ_TIMEOUT: Duration = Duration::from_millis(1_000);

/// How long the waiting faults (`delay`, `stall-body`) wait: well past
/// [`READ_TIMEOUT`].
pub const FAULT_WAIT_MS: u64 = 2_500;

/// A pin that matches no sandbox key (base64 of 32 zero bytes).
pub const WRONG_PIN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// Why the harness could not set a scenario up. Test code unwraps these: a
/// harness failure is a failed test, with this message.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// The sandbox failed to start or answer.
    #[error("sandbox: {0}")]
    Sandbox(#[from] SandboxError),
    /// A call over HTTPS failed.
    #[error("network: {0}")]
    Net(#[from] NetError),
    /// The client configuration was refused.
    #[error("client configuration: {0}")]
    Config(#[from] ConfigError),
    /// The wallet failed to open or update.
    #[error("wallet: {0}")]
    Wallet(#[from] WalletError),
    /// A registry document was refused.
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    /// The PIN / device key failed.
    #[error("PIN: {0}")]
    Auth(#[from] AuthError),
    /// A flow intent was refused.
    #[error("flow: {0}")]
    Flow(#[from] FlowError),
    /// A till's call failed.
    #[error("till: {0}")]
    Till(#[from] TillError),
    /// The pay code failed.
    #[error("pay code: {0}")]
    Paycode(#[from] PaycodeError),
    /// A file operation failed.
    #[error("{path}: {detail}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        detail: String,
    },
    /// The scenario went somewhere it should not have.
    #[error("{0}")]
    Unexpected(String),
}

/// The harness's result.
pub type Result<T> = std::result::Result<T, HarnessError>;

/// A directory removed (with everything in it) when dropped.
#[derive(Debug)]
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// A fresh, empty directory `<base>/system-<name>-<random>`.
    pub fn new(base: &Path, name: &str) -> Result<TempDir> {
        std::fs::create_dir_all(base)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix(&format!("system-{name}-"))
                    .tempdir_in(base)
            })
            .map(TempDir)
            .map_err(|e| HarnessError::Io {
                path: base.display().to_string(),
                detail: e.to_string(),
            })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// A PIN pad holding `digits`.
pub fn pad(digits: &[u8]) -> Result<PinPad> {
    let mut p = PinPad::new();
    for d in digits {
        p.press(*d)?;
    }
    Ok(p)
}

/// The client configuration for a sandbox: its CA as the only root, the given
/// pins (required), the given base URL and [`READ_TIMEOUT`].
pub fn client_config(link: &WalletLink, base_url: &str, pins: &[&str]) -> ClientConfig {
    let mut c = ClientConfig::new(
        base_url,
        TlsConfig {
            root_certificates: link.ca_pem.clone().into_bytes(),
            pins: pins.iter().map(|p| (*p).to_string()).collect(),
            require_pins: true,
        },
    );
    c.connect_timeout = Duration::from_secs(5);
    c.read_timeout = READ_TIMEOUT;
    c
}

/// The registry roots the sandbox wrote (`roots.json`).
pub fn sandbox_roots(link: &WalletLink) -> Result<RootKeys> {
    let bytes = std::fs::read(&link.roots_json_path).map_err(|e| HarnessError::Io {
        path: link.roots_json_path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(RootKeys::from_json(&bytes)?)
}

/// Wallet limits above the sandbox's own (SGD and THB: 1,000.00 per payment,
/// 2,000.00 a day), so the sandbox's declines are reachable; default timings.
pub fn wallet_config() -> WalletConfig {
    let limits = |currency| CurrencyLimits {
        currency,
        per_payment: 100_000,
        daily: 200_000,
        offline_per_payment: 0,
        offline_total: 0,
    };
    WalletConfig {
        limits: vec![limits(Currency::SGD), limits(Currency::THB)],
        ..WalletConfig::default()
    }
}

/// Money in SGD minor units.
pub fn sgd(minor: u64) -> Money {
    Money::new(minor, Currency::SGD)
}

/// One call the engine made, as it came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Which operation.
    pub op: Operation,
    /// The payment id.
    pub payment_id: String,
    /// What the HTTPS client returned.
    pub result: std::result::Result<BackendReply, BackendError>,
}

struct Arm {
    op: Operation,
    nth: u32,
    rule: FaultRequest,
}

/// The engine's [`Backend`]: forwards every call to the real [`HttpsBackend`]
/// unchanged, records the result, and arms sandbox faults right before the
/// n-th call of an operation (through the sandbox's control API, which is
/// never faulted). Arming a `tls-handshake` fault first closes the client's
/// idle connections, so the faulted call is the one that connects next.
pub struct Tap {
    net: Arc<HttpsBackend>,
    control: Arc<HttpsBackend>,
    arms: Mutex<Vec<Arm>>,
    calls: Mutex<Vec<Call>>,
    problems: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tap {
    /// A tap over `net`, arming faults through `control`.
    pub fn new(net: Arc<HttpsBackend>, control: Arc<HttpsBackend>) -> Tap {
        Tap {
            net,
            control,
            arms: Mutex::new(Vec::new()),
            calls: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
        }
    }

    /// The wallet's HTTPS client.
    pub fn net(&self) -> &Arc<HttpsBackend> {
        &self.net
    }

    /// Right before the `nth` (1-based) call of `op`, arm `fault` for the
    /// next `count` requests of `kind`.
    pub fn arm_before(&self, op: Operation, nth: u32, kind: FaultKind, fault: Fault, count: u32) {
        lock(&self.arms).push(Arm {
            op,
            nth,
            rule: FaultRequest { kind, fault, count },
        });
    }

    /// Forgets the calls recorded and the arms not yet fired (between the
    /// cases of a table that share one wallet).
    pub fn reset(&self) {
        lock(&self.calls).clear();
        lock(&self.arms).clear();
        lock(&self.problems).clear();
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }

    /// The results of the calls of `op`, in order.
    pub fn results(&self, op: Operation) -> Vec<std::result::Result<BackendReply, BackendError>> {
        lock(&self.calls)
            .iter()
            .filter(|c| c.op == op)
            .map(|c| c.result.clone())
            .collect()
    }

    /// Arms that failed, and arms that never fired: a scenario whose fault
    /// did not strike proves nothing, so tests assert this is empty.
    pub fn problems(&self) -> Vec<String> {
        let mut p = lock(&self.problems).clone();
        for a in lock(&self.arms).iter() {
            p.push(format!(
                "fault {:?} was to be armed before {:?} #{} but that call never happened",
                a.rule.fault, a.op, a.nth
            ));
        }
        p
    }

    fn call(
        &self,
        op: Operation,
        payment_id: &str,
        f: impl FnOnce(&HttpsBackend) -> std::result::Result<BackendReply, BackendError>,
    ) -> std::result::Result<BackendReply, BackendError> {
        let nth = lock(&self.calls)
            .iter()
            .filter(|c| c.op == op)
            .count()
            .saturating_add(1);
        let due: Vec<FaultRequest> = {
            let mut arms = lock(&self.arms);
            let (now, later): (Vec<Arm>, Vec<Arm>) = arms
                .drain(..)
                .partition(|a| a.op == op && usize::try_from(a.nth).ok() == Some(nth));
            *arms = later;
            now.into_iter().map(|a| a.rule).collect()
        };
        for rule in due {
            if matches!(rule.fault, Fault::TlsHandshake) {
                self.net.close_idle();
            }
            if let Err(e) = self.control.set_fault(&rule) {
                lock(&self.problems).push(format!("arming {rule:?} failed: {e}"));
            }
        }
        let result = f(&self.net);
        lock(&self.calls).push(Call {
            op,
            payment_id: payment_id.to_string(),
            result: result.clone(),
        });
        result
    }
}

impl Backend for Tap {
    fn submit(&self, req: &PaymentRequest) -> std::result::Result<BackendReply, BackendError> {
        self.call(Operation::Submit, &req.payment_id, |n| n.submit(req))
    }

    fn query(&self, payment_id: &str) -> std::result::Result<BackendReply, BackendError> {
        self.call(Operation::Query, payment_id, |n| n.query(payment_id))
    }

    fn reverse(&self, payment_id: &str) -> std::result::Result<BackendReply, BackendError> {
        self.call(Operation::Reverse, payment_id, |n| n.reverse(payment_id))
    }
}

/// How to start a [`System`].
#[derive(Debug, Clone)]
pub struct SystemOptions {
    /// Where the temp dirs go (tests pass `env!("CARGO_TARGET_TMPDIR")`).
    pub base_dir: PathBuf,
    /// A name for the temp dir.
    pub name: String,
    /// The wallet configuration.
    pub config: WalletConfig,
    /// The pins the wallet's client is configured with; `None` = the
    /// sandbox's own pin.
    pub pins: Option<Vec<String>>,
    /// Extra names for the sandbox certificate.
    pub extra_names: Vec<String>,
    /// Where the sandbox listens (default `127.0.0.1:0`).
    pub listen: Option<std::net::SocketAddr>,
    /// The wallet's base URL; `None` = the sandbox's `https://localhost:port`.
    /// `{port}` is replaced by the sandbox's port.
    pub base_url: Option<String>,
}

impl SystemOptions {
    /// Defaults: [`wallet_config`], the sandbox's pin, loopback.
    pub fn new(base_dir: impl Into<PathBuf>, name: &str) -> SystemOptions {
        SystemOptions {
            base_dir: base_dir.into(),
            name: name.to_string(),
            config: wallet_config(),
            pins: None,
            extra_names: Vec::new(),
            listen: None,
            base_url: None,
        }
    }
}

/// A running sandbox and a wallet talking to it.
///
/// Field order is drop order: the wallet goes first, the sandbox before its
/// directory.
pub struct System {
    /// The wallet.
    pub wallet: Wallet,
    /// The engine's backend (the wallet's HTTPS client behind a [`Tap`]).
    pub tap: Arc<Tap>,
    /// The wallet's HTTPS client (enrolment, registry sync, stats).
    pub net: Arc<HttpsBackend>,
    /// A separate client for the control API and the merchant side, so the
    /// wallet client's counters count only the wallet's own requests.
    pub control: Arc<HttpsBackend>,
    /// The wallet's clock.
    pub clock: Arc<VirtualClock>,
    /// The sandbox.
    pub sandbox: RunningSandbox,
    keystore: Arc<SoftwareKeyStore>,
    roots: RootKeys,
    client: ClientConfig,
    config: WalletConfig,
    wallet_dir: PathBuf,
    /// The temp dir holding the sandbox and wallet data (removed last).
    pub dir: TempDir,
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System")
            .field("sandbox", &self.sandbox)
            .field("wallet", &self.wallet)
            .finish_non_exhaustive()
    }
}

impl System {
    /// Starts a fresh sandbox in a temp dir and opens a fresh wallet (not yet
    /// enrolled, no registry) whose client trusts the sandbox CA and pins.
    pub fn start(opts: SystemOptions) -> Result<System> {
        let dir = TempDir::new(&opts.base_dir, &opts.name)?;
        let mut sc = SandboxConfig::new(dir.path().join("sandbox"));
        sc.extra_names = opts.extra_names.clone();
        if let Some(listen) = opts.listen {
            sc.listen = listen;
        }
        let sandbox = Sandbox::start(sc)?;
        let link = sandbox.wallet_link();
        let control = Arc::new(HttpsBackend::new(client_config(
            &link,
            &link.base_url,
            &[link.spki_pin.as_str()],
        ))?);
        let base_url = opts
            .base_url
            .as_deref()
            .map(|u| u.replace("{port}", &sandbox.addr().port().to_string()))
            .unwrap_or_else(|| link.base_url.clone());
        let pins: Vec<String> = opts
            .pins
            .clone()
            .unwrap_or_else(|| vec![link.spki_pin.clone()]);
        let pin_refs: Vec<&str> = pins.iter().map(String::as_str).collect();
        let client = client_config(&link, &base_url, &pin_refs);
        let clock = Arc::new(VirtualClock::at(sandbox.data().now()?));
        let keystore = Arc::new(SoftwareKeyStore::generate().map_err(AuthError::from)?);
        let roots = sandbox_roots(&link)?;
        let wallet_dir = dir.path().join("wallet");
        let (wallet, tap, net) = open_wallet(
            &wallet_dir,
            &roots,
            &opts.config,
            &keystore,
            &clock,
            &client,
            &control,
        )?;
        Ok(System {
            wallet,
            tap,
            net,
            control,
            clock,
            sandbox,
            keystore,
            roots,
            client,
            config: opts.config,
            wallet_dir,
            dir,
        })
    }

    /// The app is killed and started again: the wallet (and its HTTPS client,
    /// pool and tap) is dropped and opened afresh from its data directory.
    /// Does not call [`Wallet::start`].
    pub fn restart_wallet(self) -> Result<System> {
        let System {
            wallet,
            tap,
            net,
            control,
            clock,
            sandbox,
            keystore,
            roots,
            client,
            config,
            wallet_dir,
            dir,
        } = self;
        drop(wallet);
        drop(tap);
        drop(net);
        let (wallet, tap, net) = open_wallet(
            &wallet_dir,
            &roots,
            &config,
            &keystore,
            &clock,
            &client,
            &control,
        )?;
        Ok(System {
            wallet,
            tap,
            net,
            control,
            clock,
            sandbox,
            keystore,
            roots,
            client,
            config,
            wallet_dir,
            dir,
        })
    }

    /// Starts a fresh system ([`SystemOptions::new`] under `base_dir`),
    /// enrolled with `"SANDBOX"` and with the registry synced: where most
    /// suites begin.
    pub fn start_enrolled(base_dir: impl Into<PathBuf>, name: &str) -> Result<System> {
        let sys = System::start(SystemOptions::new(base_dir, name))?;
        sys.enrol("SANDBOX")?;
        if sys.sync_registry()?.is_none() {
            return Err(HarnessError::Unexpected(
                "a fresh wallet's first registry sync got nothing".into(),
            ));
        }
        Ok(sys)
    }

    /// Enrols: a device key sealed under [`PIN`] locally, its public key
    /// registered with `code` over HTTPS ([`Wallet::register_device`]).
    pub fn enrol(&self, code: &str) -> Result<EnrolResponse> {
        self.wallet
            .authenticator()
            .enrol(&pad(&PIN)?, self.clock.now())?;
        Ok(self.wallet.register_device(code)?)
    }

    /// One registry sync as an app does it ([`Wallet::sync_registry`]: the
    /// outcome reaches the status). Returns the applied info and the exact
    /// bytes, or `None` when the wallet was current (304).
    pub fn sync_registry(&self) -> Result<Option<(RegistryInfo, Vec<u8>)>> {
        Ok(self
            .wallet
            .sync_registry()?
            .map(|AppliedRegistry { info, document }| (info, document)))
    }

    /// A till of `merchant_id` (its first till key), talking to the sandbox
    /// over the wallet's client configuration.
    pub fn till_client(&self, merchant_id: &str) -> Result<TillClient> {
        Ok(TillClient::new(
            self.client.clone(),
            &self.till_key(merchant_id)?,
        )?)
    }

    /// The sandbox's truth about a payment (control API, over HTTPS).
    pub fn truth(&self, payment_id: &str) -> Result<ControlPayment> {
        Ok(self.control.control_payment(payment_id)?)
    }

    /// Polls the sandbox's truth about a payment until `done` holds or
    /// `within` passes, and returns the last answer either way (so the
    /// caller's assertion shows what the server had). For faults that land
    /// late: a delayed request is processed after the wallet gave up on it.
    pub fn settle(
        &self,
        payment_id: &str,
        done: impl Fn(&ControlPayment) -> bool,
        within: Duration,
    ) -> Result<ControlPayment> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let t = self.truth(payment_id)?;
            if done(&t) || std::time::Instant::now() >= deadline {
                return Ok(t);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A wallet account's balance, as the sandbox has it.
    pub fn balance(&self, account_id: &str) -> Result<Money> {
        self.sandbox
            .data()
            .account(account_id)?
            .map(|a| a.balance)
            .ok_or_else(|| HarnessError::Unexpected(format!("no account {account_id}")))
    }

    /// A merchant's till asks for a dynamic code (merchant API, over HTTPS).
    pub fn order(&self, merchant_id: &str, amount: Money) -> Result<CreateOrderResponse> {
        Ok(self.control.create_order(&CreateOrderRequest {
            merchant_id: merchant_id.to_string(),
            amount,
            reference: "INV-SYSTEM-1".to_string(),
        })?)
    }

    /// A merchant's signed static code.
    pub fn static_code(&self, merchant_id: &str) -> Result<String> {
        Ok(self.sandbox.data().static_payload(merchant_id)?)
    }

    /// Disarms every fault (through the control API).
    pub fn clear_faults(&self) -> Result<()> {
        self.control.clear_faults()?;
        Ok(())
    }

    /// The wallet's client configuration.
    pub fn client_config(&self) -> &ClientConfig {
        &self.client
    }

    /// Another wallet-side HTTPS client signing with the wallet's request
    /// key, to attach as the pay code's backend: at `base_url` (`None` = the
    /// sandbox; a dead port = the phone offline) with `read_timeout` (an
    /// events long-poll waits up to the read timeout less 3 s).
    pub fn paycode_backend(
        &self,
        base_url: Option<&str>,
        read_timeout: Duration,
    ) -> Result<Arc<HttpsBackend>> {
        let mut config = self.client.clone();
        if let Some(url) = base_url {
            config.base_url = url.to_string();
        }
        config.read_timeout = read_timeout;
        let net = Arc::new(HttpsBackend::new(config)?);
        let keystore: Arc<dyn PlatformKeyStore> = self.keystore.clone();
        net.set_request_signer(Arc::new(StoredRequestSigner::new(
            self.wallet.store().clone(),
            keystore,
        )));
        Ok(net)
    }

    /// The API key of `merchant_id`'s first till.
    pub fn till_key(&self, merchant_id: &str) -> Result<String> {
        Ok(self.sandbox.data().till_key(merchant_id)?)
    }
}

fn open_wallet(
    dir: &Path,
    roots: &RootKeys,
    config: &WalletConfig,
    keystore: &Arc<SoftwareKeyStore>,
    clock: &Arc<VirtualClock>,
    client: &ClientConfig,
    control: &Arc<HttpsBackend>,
) -> Result<(Wallet, Arc<Tap>, Arc<HttpsBackend>)> {
    let net = Arc::new(HttpsBackend::new(client.clone())?);
    let tap = Arc::new(Tap::new(Arc::clone(&net), Arc::clone(control)));
    let backend: Arc<dyn Backend> = tap.clone();
    let clock: Arc<dyn Clock> = clock.clone();
    // As an app opens it: `net` is the wallet's link (request key signing,
    // pay code, registration, registry, health); only the engine's calls
    // pass through the tap, which forwards them to `net`.
    let wallet = Wallet::open_linked(
        WalletOptions {
            data_dir: dir.to_path_buf(),
            roots: roots.clone(),
            config: config.clone(),
            keystore: keystore.clone(),
            backend,
            clock,
        },
        Arc::clone(&net),
    )?;
    Ok((wallet, tap, net))
}

/// The UI's steps from a scanned text to the PIN's last digit, exactly as an
/// app sends them: `ScannedText` → `Proceed` → (`EditAmount` for a static
/// code) → `Confirm { displayed_total }` (the total the screen shows) →
/// `PinDigit` × 6. Returns the state after the last digit (the payment is
/// journalled then: normally `Processing`), or the first refusal.
pub fn authorise(flow: &mut PaymentFlow, payload: &str, amount: Option<&str>) -> Result<FlowState> {
    flow.handle(Intent::ScannedText(payload.to_string()))?;
    let mut state = flow.handle(Intent::Proceed)?;
    if let Some(text) = amount {
        state = flow.handle(Intent::EditAmount(text.to_string()))?;
    }
    let total = match &state {
        FlowState::ConfirmAmount { breakdown, .. } => breakdown.total,
        FlowState::EnterAmount {
            breakdown: Some(b), ..
        } => b.total,
        other => {
            return Err(HarnessError::Unexpected(format!(
                "no total to confirm in state {}: {other:?}",
                other.name()
            )))
        }
    };
    flow.handle(Intent::Confirm {
        displayed_total: total,
    })?;
    for d in PIN {
        state = flow.handle(Intent::PinDigit(d))?;
    }
    Ok(state)
}

/// [`authorise`], then [`PaymentFlow::process`]: the end state, with every
/// intermediate state the processing screen was shown.
pub fn pay(
    wallet: &Wallet,
    payload: &str,
    amount: Option<&str>,
) -> Result<(FlowState, Vec<FlowState>, Option<String>)> {
    let mut flow = wallet.new_flow();
    authorise(&mut flow, payload, amount)?;
    let mut seen = Vec::new();
    let end = flow.process(&mut |s| seen.push(s.clone()))?;
    Ok((end, seen, flow.payment_id().map(str::to_string)))
}
