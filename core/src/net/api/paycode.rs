//! The pay-code wire protocol: the wallet's provisioning, event feed and
//! confirmation of a charge, and the till's charge, query and reversal.
//!
//! Consumer-presented mode (the cashier scans the phone) is described in
//! `docs/paycode.md` (construction and threat model) and `docs/api.md`
//! (these bodies, their status codes and error codes). Two kinds of caller:
//!
//! * **the wallet**, authenticated by its request key
//!   (`Authorization: ScanPay-Request …`, ADR 0013) on every path under
//!   `/v1/paycode/`; provisioning additionally carries a PIN-proving device
//!   signature ([`ProvisionRequest`]);
//! * **the till**, authenticated by its API key
//!   (`Authorization: ScanPay-Till <key>`) on every path under
//!   `/v1/merchant/paycode/`; the key names the merchant and the till.
//!
//! Every till body is keyed by the shop's own order number
//! (`out_trade_no`), which is the idempotency key of a charge: the same
//! number with the same body replays the stored answer, with another body it
//! is refused with 409 `idempotency-key-reuse`.

use serde::{Deserialize, Serialize};

use crate::auth::SignedAuthorisation;
use crate::money::Money;

/// `POST /v1/paycode/provision` (wallet): turn the pay code on, or replace
/// its secret.
pub const PATH_PROVISION: &str = "/v1/paycode/provision";
/// `GET /v1/paycode/events?after=SEQ&wait=SECS` (wallet): the charges made
/// with this wallet's codes, long-polled; also the wallet's "online sync".
pub const PATH_EVENTS: &str = "/v1/paycode/events";
/// `POST /v1/paycode/charges/{charge_id}/confirm` (wallet): the payer
/// approves, with the PIN, a charge above the no-PIN amount.
pub const PATH_CHARGES: &str = "/v1/paycode/charges";
/// Suffix of [`PATH_CHARGES`]`/{charge_id}` that confirms.
pub const CONFIRM_SUFFIX: &str = "/confirm";
/// Suffix of [`PATH_CHARGES`]`/{charge_id}` that declines.
pub const DECLINE_SUFFIX: &str = "/decline";
/// `POST /v1/merchant/paycode/charges` (till): charge a scanned code;
/// `GET …/{out_trade_no}` queries; `POST …/{out_trade_no}/reverse` reverses.
pub const PATH_TILL_CHARGES: &str = "/v1/merchant/paycode/charges";
/// The `Authorization` scheme of a till: `ScanPay-Till <api key>`.
pub const TILL_AUTH_SCHEME: &str = "ScanPay-Till";
/// Longest `wait` of an events long-poll, seconds.
pub const MAX_EVENTS_WAIT_SECS: u64 = 25;
/// Most events in one answer; `has_more` says when there are others.
pub const MAX_EVENTS_PER_ANSWER: usize = 100;
/// Longest `out_trade_no` (WeChat Pay's limit, 32) of
/// `A-Z a-z 0-9 - _`.
pub const MAX_OUT_TRADE_NO_LEN: usize = 32;
/// How long a charge waiting for the payer (`userpaying`) stays open before
/// the backend closes it, seconds (the published micropay rule).
pub const USERPAYING_TIMEOUT_SECS: u64 = 45;
/// How often a till should query a `userpaying` charge, seconds.
pub const TILL_QUERY_INTERVAL_SECS: u64 = 5;
/// The `PAYMENT_ID` field of the request signature (`Authorization:
/// ScanPay-Request`, ADR 0013) on [`PATH_PROVISION`] and [`PATH_EVENTS`],
/// which name no payment. Confirm and decline sign the charge id there.
pub const REQUEST_SIGNATURE_SUBJECT: &str = "paycode";
/// Domain-separation prefix of the device signature that provisions.
pub const PROVISION_DOMAIN: &[u8] = b"scanpay:paycode-provision:v1\n";
/// Domain-separation prefix of the descriptor a confirmation signs
/// (its SHA-256 is the authorisation's `payload_sha256`).
pub const CHARGE_DOMAIN: &[u8] = b"scanpay:paycode-charge:v1\n";

/// `/v1/paycode/charges/{charge_id}/confirm`.
pub fn confirm_path(charge_id: &str) -> String {
    format!("{PATH_CHARGES}/{charge_id}{CONFIRM_SUFFIX}")
}

