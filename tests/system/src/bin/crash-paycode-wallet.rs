//! `crash-paycode-wallet MODE --flag value…`: a wallet's pay code in its own
//! process, for the pay-code crash test (`tests/crash_paycode.rs`) to SIGKILL
//! mid-sync or mid-confirmation. It prints its progress one line at a time
//! (flushed):
//!
//! | mode | does | prints |
//! |---|---|---|
//! | `setup` | enrols under the test PIN (`--enrol CODE`), syncs the registry, provisions the pay code | `ACCOUNT <id>` |
//! | `show` | opens the pay code with the PIN, shows the current code | `CODE <digits> <counter>` |
//! | `sync` | one events call (`wait = 0`) | `SYNCING`, `SYNCED <n changed>` |
//! | `confirm` | a sync, then confirms `--charge ID` with the PIN | `SYNCING`, `SYNCED <n>`, `CONFIRMING`, `CONFIRMED <outcome>` |
//! | `state` | a sync, then the journal's view | `HISTORY <charge id> <state>`…, `PENDING <charge id>`…, `DONE` |
//!
//! Flags: `--wallet DIR --sandbox DIR --url URL --keystore FILE` (32 key
//! bytes of the software key store, so every process sees the same
//! "platform" key) and `--now SECS` (the wallet's clock, fixed: the test
//! moves the sandbox's clock and passes its time).
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::auth::{PlatformKeyStore, SoftwareKeyStore, StoredRequestSigner};
use scanpay_core::net::api::paycode::ChargeState;
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::payment::{Backend, Clock, VirtualClock};
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{Wallet, WalletOptions};
use scanpay_system::{pad, wallet_config, PIN};

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("ERROR {e}"));
            ExitCode::FAILURE
        }
    }
}

fn state_name(s: ChargeState) -> &'static str {
    match s {
        ChargeState::Userpaying => "userpaying",
        ChargeState::Paid => "paid",
        ChargeState::Closed => "closed",
        ChargeState::Reversed => "reversed",
    }
}

fn run() -> Result<(), String> {
    let mut it = std::env::args().skip(1);
    let mode = it
        .next()
        .ok_or("usage: crash-paycode-wallet MODE --flag value …")?;
    let mut flags = HashMap::new();
    while let Some(k) = it.next() {
        let key = k.strip_prefix("--").ok_or(format!("not a flag: {k}"))?;
        let v = it.next().ok_or(format!("--{key} needs a value"))?;
        flags.insert(key.to_string(), v);
    }
    let get = |k: &str| {
        flags
            .get(k)
            .map(String::as_str)
            .ok_or(format!("missing --{k}"))
    };
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let sandbox = PathBuf::from(get("sandbox")?);
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()));
    let ca = read(sandbox.join("tls").join("ca.pem"))?;
    let pin = String::from_utf8_lossy(&read(sandbox.join("tls").join("pin.txt"))?)
        .trim()
        .to_string();
    let roots = RootKeys::from_json(&read(sandbox.join("roots.json"))?).map_err(|x| e(&x))?;
    let key: [u8; 32] = read(PathBuf::from(get("keystore")?))?
        .as_slice()
        .try_into()
        .map_err(|_| "keystore file is not 32 bytes")?;
    let keystore: Arc<dyn PlatformKeyStore> = Arc::new(SoftwareKeyStore::from_key_bytes(key));
    let mut client = ClientConfig::new(
        get("url")?,
        TlsConfig {
            root_certificates: ca,
            pins: vec![pin],
            require_pins: true,
        },
    );
    client.connect_timeout = Duration::from_secs(3);
    client.read_timeout = Duration::from_secs(5);
    let net = Arc::new(HttpsBackend::new(client).map_err(|x| e(&x))?);
    let now: u64 = get("now")?.parse().map_err(|_| "--now is not a number")?;
    let clock: Arc<dyn Clock> = Arc::new(VirtualClock::at(now));
    let backend: Arc<dyn Backend> = net.clone();
    let wallet = Wallet::open(WalletOptions {
        data_dir: PathBuf::from(get("wallet")?),
        roots,
        config: wallet_config(),
        keystore: Arc::clone(&keystore),
        backend,
        clock: Arc::clone(&clock),
    })
    .map_err(|x| e(&x))?;
    net.set_request_signer(Arc::new(StoredRequestSigner::new(
        wallet.store().clone(),
        keystore,
    )));
    wallet.set_paycode_backend(net.clone());
    let pin_pad = || pad(&PIN).map_err(|x| e(&x));
    let sync = || -> Result<(), String> {
        say("SYNCING");
        let changed = wallet.sync_paycode(0).map_err(|x| e(&x))?;
        say(&format!("SYNCED {}", changed.len()));
        Ok(())
    };
    match mode.as_str() {
        "setup" => {
            let public = wallet
                .authenticator()
                .enrol(&pin_pad()?, now)
                .map_err(|x| e(&x))?;
            let enrolled = net.enrol(&public, get("enrol")?).map_err(|x| e(&x))?;
            let doc = net
                .fetch_registry(None)
                .map_err(|x| e(&x))?
                .ok_or("no registry")?;
            wallet.apply_registry(&doc).map_err(|x| e(&x))?;
            wallet.open_paycode(&pin_pad()?).map_err(|x| e(&x))?;
            say(&format!("ACCOUNT {}", enrolled.account_id));
        }
        "show" => {
            let session = wallet.open_paycode(&pin_pad()?).map_err(|x| e(&x))?;
            let shown = session.current(now).map_err(|x| e(&x))?;
            say(&format!("CODE {} {}", shown.digits, shown.counter));
        }
        "sync" => sync()?,
        "confirm" => {
            sync()?;
            let id = get("charge")?;
            say("CONFIRMING");
            let outcome = wallet.confirm_charge(id, &pin_pad()?).map_err(|x| e(&x))?;
            say(&format!("CONFIRMED {outcome:?}"));
        }
        "state" => {
            sync()?;
            for h in wallet.paycode_history().map_err(|x| e(&x))? {
                say(&format!(
                    "HISTORY {} {}",
                    h.charge.charge_id,
                    state_name(h.charge.state)
                ));
            }
            for p in wallet.pending_charges().map_err(|x| e(&x))? {
                say(&format!("PENDING {}", p.charge_id));
            }
            say("DONE");
        }
        other => return Err(format!("unknown mode {other}")),
    }
    Ok(())
}
