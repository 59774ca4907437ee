//! EMVCo Merchant-Presented Mode: the QR code printed at the till.
//!
//! [`MerchantPayload::parse`] is strict about structure and integrity and
//! lenient about scheme-specific content:
//!
//! * **Strict**: the 512-character cap (checked before anything is parsed), the
//!   TLV structure of the top level and of templates 26–51, 62 and 64 (lengths in
//!   characters, no duplicate IDs, nothing overrunning), "00" = "01" first,
//!   "63" last with four *upper-case* hexadecimal digits, and the
//!   CRC-16/CCITT-FALSE over the UTF-8 bytes up to and including "6304". EMVCo
//!   MPM (§4.7.3, "CRC") encodes the 2-byte checksum as four characters, one
//!   per nibble, and its example is upper-case ("6304007B"); reference parsers
//!   compare with `%04X` (mvallim/emv-qrcode's `Crc16Validate`). A lower-case
//!   CRC is refused as `invalid` (ID 63), not accepted: the brief is strict on
//!   TLV structure and CRC, and no real payload in `tests/vectors/emv` writes one.
//!   The values EMVCo defines precisely are checked too: 01 ("11"/"12"), 52 (four
//!   digits), 53 (an active ISO 4217 numeric code), 54 and 56 (exact amounts in
//!   the currency's exponent, see [`Money::parse`]), 55/56/57 (the tip rules),
//!   58 (two letters).
//! * **Lenient**: GUIDs are compared case-insensitively, a template 26–51
//!   without a GUID is kept (with `guid: None`), templates 80–99 that are not
//!   valid TLV are kept raw, IDs 65–79 (reserved for future use) are kept in
//!   [`MerchantPayload::objects`] and otherwise ignored, and the length limits
//!   EMVCo gives for names and cities (25 and 15) are not enforced, because real
//!   generators exceed them and the text is still what the merchant wrote.
//!
//! ## Mandatory data objects
//!
//! 00 (format indicator), 53 (currency), 58 (country), 63 (CRC) and at least one
//! merchant account (02–51). EMVCo also makes 52 (merchant category code), 59
//! (merchant name) and 60 (merchant city) mandatory, but Thailand's PromptPay —
//! one of the largest deployments — issues personal codes without any of the
//! three (`00020101021129370016A000000677010111011300668999999995802TH53037646304FE29`
//! is the canonical example in dtinth/promptpay-qr and every PromptPay library),
//! so refusing them would refuse a whole country. They are therefore `Option`s,
//! and a UI must say "this code carries no merchant name" instead of showing an
//! empty one.
//!
//! The model (the types below) lives here; [`MerchantPayload::parse`] and its
//! checks in `parse.rs`, [`MerchantPayload::encode`] and the template
//! encoders in `encode.rs`, [`MpmBuilder`] in `build.rs`, [`MpmError`] in
//! `error.rs`.

mod build;
mod encode;
mod error;
mod parse;

pub use build::MpmBuilder;
pub use error::MpmError;

use std::fmt;

use super::tlv::{self, TlvError};
use crate::money::{Currency, Money};
use encode::encode_template;
use parse::split_guid;

/// Longest payload accepted, in characters. EMVCo caps a payload at 512.
pub const MAX_PAYLOAD_CHARS: usize = 512;

/// Whether the code is reusable (static) or made for one transaction (dynamic): ID 01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Initiation {
    /// "11": the same code for every payment, usually without an amount.
    Static,
    /// "12": a code generated for one payment, usually with an amount.
    Dynamic,
    /// ID 01 is absent.
    Unspecified,
}

impl Initiation {
    /// The stable kebab-case name ("static", "dynamic", "unspecified"), as
    /// `scanpay inspect --json` shows it.
    pub fn code(&self) -> &'static str {
        match self {
            Initiation::Static => "static",
            Initiation::Dynamic => "dynamic",
            Initiation::Unspecified => "unspecified",
        }
    }

    /// The value EMVCo writes for it, if any.
    pub fn as_emv(&self) -> Option<&'static str> {
        match self {
            Initiation::Static => Some("11"),
            Initiation::Dynamic => Some("12"),
            Initiation::Unspecified => None,
        }
    }
}

