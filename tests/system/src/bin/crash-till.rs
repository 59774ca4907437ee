//! `crash-till MODE --flag value…`: a shop's till in its own process, for
//! the pay-code crash test (`tests/crash_paycode.rs`) to SIGKILL between
//! sending a charge and hearing its answer. It prints its progress one line
//! at a time (flushed):
//!
//! | mode | does | prints |
//! |---|---|---|
//! | `charge` | charges `--code` for `--amount` (SGD minor units) under `--order` | `SENDING <order>`, then `ANSWER <state>` or `UNCLEAR <error>` |
//! | `resolve` | what a restarted till does with an order it has no answer for: query; a final state ends it; `userpaying` or nothing stored → reverse (the till no longer knows whether the payer is at the counter, so it never leaves a charge waiting) | `FINAL <state> <query\|reverse>` |
//!
//! Common flags: `--sandbox DIR` (its `tls/ca.pem` and `tls/pin.txt`),
//! `--url URL`, `--key TILL_KEY`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::paycode::{TillCharge, TillChargeRequest, TillChargeState};
use scanpay_core::net::{ClientConfig, TillClient, TillError, TlsConfig};

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn state_name(s: TillChargeState) -> &'static str {
    match s {
        TillChargeState::Paid => "paid",
        TillChargeState::Userpaying => "userpaying",
        TillChargeState::Declined => "declined",
        TillChargeState::Closed => "closed",
        TillChargeState::Reversed => "reversed",
    }
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

fn run() -> Result<(), String> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or("usage: crash-till MODE --flag value …")?;
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
    let sandbox = PathBuf::from(get("sandbox")?);
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()));
    let ca = read(sandbox.join("tls").join("ca.pem"))?;
    let pin = String::from_utf8_lossy(&read(sandbox.join("tls").join("pin.txt"))?)
        .trim()
        .to_string();
    let mut config = ClientConfig::new(
        get("url")?,
        TlsConfig {
            root_certificates: ca,
            pins: vec![pin],
            require_pins: true,
        },
    );
    config.connect_timeout = Duration::from_secs(3);
    config.read_timeout = Duration::from_secs(3);
    let till = TillClient::new(config, get("key")?).map_err(|e| e.to_string())?;
    let order = get("order")?.to_string();
    match mode.as_str() {
        "charge" => {
            let minor: u64 = get("amount")?
                .parse()
                .map_err(|_| "--amount is not a number")?;
            let req = TillChargeRequest {
                out_trade_no: order.clone(),
                auth_code: get("code")?.to_string(),
                amount: Money::new(minor, Currency::SGD),
            };
            say(&format!("SENDING {order}"));
            match till.charge(&req) {
                Ok(c) => say(&format!("ANSWER {}", state_name(c.state))),
                Err(e) => say(&format!("UNCLEAR {e}")),
            }
            Ok(())
        }
        "resolve" => {
            let (c, via) = resolve(&till, &order)?;
            say(&format!("FINAL {} {via}", state_name(c)));
            Ok(())
        }
        other => Err(format!("unknown mode {other}")),
    }
}

/// Query, then reverse unless the query found a final state. Transport
/// failures are retried (the backend in these tests is up; a till in a
/// shop would keep trying too).
fn resolve(till: &TillClient, order: &str) -> Result<(TillChargeState, &'static str), String> {
    let retry = |f: &dyn Fn() -> Result<TillCharge, TillError>| {
        for _ in 0..20 {
            match f() {
                Err(e) if e.outcome_unknown() || e.is_transient() => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
        f()
    };
    match retry(&|| till.query(order)) {
        Ok(c) if c.state != TillChargeState::Userpaying => return Ok((c.state, "query")),
        Ok(_) | Err(TillError::UnknownCharge) => {}
        Err(e) => return Err(format!("query: {e}")),
    }
    match retry(&|| till.reverse(order)) {
        Ok(c) => Ok((c.state, "reverse")),
        // Nothing was ever stored, and the reversal stored that it is
        // closed: a late copy of the charge cannot be charged now.
        Err(TillError::UnknownCharge) => Ok((TillChargeState::Closed, "reverse")),
        Err(e) => Err(format!("reverse: {e}")),
    }
}
