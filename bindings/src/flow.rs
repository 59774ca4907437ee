//! The payment flow: states the UI renders and intents it sends.
//!
//! ```text
//! Scanning ─ScannedText/ScannedCode─▶ ReviewMerchant ─Proceed─▶ EnterAmount | ConfirmAmount
//!   ─Confirm─▶ EnterPin ─6th press_pin_digit─▶ Processing ─process()─▶ Done | Failed | Pending | NeedsAttention
//! ```
//!
//! `handle` applies one [`FlowIntent`] at once on the calling thread. PIN digits
//! are not intents: they go in through `press_pin_digit`, a plain `u8`
//! argument, so no value an app might log (the generated Kotlin `toString()`
//! and Swift description of a `FlowIntent` print every field) ever holds a PIN
//! digit. The 6th digit derives the PIN key, ~0.15 s, and writes the
//! journal: call `press_pin_digit` off the UI thread. `process` is async: it
//! runs the network part on a `scanpay-worker` thread, reporting
//! intermediate states to an optional [`FlowListener`]. `state` never
//! blocks, even while processing.

use std::sync::{Arc, Mutex, PoisonError, TryLockError};

use scanpay_core::auth::AuthError;
use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::i18n::describe::Describe;
use scanpay_core::payment::{self as pay, Intent as CoreIntent, PaymentFlow as CoreFlow};
pub use scanpay_core::payment::{FailureReason, PendingReason, RetryOption, Stage};

use crate::errors::FlowError;
use crate::i18n::{localized, LocalizedText};
use crate::platform::{FlowListener, LogLevel};
use crate::scanner::ScannedCode;
use crate::shortcuts::PinFreeLimits;
use crate::types::{AmountBreakdown, Money, Reason, Receipt, TipRule, Verdict, Warning};
use crate::wallet::Shared;
use crate::worker::run_blocking;
use crate::LiveToken;

/// The merchant as the review screen shows it.
// A wrapper: the core's review holds a `Currency`, `Money`, the core
// `TipRule` and `Verdict`, which cross as their own wrappers.
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
            warnings: r.warnings,
            dynamic: r.dynamic,
            amount: r.amount.map(Money::from),
            currency: r.currency.code().to_string(),
            tip_rule: r.tip_rule.map(TipRule::from),
            payable: r.payable,
            refusal: r.refusal,
        }
    }
}

/// What the processing screen shows.
#[uniffi::remote(Enum)]
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
#[uniffi::remote(Enum)]
pub enum PendingReason {
    /// Authorised offline: sent when online.
    QueuedOffline,
    /// Still being resolved (elsewhere, or after a restart).
    Unresolved,
}

/// Why the flow failed.
#[uniffi::remote(Enum)]
pub enum FailureReason {
    /// The backend declined.
    Declined {
        /// The backend's code ("insufficient-funds").
        code: String,
        /// The backend's message.
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
#[uniffi::remote(Enum)]
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

/// The previous PIN attempt's failure, shown on the PIN pad; `text()` is
/// the payer's sentence for any of them.
// A wrapper: the core gives the whole `AuthError`; the pad needs the two
// failures it explains and a text for the rest.
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
    /// Anything else, as the catalogue's text.
    Other {
        /// The payer's text, in the locale current when the PIN was checked.
        message: LocalizedText,
    },
}

#[uniffi::export]
impl PinProblem {
    /// The payer's sentence for this failure in the current locale ("Wrong
    /// PIN. 2 attempts left.", "Too many wrong PINs. Try again in 30
    /// seconds.").
    pub fn text(&self) -> LocalizedText {
        match self {
            PinProblem::WrongPin {
                attempts_left,
                wait_secs,
            } => localized(
                &AuthError::WrongPin {
                    attempts_left: *attempts_left,
                    wait_secs: *wait_secs,
                }
                .message(),
            ),
            PinProblem::LockedOut {
                until,
                retry_after_secs,
            } => localized(
                &AuthError::LockedOut {
                    until: *until,
                    retry_after_secs: *retry_after_secs,
                }
                .message(),
            ),
            PinProblem::Other { message } => message.clone(),
        }
    }
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
                message: localized(&other.message()),
            },
        }
    }
}

