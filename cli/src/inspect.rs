//! `scanpay inspect [--json] [--roots FILE --registry FILE [--now UNIX]] PAYLOAD`
//!
//! JSON contract: one object with `kind`, `valid`, `error`, and for EMV MPM
//! `tags` (every top-level ID → raw value string) — see `docs/cli.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use scanpay_core::payload::{self, tlv, Payload, PayloadKind};
use serde_json::{json, Map, Value};

use crate::trust_files::{self, TrustFiles};

/// Arguments of `scanpay inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Pinned root keys (JSON), needed for a merchant verdict.
    #[arg(long, requires = "registry")]
    roots: Option<PathBuf>,
    /// Signed merchant key registry document, needed for a merchant verdict.
    #[arg(long, requires = "roots")]
    registry: Option<PathBuf>,
    /// Verification time in unix seconds (default: now).
    #[arg(long)]
    now: Option<u64>,
    /// The scanned text.
    payload: String,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let trust = match (&args.roots, &args.registry) {
        (Some(r), Some(g)) => Some(TrustFiles::load(r, g, trust_files::now_or(args.now))?),
        _ => None,
    };
    let report = inspect(&args.payload, trust.as_ref(), trust_files::now_or(args.now));
    if args.json {
        println!("{report}");
    } else {
        print_human(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Builds the JSON report for one scanned text.
pub fn inspect(text: &str, trust: Option<&TrustFiles>, now: u64) -> Value {
    let classified = payload::classify(text);
    let mut out = Map::new();
    out.insert("kind".into(), json!(classified.kind.as_str()));
    out.insert("valid".into(), json!(classified.result.is_ok()));
    out.insert(
        "error".into(),
        match &classified.result {
            Ok(_) => Value::Null,
            Err(e) => json!(e.to_string()),
        },
    );
    if classified.kind == PayloadKind::EmvMpm {
        // The verdict is given for an invalid payload too (as
        // `malformed-payload`): the UI needs a verdict for every merchant code.
        if let Some(t) = trust {
            out.insert("verdict".into(), t.verdict_json(text, now));
            out.insert("registry".into(), json!(t.info()));
        }
        // Tags come from the TLV layer alone, so they are shown even when a
        // later check (CRC, field rules) fails: that is what QA needs to see.
        if let Ok(objects) = tlv::parse(text) {
            let tags: BTreeMap<String, &str> = objects
                .iter()
                .map(|o| (format!("{:02}", o.id), o.value))
                .collect();
            out.insert("tags".into(), json!(tags));
        }
    }
    match &classified.result {
        Ok(Payload::EmvMpm(m)) => {
            out.insert("merchant".into(), crate::json::merchant(m));
        }
        Ok(Payload::EmvCpm(c)) => {
            out.insert("consumer".into(), crate::json::consumer(c));
        }
        Ok(Payload::Url(u)) => {
            out.insert("url".into(), crate::json::link(u));
        }
        Ok(Payload::Text(_)) | Err(_) => {}
    }
    Value::Object(out)
}

fn print_human(report: &Value) {
    let kind = report["kind"].as_str().unwrap_or("?");
    match report["error"].as_str() {
        Some(e) => println!("{kind}: INVALID — {e}"),
        None => println!("{kind}: valid"),
    }
    if let Some(tags) = report["tags"].as_object() {
        for (id, v) in tags {
            println!("  {id}: {}", v.as_str().unwrap_or(""));
        }
    }
    for key in ["merchant", "consumer", "url", "verdict"] {
        if let Some(v) = report.get(key) {
            let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
            println!("{key}: {pretty}");
        }
    }
}
