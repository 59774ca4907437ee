//! [`HttpsBackend`]: the payment engine's [`Backend`] over the `/v1` API, plus
//! the other wallet calls (health, enrolment, registry sync) and the
//! sandbox-only helpers the demo and tests use.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::api::paycode::{
    self, ChargeEvent, ConfirmRequest, EventsResponse, ProvisionRequest, ProvisionResponse,
};
use super::api::{
    self, ClockAdvance, ClockResponse, ControlAck, ControlPayment, CreateOrderRequest,
    CreateOrderResponse, EnrolRequest, EnrolResponse, FaultRequest, HealthResponse,
    PaymentRequestBody, ShortcutsAccepted, MAX_REGISTRY_BODY_BYTES, MAX_REQUEST_BODY_BYTES,
    MAX_RESPONSE_BODY_BYTES,
};
use super::client::{HttpsClient, NetError, NetStats, Request, Response};
use super::config::{ClientConfig, ConfigError};
use crate::auth::{RequestKeyError, RequestSigner, SignedShortcuts};
use crate::paycode::PaycodeBackend;
use crate::payment::{Backend, PaymentRequest};
use crate::payment::{BackendError, BackendReply};
use crate::payment::{ShortcutPushError, ShortcutRejection, ShortcutsBackend};

/// Seconds kept between a long-poll's `wait` and the read timeout.
const LONG_POLL_MARGIN_SECS: u64 = 3;

/// The backend over HTTPS (rustls, TLS 1.3, pinned), with a keep-alive pool.
///
/// Every method blocks for up to the connect timeout plus the read timeout:
/// never call one on a UI thread (the bindings run them on a worker thread
/// and expose them as async functions). It is `Send + Sync`: concurrent
/// calls use separate pooled connections.
pub struct HttpsBackend {
    client: HttpsClient,
    // The longest events long-poll this client can wait for: the read
    // timeout less a margin for the answer to arrive.
    max_wait_secs: u64,
    // Set once the wallet's store is open (the backend is built before the
    // wallet, which owns the store); read for every query and reversal.
    signer: RwLock<Option<Arc<dyn RequestSigner>>>,
}

impl std::fmt::Debug for HttpsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsBackend")
            .field("client", &self.client)
            .field("signer", &self.signer().is_some())
            .finish()
    }
}

impl From<NetError> for BackendError {
    fn from(e: NetError) -> BackendError {
        match e {
            NetError::Tls(_) | NetError::PinMismatch => BackendError::Tls(e.to_string()),
            NetError::Status { status, message } => BackendError::Server { status, message },
            e if e.definitely_not_sent() => BackendError::NotSent(e.to_string()),
            e => BackendError::MaybeSent(e.to_string()),
        }
    }
}

impl HttpsBackend {
    /// Validates `config` and builds the client (no connection is made yet).
    pub fn new(config: ClientConfig) -> Result<HttpsBackend, ConfigError> {
        Ok(HttpsBackend {
            client: HttpsClient::new(&config)?,
            max_wait_secs: config
                .read_timeout
                .as_secs()
                .saturating_sub(LONG_POLL_MARGIN_SECS),
            signer: RwLock::new(None),
        })
    }

    /// Sets the signer of queries and reversals (the wallet's
    /// [`crate::auth::StoredRequestSigner`]), replacing any earlier one.
    /// Without one, [`Backend::query`] and [`Backend::reverse`] fail with
    /// [`NetError::RequestKey`] (not sent), and [`HttpsBackend::enrol`]
    /// registers no request key.
    pub fn set_request_signer(&self, signer: Arc<dyn RequestSigner>) {
        *self.signer.write().unwrap_or_else(PoisonError::into_inner) = Some(signer);
    }

