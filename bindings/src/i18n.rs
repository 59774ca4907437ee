//! The payer's words across the FFI: the locale, catalogue texts with their
//! ids and typed arguments, and amounts written the CLDR way (ADR 0024).
//!
//! # One locale per process
//! The locale is process-wide, set with [`set_locales`], and not a property
//! of a wallet, for two reasons:
//! - flat errors (`WalletError`, `FlowError`, `ScanError`) become foreign
//!   exceptions whose message is fixed when the error is converted, often
//!   where no wallet is at hand (`Wallet.open` failing, a scanner, a PIN pad);
//! - an app shows one UI language at a time, and the platforms' own answers
//!   are process-wide too (Android's default `LocaleList`, iOS's
//!   `Locale.preferredLanguages`).
//!
//! The app calls [`set_locales`] at start and again on every configuration
//! or locale change; until then everything is in English ([`Locale::ENGLISH`]).
//! A text already rendered keeps the language it was rendered in: a screen
//! redraws from the state (`PaymentFlow.stateText()`), not from a kept string.
//!
//! # What crosses
//! - [`LocalizedText`]: the rendered text with its stable catalogue id and
//!   its typed arguments ([`TextArgument`]), so an app can key tests,
//!   analytics or its own accessibility markup on the id and the values
//!   (an amount comes with its [`AmountText`] parts for Android's
//!   `TtsSpan.MoneyBuilder`).
//! - [`AmountText`]: the core's CLDR rendering of an amount, as it is.
//! - A few typed functions for texts that are not an error or a flow state:
//!   [`pin_entry_text`], [`label_text`] (every caption of the screens),
//!   [`ui_text`] (texts made from values), [`status_texts`],
//!   [`receipt_status_text`], [`warning_text`]. Each exported function costs
//!   about 1 KB of the phone library, so they are few and general.
//!
//! Every sentence comes from the core's catalogue (`core/i18n/messages/`):
//! this module only chooses the message and converts its arguments.

use std::sync::{PoisonError, RwLock};

use scanpay_core::auth::{BiometricAvailability, PIN_LENGTH};
use scanpay_core::i18n::catalogue::{Arg, Msg};
use scanpay_core::i18n::describe::{
    biometric_setting_message, charge_result_message, charge_title_message, Describe,
};
use scanpay_core::i18n::{format_amount, Locale};
use scanpay_core::money::Money as CoreMoney;
use scanpay_core::paycode::ChargeOutcome;

pub use scanpay_core::i18n::AmountText;

use crate::errors::FlowError;
use crate::paycode::PendingCharge;
use crate::shortcuts::{LapsedShortcut, PinFreeLimits};
use crate::types::{Money, PaymentState, StatusSnapshot, Warning};

/// The negotiated locale of the process. A `Locale` is `Copy` and written in
/// one store, so a writer that panicked cannot leave it half-written: a
/// poisoned lock is read through.
static LOCALE: RwLock<Locale> = RwLock::new(Locale::ENGLISH);

/// The current locale (English until [`set_locales`] is called).
pub(crate) fn locale() -> Locale {
    *LOCALE.read().unwrap_or_else(PoisonError::into_inner)
}

/// Sets the language of every text the library gives from now on, from the
/// user's ordered list of locale tags (Android `LocaleList.getDefault()`,
/// iOS `Locale.preferredLanguages`, or POSIX names such as "zh_SG.UTF-8"),
/// and returns the negotiated tag ("zh-Hans-SG", "id", "en-SG", "en").
///
/// The first tag naming a catalogue language (en, zh-Hans, ms, id) wins;
/// Traditional Chinese (zh-TW, zh-HK, zh-Hant) is not served Simplified
/// text, so the next tag decides; English is the last resort (an empty list
/// gives "en"). "en-XA" selects the pseudo-locale for layout checks. The
/// region is kept for amounts: "en-SG" writes SGD as "$12.50", "en" as
/// "SGD 12.50".
///
/// Process-wide (see the module docs): call it at start and on each
/// configuration or locale change. Cheap, and safe from any thread.
#[uniffi::export]
pub fn set_locales(tags: Vec<String>) -> String {
    let negotiated = Locale::negotiate(&tags);
    *LOCALE.write().unwrap_or_else(PoisonError::into_inner) = negotiated;
    negotiated.tag().to_string()
}

