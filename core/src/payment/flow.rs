//! The payment flow: the state machine the UI renders.
//!
//! ```text
//! Scanning ─scan─▶ ReviewMerchant ─proceed─▶ EnterAmount (static) ─confirm─┐
//!    │  │                              └───▶ ConfirmAmount (dynamic) ─confirm─┤
//!    │  └─scan (verified dynamic, biometric on)──▶ ConfirmAmount              │
//!    └─scan (PIN-free allowed)──▶ ConfirmPinFree ◀──(PIN-free allowed)────────┤
//!                                  │ confirm   │ use-pin                      │
//!                                  │           ▼                              ▼
//!                                  │        EnterPin{fallback} ◀─use-pin── ConfirmBiometric
//!                                  │ (request key signs)  │ 6th digit         │ authenticate-biometric
//!                                  ▼                      ▼ (device key)      ▼ (platform key signs)
//!              Done ◀── Processing{stage} ◀────────── sign + journal ◀────────┘
//!              Failed ◀──┘  │    └──▶ NeedsAttention      └──▶ Pending (queued offline; never PIN-free)
//!                           └──▶ Pending (still unresolved)
//! ```
//!
//! The shortcuts (ADR 0022): a payment the PIN-free rules allow
//! ([`crate::payment::check_pin_free`]) is offered as [`FlowState::ConfirmPinFree`]
//! — straight after the scan for a dynamic code, so scan + one tap — and
//! signed by the request key; with biometric confirmation on, `Confirm`
//! leads to [`FlowState::ConfirmBiometric`] (and a verified, warning-free
//! dynamic code skips the review: scan + confirm + touch), signed by the
//! platform's key over the core's challenge and checked before it is
//! journalled. Every way a shortcut is not used ends on the PIN pad with
//! [`PinFallback`] saying why; a cancelled biometric prompt stays on
//! ConfirmBiometric with the problem shown. A `pin-required` decline from
//! the backend is retried as a new attempt with the PIN.
//!
//! [`PaymentFlow::handle`] applies one [`Intent`] instantly (the PIN
//! completion does the key derivation and the journal write, no network;
//! [`Intent::AuthenticateBiometric`] blocks while the platform's dialog is
//! up, so it too runs off the UI thread) and
//! returns the new [`FlowState`]; an intent that does not fit the state is a
//! [`FlowError`], and the state is then unchanged. [`PaymentFlow::process`]
//! runs the network part (blocking) through the [`PaymentEngine`].

use std::fmt;
use std::sync::{Arc, RwLock};

use thiserror::Error;

use super::amount::{breakdown, AmountError};
use super::engine::{EngineError, NewPayment, PaymentEngine};
use super::record::{AmountBreakdown, MerchantSummary, PaymentRecord, PaymentState, Receipt};
use super::shortcuts::{
    BiometricFailure, PinFreePayment, PinFreeRefusal, Shortcut, ShortcutLapse, ShortcutService,
};
use crate::auth::{
    AuthError, Authenticator, BiometricAvailability, BiometricError, BiometricPromptText,
    PaymentAuthMethod, PaymentAuthorisation, PinFreeLimits, PinPad, SignedAuthorisation,
};
use crate::i18n::catalogue::Msg;
use crate::i18n::Locale;
use crate::money::{Currency, Money};
use crate::net::api::DECLINE_PIN_REQUIRED;
use crate::payload::mpm::{MerchantPayload, TipRule};
use crate::payload::{classify, Payload, PayloadKind, MAX_TEXT_BYTES};
use crate::scan::ScannedCode;
use crate::trust::{Reason, ReplayGuard, TrustStore, Verdict, Warning};

/// Longest amount or tip text the flow accepts from the UI.
pub const MAX_AMOUNT_INPUT_CHARS: usize = 32;

/// What the user did.
///
/// `Debug` never shows a PIN digit (it prints `pin-digit(<redacted>)`), so an
/// intent can be logged whole.
#[derive(Clone, PartialEq)]
pub enum Intent {
    /// A scanned text (from the camera, a gallery image or a paste).
    ScannedText(String),
    /// A code from the scanner; its text is used.
    ScannedCode(ScannedCode),
    /// Accept the reviewed merchant and go on to the amount.
    Proceed,
    /// The amount field's full text (static codes).
    EditAmount(String),
    /// The tip field's full text (codes with tip indicator "01").
    EditTip(String),
    /// Confirm the amount, echoing the exact total the UI displayed.
    Confirm {
        /// The total as displayed.
        displayed_total: Money,
    },
    /// A PIN pad key, 0–9.
    PinDigit(u8),
    /// The PIN pad's backspace.
    Backspace,
    /// Back out (see [`PaymentFlow::handle`] for what it means in each state).
    Cancel,
    /// Retry after a failure, in the way [`FlowState::Failed::retry`] says.
    Retry,
    /// On a shortcut's screen: confirm with the PIN instead.
    UsePin,
    /// On ConfirmBiometric: run the platform's biometric prompt (blocks
    /// until the payer answers it).
    AuthenticateBiometric,
}

impl fmt::Debug for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Intent::PinDigit(_) => f.write_str("pin-digit(<redacted>)"),
            Intent::ScannedText(text) | Intent::EditAmount(text) | Intent::EditTip(text) => {
                f.debug_tuple(self.name()).field(text).finish()
            }
            Intent::ScannedCode(code) => f.debug_tuple(self.name()).field(code).finish(),
            Intent::Confirm { displayed_total } => f
                .debug_struct(self.name())
                .field("displayed_total", displayed_total)
                .finish(),
            Intent::Proceed
            | Intent::Backspace
            | Intent::Cancel
            | Intent::Retry
            | Intent::UsePin
            | Intent::AuthenticateBiometric => f.write_str(self.name()),
        }
    }
}

impl Intent {
    /// A stable name, for errors.
    pub fn name(&self) -> &'static str {
        match self {
            Intent::ScannedText(_) => "scanned-text",
            Intent::ScannedCode(_) => "scanned-code",
            Intent::Proceed => "proceed",
            Intent::EditAmount(_) => "edit-amount",
            Intent::EditTip(_) => "edit-tip",
            Intent::Confirm { .. } => "confirm",
            Intent::PinDigit(_) => "pin-digit",
            Intent::Backspace => "backspace",
            Intent::Cancel => "cancel",
            Intent::Retry => "retry",
            Intent::UsePin => "use-pin",
            Intent::AuthenticateBiometric => "authenticate-biometric",
        }
    }
}

/// The merchant as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantReview {
    /// The registered name from the trust verdict; `None` when unverified
    /// (the printed name is then in `printed_name`, to show as unverified).
    pub registered_name: Option<String>,
    /// The registered city.
    pub registered_city: Option<String>,
    /// The name printed in the code: never to be shown as who is paid.
    pub printed_name: Option<String>,
    /// The full verdict.
    pub verdict: Verdict,
    /// Warnings of a verified code.
    pub warnings: Vec<Warning>,
    /// Whether the code is dynamic (its amount cannot be changed).
    pub dynamic: bool,
    /// The amount in the code, if any.
    pub amount: Option<Money>,
    /// The payment currency.
    pub currency: Currency,
    /// The tip / convenience fee rule.
    pub tip_rule: Option<TipRule>,
    /// Whether the payer may go on. False for an unverified code unless the
    /// configuration allows unverified merchants.
    pub payable: bool,
    /// Why the code did not verify, if it did not.
    pub refusal: Option<Reason>,
}

