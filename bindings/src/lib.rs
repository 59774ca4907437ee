//! # scanpay-ffi
//!
//! The UniFFI surface of the ScanPay core for Kotlin, Swift and Python. Thin
//! wrappers only (bdk-ffi's rule): a core type is wrapped when it cannot cross
//! as it is — borrowed data, `&'static str`, private fields, fixed arrays,
//! secrets — and every wrapper converts, it does not decide. All logic stays in
//! `scanpay-core`.
//!
//! | module | what crosses |
//! |---|---|
//! | [`wallet`] | [`wallet::Wallet`]: open from a data directory, enrol, PIN, registry, history, status |
//! | [`flow`] | [`flow::PaymentFlow`]: the payment state machine (states and intents) |
//! | [`pinpad`] | [`pinpad::PinPad`]: digits go in one by one, only the count comes out |
//! | [`scanner`] | [`scanner::QrScanner`]: luma frames (stride, rotation, region) → codes |
//! | [`paycode`] | the pay code: [`paycode::PaycodeSession`] (the code to draw), status, sync, charges waiting for the PIN, pay-code history |
//! | [`inspect`] | classification of a scanned text; [`inspect::TrustChecker`] for verdicts at a given time |
//! | [`shortcuts`] | biometric confirmation and PIN-free payments: status, opt-in with the PIN, opt-out (ADR 0022) |
//! | [`biometric`] | the platform biometric key the app implements ([`biometric::BiometricKey`]), and the insecure software one for tests (feature `testing`, never in a phone library) |
//! | [`platform`] | foreign interfaces the app implements: key store, network, logging, listeners |
//! | [`types`] | core records and enums crossing as they are (`uniffi::remote`), and the wrappers for those that cannot (ADR 0019) |
//! | [`errors`] | typed errors with messages a UI can show |
//! | [`i18n`] | the process-wide locale (`set_locales`), catalogue texts with ids and typed arguments, CLDR amounts (ADR 0024) |
//!
//! ## Threads
//! Blocking work (network, PIN key derivation, payment resolution) runs on a
//! dedicated `scanpay-worker` thread per call and is exported as `async`
//! (Kotlin `suspend`, Swift `async`, Python `async def`); no async runtime is
//! involved (see [`worker`]). `docs/bindings.md` says on which thread each
//! callback arrives.
//!
//! ## Unsafe code
//! This crate's own code contains no `unsafe`; the `extern "C"` scaffolding
//! UniFFI generates does, which is why the crate does not `forbid(unsafe_code)`
//! like the rest of the workspace.
#![deny(unsafe_code)]

pub mod biometric;
pub mod errors;
pub mod flow;
pub mod i18n;
pub mod inspect;
pub mod paycode;
pub mod pinpad;
pub mod platform;
pub mod scanner;
pub mod shortcuts;
pub mod types;
pub mod wallet;
pub mod worker;

uniffi::setup_scaffolding!("scanpay");

use std::sync::atomic::{AtomicU64, Ordering};

/// Rust-side objects alive (wallets, flows, pads, scanners, subscriptions,
/// trust checkers): lets tests prove that closing an object on the foreign
/// side really frees it in Rust.
static LIVE_OBJECTS: AtomicU64 = AtomicU64::new(0);

/// A counted object: increments the live count on creation, decrements on drop.
#[derive(Debug)]
pub(crate) struct LiveToken;

impl LiveToken {
    pub(crate) fn new() -> LiveToken {
        LIVE_OBJECTS.fetch_add(1, Ordering::SeqCst);
        LiveToken
    }
}

impl Drop for LiveToken {
    fn drop(&mut self) {
        LIVE_OBJECTS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How many ScanPay objects are alive in Rust (for leak checks in tests).
#[uniffi::export]
pub fn live_object_count() -> u64 {
    LIVE_OBJECTS.load(Ordering::SeqCst)
}

/// The version of the ScanPay core this library was built from.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