/// One merchant account information object (IDs 02–51).
///
/// IDs 02–25 are reserved for card networks (Visa 02–03, Mastercard 04–05, …)
/// and carry a primitive value: `guid` is `None` and `fields` is empty. IDs
/// 26–51 are templates whose sub-ID 00 is a globally unique identifier of the
/// scheme (an AID such as `A000000677010111` for PromptPay, a reverse domain
/// such as `br.gov.bcb.pix` for Pix, or a UUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantAccount {
    /// The data object ID, 2..=51.
    pub id: u8,
    /// Sub-ID 00 of a template, as written (case preserved).
    pub guid: Option<String>,
    /// The template's other sub-objects, in payload order (00 excluded).
    pub fields: Vec<(u8, String)>,
    /// The object's whole value, exactly as in the payload.
    pub raw: String,
}

impl MerchantAccount {
    /// Interprets the value of data object `id` (2..=51) the way
    /// [`MerchantPayload::parse`] does.
    pub fn from_raw(id: u8, raw: &str) -> Result<MerchantAccount, MpmError> {
        if !(2..=51).contains(&id) {
            return Err(MpmError::Invalid {
                id,
                reason: "merchant account IDs are 02 to 51".into(),
            });
        }
        if id <= 25 {
            return Ok(MerchantAccount {
                id,
                guid: None,
                fields: Vec::new(),
                raw: raw.to_owned(),
            });
        }
        let children = tlv::parse(raw).map_err(|source| MpmError::Template { id, source })?;
        let (guid, fields) = split_guid(&children);
        Ok(MerchantAccount {
            id,
            guid,
            fields,
            raw: raw.to_owned(),
        })
    }

    /// A template account (26..=51) with `guid` in sub-ID 00 and `fields` after it.
    pub fn template(
        id: u8,
        guid: &str,
        fields: &[(u8, &str)],
    ) -> Result<MerchantAccount, MpmError> {
        if !(26..=51).contains(&id) {
            return Err(MpmError::Invalid {
                id,
                reason: "merchant account templates are IDs 26 to 51".into(),
            });
        }
        let raw = encode_template(id, Some(guid), fields)?;
        MerchantAccount::from_raw(id, &raw)
    }

    /// Whether this account's GUID is `guid`, ignoring ASCII case (real
    /// payloads write "br.gov.bcb.pix" and "BR.GOV.BCB.PIX" alike).
    pub fn has_guid(&self, guid: &str) -> bool {
        self.guid
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case(guid))
    }

    /// The value of sub-object `sub` (00 is the GUID).
    pub fn field(&self, sub: u8) -> Option<&str> {
        if sub == 0 {
            return self.guid.as_deref();
        }
        field_of(&self.fields, sub)
    }

    /// Whether this is a template (26–51) rather than a card network's primitive value.
    pub fn is_template(&self) -> bool {
        self.id >= 26
    }
}

/// A template in the unreserved range 80–99 (or any template kept leniently).
///
/// Parsed as TLV when its value is valid TLV (then `guid` is sub-ID 00 and
/// `fields` the rest); otherwise `guid` is `None`, `fields` is empty and only
/// `raw` holds the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The data object ID.
    pub id: u8,
    /// Sub-ID 00, if the value is TLV and has one.
    pub guid: Option<String>,
    /// The other sub-objects in payload order (00 excluded); empty if the value is not TLV.
    pub fields: Vec<(u8, String)>,
    /// The object's whole value, exactly as in the payload.
    pub raw: String,
}

impl Template {
    /// Interprets a value leniently, the way [`MerchantPayload::parse`] does for 80–99.
    pub fn from_raw(id: u8, raw: &str) -> Template {
        let (guid, fields) = match tlv::parse(raw) {
            Ok(children) => split_guid(&children),
            Err(_) => (None, Vec::new()),
        };
        Template {
            id,
            guid,
            fields,
            raw: raw.to_owned(),
        }
    }

    /// Builds a TLV template from a GUID (sub-ID 00, optional) and fields.
    pub fn new(id: u8, guid: Option<&str>, fields: &[(u8, &str)]) -> Result<Template, MpmError> {
        let raw = encode_template(id, guid, fields)?;
        if raw.is_empty() {
            return Err(MpmError::Encode(TlvError::EncodeEmpty { id }));
        }
        Ok(Template::from_raw(id, &raw))
    }

    /// Whether this template's GUID is `guid`, ignoring ASCII case.
    pub fn has_guid(&self, guid: &str) -> bool {
        self.guid
            .as_deref()
            .is_some_and(|g| g.eq_ignore_ascii_case(guid))
    }

