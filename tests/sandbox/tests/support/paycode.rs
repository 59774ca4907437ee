//! Pay-code helpers (issue 11): a provisioned wallet deriving its codes, a
//! till, the payer's confirmation.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::auth::{PaymentAuthorisation, SignedAuthorisation};
use scanpay_core::net::api::paycode::ChargeState;
use scanpay_core::net::api::paycode::{
    charge_descriptor, events_path, till_charge_path, till_reverse_path, ChargeEvent,
    ConfirmRequest, EventsResponse, ProvisionRequest, ProvisionResponse, TillCharge,
    TillChargeRequest, TillChargeState, PATH_PROVISION, PATH_TILL_CHARGES,
    REQUEST_SIGNATURE_SUBJECT,
};
use scanpay_core::paycode::code::{derive, step_of, PayCode, PaycodeSecret};
use scanpay_sandbox::RunningSandbox;

use super::*;

/// A wallet with its pay code provisioned.
pub struct PcWallet {
    pub w: Wallet,
    pub secret: PaycodeSecret,
    pub next: u64,
    pub prov: ProvisionResponse,
}

impl PcWallet {
    /// The code for the next unused counter at the sandbox's current step.
    pub fn code(&mut self, sb: &RunningSandbox) -> PayCode {
        let c = self.next;
        self.next += 1;
        derive(&self.secret, c, step_of(sb.data().now().unwrap()))
    }
}

pub fn random_nonce() -> String {
    let mut n = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut n).unwrap();
    URL_SAFE_NO_PAD.encode(n)
}

/// The provisioning body, signed by `w`'s device key.
pub fn provision_body(w: &Wallet, time: u64, nonce: &str) -> ProvisionRequest {
    let sig = w
        .key
        .sign(&ProvisionRequest::signed_bytes(time, nonce))
        .unwrap();
    ProvisionRequest {
        device_public_key: URL_SAFE_NO_PAD.encode(w.key.public_key()),
        time,
        nonce: nonce.to_string(),
        signature: URL_SAFE_NO_PAD.encode(sig),
    }
}

/// A wallet-path request signed with `seed` over `subject`.
pub fn wallet_send(
    c: &mut Client,
    seed: [u8; 32],
    method: &str,
    path: &str,
    subject: &str,
    body: &[u8],
) -> Resp {
    let signed_path = path.split('?').next().unwrap();
    let auth = sign_request(seed, method, signed_path, subject, None, None);
    c.send(method, path, &[("Authorization", &auth)], body)
        .unwrap()
}

/// The payer confirms a charge waiting for the PIN: `body` is the signed
/// confirmation ([`confirmation`]), sent by the wallet that holds `seed`.
pub fn confirm_charge(c: &mut Client, seed: [u8; 32], charge_id: &str, body: &[u8]) -> Resp {
    let path = scanpay_core::net::api::paycode::confirm_path(charge_id);
    wallet_send(c, seed, "POST", &path, charge_id, body)
}

/// The payer declines a charge waiting for the PIN.
pub fn decline_charge(c: &mut Client, seed: [u8; 32], charge_id: &str) -> Resp {
    let path = scanpay_core::net::api::paycode::decline_path(charge_id);
    wallet_send(c, seed, "POST", &path, charge_id, b"")
}

pub fn provision_raw(c: &mut Client, seed: [u8; 32], body: &ProvisionRequest) -> Resp {
    wallet_send(
        c,
        seed,
        "POST",
        PATH_PROVISION,
        REQUEST_SIGNATURE_SUBJECT,
        &serde_json::to_vec(body).unwrap(),
    )
}