/// Why the PIN pad is shown although a shortcut is on (the core's
/// `PinFallback`, flattened to its stable codes and the payer's text).
// A wrapper: the core's reason holds `PinFreeRefusal` (with `Money`),
// `BiometricAvailability` and `BiometricError` values; the UI needs their
// codes to choose a sentence.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PinFallbackInfo {
    /// The shortcut not used: `biometric` or `pin-free`.
    pub shortcut: String,
    /// Why, as the core's stable code (`payer-chose`, `pin-free-refused`,
    /// `biometric-unavailable`, `biometric-failed`, `bad-signature`,
    /// `unusable`, `pin-required`).
    pub reason: String,
    /// The stable code of the detail, when there is one: the PIN-free rule
    /// that refused (`new-merchant`, `over-per-payment`…), the platform's
    /// availability (`not-enrolled`, `locked-out`…) or biometric outcome
    /// (`key-invalidated`: biometric confirmation was turned off; `cancelled`,
    /// `locked-out`…).
    pub detail_code: Option<String>,
    /// The payer's text (the refusing rule with its limit, the platform's
    /// outcome), in the locale current when the PIN pad was shown.
    pub message: LocalizedText,
}

impl From<pay::PinFallback> for PinFallbackInfo {
    fn from(f: pay::PinFallback) -> PinFallbackInfo {
        use pay::FallbackReason as R;
        let detail_code = match &f.reason {
            R::PinFreeRefused(r) => Some(r.code()),
            R::BiometricUnavailable(a) => Some(a.code()),
            R::Biometric(e) => Some(e.code()),
            R::PayerChose | R::BadSignature | R::Unusable { .. } | R::PinRequired { .. } => None,
        };
        PinFallbackInfo {
            shortcut: f.shortcut.code().to_string(),
            reason: f.reason.code().to_string(),
            detail_code: detail_code.map(str::to_string),
            message: localized(&f.reason.message()),
        }
    }
}

