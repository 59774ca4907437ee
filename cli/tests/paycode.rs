//! The pay code from the command line, against a real sandbox process over
//! TLS: `scanpay wallet` (a real wallet, PIN on stdin) shows a code, `scanpay
//! pos charge` charges it and resolves what is unclear, the sandbox's own
//! records say how many charges happened. The JSON objects are contracts
//! (`docs/cli.md`): their key sets are held here.

// Test helpers fail loudly: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const PIN: &str = "481592";

const POS_KEYS: &[&str] = &[
    "status",
    "order",
    "merchant_id",
    "amount",
    "charge_id",
    "receipt",
    "reason",
    "retry_after_secs",
    "resolved_by",
    "queries",
    "reversals",
    "calls",
];
const PAYCODE_KEYS: &[&str] = &[
    "digits",
    "cpm_text",
    "counter",
    "issued_at",
    "valid_until",
    "refresh_in_secs",
    "qr",
    "bars",
    "offline",
    "issued_since_sync",
    "png",
    "svg",
];
const QUERY_KEYS: &[&str] = &[
    "order",
    "merchant_id",
    "state",
    "amount",
    "charge_id",
    "receipt",
    "reason",
    "expires_at",
];

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scanpay"))
}

/// Runs `scanpay args…` with `stdin` as standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scanpay");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one JSON object on stdout, got {text:?}; stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn assert_keys(v: &Value, expected: &[&str]) {
    let want: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(keys(v), want, "{v}");
}

fn code_of(out: &Output) -> Option<i32> {
    out.status.code()
}

/// A `scanpay sandbox serve` process on a free loopback port, killed on drop.
struct SandboxProc {
    child: Child,
    tmp: tempfile::TempDir,
}

