//! What every payer-facing core value says: the one place that maps the
//! core's errors and flow states to catalogue messages ([`Msg`]).
//!
//! Every `match` here names each variant and has no `_` arm, on purpose: a
//! new variant of any of these enums does not compile until it is given a
//! text here (and so, through the catalogue's build checks, in every
//! language). Keep it that way when editing.
//!
//! Internal failures get [`Msg::WalletInternalError`] ("… Your money has not
//! moved.") only where that is true: the failure happened before anything
//! was journalled or sent, or it refused an operation without changing
//! anything. Where a payment may already exist (a journal record that cannot
//! be read, a state conflict), they get [`Msg::WalletInternalErrorCheck`],
//! which sends the payer to the history instead of promising anything.

use super::catalogue::Msg;
use crate::auth::{
    AuthError, BiometricAvailability, BiometricError, KeyStoreError, PinFreeLimits, PinRejected,
    SealedError, PIN_LENGTH,
};
use crate::money::{Money, MoneyError};
use crate::net::NetError;
use crate::paycode::{ChargeOutcome, OfflineLimit, PaycodeBlock, PaycodeError};
use crate::payment::{
    AmountError, BackendError, EngineError, FailureReason, FallbackReason, FlowError, FlowState,
    LapsedShortcut, MerchantReview, PaymentState, PendingReason, PinFreeRefusal, Shortcut,
    ShortcutError, ShortcutLapse, ShortcutPushError, ShortcutRejection, Stage,
};
use crate::status::{ConnectivityStatus, DegradedReason};
use crate::store::StoreError;
use crate::trust::{Reason, RegistryError, Verdict, Warning};
use crate::wallet::WalletError;

/// A core value the payer can be shown, as a catalogue message.
pub trait Describe {
    /// The message for this value; render it with [`Msg::render`].
    fn message(&self) -> Msg;
}

/// The name to show for the merchant under review: the registered one, or
/// (an unverified code the policy lets the payer pay) the printed one. The
/// flow's biometric dialog uses it too, so both name the merchant alike.
pub(crate) fn merchant_name(review: &MerchantReview) -> String {
    review
        .registered_name
        .clone()
        .or_else(|| review.printed_name.clone())
        .unwrap_or_default()
}

impl Describe for FlowState {
    fn message(&self) -> Msg {
        match self {
            FlowState::Scanning => Msg::FlowScanning,
            FlowState::ReviewMerchant { review } => review.verdict.message(),
            FlowState::EnterAmount { review, .. } => Msg::FlowEnterAmount {
                merchant: merchant_name(review),
            },
            FlowState::ConfirmAmount {
                review, breakdown, ..
            } => Msg::FlowConfirmAmount {
                amount: breakdown.total,
                merchant: merchant_name(review),
            },
            FlowState::ConfirmPinFree {
                review, breakdown, ..
            } => Msg::FlowConfirmPinFree {
                amount: breakdown.total,
                merchant: merchant_name(review),
            },
            FlowState::ConfirmBiometric {
                review, breakdown, ..
            } => Msg::FlowConfirmBiometric {
                amount: breakdown.total,
                merchant: merchant_name(review),
            },
            FlowState::EnterPin {
                review,
                breakdown,
                offline,
                ..
            } => {
                if *offline {
                    Msg::FlowEnterPinOffline {
                        amount: breakdown.total,
                    }
                } else {
                    Msg::FlowEnterPin {
                        amount: breakdown.total,
                        merchant: merchant_name(review),
                    }
                }
            }
            FlowState::Processing { stage, .. } => stage.message(),
            FlowState::Done {
                merchant_name,
                receipt,
                ..
            } => Msg::FlowDone {
                amount: receipt.amount,
                merchant: merchant_name.clone(),
            },
            FlowState::Pending {
                breakdown, reason, ..
            } => match reason {
                PendingReason::QueuedOffline => Msg::FlowPendingOffline {
                    amount: breakdown.total,
                },
                PendingReason::Unresolved => Msg::FlowPendingUnresolved {
                    amount: breakdown.total,
                },
            },
            FlowState::Failed { reason, .. } => reason.message(),
            FlowState::NeedsAttention { breakdown, .. } => Msg::FlowNeedsAttention {
                amount: breakdown.total,
            },
        }
    }
}

/// A history row's or receipt's status word: "Paid", "Pending", "Not paid",
/// "Cancelled" (reversed), "Check with support" (needs attention).
impl Describe for PaymentState {
    fn message(&self) -> Msg {
        match self {
            PaymentState::Succeeded => Msg::ReceiptPaid,
            // Not settled yet: the wallet finishes these itself.
            PaymentState::Queued
            | PaymentState::Sending
            | PaymentState::Unknown
            | PaymentState::Reversing => Msg::ReceiptPending,
            PaymentState::NotSent | PaymentState::Declined | PaymentState::Cancelled => {
                Msg::ReceiptFailed
            }
            PaymentState::Reversed => Msg::ReceiptReversed,
            PaymentState::NeedsAttention => Msg::ReceiptNeedsAttention,
        }
    }
}

impl Describe for Stage {
    fn message(&self) -> Msg {
        match self {
            Stage::Sending => Msg::FlowSending,
            Stage::Confirming { .. } => Msg::FlowConfirming,
            Stage::Reversing { .. } => Msg::FlowReversing,
        }
    }
}

