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
//! `--url URL`, `--key TILL_KEY` (the command line and the client
//! configuration are `scanpay_system::child`'s, shared with the wallets).
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::paycode::{TillCharge, TillChargeRequest, TillChargeState};
use scanpay_core::net::{TillClient, TillError};
use scanpay_system::child::{exit, say, Args};
use scanpay_system::{HarnessError, Result};

fn main() -> ExitCode {
    exit(Args::parse("crash-till MODE --flag value …").and_then(|a| run(&a)))
}

fn run(args: &Args) -> Result<()> {
    let till = TillClient::new(
        args.sandbox_client(Duration::from_secs(3))?,
        args.get("key")?,
    )?;
    let order = args.get("order")?.to_string();
    match args.mode.as_str() {
        "charge" => {
            let req = TillChargeRequest {
                out_trade_no: order.clone(),
                auth_code: args.get("code")?.to_string(),
                amount: Money::new(args.num("amount")?, Currency::SGD),
            };
            say(&format!("SENDING {order}"));
            match till.charge(&req) {
                Ok(c) => say(&format!("ANSWER {}", c.state.code())),
                Err(e) => say(&format!("UNCLEAR {e}")),
            }
            Ok(())
        }
        "resolve" => {
            let (c, via) = resolve(&till, &order)?;
            say(&format!("FINAL {} {via}", c.code()));
            Ok(())
        }
        other => Err(HarnessError::Unexpected(format!("unknown mode {other}"))),
    }
}

/// Query, then reverse unless the query found a final state. Transport
/// failures are retried (the backend in these tests is up; a till in a
/// shop would keep trying too).
fn resolve(till: &TillClient, order: &str) -> Result<(TillChargeState, &'static str)> {
    let retry = |f: &dyn Fn() -> std::result::Result<TillCharge, TillError>| {
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
        Err(e) => return Err(HarnessError::Unexpected(format!("query: {e}"))),
    }
    match retry(&|| till.reverse(order)) {
        Ok(c) => Ok((c.state, "reverse")),
        // Nothing was ever stored, and the reversal stored that it is
        // closed: a late copy of the charge cannot be charged now.
        Err(TillError::UnknownCharge) => Ok((TillChargeState::Closed, "reverse")),
        Err(e) => Err(HarnessError::Unexpected(format!("reverse: {e}"))),
    }
}
