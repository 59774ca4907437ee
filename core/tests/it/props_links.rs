//! Properties of the link and consumer-code classifiers against phishing and
//! truncation: a dangerous scheme is flagged in any letter case, plain http
//! is always flagged, no link is ever opened or turned into a payment; any
//! strict prefix of a consumer code is refused, never half-parsed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use scanpay_core::payload::cpm::ConsumerPayload;
use scanpay_core::payload::link::{LinkFlag, DANGEROUS_SCHEMES};
use scanpay_core::payload::{classify, Payload, PayloadKind};

fn random_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn ber(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.push(u8::try_from(value.len()).unwrap());
    out.extend_from_slice(value);
    out
}

fn cpm() -> Vec<u8> {
    let mut app = ber(&[0x4F], &[0xA0, 0, 0, 0, 0x03, 0x10, 0x10]);
    app.extend(ber(&[0x50], b"VISA DEBIT"));
    app.extend(ber(
        &[0x57],
        &[
            0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10, 0xD2, 0x51, 0x22, 0x01,
        ],
    ));
    app.extend(ber(&[0x9F, 0x26], &[1, 2, 3, 4, 5, 6, 7, 8]));
    let mut out = ber(&[0x85], b"CPV01");
    out.extend(ber(&[0x61], &app));
    out
}

proptest! {
    #[test]
    fn a_dangerous_scheme_is_flagged_in_any_case(
        i in any::<prop::sample::Index>(), mask in any::<u64>(), rest in "[A-Za-z0-9/()%=;#.,_-]{1,60}"
    ) {
        let scheme = DANGEROUS_SCHEMES[i.index(DANGEROUS_SCHEMES.len())];
        let text = format!("{}:{rest}", random_case(scheme, mask));
        let c = classify(&text);
        if let Ok(Payload::Url(link)) = &c.result {
            prop_assert!(link.flags.contains(&LinkFlag::DangerousScheme), "{text}: {link:?}");
        } else {
            // Not a URL at all (the url crate refused it): shown as text.
            prop_assert_eq!(c.kind, PayloadKind::Text, "{}", text);
        }
    }

    #[test]
    fn plain_http_is_always_flagged(host in "[a-z]{1,12}(\\.[a-z]{2,6}){1,2}", path in "[A-Za-z0-9/?=&._-]{0,40}", mask in any::<u64>()) {
        let text = format!("{}://{host}/{path}", random_case("http", mask));
        let c = classify(&text);
        let Ok(Payload::Url(link)) = &c.result else { panic!("{text}: {c:?}") };
        prop_assert!(link.flags.contains(&LinkFlag::NotHttps));
    }

    #[test]
    fn any_text_is_classified_without_panic(s in "\\PC{0,300}") {
        let c = classify(&s);
        // A link or text is never a payment code.
        if matches!(c.kind, PayloadKind::Url | PayloadKind::Text) {
            prop_assert!(!matches!(c.result, Ok(Payload::EmvMpm(_) | Payload::EmvCpm(_))));
        }
    }

    #[test]
    fn a_strict_prefix_of_a_consumer_code_is_refused(cut in 1usize..45) {
        let raw = cpm();
        let cut = cut.min(raw.len() - 1);
        let text = STANDARD.encode(&raw[..cut]);
        prop_assert!(ConsumerPayload::parse(&text).is_err(), "prefix of {cut} bytes parsed");
    }
}

#[test]
fn the_whole_consumer_code_parses() {
    assert!(ConsumerPayload::parse(&STANDARD.encode(cpm())).is_ok());
}