impl Describe for FailureReason {
    fn message(&self) -> Msg {
        match self {
            // The backend's decline codes are an open set (docs/api.md): the
            // known ones get their own sentence, any other the general one.
            FailureReason::Declined { code, .. } => match code.as_str() {
                "insufficient-funds" => Msg::FlowDeclinedInsufficientFunds,
                "limit-exceeded" => Msg::FlowDeclinedLimit,
                "order-paid" | "order-expired" => Msg::FlowDeclinedCodeUsed,
                "pin-required" => Msg::ShortcutPinRequired,
                "merchant-key-revoked" => Msg::TrustRevokedKey,
                _ => Msg::FlowDeclined,
            },
            FailureReason::Reversed => Msg::FlowReversed,
            FailureReason::NotSent { .. } => Msg::FlowNotSent,
            FailureReason::NotStarted { .. } => Msg::FlowNotStarted,
            // Only the end time is known here, not the wait from now.
            FailureReason::PinLockedOut { .. } => Msg::PinLockedWait,
            FailureReason::PinDisabled => Msg::PinDisabled,
            FailureReason::NotEnrolled => Msg::PinNotEnrolled,
        }
    }
}

impl Describe for FallbackReason {
    fn message(&self) -> Msg {
        match self {
            FallbackReason::PayerChose => Msg::ShortcutPayerChose,
            FallbackReason::PinFreeRefused(r) => r.message(),
            FallbackReason::BiometricUnavailable(a) => a.message(),
            FallbackReason::Biometric(e) => e.message(),
            // The signature did not verify with the opted-in key: biometric
            // confirmation is now off, as after a change of fingerprints.
            FallbackReason::BadSignature => Msg::ShortcutBiometricChanged,
            FallbackReason::Unusable { .. } => Msg::ShortcutUnavailable,
            FallbackReason::PinRequired { .. } => Msg::ShortcutPinRequired,
        }
    }
}

impl Describe for PinFreeRefusal {
    fn message(&self) -> Msg {
        match self {
            PinFreeRefusal::NotOptedIn { .. } => Msg::ShortcutNotOptedIn,
            PinFreeRefusal::Offline => Msg::ShortcutOffline,
            PinFreeRefusal::PinLockout => Msg::ShortcutPinLockout,
            PinFreeRefusal::MerchantUnverified => Msg::ShortcutMerchantUnverified,
            PinFreeRefusal::TrustWarning => Msg::ShortcutTrustWarning,
            PinFreeRefusal::StaticCode => Msg::ShortcutStaticCode,
            PinFreeRefusal::TipEntered => Msg::ShortcutTipEntered,
            PinFreeRefusal::OverPerPayment { limit } => {
                Msg::ShortcutOverPerPayment { limit: *limit }
            }
            PinFreeRefusal::NewMerchant => Msg::ShortcutNewMerchant,
            PinFreeRefusal::OverDailyCount { limit } => Msg::ShortcutOverDailyCount {
                limit: u64::from(*limit),
            },
            PinFreeRefusal::OverDailyTotal { limit, spent } => Msg::ShortcutOverDailyTotal {
                limit: *limit,
                spent: *spent,
            },
            PinFreeRefusal::Unchecked { .. } => Msg::ShortcutUnavailable,
        }
    }
}

impl Describe for BiometricAvailability {
    fn message(&self) -> Msg {
        match self {
            // Available yet not used (the flow fell back for this reason
            // only when the platform changed its answer): nothing to blame.
            BiometricAvailability::Available => Msg::ShortcutUnavailable,
            BiometricAvailability::NotEnrolled => Msg::ShortcutBiometricNotEnrolled,
            BiometricAvailability::NoHardware => Msg::ShortcutBiometricUnavailable,
            BiometricAvailability::LockedOut => Msg::ShortcutBiometricLockedOut,
        }
    }
}

/// What the phone's biometrics allow, for the shortcut settings screen
/// ("Add a fingerprint or face in the phone's settings first."). The flow's
/// fallback for the same value ([`Describe`]) says "… Use your PIN." instead:
/// there the payer is paying, here they are choosing a setting.
pub fn biometric_setting_message(availability: BiometricAvailability) -> Msg {
    match availability {
        BiometricAvailability::Available => Msg::ShortcutSettingsBiometricReady,
        BiometricAvailability::NotEnrolled => Msg::ShortcutSettingsBiometricNotEnrolled,
        BiometricAvailability::NoHardware => Msg::ShortcutSettingsBiometricNoHardware,
        BiometricAvailability::LockedOut => Msg::ShortcutSettingsBiometricLocked,
    }
}

/// Why a shortcut is off, for the settings screen, with the way back.
impl Describe for LapsedShortcut {
    fn message(&self) -> Msg {
        match (self.shortcut, self.reason) {
            (Shortcut::Biometric, ShortcutLapse::PinChanged) => {
                Msg::ShortcutLapsedBiometricPinChanged
            }
            (Shortcut::Biometric, ShortcutLapse::KeyInvalidated) => {
                Msg::ShortcutLapsedBiometricChanged
            }
            (Shortcut::Biometric, ShortcutLapse::KeyMissing) => {
                Msg::ShortcutLapsedBiometricKeyMissing
            }
            (Shortcut::Biometric, ShortcutLapse::BadSignature) => {
                Msg::ShortcutLapsedBiometricUnverified
            }
            (Shortcut::Biometric, ShortcutLapse::OptedOut) => Msg::ShortcutLapsedBiometricOff,
            (Shortcut::PinFree { .. }, ShortcutLapse::PinChanged) => {
                Msg::ShortcutLapsedPinFreePinChanged
            }
            (Shortcut::PinFree { .. }, ShortcutLapse::OptedOut) => Msg::ShortcutLapsedPinFreeOff,
            // PIN-free payments use no platform key, so the key lapses do
            // not happen to them today; should one, the general sentence.
            (
                Shortcut::PinFree { .. },
                ShortcutLapse::KeyInvalidated
                | ShortcutLapse::KeyMissing
                | ShortcutLapse::BadSignature,
            ) => Msg::ShortcutLapsedPinFree,
        }
    }
}

