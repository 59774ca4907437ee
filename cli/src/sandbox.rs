//! `scanpay sandbox …`: run the sandbox backend and steer it.
//!
//! `serve` runs the server in this process and writes `link.json` into its
//! data dir (base URL, CA path, SPKI pin, roots.json), so the other
//! subcommands — and scripts — can reach the running sandbox over the same
//! pinned TLS a wallet uses, through its control endpoint.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use scanpay_core::net::api::{Fault, FaultKind, FaultRequest};
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_sandbox::{Sandbox, SandboxConfig, WalletLink};
use serde::{Deserialize, Serialize};

/// Default data directory of the sandbox.
pub const DEFAULT_DATA: &str = "target/sandbox";

/// Arguments of `scanpay sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SandboxCommand {
    /// Run the sandbox backend (HTTPS) until interrupted.
    Serve(ServeArgs),
    /// Inject a fault into the next COUNT requests of a kind.
    Fault(FaultArgs),
    /// Remove every armed fault.
    ClearFaults(Target),
    /// Advance the sandbox clock (ages orders and pending payments).
    AdvanceClock {
        #[command(flatten)]
        target: Target,
        /// Seconds to add.
        secs: u64,
    },
    /// Show the server-side truth of a payment (state, charges applied).
    Payment {
        #[command(flatten)]
        target: Target,
        /// The payment id.
        id: String,
    },
    /// Show the server-side truth of a pay-code charge: the charge, and the
    /// charges and refunds applied for it (read from the data dir).
    Charge {
        #[command(flatten)]
        target: Target,
        /// The charge id (`chg_…`, as `pos charge` prints it).
        id: String,
    },
}

/// Arguments of `scanpay sandbox serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Data directory (SQLite state, TLS material, roots.json); reused on restart.
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
    /// Address to listen on. Use 0.0.0.0:8443 to reach it from an emulator or device.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Extra names or IP addresses for the server certificate (repeatable).
    #[arg(long = "name")]
    names: Vec<String>,
}

/// Which running sandbox a control command talks to.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// The sandbox's data directory (its `link.json` says where it listens).
    #[arg(long, default_value = DEFAULT_DATA)]
    data: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Submit,
    Query,
    Reverse,
    Registry,
    Enrol,
    Health,
    /// A till's pay-code charge.
    Charge,
    /// A till's query of a pay-code charge.
    ChargeQuery,
    /// A till's reversal of a pay-code charge.
    ChargeReverse,
    Any,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FaultArg {
    /// Wait --ms before processing.
    Delay,
    /// Commit, then close without answering (the lost response).
    DropAfterCommit,
    /// Answer 500 without processing.
    Error500,
    /// Reset the connection without processing.
    Reset,
    /// Commit, send the head, stall --ms before the body.
    StallBody,
    /// Fail the TLS handshake of the next connections.
    TlsHandshake,
    /// Submits only: store the payment as processing (nothing charged) and
    /// answer processing; the --queries-th query decides it.
    PayerPending,
}

/// Arguments of `scanpay sandbox fault`.
#[derive(Debug, clap::Args)]
pub struct FaultArgs {
    #[command(flatten)]
    target: Target,
    /// Which requests.
    #[arg(value_enum)]
    kind: KindArg,
    /// What to do to them.
    #[arg(value_enum)]
    fault: FaultArg,
    /// Milliseconds, for delay and stall-body.
    #[arg(long, default_value_t = 20_000)]
    ms: u64,
    /// For payer-pending: which query for the payment decides it (earlier
    /// ones answer processing).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    queries: u32,
    /// How many requests (or connections, for tls-handshake).
    #[arg(long, default_value_t = 1)]
    count: u32,
}

/// `link.json`: how to reach a running sandbox.
#[derive(Debug, Serialize, Deserialize)]
pub struct LinkFile {
    /// `https://localhost:PORT`.
    pub base_url: String,
    /// The CA certificate a wallet must trust.
    pub ca_pem_path: PathBuf,
    /// The server's SPKI pin (base64 SHA-256).
    pub spki_pin: String,
    /// The pinned registry roots for wallets.
    pub roots_json_path: PathBuf,
}

