//! The pay code's acquirer side over real HTTPS (issue 11): provisioning,
//! the till's charge / query / reverse with every decline reason, the rate
//! limit, the offline limits, the payer's confirmation above the no-PIN
//! amount, the event feed's long-poll, and faults on the till's path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use scanpay_core::net::api::paycode::{
    events_path, till_charge_path, till_reverse_path, ChargeEvent, ChargeState, EventsResponse,
    ProvisionResponse, TillCharge, TillChargeRequest, TillChargeState, PATH_PROVISION,
    PATH_TILL_CHARGES, REQUEST_SIGNATURE_SUBJECT,
};
use scanpay_core::net::api::{Fault, FaultKind, ServerPaymentState};
use scanpay_core::paycode::code::{derive, step_of, to_cpm_text};
use support::paycode::*;
use support::*;

#[test]
fn provisioning_needs_the_request_key_and_the_device_key_and_seals_the_secret() {
    let (sb, mut c, _) = setup("pc-provision");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let p = &pw.prov;
    assert_eq!(
        (p.generation, p.counter, p.window, p.step_secs),
        (1, 0, 50, 60)
    );
    assert_eq!(p.account_id, pw.w.enrolment.account_id);
    assert_eq!(p.limits.no_pin_max, money(3_000, "SGD"));
    assert_eq!(p.limits.offline_max_codes, 10);
    assert_eq!(p.limits.offline_max_total, money(30_000, "SGD"));

    // The master key is a private file outside the database, and the
    // database never holds the secret in clear.
    let master = sb.data_dir().join("paycode-master.key");
    assert_eq!(std::fs::read(&master).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&master).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let tills = std::fs::metadata(sb.data_dir().join("tills.json")).unwrap();
        assert_eq!(tills.permissions().mode() & 0o777, 0o600);
    }
    let raw = pw.secret.as_bytes().to_vec();
    let mut db = std::fs::read(sb.data_dir().join("sandbox.db")).unwrap();
    db.extend(std::fs::read(sb.data_dir().join("sandbox.db-wal")).unwrap_or_default());
    assert!(!db.windows(32).any(|w| w == raw.as_slice()));

    // The same nonce again: refused. A new one: generation 2, a new secret,
    // counters continue.
    let time = wall_now();
    let body = provision_body(&pw.w, time, "nonce-used-once-0001");
    assert_eq!(provision_raw(&mut c, pw.w.request_seed, &body).status, 200);
    let again = provision_raw(&mut c, pw.w.request_seed, &body);
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (401, "replayed-request")
    );
    let code = pw.code(&sb);
    let r = provision_raw(
        &mut c,
        pw.w.request_seed,
        &provision_body(&pw.w, time, &random_nonce()),
    );
    let p3: ProvisionResponse = r.json();
    assert_eq!(p3.generation, 3);
    assert_ne!(p3.secret, pw.prov.secret);

    // A stale time, a bad signature, another wallet's device key, no
    // request signature: refused.
    let stale = provision_body(&pw.w, time - 3600, &random_nonce());
    let r = provision_raw(&mut c, pw.w.request_seed, &stale);
    assert_eq!((r.status, r.error_code().as_str()), (401, "stale-request"));
    let mut bad = provision_body(&pw.w, time, &random_nonce());
    bad.nonce = random_nonce();
    let r = provision_raw(&mut c, pw.w.request_seed, &bad);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "bad-device-signature")
    );
    let other = enrol(&mut c, "SANDBOX");
    let r = provision_raw(
        &mut c,
        pw.w.request_seed,
        &provision_body(&other, time, &random_nonce()),
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "bad-device-signature")
    );
    let r = c
        .send(
            "POST",
            PATH_PROVISION,
            &[],
            &serde_json::to_vec(&provision_body(&pw.w, time, &random_nonce())).unwrap(),
        )
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "missing-request-signature")
    );
    // The code of generation 1 is unknown now (re-provisioned).
    let key = sb.data().till_key("M-0001").unwrap();
    assert_eq!(
        declined(&charge(&mut c, &key, "T-old", &code, 100)),
        "code-unknown"
    );
    // A wallet that never provisioned has no feed.
    let fresh = enrol(&mut c, "SANDBOX");
    let r = wallet_send(
        &mut c,
        fresh.request_seed,
        "GET",
        &events_path(0, 0),
        REQUEST_SIGNATURE_SUBJECT,
        b"",
    );
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "not-provisioned")
    );
}

