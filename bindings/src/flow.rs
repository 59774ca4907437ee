//! The payment flow: states the UI renders and intents it sends.
//!
//! ```text
//! Scanning ─ScannedText/ScannedCode─▶ ReviewMerchant ─Proceed─▶ EnterAmount | ConfirmAmount
//!   ─Confirm─▶ EnterPin ─6th PinDigit─▶ Processing ─process()─▶ Done | Failed | Pending | NeedsAttention
//! ```
//!
//! `handle` applies one intent at once on the calling thread (the 6th PIN
//! digit derives the PIN key, ~0.15 s, and writes the journal: call it off
//! the UI thread). `process` is async: it runs the network part on a
//! `scanpay-worker` thread, reporting intermediate states to an optional
//! [`FlowListener`]. `state` never blocks, even while processing.

use std::sync::{Arc, Mutex, PoisonError, TryLockError};

use scanpay_core::auth::AuthError;
use scanpay_core::payment::{self as pay, Intent as CoreIntent, PaymentFlow as CoreFlow};

use crate::errors::FlowError;
use crate::platform::{FlowListener, LogLevel};
use crate::scanner::ScannedCode;
use crate::types::{AmountBreakdown, Money, Reason, Receipt, TipRule, Verdict, Warning};
use crate::wallet::Shared;
use crate::worker::run_blocking;
use crate::LiveToken;

/// The merchant as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MerchantReview {
    /// The registered name (verified only): show this as who is paid.
    pub registered_name: Option<String>,
    /// The registered city.
    pub registered_city: Option<String>,
    /// The printed name: never to be shown as who is paid (only as
    /// "unverified: claims to be …").
    pub printed_name: Option<String>,
    /// The full verdict.
    pub verdict: Verdict,
    /// Warnings of a verified code.
    pub warnings: Vec<Warning>,
    /// Dynamic code: the amount cannot be changed.
    pub dynamic: bool,
    /// The amount in the code.
    pub amount: Option<Money>,
    /// The payment currency (ISO 4217 code).
    pub currency: String,
    /// Tip / fee rule.
    pub tip_rule: Option<TipRule>,
    /// Whether the payer may go on.
    pub payable: bool,
    /// Why the code did not verify.
    pub refusal: Option<Reason>,
}

impl From<pay::MerchantReview> for MerchantReview {
    fn from(r: pay::MerchantReview) -> MerchantReview {
        MerchantReview {
            registered_name: r.registered_name,
            registered_city: r.registered_city,
            printed_name: r.printed_name,
            verdict: r.verdict.into(),
            warnings: r.warnings.into_iter().map(Warning::from).collect(),
            dynamic: r.dynamic,
            amount: r.amount.map(Money::from),
            currency: r.currency.code().to_string(),
            tip_rule: r.tip_rule.map(TipRule::from),
            payable: r.payable,
            refusal: r.refusal.map(Reason::from),
        }
    }
}

/// What the processing screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Stage {
    /// Sending.
    Sending,
    /// Outcome unclear: checking.
    Confirming {
        /// Queries so far.
        queries: u32,
    },
    /// No answer in time: cancelling.
    Reversing {
        /// Attempts so far.
        attempts: u32,
    },
}

/// Why a payment is pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PendingReason {
    /// Authorised offline: sent when online.
    QueuedOffline,
    /// Still being resolved (elsewhere, or after a restart).
    Unresolved,
}

/// Why the flow failed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FailureReason {
    /// The backend declined.
    Declined {
        /// Code.
        code: String,
        /// Message.
        message: String,
    },
    /// No clear answer, so it was reversed: nothing was paid.
    Reversed,
    /// Not sent (no connection); nothing was sent.
    NotSent {
        /// Transport detail.
        detail: String,
    },
    /// Could not start (limit, offline policy); nothing journalled or sent.
    NotStarted {
        /// Why.
        message: String,
    },
    /// Too many wrong PINs: wait.
    PinLockedOut {
        /// Next attempt allowed at (unix seconds).
        until: u64,
    },
    /// PIN blocked: re-enrol.
    PinDisabled,
    /// No device key.
    NotEnrolled,
}

