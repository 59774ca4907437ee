//! [`HttpsBackend`]: the payment engine's [`Backend`] over the `/v1` API, plus
//! the other wallet calls (health, enrolment, registry sync) and the
//! sandbox-only helpers the demo and tests use.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::api::{
    self, ClockAdvance, ClockResponse, ControlAck, ControlPayment, CreateOrderRequest,
    CreateOrderResponse, EnrolRequest, EnrolResponse, FaultRequest, HealthResponse,
    PaymentRequestBody, MAX_REGISTRY_BODY_BYTES, MAX_REQUEST_BODY_BYTES, MAX_RESPONSE_BODY_BYTES,
};
use super::client::{HttpsClient, NetError, NetStats, Request, Response};
use super::config::{ClientConfig, ConfigError};
use crate::payment::record::{BackendError, BackendReply};
use crate::payment::{Backend, PaymentRequest};

/// The backend over HTTPS (rustls, TLS 1.3, pinned), with a keep-alive pool.
///
/// Every method blocks for up to the connect timeout plus the read timeout:
/// never call one on a UI thread (the bindings run them on a worker thread
/// and expose them as async functions). It is `Send + Sync`: concurrent
/// calls use separate pooled connections.
#[derive(Debug)]
pub struct HttpsBackend {
    client: HttpsClient,
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
        })
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

    /// `POST /v1/devices`: enrols the device's Ed25519 public key.
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
        let body = EnrolRequest {
            public_key: URL_SAFE_NO_PAD.encode(device_public_key),
            enrolment_code: enrolment_code.to_string(),
        };
        self.post_json(api::PATH_DEVICES, &body)
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
        check_id(payment_id)?;
        Ok(self.get_json(&api::payment_path(payment_id))?)
    }

    fn reverse(&self, payment_id: &str) -> Result<BackendReply, BackendError> {
        check_id(payment_id)?;
        let resp = self.request("POST", &api::reverse_path(payment_id), None, None)?;
        Ok(decode(resp)?)
    }
}