#[test]
fn a_code_pays_once_and_every_refusal_is_typed() {
    let (sb, mut c, key) = setup("pc-once");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let account = pw.w.enrolment.account_id.clone();
    let code = pw.code(&sb);

    let paid = charge(&mut c, &key, "T1-0001", &code, 320);
    assert_eq!(paid.state, TillChargeState::Paid);
    assert_eq!(paid.merchant_id, "M-0001");
    let charge_id = paid.charge_id.clone().unwrap();
    let receipt = paid.receipt.clone().unwrap();
    assert_eq!(c.balance(&account), 50_000 - 320);
    let truth = c.truth(&charge_id);
    assert_eq!(truth.state, ServerPaymentState::Succeeded);
    assert_eq!((truth.charges_applied, truth.refunds_applied), (1, 0));
    let info = sb.data().paycode_charge(&charge_id).unwrap().unwrap();
    assert_eq!(info.method.as_deref(), Some("code"));

    // The wallet's feed has it, with the registered name and receipt.
    let feed = events(&mut c, &pw, 0, 0);
    assert_eq!(feed.counter_next, 1);
    let [e] = feed.events.as_slice() else {
        panic!("{feed:?}")
    };
    assert_eq!(
        (
            e.seq,
            e.state,
            e.charge_id.as_str(),
            e.merchant_name.as_str()
        ),
        (1, ChargeState::Paid, charge_id.as_str(), "KOPI CORNER")
    );
    assert_eq!(e.receipt.as_deref(), Some(receipt.as_str()));
    assert!(events(&mut c, &pw, 1, 0).events.is_empty());

    // Used again (another order number): code-used, nothing charged.
    assert_eq!(
        declined(&charge(&mut c, &key, "T1-0002", &code, 320)),
        "code-used"
    );
    // The QR form of the same code: the same refusal.
    let r = charge_raw(&mut c, &key, "T1-0003", &to_cpm_text(&code), 320, "SGD");
    assert_eq!(declined(&r.json()), "code-used");
    // Every single-digit edit of a fresh code: code-unknown.
    let fresh = pw.code(&sb);
    let digits = fresh.digits().to_string();
    let mut edited = digits.clone().into_bytes();
    edited[10] = if edited[10] == b'9' {
        b'0'
    } else {
        edited[10] + 1
    };
    let edited = String::from_utf8(edited).unwrap();
    let r = charge_raw(&mut c, &key, "T1-0004", &edited, 320, "SGD");
    assert_eq!(declined(&r.json()), "code-unknown");
    // Not a code at all: a stored decline too (a till cannot fix a scan).
    let r = charge_raw(&mut c, &key, "T1-0005", "3912", 320, "SGD");
    assert_eq!(declined(&r.json()), "code-unknown");
    assert_eq!(c.balance(&account), 50_000 - 320);
    // The fresh code itself still pays (four refusals: under the limit).
    assert_eq!(
        charge(&mut c, &key, "T1-0007", &fresh, 100).state,
        TillChargeState::Paid
    );
    let uses = sb.data().paycode_uses().unwrap();
    assert!(uses.values().all(|n| *n == 1), "{uses:?}");
}

#[test]
fn superseded_and_expired_codes_are_refused() {
    let (sb, mut c, key) = setup("pc-window");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let first = pw.code(&sb);
    let second = pw.code(&sb);
    let third = pw.code(&sb);
    // The later code is used first: the earlier one is void.
    assert_eq!(
        charge(&mut c, &key, "W-1", &second, 100).state,
        TillChargeState::Paid
    );
    assert_eq!(
        declined(&charge(&mut c, &key, "W-2", &first, 100)),
        "code-superseded"
    );
    // Three steps later the unused third code has expired.
    advance(&mut c, 3 * 60);
    assert_eq!(
        declined(&charge(&mut c, &key, "W-3", &third, 100)),
        "code-expired"
    );
    // A counter far beyond the window: unknown.
    let far = derive(&pw.secret, 500, step_of(sb.data().now().unwrap()));
    assert_eq!(
        declined(&charge(&mut c, &key, "W-4", &far, 100)),
        "code-unknown"
    );
    // A code made one step ahead (a phone clock 60 s fast) is accepted.
    let ahead = derive(
        &pw.secret,
        pw.next + 5,
        step_of(sb.data().now().unwrap()) + 1,
    );
    assert_eq!(
        charge(&mut c, &key, "W-5", &ahead, 100).state,
        TillChargeState::Paid
    );
}

