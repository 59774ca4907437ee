//! Deterministic fault injection: for the next N requests of a kind, do X.
//!
//! Rules are kept in the order they were armed. A request takes the first
//! armed rule whose kind matches it (its own kind, or `any`), and that rule's
//! count goes down by one; at zero the rule disarms itself. `tls-handshake`
//! rules count *connections*, whatever their kind: the TLS handshake happens
//! before any request can be classified. `payer-pending` rules are taken
//! only by submits (a query or reverse passes them by), since they change how
//! a first submit is processed. The till's pay-code routes are faulted like
//! the wallet's payment routes (kinds `charge`, `charge-query`,
//! `charge-reverse`, and `any`); control routes, the merchant order routes
//! and the wallet's pay-code routes never are. Faults live in memory only: a restart clears them.

use std::sync::{Mutex, PoisonError};

use scanpay_core::net::api::{Fault, FaultKind, FaultRequest};
use thiserror::Error;

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
    /// `POST /v1/merchant/paycode/charges`.
    Charge,
    /// `GET /v1/merchant/paycode/charges/{out_trade_no}`.
    ChargeQuery,
    /// `POST /v1/merchant/paycode/charges/{out_trade_no}/reverse`.
    ChargeReverse,
    /// Control routes, the merchant order routes, the wallet's pay-code
    /// routes and unknown paths: never faulted.
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
            | (FaultKind::Health, RequestKind::Health)
            | (FaultKind::Charge, RequestKind::Charge)
            | (FaultKind::ChargeQuery, RequestKind::ChargeQuery)
            | (FaultKind::ChargeReverse, RequestKind::ChargeReverse) => true,
            _ => false,
        }
    }
}

/// Whether `fault` can strike a request of `kind` at all (the rule's own
/// kind is matched separately).
fn strikes(fault: Fault, kind: RequestKind) -> bool {
    match fault {
        // Handshakes are faulted per connection, before any request exists.
        Fault::TlsHandshake => false,
        // Deferring the decision only means something for a submit.
        Fault::PayerPending { .. } => kind == RequestKind::Submit,
        _ => true,
    }
}

/// A rule the control API refuses because no request could ever take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RuleError {
    /// `payer-pending` armed for a kind other than `submit` or `any`.
    #[error("payer-pending applies to submits: arm it for kind submit or any, not {0:?}")]
    PayerPendingNotOnSubmit(FaultKind),
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

    /// [`FaultPlan::arm`], refusing a rule no request could ever take (so a
    /// mistyped kind is an error at arming time rather than a fault that
    /// silently never fires). What `POST /v1/control/faults` uses.
    pub fn try_arm(&self, rule: FaultRequest) -> Result<(), RuleError> {
        if matches!(rule.fault, Fault::PayerPending { .. })
            && !matches!(rule.kind, FaultKind::Submit | FaultKind::Any)
        {
            return Err(RuleError::PayerPendingNotOnSubmit(rule.kind));
        }
        self.arm(rule);
        Ok(())
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
        self.take(|r| strikes(r.fault, kind) && kind.matches(r.kind))
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

    #[test]
    fn payer_pending_is_taken_only_by_submits() {
        let plan = FaultPlan::default();
        let pending = Fault::PayerPending { queries: 2 };
        plan.arm(rule(FaultKind::Any, pending, 1));
        assert_eq!(plan.take_for_request(RequestKind::Query), None);
        assert_eq!(plan.take_for_request(RequestKind::Reverse), None);
        assert_eq!(plan.take_for_request(RequestKind::Health), None);
        assert_eq!(plan.armed().first().map(|r| r.count), Some(1));
        assert_eq!(plan.take_for_request(RequestKind::Submit), Some(pending));
        assert!(plan.armed().is_empty());

        assert_eq!(
            plan.try_arm(rule(FaultKind::Query, pending, 1)),
            Err(RuleError::PayerPendingNotOnSubmit(FaultKind::Query))
        );
        assert!(plan.armed().is_empty());
        assert_eq!(plan.try_arm(rule(FaultKind::Submit, pending, 1)), Ok(()));
        assert_eq!(
            plan.try_arm(rule(FaultKind::Query, Fault::Reset, 1)),
            Ok(())
        );
        assert_eq!(plan.armed().len(), 2);
    }
}
