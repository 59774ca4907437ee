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

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::payment::{Clock, VirtualClock};
use scanpay_system::child::{exit, say, Args};
use scanpay_system::{pad, HarnessError, Result, PIN};

fn main() -> ExitCode {
    exit(Args::parse("crash-paycode-wallet MODE --flag value …").and_then(|a| run(&a)))
}

fn run(args: &Args) -> Result<()> {
    let now = args.num("now")?;
    let clock: Arc<dyn Clock> = Arc::new(VirtualClock::at(now));
    let wallet = args.open_wallet(clock, Duration::from_secs(5))?;
    let sync = || -> Result<()> {
        say("SYNCING");
        let changed = wallet.sync_paycode(0)?;
        say(&format!("SYNCED {}", changed.len()));
        Ok(())
    };
    match args.mode.as_str() {
        "setup" => {
            wallet.authenticator().enrol(&pad(&PIN)?, now)?;
            let enrolled = wallet.register_device(args.get("enrol")?)?;
            wallet
                .sync_registry()?
                .ok_or_else(|| HarnessError::Unexpected("no registry".into()))?;
            wallet.open_paycode(&pad(&PIN)?)?;
            say(&format!("ACCOUNT {}", enrolled.account_id));
        }
        "show" => {
            let session = wallet.open_paycode(&pad(&PIN)?)?;
            let shown = session.current(now)?;
            say(&format!("CODE {} {}", shown.digits, shown.counter));
        }
        "sync" => sync()?,
        "confirm" => {
            sync()?;
            let id = args.get("charge")?;
            say("CONFIRMING");
            let outcome = wallet.confirm_charge(id, &pad(&PIN)?)?;
            say(&format!("CONFIRMED {outcome:?}"));
        }
        "state" => {
            sync()?;
            for h in wallet.paycode_history()? {
                say(&format!(
                    "HISTORY {} {}",
                    h.charge.charge_id,
                    h.charge.state.code()
                ));
            }
            for p in wallet.pending_charges()? {
                say(&format!("PENDING {}", p.charge_id));
            }
            say("DONE");
        }
        other => {
            return Err(HarnessError::Unexpected(format!("unknown mode {other}")));
        }
    }
    Ok(())
}