#[test]
fn another_devices_code_is_charged_to_that_device_only() {
    let (sb, mut c, key) = setup("pc-devices");
    let mut alice = pc_wallet(&mut c, "SANDBOX");
    let mut bob = pc_wallet(&mut c, "SANDBOX");
    let bob_code = bob.code(&sb);
    let t = charge(&mut c, &key, "D-1", &bob_code, 250);
    assert_eq!(t.state, TillChargeState::Paid);
    assert_eq!(c.balance(&bob.w.enrolment.account_id), 50_000 - 250);
    assert_eq!(c.balance(&alice.w.enrolment.account_id), 50_000);
    assert_eq!(events(&mut c, &bob, 0, 0).events.len(), 1);
    assert!(events(&mut c, &alice, 0, 0).events.is_empty());
    // Alice's codes still work from her own counter.
    let a = alice.code(&sb);
    assert_eq!(
        charge(&mut c, &key, "D-2", &a, 100).state,
        TillChargeState::Paid
    );
    assert_eq!(c.balance(&alice.w.enrolment.account_id), 50_000 - 100);
}

#[test]
fn wrong_codes_are_rate_limited_per_till_and_nothing_is_stored() {
    let (sb, mut c, key) = setup("pc-rate");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    for i in 0..5 {
        let guess = format!("39{:016}", 1_234_567_890_123_456u64 + i);
        let r = charge_raw(&mut c, &key, &format!("G-{i}"), &guess, 100, "SGD");
        assert_eq!(declined(&r.json()), "code-unknown");
    }
    // The sixth: 429 with Retry-After, even for a valid code, and nothing
    // is stored under its order number.
    let good = pw.code(&sb);
    let r = charge_raw(&mut c, &key, "G-5", good.digits(), 100, "SGD");
    assert_eq!((r.status, r.error_code().as_str()), (429, "rate-limited"));
    let retry: u64 = r.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let q = query(&mut c, &key, "G-5");
    assert_eq!((q.status, q.error_code().as_str()), (404, "unknown-charge"));
    assert_eq!(c.balance(&pw.w.enrolment.account_id), 50_000);
    // A replay of an earlier order is still answered (not a new guess).
    let again = charge_raw(&mut c, &key, "G-0", "391234567890123456", 100, "SGD");
    assert_eq!(again.status, 200);
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    // Another merchant's till is not limited by this one.
    let laksa = sb.data().till_key("M-0002").unwrap();
    let r = charge_raw(&mut c, &laksa, "L-1", "391234567890123456", 100, "SGD");
    assert_eq!(declined(&r.json()), "code-unknown");
    // Once the window has passed, the till charges again (a fresh code:
    // the step moved on).
    advance(&mut c, retry);
    let good = pw.code(&sb);
    assert_eq!(
        charge(&mut c, &key, "G-6", &good, 100).state,
        TillChargeState::Paid
    );
}

#[test]
fn offline_limits_count_charges_since_the_last_sync() {
    let (sb, mut c, key) = setup("pc-offline");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    // Ten charges without a sync pass; the eleventh is refused.
    for i in 0..10 {
        let code = pw.code(&sb);
        assert_eq!(
            charge(&mut c, &key, &format!("O-{i}"), &code, 100).state,
            TillChargeState::Paid
        );
    }
    let code = pw.code(&sb);
    assert_eq!(
        declined(&charge(&mut c, &key, "O-10", &code, 100)),
        "offline-limit"
    );
    // A sync resets the count.
    assert_eq!(events(&mut c, &pw, 0, 0).events.len(), 10);
    let code = pw.code(&sb);
    assert_eq!(
        charge(&mut c, &key, "O-11", &code, 100).state,
        TillChargeState::Paid
    );
    // The total: 29 + 29 + ... up to SGD 300 since the sync.
    events(&mut c, &pw, 0, 0);
    let mut total = 0;
    let mut i = 0;
    loop {
        let code = pw.code(&sb);
        let t = charge(&mut c, &key, &format!("S-{i}"), &code, 2_900);
        i += 1;
        if t.state == TillChargeState::Declined {
            assert_eq!(t.reason.as_deref(), Some("offline-limit"));
            break;
        }
        total += 2_900;
    }
    assert_eq!(total, 10 * 2_900);
    assert!(total + 2_900 > 30_000);
}