/// `/v1/paycode/charges/{charge_id}/decline`.
pub fn decline_path(charge_id: &str) -> String {
    format!("{PATH_CHARGES}/{charge_id}{DECLINE_SUFFIX}")
}

/// `/v1/paycode/events?after=SEQ&wait=SECS`.
pub fn events_path(after: u64, wait_secs: u64) -> String {
    format!("{PATH_EVENTS}?after={after}&wait={wait_secs}")
}

/// `/v1/merchant/paycode/charges/{out_trade_no}`.
pub fn till_charge_path(out_trade_no: &str) -> String {
    format!("{PATH_TILL_CHARGES}/{out_trade_no}")
}

/// `/v1/merchant/paycode/charges/{out_trade_no}/reverse`.
pub fn till_reverse_path(out_trade_no: &str) -> String {
    format!("{PATH_TILL_CHARGES}/{out_trade_no}/reverse")
}

/// Whether `s` is an acceptable `out_trade_no`: 1 to
/// [`MAX_OUT_TRADE_NO_LEN`] characters of `A-Z a-z 0-9 - _`.
pub fn is_valid_out_trade_no(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_OUT_TRADE_NO_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `POST /v1/paycode/provision` body. The device key (opened with the PIN)
/// signs [`PROVISION_DOMAIN`] ‖ `time` (decimal) ‖ `"\n"` ‖ `nonce`, so a
/// request key alone (which needs no PIN) cannot obtain the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionRequest {
    /// The registered 32-byte Ed25519 device public key, unpadded base64url.
    pub device_public_key: String,
    /// Unix seconds; within the request skew of the server's clock.
    pub time: u64,
    /// 16 to 64 characters of unpadded base64url, never reused by the device.
    pub nonce: String,
    /// The 64-byte Ed25519 signature, unpadded base64url.
    pub signature: String,
}

impl ProvisionRequest {
    /// The bytes the device key signs.
    pub fn signed_bytes(time: u64, nonce: &str) -> Vec<u8> {
        let mut out = PROVISION_DOMAIN.to_vec();
        out.extend_from_slice(time.to_string().as_bytes());
        out.push(b'\n');
        out.extend_from_slice(nonce.as_bytes());
        out
    }
}

/// The limits the backend enforces on a wallet's codes; the wallet applies
/// the stricter of these and its own `WalletConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaycodeLimits {
    /// Largest charge a code authorises by itself; above it the charge waits
    /// (`userpaying`) for the payer's PIN on the phone.
    pub no_pin_max: Money,
    /// Most charges accepted since the wallet's last sync.
    pub offline_max_codes: u32,
    /// Largest total charged since the wallet's last sync.
    pub offline_max_total: Money,
}

/// `POST /v1/paycode/provision` response (200). Provisioning again replaces
/// the secret: codes made with the old one are refused from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionResponse {
    /// The 32-byte pay-code secret, unpadded base64url. Sealed under the PIN
    /// on the phone; never logged.
    pub secret: String,
    /// Increments with every provisioning of this device.
    pub generation: u32,
    /// The first counter value to use (codes count up from it).
    pub counter: u64,
    /// How many counters past the last used one the backend looks ahead.
    pub window: u32,
    /// Length of a time step, seconds (60).
    pub step_secs: u64,
    /// The limits the backend enforces.
    pub limits: PaycodeLimits,
    /// The account charged.
    pub account_id: String,
}

/// What happened to one charge, as the wallet hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChargeState {
    /// Waiting for the payer to confirm with the PIN on the phone.
    Userpaying,
    /// Charged: the money has moved.
    Paid,
    /// Never charged: the payer declined, or nobody confirmed in time, or
    /// the till reversed it before it was paid.
    Closed,
    /// Charged, then refunded by the till's reversal.
    Reversed,
}

impl ChargeState {
    /// The stable kebab-case name, as on the wire and in the journal.
    pub fn code(&self) -> &'static str {
        match self {
            ChargeState::Userpaying => "userpaying",
            ChargeState::Paid => "paid",
            ChargeState::Closed => "closed",
            ChargeState::Reversed => "reversed",
        }
    }
}