    fn signer(&self) -> Option<Arc<dyn RequestSigner>> {
        self.signer
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `GET /v1/payments/{id}`, signed by the request key, as a [`NetError`]
    /// (the [`Backend`] method maps it for the engine).
    pub fn query_payment(&self, payment_id: &str) -> Result<BackendReply, NetError> {
        check_id(payment_id)?;
        decode(self.signed("GET", &api::payment_path(payment_id), payment_id)?)
    }

    /// `POST /v1/payments/{id}/reverse`, signed by the request key.
    pub fn reverse_payment(&self, payment_id: &str) -> Result<BackendReply, NetError> {
        check_id(payment_id)?;
        decode(self.signed("POST", &api::reverse_path(payment_id), payment_id)?)
    }

    /// Sends a bodiless request with a fresh request signature: a new time
    /// and nonce for every attempt, so a retry is never a replay.
    fn signed(
        &self,
        method: &'static str,
        path: &str,
        payment_id: &str,
    ) -> Result<Response, NetError> {
        self.signed_with_body(method, path, path, payment_id, None)
    }

    /// [`HttpsBackend::signed`] with a body, and a request path that may
    /// carry a query (`signed_path` is the path without it: the signature
    /// covers the path only, ADR 0013).
    fn signed_with_body(
        &self,
        method: &'static str,
        path: &str,
        signed_path: &str,
        subject: &str,
        body: Option<&[u8]>,
    ) -> Result<Response, NetError> {
        let signer = self
            .signer()
            .ok_or(NetError::RequestKey(RequestKeyError::NotRegistered))?;
        let header = signer
            .authorize(method, signed_path, subject)?
            .header_value();
        self.client.send(&Request {
            method,
            path,
            idempotency_key: None,
            authorization: Some(&header),
            body,
            body_limit: MAX_RESPONSE_BODY_BYTES,
        })
    }

    /// `POST /v1/paycode/provision`, signed by the request key.
    pub fn paycode_provision(&self, req: &ProvisionRequest) -> Result<ProvisionResponse, NetError> {
        let body = encode(req)?;
        decode(self.signed_with_body(
            "POST",
            paycode::PATH_PROVISION,
            paycode::PATH_PROVISION,
            paycode::REQUEST_SIGNATURE_SUBJECT,
            Some(&body),
        )?)
    }

    /// `GET /v1/paycode/events?after=…&wait=…`, signed by the request key.
    /// `wait_secs` is capped so the answer arrives within this client's
    /// read timeout.
    pub fn paycode_events(&self, after: u64, wait_secs: u64) -> Result<EventsResponse, NetError> {
        let wait = wait_secs
            .min(paycode::MAX_EVENTS_WAIT_SECS)
            .min(self.max_wait_secs);
        decode(self.signed_with_body(
            "GET",
            &paycode::events_path(after, wait),
            paycode::PATH_EVENTS,
            paycode::REQUEST_SIGNATURE_SUBJECT,
            None,
        )?)
    }

    /// `POST /v1/paycode/charges/{id}/confirm` or `…/decline`, signed by
    /// the request key over the charge id.
    fn paycode_answer(
        &self,
        charge_id: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<ChargeEvent, NetError> {
        // Goes into a path: 1-64 of [A-Za-z0-9_-], nothing a path could
        // misread.
        if charge_id.is_empty()
            || charge_id.len() > 64
            || !charge_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(NetError::InvalidRequest(
                "charge id must be 1-64 characters of [A-Za-z0-9_-]".into(),
            ));
        }
        decode(self.signed_with_body("POST", path, path, charge_id, body)?)
    }

    /// Connection and request counters since creation.
    pub fn stats(&self) -> NetStats {
        self.client.stats()
    }

    /// Closes the idle pooled connections (e.g. when the OS reports a
    /// network change); the next call connects afresh.
    pub fn close_idle(&self) {
        self.client.close_idle();
    }

    /// `GET /v1/health`.
    pub fn health(&self) -> Result<HealthResponse, NetError> {
        self.get_json(api::PATH_HEALTH)
    }

    /// `POST /v1/devices`: enrols the device's Ed25519 public key, and with a
    /// request signer set, the wallet's request key (registering again with
    /// the same device key and code replays the enrolment and adds the
    /// request key: how a wallet registered before request keys gets one).
    pub fn enrol(
        &self,
        device_public_key: &[u8],
        enrolment_code: &str,
    ) -> Result<EnrolResponse, NetError> {
        if device_public_key.len() != 32 {
            return Err(NetError::InvalidRequest(format!(
                "device key is {} bytes, Ed25519 is 32",
                device_public_key.len()
            )));
        }
        // With a signer, the registration carries the request key (created
        // now if the wallet has none) and its proof of possession.
        let request_key = self
            .signer()
            .map(|s| s.registration(device_public_key))
            .transpose()?;
        let body = EnrolRequest {
            public_key: URL_SAFE_NO_PAD.encode(device_public_key),
            enrolment_code: enrolment_code.to_string(),
            request_key: request_key
                .as_ref()
                .map(|r| URL_SAFE_NO_PAD.encode(r.public_key)),
            request_key_proof: request_key
                .as_ref()
                .map(|r| URL_SAFE_NO_PAD.encode(r.proof)),
        };
        self.post_json(api::PATH_DEVICES, &body)
    }

    /// `POST /v1/devices/shortcuts`: the device's shortcut settings (ADR
    /// 0022). The document carries its own signature (device key or request
    /// key), so the request has no `Authorization` header. A refusal with an
    /// error body is [`ShortcutPushError::Rejected`] with the typed reason;
    /// everything else (not sent, no answer, a 5xx, a body that is not the
    /// expected JSON) is [`ShortcutPushError::Transport`].
    pub fn push_shortcuts(
        &self,
        signed: &SignedShortcuts,
    ) -> Result<ShortcutsAccepted, ShortcutPushError> {
        let body = encode(signed).map_err(BackendError::from)?;
        let resp = self
            .request("POST", api::PATH_SHORTCUTS, None, Some(&body))
            .map_err(BackendError::from)?;
        if (400..500).contains(&resp.status) && !matches!(resp.status, 408 | 429) {
            if let Ok(e) = serde_json::from_slice::<api::ErrorBody>(&resp.body) {
                return Err(ShortcutPushError::Rejected {
                    reason: ShortcutRejection::from_code(&e.error),
                    message: e.message,
                });
            }
        }
        Ok(decode(resp).map_err(BackendError::from)?)
    }

    /// `GET /v1/registry?have=N`: the signed registry document's exact bytes,
    /// or `None` when `have` is current (304). The caller verifies the bytes
    /// (signatures, version never going back) through the trust store.
    pub fn fetch_registry(&self, have: Option<u64>) -> Result<Option<Vec<u8>>, NetError> {
        let path = api::registry_path(have);
        let resp = self.client.send(&Request {
            method: "GET",
            path: &path,
            idempotency_key: None,
            authorization: None,
            body: None,
            body_limit: MAX_REGISTRY_BODY_BYTES,
        })?;
        match resp.status {
            200 => Ok(Some(resp.body)),
            304 => Ok(None),
            _ => Err(resp.status_error()),
        }
    }

    /// `POST /v1/merchant/orders` (sandbox only): a merchant's dynamic order.
    pub fn create_order(&self, req: &CreateOrderRequest) -> Result<CreateOrderResponse, NetError> {
        self.post_json(api::PATH_MERCHANT_ORDERS, req)
    }

    /// `POST /v1/control/faults` (sandbox only): arms a fault.
    pub fn set_fault(&self, fault: &FaultRequest) -> Result<ControlAck, NetError> {
        self.post_json(api::PATH_CONTROL_FAULTS, fault)
    }

    /// `DELETE /v1/control/faults` (sandbox only): clears all faults.
    pub fn clear_faults(&self) -> Result<ControlAck, NetError> {
        let resp = self.request("DELETE", api::PATH_CONTROL_FAULTS, None, None)?;
        decode(resp)
    }

    /// `GET /v1/control/payments/{id}` (sandbox only): the server's truth.
    pub fn control_payment(&self, payment_id: &str) -> Result<ControlPayment, NetError> {
        check_id(payment_id)?;
        self.get_json(&api::control_payment_path(payment_id))
    }

    /// `POST /v1/control/clock` (sandbox only): moves the sandbox clock.
    pub fn advance_clock(&self, advance_secs: u64) -> Result<ClockResponse, NetError> {
        self.post_json(api::PATH_CONTROL_CLOCK, &ClockAdvance { advance_secs })
    }

    fn request(
        &self,
        method: &'static str,
        path: &str,
        idempotency_key: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response, NetError> {
        self.client.send(&Request {
            method,
            path,
            idempotency_key,
            authorization: None,
            body,
            body_limit: MAX_RESPONSE_BODY_BYTES,
        })
    }

    fn get_json<R: DeserializeOwned>(&self, path: &str) -> Result<R, NetError> {
        decode(self.request("GET", path, None, None)?)
    }

    fn post_json<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, NetError> {
        let bytes = encode(body)?;
        decode(self.request("POST", path, None, Some(&bytes))?)
    }
}

fn check_id(payment_id: &str) -> Result<(), NetError> {
    if api::is_valid_payment_id(payment_id) {
        Ok(())
    } else {
        Err(NetError::InvalidRequest(
            "payment id must be 1-64 characters of [A-Za-z0-9-]".into(),
        ))
    }
}

fn encode<B: Serialize>(body: &B) -> Result<Vec<u8>, NetError> {
    let bytes = serde_json::to_vec(body).map_err(|e| NetError::InvalidRequest(e.to_string()))?;
    if bytes.len() > MAX_REQUEST_BODY_BYTES {
        return Err(NetError::InvalidRequest(format!(
            "body of {} bytes is over {MAX_REQUEST_BODY_BYTES}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// A 200 body as `R`; any other status as [`NetError::Status`].
fn decode<R: DeserializeOwned>(resp: Response) -> Result<R, NetError> {
    if resp.status != 200 {
        return Err(resp.status_error());
    }
    serde_json::from_slice(&resp.body).map_err(|e| NetError::BadBody(e.to_string()))
}

impl Backend for HttpsBackend {
    fn submit(&self, req: &PaymentRequest) -> Result<BackendReply, BackendError> {
        check_id(&req.payment_id)?;
        let body = encode(&PaymentRequestBody::from(req))?;
        let resp = self.request(
            "POST",
            api::PATH_PAYMENTS,
            Some(&req.payment_id),
            Some(&body),
        )?;
        Ok(decode(resp)?)
    }

    fn query(&self, payment_id: &str) -> Result<BackendReply, BackendError> {
        Ok(self.query_payment(payment_id)?)
    }

    fn reverse(&self, payment_id: &str) -> Result<BackendReply, BackendError> {
        Ok(self.reverse_payment(payment_id)?)
    }
}

impl ShortcutsBackend for HttpsBackend {
    fn push_shortcuts(&self, signed: &SignedShortcuts) -> Result<u64, ShortcutPushError> {
        HttpsBackend::push_shortcuts(self, signed).map(|a| a.version)
    }
}

impl PaycodeBackend for HttpsBackend {
    fn provision(&self, req: &ProvisionRequest) -> Result<ProvisionResponse, BackendError> {
        Ok(self.paycode_provision(req)?)
    }

    fn events(&self, after: u64, wait_secs: u64) -> Result<EventsResponse, BackendError> {
        Ok(self.paycode_events(after, wait_secs)?)
    }

    fn confirm(&self, charge_id: &str, req: &ConfirmRequest) -> Result<ChargeEvent, BackendError> {
        let body = encode(req)?;
        Ok(self.paycode_answer(charge_id, &paycode::confirm_path(charge_id), Some(&body))?)
    }

    fn decline(&self, charge_id: &str) -> Result<ChargeEvent, BackendError> {
        Ok(self.paycode_answer(charge_id, &paycode::decline_path(charge_id), None)?)
    }
}