/// What the processing screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Sending the payment.
    Sending,
    /// The outcome was unclear: checking with the backend.
    Confirming {
        /// Queries made so far.
        queries: u32,
    },
    /// No answer in time: cancelling the payment.
    Reversing {
        /// Reversal attempts made so far.
        attempts: u32,
    },
}

/// Why a payment is pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingReason {
    /// Authorised offline: "pending — sent when online".
    QueuedOffline,
    /// Still being resolved elsewhere (another thread, or after a restart).
    Unresolved,
}

/// Why the flow failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The backend declined.
    Declined {
        /// The backend's decline code (`insufficient-funds`, `limit-exceeded`,
        /// …: an open set; see `docs/api.md`).
        code: String,
        /// The backend's own words, for logs and support, not the payer.
        message: String,
    },
    /// No clear answer, so the payment was reversed: nothing was paid.
    Reversed,
    /// The payment could not be sent (no connection). Nothing was sent.
    NotSent {
        /// Transport detail.
        detail: String,
    },
    /// The payment could not be started (a limit, offline policy…). Nothing
    /// was journalled or sent.
    NotStarted {
        /// The rule that refused it, in words (the typed cause is in the
        /// error the intent returned).
        message: String,
    },
    /// Too many wrong PINs: wait.
    PinLockedOut {
        /// When the next attempt is allowed.
        until: u64,
    },
    /// The PIN is blocked: re-enrol.
    PinDisabled,
    /// The wallet has no device key.
    NotEnrolled,
}

impl FailureReason {
    /// The stable kebab-case code of the reason, for logs, support and
    /// analytics (the decline's own code is the backend's, in `Declined`).
    pub fn code(&self) -> &'static str {
        match self {
            FailureReason::Declined { .. } => "declined",
            FailureReason::Reversed => "reversed",
            FailureReason::NotSent { .. } => "not-sent",
            FailureReason::NotStarted { .. } => "not-started",
            FailureReason::PinLockedOut { .. } => "pin-locked-out",
            FailureReason::PinDisabled => "pin-disabled",
            FailureReason::NotEnrolled => "not-enrolled",
        }
    }
}

/// Why the PIN pad is shown although a shortcut is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFallback {
    /// The shortcut not used.
    pub shortcut: Shortcut,
    /// Why not.
    pub reason: FallbackReason,
}

/// Why a shortcut was not used for this payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackReason {
    /// The payer chose the PIN.
    PayerChose,
    /// A PIN-free rule refused this payment (the rule is named).
    PinFreeRefused(PinFreeRefusal),
    /// The platform cannot run a biometric check now.
    BiometricUnavailable(BiometricAvailability),
    /// The platform's biometric prompt ended without a signature (locked
    /// out, not enrolled, key invalidated or missing — those two also turn
    /// biometric confirmation off —, unavailable, failed).
    Biometric(BiometricError),
    /// The platform signed, but the signature did not verify with the key
    /// recorded at opt-in; biometric confirmation is turned off.
    BadSignature,
    /// The shortcut cannot be used on this wallet now (no biometric key
    /// attached, no request key, the device key unreadable).
    Unusable {
        /// What is missing, for logs and support.
        detail: String,
    },
    /// The backend declined the shortcut payment with `pin-required`.
    PinRequired {
        /// The backend's message (it starts with the rule's word).
        message: String,
    },
}

impl FallbackReason {
    /// Stable kebab-case code, for the UI and logs.
    pub fn code(&self) -> &'static str {
        match self {
            FallbackReason::PayerChose => "payer-chose",
            FallbackReason::PinFreeRefused(_) => "pin-free-refused",
            FallbackReason::BiometricUnavailable(_) => "biometric-unavailable",
            FallbackReason::Biometric(_) => "biometric-failed",
            FallbackReason::BadSignature => "bad-signature",
            FallbackReason::Unusable { .. } => "unusable",
            FallbackReason::PinRequired { .. } => "pin-required",
        }
    }
}

/// How the user can retry after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOption {
    /// Not from this screen.
    None,
    /// Send the same payment again (same id, no PIN).
    SameId,
    /// A new attempt to the same merchant and amount: PIN again, new id.
    NewAttempt,
    /// A new PIN attempt after the wait.
    AfterWait {
        /// When the wait ends (unix seconds).
        until: u64,
    },
    /// Re-enrol the wallet first.
    Reenrol,
}

/// The state the UI renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowState {
    /// The camera is on.
    Scanning,
    /// Who is being paid (registered name, verdict, warnings).
    ReviewMerchant {
        /// The merchant.
        review: MerchantReview,
    },
    /// A static code: the payer types the amount (and tip, if asked).
    EnterAmount {
        /// The merchant.
        review: MerchantReview,
        /// The amount text as typed.
        entered: String,
        /// The tip text as typed.
        tip_entered: String,
        /// The amounts, once the text parses.
        breakdown: Option<AmountBreakdown>,
        /// Why the text does not parse, if it does not.
        problem: Option<AmountError>,
    },
    /// A code with an amount: the payer confirms it (and may add a tip, if asked).
    ConfirmAmount {
        /// The merchant.
        review: MerchantReview,
        /// The tip text as typed.
        tip_entered: String,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// Why the tip text does not parse, if it does not.
        problem: Option<AmountError>,
    },
    /// One tap pays, with no PIN (ADR 0022): the merchant and the total on
    /// one screen. `Confirm` pays; `UsePin` goes to the PIN pad.
    ConfirmPinFree {
        /// The merchant.
        review: MerchantReview,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// The PIN-free limits that allow it (for "up to … without PIN").
        limits: PinFreeLimits,
    },
    /// Biometric confirmation: `AuthenticateBiometric` shows the platform's
    /// prompt; `UsePin` goes to the PIN pad.
    ConfirmBiometric {
        /// The merchant.
        review: MerchantReview,
        /// The amounts being authorised.
        breakdown: AmountBreakdown,
        /// The wallet is offline and this payment will be queued.
        offline: bool,
        /// The last prompt's outcome when it asks for another try (the
        /// payer cancelled it).
        problem: Option<BiometricError>,
    },
    /// The PIN pad. The UI sees only how many digits are entered.
    EnterPin {
        /// The merchant.
        review: MerchantReview,
        /// The amounts being authorised.
        breakdown: AmountBreakdown,
        /// Digits entered.
        digits: usize,
        /// The wallet is offline and this payment will be queued.
        offline: bool,
        /// The previous attempt's failure: a wrong PIN, or the error that
        /// refused the sixth digit (the pad was then cleared).
        last_error: Option<AuthError>,
        /// Why the PIN is asked although a shortcut is on (`None`: no
        /// shortcut applies to this payment).
        fallback: Option<PinFallback>,
    },
    /// Money in motion.
    Processing {
        /// The payment id.
        payment_id: String,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// What is happening.
        stage: Stage,
    },
    /// Paid.
    Done {
        /// The payment id.
        payment_id: String,
        /// Who was paid (registered name).
        merchant_name: String,
        /// The receipt.
        receipt: Receipt,
    },
    /// Not finished, and the wallet will finish it without the user.
    Pending {
        /// The payment id.
        payment_id: String,
        /// The amounts.
        breakdown: AmountBreakdown,
        /// Queued offline (sent when online) or still being resolved
        /// elsewhere (another thread, or after a restart).
        reason: PendingReason,
    },
    /// Not paid.
    Failed {
        /// The payment id, if one was journalled or minted.
        payment_id: Option<String>,
        /// What refused it: a decline, a limit, a PIN lockout, the wallet.
        reason: FailureReason,
        /// Whether and how to retry.
        retry: RetryOption,
    },
    /// The wallet cannot tell whether money moved (reversal failed): show the
    /// payment id and how to reach support. Never shown as "failed".
    NeedsAttention {
        /// The payment id.
        payment_id: String,
        /// The amounts.
        breakdown: AmountBreakdown,
    },
}

