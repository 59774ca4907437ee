//! `crash-wallet MODE --flag value…`: a wallet in its own process, for the
//! crash suite (`tests/crash.rs`) to SIGKILL at any moment. It prints its
//! progress one line at a time (flushed), so the parent can kill it right
//! after a given step:
//!
//! | mode | does | prints |
//! |---|---|---|
//! | `setup` | enrols under the test PIN (`--enrol CODE`), syncs the registry | `ACCOUNT <id> <balance minor>` |
//! | `pay` | resumes (`Wallet::start`), then pays `--payments N` times to `--code` | `START i`, `JOURNALLED <id> <cents>`, `END <id> <STATE>`, `STATUS <connectivity>`, `FINISHED` |
//! | `recover` | resumes, and exits | `RESUMED <n> <failures>` |
//! | `wrong-pin` | one wrong PIN entry, then waits to be killed | `WRONG <result>` |
//! | `right-pin` | one right PIN entry | `RIGHT <result>` |
//! | `pin-status` | the persisted attempt counter | `PIN failures=… attempts_left=… disabled=…` |
//!
//! Common flags: `--wallet DIR --sandbox DIR --url URL --keystore FILE`
//! (32 key bytes of the software key store, so every process sees the same
//! "platform" key), `--epoch MS --factor F` ([`ScaledClock`]) or `--now SECS`
//! (a fixed clock, for the PIN modes).
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::auth::{PlatformKeyStore, SoftwareKeyStore, StoredRequestSigner};
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::payment::{Backend, Clock, FlowState, Intent, RetryOption, VirtualClock};
use scanpay_core::status::{RequestOutcome, StatusListener, StatusSnapshot};
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{Wallet, WalletOptions};
use scanpay_system::crash::ScaledClock;
use scanpay_system::{authorise, pad, wallet_config, HarnessError, Result, PIN};

/// The wrong PIN the PIN modes enter (not the enrolled one).
const WRONG_PIN: [u8; 6] = [7, 3, 1, 9, 0, 5];

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn io_err(path: &std::path::Path, e: &std::io::Error) -> HarnessError {
    HarnessError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

struct Args {
    mode: String,
    flags: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Args> {
        let mut it = std::env::args().skip(1);
        let mode = it
            .next()
            .ok_or_else(|| HarnessError::Unexpected("usage: crash-wallet MODE …".into()))?;
        let mut flags = HashMap::new();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| HarnessError::Unexpected(format!("not a flag: {k}")))?;
            let v = it
                .next()
                .ok_or_else(|| HarnessError::Unexpected(format!("--{key} needs a value")))?;
            flags.insert(key.to_string(), v);
        }
        Ok(Args { mode, flags })
    }

    fn get(&self, k: &str) -> Result<&str> {
        self.flags
            .get(k)
            .map(String::as_str)
            .ok_or_else(|| HarnessError::Unexpected(format!("missing --{k}")))
    }

    fn num(&self, k: &str) -> Result<u64> {
        self.get(k)?
            .parse()
            .map_err(|_| HarnessError::Unexpected(format!("--{k} is not a number")))
    }
}

struct Opened {
    wallet: Wallet,
    net: Arc<HttpsBackend>,
    clock: Arc<dyn Clock>,
}

fn open(args: &Args) -> Result<Opened> {
    let sandbox = PathBuf::from(args.get("sandbox")?);
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| io_err(&p, &e));
    let ca = read(sandbox.join("tls").join("ca.pem"))?;
    let pin = String::from_utf8_lossy(&read(sandbox.join("tls").join("pin.txt"))?)
        .trim()
        .to_string();
    let roots = RootKeys::from_json(&read(sandbox.join("roots.json"))?)?;
    let key = read(PathBuf::from(args.get("keystore")?))?;
    let key: [u8; 32] = key
        .as_slice()
        .try_into()
        .map_err(|_| HarnessError::Unexpected("keystore file is not 32 bytes".into()))?;
    let keystore: Arc<dyn PlatformKeyStore> = Arc::new(SoftwareKeyStore::from_key_bytes(key));
    let mut client = ClientConfig::new(
        args.get("url")?,
        TlsConfig {
            root_certificates: ca,
            pins: vec![pin],
            require_pins: true,
        },
    );
    client.connect_timeout = Duration::from_secs(3);
    client.read_timeout = Duration::from_secs(3);
    let net = Arc::new(HttpsBackend::new(client)?);
    let clock: Arc<dyn Clock> = match args.flags.get("now") {
        Some(_) => Arc::new(VirtualClock::at(args.num("now")?)),
        None => Arc::new(ScaledClock::new(args.num("epoch")?, args.num("factor")?)),
    };
    let backend: Arc<dyn Backend> = net.clone();
    let wallet = Wallet::open(WalletOptions {
        data_dir: PathBuf::from(args.get("wallet")?),
        roots,
        config: wallet_config(),
        keystore: Arc::clone(&keystore),
        backend,
        clock: Arc::clone(&clock),
    })?;
    // The resume after kill -9 queries and reverses without the PIN: signed
    // by the request key in the wallet's database.
    net.set_request_signer(Arc::new(StoredRequestSigner::new(
        wallet.store().clone(),
        keystore,
    )));
    Ok(Opened { wallet, net, clock })
}

