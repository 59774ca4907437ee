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
//! | `probe` | one health check, the probe the `pay` mode makes when refused | `PROBED <connectivity>` |
//!
//! Common flags: `--wallet DIR --sandbox DIR --url URL --keystore FILE`
//! (32 key bytes of the software key store, so every process sees the same
//! "platform" key), `--epoch MS --factor F` ([`ScaledClock`]) or `--now SECS`
//! (a fixed clock, for the PIN modes), `--spki-pin PIN` (instead of the
//! sandbox's own: a pin failure on demand). The wallet is opened and talks
//! to the backend through the core's [`Wallet`] (`scanpay_system::child`).
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::payment::{Clock, FlowState, Intent, RetryOption, VirtualClock};
use scanpay_core::status::{StatusListener, StatusSnapshot};
use scanpay_core::wallet::Wallet;
use scanpay_system::child::{exit, say, Args};
use scanpay_system::crash::ScaledClock;
use scanpay_system::{authorise, pad, HarnessError, Result, PIN};

/// The wrong PIN the PIN modes enter (not the enrolled one).
const WRONG_PIN: [u8; 6] = [7, 3, 1, 9, 0, 5];

struct Opened {
    wallet: Wallet,
    clock: Arc<dyn Clock>,
}

fn open(args: &Args) -> Result<Opened> {
    let clock: Arc<dyn Clock> = match args.opt("now") {
        Some(_) => Arc::new(VirtualClock::at(args.num("now")?)),
        None => Arc::new(ScaledClock::new(args.num("epoch")?, args.num("factor")?)),
    };
    let wallet = args.open_wallet(Arc::clone(&clock), Duration::from_secs(3))?;
    Ok(Opened { wallet, clock })
}

struct Printer;

impl StatusListener for Printer {
    fn on_status(&self, status: StatusSnapshot) {
        say(&format!("STATUS {:?}", status.connectivity));
    }
}

/// What an app does when it needs the network back: a health check, whose
/// outcome goes to the status monitor (an Offline wallet sends nothing
/// else). Returns the status after it.
fn probe(o: &Opened) -> Result<StatusSnapshot> {
    Ok(o.wallet.check_backend()?.status)
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
                    probe(&o)?;
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
            probe(&o)?;
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
            o.wallet.authenticator().enrol(&pad(&PIN)?, o.clock.now())?;
            let enrolled = o.wallet.register_device(args.get("enrol")?)?;
            o.wallet
                .sync_registry()?
                .ok_or_else(|| HarnessError::Unexpected("the sandbox served no registry".into()))?;
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
        "probe" => {
            let o = open(args)?;
            let status = probe(&o)?;
            say(&format!("PROBED {:?}", status.connectivity));
            Ok(())
        }
        other => Err(HarnessError::Unexpected(format!("unknown mode {other}"))),
    }
}

fn main() -> ExitCode {
    exit(Args::parse("crash-wallet MODE --flag value …").and_then(|a| run(&a)))
}
