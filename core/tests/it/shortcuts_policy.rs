//! The PIN-free rules (ADR 0022 §4) at every boundary, and the journal
//! queries they read: each rule passes exactly at its limit and refuses one
//! step past it, naming itself.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use scanpay_core::auth::{PaymentAuthMethod, PinFreeLimits, ShortcutSettings};
use scanpay_core::money::{Currency, Money};
use scanpay_core::payment::{
    check_pin_free, EngineError, PaymentRecord, PaymentState, PinFreeFacts, PinFreeRefusal,
    DAILY_WINDOW_SECS,
};

use crate::payment_support::{config, new_payment, thb, Mode, World, ACCOUNT, NOW};

const LIMITS: PinFreeLimits = PinFreeLimits {
    currency: Currency::THB,
    per_payment: 50_000,
    daily_total: 150_000,
    daily_count: 5,
};

fn settings() -> ShortcutSettings {
    ShortcutSettings {
        pin_free: vec![LIMITS],
        ..ShortcutSettings::off(1, NOW)
    }
}

/// A payment every rule allows.
fn ok_facts() -> PinFreeFacts {
    PinFreeFacts {
        total: thb(10_000),
        verified: true,
        trust_warning: false,
        dynamic_with_amount: true,
        payer_entered: false,
        offline: false,
        pin_lockout: false,
        merchant_known: true,
        count_today: 0,
        total_today: thb(0),
    }
}

#[test]
fn every_rule_passes_at_its_limit_and_refuses_one_past_it() {
    assert_eq!(check_pin_free(&settings(), &ok_facts()), Ok(LIMITS));
    type Edit = fn(&mut PinFreeFacts);
    // (what changes, allowed at the boundary?, the refusal's code)
    let table: Vec<(&str, Edit, Option<&str>)> = vec![
        ("total at per_payment", |f| f.total = thb(50_000), None),
        (
            "total one over per_payment",
            |f| f.total = thb(50_001),
            Some("over-per-payment"),
        ),
        ("count one below daily_count", |f| f.count_today = 4, None),
        (
            "count at daily_count",
            |f| f.count_today = 5,
            Some("over-daily-count"),
        ),
        (
            "sum exactly daily_total",
            |f| f.total_today = thb(140_000),
            None,
        ),
        (
            "sum one over daily_total",
            |f| f.total_today = thb(140_001),
            Some("over-daily-total"),
        ),
        ("offline", |f| f.offline = true, Some("offline")),
        ("PIN lockout", |f| f.pin_lockout = true, Some("pin-lockout")),
        (
            "unverified",
            |f| f.verified = false,
            Some("merchant-unverified"),
        ),
        (
            "trust warning",
            |f| f.trust_warning = true,
            Some("trust-warning"),
        ),
        (
            "static code",
            |f| f.dynamic_with_amount = false,
            Some("static-code"),
        ),
        ("tip typed", |f| f.payer_entered = true, Some("tip-entered")),
        (
            "new merchant",
            |f| f.merchant_known = false,
            Some("new-merchant"),
        ),
        // The backend's order (docs/api.md): the daily count and total
        // are checked before a new merchant, so both sides name the same
        // rule for the same facts.
        (
            "new merchant with the daily count used up",
            |f| {
                f.merchant_known = false;
                f.count_today = 5;
            },
            Some("over-daily-count"),
        ),
        (
            "new merchant with the daily total exceeded",
            |f| {
                f.merchant_known = false;
                f.total_today = thb(140_001);
            },
            Some("over-daily-total"),
        ),
        (
            "another currency",
            |f| f.total = Money::new(100, Currency::SGD),
            Some("not-opted-in"),
        ),
        (
            "a day's total in another currency never allows more",
            |f| f.total_today = Money::new(0, Currency::SGD),
            Some("over-daily-total"),
        ),
    ];
    for (what, edit, refused) in table {
        let mut facts = ok_facts();
        edit(&mut facts);
        let got = check_pin_free(&settings(), &facts);
        match refused {
            None => assert_eq!(got, Ok(LIMITS), "{what}"),
            Some(code) => assert_eq!(got.map_err(|e| e.code()), Err(code), "{what}"),
        }
    }
    // Nothing on at all: not opted in, whatever the payment.
    assert_eq!(
        check_pin_free(&ShortcutSettings::off(0, 0), &ok_facts()),
        Err(PinFreeRefusal::NotOptedIn {
            currency: Currency::THB
        })
    );
}

#[test]
fn the_daily_total_refusal_says_how_much_was_spent() {
    let mut facts = ok_facts();
    facts.total_today = thb(145_000);
    assert_eq!(
        check_pin_free(&settings(), &facts),
        Err(PinFreeRefusal::OverDailyTotal {
            limit: thb(150_000),
            spent: thb(145_000)
        })
    );
}