/// One entry of the event feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeEvent {
    /// Position in this device's feed, from 1, without gaps.
    pub seq: u64,
    /// The backend's id of the charge.
    pub charge_id: String,
    /// The state the charge entered.
    pub state: ChargeState,
    /// The registered merchant.
    pub merchant_id: String,
    /// The merchant's registered name.
    pub merchant_name: String,
    /// The amount charged (or asked, for `userpaying`).
    pub amount: Money,
    /// The receipt number, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// The code counter that was used.
    pub counter: u64,
    /// When, unix seconds (backend clock).
    pub at: u64,
    /// For `userpaying`: when the backend closes the charge if unconfirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// `GET /v1/paycode/events` response (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    /// Events with `seq > after`, oldest first.
    pub events: Vec<ChargeEvent>,
    /// More events are waiting; ask again at once with the last `seq`.
    pub has_more: bool,
    /// The lowest counter the backend still accepts (one past the last used).
    pub counter_next: u64,
    /// The limits, as now enforced.
    pub limits: PaycodeLimits,
    /// The backend's clock, unix seconds.
    pub time: u64,
}

/// `POST /v1/paycode/charges/{charge_id}/confirm` body: the device key's
/// authorisation, whose `payment_id` is the charge id and whose
/// `payload_sha256` is SHA-256 of [`charge_descriptor`].
///
/// Confirm (and decline, which has an empty body) answers 200 with the
/// [`ChargeEvent`] it wrote to the feed (`paid` with the receipt, or
/// `closed`); the same event then arrives through the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmRequest {
    /// The PIN-proving signature.
    pub authorisation: SignedAuthorisation,
}

/// The text a confirmation's `payload_sha256` digests:
/// [`CHARGE_DOMAIN`] ‖ charge id ‖ `\n` ‖ merchant id ‖ `\n` ‖ minor units ‖
/// `\n` ‖ currency code.
pub fn charge_descriptor(charge_id: &str, merchant_id: &str, amount: &Money) -> Vec<u8> {
    let mut out = CHARGE_DOMAIN.to_vec();
    for part in [
        charge_id,
        merchant_id,
        &amount.minor.to_string(),
        amount.currency.code(),
    ] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    out.pop();
    out
}

/// `POST /v1/merchant/paycode/charges` body (till).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillChargeRequest {
    /// The shop's order number: the idempotency key.
    pub out_trade_no: String,
    /// The scanned code: the 18 digits, or the CPM text of the QR form.
    pub auth_code: String,
    /// The amount to charge, in the merchant's currency.
    pub amount: Money,
}

/// The state of a till's charge (`trade_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TillChargeState {
    /// Paid: hand over the goods.
    Paid,
    /// The payer must confirm on the phone: query every
    /// [`TILL_QUERY_INTERVAL_SECS`] until another state, at most
    /// [`USERPAYING_TIMEOUT_SECS`], then reverse.
    Userpaying,
    /// Refused (see `reason`): nothing was charged; the order number is used.
    Declined,
    /// Closed without a charge (timed out, declined by the payer, or
    /// reversed while waiting).
    Closed,
    /// Paid, then refunded by a reversal.
    Reversed,
}

impl TillChargeState {
    /// The stable kebab-case name, as on the wire and in the CLI's output.
    pub fn code(&self) -> &'static str {
        match self {
            TillChargeState::Paid => "paid",
            TillChargeState::Userpaying => "userpaying",
            TillChargeState::Declined => "declined",
            TillChargeState::Closed => "closed",
            TillChargeState::Reversed => "reversed",
        }
    }
}

/// A till's charge: the answer to charge, query and reverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillCharge {
    /// The shop's order number.
    pub out_trade_no: String,
    /// The merchant (from the till's key).
    pub merchant_id: String,
    /// The state.
    pub state: TillChargeState,
    /// The amount asked.
    pub amount: Money,
    /// The backend's id of the charge (absent when declined before one was
    /// made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id: Option<String>,
    /// The receipt number, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// Why it was declined: one of [`decline_reason`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `userpaying`: when the backend closes it, unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// The `reason` of a declined till charge. A decline is a 200 with
