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

use std::fmt;

use thiserror::Error;

use super::tlv::{self, DataObject, TlvError};
use crate::money::{Currency, Money, MoneyError};

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

impl AdditionalData {
    fn from_objects(children: &[DataObject<'_>]) -> AdditionalData {
        let mut a = AdditionalData::default();
        for o in children {
            let v = || Some(AdditionalValue::from_emv(o.value));
            match o.id {
                1 => a.bill_number = v(),
                2 => a.mobile_number = v(),
                3 => a.store_label = v(),
                4 => a.loyalty_number = v(),
                5 => a.reference_label = v(),
                6 => a.customer_label = v(),
                7 => a.terminal_label = v(),
                8 => a.purpose = v(),
                9 => a.consumer_data_request = Some(o.value.to_owned()),
                id => a.other.push((id, o.value.to_owned())),
            }
        }
        a
    }

    /// The template's value: 01–09 in ID order, then `other` in its order.
    pub fn encode(&self) -> Result<String, MpmError> {
        let mut out = String::new();
        let typed = [
            (1, self.bill_number.as_ref()),
            (2, self.mobile_number.as_ref()),
            (3, self.store_label.as_ref()),
            (4, self.loyalty_number.as_ref()),
            (5, self.reference_label.as_ref()),
            (6, self.customer_label.as_ref()),
            (7, self.terminal_label.as_ref()),
            (8, self.purpose.as_ref()),
        ];
        for (id, v) in typed {
            if let Some(v) = v {
                tlv::encode_into(&mut out, id, v.as_emv()).map_err(MpmError::Encode)?;
            }
        }
        if let Some(v) = &self.consumer_data_request {
            tlv::encode_into(&mut out, 9, v).map_err(MpmError::Encode)?;
        }
        for (id, v) in &self.other {
            if (1..=9).contains(id) || *id == 0 {
                return Err(MpmError::Invalid {
                    id: 62,
                    reason: format!("sub-ID {id:02} belongs in a typed field"),
                });
            }
            tlv::encode_into(&mut out, *id, v).map_err(MpmError::Encode)?;
        }
        Ok(out)
    }
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

impl AlternateLanguage {
    /// The template's value: 00, 01, 02, then `other`.
    pub fn encode(&self) -> Result<String, MpmError> {
        let mut out = String::new();
        tlv::encode_into(&mut out, 0, &self.language).map_err(MpmError::Encode)?;
        tlv::encode_into(&mut out, 1, &self.name).map_err(MpmError::Encode)?;
        if let Some(c) = &self.city {
            tlv::encode_into(&mut out, 2, c).map_err(MpmError::Encode)?;
        }
        for (id, v) in &self.other {
            if *id <= 2 {
                return Err(MpmError::Invalid {
                    id: 64,
                    reason: format!("sub-ID {id:02} belongs in a typed field"),
                });
            }
            tlv::encode_into(&mut out, *id, v).map_err(MpmError::Encode)?;
        }
        Ok(out)
    }
}

/// Why a text is not a valid Merchant-Presented Mode payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MpmError {
    /// The payload is longer than [`MAX_PAYLOAD_CHARS`] (checked before parsing).
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

    /// Parses and validates a payload (see the module documentation for the rules).
    pub fn parse(text: &str) -> Result<MerchantPayload, MpmError> {
        check_length(text)?;
        let objs = tlv::parse(text).map_err(MpmError::Tlv)?;
        let crc = verify_envelope(text, &objs)?;

        let mut p = MerchantPayload {
            initiation: Initiation::Unspecified,
            accounts: Vec::new(),
            mcc: None,
            currency: Currency::USD,
            amount: None,
            tip: None,
            country: String::new(),
            merchant_name: None,
            merchant_city: None,
            postal_code: None,
            additional: None,
            alternate_language: None,
            unreserved: Vec::new(),
            objects: objs.iter().map(|o| (o.id, o.value.to_owned())).collect(),
            crc,
        };

        // The currency first: amounts depend on its exponent.
        let currency = objs
            .iter()
            .find(|o| o.id == 53)
            .ok_or(MpmError::Missing(53))?;
        p.currency = Currency::from_numeric_str(currency.value).map_err(MpmError::Currency)?;

        let mut tip_indicator: Option<&str> = None;
        let mut fixed_fee: Option<&str> = None;
        let mut percentage_fee: Option<&str> = None;
        let mut country = None;

        for o in &objs {
            let v = o.value;
            match o.id {
                0 | 53 | 63 => {}
                1 => {
                    p.initiation = match v {
                        "11" => Initiation::Static,
                        "12" => Initiation::Dynamic,
                        _ => {
                            return Err(invalid(1, "point of initiation must be \"11\" or \"12\""))
                        }
                    }
                }
                2..=51 => p.accounts.push(MerchantAccount::from_raw(o.id, v)?),
                52 => {
                    if v.len() != 4 || !v.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(invalid(52, "merchant category code must be four digits"));
                    }
                    p.mcc = Some(v.to_owned());
                }
                54 => {
                    let m = Money::parse(v, p.currency)
                        .map_err(|source| MpmError::Amount { id: 54, source })?;
                    // Some generators write "0" or "0.00" for "no amount, the
                    // payer enters it" (PayNow codes with an editable amount);
                    // a zero is never a payable amount, so it reads as absent.
                    // The raw value stays in `objects`.
                    p.amount = (!m.is_zero()).then_some(m);
                }
                55 => tip_indicator = Some(v),
                56 => fixed_fee = Some(v),
                57 => percentage_fee = Some(v),
                58 => {
                    if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(invalid(58, "country code must be two letters"));
                    }
                    country = Some(v.to_owned());
                }
                59 => p.merchant_name = Some(v.to_owned()),
                60 => p.merchant_city = Some(v.to_owned()),
                61 => p.postal_code = Some(v.to_owned()),
                62 => {
                    let children = o
                        .children()
                        .map_err(|source| MpmError::Template { id: 62, source })?;
                    p.additional = Some(AdditionalData::from_objects(&children));
                }
                64 => {
                    let children = o
                        .children()
                        .map_err(|source| MpmError::Template { id: 64, source })?;
                    p.alternate_language = Some(parse_alternate_language(&children)?);
                }
                65..=79 => {}
                _ => p.unreserved.push(Template::from_raw(o.id, v)),
            }
        }

