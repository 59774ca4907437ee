//! Deterministic fault injection: for the next N requests of a kind, do X.
//!
//! Rules are kept in the order they were armed. A request takes the first
//! armed rule whose kind matches it (its own kind, or `any`), and that rule's
//! count goes down by one; at zero the rule disarms itself. `tls-handshake`
//! rules count *connections*, whatever their kind: the TLS handshake happens
//! before any request can be classified. Control and merchant routes are
//! never faulted. Faults live in memory only: a restart clears them.

use std::sync::{Mutex, PoisonError};

use scanpay_core::net::api::{Fault, FaultKind, FaultRequest};

/// What a request is, for fault matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
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
    /// Control and merchant routes, and unknown paths: never faulted.
    Exempt,
}

impl RequestKind {
    fn matches(self, kind: FaultKind) -> bool {
        match (kind, self) {
            (_, RequestKind::Exempt) => false,
            (FaultKind::Any, _) => true,
            (FaultKind::Submit, RequestKind::Submit)
            | (FaultKind::Query, RequestKind::Query)
            | (FaultKind::Reverse, RequestKind::Reverse)
            | (FaultKind::Registry, RequestKind::Registry)
            | (FaultKind::Enrol, RequestKind::Enrol)
            | (FaultKind::Health, RequestKind::Health) => true,
            _ => false,
        }
    }
}

/// The armed faults. Shared by the server and the Rust API.
#[derive(Debug, Default)]
pub struct FaultPlan {
    rules: Mutex<Vec<FaultRequest>>,
}

impl FaultPlan {
    /// Arms `rule` (after the ones already armed). A zero count arms nothing.
    pub fn arm(&self, rule: FaultRequest) {
        if rule.count == 0 {
            return;
        }
        self.lock().push(rule);
    }

    /// Disarms every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The rules still armed, with their remaining counts.
    pub fn armed(&self) -> Vec<FaultRequest> {
        self.lock().clone()
    }

    /// The fault for the next request of `kind`, if any (and counts it).
    pub fn take_for_request(&self, kind: RequestKind) -> Option<Fault> {
        self.take(|r| !matches!(r.fault, Fault::TlsHandshake) && kind.matches(r.kind))
    }

    /// Whether the next connection's handshake must fail (and counts it).
    pub fn take_for_connection(&self) -> bool {
        self.take(|r| matches!(r.fault, Fault::TlsHandshake))
            .is_some()
    }

    fn take(&self, pred: impl Fn(&FaultRequest) -> bool) -> Option<Fault> {
        let mut rules = self.lock();
        let pos = rules.iter().position(pred)?;
        let rule = rules.get_mut(pos)?;
        let fault = rule.fault;
        rule.count = rule.count.saturating_sub(1);
        if rule.count == 0 {
            rules.remove(pos);
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRequest>> {
        // A panic elsewhere cannot leave the list half-updated: every change
        // is one push, remove or field write.
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: FaultKind, fault: Fault, count: u32) -> FaultRequest {
        FaultRequest { kind, fault, count }
    }

    #[test]
    fn counts_down_per_kind_in_arming_order() {
        let plan = FaultPlan::default();
        plan.arm(rule(FaultKind::Submit, Fault::DropAfterCommit, 2));
        plan.arm(rule(FaultKind::Any, Fault::Reset, 1));
        assert_eq!(
            plan.take_for_request(RequestKind::Query),
            Some(Fault::Reset)
        );
        assert_eq!(plan.take_for_request(RequestKind::Query), None);
        assert_eq!(
            plan.take_for_request(RequestKind::Submit),
            Some(Fault::DropAfterCommit)
        );
        assert_eq!(
            plan.take_for_request(RequestKind::Submit),
            Some(Fault::DropAfterCommit)
        );
        assert_eq!(plan.take_for_request(RequestKind::Submit), None);
        assert!(plan.armed().is_empty());
    }

    #[test]
    fn exempt_and_handshake_rules_are_separate() {
        let plan = FaultPlan::default();
        plan.arm(rule(FaultKind::Any, Fault::TlsHandshake, 1));
        plan.arm(rule(FaultKind::Any, Fault::Error500BeforeCommit, 1));
        assert_eq!(plan.take_for_request(RequestKind::Exempt), None);
        assert_eq!(
            plan.take_for_request(RequestKind::Health),
            Some(Fault::Error500BeforeCommit)
        );
        assert!(plan.take_for_connection());
        assert!(!plan.take_for_connection());
        plan.arm(rule(FaultKind::Health, Fault::Reset, 0));
        assert!(plan.armed().is_empty());
    }
}