/// The PIN-free limits the opt-in screen offers: "Up to SGD 20.00 a
/// payment, SGD 100.00 and 10 payments a day."
impl Describe for PinFreeLimits {
    fn message(&self) -> Msg {
        Msg::ShortcutPinFreeOffer {
            per_payment: Money::new(self.per_payment, self.currency),
            daily_total: Money::new(self.daily_total, self.currency),
            daily_count: u64::from(self.daily_count),
        }
    }
}

/// The status word of a pay-code charge the payer saw end, for its result
/// screen: "Paid", "Not paid", "Refunded", "Pending". It follows the
/// outcome alone, also after a decline: a decline that arrives after the
/// charge was paid (a confirmation whose answer was lost) returns `Paid`.
pub fn charge_title_message(outcome: &ChargeOutcome) -> Msg {
    match outcome {
        ChargeOutcome::Paid { .. } => Msg::ReceiptPaid,
        ChargeOutcome::Closed => Msg::ReceiptFailed,
        ChargeOutcome::Reversed => Msg::ReceiptRefunded,
        ChargeOutcome::Unknown => Msg::ReceiptPending,
    }
}

/// The sentence under [`charge_title_message`]: what happened to the money
/// ("You paid SGD 3.50 to Kopi Corner. Receipt R-77."). `declined` is true
/// when `outcome` is what the payer's decline returned: only a charge that
/// then closed says "You declined"; a decline that found the charge already
/// paid says it was paid (the core re-reads the charge on a conflict). A
/// charge the feed reports paid with the code alone is `Paid { receipt }`.
pub fn charge_result_message(
    outcome: &ChargeOutcome,
    declined: bool,
    merchant: &str,
    amount: Money,
) -> Msg {
    let merchant = merchant.to_string();
    match outcome {
        ChargeOutcome::Paid { receipt: None } => Msg::PaycodeChargePaid { amount, merchant },
        ChargeOutcome::Paid {
            receipt: Some(receipt),
        } => Msg::PaycodeChargePaidReceipt {
            amount,
            merchant,
            receipt: receipt.clone(),
        },
        ChargeOutcome::Closed if declined => Msg::PaycodeChargeDeclined { merchant },
        ChargeOutcome::Closed => Msg::PaycodeChargeCancelled,
        ChargeOutcome::Reversed => Msg::PaycodeChargeRefunded,
        ChargeOutcome::Unknown => Msg::PaycodeChargeSent,
    }
}

impl Describe for BiometricError {
    fn message(&self) -> Msg {
        match self {
            BiometricError::Cancelled => Msg::ShortcutBiometricCancelled,
            BiometricError::LockedOut => Msg::ShortcutBiometricLockedOut,
            BiometricError::NotEnrolled => Msg::ShortcutBiometricNotEnrolled,
            BiometricError::KeyInvalidated | BiometricError::KeyMissing => {
                Msg::ShortcutBiometricChanged
            }
            BiometricError::Unavailable => Msg::ShortcutBiometricUnavailable,
            BiometricError::Failed { .. } => Msg::ShortcutBiometricFailed,
        }
    }
}

impl Describe for ShortcutError {
    fn message(&self) -> Msg {
        match self {
            ShortcutError::BiometricNotOffered | ShortcutError::PinFreeNotOffered(_) => {
                Msg::ShortcutSettingsNotOffered
            }
            ShortcutError::OverCap { .. } => Msg::ShortcutSettingsOverCap,
            ShortcutError::AlreadyOn(_) => Msg::ShortcutSettingsAlreadyOn,
            ShortcutError::NoBiometricKey
            | ShortcutError::BiometricUnavailable(_)
            | ShortcutError::BiometricPublicKey(_) => Msg::ShortcutSettingsBiometricUnavailable,
            ShortcutError::Biometric(e) => e.message(),
            // Settings out of range: refused before anything was signed.
            ShortcutError::Invalid(_) => Msg::WalletInternalError,
            ShortcutError::Auth(e) => e.message(),
            ShortcutError::NotEnrolled => Msg::PinNotEnrolled,
            ShortcutError::RequestKey(_) => Msg::NetRegisterAgain,
            ShortcutError::Store(e) => e.message(),
            ShortcutError::Damaged(_) => Msg::WalletStorageDamaged,
            ShortcutError::NoBackend => Msg::NetNoBackend,
            ShortcutError::Push(e) => e.message(),
        }
    }
}

impl Describe for ShortcutPushError {
    fn message(&self) -> Msg {
        match self {
            // Not "nothing changed": an opt-out already applies in the wallet.
            ShortcutPushError::Rejected { reason, .. } => match reason {
                ShortcutRejection::BadShortcuts
                | ShortcutRejection::Stale
                | ShortcutRejection::Other { .. } => Msg::ShortcutSettingsRefused,
                ShortcutRejection::WidensWithoutPin => Msg::ShortcutSettingsPinNeeded,
                ShortcutRejection::OverCap => Msg::ShortcutSettingsOverCap,
            },
            ShortcutPushError::Transport(e) => e.message(),
        }
    }
}

impl Describe for FlowError {
    fn message(&self) -> Msg {
        match self {
            // The intent was refused and the state is unchanged, but that
            // state may be Processing, Pending or Done: the text promises
            // nothing about the money and points at the screen's state.
            FlowError::InvalidIntent { .. } => Msg::FlowNotNow,
            FlowError::NotAMerchantCode { .. } => Msg::FlowNotMerchantCode,
            FlowError::DamagedCode { .. } => Msg::FlowDamagedCode,
            FlowError::NoText => Msg::FlowNoText,
            FlowError::TooLong => Msg::FlowTooLong,
            FlowError::MerchantNotPayable { reason } => reason.message(),
            FlowError::AmountFixed => Msg::FlowAmountFixed,
            FlowError::TipNotAllowed => Msg::FlowTipNotAllowed,
            FlowError::AmountTooLong => Msg::FlowAmountTooLong,
            FlowError::AmountRequired => Msg::FlowAmountRequired,
            FlowError::TotalMismatch { .. } => Msg::FlowTotalChanged,
            FlowError::Pin(e) => e.message(),
            FlowError::StillLockedOut { .. } => Msg::PinLockedWait,
            FlowError::Payment(e) => e.message(),
        }
    }
}