        p.tip = parse_tip(tip_indicator, fixed_fee, percentage_fee, p.currency)?;
        p.country = country.ok_or(MpmError::Missing(58))?;
        if p.accounts.is_empty() {
            return Err(MpmError::NoMerchantAccount);
        }
        Ok(p)
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

    /// Encodes the typed model as a payload, CRC included.
    ///
    /// The output is canonical: 00, 01, the merchant accounts in their vector
    /// order, 52–62 and 64–79 in ascending ID order, then the unreserved
    /// templates in their vector order (ascending throughout when those two
    /// vectors are sorted by ID, as parsing a canonical payload leaves them),
    /// sub-objects of
    /// 62 and 64 in the order [`AdditionalData::encode`] and
    /// [`AlternateLanguage::encode`] give, RFU objects 65–79 copied from
    /// `objects`. It is therefore the original text only when the original was
    /// canonical; to re-emit a scanned payload byte for byte, keep its text.
    /// `objects` and `crc` are otherwise ignored.
    pub fn encode(&self) -> Result<String, MpmError> {
        let mut b = MpmBuilder::new();
        if let Some(v) = self.initiation.as_emv() {
            b.object(1, v)?;
        }
        for a in &self.accounts {
            // Re-interpreting the raw value keeps `raw` and the typed fields honest.
            let checked = MerchantAccount::from_raw(a.id, &a.raw)?;
            if checked != *a {
                return Err(invalid(a.id, "raw value disagrees with guid/fields"));
            }
            b.object(a.id, &a.raw)?;
        }
        if let Some(mcc) = &self.mcc {
            b.object(52, mcc)?;
        }
        b.object(53, &self.currency.numeric_str())?;
        if let Some(m) = &self.amount {
            if m.currency != self.currency {
                return Err(invalid(54, "amount currency differs from 53"));
            }
            if m.is_zero() {
                // It would read back as "no amount": say so instead of writing it.
                return Err(invalid(54, "a zero amount is written as no amount (None)"));
            }
            b.object(54, &m.to_emv_string())?;
        }
        match &self.tip {
            None => {}
            Some(TipRule::Prompt) => {
                b.object(55, "01")?;
            }
            Some(TipRule::FixedFee(m)) => {
                if m.currency != self.currency {
                    return Err(invalid(56, "fee currency differs from 53"));
                }
                b.object(55, "02")?.object(56, &m.to_emv_string())?;
            }
            Some(TipRule::PercentageFee(p)) => {
                b.object(55, "03")?.object(57, &p.to_emv_string())?;
            }
        }
        b.object(58, &self.country)?;
        if let Some(v) = &self.merchant_name {
            b.object(59, v)?;
        }
        if let Some(v) = &self.merchant_city {
            b.object(60, v)?;
        }
        if let Some(v) = &self.postal_code {
            b.object(61, v)?;
        }
        if let Some(a) = &self.additional {
            b.object(62, &a.encode()?)?;
        }
        if let Some(l) = &self.alternate_language {
            b.object(64, &l.encode()?)?;
        }
        for (id, v) in &self.objects {
            if (65..=79).contains(id) {
                b.object(*id, v)?;
            }
        }
        for t in &self.unreserved {
            if !(80..=99).contains(&t.id) {
                return Err(invalid(t.id, "unreserved templates are IDs 80 to 99"));
            }
            b.object(t.id, &t.raw)?;
        }
        b.finish()
    }