impl FlowState {
    /// A stable name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            FlowState::Scanning => "scanning",
            FlowState::ReviewMerchant { .. } => "review-merchant",
            FlowState::EnterAmount { .. } => "enter-amount",
            FlowState::ConfirmAmount { .. } => "confirm-amount",
            FlowState::ConfirmPinFree { .. } => "confirm-pin-free",
            FlowState::ConfirmBiometric { .. } => "confirm-biometric",
            FlowState::EnterPin { .. } => "enter-pin",
            FlowState::Processing { .. } => "processing",
            FlowState::Done { .. } => "done",
            FlowState::Pending { .. } => "pending",
            FlowState::Failed { .. } => "failed",
            FlowState::NeedsAttention { .. } => "needs-attention",
        }
    }
}

/// Why an intent was refused. The flow's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlowError {
    /// The intent does not apply in this state.
    #[error("{intent} is not possible in state {state}")]
    InvalidIntent {
        /// The state.
        state: &'static str,
        /// The intent.
        intent: &'static str,
    },
    /// The scanned text is not a merchant code.
    #[error("this is not a merchant payment code ({})", kind.as_str())]
    NotAMerchantCode {
        /// What it is.
        kind: PayloadKind,
    },
    /// The scanned code is a damaged merchant code.
    #[error("this payment code is damaged: {detail}")]
    DamagedCode {
        /// The parser's explanation.
        detail: String,
    },
    /// The scanned code carries no text.
    #[error("the scanned code carries no text")]
    NoText,
    /// The scanned text is longer than any payment code.
    #[error("the scanned text is too long")]
    TooLong,
    /// The merchant did not verify and unverified merchants are not payable.
    #[error("this merchant cannot be paid: {}", reason.code())]
    MerchantNotPayable {
        /// Why it did not verify.
        reason: Reason,
    },
    /// The amount of this code is fixed.
    #[error("the amount of this code cannot be changed")]
    AmountFixed,
    /// The code does not take a tip.
    #[error("this code does not take a tip")]
    TipNotAllowed,
    /// An amount text over [`MAX_AMOUNT_INPUT_CHARS`].
    #[error("the amount text is too long")]
    AmountTooLong,
    /// Confirm without a valid amount.
    #[error("enter a valid amount first")]
    AmountRequired,
    /// The UI displayed another total than the flow computed.
    #[error("the displayed total {displayed} is not the amount to pay {expected}")]
    TotalMismatch {
        /// What the flow computed.
        expected: Money,
        /// What the UI echoed.
        displayed: Money,
    },
    /// A PIN pad error (not a digit, pad full).
    #[error(transparent)]
    Pin(AuthError),
    /// Still locked out.
    #[error("too many wrong PINs: try again at {until}")]
    StillLockedOut {
        /// When the lockout ends (unix seconds).
        until: u64,
    },
    /// A limit, the offline policy, or the journal refused.
    #[error(transparent)]
    Payment(#[from] EngineError),
}

/// What the flow needs.
#[derive(Clone)]
pub struct FlowServices {
    /// The payment engine (journal, backend, clock, config, status).
    pub engine: Arc<PaymentEngine>,
    /// The PIN and device key.
    pub authenticator: Arc<Authenticator>,
    /// Merchant verification (the registry may be refreshed concurrently).
    pub trust: Arc<RwLock<TrustStore>>,
    /// The shortcuts: their settings, the PIN-free rules, the biometric key
    /// and the request key that sign without the PIN.
    pub shortcuts: Arc<ShortcutService>,
}

/// What the flow keeps about the scanned code.
#[derive(Debug, Clone)]
struct Scanned {
    text: String,
    payload: MerchantPayload,
    review: MerchantReview,
    /// (key id, nonce) consumed by verifying a dynamic code.
    nonce: Option<(String, String)>,
}

/// One payment attempt's flow. Not `Sync`: one UI drives it.
pub struct PaymentFlow {
    services: FlowServices,
    state: FlowState,
    scanned: Option<Scanned>,
    pin: PinPad,
    /// The id for the current attempt, minted on confirm; it becomes the
    /// journalled id on the PIN's last digit and is never re-minted for it.
    attempt_id: Option<String>,
    /// Journalled: the nonce must not be released any more.
    journalled: bool,
    /// The amounts last confirmed (for a new attempt after a failure).
    confirmed: Option<AmountBreakdown>,
    /// The language of the one text the flow writes itself: the biometric
    /// dialog's, which the platform shows (states carry data; the app
    /// renders them with [`Describe`](crate::i18n::describe::Describe)).
    locale: Locale,
}

impl std::fmt::Debug for PaymentFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentFlow")
            .field("state", &self.state.name())
            .field("pin_digits", &self.pin.len())
            .finish_non_exhaustive()
    }
}

fn parse_amount_text(text: &str, currency: Currency) -> Result<Option<Money>, AmountError> {
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(Money::parse(text, currency)?))
}

impl PaymentFlow {
    /// A new flow, Scanning.
    pub fn new(services: FlowServices) -> PaymentFlow {
        PaymentFlow {
            services,
            state: FlowState::Scanning,
            scanned: None,
            pin: PinPad::new(),
            attempt_id: None,
            journalled: false,
            confirmed: None,
            locale: Locale::ENGLISH,
        }
    }

    /// Sets the payer's language for the biometric dialog's title and
    /// subtitle (English until set). The bindings set it from the locale the
    /// app chose; the CLI from `--lang`.
    pub fn set_locale(&mut self, locale: Locale) {
        self.locale = locale;
    }