/// How the user can retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RetryOption {
    /// Not from this screen.
    None,
    /// Send the same payment again (same id, no PIN).
    SameId,
    /// A new attempt: PIN again, new id.
    NewAttempt,
    /// A new PIN attempt after the wait.
    AfterWait {
        /// When (unix seconds).
        until: u64,
    },
    /// Re-enrol first.
    Reenrol,
}

/// The previous PIN attempt's failure, shown on the PIN pad.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PinProblem {
    /// Wrong PIN.
    WrongPin {
        /// Attempts left.
        attempts_left: u32,
        /// Seconds to wait before the next attempt.
        wait_secs: u64,
    },
    /// Too many wrong PINs.
    LockedOut {
        /// Until (unix seconds).
        until: u64,
        /// Seconds from now.
        retry_after_secs: u64,
    },
    /// Anything else, as a message.
    Other {
        /// For the UI.
        message: String,
    },
}

impl From<AuthError> for PinProblem {
    fn from(e: AuthError) -> PinProblem {
        match e {
            AuthError::WrongPin {
                attempts_left,
                wait_secs,
            } => PinProblem::WrongPin {
                attempts_left,
                wait_secs,
            },
            AuthError::LockedOut {
                until,
                retry_after_secs,
            } => PinProblem::LockedOut {
                until,
                retry_after_secs,
            },
            other => PinProblem::Other {
                message: other.to_string(),
            },
        }
    }
}

/// The state the UI renders.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FlowState {
    /// The camera is on.
    Scanning,
    /// Who is being paid.
    ReviewMerchant {
        /// The merchant.
        review: MerchantReview,
    },
    /// A static code: type the amount (and tip, if asked).
    EnterAmount {
        /// The merchant.
        review: MerchantReview,
        /// Amount text as typed.
        entered: String,
        /// Tip text as typed.
        tip_entered: String,
        /// The amounts, once the text parses.
        breakdown: Option<AmountBreakdown>,
        /// Why the text does not parse (for the UI).
        problem: Option<String>,
    },
    /// A code with an amount: confirm it.
    ConfirmAmount {
        /// The merchant.
        review: MerchantReview,
        /// Tip text as typed.
        tip_entered: String,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// Why the tip text does not parse.
        problem: Option<String>,
    },
    /// The PIN pad: only the digit count is known here.
    EnterPin {
        /// The merchant.
        review: MerchantReview,
        /// The amounts being authorised.
        breakdown: AmountBreakdown,
        /// Digits entered.
        digits: u32,
        /// Offline: the payment will be queued.
        offline: bool,
        /// The previous attempt's failure.
        last_error: Option<PinProblem>,
    },
    /// Money in motion.
    Processing {
        /// Payment id.
        payment_id: String,
        /// Amounts.
        breakdown: AmountBreakdown,
        /// What is happening.
        stage: Stage,
    },
    /// Paid.
    Done {
        /// Payment id.
        payment_id: String,
        /// Who was paid (registered name).
        merchant_name: String,
        /// The receipt.
        receipt: Receipt,
    },
    /// Not finished; the wallet finishes it without the user.
    Pending {
        /// Payment id.
        payment_id: String,
        /// Amounts.
        breakdown: AmountBreakdown,
        /// Why.
        reason: PendingReason,
    },
    /// Not paid.
    Failed {
        /// Payment id, if one was journalled.
        payment_id: Option<String>,
        /// Why.
        reason: FailureReason,
        /// How to retry.
        retry: RetryOption,
    },
    /// The wallet cannot tell whether money moved: show the id and support.
    NeedsAttention {
        /// Payment id.
        payment_id: String,
        /// Amounts.
        breakdown: AmountBreakdown,
    },
}