/// Enrols a wallet (`plan`) and provisions its pay code.
pub fn pc_wallet(c: &mut Client, plan: &str) -> PcWallet {
    let w = enrol(c, plan);
    let r = provision_raw(
        c,
        w.request_seed,
        &provision_body(&w, wall_now(), &random_nonce()),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let prov: ProvisionResponse = r.json();
    let secret =
        PaycodeSecret::from_bytes(&URL_SAFE_NO_PAD.decode(prov.secret.as_bytes()).unwrap())
            .unwrap();
    PcWallet {
        w,
        secret,
        next: prov.counter,
        prov,
    }
}

pub fn events(c: &mut Client, w: &PcWallet, after: u64, wait: u64) -> EventsResponse {
    let r = wallet_send(
        c,
        w.w.request_seed,
        "GET",
        &events_path(after, wait),
        REQUEST_SIGNATURE_SUBJECT,
        b"",
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

pub fn till_send(c: &mut Client, key: &str, method: &str, path: &str, body: &[u8]) -> Resp {
    let auth = format!("ScanPay-Till {key}");
    c.send(method, path, &[("Authorization", &auth)], body)
        .unwrap()
}

pub fn charge_raw(c: &mut Client, key: &str, no: &str, code: &str, minor: u64, cur: &str) -> Resp {
    let req = TillChargeRequest {
        out_trade_no: no.to_string(),
        auth_code: code.to_string(),
        amount: money(minor, cur),
    };
    till_send(
        c,
        key,
        "POST",
        PATH_TILL_CHARGES,
        &serde_json::to_vec(&req).unwrap(),
    )
}

pub fn charge(c: &mut Client, key: &str, no: &str, code: &PayCode, minor: u64) -> TillCharge {
    let r = charge_raw(c, key, no, code.digits(), minor, "SGD");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

pub fn query(c: &mut Client, key: &str, no: &str) -> Resp {
    till_send(c, key, "GET", &till_charge_path(no), b"")
}

pub fn reverse(c: &mut Client, key: &str, no: &str) -> TillCharge {
    let r = till_send(c, key, "POST", &till_reverse_path(no), b"");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

pub fn declined(t: &TillCharge) -> &str {
    assert_eq!(t.state, TillChargeState::Declined, "{t:?}");
    assert_eq!(t.charge_id, None);
    t.reason.as_deref().unwrap()
}

pub fn advance(c: &mut Client, secs: u64) {
    let r = c
        .post(
            "/v1/control/clock",
            &serde_json::json!({ "advance_secs": secs }),
        )
        .unwrap();
    assert_eq!(r.status, 200);
}

pub fn setup(name: &str) -> (RunningSandbox, Client, String) {
    let sb = start(name);
    let c = Client::new(&sb);
    let key = sb.data().till_key("M-0001").unwrap();
    (sb, c, key)
}

/// A charge above the no-PIN amount (SGD 30) waits for the payer.
pub fn userpaying(
    sb: &RunningSandbox,
    c: &mut Client,
    key: &str,
    pw: &mut PcWallet,
    no: &str,
) -> (TillCharge, ChargeEvent) {
    let code = pw.code(sb);
    let t = charge(c, key, no, &code, 4_500);
    assert_eq!(t.state, TillChargeState::Userpaying);
    let now = sb.data().now().unwrap();
    assert!(t.expires_at.unwrap().abs_diff(now + 45) <= 1);
    let feed = events(c, pw, 0, 0);
    let e = feed
        .events
        .iter()
        .rev()
        .find(|e| Some(&e.charge_id) == t.charge_id.as_ref())
        .unwrap()
        .clone();
    assert_eq!(
        (e.state, e.expires_at),
        (ChargeState::Userpaying, t.expires_at)
    );
    (t, e)
}

pub fn confirmation(pw: &PcWallet, e: &ChargeEvent, minor: u64) -> Vec<u8> {
    let amount = money(minor, "SGD");
    let auth = PaymentAuthorisation {
        payment_id: e.charge_id.clone(),
        merchant_key_id: "paycode".into(),
        merchant_account: e.merchant_id.clone(),
        amount_minor: amount.minor,
        currency: amount.currency,
        payload_sha256: ring::digest::digest(
            &ring::digest::SHA256,
            &charge_descriptor(&e.charge_id, &e.merchant_id, &amount),
        )
        .as_ref()
        .try_into()
        .unwrap(),
        time: wall_now(),
    };
    let signature = pw.w.key.sign(&auth.signed_bytes()).unwrap();
    serde_json::to_vec(&ConfirmRequest {
        authorisation: SignedAuthorisation {
            method: scanpay_core::auth::PaymentAuthMethod::Pin,
            authorisation: auth,
            device_public_key: pw.w.key.public_key().to_vec(),
            signature,
        },
    })
    .unwrap()
}
