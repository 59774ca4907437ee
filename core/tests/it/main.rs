//! The core's integration tests, as one test binary.
//!
//! Each file here was its own `tests/*.rs` target and linked the whole core
//! on its own: 31 binaries, most of the test build's time and disk (ADR 0010,
//! issue 15). They are now modules of this one target, named as before, so
//! one file still runs on its own by its module path:
//! `cargo test -p scanpay-core --test it attacks::`.
//!
//! Everything runs in one process on libtest's threads. A test may not change
//! process-wide state another test can see (environment variables, the
//! working directory, a panic hook that hides other tests' panics); the
//! shared helpers (`common`, `*_support`) are modules of this crate.

mod attacks;
mod auth_flow;
mod auth_flow_pad;
mod auth_pin;
mod auth_reset;
mod auth_shared;
mod flow_props;
mod flow_states;
mod net_http;
mod net_tls;
mod paycode_code;
mod paycode_wallet;
mod payload_props;
mod payload_real;
mod payment_engine;
mod payment_record;
mod payment_restart;
mod payment_wallet;
mod props_api;
mod props_links;
mod props_registry;
mod props_scan;
mod scan_dataset;
mod scan_degrade;
mod scan_frames;
mod scan_scales;
mod shortcuts_flow;
mod shortcuts_policy;
mod status_monitor;
mod store_files;
mod store_journal;
mod store_replay;
mod supply_chain;
mod trust_keys;
mod trust_props;
mod trust_qr_size;
mod trust_vectors;
mod trust_verify;
mod wycheproof;

mod common;
mod net_support;
mod payment_support;
mod synth;
mod trust_support;
