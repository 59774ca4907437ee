//! What a scanned text means: an EMVCo merchant code, someone's payment code,
//! a link, or just text.
//!
//! [`classify`] decides the kind from the text's shape first and parses
//! second, so a damaged merchant code is still reported as an EMVCo MPM
//! payload (with its error) rather than falling through to "text": the UI can
//! then say "this payment code is damaged" instead of showing gibberish.

pub mod cpm;
pub mod link;
pub mod mpm;
pub mod tlv;

use thiserror::Error;

use cpm::{ConsumerPayload, CpmError};
use link::{Link, LinkError};
use mpm::{MerchantPayload, MpmError};

/// Longest scanned text [`classify`] looks at, in bytes. A QR code holds at
/// most 7089 numeric characters and far fewer bytes; every parser below has a
/// tighter cap of its own.
pub const MAX_TEXT_BYTES: usize = 4096;

/// The kind of a scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// An EMVCo Merchant-Presented Mode payload (a merchant's code).
    EmvMpm,
    /// An EMVCo Consumer-Presented Mode payload (someone's payment code).
    EmvCpm,
    /// An absolute URL.
    Url,
    /// Anything else.
    Text,
}

impl PayloadKind {
    /// A stable name: "emv-mpm", "emv-cpm", "url" or "text".
    pub fn as_str(&self) -> &'static str {
        match self {
            PayloadKind::EmvMpm => "emv-mpm",
            PayloadKind::EmvCpm => "emv-cpm",
            PayloadKind::Url => "url",
            PayloadKind::Text => "text",
        }
    }
}

/// A scanned text, understood.
// One value per scan, moved a handful of times: boxing the large MPM variant
// would only add an allocation and a less direct pattern for every caller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A merchant's code.
    EmvMpm(MerchantPayload),
    /// Someone's payment code.
    EmvCpm(ConsumerPayload),
    /// A link, classified, never opened.
    Url(Link),
    /// Plain text.
    Text(String),
}

