//! The shortcuts end to end (issue 12, ADR 0022): the real wallet (journal,
//! PIN-sealed device key, request key, pinned HTTPS client) against the real
//! sandbox over TLS. Opt-in with the PIN accepted by the sandbox, a PIN-free
//! payment in two intents and a biometric one (software key) in three, each
//! recorded by the sandbox with its method; and the sandbox's own
//! `pin-required` decline answered by a new attempt with the PIN.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use scanpay_core::auth::{
    PaymentAuthMethod, PinFreeLimits, ShortcutSettings, SoftwareBiometricKey,
};
use scanpay_core::money::Currency;
use scanpay_core::net::api::{ServerPaymentState, DECLINE_PIN_REQUIRED};
use scanpay_core::net::HttpsBackend;
use scanpay_core::payment::{
    Clock, FailureReason, FallbackReason, FlowState, Intent, PaymentFlow, Shortcut, ShortcutError,
    ShortcutPushError, ShortcutRejection,
};
use scanpay_system::{pad, pay, sgd, System, SystemOptions, PIN};

/// A day and a minute: a merchant paid before it is known.
const DAY_AND_A_MINUTE: u64 = 86_400 + 60;

const LIMITS: PinFreeLimits = PinFreeLimits {
    currency: Currency::SGD,
    per_payment: 2_000,
    daily_total: 6_000,
    daily_count: 5,
};

/// An enrolled wallet with the registry, which paid merchant M-0002 with the
/// PIN a day ago (both clocks moved on together).
fn known_merchant(name: &str) -> System {
    let sys = System::start(SystemOptions::new(env!("CARGO_TARGET_TMPDIR"), name)).unwrap();
    sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap();
    let order = sys.order("M-0002", sgd(300)).unwrap();
    let (end, _, _) = pay(&sys.wallet, &order.payload, None).unwrap();
    assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
    let now = sys.control.advance_clock(DAY_AND_A_MINUTE).unwrap().now;
    sys.clock.set(now);
    sys
}

fn scan_order(sys: &System, flow: &mut PaymentFlow, minor: u64) -> FlowState {
    let order = sys.order("M-0002", sgd(minor)).unwrap();
    flow.handle(Intent::ScannedText(order.payload)).unwrap()
}

/// A new order of `minor` cents: scanned (one tap offered), tapped, sent.
/// Returns the end state.
fn tap_pin_free(sys: &System, flow: &mut PaymentFlow, minor: u64) -> FlowState {
    let shown = scan_order(sys, flow, minor);
    let FlowState::ConfirmPinFree { breakdown, .. } = shown else {
        panic!("{shown:?}")
    };
    flow.handle(Intent::Confirm {
        displayed_total: breakdown.total,
    })
    .unwrap();
    flow.process(&mut |_| {}).unwrap()
}

fn pin(flow: &mut PaymentFlow) -> FlowState {
    let mut s = flow.state().clone();
    for d in PIN {
        s = flow.handle(Intent::PinDigit(d)).unwrap();
    }
    s
}

#[test]
fn a_pin_free_payment_is_two_intents_and_the_sandbox_records_the_method() {
    let sys = known_merchant("shortcuts-pin-free");
    let status = sys
        .wallet
        .enable_pin_free(&pad(&PIN).unwrap(), LIMITS)
        .unwrap();
    assert_eq!(status.pin_free, vec![LIMITS]);
    assert!(!status.push_pending);

    let mut flow = sys.wallet.new_flow();
    let end = tap_pin_free(&sys, &mut flow, 1_250);
    assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
    let id = flow.payment_id().unwrap().to_string();
    let truth = sys.truth(&id).unwrap();
    assert_eq!(truth.state, ServerPaymentState::Succeeded);
    assert_eq!(truth.charges_applied, 1);
    assert_eq!(truth.method, Some(PaymentAuthMethod::PinFree));
    let rec = sys.wallet.payment(&id).unwrap().unwrap();
    assert_eq!(rec.method(), PaymentAuthMethod::PinFree);

    // Opted out: off in the wallet and told to the sandbox without the PIN.
    let status = sys.wallet.disable_pin_free(Currency::SGD).unwrap();
    assert!(status.pin_free.is_empty() && !status.push_pending);
    let mut flow = sys.wallet.new_flow();
    assert!(matches!(
        scan_order(&sys, &mut flow, 1_250),
        FlowState::ReviewMerchant { .. }
    ));
}