/// The tag of the locale texts are rendered in now ("en" until
/// [`set_locales`] is called).
#[uniffi::export]
pub fn current_locale() -> String {
    locale().tag().to_string()
}

/// A text for the payer, in the current locale, with what it was made of.
/// Show `text`; key tests, analytics or custom layouts on `id` (stable,
/// kebab-case: "pin-wrong") and `args`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LocalizedText {
    /// The stable catalogue id ("pin-wrong", "flow-confirm-amount").
    pub id: String,
    /// The text in the current locale. Names inside it are wrapped in
    /// Unicode isolates (U+2068 … U+2069) so a right-to-left name cannot
    /// reorder the amount next to it.
    pub text: String,
    /// The message's arguments, in the catalogue's declaration order.
    pub args: Vec<TextArgument>,
}

/// One argument of a [`LocalizedText`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TextArgument {
    /// The argument's name in the catalogue ("amount", "attempts_left").
    pub name: String,
    /// Its value.
    pub value: TextValue,
}

/// A typed argument value: never free text, except a name shown verbatim.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TextValue {
    /// An amount, with how the text wrote it and its parts for a screen
    /// reader (Android `TtsSpan.MoneyBuilder`).
    Amount {
        /// The amount.
        money: Money,
        /// As written in the text, spoken, and in digit parts.
        amount: AmountText,
    },
    /// A count (attempts left, digits entered, payments waiting).
    Count {
        /// The number.
        value: u64,
    },
    /// A name shown verbatim (a merchant, a city, a reference).
    Name {
        /// The name as given (without the isolates the text adds).
        value: String,
    },
    /// A number of seconds (the text carries the unit words).
    Seconds {
        /// The number of seconds.
        value: u64,
    },
}

/// An amount written for the current locale: the text a screen shows, the
/// words a screen reader says, and the digit parts (Android
/// `TtsSpan.MoneyBuilder`: `setIntegerPart`, `setFractionalPart`,
/// `setCurrency`). Never rounded.
#[uniffi::remote(Record)]
pub struct AmountText {
    /// What the screen shows: "SGD 12.50" (U+00A0 inside), "¥12.50".
    pub text: String,
    /// What a screen reader says: "12.50 Singapore dollars".
    pub spoken: String,
    /// The integer digits, no grouping, no sign: "12500".
    pub integer_part: String,
    /// The fraction digits shown, "" when none are: "50".
    pub fraction_part: String,
    /// The ISO 4217 alphabetic code: "IDR".
    pub currency: String,
}

/// `msg` rendered in the current locale, with its id and arguments.
pub(crate) fn localized(msg: &Msg) -> LocalizedText {
    let locale = locale();
    let text = msg.text(&locale);
    LocalizedText {
        id: text.id.to_string(),
        text: text.text,
        args: text
            .args
            .into_iter()
            .map(|(name, arg)| TextArgument {
                name: name.to_string(),
                value: value(arg, &locale),
            })
            .collect(),
    }
}

/// `msg`'s text alone in the current locale: the message of a flat error.
pub(crate) fn render(msg: &Msg) -> String {
    msg.render(&locale())
}

fn value(arg: Arg, locale: &Locale) -> TextValue {
    match arg {
        Arg::Money(m) => TextValue::Amount {
            amount: format_amount(&m, locale),
            money: m.into(),
        },
        Arg::Count(value) => TextValue::Count { value },
        // The form the text shows: without bidi or control characters,
        // cut to the catalogue's longest name (apps that lay it out
        // themselves must not reintroduce what the text removed).
        Arg::Name(value) => TextValue::Name {
            value: scanpay_core::i18n::catalogue::clean_name(&value),
        },
        Arg::Seconds(value) => TextValue::Seconds { value },
    }
}

/// `money` written for the current locale, CLDR's way ("SGD 12.50" in en,
/// "$12.50" in en-SG, "¥12.50" for CNY in zh-Hans, "Rp 12.500" in id), with
/// the spoken form and the digit parts. An amount is never rounded: minor
/// units below CLDR's display digits are shown ("Rp 12.500,50").
///
/// [`FlowError::InvalidInput`] for an unknown currency code and
/// [`FlowError::TotalMismatch`] for an exponent that is not the currency's
/// (the same checks as the `Confirm` echo).
#[uniffi::export]
pub fn amount_text(money: Money) -> Result<AmountText, FlowError> {
    let core = CoreMoney::try_from(&money)?;
    Ok(format_amount(&core, &locale()))
}

