//! The pay code's attack corpus (issue 11): what a dishonest till, a
//! shoulder-surfer or a guesser can do with pay codes, against the real
//! sandbox over TLS with real codes from the real wallet. The codes are
//! time-based (60 s steps) and bound to a sandbox's per-device secret, so
//! these cases cannot live in the static `tests/fixtures/attacks` manifest:
//! each test makes its codes and asserts the backend's typed answer and
//! what it stored (`SandboxData::paycode_uses`, the till's query).
//!
//! Every refused code counts against the till's rate limit (5 per 10
//! minutes, `TILL_REFUSALS_PER_WINDOW`), so tests that present more than
//! five refused codes move the sandbox clock (and the wallet's) past the
//! window between batches, and take a fresh code at the new time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;

use scanpay_core::auth::SoftwareKeyStore;
use scanpay_core::net::api::paycode::{
    decline_reason, TillCharge, TillChargeRequest, TillChargeState,
};
use scanpay_core::net::{HttpsBackend, TillClient, TillError};
use scanpay_core::paycode::code::PayCode;
use scanpay_core::paycode::{PaycodeDisplay, PaycodeSession};
use scanpay_core::payment::{Backend, Clock, VirtualClock};
use scanpay_core::wallet::{Wallet, WalletOptions};
use scanpay_system::crash::Rng;
use scanpay_system::{
    client_config, pad, sandbox_roots, sgd, wallet_config, System, SystemOptions, PIN,
};

const MERCHANT: &str = "M-0002";
/// Refused codes a till may present per window before its 429, and the
/// window: the documented numbers (docs/paycode.md, docs/sandbox.md), not
/// the sandbox's constants, so a change to either is caught here.
const TILL_REFUSALS_PER_WINDOW: u32 = 5;
const RATE_WINDOW_SECS: u64 = 600;

fn start(name: &str) -> System {
    System::start_enrolled(env!("CARGO_TARGET_TMPDIR"), name).unwrap()
}

fn charge(till: &TillClient, order: &str, code: &str, minor: u64) -> Result<TillCharge, TillError> {
    till.charge(&TillChargeRequest {
        out_trade_no: order.to_string(),
        auth_code: code.to_string(),
        amount: sgd(minor),
    })
}

/// Asserts a refusal: declined with `reason`, no charge id, no receipt.
fn assert_declined(r: &Result<TillCharge, TillError>, reason: &str, what: &str) {
    let c = r.as_ref().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(c.state, TillChargeState::Declined, "{what}: {c:?}");
    assert_eq!(c.reason.as_deref(), Some(reason), "{what}: {c:?}");
    assert!(
        c.charge_id.is_none() && c.receipt.is_none(),
        "{what}: {c:?}"
    );
}

/// Moves the sandbox clock past the rate-limit window, and the wallet's
/// clock to the sandbox's, so the wallet's next code is made at the
/// sandbox's current step.
fn next_window(sys: &System) {
    sys.control.advance_clock(RATE_WINDOW_SECS + 1).unwrap();
    sys.clock.set(sys.sandbox.data().now().unwrap());
}

/// A new code at the wallet's current time: the previous one's display
/// time is over (the wallet moves to the next counter).
fn fresh_code(sys: &System, session: &PaycodeSession) -> PaycodeDisplay {
    let shown = session.current(sys.clock.now()).unwrap();
    assert!(shown.displayable);
    shown
}

/// Total charges the sandbox holds for pay codes (all devices, counters).
fn charges_stored(sys: &System) -> u32 {
    sys.sandbox.data().paycode_uses().unwrap().values().sum()
}

#[test]
fn a_replayed_code_is_refused_code_used_and_its_order_replays_one_charge() {
    let sys = start("pc-attack-replay");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let till = sys.till_client(MERCHANT).unwrap();
    let shown = fresh_code(&sys, &session);
    let paid = charge(&till, "R-0001", &shown.digits, 250).unwrap();
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");

    // The same code, another sale (a till keeping codes it saw): code-used,
    // in either form.
    let again = charge(&till, "R-0002", &shown.digits, 250);
    assert_declined(&again, decline_reason::CODE_USED, "digits replayed");
    let again_qr = charge(&till, "R-0003", &shown.cpm_text, 9_00);
    assert_declined(&again_qr, decline_reason::CODE_USED, "QR form replayed");
    // The same sale sent again (a till's retry): the first answer, not a
    // second charge.
    let retry = charge(&till, "R-0001", &shown.digits, 250).unwrap();
    assert_eq!(retry, paid);
    assert_eq!(charges_stored(&sys), 1);
    let uses = sys.sandbox.data().paycode_uses().unwrap();
    assert!(uses.values().all(|n| *n == 1), "{uses:?}");
}