impl Describe for AmountError {
    fn message(&self) -> Msg {
        match self {
            AmountError::Invalid(e) => e.message(),
            AmountError::Zero => Msg::FlowAmountZero,
            AmountError::TipNotAllowed => Msg::FlowTipNotAllowed,
        }
    }
}

impl Describe for MoneyError {
    fn message(&self) -> Msg {
        match self {
            MoneyError::Empty
            | MoneyError::InvalidCharacter { .. }
            | MoneyError::MultipleDecimalPoints
            | MoneyError::MissingIntegerPart
            | MoneyError::MissingFraction
            | MoneyError::TooManyFractionDigits { .. } => Msg::FlowAmountInvalid,
            MoneyError::TooLong { .. } => Msg::FlowAmountTooLong,
            MoneyError::Overflow => Msg::FlowAmountTooLarge,
            // Amounts of two currencies met: a bug, caught before any money
            // moved (arithmetic happens before journalling).
            MoneyError::CurrencyMismatch { .. } => Msg::WalletInternalError,
            MoneyError::BadNumericCode(_)
            | MoneyError::UnknownNumeric(_)
            | MoneyError::UnknownCode(_) => Msg::FlowCurrencyNotAllowed,
        }
    }
}

impl Describe for EngineError {
    fn message(&self) -> Msg {
        match self {
            EngineError::Store(e) => e.message(),
            // A stored payment cannot be read, or does not fit the operation:
            // it may have moved money, so send the payer to the history.
            EngineError::Record { .. } | EngineError::Serialise(_) | EngineError::WrongState(_) => {
                Msg::WalletInternalErrorCheck
            }
            EngineError::NotFound(_) => Msg::FlowPaymentNotFound,
            // No payment id could be minted: nothing was journalled.
            EngineError::Random => Msg::WalletInternalError,
            EngineError::CurrencyNotAllowed(_) => Msg::FlowCurrencyNotAllowed,
            EngineError::PerPaymentLimit { limit } => Msg::FlowLimitPerPayment { limit: *limit },
            EngineError::DailyLimit { limit, spent } => Msg::FlowLimitDaily {
                limit: *limit,
                spent: *spent,
            },
            EngineError::OfflineNotAllowed => Msg::FlowOfflineNotAllowed,
            EngineError::OfflinePerPaymentLimit { limit } => {
                Msg::FlowOfflineLimitPerPayment { limit: *limit }
            }
            EngineError::OfflineTotalLimit { limit, queued } => Msg::FlowOfflineLimitTotal {
                limit: *limit,
                queued: *queued,
            },
            EngineError::Money(e) => e.message(),
            EngineError::PinFreeOffline => Msg::FlowPinFreeOffline,
        }
    }
}

impl Describe for AuthError {
    fn message(&self) -> Msg {
        match self {
            AuthError::NotADigit => Msg::PinNotADigit,
            AuthError::PinPadFull => Msg::PinPadFull,
            AuthError::PinIncomplete { entered } => Msg::PinIncomplete {
                length: PIN_LENGTH as u64,
                entered: *entered as u64,
            },
            AuthError::PinRejected(r) => r.message(),
            AuthError::WrongPin {
                attempts_left,
                wait_secs,
            } => {
                if *attempts_left == 0 {
                    // This failure disabled the key.
                    Msg::PinDisabled
                } else if *wait_secs > 0 {
                    Msg::PinWrongWait {
                        attempts_left: u64::from(*attempts_left),
                        wait: *wait_secs,
                    }
                } else {
                    Msg::PinWrong {
                        attempts_left: u64::from(*attempts_left),
                    }
                }
            }
            AuthError::LockedOut {
                retry_after_secs, ..
            } => Msg::PinLockedOut {
                wait: *retry_after_secs,
            },
            AuthError::Disabled => Msg::PinDisabled,
            AuthError::NotEnrolled => Msg::PinNotEnrolled,
            AuthError::AlreadyEnrolled => Msg::PinAlreadyEnrolled,
            AuthError::SealedKey(e) => e.message(),
            AuthError::KeyStore(e) => e.message(),
            AuthError::KeyStoreIneffective(_) => Msg::PinKeyStoreIneffective,
            AuthError::Store(e) => e.message(),
            // An authorisation or shortcut-settings field out of range, or
            // ring failing: nothing was signed, so nothing was sent.
            AuthError::Authorisation(_) | AuthError::Shortcuts(_) | AuthError::Crypto => {
                Msg::WalletInternalError
            }
        }
    }
}

impl Describe for PinRejected {
    fn message(&self) -> Msg {
        match self {
            PinRejected::Incomplete { entered, expected } => Msg::PinIncomplete {
                length: *expected as u64,
                entered: *entered as u64,
            },
            PinRejected::AllSame => Msg::PinRejectedSameDigit,
            PinRejected::Sequence => Msg::PinRejectedSequence,
            PinRejected::Common => Msg::PinRejectedCommon,
        }
    }
}

