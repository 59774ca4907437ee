//! The attack corpus (`tests/fixtures/attacks/manifest.json`) through the
//! core: every case with its expected typed outcome. The Kotlin and Python
//! binding tests load the same manifest (format described in its
//! `description` and in `docs/security.md`).
//!
//! `generate_attack_corpus` (ignored) writes the manifest and the small PNG
//! images once, from the fixed test keys of `tests/vectors/trust/`:
//! `cargo test -p scanpay-core --test it -- --ignored attacks::generate_attack_corpus`.
//! Every expectation it writes was reviewed by hand; a change in the core's
//! answer is a failing test here, not a silently regenerated file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use crate::trust_support::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use scanpay_core::payload::link::LinkFlag;
use scanpay_core::payload::{classify, Payload};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, Scanner};
use scanpay_core::store::Store;
use scanpay_core::trust::keys::Algorithm;
use scanpay_core::trust::registry::RootKeys;
use scanpay_core::trust::{InMemoryReplayGuard, ReplayGuard, TrustStore};
use serde_json::{json, Value};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/attacks")
}

fn read(rel: &str) -> Vec<u8> {
    let p = dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

// ------------------------------------------------------------- outcomes

/// `Mpm(Tlv(Overrun { .. }))` → `mpm/tlv/overrun`: the chain of variant
/// names of a nested error enum, kebab-cased.
fn error_code(debug: &str) -> String {
    let mut parts = Vec::new();
    let mut rest = debug;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let ident = &rest[..end];
        let mut kebab = String::new();
        for (i, ch) in ident.chars().enumerate() {
            if ch.is_ascii_uppercase() {
                if i > 0 {
                    kebab.push('-');
                }
                kebab.push(ch.to_ascii_lowercase());
            } else {
                kebab.push(ch);
            }
        }
        parts.push(kebab);
        if rest[end..].starts_with('(') {
            rest = &rest[end + 1..];
        } else {
            break;
        }
    }
    parts.join("/")
}

fn flag_code(f: &LinkFlag) -> String {
    match f {
        LinkFlag::Lookalike { brand } => format!("lookalike:{brand}"),
        other => error_code(&format!("{other:?}")),
    }
}

fn classify_outcome(text: &str) -> Value {
    let c = classify(text);
    let mut out = json!({"kind": c.kind.as_str()});
    match &c.result {
        Ok(Payload::Url(link)) => {
            out["flags"] = Value::from(link.flags.iter().map(flag_code).collect::<Vec<_>>());
        }
        Ok(_) => {}
        Err(e) => out["error"] = Value::from(e.code()),
    }
    out
}

fn verdict_outcome(v: &scanpay_core::trust::Verdict) -> Value {
    let got = serde_json::to_value(v).unwrap();
    let mut out = json!({"verdict": got["verdict"].clone()});
    if let Some(r) = got.get("reason") {
        out["reason"] = r.clone();
    }
    if let Some(n) = got.get("registered_name") {
        out["registered_name"] = n.clone();
    }
    out
}

fn scan_outcome(luma: &[u8], width: u32, height: u32) -> Value {
    let frame = LumaFrame {
        data: luma,
        width,
        height,
        row_stride: width,
        rotation: Rotation::R0,
    };
    match Scanner::new().scan(&frame, &ScanOptions::default()) {
        Ok(codes) => json!({"codes": codes.len()}),
        Err(e) => json!({"error": error_code(&format!("{e:?}"))}),
    }
}

fn png_luma(bytes: &[u8]) -> (Vec<u8>, u32, u32) {
    let img = image::load_from_memory(bytes).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    (img.into_raw(), w, h)
}

/// A frame described in the manifest (`generate`), built here from its
/// recorded seed instead of being stored.
fn generated_frame(spec: &Value) -> (Vec<u8>, u32, u32) {
    let w = u32::try_from(spec["width"].as_u64().unwrap()).unwrap();
    let h = u32::try_from(spec["height"].as_u64().unwrap()).unwrap();
    let n = usize::try_from(u64::from(w) * u64::from(h)).unwrap();
    let data = match spec["fill"].as_str().unwrap() {
        "black" => vec![0u8; n],
        "white" => vec![255u8; n],
        "noise" => {
            let mut s = spec["seed"].as_u64().unwrap();
            (0..n)
                .map(|_| {
                    s = s
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (s >> 56) as u8
                })
                .collect()
        }
        other => panic!("fill {other}"),
    };
    (data, w, h)
}

