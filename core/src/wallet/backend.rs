//! The wallet's link to the ScanPay backend, beyond the payment engine's own
//! calls: the stand-in of a wallet opened without a backend, device
//! registration, the health check, and the rule by which a request made
//! outside the engine feeds the connectivity status.

use std::time::Instant;

use super::{Wallet, WalletError};
use crate::net::api::EnrolResponse;
use crate::net::{HttpsBackend, NetError};
use crate::payment::{request_outcome, Backend, BackendError, BackendReply, PaymentRequest};
use crate::status::{RequestOutcome, StatusSnapshot};

/// The engine's backend for a wallet opened without one (an offline-only
/// wallet): nothing is ever sent, and every payment fails as not sent, so it
/// can be retried or cancelled and is never left unclear.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBackend;

const NO_BACKEND: &str = "no backend is configured";

impl Backend for NoBackend {
    fn submit(&self, _: &PaymentRequest) -> Result<BackendReply, BackendError> {
        Err(BackendError::NotSent(NO_BACKEND.into()))
    }
    fn query(&self, _: &str) -> Result<BackendReply, BackendError> {
        Err(BackendError::NotSent(NO_BACKEND.into()))
    }
    fn reverse(&self, _: &str) -> Result<BackendReply, BackendError> {
        Err(BackendError::NotSent(NO_BACKEND.into()))
    }
}

/// What the status monitor learns from one request made outside the payment
/// engine (health probe, registry sync): the engine's own rule, through the
/// same error classification as a payment request (a 4xx is a reply, a pin
/// failure is TLS, a refused connection is unreachable).
pub(super) fn outcome_of<T>(result: &Result<T, NetError>, started: Instant) -> RequestOutcome {
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let classified = result
        .as_ref()
        .map(|_| ())
        .map_err(|e| BackendError::from(e.clone()));
    request_outcome(&classified, latency_ms)
}

/// The status after a health check, and why the probe failed if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendCheck {
    /// The status after the probe's outcome was recorded.
    pub status: StatusSnapshot,
    /// Why the probe failed, if it did (for logs: the status already says
    /// what the UI shows).
    pub problem: Option<NetError>,
}

impl Wallet {
    /// The link to the backend, or [`WalletError::NoBackend`].
    pub(super) fn https(&self) -> Result<&HttpsBackend, WalletError> {
        self.https.as_deref().ok_or(WalletError::NoBackend)
    }

    /// The wallet clock in unix milliseconds (status timestamps).
    pub(super) fn now_ms(&self) -> u64 {
        self.engine.clock().now_millis()
    }

    /// Registers the enrolled device's public key with the backend, with the
    /// enrolment code the user received, together with the wallet's request
    /// key (created now if the wallet has none; it signs the queries and
    /// reversals the engine sends without the PIN, and is kept across a
    /// device-key reset). Registering again with the same code replays the
    /// enrolment and registers a request key a wallet from before request
    /// keys lacks (blocking; asks the platform for the network first).
    pub fn register_device(&self, enrolment_code: &str) -> Result<EnrolResponse, WalletError> {
        let key = self
            .authenticator
            .device_public_key()?
            .ok_or(WalletError::NotEnrolled)?;
        self.refresh_network();
        Ok(self.https()?.enrol(&key, enrolment_code)?)
    }

    /// Probes the backend's health and records the outcome as a probe
    /// (blocking; asks the platform for the network first): a reply is
    /// Online, a refused or unroutable connection Offline, a certificate or
    /// pin failure Degraded(TlsFailure), exactly as a payment request would
    /// count. A failed probe is a status, not an error. After a reply, a
    /// pending shortcut narrowing is sent.
    pub fn check_backend(&self) -> Result<BackendCheck, WalletError> {
        self.refresh_network();
        let https = self.https()?;
        let started = Instant::now();
        let probed = https.health();
        self.status
            .record_probe(outcome_of(&probed, started), self.now_ms());
        if probed.is_ok() {
            // Reachable again: a shortcut narrowing left pending goes now.
            self.retry_shortcut_push();
        }
        Ok(BackendCheck {
            status: self.status.current(),
            problem: probed.err(),
        })
    }
}