    /// A flow showing an already-journalled payment (e.g. after a restart,
    /// to render a payment's outcome).
    pub fn for_payment(services: FlowServices, rec: &PaymentRecord) -> PaymentFlow {
        let mut f = PaymentFlow::new(services);
        f.attempt_id = Some(rec.id.clone());
        f.journalled = true;
        f.state = state_for(rec);
        f
    }

    /// The current state.
    pub fn state(&self) -> &FlowState {
        &self.state
    }

    /// The journalled payment id of this attempt, if any.
    pub fn payment_id(&self) -> Option<&str> {
        self.journalled
            .then_some(self.attempt_id.as_deref())
            .flatten()
    }

    fn now(&self) -> u64 {
        self.services.engine.clock().now()
    }

    fn invalid(&self, intent: &Intent) -> FlowError {
        FlowError::InvalidIntent {
            state: self.state.name(),
            intent: intent.name(),
        }
    }

    /// Applies one intent. On `Err` the state is unchanged, with one
    /// exception: when the sixth PIN digit's attempt errs, the pad is cleared
    /// (PIN digits are never kept past an attempt) and the state becomes
    /// EnterPin with `digits: 0` and the error as `last_error`, so that the
    /// state always shows what the pad holds; the user enters the PIN again.
    ///
    /// Cancel means: before anything was journalled, back to Scanning (a
    /// dynamic code's nonce is released so it can be scanned again); on a
    /// NotSent failure or a payment queued offline, withdraw it (it never
    /// reached the backend); on Done / Failed / NeedsAttention, close (back
    /// to Scanning). It is refused while money may be moving.
    pub fn handle(&mut self, intent: Intent) -> Result<FlowState, FlowError> {
        let next = self.next(&intent)?;
        self.state = next;
        Ok(self.state.clone())
    }

    fn next(&mut self, intent: &Intent) -> Result<FlowState, FlowError> {
        match (&self.state, intent) {
            (
                FlowState::Scanning
                | FlowState::Done { .. }
                | FlowState::NeedsAttention { .. }
                | FlowState::Failed {
                    retry: RetryOption::None | RetryOption::NewAttempt | RetryOption::Reenrol,
                    ..
                },
                Intent::ScannedText(_) | Intent::ScannedCode(_),
            ) => {
                let text = match intent {
                    Intent::ScannedText(t) => t.as_str(),
                    Intent::ScannedCode(c) => c.text.as_deref().ok_or(FlowError::NoText)?,
                    _ => return Err(self.invalid(intent)),
                };
                self.scan(text)
            }
            (FlowState::ReviewMerchant { review }, Intent::Proceed) => {
                if !review.payable {
                    return Err(FlowError::MerchantNotPayable {
                        reason: review.refusal.clone().unwrap_or(Reason::NoSignature),
                    });
                }
                let review = review.clone();
                Ok(match review.amount {
                    Some(amount) => {
                        let b = breakdown(amount, review.tip_rule, None)
                            .map_err(|_| FlowError::AmountRequired)?;
                        FlowState::ConfirmAmount {
                            review,
                            tip_entered: String::new(),
                            breakdown: b,
                            problem: None,
                        }
                    }
                    None => FlowState::EnterAmount {
                        review,
                        entered: String::new(),
                        tip_entered: String::new(),
                        breakdown: None,
                        problem: None,
                    },
                })
            }
            (
                FlowState::EnterAmount {
                    review,
                    tip_entered,
                    ..
                },
                Intent::EditAmount(text),
            ) => {
                if text.chars().count() > MAX_AMOUNT_INPUT_CHARS {
                    return Err(FlowError::AmountTooLong);
                }
                let (b, problem) = compute(review, text, tip_entered);
                Ok(FlowState::EnterAmount {
                    review: review.clone(),
                    entered: text.clone(),
                    tip_entered: tip_entered.clone(),
                    breakdown: b,
                    problem,
                })
            }
            (FlowState::ConfirmAmount { .. }, Intent::EditAmount(_)) => Err(FlowError::AmountFixed),
            (
                FlowState::EnterAmount { review, .. } | FlowState::ConfirmAmount { review, .. },
                Intent::EditTip(_),
            ) if review.tip_rule != Some(TipRule::Prompt) => Err(FlowError::TipNotAllowed),
            (
                FlowState::EnterAmount {
                    review, entered, ..
                },
                Intent::EditTip(tip),
            ) => {
                if tip.chars().count() > MAX_AMOUNT_INPUT_CHARS {
                    return Err(FlowError::AmountTooLong);
                }
                let (b, problem) = compute(review, entered, tip);
                Ok(FlowState::EnterAmount {
                    review: review.clone(),
                    entered: entered.clone(),
                    tip_entered: tip.clone(),
                    breakdown: b,
                    problem,
                })
            }
            (
                FlowState::ConfirmAmount {
                    review, breakdown, ..
                },
                Intent::EditTip(tip),
            ) => {
                if tip.chars().count() > MAX_AMOUNT_INPUT_CHARS {
                    return Err(FlowError::AmountTooLong);
                }
                let amount_text = breakdown.amount.to_emv_string();
                let (b, problem) = compute(review, &amount_text, tip);
                Ok(FlowState::ConfirmAmount {
                    review: review.clone(),
                    tip_entered: tip.clone(),
                    // A tip that does not parse keeps the tip-less amounts.
                    breakdown: b.unwrap_or(AmountBreakdown {
                        tip: Money::zero(breakdown.amount.currency),
                        total: breakdown
                            .total
                            .checked_sub(breakdown.tip)
                            .unwrap_or(breakdown.total),
                        ..*breakdown
                    }),
                    problem,
                })
            }
            (
                FlowState::EnterAmount {
                    review,
                    breakdown: b,
                    problem,
                    ..
                },
                Intent::Confirm { displayed_total },
            ) => {
                let b = match (b, problem) {
                    (Some(b), None) => *b,
                    _ => return Err(FlowError::AmountRequired),
                };
                self.confirm(review.clone(), b, *displayed_total)
            }
            (
                FlowState::ConfirmAmount {
                    review,
                    breakdown: b,
                    problem,
                    ..
                },
                Intent::Confirm { displayed_total },
            ) => {
                if problem.is_some() {
                    return Err(FlowError::AmountRequired);
                }
                self.confirm(review.clone(), *b, *displayed_total)
            }
            (
                FlowState::ConfirmPinFree {
                    review, breakdown, ..
                },
                Intent::Confirm { displayed_total },
            ) => {
                let (review, b) = (review.clone(), *breakdown);
                self.pay_pin_free(review, b, *displayed_total)
            }
            (
                FlowState::ConfirmPinFree {
                    review, breakdown, ..
                },
                Intent::UsePin,
            ) => {
                let (review, b) = (review.clone(), *breakdown);
                let offline = self.services.engine.is_offline();
                let fallback = pin_free_fallback(&b, FallbackReason::PayerChose);
                Ok(self.enter_pin(review, b, offline, Some(fallback)))
            }
            (
                FlowState::ConfirmBiometric {
                    review,
                    breakdown,
                    offline,
                    ..
                },
                Intent::UsePin,
            ) => {
                let (review, b, offline) = (review.clone(), *breakdown, *offline);
                let fallback = PinFallback {
                    shortcut: Shortcut::Biometric,
                    reason: FallbackReason::PayerChose,
                };
                Ok(self.enter_pin(review, b, offline, Some(fallback)))
            }
            (
                FlowState::ConfirmBiometric {
                    review,
                    breakdown,
                    offline,
                    ..
                },
                Intent::AuthenticateBiometric,
            ) => {
                let (review, b, offline) = (review.clone(), *breakdown, *offline);
                self.pay_biometric(review, b, offline)
            }
            (FlowState::EnterPin { .. }, Intent::PinDigit(d)) => {
                self.pin.press(*d).map_err(FlowError::Pin)?;
                if self.pin.is_complete() {
                    let outcome = self.authorise();
                    if let Err(FlowError::Pin(e)) = &outcome {
                        // The attempt cleared the pad (its digits are not
                        // kept past an attempt); the state must say so, or
                        // the UI shows five dots over an empty pad and the
                        // next press would be the first digit, not the sixth.
                        self.state = self.refused(e.clone());
                    } else if outcome.is_err() {
                        self.state = self.with_digits();
                    }
                    return outcome;
                }
                Ok(self.with_digits())
            }
            (FlowState::EnterPin { .. }, Intent::Backspace) => {
                self.pin.backspace();
                Ok(self.with_digits())
            }
            (FlowState::Failed { retry, .. }, Intent::Retry) => self.retry(*retry, intent),
            (
                FlowState::Failed {
                    retry, payment_id, ..
                },
                Intent::Cancel,
            ) => {
                if *retry == RetryOption::SameId {
                    if let Some(id) = payment_id {
                        self.services.engine.cancel(id)?;
                    }
                }
                Ok(self.reset())
            }
            (
                FlowState::Pending {
                    payment_id,
                    reason: PendingReason::QueuedOffline,
                    ..
                },
                Intent::Cancel,
            ) => {
                self.services.engine.cancel(payment_id)?;
                Ok(self.reset())
            }
            (
                FlowState::ReviewMerchant { .. }
                | FlowState::EnterAmount { .. }
                | FlowState::ConfirmAmount { .. }
                | FlowState::ConfirmPinFree { .. }
                | FlowState::ConfirmBiometric { .. }
                | FlowState::EnterPin { .. }
                | FlowState::Done { .. }
                | FlowState::NeedsAttention { .. },
                Intent::Cancel,
            ) => Ok(self.reset()),
            _ => Err(self.invalid(intent)),
        }
    }

