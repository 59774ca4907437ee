//! `uniffi-bindgen`, built from the same UniFFI version as `scanpay-ffi` so the
//! generated Kotlin / Swift / Python always matches the library's scaffolding
//! (a mismatch is an API-checksum failure at load time).
//! Run through `scripts/bindings.sh`, which generates from the unstripped library.

fn main() {
    uniffi::uniffi_bindgen_main()
}