#[test]
fn the_sandboxs_pin_required_is_retried_with_the_pin() {
    let sys = known_merchant("shortcuts-pin-required");
    sys.wallet
        .enable_pin_free(&pad(&PIN).unwrap(), LIMITS)
        .unwrap();
    // Behind the wallet's back the backend comes to hold PIN-free off (a
    // document from another app of the payer's, signed with the PIN): the
    // wallet still offers one tap, and the sandbox refuses on its own
    // records.
    let held = sys.wallet.shortcut_status().unwrap().held_version.unwrap();
    let off = ShortcutSettings::off(held + 100, sys.clock.now());
    let signed = sys
        .wallet
        .authenticator()
        .sign_shortcuts(&pad(&PIN).unwrap(), off, sys.clock.now())
        .unwrap();
    sys.net.push_shortcuts(&signed).unwrap();

    let mut flow = sys.wallet.new_flow();
    let end = tap_pin_free(&sys, &mut flow, 1_250);
    let FlowState::Failed {
        reason: FailureReason::Declined { code, message },
        payment_id: Some(declined),
        ..
    } = &end
    else {
        panic!("{end:?}")
    };
    assert_eq!(code, DECLINE_PIN_REQUIRED);
    assert!(message.contains("not-opted-in"), "{message}");
    let truth = sys.truth(declined).unwrap();
    assert_eq!(
        (truth.state, truth.charges_applied),
        (ServerPaymentState::Declined, 0)
    );
    // Retry: the PIN pad, saying the backend asked for it; the PIN pays.
    let st = flow.handle(Intent::Retry).unwrap();
    let FlowState::EnterPin {
        fallback: Some(fallback),
        ..
    } = &st
    else {
        panic!("{st:?}")
    };
    assert_eq!(
        fallback.shortcut,
        Shortcut::PinFree {
            currency: Currency::SGD
        }
    );
    assert!(matches!(
        fallback.reason,
        FallbackReason::PinRequired { .. }
    ));
    assert!(matches!(pin(&mut flow), FlowState::Processing { .. }));
    let end = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
    let paid = flow.payment_id().unwrap();
    assert_ne!(paid, declined.as_str());
    assert_eq!(
        sys.truth(paid).unwrap().method,
        Some(PaymentAuthMethod::Pin)
    );
}

#[test]
fn a_biometric_payment_is_scan_confirm_touch_and_the_sandbox_verifies_it() {
    let sys = System::start(SystemOptions::new(
        env!("CARGO_TARGET_TMPDIR"),
        "shortcuts-biometric",
    ))
    .unwrap();
    sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap();
    let key = Arc::new(SoftwareBiometricKey::new());
    let status = sys
        .wallet
        .enable_biometric(&pad(&PIN).unwrap(), key.clone())
        .unwrap();
    assert!(status.biometric);

    let mut flow = sys.wallet.new_flow();
    let shown = scan_order(&sys, &mut flow, 4_200);
    let FlowState::ConfirmAmount { breakdown, .. } = shown else {
        panic!("the review is skipped: {shown:?}")
    };
    let st = flow
        .handle(Intent::Confirm {
            displayed_total: breakdown.total,
        })
        .unwrap();
    assert!(matches!(st, FlowState::ConfirmBiometric { .. }), "{st:?}");
    let st = flow.handle(Intent::AuthenticateBiometric).unwrap();
    assert!(matches!(st, FlowState::Processing { .. }), "{st:?}");
    let end = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
    let truth = sys.truth(flow.payment_id().unwrap()).unwrap();
    assert_eq!(truth.method, Some(PaymentAuthMethod::Biometric));
    assert_eq!(truth.charges_applied, 1);
}

