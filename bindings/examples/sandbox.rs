//! Runs the sandbox backend for the Kotlin and Python binding tests.
//!
//! Prints one JSON line (base URL, CA PEM, SPKI pin, roots.json text,
//! merchant payloads, enrolment code, the till key of M-0001 for the pay-code
//! tests), then reads commands from stdin, one a line, answering each with
//! one line:
//!   `fault submit drop-after-commit` — the next submit commits, then the
//!   response is lost; `quit` (or end of input) stops the sandbox.
//!
//! Usage: cargo run -p scanpay-ffi --example sandbox -- DATA_DIR

use std::io::{BufRead, Write};

use scanpay_sandbox::{Fault, FaultKind, Sandbox, SandboxConfig};

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
        let reply = match cmd.trim() {
            "fault submit drop-after-commit" => {
                sb.inject(FaultKind::Submit, Fault::DropAfterCommit, 1);
                "ok"
            }
            "quit" => break,
            _ => "unknown command",
        };
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