/// The state the UI renders.
// A wrapper: the core's states hold a `usize` digit count, the
// `AmountError` and `AuthError` values and the core review; their parts
// that can cross as they are (stage, reasons, retry) are the core's.
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
        /// Why the text does not parse, for the payer ("This is not a valid
        /// amount."), in the locale current at the last edit.
        problem: Option<LocalizedText>,
    },
    /// A code with an amount: confirm it.
    ConfirmAmount {
        /// The merchant.
        review: MerchantReview,
        /// Tip text as typed.
        tip_entered: String,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// Why the tip text does not parse, for the payer.
        problem: Option<LocalizedText>,
    },
    /// One tap pays, without the PIN: `Confirm` pays, `UsePin` goes to the
    /// PIN pad.
    ConfirmPinFree {
        /// The merchant.
        review: MerchantReview,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// The PIN-free limits that allow it, for "no PIN needed up to …".
        limits: PinFreeLimits,
    },
    /// Biometric confirmation: `AuthenticateBiometric` shows the platform's
    /// prompt, `UsePin` goes to the PIN pad.
    ConfirmBiometric {
        /// The merchant.
        review: MerchantReview,
        /// The amounts being authorised.
        breakdown: AmountBreakdown,
        /// Offline: the payment will be queued.
        offline: bool,
        /// The last prompt's outcome when it asks for another try, for the
        /// payer ("Confirmation cancelled. Try again or use your PIN.").
        problem: Option<LocalizedText>,
        /// Its stable code (`cancelled`, …: the core's `BiometricError::code`),
        /// for the UI to choose its words.
        problem_code: Option<String>,
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
        /// Why the PIN is asked although a shortcut is on.
        fallback: Option<PinFallbackInfo>,
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
                problem: problem.map(|p| localized(&p.message())),
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
                problem: problem.map(|p| localized(&p.message())),
            },
            S::ConfirmPinFree {
                review,
                breakdown,
                limits,
            } => FlowState::ConfirmPinFree {
                review: review.into(),
                breakdown: breakdown.into(),
                limits: limits.into(),
            },
            S::ConfirmBiometric {
                review,
                breakdown,
                offline,
                problem,
            } => FlowState::ConfirmBiometric {
                review: review.into(),
                breakdown: breakdown.into(),
                offline,
                problem_code: problem.as_ref().map(|p| p.code().to_string()),
                problem: problem.map(|p| localized(&p.message())),
            },
            S::EnterPin {
                review,
                breakdown,
                digits,
                offline,
                last_error,
                fallback,
            } => FlowState::EnterPin {
                review: review.into(),
                breakdown: breakdown.into(),
                digits: u32::try_from(digits).unwrap_or(u32::MAX),
                offline,
                last_error: last_error.map(PinProblem::from),
                fallback: fallback.map(PinFallbackInfo::from),
            },
            S::Processing {
                payment_id,
                breakdown,
                stage,
            } => FlowState::Processing {
                payment_id,
                breakdown: breakdown.into(),
                stage,
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
                reason,
            },
            S::Failed {
                payment_id,
                reason,
                retry,
            } => FlowState::Failed {
                payment_id,
                reason,
                retry,
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

/// What the user did, except PIN pad keys (see
/// [`PaymentFlow::press_pin_digit`]).
///
/// No variant carries a secret, so every representation of an intent — this
/// `Debug`, the generated Kotlin `toString()`, the Swift description, Python's
/// `repr` — is safe to log. Keep it that way: the generated code prints every
/// field, and Rust cannot redact it.
///
/// Named `FlowIntent` rather than `Intent` so that the generated Kotlin does
/// not clash with `android.content.Intent`, which every Activity imports.
// A wrapper, not the core's `Intent`: that has the PIN digit, and its
// `Confirm` holds the core `Money`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FlowIntent {
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
    /// The PIN pad's backspace.
    Backspace,
    /// Back out (or close a finished payment).
    Cancel,
    /// Retry after a failure, as the Failed state's `retry` says.
    Retry,
    /// On a shortcut's screen: use the PIN instead.
    UsePin,
    /// On ConfirmBiometric: show the platform's biometric prompt (the core
    /// blocks until the payer answers it).
    AuthenticateBiometric,
}

impl TryFrom<FlowIntent> for CoreIntent {
    type Error = FlowError;
    fn try_from(i: FlowIntent) -> Result<CoreIntent, FlowError> {
        Ok(match i {
            FlowIntent::ScannedText { text } => CoreIntent::ScannedText(text),
            FlowIntent::ScannedCode { code } => CoreIntent::ScannedCode((&code).into()),
            FlowIntent::Proceed => CoreIntent::Proceed,
            FlowIntent::EditAmount { text } => CoreIntent::EditAmount(text),
            FlowIntent::EditTip { text } => CoreIntent::EditTip(text),
            FlowIntent::Confirm { displayed_total } => CoreIntent::Confirm {
                displayed_total: (&displayed_total).try_into()?,
            },
            FlowIntent::Backspace => CoreIntent::Backspace,
            FlowIntent::Cancel => CoreIntent::Cancel,
            FlowIntent::Retry => CoreIntent::Retry,
            FlowIntent::UsePin => CoreIntent::UsePin,
            FlowIntent::AuthenticateBiometric => CoreIntent::AuthenticateBiometric,
        })
    }
}

/// One payment attempt. Drive it from one UI; `state` may be read from any
/// thread at any time.
#[derive(uniffi::Object)]
pub struct PaymentFlow {
    flow: Arc<Mutex<CoreFlow>>,
    snapshot: Arc<Mutex<Snapshot>>,
    shared: Arc<Shared>,
    _live: LiveToken,
}

impl std::fmt::Debug for PaymentFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentFlow").finish_non_exhaustive()
    }
}

/// The last state for `state()` and `state_text()`, readable while
/// `process` holds the flow: the foreign state and the core's message for
/// it (rendered when asked, so a locale change shows at the next read).
struct Snapshot {
    state: FlowState,
    text: Msg,
}