#[test]
fn declines_for_funds_currency_and_blocked_merchants() {
    let (sb, mut c, key) = setup("pc-declines");
    let mut low = pc_wallet(&mut c, "SANDBOX-LOW");
    let code = low.code(&sb);
    assert_eq!(
        declined(&charge(&mut c, &key, "F-1", &code, 600)),
        "insufficient-funds"
    );
    // The till asks in another currency than the merchant's.
    let code = low.code(&sb);
    let r = charge_raw(&mut c, &key, "F-2", code.digits(), 100, "THB");
    assert_eq!(declined(&r.json()), "currency-mismatch");
    // A THB wallet at an SGD merchant.
    let mut thb = pc_wallet(&mut c, "SANDBOX-THB");
    let code = thb.code(&sb);
    assert_eq!(
        declined(&charge(&mut c, &key, "F-3", &code, 100)),
        "currency-mismatch"
    );
    // A blocked merchant's till.
    let owl = sb.data().till_key("M-0004").unwrap();
    let code = low.code(&sb);
    assert_eq!(
        declined(&charge(&mut c, &owl, "F-4", &code, 100)),
        "merchant-blocked"
    );
    // No key, a wrong key: 401.
    let r = c.send("GET", &till_charge_path("F-1"), &[], b"").unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "bad-till-key"));
    let r = query(&mut c, "till_nope", "F-1");
    assert_eq!((r.status, r.error_code().as_str()), (401, "bad-till-key"));
    // Another merchant's till cannot see this order.
    let laksa = sb.data().till_key("M-0002").unwrap();
    assert_eq!(query(&mut c, &laksa, "F-1").status, 404);
    assert_eq!(c.balance(&low.w.enrolment.account_id), 500);
}

#[test]
fn an_order_number_replays_its_first_answer() {
    let (sb, mut c, key) = setup("pc-idem");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let code = pw.code(&sb);
    let first = charge_raw(&mut c, &key, "I-1", code.digits(), 450, "SGD");
    assert_eq!(first.header("Idempotent-Replayed"), None);
    let again = charge_raw(&mut c, &key, "I-1", code.digits(), 450, "SGD");
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let other = charge_raw(&mut c, &key, "I-1", code.digits(), 451, "SGD");
    assert_eq!(
        (other.status, other.error_code().as_str()),
        (409, "idempotency-key-reuse")
    );
    let t: TillCharge = first.json();
    assert_eq!(c.truth(t.charge_id.as_deref().unwrap()).charges_applied, 1);
    assert_eq!(c.balance(&pw.w.enrolment.account_id), 50_000 - 450);
    // Malformed requests are 400 and stored nowhere.
    for (no, minor) in [("bad no", 100), ("I-2", 0)] {
        let r = charge_raw(&mut c, &key, no, code.digits(), minor, "SGD");
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "malformed-request")
        );
    }
}

