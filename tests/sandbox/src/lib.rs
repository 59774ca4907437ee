//! # scanpay-sandbox
//!
//! The sandbox backend that tests, the demo and QA use: a real HTTPS server
//! (TLS 1.3, `ring` only, hand-rolled HTTP/1.1 with keep-alive) speaking the
//! `/v1` protocol of `scanpay_core::net::api`, with its state in SQLite so a
//! restart keeps it, and deterministic fault injection.
//!
//! ```no_run
//! use scanpay_sandbox::{Sandbox, SandboxConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(SandboxConfig::new("/tmp/scanpay-sandbox"))?;
//! let link = sandbox.wallet_link();
//! println!("{} pin {} roots {}", link.base_url, link.spki_pin, link.roots_json_path.display());
//! sandbox.stop();
//! # Ok(()) }
//! ```
//!
//! | module | concern |
//! |---|---|
//! | [`data`] | state and business rules ([`SandboxData`]), usable without the server |
//! | [`seed`] | the merchants, keys and enrolment codes a new sandbox starts with |
//! | [`faults`] | the fault plan |
//! | [`tls`] | the CA and server certificate, and the SPKI pin |
//!
//! `docs/sandbox.md` describes running it, the seed, the control API and the
//! exact semantics of every fault.
#![forbid(unsafe_code)]

pub mod data;
mod db;
pub mod error;
pub mod faults;
mod http;
pub mod seed;
mod server;
pub mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

pub use data::{
    AccountInfo, KeyInfo, MerchantInfo, OrderInfo, PaycodeChargeInfo, SandboxData, TillInfo,
};
pub use error::SandboxError;
pub use faults::FaultPlan;
pub use scanpay_core::net::api::{Fault, FaultKind, FaultRequest};
pub use seed::{EnrolmentPlan, Seed};
pub use tls::TlsInfo;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where the database, `roots.json` and `tls/` live (created if missing).
    pub data_dir: PathBuf,
    /// The address to listen on; port 0 picks a free port. Default
    /// `127.0.0.1:0`. Use `0.0.0.0:<port>` to reach it from an emulator or
    /// a phone on the LAN.
    pub listen: SocketAddr,
    /// Names (DNS names or IP addresses) the server certificate covers besides
    /// localhost, 127.0.0.1, ::1 and 10.0.2.2.
    pub extra_names: Vec<String>,
    /// The seed, applied only when the database is new.
    pub seed: Seed,
    /// Worker threads of the server's runtime.
    pub worker_threads: usize,
}

impl SandboxConfig {
    /// Defaults for `data_dir`: loopback, a free port, the standard seed.
    pub fn new(data_dir: impl Into<PathBuf>) -> SandboxConfig {
        SandboxConfig {
            data_dir: data_dir.into(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            extra_names: Vec::new(),
            seed: Seed::standard(),
            worker_threads: 2,
        }
    }
}

/// What a wallet needs to talk to this sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletLink {
    /// `https://localhost:<port>` (the certificate also covers 127.0.0.1,
    /// ::1, 10.0.2.2 and the extra names).
    pub base_url: String,
    /// The CA certificate to trust, PEM file.
    pub ca_pem_path: PathBuf,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server's SPKI pin (base64 SHA-256).
    pub spki_pin: String,
    /// The registry roots to pin, `roots.json`.
    pub roots_json_path: PathBuf,
}

/// Starts sandboxes.
#[derive(Debug, Clone, Copy)]
pub struct Sandbox;