impl Describe for SealedError {
    fn message(&self) -> Msg {
        match self {
            // The same cases as AuthError::device_key_unusable.
            SealedError::Malformed(_)
            | SealedError::UnsupportedAlgorithm
            | SealedError::KdfIterations(_)
            | SealedError::KeyRejected => Msg::PinDeviceKeyUnusable,
            SealedError::UnsupportedVersion(_) => Msg::PinKeyNewerApp,
            SealedError::PinIncomplete { entered } => Msg::PinIncomplete {
                length: PIN_LENGTH as u64,
                entered: *entered as u64,
            },
            // Sealing or opening failed inside the crypto library; nothing
            // was signed.
            SealedError::Decrypt | SealedError::Random | SealedError::Encrypt => {
                Msg::WalletInternalError
            }
        }
    }
}

impl Describe for KeyStoreError {
    fn message(&self) -> Msg {
        match self {
            KeyStoreError::Unavailable(_) | KeyStoreError::Rejected => Msg::PinDeviceKeyUnusable,
            KeyStoreError::Failed(_) => Msg::PinKeyStoreFailed,
            // The app handed its key store something malformed: a bug in
            // the app, before anything was signed.
            KeyStoreError::InvalidInput(_) => Msg::WalletInternalError,
        }
    }
}

impl Describe for StoreError {
    fn message(&self) -> Msg {
        match self {
            StoreError::Sqlite(_) | StoreError::Unavailable(_) | StoreError::Poisoned => {
                Msg::WalletStorageFailed
            }
            StoreError::Corrupt(_) => Msg::WalletStorageDamaged,
            StoreError::NewerSchema { .. } => Msg::WalletNewerVersion,
            // A payment with this id exists, or is not in the expected
            // state: it may have moved money.
            StoreError::Duplicate(_)
            | StoreError::Conflict { .. }
            | StoreError::TooLarge { .. }
            | StoreError::OutOfRange { .. } => Msg::WalletInternalErrorCheck,
            StoreError::NotFound(_) => Msg::FlowPaymentNotFound,
            StoreError::Busy => Msg::WalletBusy,
            StoreError::DiskFull => Msg::WalletDiskFull,
        }
    }
}

impl Describe for Verdict {
    fn message(&self) -> Msg {
        match self {
            Verdict::Verified(v) => Msg::TrustVerified {
                merchant: v.registered_name.clone(),
                city: v.registered_city.clone(),
            },
            Verdict::Unverified { reason } => reason.message(),
        }
    }
}

impl Describe for Reason {
    fn message(&self) -> Msg {
        match self {
            Reason::MalformedPayload { .. } => Msg::TrustMalformedPayload,
            Reason::NoSignature => Msg::TrustNoSignature,
            Reason::MalformedSignature { .. } => Msg::TrustMalformedSignature,
            Reason::UnsupportedVersion { .. } | Reason::UnsupportedAlgorithm { .. } => {
                Msg::TrustUnsupported
            }
            Reason::NoRegistry => Msg::TrustNoRegistry,
            Reason::RegistryExpired { .. } => Msg::TrustRegistryExpired,
            Reason::UnknownKey { .. } => Msg::TrustUnknownKey,
            Reason::AlgorithmMismatch { .. } | Reason::BadSignature { .. } => {
                Msg::TrustBadSignature
            }
            Reason::RevokedKey { .. } => Msg::TrustRevokedKey,
            Reason::KeyNotYetValid { .. } => Msg::TrustKeyNotYetValid,
            Reason::KeyExpired { .. } => Msg::TrustKeyExpired,
            Reason::CodeExpired { .. } => Msg::TrustCodeExpired,
            Reason::ExpiryTooFar { .. } => Msg::TrustExpiryTooFar,
            Reason::ReplayedNonce { .. } => Msg::TrustReplayed,
            Reason::NameMismatch {
                printed,
                registered,
            } => Msg::TrustNameMismatch {
                printed: printed.clone(),
                registered: registered.clone(),
            },
            Reason::ConfusableName {
                printed,
                registered,
            } => Msg::TrustConfusableName {
                printed: printed.clone(),
                registered: registered.clone(),
            },
            Reason::MixedScriptName { name } => Msg::TrustMixedScript { name: name.clone() },
            Reason::AccountNotRegistered { .. } => Msg::TrustAccountNotRegistered,
        }
    }
}

impl Describe for Warning {
    fn message(&self) -> Msg {
        match self {
            Warning::RegistryStale { .. } => Msg::TrustWarningRegistryStale,
            Warning::CityDiffers {
                printed,
                registered,
            } => Msg::TrustWarningCityDiffers {
                printed: printed.clone(),
                registered: registered.clone(),
            },
            Warning::DynamicWithoutNonce => Msg::TrustWarningDynamicWithoutNonce,
        }
    }
}

impl Describe for PaycodeError {
    fn message(&self) -> Msg {
        match self {
            PaycodeError::NotProvisioned => Msg::PaycodeNotProvisioned,
            PaycodeError::NoBackend => Msg::NetNoBackend,
            PaycodeError::OfflineLimit(l) => l.message(),
            PaycodeError::Auth(e) => e.message(),
            PaycodeError::Backend(e) => e.message(),
            PaycodeError::BadAnswer(_) => Msg::NetBadAnswer,
            PaycodeError::WindowExhausted => Msg::PaycodeWindowExhausted,
            PaycodeError::SecretReplaced => Msg::PaycodeSecretReplaced,
            PaycodeError::Closed => Msg::PaycodeClosed,
            PaycodeError::UnknownCharge(_) => Msg::PaycodeUnknownCharge,
            // The backend's charge states: `paid`, `closed` (never charged)
            // and `reversed` (charged, then refunded: money went out and came
            // back, so "nothing was paid" would be untrue).
            PaycodeError::NotPending { state, .. } => match state.as_str() {
                "paid" => Msg::PaycodeChargeAlreadyPaid,
                "reversed" => Msg::PaycodeChargeRefunded,
                _ => Msg::PaycodeChargeCancelled,
            },
            PaycodeError::Store(e) => e.message(),
        }
    }
}