    /// Back to Scanning; releases an unused dynamic-code nonce.
    fn reset(&mut self) -> FlowState {
        if !self.journalled {
            if let Some((key_id, nonce)) = self.scanned.as_ref().and_then(|s| s.nonce.clone()) {
                let mut guard = self.services.engine.store().clone();
                guard.release(&key_id, &nonce);
            }
        }
        self.scanned = None;
        self.pin.clear();
        self.attempt_id = None;
        self.journalled = false;
        self.confirmed = None;
        FlowState::Scanning
    }

    fn scan(&mut self, text: &str) -> Result<FlowState, FlowError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(FlowError::TooLong);
        }
        let classified = classify(text);
        if classified.kind != PayloadKind::EmvMpm {
            return Err(FlowError::NotAMerchantCode {
                kind: classified.kind,
            });
        }
        let payload = match classified.result {
            Ok(Payload::EmvMpm(p)) => p,
            Ok(_) => {
                return Err(FlowError::NotAMerchantCode {
                    kind: classified.kind,
                })
            }
            Err(e) => {
                return Err(FlowError::DamagedCode {
                    detail: e.to_string(),
                })
            }
        };
        // Leaving a previous attempt (Done / Failed) first.
        self.reset();
        let now = self.now();
        let mut guard = self.services.engine.store().clone();
        let verdict = {
            let trust = self
                .services
                .trust
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            trust.verify(text, now, &mut guard)
        };
        let allow = self.services.engine.config().allow_unverified;
        let (registered_name, registered_city, warnings, nonce, refusal) = match &verdict {
            Verdict::Verified(v) => (
                Some(v.registered_name.clone()),
                Some(v.registered_city.clone()),
                v.warnings.clone(),
                v.dynamic
                    .as_ref()
                    .map(|d| (v.key_id.clone(), d.nonce.clone())),
                None,
            ),
            Verdict::Unverified { reason } => (None, None, Vec::new(), None, Some(reason.clone())),
        };
        let review = MerchantReview {
            registered_name,
            registered_city,
            printed_name: payload.merchant_name.clone(),
            payable: verdict.is_verified() || allow,
            verdict,
            warnings,
            dynamic: payload.is_dynamic(),
            amount: payload.amount,
            currency: payload.currency,
            tip_rule: payload.tip,
            refusal,
        };
        self.scanned = Some(Scanned {
            text: text.to_string(),
            payload,
            review: review.clone(),
            nonce,
        });
        if let Some(state) = self.straight(&review) {
            return Ok(state);
        }
        Ok(FlowState::ReviewMerchant { review })
    }

    /// The shortcut paths straight from the scan (ADR 0022 §5), for a
    /// verified, warning-free dynamic code with its amount: ConfirmPinFree
    /// when the PIN-free rules allow it (not for a code that asks for a tip:
    /// the payer must be able to add one), else ConfirmAmount — the review
    /// screen skipped — when biometric confirmation is on. `None`: the
    /// usual review.
    fn straight(&mut self, review: &MerchantReview) -> Option<FlowState> {
        let amount = review.amount?;
        if !(review.payable
            && review.verdict.is_verified()
            && review.warnings.is_empty()
            && review.dynamic)
        {
            return None;
        }
        let b = breakdown(amount, review.tip_rule, None).ok()?;
        let engine = Arc::clone(&self.services.engine);
        let offline = engine.is_offline();
        if review.tip_rule != Some(TipRule::Prompt) {
            if let Ok(limits) = self.pin_free_decision(review, &b, offline) {
                // A payment the ordinary limits refuse is left to the usual
                // path, which explains the refusal.
                if engine.check_limits(b.total, offline, self.now()).is_ok() {
                    self.attempt_id = Some(PaymentEngine::new_payment_id().ok()?);
                    self.confirmed = Some(b);
                    return Some(FlowState::ConfirmPinFree {
                        review: review.clone(),
                        breakdown: b,
                        limits,
                    });
                }
            }
        }
        self.biometric_on().then(|| FlowState::ConfirmAmount {
            review: review.clone(),
            tip_entered: String::new(),
            breakdown: b,
            problem: None,
        })
    }

    /// Whether biometric confirmation is offered and on.
    fn biometric_on(&self) -> bool {
        let shortcuts = &self.services.shortcuts;
        shortcuts.config().biometric && shortcuts.current().biometric_on()
    }

    /// The PIN-free rules for this payment as the flow knows it.
    fn pin_free_decision(
        &self,
        review: &MerchantReview,
        b: &AmountBreakdown,
        offline: bool,
    ) -> Result<PinFreeLimits, PinFreeRefusal> {
        let account = self
            .scanned
            .as_ref()
            .map(|s| s.payload.merchant_account())
            .unwrap_or_default();
        self.services.shortcuts.check_pin_free(
            &self.services.engine,
            &PinFreePayment {
                total: b.total,
                merchant_account: &account,
                verified: review.verdict.is_verified(),
                trust_warning: !review.warnings.is_empty(),
                dynamic_with_amount: review.dynamic && review.amount.is_some(),
                // A static code's amount is always typed; a tip is typed.
                payer_entered: review.amount.is_none() || b.tip.minor > 0,
                offline,
            },
            self.now(),
        )
    }

    /// The PIN pad, empty, with why a shortcut was not used.
    fn enter_pin(
        &mut self,
        review: MerchantReview,
        b: AmountBreakdown,
        offline: bool,
        fallback: Option<PinFallback>,
    ) -> FlowState {
        self.pin.clear();
        FlowState::EnterPin {
            review,
            breakdown: b,
            digits: 0,
            offline,
            last_error: None,
            fallback,
        }
    }

    /// After a confirmed amount: one tap when the PIN-free rules allow it,
    /// the biometric prompt when that is on and available, else the PIN pad
    /// saying which shortcut did not apply and why.
    fn authentication_step(
        &mut self,
        review: MerchantReview,
        b: AmountBreakdown,
        offline: bool,
    ) -> FlowState {
        let refusal = match self.pin_free_decision(&review, &b, offline) {
            Ok(limits) => {
                return FlowState::ConfirmPinFree {
                    review,
                    breakdown: b,
                    limits,
                }
            }
            Err(PinFreeRefusal::NotOptedIn { .. }) => None,
            Err(r) => Some(r),
        };
        if self.biometric_on() {
            let reason = match self.services.shortcuts.biometric_key() {
                None => FallbackReason::Unusable {
                    detail: "no biometric key is attached".into(),
                },
                Some(key) => match key.availability() {
                    BiometricAvailability::Available => {
                        return FlowState::ConfirmBiometric {
                            review,
                            breakdown: b,
                            offline,
                            problem: None,
                        }
                    }
                    other => FallbackReason::BiometricUnavailable(other),
                },
            };
            let fallback = PinFallback {
                shortcut: Shortcut::Biometric,
                reason,
            };
            return self.enter_pin(review, b, offline, Some(fallback));
        }
        let fallback = refusal.map(|r| pin_free_fallback(&b, FallbackReason::PinFreeRefused(r)));
        self.enter_pin(review, b, offline, fallback)
    }

    /// The payer tapped to pay PIN-free: the rules are checked again (the
    /// network or the journal may have changed since the screen was shown),
    /// then the request key signs and the payment is journalled. A refusal
    /// goes to the PIN pad, never pays.
    fn pay_pin_free(
        &mut self,
        review: MerchantReview,
        b: AmountBreakdown,
        displayed: Money,
    ) -> Result<FlowState, FlowError> {
        let offline = self.accept_total(&b, displayed)?;
        if let Err(r) = self.pin_free_decision(&review, &b, offline) {
            let fallback = pin_free_fallback(&b, FallbackReason::PinFreeRefused(r));
            return Ok(self.enter_pin(review, b, offline, Some(fallback)));
        }
        let auth = self.authorisation(&review, &b, "confirm")?;
        match self.services.shortcuts.sign_pin_free(auth) {
            Ok(signed) => Ok(self.journal_signed(review, b, offline, signed)),
            Err(e) => {
                let fallback = pin_free_fallback(
                    &b,
                    FallbackReason::Unusable {
                        detail: e.to_string(),
                    },
                );
                Ok(self.enter_pin(review, b, offline, Some(fallback)))
            }
        }
    }

    /// The payer asked for the biometric prompt: the platform signs the
    /// challenge, the core checks it with the key recorded at opt-in, and
    /// the payment is journalled. A cancel stays here with the problem
    /// shown; anything else goes to the PIN pad with the reason (a lost key
    /// or a bad signature also turns biometric confirmation off).
    fn pay_biometric(
        &mut self,
        review: MerchantReview,
        b: AmountBreakdown,
        offline: bool,
    ) -> Result<FlowState, FlowError> {
        let auth = self.authorisation(&review, &b, "authenticate-biometric")?;
        // The platform shows these in its own dialog, so they come from the
        // catalogue in the payer's language; the name is the one the
        // confirm screen showed (describe's: registered, else printed).
        let prompt = BiometricPromptText {
            title: Msg::ShortcutBiometricTitle { amount: b.total }.render(&self.locale),
            subtitle: Msg::ShortcutBiometricSubtitle {
                merchant: crate::i18n::describe::merchant_name(&review),
            }
            .render(&self.locale),
            cancel: Msg::UiUsePin.render(&self.locale),
        };
        let shortcuts = Arc::clone(&self.services.shortcuts);
        let reason = match shortcuts.sign_biometric(auth, &prompt) {
            Ok(signed) => return Ok(self.journal_signed(review, b, offline, signed)),
            Err(BiometricFailure::Platform(BiometricError::Cancelled)) => {
                return Ok(FlowState::ConfirmBiometric {
                    review,
                    breakdown: b,
                    offline,
                    problem: Some(BiometricError::Cancelled),
                })
            }
            Err(BiometricFailure::Platform(e)) => {
                let lapse = match e {
                    BiometricError::KeyInvalidated => Some(ShortcutLapse::KeyInvalidated),
                    BiometricError::KeyMissing => Some(ShortcutLapse::KeyMissing),
                    _ => None,
                };
                if let Some(lapse) = lapse {
                    // The PIN is asked either way; a lapse that cannot be
                    // saved is asked again at the next biometric attempt.
                    let _ = shortcuts.lapse(Shortcut::Biometric, lapse);
                }
                FallbackReason::Biometric(e)
            }
            Err(BiometricFailure::BadSignature) => {
                let _ = shortcuts.lapse(Shortcut::Biometric, ShortcutLapse::BadSignature);
                FallbackReason::BadSignature
            }
            Err(BiometricFailure::Unusable(detail)) => FallbackReason::Unusable { detail },
        };
        let fallback = PinFallback {
            shortcut: Shortcut::Biometric,
            reason,
        };
        Ok(self.enter_pin(review, b, offline, Some(fallback)))
    }

    /// The authorisation of the current attempt (its id minted at confirm).
    fn authorisation(
        &self,
        review: &MerchantReview,
        b: &AmountBreakdown,
        intent: &'static str,
    ) -> Result<PaymentAuthorisation, FlowError> {
        let (Some(scanned), Some(id)) = (self.scanned.as_ref(), self.attempt_id.clone()) else {
            return Err(FlowError::InvalidIntent {
                state: self.state.name(),
                intent,
            });
        };
        Ok(PaymentAuthorisation {
            payment_id: id,
            merchant_key_id: match &review.verdict {
                Verdict::Verified(v) => v.key_id.clone(),
                Verdict::Unverified { .. } => String::new(),
            },
            merchant_account: scanned.payload.merchant_account(),
            amount_minor: b.total.minor,
            currency: b.total.currency,
            payload_sha256: PaymentAuthorisation::payload_digest(&scanned.text),
            time: self.now(),
        })
    }

    /// Journals a signed payment (any method) and shows it; nothing is sent
    /// yet. A journal refusal is a failure with nothing sent, except a
    /// PIN-free payment found offline, which goes to the PIN pad.
    fn journal_signed(
        &mut self,
        review: MerchantReview,
        b: AmountBreakdown,
        offline: bool,
        signed: SignedAuthorisation,
    ) -> FlowState {
        let (Some(scanned), Some(id)) = (self.scanned.clone(), self.attempt_id.clone()) else {
            return FlowState::Failed {
                payment_id: None,
                reason: FailureReason::NotStarted {
                    message: "no payment is being made".into(),
                },
                retry: RetryOption::None,
            };
        };
        let verified = review.verdict.is_verified();
        let key_id = signed.authorisation.merchant_key_id.clone();
        let account = signed.authorisation.merchant_account.clone();
        let merchant = MerchantSummary {
            name: merchant_name(&review),
            city: review.registered_city.clone(),
            merchant_id: match &review.verdict {
                Verdict::Verified(v) => Some(v.merchant_id.clone()),
                Verdict::Unverified { .. } => None,
            },
            key_id: verified.then_some(key_id),
            account,
            verified,
        };
        let journalled = self.services.engine.journal(NewPayment {
            id,
            merchant,
            breakdown: b,
            payload: scanned.text,
            authorisation: signed,
        });
        match journalled {
            Ok(rec) => {
                self.journalled = true;
                state_for(&rec)
            }
            Err(EngineError::PinFreeOffline) => {
                let fallback =
                    pin_free_fallback(&b, FallbackReason::PinFreeRefused(PinFreeRefusal::Offline));
                self.enter_pin(review, b, offline, Some(fallback))
            }
            Err(e) => FlowState::Failed {
                payment_id: None,
                reason: FailureReason::NotStarted {
                    message: e.to_string(),
                },
                retry: RetryOption::NewAttempt,
            },
        }
    }

    fn confirm(
        &mut self,
        review: MerchantReview,
        b: AmountBreakdown,
        displayed: Money,
    ) -> Result<FlowState, FlowError> {
        let offline = self.accept_total(&b, displayed)?;
        self.pin.clear();
        Ok(self.authentication_step(review, b, offline))
    }

    /// What every confirmation does first, whatever authorises it next: the
    /// total the UI displayed is the one computed, the wallet's limits allow
    /// it (online or offline, as the wallet is now), and the attempt has its
    /// id. Returns whether the wallet is offline.
    fn accept_total(&mut self, b: &AmountBreakdown, displayed: Money) -> Result<bool, FlowError> {
        if displayed != b.total {
            return Err(FlowError::TotalMismatch {
                expected: b.total,
                displayed,
            });
        }
        let engine = &self.services.engine;
        let offline = engine.is_offline();
        engine.check_limits(b.total, offline, self.now())?;
        if self.attempt_id.is_none() {
            self.attempt_id = Some(PaymentEngine::new_payment_id()?);
        }
        self.confirmed = Some(*b);
        Ok(offline)
    }

    /// EnterPin after a sixth digit whose attempt was refused with an error:
    /// the pad is empty and the error is shown as the last one.
    fn refused(&self, e: AuthError) -> FlowState {
        let mut s = self.with_digits();
        if let FlowState::EnterPin { last_error, .. } = &mut s {
            *last_error = Some(e);
        }
        s
    }

    fn with_digits(&self) -> FlowState {
        let mut s = self.state.clone();
        if let FlowState::EnterPin { digits, .. } = &mut s {
            *digits = self.pin.len();
        }
        s
    }

    fn authorise(&mut self) -> Result<FlowState, FlowError> {
        let (review, b, offline, fallback) = match &self.state {
            FlowState::EnterPin {
                review,
                breakdown,
                offline,
                fallback,
                ..
            } => (review.clone(), *breakdown, *offline, fallback.clone()),
            _ => {
                self.pin.clear();
                return Err(FlowError::InvalidIntent {
                    state: self.state.name(),
                    intent: "pin-digit",
                });
            }
        };
        let auth = match self.authorisation(&review, &b, "pin-digit") {
            Ok(a) => a,
            Err(e) => {
                self.pin.clear();
                return Err(e);
            }
        };
        let now = auth.time;
        let signed = self.services.authenticator.authorise(&self.pin, auth, now);
        self.pin.clear();
        let signed = match signed {
            Ok(s) => s,
            Err(e @ AuthError::WrongPin { .. }) => {
                return Ok(FlowState::EnterPin {
                    review,
                    breakdown: b,
                    digits: 0,
                    offline,
                    last_error: Some(e),
                    fallback,
                })
            }
            Err(AuthError::LockedOut { until, .. }) => {
                return Ok(FlowState::Failed {
                    payment_id: None,
                    reason: FailureReason::PinLockedOut { until },
                    retry: RetryOption::AfterWait { until },
                })
            }
            Err(AuthError::Disabled) => {
                return Ok(FlowState::Failed {
                    payment_id: None,
                    reason: FailureReason::PinDisabled,
                    retry: RetryOption::Reenrol,
                })
            }
            Err(AuthError::NotEnrolled) => {
                return Ok(FlowState::Failed {
                    payment_id: None,
                    reason: FailureReason::NotEnrolled,
                    retry: RetryOption::Reenrol,
                })
            }
            Err(e) => return Err(FlowError::Pin(e)),
        };
        Ok(self.journal_signed(review, b, offline, signed))
    }

    fn retry(&mut self, retry: RetryOption, intent: &Intent) -> Result<FlowState, FlowError> {
        match retry {
            RetryOption::SameId => {
                let id = self
                    .attempt_id
                    .clone()
                    .ok_or_else(|| self.invalid(intent))?;
                let rec = self.services.engine.retry(&id)?;
                Ok(state_for(&rec))
            }
            RetryOption::NewAttempt | RetryOption::AfterWait { .. } => {
                if let RetryOption::AfterWait { until } = retry {
                    if self.now() < until {
                        return Err(FlowError::StillLockedOut { until });
                    }
                }
                let Some(scanned) = self.scanned.clone() else {
                    return Err(self.invalid(intent));
                };
                let b = match &self.state {
                    FlowState::Failed { .. } => self.last_breakdown(),
                    _ => None,
                };
                let Some(b) = b else {
                    return Err(self.invalid(intent));
                };
                // A shortcut payment the backend refused with `pin-required`
                // is tried again with the PIN, saying why.
                let fallback = match &self.state {
                    FlowState::Failed {
                        reason: FailureReason::Declined { code, message },
                        payment_id,
                        ..
                    } if code == DECLINE_PIN_REQUIRED => {
                        let method = payment_id
                            .as_deref()
                            .and_then(|id| self.services.engine.payment(id).ok().flatten())
                            .map(|r| r.method());
                        let reason = FallbackReason::PinRequired {
                            message: message.clone(),
                        };
                        Some(match method {
                            Some(PaymentAuthMethod::Biometric) => PinFallback {
                                shortcut: Shortcut::Biometric,
                                reason,
                            },
                            _ => pin_free_fallback(&b, reason),
                        })
                    }
                    _ => None,
                };
                if self.journalled {
                    // The previous id is resolved (declined, reversed…) and
                    // stays so; this is a new payment with a new id.
                    self.attempt_id = Some(PaymentEngine::new_payment_id()?);
                    self.journalled = false;
                }
                let engine = Arc::clone(&self.services.engine);
                let offline = engine.is_offline();
                engine.check_limits(b.total, offline, self.now())?;
                Ok(self.enter_pin(scanned.review, b, offline, fallback))
            }
            RetryOption::None | RetryOption::Reenrol => Err(self.invalid(intent)),
        }
    }

    /// The amounts of the current attempt, from the journal or the last
    /// confirmed amounts.
    fn last_breakdown(&self) -> Option<AmountBreakdown> {
        if self.journalled {
            let id = self.attempt_id.as_deref()?;
            return self
                .services
                .engine
                .payment(id)
                .ok()
                .flatten()
                .map(|r| r.breakdown);
        }
        self.confirmed
    }

    /// Runs the network part: valid in Processing (and Pending: a queued
    /// payment is forwarded if the wallet is back online; an unresolved one
    /// is driven again). Blocks; `progress` sees each intermediate state.
    /// Returns the end state (Done, Failed, Pending or NeedsAttention). On
    /// `Err` the payment stays journalled and resumable.
    pub fn process(
        &mut self,
        progress: &mut dyn FnMut(&FlowState),
    ) -> Result<FlowState, FlowError> {
        let id = match &self.state {
            FlowState::Processing { payment_id, .. } | FlowState::Pending { payment_id, .. } => {
                payment_id.clone()
            }
            _ => {
                return Err(FlowError::InvalidIntent {
                    state: self.state.name(),
                    intent: "process",
                })
            }
        };
        let rec = self
            .services
            .engine
            .drive(&id, &mut |r| progress(&state_for(r)))?;
        self.state = state_for(&rec);
        Ok(self.state.clone())
    }
}

