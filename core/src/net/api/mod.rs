//! The wire protocol between the wallet and its backend: paths, headers,
//! limits and the JSON body of every request and response.
//!
//! This module is the single source of truth for `docs/api.md`; the client
//! ([`super::HttpsBackend`]) and the sandbox backend (`tests/`) both build on
//! these types, so a change here is a protocol change and must be versioned
//! (a new path prefix), never made in place.
//!
//! Payment replies are [`BackendReply`] itself (tagged `"reply"`), so the
//! engine's outcome table and the wire can never drift apart.

use serde::{Deserialize, Serialize};

use crate::auth::SignedAuthorisation;
use crate::money::Money;
use crate::payment::AmountBreakdown;
#[cfg(doc)]
use crate::payment::BackendReply;
use crate::payment::PaymentRequest;

pub mod paycode;

/// Version prefix of every path.
pub const API_PREFIX: &str = "/v1";
/// `GET`: liveness and the current registry version ([`HealthResponse`]).
pub const PATH_HEALTH: &str = "/v1/health";
/// `POST`: device enrolment ([`EnrolRequest`] → [`EnrolResponse`]).
pub const PATH_DEVICES: &str = "/v1/devices";
/// `POST`: the device's shortcut settings
/// ([`crate::auth::SignedShortcuts`] → [`ShortcutsAccepted`], ADR 0022).
pub const PATH_SHORTCUTS: &str = "/v1/devices/shortcuts";
/// The decline code of a PIN-free (or otherwise shortcut) payment the
/// backend's policy refuses: the wallet asks for the PIN and tries again
/// as a new payment. The message starts with the rule's word.
pub const DECLINE_PIN_REQUIRED: &str = "pin-required";
/// `GET ?have=N`: the signed registry document, exact bytes (200), or 304.
pub const PATH_REGISTRY: &str = "/v1/registry";
/// Query parameter of [`PATH_REGISTRY`]: the version the wallet already has.
pub const QUERY_HAVE: &str = "have";
/// `POST` with [`HEADER_IDEMPOTENCY_KEY`]: submit a payment
/// ([`PaymentRequestBody`] → [`BackendReply`]). `GET {PATH_PAYMENTS}/{id}`
/// queries it, `POST {PATH_PAYMENTS}/{id}/reverse` reverses it.
pub const PATH_PAYMENTS: &str = "/v1/payments";
/// Last path segment of a reversal: `/v1/payments/{id}/reverse`.
pub const REVERSE_SUFFIX: &str = "/reverse";
/// `POST` (sandbox only): a merchant's dynamic order
/// ([`CreateOrderRequest`] → [`CreateOrderResponse`]).
pub const PATH_MERCHANT_ORDERS: &str = "/v1/merchant/orders";
/// `POST` arms a fault ([`FaultRequest`]); `DELETE` clears all (sandbox only,
/// never subject to faults itself).
pub const PATH_CONTROL_FAULTS: &str = "/v1/control/faults";
/// `GET {PATH_CONTROL_PAYMENTS}/{id}`: the server-side truth about a payment
/// ([`ControlPayment`]); sandbox only.
pub const PATH_CONTROL_PAYMENTS: &str = "/v1/control/payments";
/// `POST`: move the sandbox clock forward ([`ClockAdvance`] → [`ClockResponse`]).
pub const PATH_CONTROL_CLOCK: &str = "/v1/control/clock";

/// Request header carrying the payment id on a submit. It must equal the
/// body's `payment_id`.
pub const HEADER_IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Response header set to `true` when the body is a stored first result
/// replayed for a retry (Stripe's `Idempotent-Replayed`).
pub const HEADER_IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// Response header of a registry 200: the document's version, decimal.
pub const HEADER_REGISTRY_VERSION: &str = "Registry-Version";
/// Content type of every JSON body.
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// Longest idempotency key (payment id) accepted; a UUID is 36 characters.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = crate::auth::MAX_PAYMENT_ID_LEN;
/// Largest request body a server accepts (413 `payload-too-large` above).
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;
/// Largest response body the client reads, except the registry.
pub const MAX_RESPONSE_BODY_BYTES: usize = 64 * 1024;
/// Largest registry document the client reads (the registry's own cap).
pub const MAX_REGISTRY_BODY_BYTES: usize = crate::trust::registry::MAX_DOCUMENT_BYTES;
/// Largest response head (status line + headers) the client reads.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most response headers the client accepts (and request headers a server
/// accepts: 431 above).
pub const MAX_HEADERS: usize = 64;
/// Largest amount in minor units a submit may carry: `i64::MAX`
/// (2^63 − 1), because ledgers (the sandbox's SQLite among them) store
/// amounts as signed 64-bit integers. A larger amount, though representable
/// as the `u64` of `Money`, is refused with 400 `amount-too-large`.
pub const MAX_AMOUNT_MINOR: u64 = i64::MAX as u64;