impl Describe for PaycodeBlock {
    fn message(&self) -> Msg {
        match self {
            PaycodeBlock::NotEnrolled => Msg::PinNotEnrolled,
            PaycodeBlock::NotProvisioned => Msg::PaycodeNotProvisioned,
            PaycodeBlock::PinLocked { retry_after_secs } => Msg::PinLockedOut {
                wait: *retry_after_secs,
            },
            PaycodeBlock::PinDisabled => Msg::PinDisabled,
            PaycodeBlock::KeyUnusable => Msg::PinDeviceKeyUnusable,
            PaycodeBlock::OfflineLimit(l) => l.message(),
            PaycodeBlock::WindowExhausted => Msg::PaycodeWindowExhausted,
        }
    }
}

impl Describe for OfflineLimit {
    fn message(&self) -> Msg {
        match self {
            OfflineLimit::Codes { issued, max } => Msg::PaycodeOfflineLimitCodes {
                issued: u64::from(*issued),
                max: u64::from(*max),
            },
            OfflineLimit::Total { max_total, .. } => {
                Msg::PaycodeOfflineLimitTotal { limit: *max_total }
            }
        }
    }
}

impl Describe for BackendError {
    fn message(&self) -> Msg {
        match self {
            BackendError::NotSent(_) => Msg::NetUnreachable,
            BackendError::MaybeSent(_) => Msg::NetNoAnswer,
            BackendError::Tls(_) => Msg::NetTls,
            BackendError::Server { status, .. } => http_status(*status),
        }
    }
}

/// A refusal (4xx) or a failure (5xx and anything else) of the service.
fn http_status(status: u16) -> Msg {
    if (400..500).contains(&status) {
        Msg::NetRefused {
            status: u64::from(status),
        }
    } else {
        Msg::NetServerFailed {
            status: u64::from(status),
        }
    }
}

impl Describe for NetError {
    fn message(&self) -> Msg {
        match self {
            // Refused before sending: nothing left the phone.
            NetError::InvalidRequest(_) => Msg::WalletInternalError,
            NetError::Resolve(_) | NetError::Connect(_) | NetError::ConnectTimeout(_) => {
                Msg::NetUnreachable
            }
            NetError::Tls(_) | NetError::PinMismatch => Msg::NetTls,
            NetError::ResponseTimeout
            | NetError::ConnectionLost(_)
            | NetError::BadResponse(_)
            | NetError::UnsupportedTransferEncoding(_)
            | NetError::TooLarge { .. }
            | NetError::BadBody(_) => Msg::NetNoAnswer,
            NetError::RequestKey(_) => Msg::NetRegisterAgain,
            NetError::Status { status, .. } => http_status(*status),
        }
    }
}

impl Describe for RegistryError {
    fn message(&self) -> Msg {
        match self {
            // The app's own pinned roots are unusable: an app bug, found
            // before any merchant was checked or anything paid.
            RegistryError::BadRoots(_) | RegistryError::BadRootKey { .. } => {
                Msg::WalletInternalError
            }
            // A registry document was refused; the one in use stays.
            RegistryError::TooLarge { .. }
            | RegistryError::Json(_)
            | RegistryError::PayloadEncoding
            | RegistryError::NotEnoughSignatures { .. }
            | RegistryError::TooManySignatures(_)
            | RegistryError::Content(_)
            | RegistryError::UnsupportedFormat(_)
            | RegistryError::BadEntry { .. }
            | RegistryError::DuplicateKeyId(_)
            | RegistryError::TooManyKeys(_)
            | RegistryError::Rollback { .. }
            | RegistryError::VersionConflict(_)
            | RegistryError::BadKey { .. }
            | RegistryError::SignatureEncoding { .. }
            | RegistryError::DifferentRegistry { .. } => Msg::WalletRegistryRefused,
        }
    }
}

impl Describe for WalletError {
    fn message(&self) -> Msg {
        match self {
            WalletError::DataDir { .. } => Msg::WalletStorageFailed,
            WalletError::Store(e) => e.message(),
            WalletError::Registry(e) => e.message(),
            WalletError::Payment(e) => e.message(),
            WalletError::NoBackend => Msg::NetNoBackend,
            WalletError::NotEnrolled => Msg::PinNotEnrolled,
            WalletError::Net(e) => e.message(),
            WalletError::Auth(e) => e.message(),
            WalletError::DamagedRecord { .. } => Msg::WalletStorageDamaged,
        }
    }
}