#[test]
fn the_sandboxs_refusals_are_typed_and_a_pending_opt_out_goes_with_the_next_sync() {
    // A wallet whose own SGD caps are above the sandbox's (SGD 100 a payment).
    let mut opts = SystemOptions::new(env!("CARGO_TARGET_TMPDIR"), "shortcuts-refusals");
    let mut generous = opts
        .config
        .shortcuts
        .pin_free_for(Currency::SGD)
        .copied()
        .unwrap();
    generous.caps.per_payment = 20_000;
    generous.caps.daily_total = 60_000;
    opts.config.shortcuts.pin_free = vec![generous];
    let sys = System::start(opts).unwrap();
    let enrolled = sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap();
    let over = PinFreeLimits {
        per_payment: 15_000,
        daily_total: 30_000,
        ..LIMITS
    };
    let err = sys
        .wallet
        .enable_pin_free(&pad(&PIN).unwrap(), over)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ShortcutError::Push(ShortcutPushError::Rejected {
                reason: ShortcutRejection::OverCap,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(sys.wallet.shortcut_status().unwrap().pin_free.is_empty());
    sys.wallet
        .enable_pin_free(&pad(&PIN).unwrap(), LIMITS)
        .unwrap();
    // A document not above the held version is refused as stale.
    let held = sys.wallet.shortcut_status().unwrap().held_version.unwrap();
    let replay = ShortcutSettings::off(held, sys.clock.now());
    let signed = sys
        .wallet
        .authenticator()
        .sign_shortcuts(&pad(&PIN).unwrap(), replay, sys.clock.now())
        .unwrap();
    assert!(matches!(
        sys.net.push_shortcuts(&signed),
        Err(ShortcutPushError::Rejected {
            reason: ShortcutRejection::Stale,
            ..
        })
    ));

    // Opting out while the backend cannot be reached: off in the wallet at
    // once, pending; the next registry sync sends it.
    let mut dead = sys.client_config().clone();
    dead.base_url = "https://127.0.0.1:1".into();
    sys.wallet
        .set_shortcuts_backend(Arc::new(HttpsBackend::new(dead).unwrap()));
    let status = sys.wallet.disable_pin_free(Currency::SGD).unwrap();
    assert!(status.pin_free.is_empty() && status.push_pending);
    let data = sys.sandbox.data();
    assert_eq!(
        data.shortcuts(&enrolled.device_id)
            .unwrap()
            .unwrap()
            .pin_free,
        vec![LIMITS]
    );
    sys.wallet.set_shortcuts_backend(sys.net.clone());
    sys.sync_registry().unwrap();
    assert!(!sys.wallet.shortcut_status().unwrap().push_pending);
    assert!(data
        .shortcuts(&enrolled.device_id)
        .unwrap()
        .unwrap()
        .pin_free
        .is_empty());
}

/// The payer's actions and the core's time per path, for the steps table in
/// `BENCHMARKS.md` (issue 12): each path driven as an app drives it, every
/// intent counted as one action (a PIN digit is one press), against the real
/// sandbox over TLS. Prints; asserts only that each path ends paid with its
/// method and its action count.
///
/// `cargo test --release -p scanpay-system-tests --test shortcuts -- --ignored --nocapture measure`
#[test]
#[ignore = "measurement for BENCHMARKS.md; run with --ignored --nocapture"]
fn measure_the_steps_and_time_of_each_path() {
    use std::time::{Duration, Instant};
    const RUNS: usize = 9;
    let mut opts = SystemOptions::new(env!("CARGO_TARGET_TMPDIR"), "shortcuts-measure");
    // Room for every PIN-free run in one rolling day (the SGD caps allow 10).
    let mut offer = opts
        .config
        .shortcuts
        .pin_free_for(Currency::SGD)
        .copied()
        .unwrap();
    offer.caps.daily_count = 10;
    opts.config.shortcuts.pin_free = vec![offer];
    let sys = System::start(opts).unwrap();
    sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap();
    let static_code = sys.static_code("M-0002").unwrap();

    /// One run: the actions, the time from the first intent to the
    /// journalled payment (the core's part: parsing, verification, policy,
    /// signing, the journal), and the time of `process` (network and
    /// outcome).
    struct Run {
        actions: u32,
        core: Duration,
        network: Duration,
        method: PaymentAuthMethod,
    }
    let drive = |sys: &System, script: &dyn Fn(&mut PaymentFlow) -> u32| -> Run {
        let mut flow = sys.wallet.new_flow();
        let started = Instant::now();
        let actions = script(&mut flow);
        let core = started.elapsed();
        assert!(
            matches!(flow.state(), FlowState::Processing { .. }),
            "{:?}",
            flow.state()
        );
        let t = Instant::now();
        let end = flow.process(&mut |_| {}).unwrap();
        let network = t.elapsed();
        assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
        let method = sys
            .truth(flow.payment_id().unwrap())
            .unwrap()
            .method
            .unwrap();
        Run {
            actions,
            core,
            network,
            method,
        }
    };
    let confirm_shown = |flow: &mut PaymentFlow| {
        let total = match flow.state() {
            FlowState::ConfirmAmount { breakdown, .. }
            | FlowState::ConfirmPinFree { breakdown, .. } => breakdown.total,
            FlowState::EnterAmount {
                breakdown: Some(b), ..
            } => b.total,
            other => panic!("nothing to confirm: {other:?}"),
        };
        flow.handle(Intent::Confirm {
            displayed_total: total,
        })
        .unwrap();
    };
    let digits = |flow: &mut PaymentFlow| {
        for d in PIN {
            flow.handle(Intent::PinDigit(d)).unwrap();
        }
        PIN.len() as u32
    };
    let mut table: Vec<(&str, Vec<Run>)> = Vec::new();

    // No shortcuts: the PIN for a static code (the payer types the amount)
    // and a dynamic one.
    let runs = (0..RUNS)
        .map(|_| {
            drive(&sys, &|flow| {
                flow.handle(Intent::ScannedText(static_code.clone()))
                    .unwrap();
                flow.handle(Intent::Proceed).unwrap();
                flow.handle(Intent::EditAmount("0.10".into())).unwrap();
                confirm_shown(flow);
                4 + digits(flow)
            })
        })
        .collect();
    table.push(("static code, PIN", runs));
    // Runs of a new order of `minor` cents each: the scan (one action),
    // then `after_scan` with the state it showed, which returns the actions
    // after it.
    let orders = |minor: u64, after_scan: &dyn Fn(&mut PaymentFlow, FlowState) -> u32| {
        (0..RUNS)
            .map(|_| {
                let order = sys.order("M-0002", sgd(minor)).unwrap().payload;
                drive(&sys, &|flow| {
                    let shown = flow.handle(Intent::ScannedText(order.clone())).unwrap();
                    1 + after_scan(flow, shown)
                })
            })
            .collect::<Vec<Run>>()
    };
    let runs = orders(10, &|flow, _| {
        flow.handle(Intent::Proceed).unwrap();
        confirm_shown(flow);
        2 + digits(flow)
    });
    table.push(("dynamic code, PIN", runs));

    // A day later the merchant is known; PIN-free on.
    let now = sys.control.advance_clock(DAY_AND_A_MINUTE).unwrap().now;
    sys.clock.set(now);
    let limits = PinFreeLimits {
        daily_count: 10,
        ..LIMITS
    };
    sys.wallet
        .enable_pin_free(&pad(&PIN).unwrap(), limits)
        .unwrap();
    let runs = orders(10, &|flow, shown| {
        assert!(
            matches!(shown, FlowState::ConfirmPinFree { .. }),
            "{shown:?}"
        );
        confirm_shown(flow);
        1
    });
    table.push(("dynamic code under the PIN-free amount", runs));

    // Biometric on; an amount above the PIN-free one.
    sys.wallet
        .enable_biometric(&pad(&PIN).unwrap(), Arc::new(SoftwareBiometricKey::new()))
        .unwrap();
    let runs = orders(4_200, &|flow, shown| {
        assert!(
            matches!(shown, FlowState::ConfirmAmount { .. }),
            "{shown:?}"
        );
        confirm_shown(flow);
        flow.handle(Intent::AuthenticateBiometric).unwrap();
        2
    });
    table.push(("dynamic code, biometric (software key)", runs));

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("| path | payer actions | method | core: first intent → journalled (median of {RUNS}) | network: process() (median) |");
    println!("|---|---|---|---|---|");
    for (path, runs) in &table {
        let actions = runs[0].actions;
        assert!(runs.iter().all(|r| r.actions == actions));
        let method = runs[0].method;
        assert!(runs.iter().all(|r| r.method == method), "{path}");
        println!(
            "| {path} | {actions} | {} | {:.2} ms | {:.2} ms |",
            method.code(),
            median(runs.iter().map(|r| ms(r.core)).collect()),
            median(runs.iter().map(|r| ms(r.network)).collect()),
        );
    }
    let actions: Vec<u32> = table.iter().map(|(_, r)| r[0].actions).collect();
    assert_eq!(actions, [10, 9, 2, 3]);
}
