//! Writing a payload object by object, and the builder that re-opens a
//! parsed one to append to it (a signature template, say).

use super::encode::encode_fields;
use super::error::invalid;
use super::{MerchantPayload, MpmError, MAX_PAYLOAD_CHARS};
use crate::payload::tlv::{self, TlvError};

impl MerchantPayload {
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