/// Why a scanned text could not be understood as the kind it looks like.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PayloadError {
    /// A damaged or invalid merchant code.
    #[error(transparent)]
    Mpm(#[from] MpmError),
    /// A damaged or invalid payment code.
    #[error(transparent)]
    Cpm(#[from] CpmError),
    /// A link that cannot be parsed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The text is longer than [`MAX_TEXT_BYTES`].
    #[error("the scanned text is {bytes} bytes long; at most {max} are looked at")]
    TooLong {
        /// Length in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

impl PayloadError {
    /// A stable code for why the text is not a valid payload: the kind it
    /// looked like, then the reason, `/`-separated (`mpm/bad-crc`,
    /// `mpm/tlv/overrun`, `cpm/base64`, `link/invalid`, `too-long`). Codes
    /// carry no positions or values and do not change with the wording of
    /// messages; a UI picks its own text by them, tests assert on them.
    pub fn code(&self) -> String {
        match self {
            PayloadError::Mpm(e) => format!("mpm/{}", e.code()),
            PayloadError::Cpm(e) => format!("cpm/{}", e.code()),
            PayloadError::Link(e) => format!("link/{}", e.code()),
            PayloadError::TooLong { .. } => "too-long".to_owned(),
        }
    }
}

/// The kind of a scanned text and, if it could be parsed, what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// What the text looks like.
    pub kind: PayloadKind,
    /// The parsed payload, or why the text is not a valid one of its kind.
    pub result: Result<Payload, PayloadError>,
}

/// Classifies and parses a scanned text.
///
/// * Starts with "000201", or starts with "00" and is a TLV sequence holding a
///   63 (CRC): EMVCo MPM.
/// * Starts with "hQVDUFY" (base64 of tag 85 "CPV"): EMVCo CPM.
/// * An absolute URL with a scheme and no whitespace (`javascript:` included):
///   a link.
/// * Anything else: text.
pub fn classify(text: &str) -> Classified {
    if looks_like_mpm(text) {
        return Classified {
            kind: PayloadKind::EmvMpm,
            result: MerchantPayload::parse(text)
                .map(Payload::EmvMpm)
                .map_err(PayloadError::from),
        };
    }
    if ConsumerPayload::looks_like(text) {
        return Classified {
            kind: PayloadKind::EmvCpm,
            result: ConsumerPayload::parse(text)
                .map(Payload::EmvCpm)
                .map_err(PayloadError::from),
        };
    }
    if text.len() > MAX_TEXT_BYTES {
        return Classified {
            kind: PayloadKind::Text,
            result: Err(PayloadError::TooLong {
                bytes: text.len(),
                max: MAX_TEXT_BYTES,
            }),
        };
    }
    match Link::parse(text) {
        Ok(link) if is_link(&link) => Classified {
            kind: PayloadKind::Url,
            result: Ok(Payload::Url(link)),
        },
        _ => Classified {
            kind: PayloadKind::Text,
            result: Ok(Payload::Text(text.to_owned())),
        },
    }
}

fn looks_like_mpm(text: &str) -> bool {
    if text.starts_with("000201") {
        return true;
    }
    // A payload with a wrong format indicator or one placed later is still
    // recognisably EMVCo: all digits-led TLV with a CRC object.
    text.starts_with("00")
        && text.len() <= mpm::MAX_PAYLOAD_CHARS * 4
        && tlv::parse(text).is_ok_and(|objs| objs.iter().any(|o| o.id == 63))
}

/// Schemes that are links even without a host (mail, phone, payment apps…),
/// besides every dangerous scheme ([`link::DANGEROUS_SCHEMES`]), which is a
/// link whatever follows it.
const HOSTLESS_LINK_SCHEMES: &[&str] = &[
    "mailto",
    "tel",
    "sms",
    "smsto",
    "geo",
    "market",
    "bitcoin",
    "lightning",
    "ethereum",
    "upi",
    "alipays",
    "weixin",
];

/// Whether a parsed URL is worth presenting as a link: it has a host, or its
/// scheme is a known host-less one. Otherwise "note: buy milk" would be a URL
/// with scheme "note".
fn is_link(link: &Link) -> bool {
    let scheme = link.scheme.as_str();
    link.host_ascii.is_some()
        || link::DANGEROUS_SCHEMES.contains(&scheme)
        || HOSTLESS_LINK_SCHEMES.contains(&scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let mpm =
            classify("00020101021129370016A000000677010111011300668012345675802TH530376463046197");
        assert_eq!(mpm.kind.as_str(), "emv-mpm");
        assert!(matches!(mpm.result, Ok(Payload::EmvMpm(_))));

        // Damaged but recognisable: still MPM, with its error.
        let bad =
            classify("00020101021129370016A000000677010111011300668012345675802TH530376463046198");
        assert_eq!(bad.kind, PayloadKind::EmvMpm);
        assert!(matches!(
            bad.result,
            Err(PayloadError::Mpm(MpmError::BadCrc { .. }))
        ));
        let late = classify("0002020102116304ABCD");
        assert_eq!(late.kind, PayloadKind::EmvMpm);

        let cpm = classify("hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNBUkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==");
        assert_eq!(cpm.kind.as_str(), "emv-cpm");
        assert!(cpm.result.is_ok());
        let bad_cpm = classify("hQVDUFY!!");
        assert_eq!(bad_cpm.kind, PayloadKind::EmvCpm);
        assert!(bad_cpm.result.is_err());

        for url in [
            "https://example.com/pay",
            "javascript:alert(1)",
            "mailto:a@example.com",
            "upi://pay?pa=a@b&pn=X",
        ] {
            let c = classify(url);
            assert_eq!(c.kind.as_str(), "url", "{url}");
            assert!(matches!(c.result, Ok(Payload::Url(_))), "{url}");
        }

        for text in [
            "hello",
            "hello world",
            "note:buy milk",
            "",
            "001",
            "WIFI:S:cafe;T:WPA;P:x;;",
        ] {
            let c = classify(text);
            assert_eq!(c.kind.as_str(), "text", "{text}");
            assert_eq!(c.result, Ok(Payload::Text(text.to_owned())));
        }
        let huge = "x".repeat(MAX_TEXT_BYTES + 1);
        assert!(matches!(
            classify(&huge).result,
            Err(PayloadError::TooLong { .. })
        ));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn classify_never_panics(s in "\\PC{0,300}") {
                let _ = classify(&s);
            }

            #[test]
            fn classify_never_panics_on_emv_prefixes(
                prefix in prop::sample::select(vec!["000201", "00", "hQVDUFY", "https://", "javascript:"]),
                rest in "[0-9A-Za-z+/=.:@%-]{0,200}",
            ) {
                let _ = classify(&format!("{prefix}{rest}"));
            }
        }
    }
}