/// What a screen reader says about the PIN pad: "2 of 6 digits entered", or
/// "PIN complete" once `entered` reaches `length`. Counts only: no PIN digit
/// can reach it, as only the pad's count goes in.
#[uniffi::export]
pub fn pin_entry_text(entered: u32, length: u32) -> LocalizedText {
    let msg = if length > 0 && entered >= length {
        Msg::A11yPinComplete
    } else {
        Msg::A11yPinDigitsEntered {
            entered: u64::from(entered),
            length: u64::from(length),
        }
    };
    localized(&msg)
}

/// A fixed label, caption or announcement of the payment screens: every
/// button, tab, field label and heading the sample apps show comes from
/// here, so a screen is in one language, not English buttons around
/// translated sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UiLabel {
    /// The PIN pad's delete key (for screen readers).
    DeleteKey,
    /// The PIN pad's done key.
    DoneKey,
    /// Announced once when a PIN lockout ends.
    PinTryAgainNow,
    /// The pay code screen's instruction.
    ShowPaycodeToCashier,
    /// Announced when a new pay code replaces the one on screen.
    PaycodeRefreshed,
    /// The scanning screen's instruction.
    Scanning,
    /// Button: "Pay".
    Pay,
    /// Button: "Confirm".
    Confirm,
    /// Button: "Cancel".
    Cancel,
    /// Button: "Continue".
    Continue,
    /// Button: "Done".
    Done,
    /// Button: "Try again".
    TryAgain,
    /// Button: "Check again" (asks the service about an unknown outcome).
    CheckAgain,
    /// Button: "Use PIN" (leaves biometric confirmation for the PIN pad;
    /// also the biometric dialog's negative button).
    UsePin,
    /// Button: "Decline" (refuses a pay-code charge).
    Decline,
    /// Button: "Turn on" (a shortcut).
    TurnOn,
    /// Button: "Turn off" (a shortcut).
    TurnOff,
    /// Button: "Use this code" (takes pasted text as a scanned code).
    UseCode,
    /// Button: "Import a photo".
    ImportPhoto,
    /// Button: "Pay this merchant" (leaves the review screen).
    PayThisMerchant,
    /// Tab: "Scan to pay".
    TabScan,
    /// Tab: "Pay code".
    TabPaycode,
    /// Tab: "Shortcuts".
    TabShortcuts,
    /// Field label: "Amount".
    FieldAmount,
    /// Field label: "Tip".
    FieldTip,
    /// Field label: "Or paste a code".
    FieldPasteCode,
    /// Heading above the merchant's name: "You are paying".
    YouArePaying,
    /// Without camera permission: "Allow the camera to scan payment codes."
    CameraNeeded,
    /// Progress: "Opening your wallet…".
    OpeningWallet,
    /// Progress: "Setting up this phone…" (device registration).
    Registering,
    /// "Your wallet could not be opened." (the error's own text follows).
    WalletOpenFailed,
    /// "Choose a PIN of 6 digits." (the core's PIN length).
    ChoosePin,
    /// A shared file that is not a picture.
    PhotoNotImage,
    /// A picture with no QR code in it.
    PhotoNoCode,
    /// Above the PIN pad that opens the pay code.
    PaycodeEnterPin,
    /// While the screen is recorded or shared: the code is hidden.
    PaycodeHidden,
    /// The settings row: "Confirm payments with fingerprint or face".
    BiometricSetting,
    /// The settings row: "Pay small amounts without your PIN".
    PinFreeSetting,
    /// A settings change made offline, waiting to reach the service.
    SettingsPushPending,
    /// A settings change needs the PIN: "Enter your PIN to make this change."
    SettingsPinNeeded,
    /// In place of a merchant name a code does not carry: "(no name)".
    NoName,
    /// Under a pay-code charge whose `ChargeMerchant.registered` is false:
    /// the name is the payment service's, not the merchant registry's.
    MerchantUnlisted,
}