impl From<&WalletLink> for LinkFile {
    fn from(l: &WalletLink) -> LinkFile {
        LinkFile {
            base_url: l.base_url.clone(),
            ca_pem_path: l.ca_pem_path.clone(),
            spki_pin: l.spki_pin.clone(),
            roots_json_path: l.roots_json_path.clone(),
        }
    }
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    match &args.command {
        SandboxCommand::Serve(a) => serve(a),
        SandboxCommand::Fault(a) => {
            let req = FaultRequest {
                kind: kind(a.kind),
                fault: fault(a.fault, a.ms, a.queries),
                count: a.count,
            };
            let ack = client(&a.target)?
                .set_fault(&req)
                .map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string(&ack).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::ClearFaults(t) => {
            let ack = client(t)?.clear_faults().map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string(&ack).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::AdvanceClock { target, secs } => {
            let r = client(target)?
                .advance_clock(*secs)
                .map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string(&r).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::Charge { target, id } => {
            println!("{}", charge_truth(&target.data, id)?);
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::Payment { target, id } => {
            let r = client(target)?
                .control_payment(id)
                .map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string(&r).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `{"charge": …, "payment": {"charges_applied", "refunds_applied", …}}`
/// of a pay-code charge, from the database the running sandbox serves
/// (its charge id is also its payment's id there).
pub fn charge_truth(dir: &Path, charge_id: &str) -> Result<serde_json::Value, String> {
    // Opening a data dir creates a sandbox in it if there is none: make sure
    // one was served there first, so a mistyped --data creates nothing.
    read_link(dir)?;
    let data = scanpay_sandbox::SandboxData::open(dir)
        .map_err(|e| format!("sandbox {}: {e}", dir.display()))?;
    let charge = data
        .paycode_charge(charge_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no pay-code charge {charge_id}"))?;
    let payment = data.payment_truth(charge_id).map_err(|e| e.to_string())?;
    Ok(serde_json::json!({"charge": charge, "payment": payment}))
}

fn serve(args: &ServeArgs) -> Result<ExitCode, String> {
    let mut config = SandboxConfig::new(&args.data);
    config.listen = args.listen;
    config.extra_names = args.names.clone();
    let running = Sandbox::start(config).map_err(|e| e.to_string())?;
    let link = LinkFile::from(&running.wallet_link());
    write_link(&args.data, &link)?;
    println!("{}", running.summary());
    println!("  link.json:  {}", args.data.join("link.json").display());
    println!("Serving until interrupted (Ctrl-C).");
    running.wait();
    Ok(ExitCode::SUCCESS)
}

fn write_link(dir: &Path, link: &LinkFile) -> Result<(), String> {
    let json = serde_json::to_vec_pretty(link).map_err(|e| e.to_string())?;
    let path = dir.join("link.json");
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads `link.json` from a sandbox data dir.
pub fn read_link(dir: &Path) -> Result<LinkFile, String> {
    let path = dir.join("link.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read {} ({e}); is `scanpay sandbox serve --data {}` running?",
            path.display(),
            dir.display()
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A pinned client for a sandbox described by its data dir.
fn client(target: &Target) -> Result<HttpsBackend, String> {
    let link = read_link(&target.data)?;
    let ca = std::fs::read(&link.ca_pem_path)
        .map_err(|e| format!("cannot read {}: {e}", link.ca_pem_path.display()))?;
    let tls = TlsConfig {
        root_certificates: ca,
        pins: vec![link.spki_pin],
        require_pins: true,
    };
    HttpsBackend::new(ClientConfig::new(link.base_url, tls)).map_err(|e| e.to_string())
}

fn kind(k: KindArg) -> FaultKind {
    match k {
        KindArg::Submit => FaultKind::Submit,
        KindArg::Query => FaultKind::Query,
        KindArg::Reverse => FaultKind::Reverse,
        KindArg::Registry => FaultKind::Registry,
        KindArg::Enrol => FaultKind::Enrol,
        KindArg::Health => FaultKind::Health,
        KindArg::Charge => FaultKind::Charge,
        KindArg::ChargeQuery => FaultKind::ChargeQuery,
        KindArg::ChargeReverse => FaultKind::ChargeReverse,
        KindArg::Any => FaultKind::Any,
    }
}

fn fault(f: FaultArg, ms: u64, queries: u32) -> Fault {
    match f {
        FaultArg::Delay => Fault::Delay { ms },
        FaultArg::DropAfterCommit => Fault::DropAfterCommit,
        FaultArg::Error500 => Fault::Error500BeforeCommit,
        FaultArg::Reset => Fault::Reset,
        FaultArg::StallBody => Fault::StallBody { ms },
        FaultArg::TlsHandshake => Fault::TlsHandshake,
        FaultArg::PayerPending => Fault::PayerPending { queries },
    }
}