/// The name the journal and the biometric prompt show: the registered one,
/// or the printed one marked unverified.
fn merchant_name(review: &MerchantReview) -> String {
    match (&review.registered_name, &review.printed_name) {
        (Some(n), _) => n.clone(),
        (None, Some(p)) => format!("(unverified) {p}"),
        (None, None) => "(unverified)".to_string(),
    }
}

/// A PIN-free shortcut not used for a payment of `b`.
fn pin_free_fallback(b: &AmountBreakdown, reason: FallbackReason) -> PinFallback {
    PinFallback {
        shortcut: Shortcut::PinFree {
            currency: b.currency(),
        },
        reason,
    }
}

/// The amount text and tip text under the review's rules.
fn compute(
    review: &MerchantReview,
    amount_text: &str,
    tip_text: &str,
) -> (Option<AmountBreakdown>, Option<AmountError>) {
    let amount = match parse_amount_text(amount_text, review.currency) {
        Ok(Some(a)) => a,
        Ok(None) => return (None, None),
        Err(e) => return (None, Some(e)),
    };
    let tip = match parse_amount_text(tip_text, review.currency) {
        Ok(t) => t,
        Err(e) => return (None, Some(e)),
    };
    match breakdown(amount, review.tip_rule, tip) {
        Ok(b) => (Some(b), None),
        Err(e) => (None, Some(e)),
    }
}

