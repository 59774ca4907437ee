//! Why a text is not a valid Merchant-Presented Mode payload, or a model
//! cannot be written as one.

use thiserror::Error;

use crate::money::MoneyError;
use crate::payload::tlv::TlvError;

/// Why a text is not a valid Merchant-Presented Mode payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MpmError {
    /// The payload is longer than [`MAX_PAYLOAD_CHARS`](super::MAX_PAYLOAD_CHARS) (checked before parsing).
    #[error("the payload is {chars} characters long; at most {max} are allowed")]
    TooLong {
        /// Length in characters (a lower bound when the text is far too long).
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The top level is not a valid TLV sequence.
    #[error("malformed payload: {0}")]
    Tlv(TlvError),
    /// A template's value is not a valid TLV sequence.
    #[error("malformed template {id:02}: {source}")]
    Template {
        /// The template's ID.
        id: u8,
        /// What is wrong inside it.
        source: TlvError,
    },
    /// ID 00 is present but not the first data object.
    #[error("the payload format indicator (00) is not the first data object")]
    FormatIndicatorNotFirst,
    /// ID 00 is not "01".
    #[error("unsupported payload format indicator {found:?}; expected \"01\"")]
    FormatIndicator {
        /// The value found.
        found: String,
    },
    /// No CRC (ID 63).
    #[error("the payload has no CRC (6304…)")]
    MissingCrc,
    /// ID 63 is not the last data object.
    #[error("the CRC (63) is not the last data object")]
    CrcNotLast,
    /// The CRC does not match the payload: the code is damaged or was edited.
    #[error("CRC mismatch: the payload computes to {expected:04X} but carries {found:?}")]
    BadCrc {
        /// The CRC computed over the payload.
        expected: u16,
        /// The four characters the payload carries.
        found: String,
    },
    /// A mandatory data object is absent.
    #[error("mandatory data object {0:02} is missing")]
    Missing(u8),
    /// No merchant account information (IDs 02–51).
    #[error("the payload names no merchant account (IDs 02–51)")]
    NoMerchantAccount,
    /// A data object's value breaks its rule.
    #[error("data object {id:02} is invalid: {reason}")]
    Invalid {
        /// The data object's ID (the template's ID for a sub-object).
        id: u8,
        /// What is wrong, in words.
        reason: String,
    },
    /// An amount (54 or 56) is not an exact amount in the payload's currency.
    #[error("amount in data object {id:02} is invalid: {source}")]
    Amount {
        /// 54 (transaction amount) or 56 (fixed fee).
        id: u8,
        /// What is wrong with it.
        source: MoneyError,
    },
    /// ID 53 names no active ISO 4217 currency.
    #[error("currency (53) is invalid: {0}")]
    Currency(MoneyError),
    /// The encoder was handed a value it cannot write.
    #[error("cannot encode: {0}")]
    Encode(TlvError),
}

impl MpmError {
    /// A stable code for the error's kind, `/`-separated from the outer kind
    /// to the inner one (`tlv/overrun`, `currency/unknown-numeric`), without
    /// positions or values: for UIs, logs and tests that must not match on
    /// messages.
    pub fn code(&self) -> String {
        let (outer, inner) = match self {
            MpmError::TooLong { .. } => ("too-long", None),
            MpmError::Tlv(e) => ("tlv", Some(e.code())),
            MpmError::Template { .. } => ("template", None),
            MpmError::FormatIndicatorNotFirst => ("format-indicator-not-first", None),
            MpmError::FormatIndicator { .. } => ("format-indicator", None),
            MpmError::MissingCrc => ("missing-crc", None),
            MpmError::CrcNotLast => ("crc-not-last", None),
            MpmError::BadCrc { .. } => ("bad-crc", None),
            MpmError::Missing(_) => ("missing", None),
            MpmError::NoMerchantAccount => ("no-merchant-account", None),
            MpmError::Invalid { .. } => ("invalid", None),
            MpmError::Amount { .. } => ("amount", None),
            MpmError::Currency(e) => ("currency", Some(e.code())),
            MpmError::Encode(e) => ("encode", Some(e.code())),
        };
        match inner {
            Some(inner) => format!("{outer}/{inner}"),
            None => outer.to_owned(),
        }
    }
}

/// An [`MpmError::Invalid`] for data object `id`.
pub(super) fn invalid(id: u8, reason: &str) -> MpmError {
    MpmError::Invalid {
        id,
        reason: reason.to_owned(),
    }
}