    /// A builder holding every data object of this payload except 00 and 63,
    /// in payload order, so that more objects (a signature template, say) can
    /// be appended and a new CRC computed.
    pub fn to_builder(&self) -> Result<MpmBuilder, MpmError> {
        let mut b = MpmBuilder::new();
        for (id, v) in &self.objects {
            if *id != 0 && *id != 63 {
                b.object(*id, v)?;
            }
        }
        Ok(b)
    }
}

/// Writes a payload: "000201" first, data objects in the order appended, then
/// "6304" and the CRC (upper-case hexadecimal) on [`MpmBuilder::finish`].
///
/// ```
/// use scanpay_core::payload::mpm::{MerchantPayload, MpmBuilder};
/// let mut b = MpmBuilder::new();
/// b.object(1, "11")?
///     .template(26, &[(0, "br.gov.bcb.pix"), (1, "alice@example.com")])?
///     .object(53, "986")?
///     .object(58, "BR")?
///     .object(59, "ALICE")?
///     .object(60, "SAO PAULO")?;
/// let text = b.finish()?;
/// assert_eq!(MerchantPayload::parse(&text)?.merchant_name.as_deref(), Some("ALICE"));
/// # Ok::<(), scanpay_core::payload::mpm::MpmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MpmBuilder {
    body: String,
    seen: [bool; 100],
}

impl Default for MpmBuilder {
    fn default() -> Self {
        MpmBuilder::new()
    }
}

impl MpmBuilder {
    /// A builder holding only the payload format indicator "000201".
    pub fn new() -> MpmBuilder {
        let mut seen = [false; 100];
        seen[0] = true;
        MpmBuilder {
            body: "000201".to_owned(),
            seen,
        }
    }

    /// Appends a primitive data object (or a template given as its raw value).
    /// 00 and 63 are written by the builder itself and refused here, as is an ID
    /// already appended.
    pub fn object(&mut self, id: u8, value: &str) -> Result<&mut MpmBuilder, MpmError> {
        if id == 0 || id == 63 {
            return Err(invalid(id, "written by the builder itself"));
        }
        let slot = self
            .seen
            .get_mut(usize::from(id))
            .ok_or(MpmError::Encode(TlvError::IdOutOfRange { id }))?;
        if *slot {
            return Err(invalid(id, "appended twice"));
        }
        tlv::encode_into(&mut self.body, id, value).map_err(MpmError::Encode)?;
        *slot = true;
        Ok(self)
    }

