//! [`TillClient`]: a merchant till's side of the pay code — charge a scanned
//! code, query a charge, reverse it — over the core's pinned HTTPS client.
//!
//! The wire contract is [`super::api::paycode`]; every call is authenticated
//! with the till's API key (`Authorization: ScanPay-Till <key>`). The client
//! only speaks the protocol and classifies failures; *resolving* an unclear
//! outcome (query every 5 s up to 45 s, then reverse) is the till's policy,
//! written on top of it (`scanpay pos charge` does it; `docs/api.md` states
//! the rules).
//!
//! What a till must know after a failure is whether money may have moved:
//! [`TillError::outcome_unknown`] says when the charge may have been
//! processed (no answer, a reset after sending, a 5xx), which is exactly when
//! the till must query and, failing a clear answer, reverse.
//!
//! **Blocking.** Like [`super::HttpsBackend`], every call blocks for up to the
//! connect timeout plus the read timeout.

use serde::de::DeserializeOwned;
use thiserror::Error;
use zeroize::Zeroizing;

use super::api::paycode::{
    error_code as paycode_error, is_valid_out_trade_no, till_charge_path, till_reverse_path,
    TillCharge, TillChargeRequest, PATH_TILL_CHARGES, TILL_AUTH_SCHEME,
};
use super::api::{error_code, ErrorBody, MAX_REQUEST_BODY_BYTES, MAX_RESPONSE_BODY_BYTES};
use super::client::{HttpsClient, NetError, NetStats, Request, Response};
use super::config::{ClientConfig, ConfigError};

/// Longest till API key accepted (a header value, not a document).
pub const MAX_TILL_KEY_LEN: usize = 256;
/// Longest error message kept from a response body.
const MAX_MESSAGE_CHARS: usize = 200;

/// Why a till call gave no usable answer.
///
/// The variants a cashier's screen acts on differently are kept apart:
/// a wrong key (fix the till's configuration), a rate limit (wait), an order
/// number already used for another sale (use a new one), an unknown charge
/// (the backend never stored it), and the unclear outcomes
/// ([`TillError::outcome_unknown`]) that must be resolved by query/reverse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TillError {
    /// The client configuration cannot be used (URL, TLS roots, pins,
    /// timeouts). Nothing sent.
    #[error("till client configuration: {0}")]
    Config(#[from] ConfigError),
    /// The API key is empty, too long, or has characters an HTTP header
    /// cannot carry. Nothing sent.
    #[error("the till API key is empty, over {MAX_TILL_KEY_LEN} characters, or not printable ASCII without spaces")]
    BadKeyFormat,
    /// The order number is not 1 to 32 characters of `A-Z a-z 0-9 - _`.
    /// Nothing sent.
    #[error("order number {0:?} must be 1-32 characters of A-Z a-z 0-9 - _")]
    BadOrderNumber(String),
    /// 401 `bad-till-key`: the backend does not know this key (or it was
    /// revoked). Nothing was done; fix the till's configuration.
    #[error("the backend refused the till key: {0}")]
    BadTillKey(String),
    /// 429 `rate-limited`: too many refused codes from this till or merchant
    /// recently. Nothing was stored under the order number, which may be
    /// used again after `retry_after_secs`.
    #[error("rate-limited: too many refused codes recently{}", retry_hint(*.retry_after_secs))]
    RateLimited {
        /// The `Retry-After` the backend sent, seconds.
        retry_after_secs: Option<u64>,
    },
    /// 404 `unknown-charge`: no charge is stored under this order number for
    /// this merchant (a charge that never arrived, or a typo).
    #[error("no charge under this order number")]
    UnknownCharge,
    /// 409 `idempotency-key-reuse`: the order number was used before with a
    /// different code or amount. Nothing was done; use a new order number.
    #[error("the order number was already used for another charge: {0}")]
    OrderNumberReused(String),
    /// Another 4xx: the request was refused as such and nothing was done
    /// (a malformed amount, a currency the backend does not know, …).
    #[error("refused with {status} {code}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The body's error code (empty if there was no error body).
        code: String,
        /// The body's message.
        message: String,
    },
    /// A 5xx: the backend failed. A till cannot tell whether the charge was
    /// committed, so the outcome is unknown: query, then reverse.
    #[error("backend error {status} {code}: {message}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The body's error code (empty if there was no error body).
        code: String,
        /// The body's message.
        message: String,
    },
    /// The exchange failed; [`NetError::definitely_not_sent`] says whether
    /// the request may have reached the backend.
    #[error(transparent)]
    Net(#[from] NetError),
}

fn retry_hint(secs: Option<u64>) -> String {
    secs.map_or_else(String::new, |s| format!("; retry after {s} s"))
}