/// The flow state showing a journalled payment.
pub fn state_for(rec: &PaymentRecord) -> FlowState {
    let payment_id = rec.id.clone();
    let breakdown = rec.breakdown;
    match rec.state {
        PaymentState::Sending => FlowState::Processing {
            payment_id,
            breakdown,
            stage: Stage::Sending,
        },
        PaymentState::Unknown => FlowState::Processing {
            payment_id,
            breakdown,
            stage: Stage::Confirming {
                queries: rec.queries,
            },
        },
        PaymentState::Reversing => FlowState::Processing {
            payment_id,
            breakdown,
            stage: Stage::Reversing {
                attempts: rec.reverse_attempts,
            },
        },
        PaymentState::Queued => FlowState::Pending {
            payment_id,
            breakdown,
            reason: PendingReason::QueuedOffline,
        },
        PaymentState::NotSent => FlowState::Failed {
            payment_id: Some(payment_id),
            reason: FailureReason::NotSent {
                detail: rec.last_error.clone().unwrap_or_default(),
            },
            retry: RetryOption::SameId,
        },
        PaymentState::Succeeded => match &rec.receipt {
            Some(receipt) => FlowState::Done {
                payment_id,
                merchant_name: rec.merchant.name.clone(),
                receipt: receipt.clone(),
            },
            // A success without a receipt cannot be journalled by this
            // module; shown as needing attention rather than as paid.
            None => FlowState::NeedsAttention {
                payment_id,
                breakdown,
            },
        },
        PaymentState::Declined => {
            let d = rec.decline.clone().unwrap_or(super::record::Decline {
                code: "declined".into(),
                message: String::new(),
            });
            FlowState::Failed {
                payment_id: Some(payment_id),
                reason: FailureReason::Declined {
                    code: d.code,
                    message: d.message,
                },
                retry: RetryOption::NewAttempt,
            }
        }
        PaymentState::Reversed => FlowState::Failed {
            payment_id: Some(payment_id),
            reason: FailureReason::Reversed,
            retry: RetryOption::NewAttempt,
        },
        PaymentState::Cancelled => FlowState::Scanning,
        PaymentState::NeedsAttention => FlowState::NeedsAttention {
            payment_id,
            breakdown,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_are_stable_unique_and_kebab_case() {
        let table = [
            (
                FailureReason::Declined {
                    code: "insufficient-funds".into(),
                    message: "low".into(),
                },
                "declined",
            ),
            (FailureReason::Reversed, "reversed"),
            (
                FailureReason::NotSent {
                    detail: "offline".into(),
                },
                "not-sent",
            ),
            (
                FailureReason::NotStarted {
                    message: "limit".into(),
                },
                "not-started",
            ),
            (FailureReason::PinLockedOut { until: 1 }, "pin-locked-out"),
            (FailureReason::PinDisabled, "pin-disabled"),
            (FailureReason::NotEnrolled, "not-enrolled"),
        ];
        let mut codes: Vec<&str> = Vec::new();
        for (reason, expected) in &table {
            assert_eq!(reason.code(), *expected, "{reason:?}");
            assert!(
                expected
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{expected:?} is not kebab-case"
            );
            assert!(!codes.contains(expected), "{expected:?} twice");
            codes.push(expected);
        }
    }
}