    /// The value of sub-object `sub` (00 is the GUID).
    pub fn field(&self, sub: u8) -> Option<&str> {
        if sub == 0 {
            return self.guid.as_deref();
        }
        field_of(&self.fields, sub)
    }
}

/// A percentage with two decimal places, held exactly as basis points
/// (1 = 0.01 %, 9999 = 99.99 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Percentage {
    basis_points: u16,
}

impl Percentage {
    /// A percentage of `basis_points` hundredths of a percent; EMVCo allows 1..=9999.
    pub fn from_basis_points(basis_points: u16) -> Option<Percentage> {
        (1..=9999)
            .contains(&basis_points)
            .then_some(Percentage { basis_points })
    }

    /// Hundredths of a percent.
    pub fn basis_points(&self) -> u16 {
        self.basis_points
    }

    /// Parses EMVCo ID 57: "00.01" to "99.99", one or two integer digits and
    /// at most two fraction digits ("3", "3.5", "03.50" all mean 3.5 %).
    pub fn parse(text: &str) -> Option<Percentage> {
        if text.len() > 5 {
            return None;
        }
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || int.len() > 2 || !digits(int) || frac.len() > 2 || !digits(frac) {
            return None;
        }
        if text.contains('.') && frac.is_empty() {
            return None;
        }
        let int: u16 = int.parse().ok()?;
        let frac_val: u16 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        let frac_bp = if frac.len() == 1 {
            frac_val * 10
        } else {
            frac_val
        };
        Percentage::from_basis_points(int * 100 + frac_bp)
    }

    /// The shortest form [`Percentage::parse`] reads back ("3.5", "12", "0.01").
    pub fn to_emv_string(&self) -> String {
        let int = self.basis_points / 100;
        let frac = self.basis_points % 100;
        if frac == 0 {
            int.to_string()
        } else {
            let f = format!("{frac:02}");
            format!("{int}.{}", f.trim_end_matches('0'))
        }
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.to_emv_string())
    }
}

/// The tip or convenience fee rule: ID 55 with 56 or 57.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipRule {
    /// "01": the app asks the payer for a tip.
    Prompt,
    /// "02" with ID 56: a fixed convenience fee, in the payload's currency.
    FixedFee(Money),
    /// "03" with ID 57: a percentage convenience fee.
    PercentageFee(Percentage),
}

impl TipRule {
    /// The stable kebab-case name of the rule ("prompt", "fixed-fee",
    /// "percentage-fee"), as `scanpay inspect --json` shows it.
    pub fn code(&self) -> &'static str {
        match self {
            TipRule::Prompt => "prompt",
            TipRule::FixedFee(_) => "fixed-fee",
            TipRule::PercentageFee(_) => "percentage-fee",
        }
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn initiation_and_tip_rule_codes_are_stable_unique_and_kebab_case() {
        let thb = Currency::from_code("THB").unwrap();
        let mut codes = Vec::new();
        for (i, expected) in [
            (Initiation::Static, "static"),
            (Initiation::Dynamic, "dynamic"),
            (Initiation::Unspecified, "unspecified"),
        ] {
            assert_eq!(i.code(), expected);
            codes.push(expected);
        }
        for (t, expected) in [
            (TipRule::Prompt, "prompt"),
            (TipRule::FixedFee(Money::new(100, thb)), "fixed-fee"),
            (
                TipRule::PercentageFee(Percentage::from_basis_points(250).unwrap()),
                "percentage-fee",
            ),
        ] {
            assert_eq!(t.code(), expected);
            codes.push(expected);
        }
        for c in &codes {
            assert!(
                c.split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{c:?}"
            );
        }
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 3 + 3, "{codes:?}");
    }
}

/// A value in the additional data template that may be "***": EMVCo's way of
/// saying "the app must ask the payer for this".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AdditionalValue {
    /// The value the merchant put in the code.
    Given(String),
    /// "***": ask the payer.
    AskPayer,
}

impl AdditionalValue {
    fn from_emv(s: &str) -> AdditionalValue {
        if s == "***" {
            AdditionalValue::AskPayer
        } else {
            AdditionalValue::Given(s.to_owned())
        }
    }

    /// The value as EMVCo writes it.
    pub fn as_emv(&self) -> &str {
        match self {
            AdditionalValue::Given(s) => s,
            AdditionalValue::AskPayer => "***",
        }
    }
}