#[test]
fn above_the_no_pin_amount_the_payer_confirms_or_declines() {
    let (sb, mut c, key) = setup("pc-pin");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let seed = pw.w.request_seed;
    let account = pw.w.enrolment.account_id.clone();

    // Confirmed with the device key (the PIN): paid, method code+pin.
    let (t, e) = userpaying(&sb, &mut c, &key, &mut pw, "P-1");
    assert_eq!(
        query(&mut c, &key, "P-1").json::<TillCharge>().state,
        TillChargeState::Userpaying
    );
    assert_eq!(c.balance(&account), 50_000);
    // A confirmation of another amount does not verify.
    let wrong = confirmation(&pw, &e, 4_400);
    let r = confirm_charge(&mut c, seed, &e.charge_id, &wrong);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "bad-authorisation")
    );
    let body = confirmation(&pw, &e, 4_500);
    let r = confirm_charge(&mut c, seed, &e.charge_id, &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let paid: ChargeEvent = r.json();
    assert_eq!(paid.state, ChargeState::Paid);
    assert!(paid.receipt.is_some());
    let q: TillCharge = query(&mut c, &key, "P-1").json();
    assert_eq!(
        (q.state, q.receipt.as_ref()),
        (TillChargeState::Paid, paid.receipt.as_ref())
    );
    assert_eq!(c.balance(&account), 50_000 - 4_500);
    let info = sb
        .data()
        .paycode_charge(t.charge_id.as_deref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(info.method.as_deref(), Some("code+pin"));
    // Confirming again: not pending.
    let r = confirm_charge(&mut c, seed, &e.charge_id, &body);
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "charge-not-pending")
    );
    // Another wallet cannot see or confirm it.
    let other = pc_wallet(&mut c, "SANDBOX");
    let r = decline_charge(&mut c, other.w.request_seed, &e.charge_id);
    assert_eq!((r.status, r.error_code().as_str()), (404, "unknown-charge"));

    // Declined by the payer: closed, nothing charged.
    let (_, e) = userpaying(&sb, &mut c, &key, &mut pw, "P-2");
    let r = decline_charge(&mut c, seed, &e.charge_id);
    assert_eq!(r.json::<ChargeEvent>().state, ChargeState::Closed);
    assert_eq!(
        query(&mut c, &key, "P-2").json::<TillCharge>().state,
        TillChargeState::Closed
    );

    // Nobody confirms: closed 45 s later, with its event.
    let (_, e) = userpaying(&sb, &mut c, &key, &mut pw, "P-3");
    advance(&mut c, 44);
    assert_eq!(
        query(&mut c, &key, "P-3").json::<TillCharge>().state,
        TillChargeState::Userpaying
    );
    advance(&mut c, 1);
    assert_eq!(
        query(&mut c, &key, "P-3").json::<TillCharge>().state,
        TillChargeState::Closed
    );
    let last = events(&mut c, &pw, e.seq, 0);
    assert_eq!(
        last.events.first().map(|e| e.state),
        Some(ChargeState::Closed)
    );
    let r = confirm_charge(&mut c, seed, &e.charge_id, &confirmation(&pw, &e, 4_500));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "charge-not-pending")
    );

    // The till reverses a waiting charge: closed.
    let (_, _) = userpaying(&sb, &mut c, &key, &mut pw, "P-4");
    assert_eq!(reverse(&mut c, &key, "P-4").state, TillChargeState::Closed);
    assert_eq!(c.balance(&account), 50_000 - 4_500);
}

#[test]
fn reversal_refunds_once_and_closes_what_never_arrived() {
    let (sb, mut c, key) = setup("pc-reverse");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let account = pw.w.enrolment.account_id.clone();
    let code = pw.code(&sb);
    let t = charge(&mut c, &key, "R-1", &code, 700);
    let id = t.charge_id.clone().unwrap();
    // The payer cannot refund a till's charge through the wallet's payment
    // path (a charge id is not a payment id there).
    c.request_seed = Some(pw.w.request_seed);
    let r = c.reverse(&id).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(c.truth(&id).refunds_applied, 0);
    assert_eq!(c.balance(&account), 50_000 - 700);

    for _ in 0..2 {
        let r = reverse(&mut c, &key, "R-1");
        assert_eq!(r.state, TillChargeState::Reversed);
    }
    let truth = c.truth(&id);
    assert_eq!(
        (truth.state, truth.charges_applied, truth.refunds_applied),
        (ServerPaymentState::Reversed, 1, 1)
    );
    assert_eq!(c.balance(&account), 50_000);
    let feed = events(&mut c, &pw, 0, 0);
    let states: Vec<_> = feed.events.iter().map(|e| e.state).collect();
    assert_eq!(states, [ChargeState::Paid, ChargeState::Reversed]);

    // Reversed before the charge arrived: closed, and the late charge
    // takes nothing.
    assert_eq!(reverse(&mut c, &key, "R-2").state, TillChargeState::Closed);
    let code = pw.code(&sb);
    let late = charge(&mut c, &key, "R-2", &code, 700);
    assert_eq!(
        (late.state, late.charge_id),
        (TillChargeState::Closed, None)
    );
    assert_eq!(c.balance(&account), 50_000);
    // A declined order stays declined.
    let r = charge_raw(&mut c, &key, "R-3", "391111111111111111", 100, "SGD");
    assert_eq!(declined(&r.json()), "code-unknown");
    assert_eq!(declined(&reverse(&mut c, &key, "R-3")), "code-unknown");
}