#[test]
fn an_expired_code_is_refused_code_expired_and_charges_nothing() {
    let sys = start("pc-attack-expired");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let till = sys.till_client(MERCHANT).unwrap();
    let shown = fresh_code(&sys, &session);
    // Accepted steps reach 2 back: 3 steps later (the step boundary may
    // fall anywhere, so 3 full steps plus one second) the code has expired.
    sys.control.advance_clock(3 * 60 + 1).unwrap();
    let late = charge(&till, "E-0001", &shown.digits, 250);
    assert_declined(&late, decline_reason::CODE_EXPIRED, "3 steps late");
    assert_eq!(charges_stored(&sys), 0);
    // 15 steps back it is no longer even recognised as expired.
    sys.control.advance_clock(20 * 60).unwrap();
    let ancient = charge(&till, "E-0002", &shown.digits, 250);
    assert_declined(&ancient, decline_reason::CODE_UNKNOWN, "23 steps late");
    assert_eq!(charges_stored(&sys), 0);
}

#[test]
fn every_single_digit_edit_of_a_real_code_is_refused() {
    let sys = start("pc-attack-edits");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let till = sys.till_client(MERCHANT).unwrap();
    // All 18 positions × 9 other digits = 162 edits, five per rate-limit
    // window (each window with the code the wallet shows then).
    let mut tried = 0u32;
    let mut reasons: HashMap<String, u32> = HashMap::new();
    let mut shown = fresh_code(&sys, &session);
    let mut in_window = 0;
    for pos in 0..18 {
        for k in 1..=9u8 {
            if in_window == TILL_REFUSALS_PER_WINDOW {
                next_window(&sys);
                shown = fresh_code(&sys, &session);
                in_window = 0;
            }
            // The k-th other digit at `pos` of the code shown now.
            let mut edited = shown.digits.clone().into_bytes();
            edited[pos] = b'0' + (edited[pos] - b'0' + k) % 10;
            let edited = String::from_utf8(edited).unwrap();
            assert_ne!(edited, shown.digits);
            let r = charge(&till, &format!("ED-{tried:04}"), &edited, 100);
            let c = r.unwrap_or_else(|e| panic!("edit {pos}+{k}: {e}"));
            assert_eq!(c.state, TillChargeState::Declined, "edit at {pos}: {c:?}");
            assert!(c.charge_id.is_none(), "{c:?}");
            *reasons
                .entry(c.reason.clone().unwrap_or_default())
                .or_default() += 1;
            in_window += 1;
            tried += 1;
        }
    }
    assert_eq!(tried, 162);
    // An edited code is just another guess: unknown, never "used" or
    // "superseded" (which would tell the guesser it was near a real one).
    assert_eq!(
        reasons,
        HashMap::from([(decline_reason::CODE_UNKNOWN.to_string(), 162)])
    );
    assert_eq!(charges_stored(&sys), 0);
    // The edits consumed nothing: the code shown last is still good (in
    // the same window: 162 = 32 × 5 + 2 refusals in it so far).
    assert!(in_window < TILL_REFUSALS_PER_WINDOW);
    let paid = charge(&till, "ED-REAL", &shown.digits, 100).unwrap();
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
    assert_eq!(charges_stored(&sys), 1);
}

/// A second wallet (another phone) enrolled and provisioned on `sys`'s
/// sandbox.
struct OtherPhone {
    wallet: Wallet,
    account: String,
    session: PaycodeSession,
    clock: Arc<VirtualClock>,
}

fn other_phone(sys: &System) -> OtherPhone {
    let link = sys.sandbox.wallet_link();
    let client = client_config(&link, &link.base_url, &[link.spki_pin.as_str()]);
    let net = Arc::new(HttpsBackend::new(client).unwrap());
    let clock = Arc::new(VirtualClock::at(sys.sandbox.data().now().unwrap()));
    let backend: Arc<dyn Backend> = net.clone();
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let wallet = Wallet::open_linked(
        WalletOptions {
            data_dir: sys.dir.path().join("other-wallet"),
            roots: sandbox_roots(&link).unwrap(),
            config: wallet_config(),
            keystore: Arc::new(SoftwareKeyStore::generate().unwrap()),
            backend,
            clock: dyn_clock,
        },
        net,
    )
    .unwrap();
    wallet
        .authenticator()
        .enrol(&pad(&PIN).unwrap(), clock.now())
        .unwrap();
    let enrolled = wallet.register_device("SANDBOX").unwrap();
    wallet.sync_registry().unwrap().unwrap();
    let session = wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    OtherPhone {
        wallet,
        account: enrolled.account_id,
        session,
        clock,
    }
}

