//! The payment record kept in the journal, and the outcome discipline as a
//! pure state machine.
//!
//! Nothing here does I/O or reads a clock: [`PaymentRecord::next_action`] says
//! what to do next at time `now`, [`PaymentRecord::apply`] folds a backend
//! reply (or error) into the record. The engine ([`super::engine`]) performs
//! the actions and journals every change; tests can drive this module alone.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::auth::{PaymentAuthMethod, SignedAuthorisation};
use crate::money::{Currency, Money};

/// Version of the JSON record format written to the journal.
pub const RECORD_FORMAT: u32 = 1;

/// Longest journal record accepted when reading one back, in bytes. A record
/// is well under 4 KiB; the cap keeps a damaged row from being parsed at length.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Where a payment is. The journal's `state` column holds [`PaymentState::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    /// Authorised while offline, within the offline policy; sent (in order)
    /// when the network returns. Never reached the backend.
    Queued,
    /// A submit is about to be sent or is in flight. After a crash in this
    /// state the payment may or may not have reached the backend.
    Sending,
    /// The first submit failed before anything was sent
    /// ([`BackendError::NotSent`]): the user may retry with the same id, or
    /// cancel.
    NotSent,
    /// The outcome is unclear (timeout, lost response, 5xx, "user paying"):
    /// querying every few seconds within the query window.
    Unknown,
    /// The query window ran out without a clear answer: reversing, with
    /// exponential backoff.
    Reversing,
    /// Paid. Terminal.
    Succeeded,
    /// Refused by the backend (or closed unpaid). Terminal.
    Declined,
    /// Reversed (or never created at the backend): not paid. Terminal.
    Reversed,
    /// Never sent, withdrawn by the user (from [`PaymentState::Queued`] or
    /// [`PaymentState::NotSent`] only, where no request can have reached the
    /// backend). Terminal.
    Cancelled,
    /// Reversal failed every time: the wallet cannot tell whether money moved.
    /// Terminal for the engine; the UI shows the payment id for support.
    NeedsAttention,
}

impl PaymentState {
    /// Every state, in the order of the documentation.
    pub const ALL: [PaymentState; 10] = [
        PaymentState::Queued,
        PaymentState::Sending,
        PaymentState::NotSent,
        PaymentState::Unknown,
        PaymentState::Reversing,
        PaymentState::Succeeded,
        PaymentState::Declined,
        PaymentState::Reversed,
        PaymentState::Cancelled,
        PaymentState::NeedsAttention,
    ];

    /// The journal name ("SENDING", "NEEDS_ATTENTION", …).
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentState::Queued => "QUEUED",
            PaymentState::Sending => "SENDING",
            PaymentState::NotSent => "NOT_SENT",
            PaymentState::Unknown => "UNKNOWN",
            PaymentState::Reversing => "REVERSING",
            PaymentState::Succeeded => "SUCCEEDED",
            PaymentState::Declined => "DECLINED",
            PaymentState::Reversed => "REVERSED",
            PaymentState::Cancelled => "CANCELLED",
            PaymentState::NeedsAttention => "NEEDS_ATTENTION",
        }
    }

    /// Parses a journal name.
    pub fn from_name(name: &str) -> Option<PaymentState> {
        PaymentState::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the engine has nothing left to do (the journal's `resolved`).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PaymentState::Succeeded
                | PaymentState::Declined
                | PaymentState::Reversed
                | PaymentState::Cancelled
                | PaymentState::NeedsAttention
        )
    }

    /// Whether the payment counts against spending limits: everything that
    /// is or may become money moved (so not Declined, Reversed, Cancelled).
    pub fn counts_against_limits(&self) -> bool {
        !matches!(
            self,
            PaymentState::Declined | PaymentState::Reversed | PaymentState::Cancelled
        )
    }
}

/// What the backend says happened, on a submit, query or reverse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum BackendReply {
    /// Paid.
    Succeeded {
        /// The backend's proof of payment.
        receipt: Receipt,
    },
    /// Refused, with the backend's code and message.
    Declined {
        /// Machine-readable decline code.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// The payer's side is still working ("USERPAYING"): unclear.
    Processing,
    /// Closed unpaid by the backend.
    Closed,
    /// Reversed: not paid (any money taken is returned).
    Reversed,
    /// The backend has no payment with this id.
    NotFound,
}