#[test]
fn the_event_long_poll_wakes_within_two_seconds_of_a_charge() {
    // One worker thread: a wait that held it would stall every other
    // request below (and this test).
    let mut config = scanpay_sandbox::SandboxConfig::new(temp_dir("pc-longpoll"));
    config.worker_threads = 1;
    let sb = scanpay_sandbox::Sandbox::start(config).unwrap();
    let mut c = Client::new(&sb);
    let key = sb.data().till_key("M-0001").unwrap();
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let other = pc_wallet(&mut c, "SANDBOX");
    let seed = pw.w.request_seed;
    let addr_sb = &sb;
    std::thread::scope(|s| {
        // Another wallet waits the whole time (nothing is charged to it).
        let idle = s.spawn(move || {
            let mut c = Client::new(addr_sb);
            c.read_timeout = Duration::from_secs(30);
            let start = Instant::now();
            let r = wallet_send(
                &mut c,
                other.w.request_seed,
                "GET",
                &events_path(0, 3),
                REQUEST_SIGNATURE_SUBJECT,
                b"",
            );
            (r.json::<EventsResponse>().events.len(), start.elapsed())
        });
        let waiter = s.spawn(move || {
            let mut c = Client::new(addr_sb);
            c.read_timeout = Duration::from_secs(30);
            let start = Instant::now();
            let r = wallet_send(
                &mut c,
                seed,
                "GET",
                &events_path(0, 20),
                REQUEST_SIGNATURE_SUBJECT,
                b"",
            );
            (r, Instant::now(), start)
        });
        // Let the poll start waiting; meanwhile another wallet's requests
        // (and this till) are served: the wait holds no worker.
        std::thread::sleep(Duration::from_millis(500));
        for _ in 0..3 {
            assert_eq!(c.get("/v1/health").unwrap().status, 200);
        }
        let code = pw.code(&sb);
        let charged_at = Instant::now();
        assert_eq!(
            charge(&mut c, &key, "L-1", &code, 320).state,
            TillChargeState::Paid
        );
        let (r, returned_at, started) = waiter.join().unwrap();
        let feed: EventsResponse = r.json();
        assert_eq!(feed.events.len(), 1, "{feed:?}");
        let latency = returned_at.saturating_duration_since(charged_at);
        assert!(latency < Duration::from_secs(2), "{latency:?}");
        assert!(returned_at - started < Duration::from_secs(20));
        let (n, waited) = idle.join().unwrap();
        assert_eq!(n, 0);
        assert!(waited >= Duration::from_secs(3), "{waited:?}");
    });
    // Waiters are woken by the write itself (not by their 1 s re-read): the
    // signal changes with every charge, confirmation and reversal.
    let mut signal = sb.data().paycode_event_signal();
    signal.borrow_and_update();
    let code = pw.code(&sb);
    assert_eq!(
        charge(&mut c, &key, "L-2", &code, 4_500).state,
        TillChargeState::Userpaying
    );
    assert!(signal.has_changed().unwrap());
    signal.borrow_and_update();
    assert_eq!(reverse(&mut c, &key, "L-2").state, TillChargeState::Closed);
    assert!(signal.has_changed().unwrap());
    // With events already there, the poll answers at once.
    let start = Instant::now();
    let feed = events(&mut c, &pw, 0, 20);
    assert_eq!(feed.events.len(), 3);
    assert!(start.elapsed() < Duration::from_secs(2));
    // wait over the cap is capped, a bad number is a 400.
    let r = wallet_send(
        &mut c,
        seed,
        "GET",
        "/v1/paycode/events?after=x",
        REQUEST_SIGNATURE_SUBJECT,
        b"",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn a_lost_charge_answer_is_resolved_by_query_with_one_charge() {
    let (sb, mut c, key) = setup("pc-faults");
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let account = pw.w.enrolment.account_id.clone();
    // Committed, answer lost: the query finds it paid, once.
    sb.inject(FaultKind::Charge, Fault::DropAfterCommit, 1);
    let code = pw.code(&sb);
    let req = TillChargeRequest {
        out_trade_no: "F-1".into(),
        auth_code: code.digits().into(),
        amount: money(320, "SGD"),
    };
    let auth = format!("ScanPay-Till {key}");
    let body = serde_json::to_vec(&req).unwrap();
    assert!(c
        .send(
            "POST",
            PATH_TILL_CHARGES,
            &[("Authorization", &auth)],
            &body
        )
        .is_err());
    let q: TillCharge = query(&mut c, &key, "F-1").json();
    assert_eq!(q.state, TillChargeState::Paid);
    // The retry replays; still one charge.
    let again = charge_raw(&mut c, &key, "F-1", code.digits(), 320, "SGD");
    assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(c.truth(q.charge_id.as_deref().unwrap()).charges_applied, 1);
    assert_eq!(c.balance(&account), 50_000 - 320);

    // A 500 before commit: nothing happened, the same code still pays.
    sb.inject(FaultKind::Charge, Fault::Error500BeforeCommit, 1);
    let code = pw.code(&sb);
    let r = charge_raw(&mut c, &key, "F-2", code.digits(), 100, "SGD");
    assert_eq!(r.status, 500);
    assert_eq!(query(&mut c, &key, "F-2").status, 404);
    assert_eq!(
        charge(&mut c, &key, "F-2", &code, 100).state,
        TillChargeState::Paid
    );

    // A reset query, then a reset reversal: nothing changed by either.
    sb.inject(FaultKind::ChargeQuery, Fault::Reset, 1);
    assert!(c
        .send(
            "GET",
            &till_charge_path("F-2"),
            &[("Authorization", &auth)],
            b""
        )
        .is_err());
    sb.inject(FaultKind::ChargeReverse, Fault::Reset, 1);
    assert!(c
        .send(
            "POST",
            &till_reverse_path("F-2"),
            &[("Authorization", &auth)],
            b""
        )
        .is_err());
    assert_eq!(
        query(&mut c, &key, "F-2").json::<TillCharge>().state,
        TillChargeState::Paid
    );
    // The reversal's answer lost: committed; a second reversal agrees.
    sb.inject(FaultKind::ChargeReverse, Fault::DropAfterCommit, 1);
    assert!(c
        .send(
            "POST",
            &till_reverse_path("F-2"),
            &[("Authorization", &auth)],
            b""
        )
        .is_err());
    assert_eq!(
        reverse(&mut c, &key, "F-2").state,
        TillChargeState::Reversed
    );
    assert_eq!(c.balance(&account), 50_000 - 320);
    // A stalled body still arrives whole.
    sb.inject(FaultKind::ChargeQuery, Fault::StallBody { ms: 300 }, 1);
    assert_eq!(
        query(&mut c, &key, "F-1").json::<TillCharge>().state,
        TillChargeState::Paid
    );
    // The control API lists the tills.
    let tills: Vec<serde_json::Value> = c.get("/v1/control/tills").unwrap().json();
    assert!(tills
        .iter()
        .any(|t| t["till_key"] == key.as_str() && t["merchant_id"] == "M-0001"));
}

#[test]
fn a_restart_keeps_secrets_tills_counters_and_the_feed() {
    let dir = temp_dir("pc-restart");
    let sb = scanpay_sandbox::Sandbox::start(scanpay_sandbox::SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    let key = sb.data().till_key("M-0001").unwrap();
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let used = pw.code(&sb);
    assert_eq!(
        charge(&mut c, &key, "RS-1", &used, 100).state,
        TillChargeState::Paid
    );
    let next = pw.code(&sb);
    sb.stop();

    let sb = scanpay_sandbox::Sandbox::start(scanpay_sandbox::SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    // Same till key, same master key (the sealed secret still opens), same
    // counters and used codes, same feed.
    assert_eq!(sb.data().till_key("M-0001").unwrap(), key);
    assert_eq!(
        declined(&charge(&mut c, &key, "RS-2", &used, 100)),
        "code-used"
    );
    assert_eq!(
        charge(&mut c, &key, "RS-3", &next, 100).state,
        TillChargeState::Paid
    );
    let feed = events(&mut c, &pw, 0, 0);
    assert_eq!(
        feed.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    // Without the master key the sealed secrets are useless: a sandbox
    // given a new master key matches nothing (and says why in its error).
    sb.stop();
    std::fs::write(dir.join("paycode-master.key"), [9u8; 32]).unwrap();
    let sb = scanpay_sandbox::Sandbox::start(scanpay_sandbox::SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    let r = charge_raw(&mut c, &key, "RS-4", pw.code(&sb).digits(), 100, "SGD");
    assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
}
