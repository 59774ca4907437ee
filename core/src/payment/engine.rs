//! The payment engine: journals first, then talks to the backend by the
//! outcome discipline in [`super::record`], journalling every change.
//!
//! Every call here blocks (network calls and the waits between queries);
//! the bindings run it on a background thread. Waiting goes through the
//! injected [`Clock`], so tests run 45 seconds of querying in microseconds.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use thiserror::Error;

use super::clock::Clock;
use super::config::{WalletConfig, DAILY_WINDOW_SECS};
use super::record::{
    AmountBreakdown, BackendError, BackendReply, MerchantSummary, NextAction, Operation,
    OutcomeError, PaymentRecord, PaymentState, RecordError, RECORD_FORMAT,
};
use crate::auth::{PaymentAuthMethod, SignedAuthorisation};
use crate::money::{Currency, Money, MoneyError};
use crate::status::{RequestOutcome, StatusMonitor};
use crate::store::{PaymentRow, Store, StoreError, Transition};

/// The backend, reached through a trait: the HTTPS client comes with the
/// backend issue; tests use a scripted double.
///
/// Contract for implementations: `submit` is idempotent per
/// `payment_id` (the first result is stored and replayed; the same id with
/// other parameters is an error); `reverse` of an id the backend never saw
/// records a tombstone so a late-arriving submit with that id is refused;
/// `reverse` of a completed payment refunds it and answers
/// [`BackendReply::Reversed`] (the `/v1` API in `docs/api.md`), or, on a
/// backend that cannot refund, answers [`BackendReply::Succeeded`]. The engine
/// accepts either and ends the payment `REVERSED` or `SUCCEEDED` to match.
pub trait Backend: Send + Sync {
    /// Sends the payment.
    fn submit(&self, req: &PaymentRequest) -> Result<BackendReply, BackendError>;
    /// Asks for its outcome.
    fn query(&self, payment_id: &str) -> Result<BackendReply, BackendError>;
    /// Reverses it (cancel if unpaid, refund if paid-and-reversible).
    fn reverse(&self, payment_id: &str) -> Result<BackendReply, BackendError>;
}

/// What is sent to the backend. The same bytes for every submit of one id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentRequest {
    /// The payment id: the idempotency key.
    pub payment_id: String,
    /// The PIN-proving signature over the payment's terms.
    pub authorisation: SignedAuthorisation,
    /// The scanned merchant payload, exactly as verified.
    pub payload: String,
    /// The amounts (the total equals the signed amount).
    pub breakdown: AmountBreakdown,
}

/// A payment ready to be journalled: authorised, not yet sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// Its id (from [`PaymentEngine::new_payment_id`]).
    pub id: String,
    /// Who is paid.
    pub merchant: MerchantSummary,
    /// How much.
    pub breakdown: AmountBreakdown,
    /// The scanned payload text.
    pub payload: String,
    /// The signed authorisation.
    pub authorisation: SignedAuthorisation,
}

/// Why a payment cannot be made or driven.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    /// The journal failed; nothing was sent that is not journalled.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A journal record cannot be read.
    #[error("payment {id}: {source}")]
    Record {
        /// Payment id.
        id: String,
        /// What is wrong with the stored record (too large, unreadable JSON,
        /// an unknown format).
        source: RecordError,
    },
    /// A record could not be serialised (never expected).
    #[error("payment record could not be written: {0}")]
    Serialise(String),
    /// No payment with this id.
    #[error("payment {0} not found")]
    NotFound(String),
    /// The operation does not fit the payment's state.
    #[error(transparent)]
    WrongState(#[from] OutcomeError),
    /// No secure randomness for a payment id.
    #[error("the system random generator failed")]
    Random,
    /// The currency has no configured limits, so it cannot be paid in.
    #[error("payments in {0} are not enabled in this wallet")]
    CurrencyNotAllowed(Currency),
    /// Over the per-payment limit.
    #[error("the total is over the per-payment limit of {limit}")]
    PerPaymentLimit {
        /// The limit.
        limit: Money,
    },
    /// Over the rolling 24-hour limit.
    #[error("the total would exceed the daily limit of {limit} ({spent} already spent)")]
    DailyLimit {
        /// The limit.
        limit: Money,
        /// Spent in the last 24 hours (pending payments included).
        spent: Money,
    },
    /// Offline, and the offline policy does not allow payments.
    #[error("you are offline; payments need a connection")]
    OfflineNotAllowed,
    /// Offline, over the offline per-payment limit.
    #[error("you are offline; offline payments are limited to {limit}")]
    OfflinePerPaymentLimit {
        /// The limit.
        limit: Money,
    },
    /// Offline, the queued offline payments would exceed their total limit.
    #[error("you are offline; the offline total of {limit} would be exceeded ({queued} queued)")]
    OfflineTotalLimit {
        /// The limit.
        limit: Money,
        /// Already queued.
        queued: Money,
    },
    /// Amount arithmetic overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A PIN-free payment while offline: it is never queued (ADR 0022 §4);
    /// confirm with the PIN instead.
    #[error("you are offline; a payment without the PIN needs a connection")]
    PinFreeOffline,
}