/// The text of a fixed label in the current locale.
#[uniffi::export]
pub fn label_text(label: UiLabel) -> LocalizedText {
    localized(&match label {
        UiLabel::DeleteKey => Msg::A11yKeyDelete,
        UiLabel::DoneKey => Msg::A11yKeyDone,
        UiLabel::PinTryAgainNow => Msg::PinTryAgainNow,
        UiLabel::ShowPaycodeToCashier => Msg::PaycodeShowCashier,
        UiLabel::PaycodeRefreshed => Msg::A11yPaycodeRefreshed,
        UiLabel::Scanning => Msg::FlowScanning,
        UiLabel::Pay => Msg::UiPay,
        UiLabel::Confirm => Msg::UiConfirm,
        UiLabel::Cancel => Msg::UiCancel,
        UiLabel::Continue => Msg::UiContinue,
        UiLabel::Done => Msg::UiDone,
        UiLabel::TryAgain => Msg::UiTryAgain,
        UiLabel::CheckAgain => Msg::UiCheckAgain,
        UiLabel::UsePin => Msg::UiUsePin,
        UiLabel::Decline => Msg::UiDecline,
        UiLabel::TurnOn => Msg::UiTurnOn,
        UiLabel::TurnOff => Msg::UiTurnOff,
        UiLabel::UseCode => Msg::UiUseCode,
        UiLabel::ImportPhoto => Msg::UiImportPhoto,
        UiLabel::PayThisMerchant => Msg::UiPayThisMerchant,
        UiLabel::TabScan => Msg::UiTabScan,
        UiLabel::TabPaycode => Msg::UiTabPaycode,
        UiLabel::TabShortcuts => Msg::UiTabShortcuts,
        UiLabel::FieldAmount => Msg::UiFieldAmount,
        UiLabel::FieldTip => Msg::UiFieldTip,
        UiLabel::FieldPasteCode => Msg::UiFieldPasteCode,
        UiLabel::YouArePaying => Msg::UiYouArePaying,
        UiLabel::CameraNeeded => Msg::UiCameraNeeded,
        UiLabel::OpeningWallet => Msg::UiOpeningWallet,
        UiLabel::Registering => Msg::UiRegistering,
        UiLabel::WalletOpenFailed => Msg::UiWalletOpenFailed,
        UiLabel::ChoosePin => Msg::UiChoosePin {
            length: PIN_LENGTH as u64,
        },
        UiLabel::PhotoNotImage => Msg::UiPhotoNotImage,
        UiLabel::PhotoNoCode => Msg::UiPhotoNoCode,
        UiLabel::PaycodeEnterPin => Msg::PaycodeEnterPin,
        UiLabel::PaycodeHidden => Msg::PaycodeHiddenCapture,
        UiLabel::BiometricSetting => Msg::ShortcutSettingsBiometricTitle,
        UiLabel::PinFreeSetting => Msg::ShortcutSettingsPinFreeTitle,
        UiLabel::SettingsPushPending => Msg::ShortcutSettingsPushPending,
        UiLabel::SettingsPinNeeded => Msg::ShortcutSettingsPinNeeded,
        UiLabel::NoName => Msg::TrustNameMissing,
        UiLabel::MerchantUnlisted => Msg::PaycodeMerchantUnlisted,
    })
}