/// `/v1/payments/{id}`: the query path of a payment.
pub fn payment_path(payment_id: &str) -> String {
    format!("{PATH_PAYMENTS}/{payment_id}")
}

/// `/v1/payments/{id}/reverse`: the reversal path of a payment.
pub fn reverse_path(payment_id: &str) -> String {
    format!("{PATH_PAYMENTS}/{payment_id}{REVERSE_SUFFIX}")
}

/// `/v1/control/payments/{id}`: the sandbox's truth about a payment.
pub fn control_payment_path(payment_id: &str) -> String {
    format!("{PATH_CONTROL_PAYMENTS}/{payment_id}")
}

/// `/v1/registry?have=N` (or without the query when the wallet has none).
pub fn registry_path(have: Option<u64>) -> String {
    match have {
        Some(v) => format!("{PATH_REGISTRY}?{QUERY_HAVE}={v}"),
        None => PATH_REGISTRY.to_string(),
    }
}

/// Whether `id` is safe to put in a path segment and a header: 1 to
/// [`MAX_IDEMPOTENCY_KEY_LEN`] characters of `[A-Za-z0-9-]` (a UUID is).
///
/// Both sides check it: the client so it never builds a request line from
/// arbitrary text, the server to answer 400 `malformed-request`.
pub fn is_valid_payment_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_IDEMPOTENCY_KEY_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `GET /v1/health` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// `"ok"` when the backend takes payments.
    pub status: String,
    /// The server's clock, unix seconds.
    pub time: u64,
    /// Version of the registry document the server currently serves.
    pub registry_version: u64,
}

/// `POST /v1/devices` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The device's 32-byte Ed25519 public key, unpadded base64url.
    pub public_key: String,
    /// The one-time code that ties the device to an account.
    pub enrolment_code: String,
    /// The wallet's 32-byte Ed25519 request key (signs queries and
    /// reversals, see `crate::auth::request_key`), unpadded base64url.
    /// Optional on the wire so a registration from an older wallet is still
    /// understood; such a wallet cannot query or reverse until it registers
    /// again with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_key: Option<String>,
    /// The request key's 64-byte signature over
    /// `"scanpay:request-key:v1\n" ‖ device public key`, unpadded base64url;
    /// required with `request_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_key_proof: Option<String>,
}

/// `POST /v1/devices` response (200; enrolling the same key again with the
/// same code replays the same answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The backend's id for the device.
    pub device_id: String,
    /// The account the device pays from.
    pub account_id: String,
    /// The account's balance.
    pub balance: Money,
}

/// `POST /v1/payments` body: the wire form of [`PaymentRequest`], field for
/// field, so it can also be decoded (the engine's type only serialises).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequestBody {
    /// The payment id; equals the `Idempotency-Key` header.
    pub payment_id: String,
    /// The PIN-proving device signature over the payment's terms
    /// (`device_public_key` and `signature` are JSON arrays of byte values,
    /// `payload_sha256` likewise; see `docs/api.md`).
    pub authorisation: SignedAuthorisation,
    /// The scanned merchant payload text, exactly as verified.
    pub payload: String,
    /// The amounts; `total` equals the signed amount.
    pub breakdown: AmountBreakdown,
}

impl From<&PaymentRequest> for PaymentRequestBody {
    fn from(r: &PaymentRequest) -> PaymentRequestBody {
        PaymentRequestBody {
            payment_id: r.payment_id.clone(),
            authorisation: r.authorisation.clone(),
            payload: r.payload.clone(),
            breakdown: r.breakdown,
        }
    }
}

