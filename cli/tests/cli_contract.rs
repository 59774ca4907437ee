//! The `scanpay` CLI's JSON output is a contract other tools read
//! (`docs/cli.md`). These tests run the real binary and hold it to it.

// Test helpers fail loudly: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::scanpay;

use image::Luma;
use qrcode::{EcLevel, QrCode};
use serde_json::Value;

fn stdout_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8 stdout")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// A fresh directory under the system temp dir, removed when dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("scanpay-cli-{name}-"))
        .tempdir()
        .expect("temp dir")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

#[test]
fn decode_json_one_line_per_image_in_order_with_errors() {
    let tmp = temp_dir("decode");
    let dir = tmp.path();
    let text = "00020101021153037645802TH5907TESTING6007BANGKOK6304ABCD";
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
    let png = dir.join("code.png");
    code.render::<Luma<u8>>()
        .module_dimensions(5, 5)
        .build()
        .save(&png)
        .unwrap();
    let blank = dir.join("blank.png");
    image::GrayImage::from_pixel(200, 120, Luma([255]))
        .save(&blank)
        .unwrap();
    let broken = dir.join("broken.png");
    std::fs::write(&broken, b"not an image").unwrap();
    let (png, blank, broken) = (
        png.to_str().unwrap(),
        blank.to_str().unwrap(),
        broken.to_str().unwrap(),
    );

    let out = scanpay(&["decode", "--json", png, broken, blank]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unreadable image makes the exit status 1"
    );
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 3);

    assert_eq!(lines[0]["file"], png);
    assert_eq!(lines[0]["codes"][0]["text"], text);
    assert_eq!(lines[0]["codes"].as_array().unwrap().len(), 1);
    assert!(lines[0]["ms"].as_f64().unwrap() > 0.0);
    assert!(lines[0].get("error").is_none());

    assert_eq!(lines[1]["file"], broken);
    assert!(lines[1]["error"].as_str().unwrap().contains("decode"));
    assert_eq!(lines[1]["codes"], serde_json::json!([]));
    assert!(lines[1]["ms"].is_null());

    assert_eq!(lines[2]["file"], blank);
    assert_eq!(lines[2]["codes"], serde_json::json!([]));
    assert!(lines[2]["ms"].as_f64().is_some());

    let ok = scanpay(&["decode", "--json", png]);
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn inspect_real_emv_payload_lists_every_top_level_tag() {
    let real = read_json(&vectors().join("emv/real-payloads.json"));
    for case in real.as_array().unwrap() {
        let payload = case["payload"].as_str().unwrap();
        let out = scanpay(&["inspect", "--json", payload]);
        assert_eq!(out.status.code(), Some(0));
        let v = &stdout_lines(&out)[0];
        assert_eq!(v["kind"], "emv-mpm", "{payload}");
        assert_eq!(v["valid"], true, "{payload}: {}", v["error"]);
        assert!(v["error"].is_null());
        let tags = v["tags"].as_object().unwrap();
        assert_eq!(tags["00"], "01");
        assert_eq!(tags["63"].as_str().unwrap().len(), 4);
        // Every tag value appears verbatim in the payload, templates as raw strings.
        for (id, value) in tags {
            let value = value.as_str().unwrap();
            let len = value.chars().count();
            assert!(
                payload.contains(&format!("{id}{len:02}{value}")),
                "{id} in {payload}"
            );
        }
    }
}

#[test]
fn inspect_invalid_emv_keeps_kind_and_tags_with_an_error() {
    let out = scanpay(&[
        "inspect",
        "--json",
        "00020101021153037645802TH5907TESTING6007BANGKOK63040000",
    ]);
    let v = &stdout_lines(&out)[0];
    assert_eq!(v["kind"], "emv-mpm");
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().to_lowercase().contains("crc"));
    assert_eq!(v["tags"]["59"], "TESTING");
}

#[test]
fn inspect_classifies_links_text_and_consumer_codes() {
    let v = &stdout_lines(&scanpay(&[
        "inspect",
        "--json",
        "http://xn--pypal-4ve.com/login",
    ]))[0];
    assert_eq!(v["kind"], "url");
    let flags = v["url"]["flags"].to_string();
    assert!(
        flags.contains("not-https") && flags.contains("international-host"),
        "{flags}"
    );
    assert_eq!(v["url"]["host_unicode"], "pаypal.com");

    let v = &stdout_lines(&scanpay(&["inspect", "--json", "javascript:alert(1)"]))[0];
    assert!(v["url"]["flags"].to_string().contains("dangerous-scheme"));

    let v = &stdout_lines(&scanpay(&["inspect", "--json", "just some words"]))[0];
    assert_eq!(
        (v["kind"].as_str(), v["valid"].as_bool()),
        (Some("text"), Some(true))
    );

    let v = &stdout_lines(&scanpay(&["inspect", "--json", "hQVDUFYwMQ"]))[0];
    assert_eq!(v["kind"], "emv-cpm");

    // A ScanPay pay code (QR form) shows its whole one-time code, not a PAN.
    let vectors = read_json(&vectors().join("paycode.json"));
    let vector = &vectors["vectors"][0];
    let cpm = vector["cpm_text"].as_str().unwrap();
    let v = &stdout_lines(&scanpay(&["inspect", "--json", cpm]))[0];
    let app = &v["consumer"]["applications"][0];
    assert_eq!(app["paycode"], vector["code"], "{v}");
    assert_eq!(app["pan"], serde_json::Value::Null);
}