impl From<pay::FlowState> for FlowState {
    fn from(s: pay::FlowState) -> FlowState {
        use pay::FlowState as S;
        match s {
            S::Scanning => FlowState::Scanning,
            S::ReviewMerchant { review } => FlowState::ReviewMerchant {
                review: review.into(),
            },
            S::EnterAmount {
                review,
                entered,
                tip_entered,
                breakdown,
                problem,
            } => FlowState::EnterAmount {
                review: review.into(),
                entered,
                tip_entered,
                breakdown: breakdown.map(AmountBreakdown::from),
                problem: problem.map(|p| p.to_string()),
            },
            S::ConfirmAmount {
                review,
                tip_entered,
                breakdown,
                problem,
            } => FlowState::ConfirmAmount {
                review: review.into(),
                tip_entered,
                breakdown: breakdown.into(),
                problem: problem.map(|p| p.to_string()),
            },
            S::EnterPin {
                review,
                breakdown,
                digits,
                offline,
                last_error,
            } => FlowState::EnterPin {
                review: review.into(),
                breakdown: breakdown.into(),
                digits: u32::try_from(digits).unwrap_or(u32::MAX),
                offline,
                last_error: last_error.map(PinProblem::from),
            },
            S::Processing {
                payment_id,
                breakdown,
                stage,
            } => FlowState::Processing {
                payment_id,
                breakdown: breakdown.into(),
                stage: match stage {
                    pay::Stage::Sending => Stage::Sending,
                    pay::Stage::Confirming { queries } => Stage::Confirming { queries },
                    pay::Stage::Reversing { attempts } => Stage::Reversing { attempts },
                },
            },
            S::Done {
                payment_id,
                merchant_name,
                receipt,
            } => FlowState::Done {
                payment_id,
                merchant_name,
                receipt: receipt.into(),
            },
            S::Pending {
                payment_id,
                breakdown,
                reason,
            } => FlowState::Pending {
                payment_id,
                breakdown: breakdown.into(),
                reason: match reason {
                    pay::PendingReason::QueuedOffline => PendingReason::QueuedOffline,
                    pay::PendingReason::Unresolved => PendingReason::Unresolved,
                },
            },
            S::Failed {
                payment_id,
                reason,
                retry,
            } => FlowState::Failed {
                payment_id,
                reason: match reason {
                    pay::FailureReason::Declined { code, message } => {
                        FailureReason::Declined { code, message }
                    }
                    pay::FailureReason::Reversed => FailureReason::Reversed,
                    pay::FailureReason::NotSent { detail } => FailureReason::NotSent { detail },
                    pay::FailureReason::NotStarted { message } => {
                        FailureReason::NotStarted { message }
                    }
                    pay::FailureReason::PinLockedOut { until } => {
                        FailureReason::PinLockedOut { until }
                    }
                    pay::FailureReason::PinDisabled => FailureReason::PinDisabled,
                    pay::FailureReason::NotEnrolled => FailureReason::NotEnrolled,
                },
                retry: match retry {
                    pay::RetryOption::None => RetryOption::None,
                    pay::RetryOption::SameId => RetryOption::SameId,
                    pay::RetryOption::NewAttempt => RetryOption::NewAttempt,
                    pay::RetryOption::AfterWait { until } => RetryOption::AfterWait { until },
                    pay::RetryOption::Reenrol => RetryOption::Reenrol,
                },
            },
            S::NeedsAttention {
                payment_id,
                breakdown,
            } => FlowState::NeedsAttention {
                payment_id,
                breakdown: breakdown.into(),
            },
        }
    }
}