impl From<PaymentRequestBody> for PaymentRequest {
    fn from(b: PaymentRequestBody) -> PaymentRequest {
        PaymentRequest {
            payment_id: b.payment_id,
            authorisation: b.authorisation,
            payload: b.payload,
            breakdown: b.breakdown,
        }
    }
}

/// The body of every 4xx/5xx response: `{"error": "<kebab-code>", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code, one of [`error_code`] (clients must accept
    /// unknown codes and act on the status).
    pub error: String,
    /// Human-readable detail, for logs and support.
    pub message: String,
}

impl ErrorBody {
    /// An error body with `code` and `message`.
    pub fn new(code: &str, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: code.to_string(),
            message: message.into(),
        }
    }
}

/// The error codes of [`ErrorBody::error`], with the status each goes with.
pub mod error_code {
    /// 400: the body is not the expected JSON, a field is out of range, or
    /// the path's id is not a valid payment id.
    pub const MALFORMED_REQUEST: &str = "malformed-request";
    /// 400: a submit without the `Idempotency-Key` header.
    pub const MISSING_IDEMPOTENCY_KEY: &str = "missing-idempotency-key";
    /// 400: the `Idempotency-Key` header differs from the body's `payment_id`.
    pub const IDEMPOTENCY_KEY_MISMATCH: &str = "idempotency-key-mismatch";
    /// 401: the payment authorisation does not verify against an enrolled
    /// device key, or the device is unknown.
    pub const BAD_AUTHORISATION: &str = "bad-authorisation";
    /// 403: the enrolment code is unknown, used up or expired.
    pub const BAD_ENROLMENT_CODE: &str = "bad-enrolment-code";
    /// 404: no such route (an unknown payment id is not an error: the query
    /// answers 200 `{"reply":"not-found"}`).
    pub const NOT_FOUND: &str = "not-found";
    /// 405: the route exists, not with this method.
    pub const METHOD_NOT_ALLOWED: &str = "method-not-allowed";
    /// 409: the key was first used with other parameters. Final: retrying
    /// with the same key can never succeed.
    pub const IDEMPOTENCY_KEY_REUSE: &str = "idempotency-key-reuse";
    /// 409: a request with this key is being processed right now; retry later
    /// (nothing was stored for this attempt).
    pub const IDEMPOTENCY_KEY_IN_USE: &str = "idempotency-key-in-use";
    /// 411: a body without `Content-Length`.
    pub const LENGTH_REQUIRED: &str = "length-required";
    /// 413: a body over [`super::MAX_REQUEST_BODY_BYTES`].
    pub const PAYLOAD_TOO_LARGE: &str = "payload-too-large";
    /// 400: a submit's amount is above [`super::MAX_AMOUNT_MINOR`] (stored
    /// and replayed under its idempotency key like any processed answer).
    pub const AMOUNT_TOO_LARGE: &str = "amount-too-large";
    /// 401: a shortcut settings document does not verify (bad signature,
    /// unknown device, no request key), or its time is more than 300 s
    /// from the server's clock.
    pub const BAD_SHORTCUTS: &str = "bad-shortcuts";
    /// 409: the settings' version is not above the one the server holds
    /// (a replayed or out-of-order document). Final for this document.
    pub const STALE_SHORTCUTS: &str = "stale-shortcuts";
    /// 403: a document signed by the request key would turn a shortcut on
    /// or raise a limit; only the device key (the PIN) may.
    pub const SHORTCUTS_WIDEN_WITHOUT_PIN: &str = "shortcuts-widen-without-pin";
    /// 400: a PIN-free limit is above the server's cap for its currency, or
    /// the currency is not PIN-free capable there.
    pub const SHORTCUTS_OVER_CAP: &str = "shortcuts-over-cap";
    /// 401: a query or reversal without an `Authorization: ScanPay-Request`
    /// header.
    pub const MISSING_REQUEST_SIGNATURE: &str = "missing-request-signature";
    /// 401: the `Authorization` header is malformed or its signature does not
    /// verify for this method, path and payment id.
    pub const BAD_REQUEST_SIGNATURE: &str = "bad-request-signature";
    /// 401: the request key is not registered: register the device again.
    pub const UNKNOWN_REQUEST_KEY: &str = "unknown-request-key";
    /// 401: the request's `time` is more than the allowed skew away from the
    /// server's clock: check the device clock.
    pub const STALE_REQUEST: &str = "stale-request";
    /// 401: this key already used this nonce (a replayed request).
    pub const REPLAYED_REQUEST: &str = "replayed-request";
    /// 403: the payment belongs to another account than the request key's.
    pub const FOREIGN_PAYMENT: &str = "foreign-payment";
    /// 404: a merchant order (`POST /v1/merchant/orders`, sandbox) names a
    /// merchant the backend does not know.
    pub const UNKNOWN_MERCHANT: &str = "unknown-merchant";
    /// 409: the device key is already enrolled with another enrolment code.
    pub const DEVICE_ALREADY_ENROLLED: &str = "device-already-enrolled";
    /// 408: the request did not arrive completely in time; the connection is
    /// closed.
    pub const REQUEST_TIMEOUT: &str = "request-timeout";
    /// 501: `Transfer-Encoding` (chunked) bodies are not supported.
    pub const UNSUPPORTED_TRANSFER_ENCODING: &str = "unsupported-transfer-encoding";
    /// 500: the server failed.
    pub const INTERNAL: &str = "internal-error";
    /// 503: the server cannot take requests now.
    pub const UNAVAILABLE: &str = "unavailable";
}