struct Printer;

impl StatusListener for Printer {
    fn on_status(&self, status: StatusSnapshot) {
        say(&format!("STATUS {:?}", status.connectivity));
    }
}

/// What an app does when it needs the network back: a health probe, whose
/// outcome goes to the status monitor (an Offline wallet sends nothing else).
fn probe(o: &Opened) {
    let outcome = match o.net.health() {
        Ok(_) => RequestOutcome::Replied { latency_ms: 1 },
        Err(_) => RequestOutcome::Unreachable,
    };
    o.wallet
        .status()
        .record_probe(outcome, o.clock.now_millis());
}

fn pay(args: &Args) -> Result<()> {
    let o = open(args)?;
    o.wallet.status().subscribe(Arc::new(Printer));
    say("OPEN");
    let report = o.wallet.start();
    say(&format!(
        "RESUMED {} {}",
        report.payments.len(),
        report.failures.len()
    ));
    let code = args.get("code")?.to_string();
    let n = args.num("payments")?;
    let seed = args.num("seed")?;
    for i in 0..n {
        say(&format!("START {i}"));
        let cents = 1 + (seed.wrapping_mul(7).wrapping_add(i)) % 9;
        let amount = format!("0.0{cents}");
        let mut refusals = 0u32;
        let mut flow = loop {
            let mut flow = o.wallet.new_flow();
            match authorise(&mut flow, &code, Some(&amount)) {
                Ok(_) => break flow,
                // Offline (the sandbox is down): refused before the PIN, as
                // an app would; probe, and let the user try again.
                Err(e) if refusals < 400 => {
                    refusals += 1;
                    if refusals == 1 {
                        say(&format!("REFUSED {e}"));
                    }
                    std::thread::sleep(Duration::from_millis(25));
                    probe(&o);
                }
                Err(e) => return Err(e),
            }
        };
        let id = flow
            .payment_id()
            .ok_or_else(|| HarnessError::Unexpected("no payment id after the PIN".into()))?
            .to_string();
        say(&format!("JOURNALLED {id} {cents}"));
        let mut end = flow.process(&mut |_| {})?;
        let mut retries = 0u32;
        // Not sent (the sandbox refused the connection): the user taps
        // "try again", which sends the same payment id.
        while matches!(
            end,
            FlowState::Failed {
                retry: RetryOption::SameId,
                ..
            }
        ) && retries < 400
        {
            retries += 1;
            std::thread::sleep(Duration::from_millis(25));
            probe(&o);
            end = match flow.handle(Intent::Retry) {
                Ok(_) => flow.process(&mut |_| {})?,
                Err(_) => end,
            };
        }
        if matches!(
            end,
            FlowState::Failed {
                retry: RetryOption::SameId,
                ..
            }
        ) {
            // Gave up: the user cancels; it was never sent.
            end = flow.handle(Intent::Cancel)?;
        }
        let state = o
            .wallet
            .payment(&id)?
            .map(|r| {
                serde_json::to_value(r.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        say(&format!("END {id} {state} {}", end.name()));
    }
    say("FINISHED");
    Ok(())
}

fn run(args: &Args) -> Result<()> {
    match args.mode.as_str() {
        "setup" => {
            let o = open(args)?;
            let public = o.wallet.authenticator().enrol(&pad(&PIN)?, o.clock.now())?;
            let enrolled = o.net.enrol(&public, args.get("enrol")?)?;
            let doc = o
                .net
                .fetch_registry(None)?
                .ok_or_else(|| HarnessError::Unexpected("the sandbox served no registry".into()))?;
            o.wallet.apply_registry(&doc)?;
            say(&format!(
                "ACCOUNT {} {}",
                enrolled.account_id, enrolled.balance.minor
            ));
            Ok(())
        }
        "pay" => pay(args),
        "recover" => {
            let o = open(args)?;
            let report = o.wallet.start();
            say(&format!(
                "RESUMED {} {}",
                report.payments.len(),
                report.failures.len()
            ));
            for (id, e) in &report.failures {
                say(&format!("FAILURE {id} {e}"));
            }
            Ok(())
        }
        "wrong-pin" => {
            let o = open(args)?;
            let r = o
                .wallet
                .authenticator()
                .verify_pin(&pad(&WRONG_PIN)?, o.clock.now());
            say(&format!("WRONG {r:?}"));
            // Killed here, right after the wrong entry was answered.
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        "right-pin" => {
            let o = open(args)?;
            let r = o
                .wallet
                .authenticator()
                .verify_pin(&pad(&PIN)?, o.clock.now());
            say(&format!("RIGHT {r:?}"));
            Ok(())
        }
        "pin-status" => {
            let o = open(args)?;
            let s = o.wallet.authenticator().status(o.clock.now())?;
            say(&format!(
                "PIN failures={} attempts_left={} disabled={} retry_after={}",
                s.failures, s.attempts_left, s.disabled, s.retry_after_secs
            ));
            Ok(())
        }
        other => Err(HarnessError::Unexpected(format!("unknown mode {other}"))),
    }
}

fn main() -> ExitCode {
    let result = Args::parse().and_then(|a| run(&a));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("ERROR {e}"));
            ExitCode::FAILURE
        }
    }
}
