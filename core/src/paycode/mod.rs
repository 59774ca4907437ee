//! Consumer-presented mode: the pay code a wallet shows and a cashier scans
//! (issue 11, ADR 0014, `docs/paycode.md`).
//!
//! [`code`] is the construction (derive on the wallet, find on the issuer)
//! and the two textual forms; [`render`] turns a code into what a screen
//! draws (Code 128 bars, a QR module matrix).

// `code` and `render` stay public namespaces: they are the construction and
// the drawn forms an issuer (the sandbox), a till and the tests use, as
// `payload::mpm` is for the merchant code. The wallet side's files are
// private; what callers need is re-exported below (ADR 0021).
mod charge;
pub mod code;
mod limits;
pub mod render;
mod service;
mod session;
mod sync;

pub use charge::{
    AuthMethod, ChargeMerchant, ChargeOutcome, PaycodeCharge, PaycodeChargeInfo, PayerAnswer,
    PendingCharge,
};
pub use limits::OfflineLimit;
pub use service::{PaycodeBlock, PaycodeError, PaycodeService, PaycodeStatus, MAX_HISTORY};
pub use session::{PaycodeDisplay, PaycodeSession};
pub use sync::PaycodeBackend;