impl Sandbox {
    /// Opens (or creates and seeds) the data dir, loads (or generates) the
    /// TLS material, binds `config.listen` and serves on a background
    /// runtime until [`RunningSandbox::stop`] or drop.
    pub fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
        let data = SandboxData::open_with_seed(&config.data_dir, &config.seed)?;
        let tls = tls::load_or_create(&config.data_dir.join("tls"), &config.extra_names)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("scanpay-sandbox")
            .enable_all()
            .build()
            .map_err(|e| SandboxError::Runtime(e.to_string()))?;
        let listener =
            runtime
                .block_on(server::bind(config.listen))
                .map_err(|e| SandboxError::Bind {
                    addr: config.listen.to_string(),
                    message: e.to_string(),
                })?;
        let addr = listener.local_addr().map_err(|e| SandboxError::Bind {
            addr: config.listen.to_string(),
            message: e.to_string(),
        })?;
        let faults = Arc::new(FaultPlan::default());
        let shared = Arc::new(server::Shared {
            data: data.clone(),
            faults: Arc::clone(&faults),
        });
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&tls.server_config));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("scanpay-sandbox-accept".into())
            .spawn(move || {
                runtime.block_on(server::accept_loop(listener, acceptor, shared, stop_rx));
                // Open connections are cut here: a stopped sandbox is gone.
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            })
            .map_err(|e| SandboxError::Runtime(e.to_string()))?;
        Ok(RunningSandbox {
            addr,
            tls: tls.info,
            data,
            faults,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

/// A sandbox serving in the background. Dropping it stops it.
pub struct RunningSandbox {
    addr: SocketAddr,
    tls: TlsInfo,
    data: SandboxData,
    faults: Arc<FaultPlan>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// The bound address (the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://localhost:<port>`.
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// The TLS material: CA PEM/DER and path, SPKI pin, names.
    pub fn tls(&self) -> &TlsInfo {
        &self.tls
    }

    /// Everything a wallet is configured with.
    pub fn wallet_link(&self) -> WalletLink {
        WalletLink {
            base_url: self.base_url(),
            ca_pem_path: self.tls.ca_pem_path.clone(),
            ca_pem: self.tls.ca_pem.clone(),
            spki_pin: self.tls.spki_pin.clone(),
            roots_json_path: self.data.roots_json_path(),
        }
    }

    /// The state: merchants, signing keys, orders, accounts, payment truth,
    /// the clock.
    pub fn data(&self) -> &SandboxData {
        &self.data
    }

    /// The fault plan (the same one `POST /v1/control/faults` arms).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// Arms `fault` for the next `count` requests of `kind`.
    pub fn inject(&self, kind: FaultKind, fault: Fault, count: u32) {
        self.faults.arm(FaultRequest { kind, fault, count });
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.data_dir()
    }

    /// A human-readable summary for `scanpay sandbox serve` to print: where
    /// it listens, what to configure a wallet with, the seeded merchants and
    /// enrolment codes.
    pub fn summary(&self) -> String {
        let link = self.wallet_link();
        let mut s = format!(
            "ScanPay sandbox listening on {} ({})\n  data dir:   {}\n  CA (trust): {}\n  SPKI pin:   {}\n  roots.json: {}\n  names:      {}\n",
            self.addr,
            link.base_url,
            self.data_dir().display(),
            link.ca_pem_path.display(),
            link.spki_pin,
            link.roots_json_path.display(),
            self.tls.names.join(", "),
        );
        if let Ok(merchants) = self.data.merchants() {
            s.push_str("  merchants:\n");
            for m in merchants {
                let keys: Vec<String> = m
                    .keys
                    .iter()
                    .map(|k| {
                        if k.revoked {
                            format!("{} (revoked)", k.key_id)
                        } else {
                            k.key_id.clone()
                        }
                    })
                    .collect();
                s.push_str(&format!(
                    "    {} {:<20} {} {}{}  keys: {}\n",
                    m.merchant_id,
                    m.name,
                    m.city,
                    m.currency,
                    if m.blocked { " BLOCKED" } else { "" },
                    keys.join(", ")
                ));
            }
        }
        if let Ok(tills) = self.data.tills() {
            s.push_str(&format!(
                "  tills (Authorization: ScanPay-Till <key>; also {}):\n",
                self.data_dir().join(data::TILLS_FILE).display()
            ));
            for t in tills {
                s.push_str(&format!(
                    "    {} {:<8} {}\n",
                    t.merchant_id, t.till_id, t.till_key
                ));
            }
        }
        s.push_str("  enrolment codes:\n");
        for p in seed::enrolment_plans() {
            s.push_str(&format!(
                "    {:<12} opens {} (per payment {}, daily {})\n",
                p.code, p.opening_balance, p.per_payment_limit, p.daily_limit
            ));
        }
        s
    }

    /// Stops serving: no new connections, open ones are cut. Returns when
    /// the server thread has finished; the data dir can then be reopened.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Blocks until the server stops (it only stops through [`Self::stop`] on
    /// another handle or process exit, so for a CLI this serves forever).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.shutdown();
    }
}