/// `POST /v1/merchant/orders` body (sandbox only: a merchant's till asking
/// for a dynamic code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderRequest {
    /// The registered merchant.
    pub merchant_id: String,
    /// The amount to collect.
    pub amount: Money,
    /// The merchant's own reference (bill number).
    pub reference: String,
}

/// `POST /v1/merchant/orders` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrderResponse {
    /// The backend's order id.
    pub order_id: String,
    /// The signed dynamic EMV MPM text to render as a QR code.
    pub payload: String,
    /// When the order closes if unpaid, unix seconds (sandbox clock).
    pub expires_at: u64,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// `POST /v1/payments`.
    Submit,
    /// `GET /v1/payments/{id}`.
    Query,
    /// `POST /v1/payments/{id}/reverse`.
    Reverse,
    /// `GET /v1/registry`.
    Registry,
    /// `POST /v1/devices`.
    Enrol,
    /// `GET /v1/health`.
    Health,
    /// `POST /v1/merchant/paycode/charges` (a till charges a pay code).
    Charge,
    /// `GET /v1/merchant/paycode/charges/{out_trade_no}` (a till queries).
    ChargeQuery,
    /// `POST /v1/merchant/paycode/charges/{out_trade_no}/reverse`.
    ChargeReverse,
    /// Any of the above (never the control routes, the merchant order
    /// routes or the wallet's pay-code routes).
    Any,
}

/// What happens to a faulted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Fault {
    /// Wait `ms` before processing (the request is then processed normally).
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Process and commit, then close the connection without a response
    /// (the lost response).
    DropAfterCommit,
    /// Answer 500 `internal-error` without processing anything.
    #[serde(rename = "error-500-before-commit")]
    Error500BeforeCommit,
    /// Reset the TCP connection (RST) without processing.
    Reset,
    /// Process and commit, send the response head, then stall `ms` before
    /// the body.
    StallBody {
        /// Milliseconds.
        ms: u64,
    },
    /// Fail the TLS handshake of the next connection(s) (nothing processed).
    TlsHandshake,
    /// The payer's side is still working (WeChat's `USERPAYING`): a first
    /// submit is validated as usual, then stored as `processing` with
    /// nothing charged and answered [`BackendReply::Processing`]. The
    /// payment is decided — exactly as an unfaulted submit would be decided
    /// at that moment (charged, or declined with the usual codes) — when the
    /// `queries`-th query for it arrives: that query answers the decision,
    /// earlier ones answer `processing`. A reverse before then reverses it
    /// with nothing charged; a retried submit replays the stored
    /// `processing`. Only submits take this fault (arm it for `submit` or
    /// `any`); `queries: 0` counts as 1.
    PayerPending {
        /// Which query for the payment decides it (1 = the first).
        queries: u32,
    },
}

/// `POST /v1/control/faults` body: apply `fault` to the next `count`
/// requests of `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRequest {
    /// Which requests.
    pub kind: FaultKind,
    /// What to do to them.
    pub fault: Fault,
    /// How many (then the fault disarms itself).
    pub count: u32,
}

