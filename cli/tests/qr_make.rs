//! `scanpay qr make --merchant M --dynamic` makes a code the sandbox will take:
//! the order is created in the sandbox's data dir, which a running sandbox
//! reads. Before, the code carried a signed nonce that no order had, and the
//! sandbox declined the payment `unknown-order`.

// Test helpers fail loudly: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Output;

use common::scanpay;

use scanpay_sandbox::{Sandbox, SandboxConfig};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn dynamic_sandbox_code_is_an_order_the_running_sandbox_knows() {
    let tmp = tempfile::Builder::new()
        .prefix("scanpay-cli-qr-order-")
        .tempdir()
        .unwrap();
    let data = tmp.path().join("sandbox");
    // A running sandbox on that data dir, as `scanpay sandbox serve` would be.
    let sb = Sandbox::start(SandboxConfig::new(&data)).unwrap();
    let data_arg = data.to_str().unwrap();
    let png = tmp.path().join("order.png");
    let make = |extra: &[&str]| {
        let mut args = vec![
            "qr",
            "make",
            "--merchant",
            "M-0001",
            "--sandbox",
            data_arg,
            "--out",
            png.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        scanpay(&args)
    };

    let out = make(&["--dynamic", "--amount", "4.50", "--bill", "TILL-7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let payload = String::from_utf8(out.stdout.clone()).unwrap();
    let payload = payload.trim_end();
    assert!(!payload.contains('\n'), "one payload line: {payload}");
    assert!(
        payload.starts_with("000201010212"),
        "dynamic (ID 01 = 12): {payload}"
    );
    assert!(png.is_file() && png.with_extension("svg").is_file());

    // stderr names the order; the running sandbox has it, open, with this
    // very code (so its nonce is the one a submit is matched by).
    let err = stderr(&out);
    let order_id = err
        .split_whitespace()
        .skip_while(|w| *w != "order")
        .nth(1)
        .unwrap_or_else(|| panic!("no order id on stderr: {err}"));
    let order = sb
        .data()
        .order(order_id)
        .unwrap()
        .unwrap_or_else(|| panic!("the sandbox has no order {order_id}: {err}"));
    assert_eq!(order.payload, payload);
    assert_eq!(order.merchant_id, "M-0001");
    assert_eq!(order.state, "open");
    assert_eq!(order.reference, "TILL-7");
    assert_eq!(
        (order.amount.minor, order.amount.currency.code()),
        (450, "SGD")
    );
    // --expires-in's default, 600 s, is the order's lifetime too.
    let now = sb.data().now().unwrap();
    assert!(
        order.expires_at > now + 590 && order.expires_at <= now + 600,
        "expires {} now {now}",
        order.expires_at
    );

    // What cannot be an order is refused, and says what to do; nothing is written.
    std::fs::remove_file(&png).unwrap();
    let out = make(&["--dynamic"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("add --amount"), "{}", stderr(&out));
    let out = make(&["--dynamic", "--amount", "1.00", "--reference", "X"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--bill"), "{}", stderr(&out));
    let out = make(&["--dynamic", "--amount", "1.00", "--expires-in", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the sandbox refused the order"),
        "{}",
        stderr(&out)
    );
    assert!(!png.exists());

    // A static code is no order: it is made as before.
    let out = make(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("sandbox order"), "{}", stderr(&out));
    sb.stop();
}

#[test]
fn help_says_a_dynamic_sandbox_code_creates_the_order() {
    let out = scanpay(&["qr", "make", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("creates the"), "{help}");
    assert!(help.contains("unknown-order"), "{help}");
}