/// What the user did.
///
/// `Debug` redacts the digit of `PinDigit` (secrets never reach logs). The
/// generated Kotlin `toString()` and Swift description of `PinDigit` do show
/// it: apps must not log the intents they send (docs/bindings.md).
#[derive(Clone, PartialEq, uniffi::Enum)]
pub enum Intent {
    /// A scanned text (camera, gallery, paste).
    ScannedText {
        /// The text.
        text: String,
    },
    /// A code from the [`crate::scanner::QrScanner`].
    ScannedCode {
        /// The code.
        code: ScannedCode,
    },
    /// Accept the reviewed merchant.
    Proceed,
    /// The amount field's full text (static codes).
    EditAmount {
        /// The text.
        text: String,
    },
    /// The tip field's full text.
    EditTip {
        /// The text.
        text: String,
    },
    /// Confirm, echoing the exact total the UI displayed.
    Confirm {
        /// The total as displayed.
        displayed_total: Money,
    },
    /// A PIN pad key (the digit value 0–9).
    PinDigit {
        /// The digit.
        digit: u8,
    },
    /// The PIN pad's backspace.
    Backspace,
    /// Back out (or close a finished payment).
    Cancel,
    /// Retry after a failure, as the Failed state's `retry` says.
    Retry,
}

impl std::fmt::Debug for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Intent::ScannedText { text } => {
                f.debug_struct("ScannedText").field("text", text).finish()
            }
            Intent::ScannedCode { code } => {
                f.debug_struct("ScannedCode").field("code", code).finish()
            }
            Intent::Proceed => f.write_str("Proceed"),
            Intent::EditAmount { text } => {
                f.debug_struct("EditAmount").field("text", text).finish()
            }
            Intent::EditTip { text } => f.debug_struct("EditTip").field("text", text).finish(),
            Intent::Confirm { displayed_total } => f
                .debug_struct("Confirm")
                .field("displayed_total", displayed_total)
                .finish(),
            Intent::PinDigit { .. } => f.write_str("PinDigit(<redacted>)"),
            Intent::Backspace => f.write_str("Backspace"),
            Intent::Cancel => f.write_str("Cancel"),
            Intent::Retry => f.write_str("Retry"),
        }
    }
}

impl TryFrom<Intent> for CoreIntent {
    type Error = FlowError;
    fn try_from(i: Intent) -> Result<CoreIntent, FlowError> {
        Ok(match i {
            Intent::ScannedText { text } => CoreIntent::ScannedText(text),
            Intent::ScannedCode { code } => CoreIntent::ScannedCode((&code).into()),
            Intent::Proceed => CoreIntent::Proceed,
            Intent::EditAmount { text } => CoreIntent::EditAmount(text),
            Intent::EditTip { text } => CoreIntent::EditTip(text),
            Intent::Confirm { displayed_total } => CoreIntent::Confirm {
                displayed_total: (&displayed_total).try_into()?,
            },
            Intent::PinDigit { digit } => CoreIntent::PinDigit(digit),
            Intent::Backspace => CoreIntent::Backspace,
            Intent::Cancel => CoreIntent::Cancel,
            Intent::Retry => CoreIntent::Retry,
        })
    }
}

/// One payment attempt. Drive it from one UI; `state` may be read from any
/// thread at any time.
#[derive(uniffi::Object)]
pub struct PaymentFlow {
    flow: Arc<Mutex<CoreFlow>>,
    snapshot: Arc<Mutex<FlowState>>,
    shared: Arc<Shared>,
    _live: LiveToken,
}

impl std::fmt::Debug for PaymentFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentFlow").finish_non_exhaustive()
    }
}

fn busy() -> FlowError {
    FlowError::Busy("the payment is being processed".into())
}

impl PaymentFlow {
    pub(crate) fn wrap(flow: CoreFlow, shared: Arc<Shared>) -> PaymentFlow {
        let snapshot = FlowState::from(flow.state().clone());
        PaymentFlow {
            flow: Arc::new(Mutex::new(flow)),
            snapshot: Arc::new(Mutex::new(snapshot)),
            shared,
            _live: LiveToken::new(),
        }
    }
}