impl Describe for ConnectivityStatus {
    fn message(&self) -> Msg {
        match self {
            ConnectivityStatus::Online => Msg::StatusOnline,
            ConnectivityStatus::Degraded { reason } => match reason {
                DegradedReason::Slow => Msg::StatusSlow,
                DegradedReason::Errors => Msg::StatusErrors,
                DegradedReason::TlsFailure => Msg::StatusTls,
            },
            ConnectivityStatus::Offline { .. } => Msg::StatusOffline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, Locale};
    use crate::money::{Currency, Money};

    fn sgd(minor: u64) -> Money {
        Money::new(minor, Currency::SGD)
    }

    /// Each value renders in every language (the build guarantees the texts;
    /// this checks the mapping hands over arguments the texts can show).
    fn renders_everywhere(m: &Msg) {
        for lang in Lang::ALL {
            let text = m.render(&Locale::negotiate(&[lang.tag()]));
            assert!(
                !text.is_empty() && !text.contains('{'),
                "{}: {text}",
                m.id()
            );
        }
    }

    #[test]
    fn wrong_pin_says_attempts_wait_or_blocked() {
        let m = |attempts_left, wait_secs| {
            AuthError::WrongPin {
                attempts_left,
                wait_secs,
            }
            .message()
        };
        assert_eq!(m(2, 0), Msg::PinWrong { attempts_left: 2 });
        assert_eq!(
            m(2, 30),
            Msg::PinWrongWait {
                attempts_left: 2,
                wait: 30
            }
        );
        assert_eq!(m(0, 0), Msg::PinDisabled);
        let en = Locale::negotiate(&["en"]);
        assert_eq!(
            m(1, 30).render(&en),
            "Wrong PIN. 1 attempt left. Try again in 30 seconds."
        );
    }

    #[test]
    fn a_refused_intent_promises_nothing_about_the_money() {
        // A double tap on Confirm arrives while the payment is Processing:
        // the text must not say the money has not moved.
        let m = FlowError::InvalidIntent {
            state: "Processing",
            intent: "confirm",
        }
        .message();
        assert_eq!(m, Msg::FlowNotNow);
        renders_everywhere(&m);
        let en = m.render(&Locale::negotiate(&["en"]));
        assert!(
            !en.contains("not moved") && !en.contains("Nothing was paid"),
            "{en}"
        );
    }

    #[test]
    fn a_charge_that_is_no_longer_pending_says_what_happened_to_the_money() {
        let m = |state: &str| {
            PaycodeError::NotPending {
                charge_id: "C-1".into(),
                state: state.into(),
            }
            .message()
        };
        assert_eq!(m("paid"), Msg::PaycodeChargeAlreadyPaid);
        assert_eq!(m("closed"), Msg::PaycodeChargeCancelled);
        // Charged, then refunded: money moved twice, so not "nothing was paid".
        assert_eq!(m("reversed"), Msg::PaycodeChargeRefunded);
        renders_everywhere(&m("reversed"));
    }

    #[test]
    fn device_key_loss_matches_the_auth_rule() {
        // describe's choice and AuthError::device_key_unusable agree, so the
        // text never tells a payer to reset a key that an update would open.
        let cases = [
            AuthError::KeyStore(KeyStoreError::Unavailable("gone".into())),
            AuthError::KeyStore(KeyStoreError::Rejected),
            AuthError::KeyStore(KeyStoreError::Failed("busy".into())),
            AuthError::SealedKey(SealedError::Malformed("x")),
            AuthError::SealedKey(SealedError::UnsupportedVersion(9)),
            AuthError::SealedKey(SealedError::KeyRejected),
        ];
        for e in cases {
            assert_eq!(
                e.message() == Msg::PinDeviceKeyUnusable,
                e.device_key_unusable(),
                "{e:?}"
            );
        }
    }

    #[test]
    fn engine_limits_carry_their_amounts() {
        let e = EngineError::DailyLimit {
            limit: sgd(50_000),
            spent: sgd(49_000),
        };
        let text = e.message().render(&Locale::negotiate(&["en"]));
        assert!(text.contains("500.00") && text.contains("490.00"), "{text}");
        renders_everywhere(&FlowError::Payment(e).message());
    }

    #[test]
    fn trust_reasons_name_the_lookalike() {
        let r = Reason::ConfusableName {
            printed: "KOPl CORNER".into(),
            registered: "KOPI CORNER".into(),
        };
        let text = r.message().render(&Locale::negotiate(&["en"]));
        assert!(
            text.contains("\u{2068}KOPl CORNER\u{2069}")
                && text.contains("\u{2068}KOPI CORNER\u{2069}"),
            "{text}"
        );
        let flow = FlowError::MerchantNotPayable { reason: r.clone() };
        assert_eq!(flow.message(), r.message());
    }

    #[test]
    fn declines_known_and_unknown() {
        let d = |code: &str| {
            FailureReason::Declined {
                code: code.into(),
                message: String::new(),
            }
            .message()
        };
        assert_eq!(d("insufficient-funds"), Msg::FlowDeclinedInsufficientFunds);
        assert_eq!(d("order-paid"), Msg::FlowDeclinedCodeUsed);
        assert_eq!(d("something-new"), Msg::FlowDeclined);
    }

    #[test]
    fn net_errors_follow_sent_or_not() {
        // "Cannot be reached" only when nothing was sent; "no answer" when
        // it may have been.
        for e in [
            NetError::Resolve("x".into()),
            NetError::Connect("x".into()),
            NetError::ConnectTimeout("connect"),
        ] {
            assert!(e.definitely_not_sent());
            assert_eq!(e.message(), Msg::NetUnreachable);
        }
        for e in [
            NetError::ResponseTimeout,
            NetError::ConnectionLost("x".into()),
        ] {
            assert!(!e.definitely_not_sent());
            assert_eq!(e.message(), Msg::NetNoAnswer);
        }
        assert_eq!(
            NetError::Status {
                status: 503,
                message: String::new()
            }
            .message(),
            Msg::NetServerFailed { status: 503 }
        );
        assert_eq!(
            BackendError::Server {
                status: 409,
                message: String::new()
            }
            .message(),
            Msg::NetRefused { status: 409 }
        );
    }

    #[test]
    fn paycode_limits_and_blocks() {
        let codes = OfflineLimit::Codes { issued: 5, max: 5 };
        assert_eq!(
            PaycodeError::OfflineLimit(codes).message(),
            PaycodeBlock::OfflineLimit(codes).message()
        );
        let text = codes.message().render(&Locale::negotiate(&["zh-Hans"]));
        assert!(text.contains("5 个付款码"), "{text}");
        assert_eq!(
            PaycodeBlock::PinLocked {
                retry_after_secs: 60
            }
            .message(),
            Msg::PinLockedOut { wait: 60 }
        );
    }

    #[test]
    fn shortcut_settings() {
        let e = ShortcutError::Push(ShortcutPushError::Rejected {
            reason: ShortcutRejection::WidensWithoutPin,
            message: String::new(),
        });
        assert_eq!(e.message(), Msg::ShortcutSettingsPinNeeded);
        assert_eq!(
            ShortcutError::Auth(AuthError::LockedOut {
                until: 0,
                retry_after_secs: 5
            })
            .message(),
            Msg::PinLockedOut { wait: 5 }
        );
        renders_everywhere(
            &ShortcutError::OverCap {
                field: "per_payment",
                cap: 1,
            }
            .message(),
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(
            ConnectivityStatus::Offline { since_ms: 0 }
                .message()
                .render(&Locale::negotiate(&["en"])),
            "Offline: payments will be sent when you are back online."
        );
        renders_everywhere(
            &ConnectivityStatus::Degraded {
                reason: DegradedReason::TlsFailure,
            }
            .message(),
        );
    }

    #[test]
    fn a_lapsed_shortcut_names_itself_and_the_way_back() {
        let en = Locale::negotiate(&["en"]);
        let reasons = [
            ShortcutLapse::PinChanged,
            ShortcutLapse::KeyInvalidated,
            ShortcutLapse::KeyMissing,
            ShortcutLapse::BadSignature,
            ShortcutLapse::OptedOut,
        ];
        for shortcut in [
            Shortcut::Biometric,
            Shortcut::PinFree {
                currency: Currency::SGD,
            },
        ] {
            for reason in reasons {
                let m = LapsedShortcut {
                    shortcut,
                    reason,
                    at: 0,
                }
                .message();
                let family = match shortcut {
                    Shortcut::Biometric => "shortcut-lapsed-biometric",
                    Shortcut::PinFree { .. } => "shortcut-lapsed-pin-free",
                };
                assert!(
                    m.id().starts_with(family),
                    "{shortcut:?} {reason:?}: {}",
                    m.id()
                );
                let text = m.render(&en);
                // Every lapse but the payer's own choice says how to undo it.
                assert_eq!(
                    reason != ShortcutLapse::OptedOut,
                    text.contains("Turn it on again"),
                    "{text}"
                );
                renders_everywhere(&m);
            }
        }
    }

    #[test]
    fn the_pin_free_offer_counts_payments_in_the_locale() {
        let limits = |daily_count| PinFreeLimits {
            currency: Currency::SGD,
            per_payment: 2_000,
            daily_total: 10_000,
            daily_count,
        };
        let en = Locale::negotiate(&["en"]);
        assert_eq!(
            limits(10).message().render(&en),
            "Up to SGD\u{a0}20.00 a payment, SGD\u{a0}100.00 and 10 payments a day."
        );
        assert!(limits(1)
            .message()
            .render(&en)
            .ends_with("and 1 payment a day."));
        let zh = limits(3).message().render(&Locale::negotiate(&["zh-Hans"]));
        assert!(zh.contains("3 笔"), "{zh}");
        renders_everywhere(&limits(10).message());
    }

    #[test]
    fn a_charge_result_says_what_happened_to_the_money() {
        let en = Locale::negotiate(&["en"]);
        let amount = sgd(350);
        let paid = ChargeOutcome::Paid {
            receipt: Some("R-77".into()),
        };
        assert_eq!(charge_title_message(&paid), Msg::ReceiptPaid);
        let detail = charge_result_message(&paid, false, "Kopi Corner", amount);
        assert_eq!(
            detail.render(&en),
            "You paid SGD\u{a0}3.50 to \u{2068}Kopi Corner\u{2069}. Receipt \u{2068}R-77\u{2069}."
        );
        let paid_no_receipt = ChargeOutcome::Paid { receipt: None };
        let cases = [
            (
                &paid_no_receipt,
                false,
                Msg::ReceiptPaid,
                "paycode-charge-paid",
            ),
            (
                &ChargeOutcome::Closed,
                false,
                Msg::ReceiptFailed,
                "paycode-charge-cancelled",
            ),
            (
                &ChargeOutcome::Reversed,
                false,
                Msg::ReceiptRefunded,
                "paycode-charge-refunded",
            ),
            (
                &ChargeOutcome::Unknown,
                false,
                Msg::ReceiptPending,
                "paycode-charge-sent",
            ),
            (
                &ChargeOutcome::Closed,
                true,
                Msg::ReceiptFailed,
                "paycode-charge-declined",
            ),
            // A decline that found the charge already paid (its confirmation's
            // answer was lost) must say paid, never "you declined".
            (&paid, true, Msg::ReceiptPaid, "paycode-charge-paid-receipt"),
            (
                &ChargeOutcome::Unknown,
                true,
                Msg::ReceiptPending,
                "paycode-charge-sent",
            ),
        ];
        for (outcome, declined, want_title, want_detail) in cases {
            let title = charge_title_message(outcome);
            let detail = charge_result_message(outcome, declined, "Kopi Corner", amount);
            assert_eq!((title.clone(), detail.id()), (want_title, want_detail));
            renders_everywhere(&title);
            renders_everywhere(&detail);
        }
        // A charge from a merchant without a name still names someone.
        let declined = charge_result_message(&ChargeOutcome::Closed, true, "", amount);
        assert!(
            declined.render(&en).contains("(no name)"),
            "{}",
            declined.render(&en)
        );
    }

    #[test]
    fn biometric_settings_never_send_the_payer_to_the_pin_pad() {
        for a in [
            BiometricAvailability::Available,
            BiometricAvailability::NotEnrolled,
            BiometricAvailability::NoHardware,
            BiometricAvailability::LockedOut,
        ] {
            let m = biometric_setting_message(a);
            assert!(
                m.id().starts_with("shortcut-settings-biometric"),
                "{}",
                m.id()
            );
            assert!(!m
                .render(&Locale::negotiate(&["en"]))
                .contains("Use your PIN"));
            renders_everywhere(&m);
        }
    }
}