/// A trust store as the manifest's `setup` says: its roots, its registry
/// documents applied in order at `registry_now`.
fn store_for(m: &Value) -> TrustStore {
    let setup = &m["setup"];
    let roots = RootKeys::from_json(&read(setup["roots"].as_str().unwrap())).unwrap();
    let mut store = TrustStore::new(roots);
    let now = setup["registry_now"].as_u64().unwrap();
    for d in setup["registry"].as_array().unwrap() {
        store
            .apply_registry(&read(d.as_str().unwrap()), now)
            .unwrap();
    }
    store
}

fn text_of(c: &Value) -> String {
    if let Some(t) = c.get("text").and_then(Value::as_str) {
        return t.to_string();
    }
    let r = &c["text_repeat"];
    format!(
        "{}{}",
        r["prefix"].as_str().unwrap_or(""),
        r["unit"]
            .as_str()
            .unwrap()
            .repeat(usize::try_from(r["count"].as_u64().unwrap()).unwrap())
    )
}

/// Runs one case; returns its outcome (compared with `expect` by the caller).
fn run_case(m: &Value, store: &TrustStore, c: &Value) -> Value {
    let name = c["name"].as_str().unwrap();
    match c["kind"].as_str().unwrap() {
        "verify" => {
            let payload = text_of(c);
            let now = c["now"].as_u64().unwrap();
            let mut guard = InMemoryReplayGuard::default();
            verdict_outcome(&store.verify(&payload, now, &mut guard))
        }
        "replay" => {
            // The same dynamic code scanned twice; with `restart`, the replay
            // memory is the SQLite store, closed and reopened in between.
            let payload = c["text"].as_str().unwrap();
            let now = c["now"].as_u64().unwrap();
            let restart = c["restart"].as_bool().unwrap_or(false);
            let (first, second) = if restart {
                let dir = tempfile::Builder::new()
                    .prefix(&format!("scanpay-attacks-{name}-"))
                    .tempdir()
                    .unwrap();
                let path = dir.path().join("replay.sqlite");
                let first = {
                    let mut db = Store::open(&path).unwrap();
                    store.verify(payload, now, &mut db as &mut dyn ReplayGuard)
                };
                let mut db = Store::open(&path).unwrap();
                let second = store.verify(payload, now + 1, &mut db);
                (first, second)
            } else {
                let mut guard = InMemoryReplayGuard::default();
                let first = store.verify(payload, now, &mut guard);
                (first, store.verify(payload, now + 1, &mut guard))
            };
            json!({"first": verdict_outcome(&first), "second": verdict_outcome(&second)})
        }
        "registry" => {
            let roots = RootKeys::from_json(&read(m["setup"]["roots"].as_str().unwrap())).unwrap();
            let mut s = TrustStore::new(roots);
            let now = c["now"].as_u64().unwrap();
            let mut last = Ok(());
            for d in c["documents"].as_array().unwrap() {
                last = s
                    .apply_registry(&read(d.as_str().unwrap()), now)
                    .map(|_| ());
            }
            match last {
                Ok(()) => json!({"applied": true}),
                Err(e) => json!({"applied": false, "error": e.code()}),
            }
        }
        "classify" => classify_outcome(&text_of(c)),
        "image" => {
            let (luma, w, h) = match c.get("file").and_then(Value::as_str) {
                Some(f) => png_luma(&read(f)),
                None => generated_frame(&c["generate"]),
            };
            scan_outcome(&luma, w, h)
        }
        other => panic!("{name}: unknown kind {other}"),
    }
}