fn set(snapshot: &Mutex<FlowState>, state: FlowState) {
    *snapshot.lock().unwrap_or_else(PoisonError::into_inner) = state;
}

#[uniffi::export]
impl PaymentFlow {
    /// The current state (never blocks).
    pub fn state(&self) -> FlowState {
        self.snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The journalled payment id of this attempt, if any.
    pub fn payment_id(&self) -> Option<String> {
        match self.flow.try_lock() {
            Ok(f) => f.payment_id().map(str::to_string),
            Err(TryLockError::Poisoned(p)) => p.into_inner().payment_id().map(str::to_string),
            Err(TryLockError::WouldBlock) => match self.state() {
                FlowState::Processing { payment_id, .. } => Some(payment_id),
                _ => None,
            },
        }
    }

    /// Applies one intent and returns the new state. On error the state is
    /// unchanged; [`FlowError::Busy`] while `process` runs.
    pub fn handle(&self, intent: Intent) -> Result<FlowState, FlowError> {
        let core_intent = CoreIntent::try_from(intent)?;
        let mut flow = match self.flow.try_lock() {
            Ok(f) => f,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(busy()),
        };
        if matches!(core_intent, CoreIntent::PinDigit(_)) {
            // The offline flag of EnterPin and the queued/online decision at
            // the last digit read the status: refresh it from the platform.
            self.shared.refresh_network();
        }
        let name = core_intent.name();
        let state = FlowState::from(flow.handle(core_intent)?);
        self.shared.log.line(LogLevel::Debug, || {
            format!("flow: {name} -> {}", flow.state().name())
        });
        set(&self.snapshot, state.clone());
        Ok(state)
    }

    /// Runs the network part of the payment (valid in Processing, and in
    /// Pending to forward or resolve it) on a `scanpay-worker` thread.
    /// `listener` receives every state on that thread, each once, ending
    /// with the end state it returns: Done, Failed, Pending or
    /// NeedsAttention. If another part of the wallet is already resolving
    /// this payment (the resume at start, `forward_queued`, another flow),
    /// the call waits for it and reports its progress meanwhile, so it still
    /// ends settled.
    pub async fn process(
        &self,
        listener: Option<Arc<dyn FlowListener>>,
    ) -> Result<FlowState, FlowError> {
        let flow = Arc::clone(&self.flow);
        let snapshot = Arc::clone(&self.snapshot);
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let mut flow = match flow.try_lock() {
                Ok(f) => f,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return Err(busy()),
            };
            shared.refresh_network();
            // The listener sees each state once, the end state included
            // (progress reports every journalled change, which often is the
            // end state already; a payment settled elsewhere reports none).
            let mut last: Option<FlowState> = None;
            let mut tell = |s: FlowState| {
                if last.as_ref() == Some(&s) {
                    return;
                }
                last = Some(s.clone());
                set(&snapshot, s.clone());
                if let Some(l) = &listener {
                    let l = Arc::clone(l);
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                        l.on_state(s)
                    }));
                }
            };
            let end = flow.process(&mut |s| tell(FlowState::from(s.clone())));
            if let Ok(s) = &end {
                tell(FlowState::from(s.clone()));
            }
            let end = match end {
                Ok(s) => FlowState::from(s),
                Err(e) => {
                    set(&snapshot, FlowState::from(flow.state().clone()));
                    return Err(FlowError::from(e));
                }
            };
            shared.log.line(LogLevel::Info, || {
                format!("payment processed: {}", flow.state().name())
            });
            set(&snapshot, end.clone());
            Ok(end)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_pin_digit() {
        for digit in 0..=9u8 {
            let shown = format!("{:?}", Intent::PinDigit { digit });
            assert_eq!(shown, "PinDigit(<redacted>)");
        }
        assert_eq!(format!("{:?}", Intent::Cancel), "Cancel");
    }
}