impl SandboxProc {
    fn start(name: &str) -> SandboxProc {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("scanpay-paycode-{name}-"))
            .tempdir()
            .unwrap();
        let dir = tmp.path().join("sandbox");
        let child = bin()
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !dir.join("link.json").exists() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the sandbox did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SandboxProc { child, tmp }
    }

    fn dir(&self) -> String {
        self.tmp
            .path()
            .join("sandbox")
            .to_str()
            .unwrap()
            .to_string()
    }

    fn wallet_dir(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `scanpay wallet init` for a new wallet; returns its dir.
    fn wallet(&self, name: &str) -> String {
        let w = self.wallet_dir(name);
        let w = w.to_str().unwrap();
        let out = run(
            &[
                "wallet",
                "init",
                "--sandbox",
                &self.dir(),
                "--data",
                w,
                "--json",
            ],
            &format!("{PIN}\n"),
        );
        assert_eq!(code_of(&out), Some(0), "{out:?}");
        let v = json_of(&out);
        assert_keys(
            &v,
            &["data", "device_id", "account_id", "balance", "paycode"],
        );
        assert_eq!(v["paycode"]["provisioned"], true);
        assert_eq!(v["paycode"]["limits"]["no_pin_max"]["display"], "30.00 SGD");
        w.to_string()
    }

    /// The server's truth of a charge: (charges applied, refunds applied).
    fn truth(&self, charge_id: &str) -> (u64, u64, Value) {
        let out = run(&["sandbox", "charge", "--data", &self.dir(), charge_id], "");
        assert_eq!(code_of(&out), Some(0), "{out:?}");
        let v = json_of(&out);
        (
            v["payment"]["charges_applied"].as_u64().unwrap(),
            v["payment"]["refunds_applied"].as_u64().unwrap(),
            v,
        )
    }

    fn fault(&self, kind: &str, fault: &str, count: u32) {
        let out = run(
            &[
                "sandbox",
                "fault",
                "--data",
                &self.dir(),
                kind,
                fault,
                "--count",
                &count.to_string(),
            ],
            "",
        );
        assert_eq!(code_of(&out), Some(0), "{out:?}");
    }

    fn pos(&self, extra: &[&str]) -> Output {
        let dir = self.dir();
        let mut args = vec!["pos", "charge", "--sandbox", &dir, "--merchant", "M-0001"];
        args.extend_from_slice(extra);
        args.push("--json");
        run(&args, "")
    }

    fn pos_spawn(&self, extra: &[&str]) -> Child {
        bin()
            .args([
                "pos",
                "charge",
                "--sandbox",
                &self.dir(),
                "--merchant",
                "M-0001",
            ])
            .args(extra)
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn pos_order(&self, verb: &str, order: &str) -> Output {
        run(
            &[
                "pos",
                verb,
                "--sandbox",
                &self.dir(),
                "--merchant",
                "M-0001",
                "--order",
                order,
                "--json",
            ],
            "",
        )
    }
}

impl Drop for SandboxProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new code from the wallet (online unless `offline`).
fn show_code(wallet: &str, offline: bool, png: Option<&Path>) -> Value {
    let mut args = vec!["wallet", "paycode", "--data", wallet, "--json"];
    if offline {
        args.push("--offline");
    }
    let png_s;
    if let Some(p) = png {
        png_s = p.to_str().unwrap().to_string();
        args.extend_from_slice(&["--png", &png_s]);
    }
    let out = run(&args, &format!("{PIN}\n"));
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let v = json_of(&out);
    assert_keys(&v, PAYCODE_KEYS);
    v
}

fn digits(code: &Value) -> String {
    code["digits"].as_str().unwrap().to_string()
}

#[test]
fn an_offline_code_is_charged_at_the_till_and_the_wallet_then_shows_the_receipt() {
    let sb = SandboxProc::start("paid");
    let w = sb.wallet("w");
    let png = sb.wallet_dir("code.png");
    let svg = sb.wallet_dir("code.svg");

    // The phone is offline: the code comes from the sealed secret alone.
    let out = run(
        &[
            "wallet",
            "paycode",
            "--data",
            &w,
            "--offline",
            "--json",
            "--png",
            png.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ],
        &format!("{PIN}\n"),
    );
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let code = json_of(&out);
    assert_keys(&code, PAYCODE_KEYS);
    let d = digits(&code);
    assert_eq!(d.len(), 18);
    assert!(d.starts_with("39") && d.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(code["offline"], true);
    assert_eq!(code["issued_since_sync"], 1);
    let (issued, until) = (
        code["issued_at"].as_u64().unwrap(),
        code["valid_until"].as_u64().unwrap(),
    );
    assert!(until > issued && until - issued <= 60);
    assert_eq!(code["qr"]["quiet_zone"], 4);
    assert!(std::fs::read_to_string(&svg).unwrap().contains(&d));

    // The cashier scans the QR form from the image.
    let out = sb.pos(&[
        "--amount",
        "3.20",
        "--image",
        png.to_str().unwrap(),
        "--order",
        "T1-0001",
    ]);
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let paid = json_of(&out);
    assert_keys(&paid, POS_KEYS);
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["order"], "T1-0001");
    assert_eq!(paid["amount"]["display"], "3.20 SGD");
    assert_eq!(paid["resolved_by"], "charge");
    assert_eq!(
        (paid["queries"].as_u64(), paid["reversals"].as_u64()),
        (Some(0), Some(0))
    );
    let receipt = paid["receipt"].as_str().unwrap().to_string();
    let charge_id = paid["charge_id"].as_str().unwrap().to_string();
    assert_eq!(sb.truth(&charge_id).0, 1);

    // Back online, the wallet syncs and shows the same receipt.
    let out = run(&["wallet", "history", "--data", &w, "--json"], "");
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let h = json_of(&out);
    assert_eq!(h["synced"], true);
    let c = &h["paycode"][0];
    assert_eq!(c["charge_id"], charge_id.as_str());
    assert_eq!(c["receipt"], receipt.as_str());
    assert_eq!(c["state"], "paid");
    assert_eq!(c["merchant_name"], "KOPI CORNER");
    assert_eq!(c["merchant_registered"], true);
    assert_eq!(c["method"], "code");

    // The same code again (typed this time) is refused: used.
    let out = sb.pos(&["--amount", "3.20", "--code", &d]);
    assert_eq!(code_of(&out), Some(3), "{out:?}");
    let again = json_of(&out);
    assert_keys(&again, POS_KEYS);
    assert_eq!(again["status"], "declined");
    assert_eq!(again["reason"], "code-used");
    assert_eq!(again["charge_id"], Value::Null);

    // Query and reverse by order number: the refund is the only other move.
    let out = sb.pos_order("query", "T1-0001");
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    assert_keys(&json_of(&out), QUERY_KEYS);
    let out = sb.pos_order("reverse", "T1-0001");
    assert_eq!(code_of(&out), Some(5), "{out:?}");
    let rev = json_of(&out);
    assert_keys(&rev, QUERY_KEYS);
    assert_eq!(rev["state"], "reversed");
    let (charges, refunds, truth) = sb.truth(&charge_id);
    assert_eq!((charges, refunds), (1, 1), "{truth}");
}

#[test]
fn a_lost_answer_at_the_till_ends_with_exactly_one_charge() {
    let sb = SandboxProc::start("lost");
    let w = sb.wallet("w");

    // The charge commits but its answer is lost: a query finds it paid.
    sb.fault("charge", "drop-after-commit", 1);
    let code = show_code(&w, false, None);
    let out = sb.pos(&["--amount", "4.80", "--code", &digits(&code)]);
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["status"], "paid");
    assert_eq!(v["resolved_by"], "query");
    assert!(v["calls"][0]["error"]
        .as_str()
        .unwrap()
        .contains("connection lost"));
    let id = v["charge_id"].as_str().unwrap();
    let (charges, refunds, truth) = sb.truth(id);
    assert_eq!((charges, refunds), (1, 0), "{truth}");

    // The answer is lost and the queries fail too: the till reverses; the
    // one charge is refunded, never doubled.
    sb.fault("charge", "drop-after-commit", 1);
    sb.fault("charge-query", "error500", 3);
    let code = show_code(&w, false, None);
    let out = sb.pos(&["--amount", "4.80", "--code", &digits(&code)]);
    assert_eq!(code_of(&out), Some(5), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["status"], "reversed");
    assert_eq!(v["resolved_by"], "reverse");
    assert_eq!(
        (v["queries"].as_u64(), v["reversals"].as_u64()),
        (Some(3), Some(1))
    );
    let (charges, refunds, truth) = sb.truth(v["charge_id"].as_str().unwrap());
    assert_eq!((charges, refunds), (1, 1), "{truth}");
}