/// A text made from values: what [`ui_text`] writes. One function for all
/// of them, as each exported function costs the phone library about 1 KB.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UiText {
    /// Under the pay code: "New code in 12 seconds", or with `offline`
    /// "Offline · new code in 12 seconds". Show it; do not announce it each
    /// second (`UiLabel::PaycodeRefreshed` is said when the code changes).
    PaycodeRefresh {
        /// Seconds until the code on screen is replaced.
        seconds: u32,
        /// The wallet is offline (codes are limited until it syncs).
        offline: bool,
    },
    /// Above the PIN pad of a pay-code charge: "Kopi Corner asks for
    /// SGD 3.50. Enter your PIN to pay."
    ChargeRequest {
        /// The charge waiting for the PIN.
        charge: PendingCharge,
    },
    /// The status word of a pay-code charge's end: "Paid", "Not paid",
    /// "Refunded", "Pending", from the outcome alone.
    ChargeTitle {
        /// What `confirmCharge` or `declineCharge` returned.
        outcome: ChargeOutcome,
    },
    /// The sentence of a pay-code charge's end: "You paid SGD 3.50 to Kopi
    /// Corner. Receipt R-77.", "You declined. Kopi Corner was not paid."
    /// Pass what `declineCharge` returned with `declined: true`: only a
    /// charge that then closed reads "You declined"; one the decline found
    /// already paid (a confirmation whose answer was lost) reads paid. For
    /// a charge the feed reports paid with the code alone, pass
    /// `Paid { receipt }` with the charge's receipt.
    ChargeResult {
        /// Who charged (`ChargeMerchant.name`).
        merchant: String,
        /// How much.
        amount: Money,
        /// What `confirmCharge` or `declineCharge` returned.
        outcome: ChargeOutcome,
        /// The outcome is `declineCharge`'s.
        declined: bool,
    },
    /// Why a shortcut is off, with the way back ("… because your PIN
    /// changed. Turn it on again with the new PIN.").
    ShortcutLapsed {
        /// From `ShortcutStatus.lapses`.
        lapsed: LapsedShortcut,
    },
    /// What the phone's biometrics allow, for the settings screen ("Add a
    /// fingerprint or face in the phone's settings first.").
    BiometricSetting {
        /// The platform's answer.
        availability: BiometricAvailability,
    },
    /// The PIN-free limits the opt-in screen offers: "Up to SGD 20.00 a
    /// payment, SGD 100.00 and 10 payments a day."
    PinFreeOffer {
        /// `PinFreeOffer.defaults`, or the limits the payer chose.
        limits: PinFreeLimits,
    },
    /// "Reference: 5f0c…", a payment id for support.
    Reference {
        /// The payment id.
        reference: String,
    },
    /// "Total SGD 12.50".
    Total {
        /// The total.
        amount: Money,
    },
    /// "Tip SGD 1.00".
    Tip {
        /// The tip.
        amount: Money,
    },
}

/// `text` written in the current locale.
///
/// [`FlowError::InvalidInput`] for an unknown currency code and
/// [`FlowError::TotalMismatch`] for an amount whose exponent is not its
/// currency's (the checks of [`amount_text`]); nothing else fails.
#[uniffi::export]
pub fn ui_text(text: UiText) -> Result<LocalizedText, FlowError> {
    let msg = match text {
        UiText::PaycodeRefresh { seconds, offline } => {
            let seconds = u64::from(seconds);
            if offline {
                Msg::PaycodeNextCodeOffline { seconds }
            } else {
                Msg::PaycodeNextCode { seconds }
            }
        }
        UiText::ChargeRequest { charge } => Msg::PaycodeChargeRequest {
            amount: CoreMoney::try_from(&charge.amount)?,
            merchant: charge.merchant.name,
        },
        UiText::ChargeTitle { outcome } => charge_title_message(&outcome),
        UiText::ChargeResult {
            merchant,
            amount,
            outcome,
            declined,
        } => charge_result_message(&outcome, declined, &merchant, CoreMoney::try_from(&amount)?),
        UiText::ShortcutLapsed { lapsed } => lapsed.message(),
        UiText::BiometricSetting { availability } => biometric_setting_message(availability),
        UiText::PinFreeOffer { limits } => limits
            .to_core()
            .map_err(|_| FlowError::invalid_input())?
            .message(),
        UiText::Reference { reference } => Msg::ReceiptReference { reference },
        UiText::Total { amount } => Msg::ReceiptTotal {
            amount: CoreMoney::try_from(&amount)?,
        },
        UiText::Tip { amount } => Msg::ReceiptTip {
            amount: CoreMoney::try_from(&amount)?,
        },
    };
    Ok(localized(&msg))
}

/// The status line: the connectivity ("Online", "Offline: payments will be
/// sent when you are back online."), then, when payments wait, their count
/// ("2 payments waiting").
#[uniffi::export]
pub fn status_texts(status: StatusSnapshot) -> Vec<LocalizedText> {
    let mut out = vec![localized(&status.connectivity.message())];
    if status.pending_payments > 0 {
        out.push(localized(&Msg::StatusPendingPayments {
            count: u64::from(status.pending_payments),
        }));
    }
    out
}

/// A history row's or receipt's status word: "Paid", "Pending", "Not paid",
/// "Cancelled" (reversed), "Check with support" (needs attention).
#[uniffi::export]
pub fn receipt_status_text(state: PaymentState) -> LocalizedText {
    localized(&state.message())
}

/// The caveat of a verified merchant code, for the review screen.
#[uniffi::export]
pub fn warning_text(warning: Warning) -> LocalizedText {
    localized(&warning.message())
}