#[test]
fn refusal_codes_are_stable_unique_and_kebab_case() {
    let all = [
        PinFreeRefusal::NotOptedIn {
            currency: Currency::THB,
        },
        PinFreeRefusal::Offline,
        PinFreeRefusal::PinLockout,
        PinFreeRefusal::MerchantUnverified,
        PinFreeRefusal::TrustWarning,
        PinFreeRefusal::StaticCode,
        PinFreeRefusal::TipEntered,
        PinFreeRefusal::OverPerPayment { limit: thb(1) },
        PinFreeRefusal::NewMerchant,
        PinFreeRefusal::OverDailyCount { limit: 1 },
        PinFreeRefusal::OverDailyTotal {
            limit: thb(1),
            spent: thb(1),
        },
        PinFreeRefusal::Unchecked { detail: "x".into() },
    ];
    let mut seen: Vec<&str> = Vec::new();
    for r in &all {
        let code = r.code();
        assert!(
            code.split('-')
                .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
            "{code}"
        );
        assert!(!seen.contains(&code), "{code} twice");
        seen.push(code);
        assert!(!r.to_string().is_empty());
    }
}

#[test]
fn the_daily_count_reads_only_pin_free_payments_that_may_move_money() {
    let w = World::new(config());
    let app = w.open();
    let engine = &app.engine;
    // A PIN payment: not counted.
    engine.pay(new_payment(&app, 1_000), &mut |_| {}).unwrap();
    // Two PIN-free payments (the engine does not verify signatures; the
    // method in the record is what the query reads), one of them declined.
    let mut free = new_payment(&app, 2_000);
    free.authorisation.method = PaymentAuthMethod::PinFree;
    engine.pay(free, &mut |_| {}).unwrap();
    w.sim.set_mode(Mode::Decline);
    let mut declined = new_payment(&app, 4_000);
    declined.authorisation.method = PaymentAuthMethod::PinFree;
    let rec = engine.pay(declined, &mut |_| {}).unwrap();
    assert_eq!(rec.state, PaymentState::Declined);
    assert_eq!(
        engine.pin_free_since(Currency::THB, NOW).unwrap(),
        (1, thb(2_000))
    );
    assert_eq!(
        engine.pin_free_since(Currency::SGD, NOW).unwrap(),
        (0, Money::zero(Currency::SGD))
    );
    // The window is rolling: a payment made before `since` is out of it.
    assert_eq!(
        engine.pin_free_since(Currency::THB, NOW + 1).unwrap(),
        (0, thb(0))
    );
}

#[test]
fn a_merchant_is_known_only_after_a_success_at_least_a_day_old() {
    let w = World::new(config());
    let app = w.open();
    let account = format!("04={ACCOUNT}");
    let engine = &app.engine;
    w.sim.set_mode(Mode::Decline);
    engine.pay(new_payment(&app, 1_000), &mut |_| {}).unwrap();
    // A declined payment makes nobody known.
    assert!(!engine.merchant_paid_until(&account, NOW).unwrap());
    w.sim.set_mode(Mode::Succeed);
    engine.pay(new_payment(&app, 1_000), &mut |_| {}).unwrap();
    // Created at NOW: known from NOW + 24 h (the rule asks `until = now -
    // 24 h`), not one second earlier.
    assert!(engine.merchant_paid_until(&account, NOW).unwrap());
    assert!(!engine.merchant_paid_until(&account, NOW - 1).unwrap());
    assert_eq!(DAILY_WINDOW_SECS, 86_400);
    assert!(!engine
        .merchant_paid_until("04=4111111111111111", NOW)
        .unwrap());
}

