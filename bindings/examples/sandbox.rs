//! Runs the sandbox backend for the Kotlin and Python binding tests.
//!
//! Prints one JSON line (base URL, CA PEM, SPKI pin, roots.json text,
//! merchant payloads, enrolment code, the till key of M-0001 for the pay-code
//! tests), then reads commands from stdin, one a line, answering each with
//! one line:
//!   `fault submit drop-after-commit` — the next submit commits, then the
//!   response is lost;
//!   `order MERCHANT AMOUNT REFERENCE` — a dynamic order (`4.50` in the
//!   merchant's currency); the answer is its signed payload;
//!   `advance SECS` — moves the sandbox clock forward (the shortcut tests move
//!   the wallet's test clock by as much); the answer is the new time;
//!   `payment ID` — the sandbox's record of a payment (state, how it was
//!   authorised: `method`), one JSON line;
//!   `quit` (or end of input) stops the sandbox.
//!
//! Usage: cargo run -p scanpay-ffi --example sandbox -- DATA_DIR

use std::io::{BufRead, Write};

use scanpay_core::money::Money;
use scanpay_core::net::api::CreateOrderRequest;
use scanpay_sandbox::{Fault, FaultKind, RunningSandbox, Sandbox, SandboxConfig};

/// One command's answer (errors are answers too: the test reads one line per
/// command and fails on what it did not expect).
fn answer(sb: &RunningSandbox, cmd: &str) -> String {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let out: Result<String, String> = match words.as_slice() {
        ["fault", "submit", "drop-after-commit"] => {
            sb.inject(FaultKind::Submit, Fault::DropAfterCommit, 1);
            Ok("ok".into())
        }
        ["order", merchant, amount, reference] => (|| {
            let currency = sb
                .data()
                .merchant(merchant)
                .map_err(|e| e.to_string())?
                .currency;
            let amount = Money::parse(amount, currency).map_err(|e| e.to_string())?;
            let order = sb
                .data()
                .create_order(&CreateOrderRequest {
                    merchant_id: (*merchant).to_string(),
                    amount,
                    reference: (*reference).to_string(),
                })
                .map_err(|e| format!("{e:?}"))?;
            Ok(order.payload)
        })(),
        ["advance", secs] => secs
            .parse::<u64>()
            .map_err(|e| e.to_string())
            .and_then(|s| sb.data().advance_clock(s).map_err(|e| e.to_string()))
            .map(|now| now.to_string()),
        ["payment", id] => sb
            .data()
            .payment_truth(id)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::to_string(&t).map_err(|e| e.to_string())),
        _ => Err("unknown command".into()),
    };
    out.unwrap_or_else(|e| format!("error: {e}"))
}

fn run(dir: &str) -> Result<(), String> {
    let sb = Sandbox::start(SandboxConfig::new(dir)).map_err(|e| e.to_string())?;
    let link = sb.wallet_link();
    let roots = std::fs::read_to_string(&link.roots_json_path).map_err(|e| e.to_string())?;
    let ok = sb
        .data()
        .static_payload("M-0001")
        .map_err(|e| e.to_string())?;
    let blocked = sb
        .data()
        .static_payload("M-0004")
        .map_err(|e| e.to_string())?;
    // The pay-code tests charge like a shop's till: HTTPS with this key.
    let till_key = sb.data().till_key("M-0001").map_err(|e| e.to_string())?;
    let line = serde_json::json!({
        "base_url": link.base_url, "ca_pem": link.ca_pem, "spki_pin": link.spki_pin,
        "roots_json": roots, "payload_ok": ok, "payload_blocked": blocked,
        "enrolment_code": "SANDBOX", "currency": "SGD", "till_key": till_key,
        "till_merchant": "M-0001",
    });
    let mut out = std::io::stdout();
    writeln!(out, "{line}").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    for cmd in std::io::stdin().lock().lines() {
        let cmd = cmd.map_err(|e| e.to_string())?;
        if cmd.trim() == "quit" {
            break;
        }
        let reply = answer(&sb, cmd.trim());
        writeln!(out, "{reply}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    sb.stop();
    Ok(())
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bindings/sandbox".into());
    if let Err(e) = run(&dir) {
        eprintln!("sandbox: {e}");
        std::process::exit(1);
    }
}