#[test]
fn another_devices_code_is_charged_to_that_device_and_refused_once_its_window_moved_on() {
    let sys = System::start(SystemOptions::new(
        env!("CARGO_TARGET_TMPDIR"),
        "pc-attack-other",
    ))
    .unwrap();
    let my_account = sys.enrol("SANDBOX").unwrap().account_id;
    sys.sync_registry().unwrap().expect("a first sync gets v1");
    let me = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let other = other_phone(&sys);
    let till = sys.till_client(MERCHANT).unwrap();

    // Mallory photographs the other phone's code and presents it as hers:
    // the code carries no identity, the backend maps it to its owner, so
    // the charge lands on the owner's account, not on the presenter's.
    let theirs = other.session.current(other.clock.now()).unwrap();
    let _mine = me.current(sys.clock.now()).unwrap();
    let paid = charge(&till, "O-0001", &theirs.digits, 700).unwrap();
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
    let info = sys
        .sandbox
        .data()
        .paycode_charge(paid.charge_id.as_deref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(info.account_id, other.account);
    assert_ne!(info.account_id, my_account);
    // The owner's phone lists it; the presenter's does not.
    assert_eq!(other.wallet.sync_paycode(0).unwrap().len(), 1);
    assert!(sys.wallet.sync_paycode(0).unwrap().is_empty());
    assert!(sys.wallet.paycode_history().unwrap().is_empty());

    // Photographed again, but the owner has since paid with a later code:
    // the photo is superseded (the owner's window moved past its counter).
    let tick = || {
        sys.control.advance_clock(61).unwrap();
        other.clock.set(sys.sandbox.data().now().unwrap());
    };
    tick();
    let photo = other.session.current(other.clock.now()).unwrap();
    tick();
    let later = other.session.current(other.clock.now()).unwrap();
    assert!(later.counter > photo.counter);
    let owner_pays = charge(&till, "O-0002", &later.digits, 300).unwrap();
    assert_eq!(owner_pays.state, TillChargeState::Paid, "{owner_pays:?}");
    let stale = charge(&till, "O-0003", &photo.digits, 300);
    assert_declined(
        &stale,
        decline_reason::CODE_SUPERSEDED,
        "photo after a later use",
    );
    assert_eq!(charges_stored(&sys), 2);
    assert_eq!(other.wallet.sync_paycode(0).unwrap().len(), 1);
    assert!(sys.wallet.paycode_history().unwrap().is_empty());
}

#[test]
fn brute_force_random_codes_get_429_after_the_documented_count_and_nothing_is_stored() {
    let sys = start("pc-attack-brute");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let real = fresh_code(&sys, &session);
    let till = sys.till_client(MERCHANT).unwrap();
    let mut rng = Rng::new(0xB27E_F0CE);
    let mut declined = 0u32;
    let mut limited = None;
    for i in 0..100u32 {
        let guess = format!("39{:016}", rng.below(10_000_000_000_000_000));
        match charge(&till, &format!("BF-{i:04}"), &guess, 100) {
            Ok(c) => {
                assert_eq!(
                    c.state,
                    TillChargeState::Declined,
                    "guess {i} accepted: {c:?}"
                );
                assert_eq!(c.reason.as_deref(), Some(decline_reason::CODE_UNKNOWN));
                declined += 1;
            }
            Err(TillError::RateLimited { retry_after_secs }) => {
                limited = Some((i, retry_after_secs));
                break;
            }
            Err(e) => panic!("guess {i}: {e}"),
        }
    }
    let (at, retry_after) = limited.expect("no 429 within 100 guesses");
    assert_eq!(declined, TILL_REFUSALS_PER_WINDOW);
    assert_eq!(at, TILL_REFUSALS_PER_WINDOW, "the 429 came at guess {at}");
    let retry_after = retry_after.expect("a 429 carries Retry-After");
    assert!(
        (1..=RATE_WINDOW_SECS).contains(&retry_after),
        "{retry_after}"
    );
    // Nothing stored under the limited order number, no charge anywhere.
    assert!(matches!(
        till.query(&format!("BF-{at:04}")),
        Err(TillError::UnknownCharge)
    ));
    assert_eq!(charges_stored(&sys), 0);
    // While limited even a real code is not looked at (and not consumed).
    assert!(matches!(
        charge(&till, "BF-REAL", &real.digits, 100),
        Err(TillError::RateLimited { .. })
    ));
    assert!(matches!(
        till.query("BF-REAL"),
        Err(TillError::UnknownCharge)
    ));
    // After Retry-After the till may charge again. The real code was not
    // consumed by the limited attempt: it is now merely expired (not used),
    // and the wallet's next code is charged.
    // (A sliding window: Retry-After frees the oldest refusal; the next
    // refusal below may still meet the rest, so move past all of them.)
    next_window(&sys);
    let old = charge(&till, "BF-OLD", &real.digits, 100);
    assert_declined(
        &old,
        decline_reason::CODE_EXPIRED,
        "the code shown before the 429",
    );
    let next = fresh_code(&sys, &session);
    let paid = charge(&till, "BF-REAL", &next.digits, 100).unwrap();
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (the QR form's text encoding), here so
/// that this crate needs no extra dependency for a test.
fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_decode(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|x| *x == c).unwrap() as u32;
        bits = bits << 6 | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits & 0xff) as u8);
        }
    }
    out
}