/// Why a backend call did not produce a reply.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "kebab-case")]
pub enum BackendError {
    /// Definitely not sent: no connection, DNS failure, refused before a byte
    /// of the request was written.
    #[error("not sent: {0}")]
    NotSent(String),
    /// Maybe sent: timeout, connection reset after writing, lost response.
    #[error("maybe sent: {0}")]
    MaybeSent(String),
    /// The TLS handshake or the server certificate (pin) failed. Nothing of
    /// the request was sent; reported separately so the status can say "TLS
    /// failure" (a captive portal or an interception proxy).
    #[error("TLS failure: {0}")]
    Tls(String),
    /// An HTTP error status from the server.
    #[error("server error {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Body or reason.
        message: String,
    },
}

impl BackendError {
    /// Whether the request certainly never reached the backend.
    pub fn definitely_not_sent(&self) -> bool {
        matches!(self, BackendError::NotSent(_) | BackendError::Tls(_))
    }

    /// Whether a server status is a clear refusal (a 4xx other than 408
    /// timeout, 409 conflict and 429 throttling, which say nothing final).
    fn is_clear_refusal(&self) -> Option<u16> {
        match self {
            BackendError::Server { status, .. }
                if (400..500).contains(status) && !matches!(status, 408 | 409 | 429) =>
            {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// The backend's proof of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The backend's reference for the payment.
    pub reference: String,
    /// The amount paid.
    pub amount: Money,
    /// When the backend recorded it (unix seconds).
    pub paid_at: u64,
}

/// A decline as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    /// Machine-readable code ("insufficient-funds", "closed", "http-400"…).
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// The amount of a payment, split as the payer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AmountBreakdown {
    /// The transaction amount (EMVCo ID 54 or what the payer entered).
    pub amount: Money,
    /// The tip the payer entered (EMVCo 55 = "01").
    pub tip: Money,
    /// The convenience fee (55 = "02" fixed, 55 = "03" percentage of `amount`).
    pub fee: Money,
    /// `amount + tip + fee`: what is paid and what the UI must echo back.
    pub total: Money,
}

impl AmountBreakdown {
    /// The currency of every part.
    pub fn currency(&self) -> Currency {
        self.total.currency
    }
}

/// Who is paid, as recorded (from the trust verdict, never the printed name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantSummary {
    /// Registered name (or, for an unverified code paid by policy, the
    /// printed name prefixed "(unverified)").
    pub name: String,
    /// Registered city, if known.
    pub city: Option<String>,
    /// The acquirer's merchant id, when verified.
    pub merchant_id: Option<String>,
    /// The signing key id, when verified.
    pub key_id: Option<String>,
    /// The merchant account paid (`"<id>=<raw value>"`).
    pub account: String,
    /// Whether the code verified.
    pub verified: bool,
}

/// One payment as written to the journal (the `record` column, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// [`RECORD_FORMAT`].
    pub format: u32,
    /// UUID v4: the payment's id and idempotency key.
    pub id: String,
    /// Current state.
    pub state: PaymentState,
    /// Who is paid.
    pub merchant: MerchantSummary,
    /// How much.
    pub breakdown: AmountBreakdown,
    /// The scanned payload text exactly as verified.
    pub payload: String,
    /// The signed authorisation: kept so the exact request can be re-sent
    /// with the same id after a restart, without the PIN (it is no secret).
    pub authorisation: SignedAuthorisation,
    /// When the payment was journalled.
    pub created_at: u64,
    /// When it was last changed.
    pub updated_at: u64,
    /// Authorised offline under the offline policy.
    pub offline: bool,
    /// A request may have reached the backend (so "not sent" no longer
    /// proves the payment absent).
    pub maybe_sent: bool,
    /// Submits made so far (the first plus resubmits of the same id).
    pub submits: u32,
    /// When the current send began (starts the query window on the first
    /// unclear result after a restart).
    pub sent_at: Option<u64>,
    /// Start of the unclear period; the query window ends at this plus
    /// [`Timings::query_window_secs`]. Never moved once set.
    pub unknown_since: Option<u64>,
    /// Queries made.
    pub queries: u32,
    /// Reversal attempts made.
    pub reverse_attempts: u32,
    /// When the next query or reversal attempt is due.
    pub next_at: Option<u64>,
    /// The receipt, once [`PaymentState::Succeeded`].
    pub receipt: Option<Receipt>,
    /// The decline, once [`PaymentState::Declined`].
    pub decline: Option<Decline>,
    /// The last transport or server error, for support.
    pub last_error: Option<String>,
}

