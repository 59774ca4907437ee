//! What a scanned text means.
pub mod tlv;