impl TillError {
    /// Whether the call may have changed the charge on the backend without
    /// the till learning the result: a transport failure after sending, an
    /// unparseable answer, or a 5xx. The till must then query, and reverse
    /// if the query does not give a final state.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            TillError::Server { .. } => true,
            TillError::Net(e) => !e.definitely_not_sent(),
            _ => false,
        }
    }

    /// Whether trying the same call again may succeed without changing
    /// anything first: transport failures (sent or not), 5xx and rate
    /// limits. A wrong key, a reused order number or another refusal will
    /// be refused again.
    pub fn is_transient(&self) -> bool {
        match self {
            TillError::Server { .. } | TillError::RateLimited { .. } => true,
            TillError::Net(e) => !matches!(e, NetError::InvalidRequest(_)) && !e.is_tls(),
            _ => false,
        }
    }
}

/// A merchant till's client for the pay-code API (`/v1/merchant/paycode/…`).
///
/// `Send + Sync`; concurrent calls use separate pooled connections. The API
/// key is held in memory only, zeroized on drop, and never shown by `Debug`.
pub struct TillClient {
    client: HttpsClient,
    authorization: Zeroizing<String>,
}

impl std::fmt::Debug for TillClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TillClient")
            .field("client", &self.client)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl TillClient {
    /// Validates `config` and the API key and builds the client (no
    /// connection is made yet).
    pub fn new(config: ClientConfig, api_key: &str) -> Result<TillClient, TillError> {
        // The key goes into a header line: anything that could end or split
        // the line (CR, LF, spaces, non-ASCII) is refused before sending.
        let well_formed = !api_key.is_empty()
            && api_key.len() <= MAX_TILL_KEY_LEN
            && api_key.bytes().all(|b| b.is_ascii_graphic());
        if !well_formed {
            return Err(TillError::BadKeyFormat);
        }
        Ok(TillClient {
            client: HttpsClient::new(&config)?,
            authorization: Zeroizing::new(format!("{TILL_AUTH_SCHEME} {api_key}")),
        })
    }

    /// `POST /v1/merchant/paycode/charges`: charges a scanned code. The
    /// order number is the idempotency key: sending the same request again
    /// (after a lost answer) returns the stored answer, never a second
    /// charge.
    ///
    /// A `declined` charge is an `Ok` (its `reason` says why); errors are
    /// the cases where the backend did not give the charge a state.
    pub fn charge(&self, req: &TillChargeRequest) -> Result<TillCharge, TillError> {
        check_order(&req.out_trade_no)?;
        let body = serde_json::to_vec(req)
            .map_err(|e| NetError::InvalidRequest(format!("charge body: {e}")))?;
        if body.len() > MAX_REQUEST_BODY_BYTES {
            return Err(NetError::InvalidRequest(format!(
                "charge body of {} bytes is over {MAX_REQUEST_BODY_BYTES} (the scanned code is too long)",
                body.len()
            ))
            .into());
        }
        let resp = self.send("POST", PATH_TILL_CHARGES, Some(&body))?;
        answer(resp, &req.out_trade_no)
    }

    /// `GET /v1/merchant/paycode/charges/{out_trade_no}`: the charge's
    /// current state. Safe to repeat.
    pub fn query(&self, out_trade_no: &str) -> Result<TillCharge, TillError> {
        check_order(out_trade_no)?;
        let resp = self.send("GET", &till_charge_path(out_trade_no), None)?;
        answer(resp, out_trade_no)
    }

    /// `POST /v1/merchant/paycode/charges/{out_trade_no}/reverse`: undoes a
    /// paid charge (refund: `reversed`) or closes one still waiting for the
    /// payer (`closed`). Safe to repeat: reversing again answers the same
    /// final state.
    pub fn reverse(&self, out_trade_no: &str) -> Result<TillCharge, TillError> {
        check_order(out_trade_no)?;
        let resp = self.send("POST", &till_reverse_path(out_trade_no), None)?;
        answer(resp, out_trade_no)
    }

    /// Connection and request counters since creation.
    pub fn stats(&self) -> NetStats {
        self.client.stats()
    }

    /// Closes the idle pooled connections; the next call connects afresh.
    pub fn close_idle(&self) {
        self.client.close_idle();
    }

    fn send(
        &self,
        method: &'static str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Response, NetError> {
        self.client.send(&Request {
            method,
            path,
            idempotency_key: None,
            authorization: Some(self.authorization.as_str()),
            body,
            body_limit: MAX_RESPONSE_BODY_BYTES,
        })
    }
}

fn check_order(out_trade_no: &str) -> Result<(), TillError> {
    if is_valid_out_trade_no(out_trade_no) {
        Ok(())
    } else {
        Err(TillError::BadOrderNumber(
            out_trade_no.chars().take(40).collect(),
        ))
    }
}