/// The result of [`PaymentEngine::resume_all`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumeReport {
    /// Every unresolved payment found, as it stands after being driven.
    pub payments: Vec<PaymentRecord>,
    /// Payments that could not be read or driven, with why (the others were
    /// still driven: one bad row never blocks the rest).
    pub failures: Vec<(String, EngineError)>,
}

/// Hard cap on steps in one `drive`, against a misbehaving clock or backend:
/// past it the payment is left as journalled (resumable), never dropped.
const MAX_STEPS: u32 = 10_000;

/// The engine. `Send + Sync`; share it in an `Arc`.
pub struct PaymentEngine {
    store: Store,
    backend: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    config: WalletConfig,
    status: StatusMonitor,
    /// Payments being driven, and by which thread: a second driver of the
    /// same payment waits for the first instead of racing it.
    active: Active,
}

/// The payments being driven (id → driving thread), and a signal for the
/// drivers waiting on one of them.
#[derive(Default)]
struct Active {
    drivers: Mutex<HashMap<String, ThreadId>>,
    released: Condvar,
}

/// How often a waiting driver looks at the journal to report the other
/// driver's progress to its own listener.
const WAIT_POLL: Duration = Duration::from_millis(200);

enum Claim<'a> {
    Claimed(ActiveGuard<'a>),
    /// This very thread is driving it (a progress callback re-entered).
    HeldByThisThread,
    HeldElsewhere,
}

impl std::fmt::Debug for PaymentEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentEngine")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct ActiveGuard<'a> {
    active: &'a Active,
    id: String,
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.active
            .drivers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
        self.active.released.notify_all();
    }
}

fn describe(op: Operation, result: &Result<BackendReply, BackendError>) -> String {
    let op = match op {
        Operation::Submit => "submit",
        Operation::Query => "query",
        Operation::Reverse => "reverse",
    };
    let what = match result {
        Ok(BackendReply::Succeeded { receipt }) => format!("succeeded ({})", receipt.reference),
        Ok(BackendReply::Declined { code, .. }) => format!("declined ({code})"),
        Ok(BackendReply::Processing) => "processing".into(),
        Ok(BackendReply::Closed) => "closed".into(),
        Ok(BackendReply::Reversed) => "reversed".into(),
        Ok(BackendReply::NotFound) => "not found".into(),
        Err(e) => e.to_string(),
    };
    format!("{op}: {what}").chars().take(500).collect()
}

/// What the connectivity status learns from one backend request that took
/// `latency_ms`: the engine reports every payment request with it, and the
/// bindings their health probes and registry syncs, so all requests count
/// alike.
pub fn request_outcome<T>(result: &Result<T, BackendError>, latency_ms: u64) -> RequestOutcome {
    match result {
        Ok(_) => RequestOutcome::Replied { latency_ms },
        Err(BackendError::NotSent(_)) => RequestOutcome::Unreachable,
        Err(BackendError::MaybeSent(_)) => RequestOutcome::Timeout,
        Err(BackendError::Tls(_)) => RequestOutcome::Tls,
        Err(BackendError::Server { status, .. }) if *status >= 500 => RequestOutcome::ServerError,
        // A 4xx is a reply: the backend is up and answering.
        Err(BackendError::Server { .. }) => RequestOutcome::Replied { latency_ms },
    }
}