/// Response of the control writes (`POST`/`DELETE /v1/control/faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlAck {
    /// Always `true` on a 200.
    pub ok: bool,
}

/// The sandbox's state of one payment, as its ledger has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerPaymentState {
    /// Never seen.
    NotFound,
    /// Seen, payer-side still working.
    Processing,
    /// Paid: the balance was debited.
    Succeeded,
    /// Refused (insufficient funds, limit, blocked merchant, expired order).
    Declined,
    /// Closed unpaid.
    Closed,
    /// Reversed: cancelled unpaid, or refunded after payment, or reversed
    /// before it was ever seen (a tombstone refusing a late submit).
    Reversed,
}

/// `GET /v1/control/payments/{id}` response: the server-side truth for
/// exactly-once assertions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlPayment {
    /// The payment id.
    pub payment_id: String,
    /// Its state in the ledger.
    pub state: ServerPaymentState,
    /// How many times the payer's balance was debited for it (0 or 1 when
    /// the server is correct).
    pub charges_applied: u32,
    /// How many times a debit was returned (refund on reverse).
    #[serde(default)]
    pub refunds_applied: u32,
    /// How many submit requests with this key reached processing
    /// (first + replays).
    #[serde(default)]
    pub submits_received: u32,
    /// How the first processed submit was authorised (PIN, biometric or
    /// PIN-free, ADR 0022), whatever its outcome. `None` for an id never
    /// processed (or only tombstoned), a pay-code charge, and a payment
    /// recorded before the method existed.
    #[serde(default)]
    pub method: Option<crate::auth::PaymentAuthMethod>,
}

/// `POST /v1/devices/shortcuts` response 200: the settings are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortcutsAccepted {
    /// The version now held.
    pub version: u64,
}

/// `POST /v1/control/clock` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockAdvance {
    /// Seconds to move the sandbox clock forward.
    pub advance_secs: u64,
}

/// `POST /v1/control/clock` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockResponse {
    /// The sandbox clock after the move, unix seconds.
    pub now: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::BackendReply;

    #[test]
    fn fault_names_match_the_contract() {
        let cases = [
            (Fault::Delay { ms: 5 }, r#"{"type":"delay","ms":5}"#),
            (Fault::DropAfterCommit, r#"{"type":"drop-after-commit"}"#),
            (
                Fault::Error500BeforeCommit,
                r#"{"type":"error-500-before-commit"}"#,
            ),
            (Fault::Reset, r#"{"type":"reset"}"#),
            (
                Fault::StallBody { ms: 7 },
                r#"{"type":"stall-body","ms":7}"#,
            ),
            (Fault::TlsHandshake, r#"{"type":"tls-handshake"}"#),
            (
                Fault::PayerPending { queries: 3 },
                r#"{"type":"payer-pending","queries":3}"#,
            ),
        ];
        for (fault, json) in cases {
            assert_eq!(serde_json::to_string(&fault).unwrap(), json);
            assert_eq!(serde_json::from_str::<Fault>(json).unwrap(), fault);
        }
        let req: FaultRequest =
            serde_json::from_str(r#"{"kind":"any","fault":{"type":"reset"},"count":2}"#).unwrap();
        assert_eq!(req.kind, FaultKind::Any);
    }

    #[test]
    fn paths() {
        assert_eq!(payment_path("ab-1"), "/v1/payments/ab-1");
        assert_eq!(reverse_path("ab-1"), "/v1/payments/ab-1/reverse");
        assert_eq!(registry_path(Some(7)), "/v1/registry?have=7");
        assert_eq!(registry_path(None), "/v1/registry");
        assert_eq!(control_payment_path("x"), "/v1/control/payments/x");
        assert!(is_valid_payment_id("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!is_valid_payment_id(""));
        assert!(!is_valid_payment_id("a b"));
        assert!(!is_valid_payment_id("a/../b"));
        assert!(!is_valid_payment_id(&"a".repeat(65)));
    }

    #[test]
    fn replies_are_tagged() {
        let json = serde_json::to_string(&BackendReply::NotFound).unwrap();
        assert_eq!(json, r#"{"reply":"not-found"}"#);
    }
}
