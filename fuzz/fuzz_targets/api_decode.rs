//! API response decoding: every `/v1` type the HTTPS client decodes from a
//! server's bytes (serde_json, as `net::HttpsBackend` does). No panic; what
//! decodes re-encodes and decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanpay_core::net::api::{
    ClockResponse, ControlAck, ControlPayment, CreateOrderResponse, EnrolResponse, ErrorBody,
    FaultRequest, HealthResponse, PaymentRequestBody,
};
use scanpay_core::payment::BackendReply;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        if let Ok(bytes) = serde_json::to_vec(&v) {
            let again: Result<T, _> = serde_json::from_slice(&bytes);
            assert_eq!(
                again.ok().as_ref(),
                Some(&v),
                "round trip changed the value"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<BackendReply>(data);
    round_trip::<HealthResponse>(data);
    round_trip::<EnrolResponse>(data);
    round_trip::<ErrorBody>(data);
    round_trip::<CreateOrderResponse>(data);
    round_trip::<ControlPayment>(data);
    round_trip::<ControlAck>(data);
    round_trip::<ClockResponse>(data);
    round_trip::<FaultRequest>(data);
    round_trip::<PaymentRequestBody>(data);
});