    /// Appends a template built from sub-objects, in the order given.
    pub fn template(&mut self, id: u8, fields: &[(u8, &str)]) -> Result<&mut MpmBuilder, MpmError> {
        let raw = encode_fields(id, fields)?;
        self.object(id, &raw)
    }

    /// The payload so far, without CRC: what a signature over "everything
    /// before the CRC" would cover.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Appends "6304" and the CRC, and checks the 512-character limit.
    pub fn finish(&self) -> Result<String, MpmError> {
        let mut out = self.body.clone();
        out.push_str("6304");
        let crc = tlv::crc16_ccitt_false(out.as_bytes());
        out.push_str(&tlv::crc_hex(crc));
        let chars = out.chars().count();
        if chars > MAX_PAYLOAD_CHARS {
            return Err(MpmError::TooLong {
                chars,
                max: MAX_PAYLOAD_CHARS,
            });
        }
        Ok(out)
    }
}

fn invalid(id: u8, reason: &str) -> MpmError {
    MpmError::Invalid {
        id,
        reason: reason.to_owned(),
    }
}

fn field_of(fields: &[(u8, String)], id: u8) -> Option<&str> {
    fields
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, v)| v.as_str())
}

fn split_guid(children: &[DataObject<'_>]) -> (Option<String>, Vec<(u8, String)>) {
    let mut guid = None;
    let mut fields = Vec::new();
    for c in children {
        if c.id == 0 {
            guid = Some(c.value.to_owned());
        } else {
            fields.push((c.id, c.value.to_owned()));
        }
    }
    (guid, fields)
}

fn encode_fields(id: u8, fields: &[(u8, &str)]) -> Result<String, MpmError> {
    let mut raw = String::new();
    let mut seen = [false; 100];
    for (sub, v) in fields {
        let slot = seen
            .get_mut(usize::from(*sub))
            .ok_or(MpmError::Encode(TlvError::IdOutOfRange { id: *sub }))?;
        if std::mem::replace(slot, true) {
            return Err(MpmError::Invalid {
                id,
                reason: format!("sub-ID {sub:02} appears twice"),
            });
        }
        tlv::encode_into(&mut raw, *sub, v).map_err(MpmError::Encode)?;
    }
    Ok(raw)
}

fn encode_template(id: u8, guid: Option<&str>, fields: &[(u8, &str)]) -> Result<String, MpmError> {
    let mut all: Vec<(u8, &str)> = Vec::with_capacity(fields.len() + 1);
    if let Some(g) = guid {
        all.push((0, g));
    }
    for (sub, v) in fields {
        if *sub == 0 && guid.is_some() {
            return Err(MpmError::Invalid {
                id,
                reason: "sub-ID 00 is the GUID".into(),
            });
        }
        all.push((*sub, v));
    }
    encode_fields(id, &all)
}

fn check_length(text: &str) -> Result<(), MpmError> {
    // A UTF-8 character is at most four bytes: a text longer than 4 × 512 bytes
    // is refused without walking it.
    if text.len() > MAX_PAYLOAD_CHARS * 4 {
        return Err(MpmError::TooLong {
            chars: text.len() / 4,
            max: MAX_PAYLOAD_CHARS,
        });
    }
    let chars = text.chars().count();
    if chars > MAX_PAYLOAD_CHARS {
        return Err(MpmError::TooLong {
            chars,
            max: MAX_PAYLOAD_CHARS,
        });
    }
    Ok(())
}

/// Checks 00 first and "01", 63 last with four characters, and the CRC.
fn verify_envelope(text: &str, objs: &[DataObject<'_>]) -> Result<u16, MpmError> {
    match objs.first() {
        Some(o) if o.id == 0 => {
            if o.value != "01" {
                return Err(MpmError::FormatIndicator {
                    found: o.value.chars().take(16).collect(),
                });
            }
        }
        _ if objs.iter().any(|o| o.id == 0) => return Err(MpmError::FormatIndicatorNotFirst),
        _ => return Err(MpmError::Missing(0)),
    }
    let crc_obj = objs
        .iter()
        .find(|o| o.id == 63)
        .ok_or(MpmError::MissingCrc)?;
    if objs.last().map(|o| o.id) != Some(63) {
        return Err(MpmError::CrcNotLast);
    }
    if crc_obj.value.chars().count() != 4 {
        return Err(invalid(63, "the CRC must be four hexadecimal digits"));
    }
    // The CRC covers everything up to and including "6304": the object's ID and
    // length are four ASCII bytes from the start of its span.
    let covered = text
        .as_bytes()
        .get(..crc_obj.span.start + 4)
        .ok_or(MpmError::MissingCrc)?;
    let expected = tlv::crc16_ccitt_false(covered);
    let found = crc_obj.value;
    // Lower-case hex is named apart from a mismatch (the value may be right):
    // a generator that writes it needs fixing, not a re-scan.
    if found.bytes().all(|b| b.is_ascii_hexdigit()) && found.bytes().any(|b| b.is_ascii_lowercase())
    {
        return Err(invalid(
            63,
            "the CRC must be four upper-case hexadecimal digits (0-9, A-F)",
        ));
    }
    let parsed = if found.bytes().all(|b| b.is_ascii_hexdigit()) {
        u16::from_str_radix(found, 16).ok()
    } else {
        None
    };
    if parsed != Some(expected) {
        return Err(MpmError::BadCrc {
            expected,
            found: found.to_owned(),
        });
    }
    Ok(expected)
}

fn parse_tip(
    indicator: Option<&str>,
    fixed: Option<&str>,
    percentage: Option<&str>,
    currency: Currency,
) -> Result<Option<TipRule>, MpmError> {
    let rule = match indicator {
        None => None,
        Some("01") => Some(TipRule::Prompt),
        Some("02") => {
            let v = fixed.ok_or(MpmError::Missing(56))?;
            let m =
                Money::parse(v, currency).map_err(|source| MpmError::Amount { id: 56, source })?;
            if m.is_zero() {
                return Err(invalid(56, "the fixed fee is zero"));
            }
            Some(TipRule::FixedFee(m))
        }
        Some("03") => {
            let v = percentage.ok_or(MpmError::Missing(57))?;
            let p = Percentage::parse(v)
                .ok_or_else(|| invalid(57, "percentage must be 00.01 to 99.99"))?;
            Some(TipRule::PercentageFee(p))
        }
        Some(_) => {
            return Err(invalid(
                55,
                "tip indicator must be \"01\", \"02\" or \"03\"",
            ))
        }
    };
    if fixed.is_some() && indicator != Some("02") {
        return Err(invalid(56, "a fixed fee is only allowed with 55 = \"02\""));
    }
    if percentage.is_some() && indicator != Some("03") {
        return Err(invalid(
            57,
            "a percentage fee is only allowed with 55 = \"03\"",
        ));
    }
    Ok(rule)
}

fn parse_alternate_language(children: &[DataObject<'_>]) -> Result<AlternateLanguage, MpmError> {
    let mut language = None;
    let mut name = None;
    let mut city = None;
    let mut other = Vec::new();
    for c in children {
        match c.id {
            0 => language = Some(c.value.to_owned()),
            1 => name = Some(c.value.to_owned()),
            2 => city = Some(c.value.to_owned()),
            id => other.push((id, c.value.to_owned())),
        }
    }
    let language = language.ok_or_else(|| invalid(64, "language preference (00) is missing"))?;
    if language.len() != 2 || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(64, "language preference (00) must be two letters"));
    }
    let name = name.ok_or_else(|| invalid(64, "alternate merchant name (01) is missing"))?;
    Ok(AlternateLanguage {
        language,
        name,
        city,
        other,
    })
}
