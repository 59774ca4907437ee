//! Consumer-presented mode: the pay code a wallet shows and a cashier scans
//! (issue 11, ADR 0014, `docs/paycode.md`).
//!
//! [`code`] is the construction (derive on the wallet, find on the issuer)
//! and the two textual forms; [`render`] turns a code into what a screen
//! draws (Code 128 bars, a QR module matrix).

pub mod charge;
pub mod code;
pub mod limits;
pub mod render;
pub mod service;
pub mod session;
pub mod sync;

pub use charge::{
    AuthMethod, ChargeMerchant, ChargeOutcome, PaycodeCharge, PaycodeChargeInfo, PayerAnswer,
    PendingCharge,
};
pub use limits::OfflineLimit;
pub use service::{PaycodeBlock, PaycodeError, PaycodeService, PaycodeStatus};
pub use session::{PaycodeDisplay, PaycodeSession};
pub use sync::PaycodeBackend;