impl Snapshot {
    fn of(core: &pay::FlowState) -> Snapshot {
        Snapshot {
            state: FlowState::from(core.clone()),
            text: core.message(),
        }
    }
}

impl PaymentFlow {
    pub(crate) fn wrap(flow: CoreFlow, shared: Arc<Shared>) -> PaymentFlow {
        let snapshot = Snapshot::of(flow.state());
        PaymentFlow {
            flow: Arc::new(Mutex::new(flow)),
            snapshot: Arc::new(Mutex::new(snapshot)),
            shared,
            _live: LiveToken::new(),
        }
    }

    /// Applies one core intent (what `handle` and `press_pin_digit` share).
    /// Logs the intent's and the new state's names only: never a value, as
    /// a PIN digit goes through here.
    fn apply(&self, core_intent: CoreIntent) -> Result<FlowState, FlowError> {
        let mut flow = match self.flow.try_lock() {
            Ok(f) => f,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(FlowError::busy()),
        };
        if matches!(core_intent, CoreIntent::PinDigit(_)) {
            // The offline flag of EnterPin and the queued/online decision at
            // the last digit read the status: refresh it from the platform.
            self.shared.refresh_network();
        }
        // The biometric dialog's title and subtitle are written by the core
        // flow: in the language the app chose last (`set_locales`).
        flow.set_locale(crate::i18n::locale());
        let name = core_intent.name();
        let outcome = flow.handle(core_intent);
        // On error usually unchanged, but a sixth PIN digit refused with an
        // error empties the pad: the snapshot must show what the core holds.
        set(&self.snapshot, Snapshot::of(flow.state()));
        // A refusal is not logged: its detail may quote the scanned text,
        // and the variant already tells the app which refusal it is.
        let state = FlowState::from(outcome?);
        self.shared.log.line(LogLevel::Debug, || {
            format!("flow: {name} -> {}", flow.state().name())
        });
        Ok(state)
    }
}

fn set(snapshot: &Mutex<Snapshot>, state: Snapshot) {
    *snapshot.lock().unwrap_or_else(PoisonError::into_inner) = state;
}

#[uniffi::export]
impl PaymentFlow {
    /// The current state (never blocks).
    pub fn state(&self) -> FlowState {
        self.snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state
            .clone()
    }

