//! # scanpay-core
//!
//! All of ScanPay's wallet logic, as plain Rust with no FFI in it. The UniFFI
//! surface lives in the `scanpay-ffi` crate (`bindings/`), which wraps these types.
//!
//! One module per concern, in the order a payment passes through them:
//!
//! | module | concern |
//! |---|---|
//! | [`scan`] | camera luma frames → QR codes (bytes, text, corners) |
//! | [`payload`] | scanned text → what it is (EMVCo MPM/CPM, URL, text) |
//! | [`trust`] | signed merchant codes, the merchant key registry, the verdict |
//! | [`money`] | integer minor units and ISO 4217 currencies |
//! | [`auth`] | the PIN pad, the PIN-sealed Ed25519 device key, attempt limits, payment authorisations |
//! | [`store`] | the durable SQLite journal: payments, transitions, PIN state, keys, registry, nonces |
//! | [`paycode`] | consumer-presented pay codes: the one-time code a cashier scans, its CPM/QR and Code 128 forms |
//! | [`payment`] | the payment flow the UI renders, amounts and fees, the engine that never loses or doubles a payment |
//! | [`status`] | connectivity status (online / degraded / offline) and pending payments, for the UI |
//! | [`net`] | the backend link: the `/v1` wire protocol and the pinned HTTPS client (rustls) |
//! | [`wallet`] | the façade the bindings wrap: everything opened from one data directory |
//! | [`i18n`] | the payer's language: locale negotiation, CLDR plural rules and amount formats, the catalogue of texts |
//!
//! Contracts that hold in every module: no panic on any input (every failure is
//! a typed error), every input is size-capped before it is parsed, money is
//! never a float, and secrets never reach `Debug` output or logs.
#![forbid(unsafe_code)]

pub mod auth;
pub mod i18n;
pub mod money;
pub mod net;
pub mod paycode;
pub mod payload;
pub mod payment;
pub mod scan;
pub mod status;
pub mod store;
pub mod trust;
pub mod wallet;