#[test]
fn refused_codes_are_rate_limited_and_the_429_stores_nothing() {
    let sb = SandboxProc::start("rate");
    for i in 1..=5 {
        let out = sb.pos(&[
            "--amount",
            "1.00",
            "--code",
            &format!("39{:016}", 1234567 + i),
            "--order",
            &format!("R-{i}"),
        ]);
        assert_eq!(code_of(&out), Some(3), "{out:?}");
        let v = json_of(&out);
        assert_eq!(
            (v["status"].as_str(), v["reason"].as_str()),
            (Some("declined"), Some("code-unknown"))
        );
    }
    let out = sb.pos(&[
        "--amount",
        "1.00",
        "--code",
        "391111111111111111",
        "--order",
        "R-6",
    ]);
    assert_eq!(code_of(&out), Some(3), "{out:?}");
    let v = json_of(&out);
    assert_keys(&v, POS_KEYS);
    assert_eq!(v["status"], "declined");
    assert_eq!(v["reason"], "rate-limited");
    assert!(v["retry_after_secs"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["charge_id"], Value::Null);
    // Nothing was stored under R-6; R-1's decline was.
    let out = sb.pos_order("query", "R-6");
    assert_eq!(code_of(&out), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no charge"));
    let out = sb.pos_order("query", "R-1");
    assert_eq!(code_of(&out), Some(3), "{out:?}");
    assert_eq!(json_of(&out)["reason"], "code-unknown");
}

/// Starts a 45.00 SGD charge (above the 30.00 no-PIN amount) in the
/// background and waits until the sandbox holds it as `userpaying`.
fn start_userpaying(sb: &SandboxProc, w: &str, order: &str) -> Child {
    let code = show_code(w, false, None);
    let child = sb.pos_spawn(&[
        "--amount",
        "45.00",
        "--code",
        &digits(&code),
        "--order",
        order,
    ]);
    let started = Instant::now();
    let mut child = child;
    loop {
        let out = sb.pos_order("query", order);
        if code_of(&out) == Some(6) {
            let v = json_of(&out);
            if v["state"] == "userpaying" && v["expires_at"].as_u64().is_some() {
                return child;
            }
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let till = child.wait_with_output().unwrap();
            panic!("the charge never waited for the PIN: {out:?}; till: {till:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_charge_waiting_for_the_pin_is_closed_when_nobody_confirms() {
    let sb = SandboxProc::start("userpaying");
    let w = sb.wallet("w");
    let pos = start_userpaying(&sb, &w, "UP-1");
    // 45 s pass on the sandbox's clock instead of the wall clock: the
    // till's next query (≤ 5 s later) finds the charge closed.
    let out = run(&["sandbox", "advance-clock", "--data", &sb.dir(), "50"], "");
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let started = Instant::now();
    let out = pos.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(code_of(&out), Some(4), "{out:?}");
    let v = json_of(&out);
    assert_keys(&v, POS_KEYS);
    assert_eq!(v["status"], "closed");
    assert_eq!(v["resolved_by"], "query");
    assert!(v["queries"].as_u64().unwrap() >= 1);
    assert_eq!(v["calls"][0]["state"], "userpaying");
}

#[test]
fn a_charge_confirmed_with_the_pin_on_the_phone_is_paid_at_the_till() {
    let sb = SandboxProc::start("confirm");
    let w = sb.wallet("w");
    let pos = start_userpaying(&sb, &w, "UP-2");
    let out = run(
        &["wallet", "confirm", "--data", &w, "--json"],
        &format!("{PIN}\n"),
    );
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let c = json_of(&out);
    assert_eq!(c["outcome"], "paid");
    assert_eq!(c["merchant_name"], "KOPI CORNER");
    assert_eq!(c["amount"]["display"], "45.00 SGD");
    let out = pos.wait_with_output().unwrap();
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["status"], "paid");
    assert_eq!(v["resolved_by"], "query");
    assert_eq!(v["charge_id"], c["charge_id"]);
    let out = run(&["wallet", "history", "--data", &w, "--json"], "");
    let h = json_of(&out);
    assert_eq!(h["paycode"][0]["method"], "code+pin");
    assert_eq!(h["paycode"][0]["receipt"], v["receipt"]);
}

#[test]
fn errors_before_any_charge_exit_2_with_the_reason_and_nothing_on_stdout() {
    let sb = SandboxProc::start("errors");
    let w = sb.wallet("w");
    let code = digits(&show_code(&w, true, None));
    let expect_2 = |out: &Output, says: &str| {
        assert_eq!(code_of(out), Some(2), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    };
    // A key the backend does not know: 401, nothing charged.
    expect_2(
        &sb.pos(&[
            "--amount",
            "1.00",
            "--code",
            &code,
            "--till-key",
            "till_not-a-key",
        ]),
        "refused the till key",
    );
    // Letters are not a typed code; an image without a code is not one either.
    expect_2(&sb.pos(&["--amount", "1.00", "--code", "39ABC"]), "digits");
    let blank = sb.wallet_dir("blank.png");
    image::GrayImage::from_pixel(120, 120, image::Luma([255]))
        .save(&blank)
        .unwrap();
    expect_2(
        &sb.pos(&["--amount", "1.00", "--image", blank.to_str().unwrap()]),
        "no code found",
    );
    // The code is still unused: it pays, and the order number is now taken
    // for that body — the same number for another amount is refused (409).
    let out = sb.pos(&["--amount", "1.00", "--code", &code, "--order", "O-1"]);
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    expect_2(
        &sb.pos(&["--amount", "2.00", "--code", &code, "--order", "O-1"]),
        "already used",
    );
    // The same number and body again replays the first answer: still one charge.
    let out = sb.pos(&["--amount", "1.00", "--code", &code, "--order", "O-1"]);
    assert_eq!(code_of(&out), Some(0), "{out:?}");
    let v = json_of(&out);
    assert_eq!(sb.truth(v["charge_id"].as_str().unwrap()).0, 1);
}