    /// The screen's main sentence for the current state, in the current
    /// locale, from the core's catalogue: "Pay SGD 12.50 to Kopi Corner?",
    /// "Sending your payment…", "Payment declined: not enough money in your
    /// account. You have not been charged." (a failure's reason, a review's
    /// verdict). Never blocks, like [`PaymentFlow::state`], and is rendered
    /// at each call, so after `set_locales` the next call is in the new
    /// language.
    pub fn state_text(&self) -> LocalizedText {
        let text = self
            .snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .text
            .clone();
        localized(&text)
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
    /// unchanged; [`FlowError::Busy`] while `process` runs. Instant; PIN
    /// digits go through [`PaymentFlow::press_pin_digit`].
    pub fn handle(&self, intent: FlowIntent) -> Result<FlowState, FlowError> {
        self.apply(CoreIntent::try_from(intent)?)
    }

    /// Enters one PIN pad key, the digit value 0–9 (valid in EnterPin), and
    /// returns the new state: EnterPin with one more digit counted; at the
    /// 6th digit, the outcome of the PIN check (Processing, Pending when
    /// queued offline, EnterPin with `last_error` after a wrong PIN, Failed
    /// when locked out or not enrolled). The digit stays in Rust: only the
    /// count comes back, and it is never logged. A value above 9 is
    /// [`FlowError::Pin`]. On error the state is unchanged, except when the
    /// 6th digit's check itself errs (key store, storage): the pad is then
    /// cleared and `state()` is EnterPin with `digits: 0` and the error as
    /// `last_error`; [`FlowError::Busy`] while `process` runs.
    ///
    /// Asks the [`crate::platform::NetworkMonitor`] first, on this thread.
    /// The 6th digit derives the PIN key (~0.15 s), calls the key store and
    /// writes the journal on this thread: call it off the UI thread.
    ///
    /// A method rather than a [`FlowIntent`] variant because the generated
    /// Kotlin `toString()` and Swift description of an intent print its
    /// fields: an app logging its intents would log the PIN.
    pub fn press_pin_digit(&self, digit: u8) -> Result<FlowState, FlowError> {
        self.apply(CoreIntent::PinDigit(digit))
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
                Err(TryLockError::WouldBlock) => return Err(FlowError::busy()),
            };
            shared.refresh_network();
            // The listener sees each state once, the end state included
            // (progress reports every journalled change, which often is the
            // end state already; a payment settled elsewhere reports none).
            let mut last: Option<FlowState> = None;
            let mut tell = |core: &pay::FlowState| {
                let snap = Snapshot::of(core);
                if last.as_ref() == Some(&snap.state) {
                    return;
                }
                let s = snap.state.clone();
                last = Some(s.clone());
                set(&snapshot, snap);
                if let Some(l) = &listener {
                    let l = Arc::clone(l);
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                        l.on_state(s)
                    }));
                }
            };
            let end = flow.process(&mut |s| tell(s));
            if let Ok(s) = &end {
                tell(s);
            }
            let end = match end {
                Ok(s) => FlowState::from(s),
                Err(e) => {
                    set(&snapshot, Snapshot::of(flow.state()));
                    shared
                        .log
                        .line(LogLevel::Warn, || format!("payment processing failed: {e}"));
                    return Err(FlowError::from(e));
                }
            };
            shared.log.line(LogLevel::Info, || {
                format!("payment processed: {}", flow.state().name())
            });
            set(&snapshot, Snapshot::of(flow.state()));
            Ok(end)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::future::Future;
    use std::path::PathBuf;
    use std::task::{Context, Poll, Wake, Waker};

    use scanpay_core::payment::FlowError as CoreFlowError;

    use crate::pinpad::PinPad;
    use crate::platform::{software_key_store, LogSink};
    use crate::wallet::{CurrencyLimits, Wallet, WalletConfig};

    /// A real, unsigned THB merchant code (static, no amount), as in the
    /// Python and Kotlin suites.
    const THB_CODE: &str =
        "00020101021129370016A000000677010111011300668012345675802TH530376463046197";
    const PIN: [u8; 6] = [2, 5, 8, 0, 4, 7];

    /// Every line the wallet logs, at every level.
    #[derive(Default)]
    struct Lines(Mutex<Vec<String>>);

    impl LogSink for Lines {
        fn log(&self, _level: LogLevel, message: String) {
            self.0.lock().unwrap().push(message);
        }
    }

    impl Lines {
        fn all(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    struct Unpark(std::thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Polls an exported `async fn` to completion on this thread (what
    /// UniFFI's foreign executors do).
    fn block_on<F: Future>(fut: F) -> F::Output {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(fut);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }

    /// A wallet without a backend in a fresh directory, logging into `lines`.
    fn open_wallet(name: &str, lines: &Arc<Lines>) -> (Wallet, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("scanpay-ffi-flow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let roots = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/trust/roots.json"),
        )
        .unwrap();
        let config = WalletConfig {
            data_dir: dir.join("wallet").to_string_lossy().into_owned(),
            roots_json: roots,
            backend: None,
            limits: vec![CurrencyLimits {
                currency: "THB".into(),
                per_payment: 100_000,
                daily: 200_000,
                offline_per_payment: 0,
                offline_total: 0,
            }],
            allow_offline_payments: false,
            allow_unverified_merchants: true,
            timings: None,
        };
        let logger: Arc<dyn LogSink> = Arc::clone(lines) as Arc<dyn LogSink>;
        let wallet =
            Wallet::open(config, software_key_store().unwrap(), None, Some(logger)).unwrap();
        (wallet, dir)
    }

    /// Scan → Proceed → amount → Confirm: the PIN pad, no digit entered.
    fn drive_to_pin(flow: &PaymentFlow) {
        flow.handle(FlowIntent::ScannedText {
            text: THB_CODE.into(),
        })
        .unwrap();
        flow.handle(FlowIntent::Proceed).unwrap();
        let total = match flow
            .handle(FlowIntent::EditAmount {
                text: "12.50".into(),
            })
            .unwrap()
        {
            FlowState::EnterAmount {
                breakdown: Some(b), ..
            } => b.total,
            other => panic!("not an amount: {other:?}"),
        };
        let s = flow
            .handle(FlowIntent::Confirm {
                displayed_total: total,
            })
            .unwrap();
        assert!(matches!(s, FlowState::EnterPin { digits: 0, .. }), "{s:?}");
    }

    #[test]
    fn a_non_digit_is_the_typed_pin_error_and_changes_nothing() {
        let lines = Arc::new(Lines::default());
        let (wallet, dir) = open_wallet("non-digit", &lines);
        let flow = wallet.new_flow();
        // Outside EnterPin: the same InvalidIntent `handle(PinDigit)` gave.
        match flow.press_pin_digit(1) {
            // The payer's text, without the technical detail (the intent's
            // and the state's names).
            Err(FlowError::InvalidIntent(m)) => {
                assert!(!m.is_empty() && !m.contains("pin-digit"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        drive_to_pin(&flow);
        flow.press_pin_digit(PIN[0]).unwrap();
        let before = flow.state();
        // The conversion `handle` applied to the core's refusal, exactly.
        let expected = FlowError::from(CoreFlowError::Pin(AuthError::NotADigit));
        assert!(matches!(expected, FlowError::Pin(_)));
        assert_eq!(flow.press_pin_digit(10), Err(expected.clone()));
        assert_eq!(flow.press_pin_digit(u8::MAX), Err(expected));
        assert_eq!(flow.state(), before, "state unchanged");
        assert!(matches!(before, FlowState::EnterPin { digits: 1, .. }));
        drop((flow, wallet));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn pin_digits_reach_the_flow_but_never_the_log() {
        let lines = Arc::new(Lines::default());
        let (wallet, dir) = open_wallet("log", &lines);
        let pad = Arc::new(PinPad::new());
        for d in PIN {
            pad.press(d).unwrap();
        }
        block_on(wallet.enrol(pad)).unwrap();
        let flow = wallet.new_flow();
        drive_to_pin(&flow);
        let mut last = flow.state();
        for (i, d) in PIN.into_iter().enumerate() {
            last = flow.press_pin_digit(d).unwrap();
            if i + 1 < PIN.len() {
                assert!(
                    matches!(last, FlowState::EnterPin { digits, .. } if digits as usize == i + 1),
                    "{last:?}"
                );
            }
        }
        // The right PIN: the payment is journalled and ready to send.
        assert!(matches!(last, FlowState::Processing { .. }), "{last:?}");

        let all = lines.all();
        let pin: String = PIN.iter().map(u8::to_string).collect();
        assert!(all.iter().all(|l| !l.contains(&pin)), "{all:?}");
        // One line per digit, with the state's name and no digit at all.
        let pin_lines: Vec<&String> = all.iter().filter(|l| l.contains("pin-digit")).collect();
        assert_eq!(pin_lines.len(), PIN.len(), "{all:?}");
        for l in &pin_lines {
            assert!(!l.chars().any(|c| c.is_ascii_digit()), "{l}");
        }
        assert_eq!(
            pin_lines.last().map(|l| l.as_str()),
            Some("flow: pin-digit -> processing")
        );
        drop((flow, wallet));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn intents_print_every_field_because_none_is_secret() {
        // Derived `Debug`, like the generated foreign code: fields shown.
        let shown = format!(
            "{:?}",
            FlowIntent::EditAmount {
                text: "12.50".into()
            }
        );
        assert_eq!(shown, r#"EditAmount { text: "12.50" }"#);
        assert_eq!(format!("{:?}", FlowIntent::Backspace), "Backspace");
    }
}