#[test]
fn attack_corpus_gives_expected_outcomes() {
    let m: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let store = store_for(&m);
    let cases = m["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    let mut categories = std::collections::BTreeMap::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        *categories
            .entry(c["category"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        let got = run_case(&m, &store, c);
        if got != c["expect"] {
            failures.push(format!("{name}: got {got}, expected {}", c["expect"]));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Every category the issue names is present.
    for cat in [
        "sticker-swap",
        "tampering",
        "expiry",
        "replay",
        "unknown-key",
        "revoked-key",
        "registry",
        "unsigned",
        "phishing",
        "lookalike-name",
        "oversized",
        "malformed-tlv",
        "truncated-cpm",
        "image",
    ] {
        assert!(
            categories.contains_key(cat),
            "no {cat} case: {categories:?}"
        );
    }
    assert!(cases.len() >= 50, "{}", cases.len());
}

#[test]
fn no_attack_case_is_payable_and_every_verdict_is_typed() {
    // The whole corpus, also as text fed to the classifier: no panic, and no
    // attack payload is both an EMVCo code and verified.
    let m: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let store = store_for(&m);
    for c in m["cases"].as_array().unwrap() {
        if c.get("text").is_none() && c.get("text_repeat").is_none() {
            continue;
        }
        let text = text_of(c);
        let _ = classify(&text);
        let now = c.get("now").and_then(Value::as_u64).unwrap_or(NOW);
        let v = store.verify(&text, now, &mut InMemoryReplayGuard::default());
        let benign =
            c["expect"]["verdict"] == "verified" || c["expect"]["first"]["verdict"] == "verified";
        assert!(!v.is_verified() || benign, "{}: verified: {v:?}", c["name"]);
    }
}

#[test]
fn a_frame_over_the_size_caps_is_refused_before_any_work() {
    // Huge frames, generated here (no file): refused by the caps, not scanned.
    let m: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let huge = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["category"] == "image" && c.get("generate").is_some())
        .count();
    assert!(huge >= 2);
    // A frame whose buffer is shorter than it claims.
    let short = vec![0u8; 10];
    let frame = LumaFrame {
        data: &short,
        width: 640,
        height: 480,
        row_stride: 640,
        rotation: Rotation::R0,
    };
    let e = Scanner::new()
        .scan(&frame, &ScanOptions::default())
        .unwrap_err();
    assert_eq!(error_code(&format!("{e:?}")), "data-too-short");
}

// ------------------------------------------------------------ generator

fn case(name: &str, category: &str, kind: &str, desc: &str) -> Value {
    json!({"name": name, "category": category, "kind": kind, "description": desc})
}

fn with(mut c: Value, k: &str, v: Value) -> Value {
    c[k] = v;
    c
}

fn ber(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.push(u8::try_from(value.len()).unwrap());
    out.extend_from_slice(value);
    out
}

fn cpm_code() -> Vec<u8> {
    let mut app = Vec::new();
    app.extend(ber(&[0x4F], &[0xA0, 0, 0, 0, 0x03, 0x10, 0x10]));
    app.extend(ber(&[0x50], b"VISA DEBIT"));
    app.extend(ber(
        &[0x57],
        &[
            0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10, 0xD2, 0x51, 0x22, 0x01,
        ],
    ));
    app.extend(ber(&[0x9F, 0x26], &[1, 2, 3, 4, 5, 6, 7, 8]));
    let mut out = ber(&[0x85], b"CPV01");
    out.extend(ber(&[0x61], &app));
    out
}

fn write_png(rel: &str, w: u32, h: u32, f: impl Fn(u32, u32) -> u8) {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([f(x, y)]));
    img.save(dir().join(rel)).unwrap();
}

#[test]
#[ignore = "writes tests/fixtures/attacks; run once by hand, review, commit"]
fn generate_attack_corpus() {
    let vectors: Value = serde_json::from_slice(&read("../../vectors/trust/cases.json")).unwrap();
    let vector = |name: &str| -> (String, u64) {
        let c = vectors["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("vector {name}"));
        (
            c["payload"].as_str().unwrap().to_string(),
            c["now"].as_u64().unwrap(),
        )
    };
    let mut cases: Vec<Value> = Vec::new();
    macro_rules! verify {
        ($name:expr, $cat:expr, $desc:expr, $payload:expr, $now:expr) => {{
            let c = with(
                with(
                    case($name, $cat, "verify", $desc),
                    "text",
                    Value::from($payload),
                ),
                "now",
                Value::from($now),
            );
            cases.push(c);
        }};
    }

    // Sticker swap: a valid signature by another merchant's key.
    let (p, n) = vector("sticker-swap");
    verify!("sticker-swap-vector", "sticker-swap", "Alice's valid key signs a code paying an account not registered to it (tests/vectors/trust sticker-swap).", p, n);
    verify!("sticker-swap-other-merchant", "sticker-swap", "Bob's code (name, city, account) signed with Alice's valid key: the account is not Alice's.", sign_static(&Shape::bob(), &alice(), "m-alice-ed"), NOW);
    let mut attacker = Shape::alice();
    attacker.accounts = vec![(29, PROMPTPAY, vec![(1, ATTACKER_PHONE)])];
    verify!("sticker-swap-attacker-account", "sticker-swap", "Alice's name and city but the attacker's phone account, signed with Alice's key (a stolen key).", sign_static(&attacker, &alice(), "m-alice-ed"), NOW);
    verify!(
        "sticker-swap-claimed-key-id",
        "sticker-swap",
        "Alice's code re-signed by Bob's key but claiming Alice's key id.",
        sign_static(&Shape::alice(), &bob(), "m-alice-ed"),
        NOW
    );

    // Tampering.
    for v in [
        "tampered-amount",
        "tampered-name",
        "tampered-account",
        "tampered-expiry",
        "bad-signature",
        "key-id-swapped",
    ] {
        let (p, n) = vector(v);
        verify!(
            v,
            "tampering",
            "From tests/vectors/trust: a signed object changed, CRC recomputed.",
            p,
            n
        );
    }
    let dynamic = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 300,
        "QUFBQUFBQUFBQUFBQUFB",
    );
    verify!(
        "tampered-amount-zero-padded",
        "tampering",
        "Dynamic code's amount 1250.75 rewritten as 0001250.75 (same value, other bytes).",
        tamper(&dynamic, 54, None, "0001250.75"),
        NOW
    );
    verify!(
        "tampered-tip-rule",
        "tampering",
        "A tip prompt (55 = 01) inserted into a signed code.",
        {
            let objs = scanpay_core::payload::tlv::parse(&dynamic).unwrap();
            let mut out = String::new();
            for o in objs.iter().filter(|o| o.id != 63) {
                out.push_str(&dynamic[o.span.clone()]);
                if o.id == 54 {
                    out.push_str("550201");
                }
            }
            with_crc(out)
        },
        NOW
    );

    // Expiry.
    let (p, n) = vector("expired-dynamic");
    verify!(
        "expired-dynamic",
        "expiry",
        "A dynamic code scanned after its expiry.",
        p,
        n
    );
    verify!(
        "expired-dynamic-by-one-second",
        "expiry",
        "Valid while now < expiry: at exactly the expiry it is refused.",
        dynamic.clone(),
        NOW + 300
    );
    let (p, n) = vector("expiry-too-far");
    verify!(
        "expiry-too-far",
        "expiry",
        "An expiry more than 24 h ahead (bounds the nonce memory).",
        p,
        n
    );

    // Replay.
    let d1 = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 300,
        "UkVQTEFZLUlOLU1FTU9SWQ",
    );
    cases.push(
        json!({"name": "replayed-nonce", "category": "replay", "kind": "replay",
        "description": "The same dynamic code scanned twice (in-memory replay guard).",
        "text": d1, "now": NOW, "restart": false}),
    );
    let d2 = sign_dynamic(
        &Shape::alice_dynamic(),
        &alice(),
        "m-alice-ed",
        NOW + 300,
        "UkVQTEFZLUFGVEVSLVJFU1RBUlQ",
    );
    cases.push(json!({"name": "replayed-nonce-after-restart", "category": "replay", "kind": "replay",
        "description": "The same dynamic code scanned, the app restarted (replay memory in SQLite, closed and reopened), scanned again.",
        "text": d2, "now": NOW, "restart": true}));

    // Keys.
    let (p, n) = vector("unknown-key");
    verify!(
        "unknown-key",
        "unknown-key",
        "Signed by a key id the registry does not hold.",
        p,
        n
    );
    let rogue =
        scanpay_core::trust::issue::SigningKey::ed25519_from_seed(&seed("rogue-key")).unwrap();
    verify!(
        "unknown-key-self-made",
        "unknown-key",
        "A freshly made key, id 'm-rogue', signing Alice's code.",
        sign_static(&Shape::alice(), &rogue, "m-rogue"),
        NOW
    );
    let (p, n) = vector("revoked-key");
    verify!(
        "revoked-key",
        "revoked-key",
        "Signed by a key the registry marks revoked.",
        p,
        n
    );
    for v in [
        "key-not-yet-valid",
        "key-expired",
        "algorithm-mismatch",
        "malformed-signature",
        "unsupported-algorithm",
        "unsupported-version",
    ] {
        let (p, n) = vector(v);
        verify!(
            v,
            "unknown-key",
            "From tests/vectors/trust: a key or signature-format problem.",
            p,
            n
        );
    }

    // Registry.
    for (name, docs, desc) in [
        (
            "registry-rollback",
            vec!["registry.json", "registry-v1.json"],
            "Version 1 offered after version 2.",
        ),
        (
            "registry-version-conflict",
            vec!["registry.json", "registry-v2-conflict.json"],
            "Version 2 again with other bytes.",
        ),
        (
            "registry-forged-root",
            vec!["registry-v3-forged.json"],
            "Signed by a key claiming the pinned root's id.",
        ),
        (
            "registry-garbage",
            vec!["registry-garbage.json"],
            "A document whose payload is `{}` with a junk signature.",
        ),
    ] {
        cases.push(json!({"name": name, "category": "registry", "kind": "registry", "description": desc,
            "documents": docs.iter().map(|d| if d.starts_with("registry-garbage") { (*d).to_string() } else { format!("../../vectors/trust/{d}") }).collect::<Vec<_>>(), "now": NOW}));
    }
    std::fs::write(dir().join("registry-garbage.json"), br#"{"payload": "e30", "signatures": [{"key_id": "root-1", "alg": "ed25519", "sig": "AAAA"}]}"#).unwrap();

    // Keys that verify everything (issue 14): a registry entry holding the
    // Ed25519 identity point, correctly signed by the pinned root, and a code
    // "signed" for it (R = identity, S = 0 verifies under that key for any
    // message). The registry is refused at load, so the code's key is unknown.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    std::fs::write(
        dir().join("registry-weak-key.json"),
        registry_with_key(Algorithm::Ed25519, &URL_SAFE_NO_PAD.encode(identity)),
    )
    .unwrap();
    cases.push(json!({"name": "registry-small-order-key", "category": "registry", "kind": "registry",
        "description": "A root-signed registry whose entry m-weak holds the Ed25519 identity point (a small-order key under which trivial signatures verify): refused at load.",
        "documents": ["registry-weak-key.json"], "now": NOW}));
    let forged = {
        let signed = sign_static(&Shape::alice(), &alice(), "m-weak");
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&identity);
        let text = URL_SAFE_NO_PAD.encode(sig);
        let (a, b) = text.split_at(43);
        let first = tamper(&signed, scanpay_template_id(&signed, 98), Some(98), a);
        tamper(&first, scanpay_template_id(&first, 99), Some(99), b)
    };
    verify!(
        "small-order-key-forged-code",
        "unknown-key",
        "Alice's code under key id m-weak with the signature R = identity, S = 0, which verifies for any message under the identity key: the registry holding m-weak was refused, so the key is unknown.",
        forged,
        NOW
    );

    // Unsigned EMV.
    let (p, n) = vector("unsigned-emv");
    verify!(
        "unsigned-emv",
        "unsigned",
        "A well-formed EMVCo code without a ScanPay signature.",
        p,
        n
    );
    let real: Value =
        serde_json::from_slice(&read("../../vectors/emv/real-payloads.json")).unwrap();
    let pix = real.as_array().unwrap()[0]["payload"]
        .as_str()
        .unwrap()
        .to_string();
    verify!(
        "unsigned-real-pix",
        "unsigned",
        "A real Pix payload (tests/vectors/emv): valid EMVCo, no signature.",
        pix,
        NOW
    );
    let stripped = {
        let signed = sign_static(&Shape::bob(), &bob(), "m-bob-p256");
        let objs = scanpay_core::payload::tlv::parse(&signed).unwrap();
        let mut out = String::new();
        for o in objs.iter().filter(|o| o.id != 63 && o.id < 80) {
            out.push_str(&signed[o.span.clone()]);
        }
        with_crc(out)
    };
    verify!(
        "signature-stripped",
        "unsigned",
        "Bob's signed code with the three ScanPay templates cut out and the CRC fixed.",
        stripped,
        NOW
    );

    // Phishing links: classified, flagged, never opened.
    for (name, text, desc) in [
        (
            "phishing-http",
            "http://scanpay.example/pay?to=123",
            "Plain http.",
        ),
        (
            "phishing-javascript",
            "javascript:alert(document.cookie)",
            "javascript: URL.",
        ),
        (
            "phishing-javascript-mixed-case",
            "JaVaScRiPt:alert(1)",
            "Scheme in mixed case.",
        ),
        (
            "phishing-data-url",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "data: URL with HTML.",
        ),
        (
            "phishing-intent",
            "intent://pay#Intent;scheme=upi;package=com.evil;end",
            "Android intent: URL.",
        ),
        (
            "phishing-punycode",
            "https://xn--pypal-4ve.com/login",
            "Punycode host: 'pаypal' with a Cyrillic а.",
        ),
        (
            "phishing-unicode-host",
            "https://pаypal.com/login",
            "The same host written in Unicode.",
        ),
        (
            "phishing-lookalike-digit",
            "https://paypa1.com/login",
            "Digit one for the letter l.",
        ),
        (
            "phishing-brand-subdomain",
            "https://paypal.com.secure-login.example/",
            "The brand as a subdomain of another domain.",
        ),
        (
            "phishing-userinfo",
            "https://scanpay.example@evil.example/pay",
            "User info that looks like the host.",
        ),
        (
            "phishing-ip-literal",
            "https://203.0.113.7/pay",
            "A bare IP address.",
        ),
        (
            "phishing-port",
            "https://scanpay.example:8443/pay",
            "An explicit port.",
        ),
        (
            "benign-https",
            "https://scanpay.example/help",
            "Control: a plain https link to the brand's own domain.",
        ),
    ] {
        cases.push(json!({"name": name, "category": "phishing", "kind": "classify", "description": desc, "text": text}));
    }

    // Lookalike and mixed-script merchant names.
    for v in ["confusable-name", "mixed-script-name", "name-mismatch"] {
        let (p, n) = vector(v);
        verify!(v, "lookalike-name", "From tests/vectors/trust.", p, n);
    }
    let mut zero = Shape::bob();
    zero.name = "BANGK0K NOODLE H0USE";
    verify!(
        "lookalike-name-digit-zero",
        "lookalike-name",
        "Printed name with digit zeros for the letter O, validly signed by Bob.",
        sign_static(&zero, &bob(), "m-bob-p256"),
        NOW
    );
    let mut cyr = Shape::bob();
    cyr.name = "BANGKOK NOODLE HОUSE";
    verify!(
        "lookalike-name-cyrillic-o",
        "lookalike-name",
        "Printed name with a Cyrillic О, validly signed by Bob.",
        sign_static(&cyr, &bob(), "m-bob-p256"),
        NOW
    );
    let mut kelvin = Shape::bob();
    kelvin.name = "BANG\u{212A}O\u{212A} NOODLE HOUSE";
    verify!(
        "lookalike-name-kelvin-sign",
        "lookalike-name",
        "Printed name with U+212A KELVIN SIGN for K, validly signed by Bob: it lower-cases to the registered name, yet is a lookalike.",
        sign_static(&kelvin, &bob(), "m-bob-p256"),
        NOW
    );
    let mut spaced = Shape::bob();
    spaced.name = "bangkok  noodle house";
    verify!(
        "benign-name-case-and-spaces",
        "lookalike-name",
        "Control: case and spaces differ only: verified, registered name shown.",
        sign_static(&spaced, &bob(), "m-bob-p256"),
        NOW
    );

    // Oversized.
    cases.push(json!({"name": "oversized-mpm", "category": "oversized", "kind": "classify", "description": "An EMVCo-looking text of 4,000 characters.",
        "text_repeat": {"prefix": "000201", "unit": "0", "count": 4000}}));
    cases.push(json!({"name": "oversized-text", "category": "oversized", "kind": "classify", "description": "Plain text of 100,000 bytes.",
        "text_repeat": {"prefix": "", "unit": "A", "count": 100000}}));
    cases.push(json!({"name": "oversized-cpm", "category": "oversized", "kind": "classify", "description": "A consumer code of 5,000 characters.",
        "text_repeat": {"prefix": "hQVDUFYwMW", "unit": "A", "count": 5000}}));
    cases.push(json!({"name": "oversized-url", "category": "oversized", "kind": "classify", "description": "A URL of 10,000 bytes.",
        "text_repeat": {"prefix": "https://scanpay.example/?", "unit": "a", "count": 10000}}));
    cases.push(json!({"name": "oversized-verify", "category": "oversized", "kind": "verify", "description": "600 characters to the verifier.",
        "text_repeat": {"prefix": "000201", "unit": "9", "count": 594}, "now": NOW}));

    // Malformed and deeply nested TLV.
    for (name, body, desc) in [
        (
            "tlv-truncated-header",
            "0002010102115",
            "A data object header cut after one character.",
        ),
        ("tlv-bad-id", "000201AB0211", "Letters where an ID belongs."),
        ("tlv-bad-length", "00020101X111", "A letter in a length."),
        (
            "tlv-empty-value",
            "00020101005303764",
            "A data object of length 00.",
        ),
        (
            "tlv-overrun",
            "000201010211599912345",
            "A length of 99 with 5 characters left.",
        ),
        (
            "tlv-no-crc",
            "00020101021153037645802TH5905HELLO6007BANGKOK",
            "No CRC object.",
        ),
    ] {
        cases.push(json!({"name": name, "category": "malformed-tlv", "kind": "classify", "description": desc, "text": body}));
    }
    cases.push(json!({"name": "tlv-crc-not-last", "category": "malformed-tlv", "kind": "classify", "description": "The CRC object followed by another object.",
        "text": format!("{}9904TEST", with_crc("00020101021153037645802TH5905HELLO6007BANGKOK".into()))}));
    // Template 62 holding a template holding a template… (each level valid TLV).
    let mut nested = String::from("0104DEEP");
    for _ in 0..8 {
        if nested.len() + 4 > 99 {
            break;
        }
        nested = format!("50{:02}{nested}", nested.len());
    }
    let t62 = format!("62{:02}{nested}", nested.len());
    let deep = with_crc(format!("00020101021129370016A00000067701011101130066812345678520458125303764{t62}5802TH5905HELLO6007BANGKOK"));
    cases.push(json!({"name": "tlv-deeply-nested-62", "category": "malformed-tlv", "kind": "classify", "description": "Template 62 nesting TLV eight levels deep: only one level is interpreted.", "text": deep}));
    let broken_template = with_crc(
        "00020101021129200030A0000006770101115204581253037645802TH5905HELLO6007BANGKOK".into(),
    );
    cases.push(json!({"name": "tlv-broken-account-template", "category": "malformed-tlv", "kind": "classify", "description": "Merchant account template whose inner TLV overruns.", "text": broken_template}));
    let mut deep_cpm = ber(&[0x4F], &[0xA0, 0, 0, 0, 0x03, 0x10, 0x10]);
    for _ in 0..10 {
        deep_cpm = ber(&[0x61], &deep_cpm);
    }
    let mut cpm_nested = ber(&[0x85], b"CPV01");
    cpm_nested.extend(deep_cpm);
    cases.push(json!({"name": "cpm-deeply-nested", "category": "malformed-tlv", "kind": "classify", "description": "A consumer code nesting templates ten deep.", "text": STANDARD.encode(&cpm_nested)}));

    // Truncated consumer codes.
    let good = STANDARD.encode(cpm_code());
    cases.push(json!({"name": "cpm-control-valid", "category": "truncated-cpm", "kind": "classify", "description": "Control: the whole consumer code parses.", "text": good}));
    for cut in [8usize, 12, 20, 33, 41] {
        let raw = cpm_code();
        let t = STANDARD.encode(&raw[..cut.min(raw.len() - 1)]);
        cases.push(json!({"name": format!("cpm-truncated-at-{cut}-bytes"), "category": "truncated-cpm", "kind": "classify",
            "description": format!("The consumer code's bytes cut at {cut}, re-encoded."), "text": t}));
    }
    cases.push(json!({"name": "cpm-truncated-base64", "category": "truncated-cpm", "kind": "classify", "description": "The base64 text itself cut mid-quantum.", "text": &good[..good.len() - 3]}));
    let _ = URL_SAFE_NO_PAD;

    // Pathological images.
    write_png("images/tiny-1x1.png", 1, 1, |_, _| 255);
    write_png("images/tiny-8x8.png", 8, 8, |x, y| {
        if (x + y) % 2 == 0 {
            0
        } else {
            255
        }
    });
    write_png("images/black-64.png", 64, 64, |_, _| 0);
    write_png("images/white-64.png", 64, 64, |_, _| 255);
    write_png("images/noise-96.png", 96, 96, |x, y| {
        let mut s = u64::from(x) * 7919 + u64::from(y) * 104_729 + 17;
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 56) as u8
    });
    write_png("images/stripes-128.png", 128, 128, |x, _| {
        if (x / 3) % 2 == 0 {
            0
        } else {
            255
        }
    });
    for (name, file, desc) in [
        ("image-tiny-1x1", "images/tiny-1x1.png", "A 1×1 frame."),
        (
            "image-tiny-8x8",
            "images/tiny-8x8.png",
            "An 8×8 checkerboard.",
        ),
        ("image-all-black", "images/black-64.png", "All black."),
        ("image-all-white", "images/white-64.png", "All white."),
        (
            "image-noise",
            "images/noise-96.png",
            "Random noise (fixed seed).",
        ),
        (
            "image-stripes",
            "images/stripes-128.png",
            "Vertical stripes: finder-like runs everywhere.",
        ),
    ] {
        cases.push(json!({"name": name, "category": "image", "kind": "image", "description": desc, "file": file}));
    }
    for (name, w, h, fill, desc) in [
        (
            "image-huge-wide",
            5000u32,
            64u32,
            "black",
            "5000×64: wider than the 4096 cap.",
        ),
        (
            "image-huge-area",
            4096,
            4200,
            "white",
            "4096×4200: over the 16 Mpx cap.",
        ),
        (
            "image-noise-large",
            640,
            480,
            "noise",
            "640×480 noise, generated from seed 7.",
        ),
    ] {
        cases.push(
            json!({"name": name, "category": "image", "kind": "image", "description": desc,
            "generate": {"width": w, "height": h, "fill": fill, "seed": 7}}),
        );
    }

    // Fill in the outcomes, for review.
    let mut m = json!({
        "format": 1,
        "description": "ScanPay attack corpus. Paths are relative to this file. Set up a trust store with `setup.roots`, apply `setup.registry` documents in order at `setup.registry_now`. Case kinds: `verify` (TrustStore::verify(text, now) with a fresh replay guard; expect verdict and reason), `replay` (verify the same text at now and now+1; with `restart` the replay memory is a SQLite store closed and reopened in between; expect first and second), `registry` (fresh store with the roots, apply `documents` in order at `now`; expect applied and the last error code), `classify` (payload::classify; expect kind, error code as the kebab-cased chain of error variants, link flags), `image` (decode the PNG `file` to 8-bit luma, or build the frame from `generate`: width, height, fill black|white|noise with an LCG seeded by `seed` taking the top byte of s = s*6364136223846793005+1442695040888963407 per pixel; scan with default options; expect the number of codes or the error code). `text_repeat` = prefix + unit repeated count times.",
        "setup": {"roots": "../../vectors/trust/roots.json", "registry": ["../../vectors/trust/registry.json"], "registry_now": NOW},
        "cases": cases,
    });
    let store = store_for(&m);
    let filled: Vec<Value> = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| with(c.clone(), "expect", run_case(&m, &store, c)))
        .collect();
    m["cases"] = Value::from(filled);
    std::fs::write(
        dir().join("manifest.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();
    let _ = Path::new("");
}
