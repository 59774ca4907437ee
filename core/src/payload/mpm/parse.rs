//! Parsing and validating a payload: the envelope (length cap, 00 first,
//! 63 last, CRC), then each data object by its rule.

use super::error::invalid;
use super::MpmError;
use super::{
    AdditionalData, AdditionalValue, AlternateLanguage, Initiation, MerchantAccount,
    MerchantPayload, Percentage, Template, TipRule, MAX_PAYLOAD_CHARS,
};
use crate::money::{Currency, Money};
use crate::payload::tlv::{self, DataObject};

impl MerchantPayload {
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
}

/// Sub-ID 00 (a GUID) and the other sub-objects of a template, in order.
pub(super) fn split_guid(children: &[DataObject<'_>]) -> (Option<String>, Vec<(u8, String)>) {
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