impl PaymentEngine {
    /// An engine over the journal `store`, reaching `backend`, waiting on
    /// `clock`, reporting every request to `status`.
    pub fn new(
        store: Store,
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
        config: WalletConfig,
        status: StatusMonitor,
    ) -> PaymentEngine {
        PaymentEngine {
            store,
            backend,
            clock,
            config,
            status,
            active: Active::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &WalletConfig {
        &self.config
    }

    /// The journal.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The connectivity monitor.
    pub fn status(&self) -> &StatusMonitor {
        &self.status
    }

    /// Mints a fresh payment id: a UUID v4 from the system's secure random
    /// generator. Called once per payment attempt; an unresolved payment keeps
    /// its id for every resend.
    pub fn new_payment_id() -> Result<String, EngineError> {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 16];
        ring::rand::SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| EngineError::Random)?;
        Ok(uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string())
    }

    /// Whether the status says Offline.
    pub fn is_offline(&self) -> bool {
        self.status.current().connectivity.is_offline()
    }

    fn parse(row: &PaymentRow) -> Result<PaymentRecord, EngineError> {
        let rec = PaymentRecord::from_json(&row.record).map_err(|source| EngineError::Record {
            id: row.id.clone(),
            source,
        })?;
        if rec.state.as_str() != row.state || rec.id != row.id {
            return Err(EngineError::Record {
                id: row.id.clone(),
                source: RecordError::Json(format!(
                    "row state {:?} disagrees with record state {:?}",
                    row.state,
                    rec.state.as_str()
                )),
            });
        }
        Ok(rec)
    }

    /// A payment's record, if journalled.
    pub fn payment(&self, id: &str) -> Result<Option<PaymentRecord>, EngineError> {
        self.store
            .payment(id)?
            .as_ref()
            .map(Self::parse)
            .transpose()
    }