/// The engine answers "was this merchant paid" from the journal's merchant
/// index; it must give exactly the answer of decoding every succeeded record,
/// over merchants (paid, declined only, never seen, a prefix of another),
/// creation times and cut-offs.
#[test]
fn the_merchant_index_answers_as_decoding_every_succeeded_payment() {
    let w = World::new(config());
    let app = w.open();
    let engine = &app.engine;
    let pay = |account: &str, at: u64, mode: Mode| {
        w.clock.set(at);
        w.sim.set_mode(mode);
        let mut p = new_payment(&app, 1_000);
        p.merchant.account = account.to_string();
        engine.pay(p, &mut |_| {}).unwrap()
    };
    let a = format!("04={ACCOUNT}");
    assert_eq!(pay(&a, NOW, Mode::Succeed).state, PaymentState::Succeeded);
    assert_eq!(
        pay("26=B", NOW + 10, Mode::Decline).state,
        PaymentState::Declined
    );
    pay("26=C", NOW + 20, Mode::Succeed);
    pay(&a, NOW + 30, Mode::Succeed);
    pay("26=B", NOW + 40, Mode::Succeed);
    // The answer before the index: every succeeded record up to `until`.
    let decode_all = |account: &str, until: u64| {
        app.store
            .payments_in_state_until(PaymentState::Succeeded.as_str(), until)
            .unwrap()
            .iter()
            .any(|r| {
                PaymentRecord::from_json(&r.record)
                    .unwrap()
                    .merchant
                    .account
                    == account
            })
    };
    let mut yes = 0;
    for account in [a.as_str(), "26=B", "26=C", "26=", "04=4111111111111111", ""] {
        for until in [
            0,
            NOW - 1,
            NOW,
            NOW + 9,
            NOW + 10,
            NOW + 19,
            NOW + 20,
            NOW + 40,
            u64::MAX >> 1,
        ] {
            let want = decode_all(account, until);
            assert_eq!(
                engine.merchant_paid_until(account, until).unwrap(),
                want,
                "{account} until {until}"
            );
            yes += usize::from(want);
        }
    }
    assert!(yes >= 10, "the table must hold both answers: {yes}");
    // "26=B" was declined at NOW + 10 and paid only at NOW + 40.
    assert!(!engine.merchant_paid_until("26=B", NOW + 39).unwrap());
    assert!(engine.merchant_paid_until("26=B", NOW + 40).unwrap());
}

#[test]
fn the_engine_never_journals_a_pin_free_payment_offline() {
    let mut cfg = config();
    cfg.offline.allowed = true;
    let w = World::new(cfg);
    let app = w.open();
    app.status.set_network_available(false, NOW * 1000);
    let mut free = new_payment(&app, 1_000);
    free.authorisation.method = PaymentAuthMethod::PinFree;
    assert_eq!(app.engine.journal(free), Err(EngineError::PinFreeOffline));
    // The same payment with the PIN is queued as the offline policy allows.
    let rec = app.engine.journal(new_payment(&app, 1_000)).unwrap();
    assert_eq!(rec.state, PaymentState::Queued);
}

fn facts_strategy() -> impl Strategy<Value = PinFreeFacts> {
    (0u64..80_000, any::<[bool; 7]>(), 0u32..8, 0u64..200_000).prop_map(
        |(total, b, count_today, total_today)| PinFreeFacts {
            total: thb(total),
            verified: b[0],
            trust_warning: b[1],
            dynamic_with_amount: b[2],
            payer_entered: b[3],
            offline: b[4],
            pin_lockout: b[5],
            merchant_known: b[6],
            count_today,
            total_today: thb(total_today),
        },
    )
}

fn limits_strategy() -> impl Strategy<Value = PinFreeLimits> {
    (1u64..80_000, 0u64..200_000, 1u32..8).prop_map(|(per_payment, extra, daily_count)| {
        PinFreeLimits {
            currency: Currency::THB,
            per_payment,
            daily_total: per_payment + extra,
            daily_count,
        }
    })
}

proptest! {
    /// Allowed exactly when every rule holds; never because of the order
    /// the rules are checked in.
    #[test]
    fn allowed_exactly_when_every_rule_holds(facts in facts_strategy(), limits in limits_strategy()) {
        let s = ShortcutSettings { pin_free: vec![limits], ..ShortcutSettings::off(1, NOW) };
        let every_rule = facts.verified
            && !facts.trust_warning
            && facts.dynamic_with_amount
            && !facts.payer_entered
            && !facts.offline
            && !facts.pin_lockout
            && facts.merchant_known
            && facts.total.minor <= limits.per_payment
            && facts.count_today < limits.daily_count
            && facts.total_today.minor + facts.total.minor <= limits.daily_total;
        prop_assert_eq!(check_pin_free(&s, &facts).is_ok(), every_rule);
    }

    /// Lowering a limit never allows a payment the higher one refused
    /// (a narrowing can only refuse more).
    #[test]
    fn narrower_limits_never_allow_more(
        facts in facts_strategy(),
        limits in limits_strategy(),
        cut in (0u64..80_000, 0u64..200_000, 0u32..8),
    ) {
        let narrower = PinFreeLimits {
            per_payment: limits.per_payment.saturating_sub(cut.0).max(1),
            daily_total: limits.daily_total.saturating_sub(cut.1).max(1),
            daily_count: limits.daily_count.saturating_sub(cut.2).max(1),
            ..limits
        };
        let wide = ShortcutSettings { pin_free: vec![limits], ..ShortcutSettings::off(1, NOW) };
        let narrow = ShortcutSettings { pin_free: vec![narrower], ..ShortcutSettings::off(2, NOW) };
        if check_pin_free(&narrow, &facts).is_ok() {
            prop_assert!(check_pin_free(&wide, &facts).is_ok());
        }
    }
}