#[test]
fn inspect_with_trust_files_gives_the_vector_verdicts() {
    let cases = read_json(&vectors().join("trust/cases.json"));
    let roots = vectors().join("trust/roots.json");
    let registry = vectors().join("trust/registry.json");
    let now = cases["registry_now"].as_u64().unwrap().to_string();
    // Each CLI run has a fresh replay guard, so only cases that do not depend
    // on an earlier scan are meaningful here.
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if name == "replayed-nonce" || case["registry"].is_string() {
            continue;
        }
        let case_now = case["now"].as_u64().unwrap().to_string();
        let out = scanpay(&[
            "inspect",
            "--json",
            "--roots",
            roots.to_str().unwrap(),
            "--registry",
            registry.to_str().unwrap(),
            "--now",
            &case_now,
            case["payload"].as_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = &stdout_lines(&out)[0];
        let expect = &case["expect"];
        assert_eq!(v["verdict"]["verdict"], expect["verdict"], "{name}");
        if let Some(reason) = expect.get("reason") {
            assert_eq!(&v["verdict"]["reason"], reason, "{name}");
        }
        if let Some(registered) = expect.get("registered_name") {
            assert_eq!(&v["verdict"]["registered_name"], registered, "{name}");
        }
        assert_eq!(v["registry"]["version"], 2, "{name} at {now}");
    }
}

#[test]
fn demo_runs_end_to_end() {
    let tmp = temp_dir("demo");
    let dir = tmp.path();
    // In Chinese (issue 13): the lines the payer's phone shows come from the
    // catalogue in the chosen language; the narration stays English.
    let out = scanpay(&["demo", "--lang", "zh-Hans", "--out", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("merchant: KOPI CORNER (SINGAPORE) — verified: true"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DONE: paid 12.50 SGD to KOPI CORNER"),
        "{stdout}"
    );
    assert!(
        stdout.contains("journal: SENDING → UNKNOWN → SUCCEEDED"),
        "{stdout}"
    );
    assert!(stdout.contains("status: offline"), "{stdout}");
    // The pay-code step: an offline phone's code charged at the till, the
    // receipt seen after the sync, a lost till answer resolved once.
    assert!(
        stdout.contains("✓ the code was made offline: no request left the phone"),
        "{stdout}"
    );
    assert!(
        stdout.contains("synced: paid 3.20 SGD to KOPI CORNER — receipt "),
        "{stdout}"
    );
    for (what, line) in [
        (
            "the verified merchant",
            "phone: 已验证商家：KOPI CORNER，SINGAPORE",
        ),
        (
            "the amount to confirm",
            "phone: 向 KOPI CORNER 支付 SGD\u{a0}12.50？",
        ),
        (
            "the receipt",
            "phone: 已向 KOPI CORNER 支付 SGD\u{a0}12.50。",
        ),
        (
            "the offline refusal",
            "phone: 您目前处于离线状态，付款需要联网。未发生扣款。",
        ),
        ("the pay code", "phone: 请向收银员出示此码。"),
        (
            "the one-tap screen",
            "phone: 无需支付密码，向 KOPI CORNER 支付 SGD\u{a0}4.50？",
        ),
    ] {
        assert!(
            stdout.contains(line),
            "{what}: no line {line:?} in\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("phone: Pay") && !stdout.contains("phone: Paid"),
        "an English phone line under --lang zh-Hans:\n{stdout}"
    );
    assert!(stdout.contains("charges applied 1, refunds 0"), "{stdout}");
    assert!(stdout.contains("Demo complete"), "{stdout}");
    assert!(
        !stdout.contains("✗") && !stdout.contains("FAILED"),
        "{stdout}"
    );
    for f in [
        "DEMO-1.png",
        "DEMO-2.png",
        "sandbox/roots.json",
        "wallet/wallet.sqlite",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
}

#[test]
fn sandbox_fault_arms_payer_pending_with_its_query_count() {
    use scanpay_sandbox::{Fault, FaultKind, Sandbox, SandboxConfig};

    let tmp = temp_dir("sandbox-fault");
    let data = tmp.path().join("sandbox");
    let sb = Sandbox::start(SandboxConfig::new(&data)).unwrap();
    // What `scanpay sandbox serve` writes for the control commands to read.
    let link = sb.wallet_link();
    let link_json = serde_json::json!({
        "base_url": link.base_url,
        "ca_pem_path": link.ca_pem_path,
        "spki_pin": link.spki_pin,
        "roots_json_path": link.roots_json_path,
    });
    std::fs::write(data.join("link.json"), link_json.to_string()).unwrap();
    let data_arg = data.to_str().unwrap();
    let fault = |args: &[&str]| {
        let mut all = vec!["sandbox", "fault", "--data", data_arg];
        all.extend_from_slice(args);
        scanpay(&all)
    };

    let out = fault(&["submit", "payer-pending", "--queries", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout_lines(&out), vec![serde_json::json!({"ok": true})]);
    let armed = sb.faults().armed();
    assert_eq!(armed.len(), 1, "{armed:?}");
    assert_eq!(
        (armed[0].kind, armed[0].fault, armed[0].count),
        (FaultKind::Submit, Fault::PayerPending { queries: 3 }, 1)
    );

    // The default is the second query; zero queries is a usage error; a
    // kind no submit goes through is refused by the sandbox.
    let out = fault(&["any", "payer-pending"]);
    assert!(out.status.success());
    assert_eq!(
        sb.faults().armed().get(1).map(|r| r.fault),
        Some(Fault::PayerPending { queries: 2 })
    );
    let out = fault(&["submit", "payer-pending", "--queries", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = fault(&["query", "payer-pending"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("payer-pending applies to submits"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sb.faults().armed().len(), 2);
    sb.stop();
}