impl PaymentRecord {
    /// How the payer authorised it (PIN, biometric, PIN-free): the method
    /// in the signed authorisation, so what the backend verified.
    pub fn method(&self) -> PaymentAuthMethod {
        self.authorisation.method
    }
}

/// Timings of the outcome discipline (WeChat Pay / Alipay payment-code rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// Seconds between queries while unknown (the rules say 3–5 s).
    pub query_interval_secs: u64,
    /// How long to query before reversing (about 45 s).
    pub query_window_secs: u64,
    /// Reversal attempts before giving up with NeedsAttention.
    pub reverse_tries: u32,
    /// First reversal backoff; doubles after each failed try.
    pub reverse_backoff_secs: u64,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings {
            query_interval_secs: 5,
            query_window_secs: 45,
            reverse_tries: 6,
            reverse_backoff_secs: 2,
        }
    }
}

/// A backend operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Send the payment (same id every time).
    Submit,
    /// Ask for its outcome.
    Query,
    /// Reverse it.
    Reverse,
}

/// What the engine should do next with a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAction {
    /// Perform this operation now.
    Do(Operation),
    /// Nothing until this time (unix seconds), then ask again.
    WaitUntil(u64),
    /// Queued offline: submit when the network is back.
    WaitForNetwork,
    /// Not sent: the user decides (retry with the same id, or cancel).
    AwaitUser,
    /// Final state: nothing left to do.
    Finished,
}

/// A record operation that is not allowed in the record's state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OutcomeError {
    /// The operation does not belong to this state (e.g. a query reply for a
    /// payment that is not unknown). The record is unchanged.
    #[error("{operation} is not allowed in state {state}")]
    WrongState {
        /// The state.
        state: &'static str,
        /// What was attempted.
        operation: &'static str,
    },
}