    /// Payments not yet resolved.
    pub fn pending_count(&self) -> Result<u32, EngineError> {
        let n = self.store.unresolved_count()?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Total of payments in `currency` created since `since` that count
    /// against limits (not declined, reversed or cancelled).
    pub fn spent_since(&self, currency: Currency, since: u64) -> Result<Money, EngineError> {
        let mut sum = Money::zero(currency);
        for row in self.store.payments_since(since)? {
            let rec = Self::parse(&row)?;
            if rec.breakdown.currency() == currency && rec.state.counts_against_limits() {
                sum = sum.checked_add(rec.breakdown.total)?;
            }
        }
        Ok(sum)
    }

    /// PIN-free payments in `currency` created since `since` that count
    /// against limits (not declined, reversed or cancelled): how many, and
    /// their total (the PIN-free daily count and total, ADR 0022 §4).
    pub fn pin_free_since(
        &self,
        currency: Currency,
        since: u64,
    ) -> Result<(u32, Money), EngineError> {
        let mut count = 0u32;
        let mut sum = Money::zero(currency);
        for row in self.store.payments_since(since)? {
            let rec = Self::parse(&row)?;
            if rec.authorisation.method == PaymentAuthMethod::PinFree
                && rec.breakdown.currency() == currency
                && rec.state.counts_against_limits()
            {
                count = count.saturating_add(1);
                sum = sum.checked_add(rec.breakdown.total)?;
            }
        }
        Ok((count, sum))
    }

    /// Whether a payment to merchant `account` created at or before `until`
    /// succeeded (the PIN-free rule "the merchant is not new"). One probe of
    /// the journal's merchant index; only the succeeded payments the index
    /// could not hold (records the store could not read, none in a journal
    /// this module wrote) are decoded, as every one was before the index.
    pub fn merchant_paid_until(&self, account: &str, until: u64) -> Result<bool, EngineError> {
        let succeeded = PaymentState::Succeeded.as_str();
        // An account too long for the index was never written to it: it can
        // only be among the unindexed rows below.
        if account.len() <= crate::store::MAX_MERCHANT_ACCOUNT_BYTES
            && self.store.merchant_paid_until(account, succeeded, until)?
        {
            return Ok(true);
        }
        for row in self
            .store
            .unindexed_payments_in_state_until(succeeded, until)?
        {
            if Self::parse(&row)?.merchant.account == account {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Total of payments in `currency` queued offline.
    pub fn queued_total(&self, currency: Currency) -> Result<Money, EngineError> {
        let mut sum = Money::zero(currency);
        for row in self.store.unresolved_payments()? {
            let rec = Self::parse(&row)?;
            if rec.state == PaymentState::Queued && rec.breakdown.currency() == currency {
                sum = sum.checked_add(rec.breakdown.total)?;
            }
        }
        Ok(sum)
    }

    /// Checks a total against the configured limits at `now`, as an online
    /// or an offline payment.
    pub fn check_limits(&self, total: Money, offline: bool, now: u64) -> Result<(), EngineError> {
        let currency = total.currency;
        let limits = self
            .config
            .limits_for(currency)
            .ok_or(EngineError::CurrencyNotAllowed(currency))?;
        if total.minor > limits.per_payment {
            return Err(EngineError::PerPaymentLimit {
                limit: Money::new(limits.per_payment, currency),
            });
        }
        let spent = self.spent_since(currency, now.saturating_sub(DAILY_WINDOW_SECS))?;
        if spent.minor.saturating_add(total.minor) > limits.daily {
            return Err(EngineError::DailyLimit {
                limit: Money::new(limits.daily, currency),
                spent,
            });
        }
        if offline {
            if !self.config.offline.allowed {
                return Err(EngineError::OfflineNotAllowed);
            }
            if total.minor > limits.offline_per_payment {
                return Err(EngineError::OfflinePerPaymentLimit {
                    limit: Money::new(limits.offline_per_payment, currency),
                });
            }
            let queued = self.queued_total(currency)?;
            if queued.minor.saturating_add(total.minor) > limits.offline_total {
                return Err(EngineError::OfflineTotalLimit {
                    limit: Money::new(limits.offline_total, currency),
                    queued,
                });
            }
        }
        Ok(())
    }

    /// Journals an authorised payment **before anything is sent**: as
    /// [`PaymentState::Sending`] when online, [`PaymentState::Queued`] when
    /// offline (if the offline policy allows it). Limits are checked again
    /// here, authoritatively, and a PIN-free payment is refused while
    /// offline ([`EngineError::PinFreeOffline`]: it is never queued). A
    /// second call with the same id fails with [`StoreError::Duplicate`]:
    /// ids are never re-minted or reused.
    pub fn journal(&self, new: NewPayment) -> Result<PaymentRecord, EngineError> {
        let now = self.clock.now();
        let offline = self.is_offline();
        if offline && new.authorisation.method == PaymentAuthMethod::PinFree {
            return Err(EngineError::PinFreeOffline);
        }
        self.check_limits(new.breakdown.total, offline, now)?;
        let state = if offline {
            PaymentState::Queued
        } else {
            PaymentState::Sending
        };
        let rec = PaymentRecord {
            format: RECORD_FORMAT,
            id: new.id,
            state,
            merchant: new.merchant,
            breakdown: new.breakdown,
            payload: new.payload,
            authorisation: new.authorisation,
            created_at: now,
            updated_at: now,
            offline,
            maybe_sent: false,
            submits: 0,
            sent_at: (!offline).then_some(now),
            unknown_since: None,
            queries: 0,
            reverse_attempts: 0,
            next_at: None,
            receipt: None,
            decline: None,
            last_error: None,
        };
        let json = rec
            .to_json()
            .map_err(|e| EngineError::Serialise(e.to_string()))?;
        self.store.insert_payment(&PaymentRow {
            id: rec.id.clone(),
            state: state.as_str().to_string(),
            record: json,
            created_at: now,
            updated_at: now,
            resolved: false,
        })?;
        self.publish_pending();
        Ok(rec)
    }

    fn publish_pending(&self) {
        // The count is for display; a journal error here must not fail a
        // payment that is already safely journalled.
        if let Ok(n) = self.pending_count() {
            self.status.set_pending_payments(n, self.clock.now_millis());
        }
    }

    fn commit(
        &self,
        from: PaymentState,
        rec: &PaymentRecord,
        detail: &str,
    ) -> Result<(), EngineError> {
        let json = rec
            .to_json()
            .map_err(|e| EngineError::Serialise(e.to_string()))?;
        self.store.transition(&Transition {
            id: &rec.id,
            from: from.as_str(),
            to: rec.state.as_str(),
            record: &json,
            resolved: rec.state.is_final(),
            at: rec.updated_at,
            detail,
        })?;
        if from.is_final() != rec.state.is_final() || from == PaymentState::Queued {
            self.publish_pending();
        }
        Ok(())
    }

    fn load(&self, id: &str) -> Result<PaymentRecord, EngineError> {
        self.payment(id)?
            .ok_or_else(|| EngineError::NotFound(id.to_string()))
    }

    fn claim(&self, id: &str) -> Claim<'_> {
        let me = std::thread::current().id();
        let mut drivers = self
            .active
            .drivers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match drivers.get(id) {
            Some(owner) if *owner == me => Claim::HeldByThisThread,
            Some(_) => Claim::HeldElsewhere,
            None => {
                drivers.insert(id.to_string(), me);
                Claim::Claimed(ActiveGuard {
                    active: &self.active,
                    id: id.to_string(),
                })
            }
        }
    }

    /// Waits until no other thread drives `id`, reporting the journalled
    /// changes it makes to `progress` meanwhile (the waiting caller's screen
    /// moves with the payment instead of freezing on a stale state).
    fn wait_for_other_driver(
        &self,
        id: &str,
        progress: &mut dyn FnMut(&PaymentRecord),
    ) -> Result<(), EngineError> {
        let mut seen: Option<(PaymentState, u64)> = None;
        loop {
            {
                let drivers = self
                    .active
                    .drivers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if !drivers.contains_key(id) {
                    return Ok(());
                }
                let (drivers, _) = self
                    .active
                    .released
                    .wait_timeout(drivers, WAIT_POLL)
                    .unwrap_or_else(PoisonError::into_inner);
                if !drivers.contains_key(id) {
                    return Ok(());
                }
            }
            let rec = self.load(id)?;
            if seen != Some((rec.state, rec.updated_at)) {
                seen = Some((rec.state, rec.updated_at));
                progress(&rec);
            }
        }
    }

    /// Drives a payment until it is final, waits for the user (NotSent), or
    /// waits for the network (Queued while offline). Blocks through queries
    /// and reversal backoff. `progress` sees the record after every journalled
    /// change.
    ///
    /// One thread drives a payment at a time. If another thread of this
    /// process is driving it (the resume at start, forwarding, a second flow
    /// opened from the history), this call waits for that driver to stop,
    /// passing its journalled changes to `progress`, then carries on from
    /// where it left off — so every caller ends with the same settled record,
    /// never a stale in-flight one. A re-entrant call from this thread's own
    /// `progress` returns the current record at once.
    pub fn drive(
        &self,
        id: &str,
        progress: &mut dyn FnMut(&PaymentRecord),
    ) -> Result<PaymentRecord, EngineError> {
        let _guard = loop {
            match self.claim(id) {
                Claim::Claimed(guard) => break guard,
                Claim::HeldByThisThread => return self.load(id),
                Claim::HeldElsewhere => self.wait_for_other_driver(id, progress)?,
            }
        };
        let mut rec = self.load(id)?;
        let t = self.config.timings;
        let max_wait = t
            .query_interval_secs
            .max(t.reverse_backoff_secs.saturating_mul(1 << 10))
            .max(1);
        for _ in 0..MAX_STEPS {
            let now = self.clock.now();
            match rec.next_action(now) {
                NextAction::Finished | NextAction::AwaitUser => return Ok(rec),
                NextAction::WaitForNetwork => {
                    if self.is_offline() {
                        return Ok(rec);
                    }
                    let before = rec.state;
                    rec.begin_sending(now)?;
                    self.commit_or_reload(before, &mut rec, "forwarding queued payment")?;
                    progress(&rec);
                }
                NextAction::WaitUntil(at) => {
                    // Bounded, so a clock set far back cannot park a payment.
                    self.clock.sleep(at.saturating_sub(now).min(max_wait));
                }
                NextAction::Do(op) => {
                    let started = self.clock.now_millis();
                    let result = match op {
                        Operation::Submit => self.backend.submit(&PaymentRequest {
                            payment_id: rec.id.clone(),
                            authorisation: rec.authorisation.clone(),
                            payload: rec.payload.clone(),
                            breakdown: rec.breakdown,
                        }),
                        Operation::Query => self.backend.query(&rec.id),
                        Operation::Reverse => self.backend.reverse(&rec.id),
                    };
                    let done = self.clock.now_millis();
                    self.status.record_request(
                        request_outcome(&result, done.saturating_sub(started)),
                        done,
                    );
                    let before = rec.state;
                    rec.apply(op, &result, self.clock.now(), &t)?;
                    self.commit_or_reload(before, &mut rec, &describe(op, &result))?;
                    progress(&rec);
                    if rec.state == PaymentState::Queued {
                        // Forwarding found the backend still unreachable: keep
                        // it queued (in order) until the network is back,
                        // rather than spinning while the status catches up.
                        return Ok(rec);
                    }
                }
            }
        }
        Ok(rec)
    }

    /// Journals a change; if another process moved the payment meanwhile
    /// (compare-and-set conflict), adopts the journal's record instead.
    fn commit_or_reload(
        &self,
        from: PaymentState,
        rec: &mut PaymentRecord,
        detail: &str,
    ) -> Result<(), EngineError> {
        match self.commit(from, rec, detail) {
            Err(EngineError::Store(StoreError::Conflict { .. })) => {
                *rec = self.load(&rec.id)?;
                Ok(())
            }
            other => other,
        }
    }

    /// Journals then drives a new payment: [`PaymentEngine::journal`] followed
    /// by [`PaymentEngine::drive`].
    pub fn pay(
        &self,
        new: NewPayment,
        progress: &mut dyn FnMut(&PaymentRecord),
    ) -> Result<PaymentRecord, EngineError> {
        let rec = self.journal(new)?;
        progress(&rec);
        self.drive(&rec.id, progress)
    }

    /// Prepares a NotSent payment to be sent again with the same id (the user
    /// chose retry): journals NotSent → Sending. Then call
    /// [`PaymentEngine::drive`].
    pub fn retry(&self, id: &str) -> Result<PaymentRecord, EngineError> {
        let mut rec = self.load(id)?;
        let before = rec.state;
        if before != PaymentState::NotSent {
            return Err(EngineError::WrongState(OutcomeError::WrongState {
                state: before.as_str(),
                operation: "retry",
            }));
        }
        rec.begin_sending(self.clock.now())?;
        self.commit(before, &rec, "retry (same id)")?;
        Ok(rec)
    }

    /// Withdraws a payment that never reached the backend (Queued or NotSent).
    pub fn cancel(&self, id: &str) -> Result<PaymentRecord, EngineError> {
        let mut rec = self.load(id)?;
        let before = rec.state;
        rec.cancel(self.clock.now())?;
        self.commit(before, &rec, "cancelled by the user (never sent)")?;
        Ok(rec)
    }

    /// On start: takes every unresolved payment from the journal and drives
    /// it to an end (or, for payments queued offline while still offline,
    /// leaves it queued). Sending becomes Unknown (it may have been sent);
    /// NotSent is cancelled (never sent, and the user who could retry it is
    /// gone). Oldest first, so queued payments are forwarded in order.
    pub fn resume_all(&self) -> ResumeReport {
        let mut report = ResumeReport::default();
        let rows = match self.store.unresolved_payments() {
            Ok(rows) => rows,
            Err(e) => {
                report.failures.push((String::new(), e.into()));
                return report;
            }
        };
        let mut queue_blocked = false;
        for row in rows {
            match self.resume_one(&row, queue_blocked) {
                Ok(rec) => {
                    if rec.state == PaymentState::Queued {
                        queue_blocked = true;
                    }
                    report.payments.push(rec);
                }
                Err(e) => report.failures.push((row.id.clone(), e)),
            }
        }
        self.publish_pending();
        report
    }

    fn resume_one(
        &self,
        row: &PaymentRow,
        queue_blocked: bool,
    ) -> Result<PaymentRecord, EngineError> {
        let mut rec = Self::parse(row)?;
        let before = rec.state;
        if rec.on_restart(self.clock.now()) {
            self.commit_or_reload(before, &mut rec, "resumed after restart")?;
        }
        if rec.state == PaymentState::Queued && queue_blocked {
            return Ok(rec);
        }
        self.drive(&rec.id, &mut |_| {})
    }

    /// The network is back: forwards queued payments in order (oldest
    /// first), stopping at the first that cannot be sent.
    pub fn forward_queued(&self) -> Result<Vec<PaymentRecord>, EngineError> {
        let mut out = Vec::new();
        for row in self.store.unresolved_payments()? {
            let rec = Self::parse(&row)?;
            if rec.state != PaymentState::Queued {
                continue;
            }
            let rec = self.drive(&rec.id, &mut |_| {})?;
            let stuck = rec.state == PaymentState::Queued;
            out.push(rec);
            if stuck {
                break;
            }
        }
        Ok(out)
    }
}
