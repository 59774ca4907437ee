//! Every scanned-text parser: classify (MPM, CPM, link, text), and the MPM,
//! CPM, TLV and link parsers directly. Contract: no panic, every failure a
//! typed error; a parsed MPM payload re-encodes to something that parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanpay_core::payload::cpm::ConsumerPayload;
use scanpay_core::payload::link::Link;
use scanpay_core::payload::mpm::MerchantPayload;
use scanpay_core::payload::{classify, tlv};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = classify(&text);
    if let Ok(p) = MerchantPayload::parse(&text) {
        // What parsed is consistent: its builder writes a payload that parses.
        if let Ok(b) = p.to_builder() {
            if let Ok(again) = b.finish() {
                assert!(
                    MerchantPayload::parse(&again).is_ok(),
                    "re-encoded payload refused"
                );
            }
        }
    }
    let _ = ConsumerPayload::parse(&text);
    let _ = tlv::parse(&text);
    let _ = Link::parse(&text);
});