impl PaymentRecord {
    /// Serialises the record for the journal.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// Reads a record back from the journal (size-capped first).
    pub fn from_json(bytes: &[u8]) -> Result<PaymentRecord, RecordError> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge(bytes.len()));
        }
        let r: PaymentRecord =
            serde_json::from_slice(bytes).map_err(|e| RecordError::Json(e.to_string()))?;
        if r.format != RECORD_FORMAT {
            return Err(RecordError::Format(r.format));
        }
        Ok(r)
    }

    /// The end of the query window, once the outcome became unclear.
    pub fn query_deadline(&self, t: &Timings) -> Option<u64> {
        self.unknown_since
            .map(|s| s.saturating_add(t.query_window_secs))
    }

    /// What to do next at `now`.
    pub fn next_action(&self, now: u64) -> NextAction {
        let due = |op| match self.next_at {
            Some(at) if at > now => NextAction::WaitUntil(at),
            _ => NextAction::Do(op),
        };
        match self.state {
            PaymentState::Queued => NextAction::WaitForNetwork,
            PaymentState::Sending => NextAction::Do(Operation::Submit),
            PaymentState::NotSent => NextAction::AwaitUser,
            PaymentState::Unknown => due(Operation::Query),
            PaymentState::Reversing => due(Operation::Reverse),
            s if s.is_final() => NextAction::Finished,
            _ => NextAction::Finished,
        }
    }

    fn wrong(&self, operation: &'static str) -> OutcomeError {
        OutcomeError::WrongState {
            state: self.state.as_str(),
            operation,
        }
    }

    /// Starts (or restarts, with the same id) sending: from Queued (network
    /// back) or NotSent (the user chose retry).
    pub fn begin_sending(&mut self, now: u64) -> Result<(), OutcomeError> {
        match self.state {
            PaymentState::Queued | PaymentState::NotSent => {
                self.state = PaymentState::Sending;
                self.sent_at = Some(now);
                self.updated_at = now;
                Ok(())
            }
            _ => Err(self.wrong("begin-sending")),
        }
    }

    /// Withdraws a payment that certainly never reached the backend.
    pub fn cancel(&mut self, now: u64) -> Result<(), OutcomeError> {
        match self.state {
            PaymentState::Queued | PaymentState::NotSent if !self.maybe_sent => {
                self.state = PaymentState::Cancelled;
                self.next_at = None;
                self.updated_at = now;
                Ok(())
            }
            _ => Err(self.wrong("cancel")),
        }
    }

    /// After a restart: a payment found in Sending may have been sent, so it
    /// becomes Unknown, its query window counted from when the send began (a
    /// payment is only ever submitted within that window of its PIN entry or
    /// forwarding; past it, it is reversed). A NotSent payment whose user is
    /// gone is cancelled: it was never sent and nobody confirmed a retry.
    /// Other states are unchanged. Returns whether the record changed.
    pub fn on_restart(&mut self, now: u64) -> bool {
        match self.state {
            PaymentState::Sending => {
                self.maybe_sent = true;
                self.state = PaymentState::Unknown;
                if self.unknown_since.is_none() {
                    self.unknown_since = Some(self.sent_at.unwrap_or(self.updated_at));
                }
                self.next_at = Some(now);
                self.updated_at = now;
                true
            }
            PaymentState::NotSent => self.cancel(now).is_ok(),
            _ => false,
        }
    }

    fn finish_succeeded(&mut self, receipt: &Receipt) {
        self.state = PaymentState::Succeeded;
        self.receipt = Some(receipt.clone());
        self.next_at = None;
    }

    fn finish_declined(&mut self, code: &str, message: &str) {
        self.state = PaymentState::Declined;
        self.decline = Some(Decline {
            code: code.to_string(),
            message: message.to_string(),
        });
        self.next_at = None;
    }

    fn finish(&mut self, state: PaymentState) {
        self.state = state;
        self.next_at = None;
    }

    fn become_unknown(&mut self, now: u64, t: &Timings) {
        self.state = PaymentState::Unknown;
        let since = *self.unknown_since.get_or_insert(now);
        let deadline = since.saturating_add(t.query_window_secs);
        if now >= deadline {
            self.start_reversing(now);
        } else {
            self.next_at = Some(now.saturating_add(t.query_interval_secs).min(deadline));
        }
    }

    fn start_reversing(&mut self, now: u64) {
        self.state = PaymentState::Reversing;
        self.next_at = Some(now);
    }

    /// Folds the result of `op` (performed at `now`) into the record.
    ///
    /// | state | result | next state |
    /// |---|---|---|
    /// | Sending | Succeeded / Declined / Closed / Reversed | Succeeded / Declined / Declined / Reversed |
    /// | Sending | NotSent, TLS, never maybe-sent | NotSent (Queued if offline) |
    /// | Sending | anything else unclear | Unknown |
    /// | Unknown | clear answer | its final state |
    /// | Unknown | NotFound, window open | Sending (resubmit, same id) |
    /// | Unknown | unclear, window open | Unknown (next query) |
    /// | Unknown | unclear or NotFound, window over | Reversing |
    /// | Reversing | Reversed / Closed / NotFound | Reversed |
    /// | Reversing | Succeeded (paid after all) / Declined | Succeeded / Declined |
    /// | Reversing | unclear, tries left | Reversing (backoff) |
    /// | Reversing | unclear, last try | NeedsAttention |
    pub fn apply(
        &mut self,
        op: Operation,
        result: &Result<BackendReply, BackendError>,
        now: u64,
        t: &Timings,
    ) -> Result<(), OutcomeError> {
        match (op, self.state) {
            (Operation::Submit, PaymentState::Sending) => self.apply_submit(result, now, t),
            (Operation::Query, PaymentState::Unknown) => self.apply_query(result, now, t),
            (Operation::Reverse, PaymentState::Reversing) => self.apply_reverse(result, now, t),
            (Operation::Submit, _) => return Err(self.wrong("submit")),
            (Operation::Query, _) => return Err(self.wrong("query")),
            (Operation::Reverse, _) => return Err(self.wrong("reverse")),
        }
        if let Err(e) = result {
            self.last_error = Some(e.to_string().chars().take(200).collect());
        }
        self.updated_at = now;
        Ok(())
    }

    fn apply_submit(&mut self, result: &Result<BackendReply, BackendError>, now: u64, t: &Timings) {
        self.submits = self.submits.saturating_add(1);
        match result {
            Err(e) if e.definitely_not_sent() && !self.maybe_sent => {
                self.state = if self.offline {
                    PaymentState::Queued
                } else {
                    PaymentState::NotSent
                };
                self.next_at = None;
                return;
            }
            _ => {}
        }
        self.maybe_sent = true;
        match result {
            Ok(BackendReply::Succeeded { receipt }) => self.finish_succeeded(receipt),
            Ok(BackendReply::Declined { code, message }) => self.finish_declined(code, message),
            Ok(BackendReply::Closed) => self.finish_declined("closed", "closed unpaid"),
            Ok(BackendReply::Reversed) => self.finish(PaymentState::Reversed),
            Ok(BackendReply::Processing | BackendReply::NotFound) => self.become_unknown(now, t),
            Err(e) => match e.is_clear_refusal() {
                Some(status) => {
                    let msg = e.to_string();
                    self.finish_declined(&format!("http-{status}"), &msg);
                }
                None => self.become_unknown(now, t),
            },
        }
    }

    fn apply_query(&mut self, result: &Result<BackendReply, BackendError>, now: u64, t: &Timings) {
        self.queries = self.queries.saturating_add(1);
        let deadline = self
            .query_deadline(t)
            .unwrap_or_else(|| now.saturating_add(t.query_window_secs));
        match result {
            Ok(BackendReply::Succeeded { receipt }) => self.finish_succeeded(receipt),
            Ok(BackendReply::Declined { code, message }) => self.finish_declined(code, message),
            Ok(BackendReply::Closed) => self.finish_declined("closed", "closed unpaid"),
            Ok(BackendReply::Reversed) => self.finish(PaymentState::Reversed),
            Ok(BackendReply::NotFound) if now < deadline => {
                // The submit never arrived: send it again with the same id
                // (idempotent), still inside the same window.
                self.state = PaymentState::Sending;
                self.next_at = None;
            }
            _ if now >= deadline => self.start_reversing(now),
            _ => {
                self.next_at = Some(now.saturating_add(t.query_interval_secs).min(deadline));
            }
        }
    }

    fn apply_reverse(
        &mut self,
        result: &Result<BackendReply, BackendError>,
        now: u64,
        t: &Timings,
    ) {
        match result {
            Ok(BackendReply::Reversed | BackendReply::Closed | BackendReply::NotFound) => {
                self.finish(PaymentState::Reversed)
            }
            // Paid between the last query and the reverse, on a backend that
            // cannot refund: it says so, and the payment stands. (The /v1
            // backend refunds instead and answers Reversed, handled above.)
            Ok(BackendReply::Succeeded { receipt }) => self.finish_succeeded(receipt),
            Ok(BackendReply::Declined { code, message }) => self.finish_declined(code, message),
            Ok(BackendReply::Processing) | Err(_) => {
                self.reverse_attempts = self.reverse_attempts.saturating_add(1);
                if self.reverse_attempts >= t.reverse_tries {
                    self.finish(PaymentState::NeedsAttention);
                } else {
                    let shift = self.reverse_attempts.saturating_sub(1).min(20);
                    let wait = t.reverse_backoff_secs.saturating_mul(1u64 << shift);
                    self.next_at = Some(now.saturating_add(wait));
                }
            }
        }
    }
}

/// A journal record that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    /// Larger than [`MAX_RECORD_BYTES`].
    #[error("payment record is {0} bytes, over the limit")]
    TooLarge(usize),
    /// Not valid JSON for a record.
    #[error("payment record is not valid: {0}")]
    Json(String),
    /// Written by another record format.
    #[error("payment record format {0} is not supported")]
    Format(u32),
}
