//! Payments: the flow the UI renders, the amount rules, and the engine that
//! makes sure a payment is never lost or doubled.
//!
//! `docs/payments.md` describes the states, the journal discipline, timings,
//! the offline policy and fee rounding.
//!
//! | file (private) | concern |
//! |---|---|
//! | `flow` | [`PaymentFlow`]: scanning → review → amount → PIN → processing → done |
//! | `amount` | amount, tip and EMVCo 55/56/57 convenience fees ([`breakdown`]) |
//! | `record` | the journal record ([`PaymentRecord`]) and the outcome discipline as a pure state machine |
//! | `engine` | [`PaymentEngine`]: journal first, submit / query / reverse, resume |
//! | `config` | [`WalletConfig`]: limits, offline policy, timings, what the shortcuts offer |
//! | `shortcuts` | biometric and PIN-free shortcuts: the PIN-free rules ([`check_pin_free`]), the state, signing ([`ShortcutService`]) |
//! | `clock` | the injected [`Clock`] and its virtual test double ([`VirtualClock`]) |
//!
//! The rule everything here serves: **nothing is sent that is not journalled
//! first**, every state change is a compare-and-set in the journal, and an
//! unclear outcome is resolved by query and reversal, never guessed.

// The files are private; everything a caller needs is re-exported below, so
// `scanpay_core::payment::PaymentEngine` is the one path (ADR 0021).
mod amount;
mod clock;
mod config;
mod engine;
mod flow;
mod record;
mod shortcuts;

pub use amount::{breakdown, AmountError};
pub use clock::{Clock, OffsetClock, SystemClock, VirtualClock};
pub use config::{
    CurrencyLimits, OfflinePolicy, PaycodeConfig, PaycodeCurrencyLimits, PinFreeOffer,
    ShortcutConfig, WalletConfig, DAILY_WINDOW_SECS,
};
pub use engine::{
    request_outcome, Backend, EngineError, NewPayment, PaymentEngine, PaymentRequest, ResumeReport,
};
// The two caps are public because `FlowError::AmountTooLong` and
// `RecordError::TooLarge` name them.
pub use flow::{
    FailureReason, FallbackReason, FlowError, FlowServices, FlowState, Intent, MerchantReview,
    PaymentFlow, PendingReason, PinFallback, RetryOption, Stage, MAX_AMOUNT_INPUT_CHARS,
};
pub use record::{
    AmountBreakdown, BackendError, BackendReply, Decline, MerchantSummary, NextAction, Operation,
    OutcomeError, PaymentRecord, PaymentState, Receipt, RecordError, Timings, MAX_RECORD_BYTES,
    RECORD_FORMAT,
};
pub use shortcuts::{
    check_pin_free, BiometricFailure, LapsedShortcut, PinFreeFacts, PinFreePayment, PinFreeRefusal,
    Shortcut, ShortcutError, ShortcutLapse, ShortcutPushError, ShortcutRejection, ShortcutService,
    ShortcutStatus, ShortcutsBackend,
};
