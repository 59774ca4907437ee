//! Writing the typed model as a payload: canonical order, one value per
//! data object, templates from their fields.

use super::error::invalid;
use super::{AdditionalData, AlternateLanguage, MerchantAccount, MerchantPayload, TipRule};
use super::{MpmBuilder, MpmError};
use crate::payload::tlv::{self, TlvError};

impl MerchantPayload {
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
}

impl AdditionalData {
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

/// The TLV value of template `id` from sub-objects in the given order, each
/// sub-ID at most once.
pub(super) fn encode_fields(id: u8, fields: &[(u8, &str)]) -> Result<String, MpmError> {
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

/// The TLV value of template `id`: the GUID as sub-ID 00 (if any), then `fields`.
pub(super) fn encode_template(
    id: u8,
    guid: Option<&str>,
    fields: &[(u8, &str)],
) -> Result<String, MpmError> {
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