/// The QR form's BER bytes of `cpm_text`, edited by `f`, re-encoded.
fn tamper(cpm_text: &str, f: Edit) -> String {
    let mut b = b64_decode(cpm_text);
    f(&mut b);
    b64_encode(&b)
}

/// An edit of the QR form's bytes.
type Edit = fn(&mut Vec<u8>);

/// The tampered QR forms: name, edit, the parser's error code.
/// Layout: `85 05 "CPV01" 61 1E 4F 08 <AID @ 11..19> 50 07 "ScanPay"
/// 5A 09 <BCD @ 30..39>` (39 bytes).
const CPM_CASES: [(&str, Edit, &str); 7] = [
    // Another application id: not a ScanPay code (a card's, another
    // wallet's), whatever the 5A digits say.
    ("aid-byte", |b| b[18] ^= 0x01, "not-scanpay"),
    ("aid-length", |b| b[10] = 0x07, "cpm"),
    ("template-length-plus-1", |b| b[8] = 0x1F, "cpm"),
    ("template-length-minus-1", |b| b[8] = 0x1D, "cpm"),
    ("truncated-in-bcd", |b| b.truncate(36), "cpm"),
    (
        "long-form-length-cut",
        |b| {
            b.truncate(8);
            b.push(0x81);
        },
        "cpm",
    ),
    ("bcd-length", |b| b[29] = 0x08, "cpm"),
];

#[test]
fn a_tampered_cpm_form_is_refused_by_the_parser_and_the_backend() {
    let sys = start("pc-attack-cpm");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let till = sys.till_client(MERCHANT).unwrap();
    let mut shown = fresh_code(&sys, &session);
    let bytes = b64_decode(&shown.cpm_text);
    assert_eq!(b64_encode(&bytes), shown.cpm_text);
    assert_eq!(bytes.len(), 39);
    assert_eq!(
        (&bytes[..2], &bytes[7..11], &bytes[28..30]),
        (
            &[0x85, 0x05][..],
            &[0x61, 0x1E, 0x4F, 0x08][..],
            &[0x5A, 0x09][..]
        )
    );
    let mut in_window = 0;
    for (i, (name, edit, parse_error)) in CPM_CASES.iter().enumerate() {
        if in_window == TILL_REFUSALS_PER_WINDOW {
            next_window(&sys);
            shown = fresh_code(&sys, &session);
            in_window = 0;
        }
        let text = tamper(&shown.cpm_text, *edit);
        // The core's parser (the till app's) names the fault ...
        let err = PayCode::parse(&text).expect_err(name);
        assert_eq!(err.code(), *parse_error, "{name}: {err}");
        // ... and the backend refuses it as a stored decline (a till
        // cannot fix a scan, so not a 400).
        let r = charge(&till, &format!("CPM-{i}"), &text, 100);
        assert_declined(&r, decline_reason::CODE_UNKNOWN, name);
        in_window += 1;
    }
    assert_eq!(charges_stored(&sys), 0);
    // The untampered form of the code shown last is charged.
    let paid = charge(&till, "CPM-REAL", &shown.cpm_text, 100).unwrap();
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
    assert_eq!(charges_stored(&sys), 1);
}