/// `"state": "declined"`, stored under the order number like any answer.
pub mod decline_reason {
    /// No device's code: a guessed or mistyped code, edited digits, or a
    /// code of a secret that was replaced.
    pub const CODE_UNKNOWN: &str = "code-unknown";
    /// The code was already used.
    pub const CODE_USED: &str = "code-used";
    /// The code belongs to a time step outside the accepted window.
    pub const CODE_EXPIRED: &str = "code-expired";
    /// A later code of the same wallet was used first; this one is void.
    pub const CODE_SUPERSEDED: &str = "code-superseded";
    /// The wallet's offline limits (count or total since its last sync)
    /// would be exceeded.
    pub const OFFLINE_LIMIT: &str = "offline-limit";
    /// The account cannot pay this amount.
    pub const INSUFFICIENT_FUNDS: &str = "insufficient-funds";
    /// The amount's currency is not the merchant's.
    pub const CURRENCY_MISMATCH: &str = "currency-mismatch";
    /// The merchant is blocked.
    pub const MERCHANT_BLOCKED: &str = "merchant-blocked";
}

/// Error codes (in `{"error": …}` bodies) of the pay-code paths, besides
/// the shared ones of [`super::error_code`].
pub mod error_code {
    /// 401: a till path without a valid `Authorization: ScanPay-Till` key.
    pub const BAD_TILL_KEY: &str = "bad-till-key";
    /// 429: too many unknown codes from this till (or merchant) recently;
    /// `Retry-After` says when to try again. Nothing was stored.
    pub const RATE_LIMITED: &str = "rate-limited";
    /// 403: provisioning's device signature does not verify, or the device is
    /// not this request key's.
    pub const BAD_DEVICE_SIGNATURE: &str = "bad-device-signature";
    /// 404: no such charge for this wallet or till.
    pub const UNKNOWN_CHARGE: &str = "unknown-charge";
    /// 409: the charge is no longer waiting for the payer (paid, closed or
    /// reversed); the body carries nothing else, query the events.
    pub const CHARGE_NOT_PENDING: &str = "charge-not-pending";
    /// 409: the wallet has no pay code provisioned.
    pub const NOT_PROVISIONED: &str = "not-provisioned";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn paths_and_order_numbers() {
        assert_eq!(confirm_path("chg_1"), "/v1/paycode/charges/chg_1/confirm");
        assert_eq!(events_path(7, 25), "/v1/paycode/events?after=7&wait=25");
        assert_eq!(
            till_reverse_path("T1-0001"),
            "/v1/merchant/paycode/charges/T1-0001/reverse"
        );
        assert!(is_valid_out_trade_no("T1-0001_a"));
        for bad in ["", "a b", "é", "../x", &"x".repeat(33)] {
            assert!(!is_valid_out_trade_no(bad), "{bad}");
        }
    }

    #[test]
    fn descriptors_are_unambiguous() {
        let sgd = |minor| Money {
            minor,
            currency: Currency::from_code("SGD").unwrap(),
        };
        assert_eq!(
            charge_descriptor("chg_1", "M-0001", &sgd(320)),
            b"scanpay:paycode-charge:v1\nchg_1\nM-0001\n320\nSGD".to_vec()
        );
        assert_eq!(
            ProvisionRequest::signed_bytes(1_700_000_000, "abc"),
            b"scanpay:paycode-provision:v1\n1700000000\nabc".to_vec()
        );
    }

    #[test]
    fn states_are_kebab_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&TillChargeState::Userpaying).unwrap(),
            "\"userpaying\""
        );
        assert_eq!(
            serde_json::to_string(&ChargeState::Reversed).unwrap(),
            "\"reversed\""
        );
    }

    #[test]
    fn state_codes_are_stable_and_what_the_wire_says() {
        use ChargeState as C;
        use TillChargeState as T;
        let phone = [
            (C::Userpaying, "userpaying"),
            (C::Paid, "paid"),
            (C::Closed, "closed"),
            (C::Reversed, "reversed"),
        ];
        for (s, code) in phone {
            assert_eq!(s.code(), code);
            assert_eq!(serde_json::to_value(s).unwrap(), code);
        }
        let till = [
            (T::Paid, "paid"),
            (T::Userpaying, "userpaying"),
            (T::Declined, "declined"),
            (T::Closed, "closed"),
            (T::Reversed, "reversed"),
        ];
        for (s, code) in till {
            assert_eq!(s.code(), code);
            assert_eq!(serde_json::to_value(s).unwrap(), code);
        }
    }
}