/// The additional data field template, ID 62.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdditionalData {
    /// 01: bill number.
    pub bill_number: Option<AdditionalValue>,
    /// 02: mobile number (of the payer, for top-ups).
    pub mobile_number: Option<AdditionalValue>,
    /// 03: store label.
    pub store_label: Option<AdditionalValue>,
    /// 04: loyalty number.
    pub loyalty_number: Option<AdditionalValue>,
    /// 05: reference label (Pix writes its transaction ID here).
    pub reference_label: Option<AdditionalValue>,
    /// 06: customer label.
    pub customer_label: Option<AdditionalValue>,
    /// 07: terminal label.
    pub terminal_label: Option<AdditionalValue>,
    /// 08: purpose of transaction.
    pub purpose: Option<AdditionalValue>,
    /// 09: additional consumer data request: letters "A" (address), "M"
    /// (mobile number), "E" (e-mail), as written.
    pub consumer_data_request: Option<String>,
    /// 10–99 (merchant tax ID, channel, RFU, payment-system templates), raw,
    /// in payload order.
    pub other: Vec<(u8, String)>,
}

/// Merchant information in an alternate language, ID 64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternateLanguage {
    /// 00: ISO 639 two-letter language code.
    pub language: String,
    /// 01: merchant name in that language.
    pub name: String,
    /// 02: merchant city in that language.
    pub city: Option<String>,
    /// 03–99 (RFU), raw, in payload order.
    pub other: Vec<(u8, String)>,
}

/// A parsed EMVCo Merchant-Presented Mode payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantPayload {
    /// 01: static or dynamic.
    pub initiation: Initiation,
    /// 02..=51, in payload order.
    pub accounts: Vec<MerchantAccount>,
    /// 52: merchant category code, four digits (absent in PromptPay personal codes).
    pub mcc: Option<String>,
    /// 53: the transaction currency.
    pub currency: Currency,
    /// 54: the amount, exact, in `currency`. `None` means the payer enters it
    /// (a zero amount in the payload also reads as `None`).
    pub amount: Option<Money>,
    /// 55 with 56/57: tip or convenience fee.
    pub tip: Option<TipRule>,
    /// 58: ISO 3166-1 alpha-2 country code, as written.
    pub country: String,
    /// 59: merchant name (absent in PromptPay personal codes).
    pub merchant_name: Option<String>,
    /// 60: merchant city (absent in PromptPay personal codes).
    pub merchant_city: Option<String>,
    /// 61: postal code.
    pub postal_code: Option<String>,
    /// 62: additional data.
    pub additional: Option<AdditionalData>,
    /// 64: merchant information in another language.
    pub alternate_language: Option<AlternateLanguage>,
    /// 80..=99: unreserved templates, in payload order.
    pub unreserved: Vec<Template>,
    /// Every top-level data object in payload order, with its raw value (00 and
    /// 63 included; templates as their raw value; RFU IDs 65–79 only here).
    pub objects: Vec<(u8, String)>,
    /// 63: the CRC the payload carries (verified).
    pub crc: u16,
}

impl MerchantPayload {
    /// The account a payment authorisation names (`merchant_account` in
    /// `docs/api.md`): the first merchant account information object (IDs
    /// 02–51, in payload order) as its two-digit ID, `=`, and its whole value
    /// exactly as scanned. Empty when the payload has none (the parser refuses
    /// such a payload, so only a hand-built value can be empty).
    pub fn merchant_account(&self) -> String {
        self.accounts
            .first()
            .map(|a| format!("{:02}={}", a.id, a.raw))
            .unwrap_or_default()
    }

    /// Whether the code was made for one payment (01 = "12").
    pub fn is_dynamic(&self) -> bool {
        self.initiation == Initiation::Dynamic
    }

    /// The first merchant account whose GUID is `guid` (ASCII case ignored).
    pub fn account_by_guid(&self, guid: &str) -> Option<&MerchantAccount> {
        self.accounts.iter().find(|a| a.has_guid(guid))
    }

    /// The merchant account with data object ID `id`.
    pub fn account(&self, id: u8) -> Option<&MerchantAccount> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// The unreserved template (80–99) with data object ID `id`.
    pub fn unreserved_template(&self, id: u8) -> Option<&Template> {
        self.unreserved.iter().find(|t| t.id == id)
    }

    /// The raw value of top-level data object `id`.
    pub fn object(&self, id: u8) -> Option<&str> {
        field_of(&self.objects, id)
    }
}

fn field_of(fields: &[(u8, String)], id: u8) -> Option<&str> {
    fields
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, v)| v.as_str())
}