/// A 200 as a [`TillCharge`] for `out_trade_no`; any other status as the
/// typed error its code names.
fn answer(resp: Response, out_trade_no: &str) -> Result<TillCharge, TillError> {
    if resp.status == 200 {
        let charge: TillCharge = parse(&resp.body)?;
        // An answer about another order would be a backend bug; taking it
        // would let the till hand over goods for the wrong sale.
        if charge.out_trade_no != out_trade_no {
            return Err(NetError::BadBody(format!(
                "answer is for order {:?}, not {out_trade_no:?}",
                charge.out_trade_no
            ))
            .into());
        }
        return Ok(charge);
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&resp.body) {
        Ok(e) => (e.error, e.message),
        Err(_) => (String::new(), resp.reason.clone()),
    };
    let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    Err(match (resp.status, code.as_str()) {
        (401, _) => TillError::BadTillKey(message),
        (429, _) => TillError::RateLimited {
            retry_after_secs: resp.retry_after,
        },
        (404, paycode_error::UNKNOWN_CHARGE) => TillError::UnknownCharge,
        (409, error_code::IDEMPOTENCY_KEY_REUSE) => TillError::OrderNumberReused(message),
        (500..=599, _) => TillError::Server {
            status: resp.status,
            code,
            message,
        },
        (status, _) => TillError::Refused {
            status,
            code,
            message,
        },
    })
}

fn parse<R: DeserializeOwned>(body: &[u8]) -> Result<R, NetError> {
    serde_json::from_slice(body).map_err(|e| NetError::BadBody(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::TlsConfig;

    fn config() -> ClientConfig {
        let tls = TlsConfig {
            root_certificates: Vec::new(),
            pins: Vec::new(),
            require_pins: false,
        };
        ClientConfig::new("https://127.0.0.1:9", tls)
    }

    fn resp(status: u16, body: &str, retry_after: Option<u64>) -> Response {
        Response {
            status,
            reason: "Reason".into(),
            body: body.as_bytes().to_vec(),
            retry_after,
        }
    }

    #[test]
    fn keys_that_could_break_the_header_are_refused_before_sending() {
        for bad in [
            "",
            "a b",
            "k\r\nX-Evil: 1",
            "clé",
            &"k".repeat(MAX_TILL_KEY_LEN + 1),
        ] {
            assert!(
                matches!(TillClient::new(config(), bad), Err(TillError::BadKeyFormat)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn error_statuses_become_the_error_a_till_acts_on() {
        let e = |s, b, r| answer(resp(s, b, r), "T-1").unwrap_err();
        assert_eq!(
            e(429, r#"{"error":"rate-limited","message":"x"}"#, Some(60)),
            TillError::RateLimited {
                retry_after_secs: Some(60)
            }
        );
        assert_eq!(
            e(404, r#"{"error":"unknown-charge","message":"x"}"#, None),
            TillError::UnknownCharge
        );
        assert!(matches!(
            e(
                409,
                r#"{"error":"idempotency-key-reuse","message":"x"}"#,
                None
            ),
            TillError::OrderNumberReused(_)
        ));
        assert!(matches!(
            e(401, r#"{"error":"bad-till-key","message":"x"}"#, None),
            TillError::BadTillKey(_)
        ));
        let server = e(500, "not json", None);
        assert!(server.outcome_unknown() && server.is_transient());
        assert!(matches!(server, TillError::Server { status: 500, .. }));
        let refused = e(400, r#"{"error":"malformed-request","message":"m"}"#, None);
        assert!(!refused.outcome_unknown() && !refused.is_transient());
        // A 404 that is not the pay-code's "unknown charge" is a refusal.
        assert!(matches!(
            e(404, r#"{"error":"not-found","message":"x"}"#, None),
            TillError::Refused { status: 404, .. }
        ));
    }

    #[test]
    fn an_answer_for_another_order_is_not_taken() {
        let body = r#"{"out_trade_no":"T-2","merchant_id":"M-0001","state":"paid",
            "amount":{"minor":320,"currency":"SGD"},"charge_id":"chg_1","receipt":"R1"}"#;
        assert!(matches!(
            answer(resp(200, body, None), "T-1"),
            Err(TillError::Net(NetError::BadBody(_)))
        ));
        let ok = answer(resp(200, body, None), "T-2").unwrap();
        assert_eq!(ok.receipt.as_deref(), Some("R1"));
    }

    #[test]
    fn transport_failures_are_classified_by_whether_they_were_sent() {
        let lost = TillError::from(NetError::ConnectionLost("reset".into()));
        assert!(lost.outcome_unknown() && lost.is_transient());
        let refused = TillError::from(NetError::Connect("refused".into()));
        assert!(!refused.outcome_unknown() && refused.is_transient());
        assert!(!TillError::from(NetError::PinMismatch).is_transient());
    }
}
