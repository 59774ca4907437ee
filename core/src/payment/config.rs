//! The wallet's payment configuration: limits, offline policy, timings.

use serde::{Deserialize, Serialize};

use super::record::Timings;
use crate::auth::PinFreeLimits;
use crate::money::{Currency, Money};

/// Length of the "daily" limit window: a rolling 24 hours, so the limit does
/// not depend on the phone's time zone and cannot be reset by changing it.
pub const DAILY_WINDOW_SECS: u64 = 24 * 3600;

/// Spending limits in one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyLimits {
    /// The currency these limits apply to.
    pub currency: Currency,
    /// Largest total of one payment.
    pub per_payment: u64,
    /// Largest sum of payments in any rolling 24 hours (everything that is or
    /// may become money moved: not declined, reversed or cancelled).
    pub daily: u64,
    /// Largest total of one payment authorised offline.
    pub offline_per_payment: u64,
    /// Largest sum of payments queued offline at any time.
    pub offline_total: u64,
}

impl CurrencyLimits {
    /// The per-payment limit as money.
    pub fn per_payment_money(&self) -> Money {
        Money::new(self.per_payment, self.currency)
    }
}

/// Whether payments may be authorised while offline (Stripe Terminal-style
/// store-and-forward: the payment is signed with the PIN, journalled, and
/// forwarded in order when the network returns; the caps bound the risk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OfflinePolicy {
    /// Off by default: a payment started offline is refused.
    pub allowed: bool,
}

/// The wallet's payment configuration. The default pays in no currency (add
/// [`CurrencyLimits`]), refuses offline payments and unverified merchants, and
/// uses the default [`Timings`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WalletConfig {
    /// Limits per currency. A currency without an entry cannot be paid in:
    /// a limit nobody configured is not "unlimited".
    pub limits: Vec<CurrencyLimits>,
    /// Offline payments.
    pub offline: OfflinePolicy,
    /// Whether a merchant code that did not verify may be paid at all (after
    /// the UI shows the reason and the payer confirms). False by default:
    /// an unverified merchant is refused, with the reason.
    pub allow_unverified: bool,
    /// Query and reversal timings.
    pub timings: Timings,
    /// The pay code's limits (consumer-presented mode).
    #[serde(default)]
    pub paycode: PaycodeConfig,
    /// What the shortcuts may offer: biometric confirmation, and per
    /// currency the PIN-free caps and defaults (ADR 0022).
    #[serde(default)]
    pub shortcuts: ShortcutConfig,
}

/// PIN-free payments in one currency: the most a payer may choose, and what
/// the opt-in screen offers. Both carry the currency; they must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinFreeOffer {
    /// The highest limits a payer may set (each field separately).
    pub caps: PinFreeLimits,
    /// The limits offered by default; within `caps`.
    pub defaults: PinFreeLimits,
}

/// The shortcuts this wallet offers (ADR 0022). The figures and the
/// anchors they come from are in `docs/payments.md`, section 7.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortcutConfig {
    /// Whether biometric confirmation is offered at all.
    pub biometric: bool,
    /// Per currency, whether and up to what PIN-free payments are offered. A
    /// currency without an entry never goes PIN-free.
    pub pin_free: Vec<PinFreeOffer>,
}

impl Default for ShortcutConfig {
    /// Biometric confirmation offered; PIN-free in CNY, SGD, THB, USD and
    /// EUR with the caps and defaults of `docs/payments.md` section 7 (a
    /// one-factor confirmation held to the PBoC's class-C CNY 1,000 a day,
    /// the EU's €50 per contactless payment, at most 10 a day).
    fn default() -> Self {
        let l = |currency, per_payment, daily_total, daily_count| PinFreeLimits {
            currency,
            per_payment,
            daily_total,
            daily_count,
        };
        let offer = |currency, caps: (u64, u64, u32), defaults: (u64, u64, u32)| PinFreeOffer {
            caps: l(currency, caps.0, caps.1, caps.2),
            defaults: l(currency, defaults.0, defaults.1, defaults.2),
        };
        ShortcutConfig {
            biometric: true,
            pin_free: vec![
                offer(Currency::CNY, (50_000, 100_000, 10), (20_000, 50_000, 5)),
                offer(Currency::SGD, (5_000, 15_000, 10), (2_000, 6_000, 5)),
                offer(Currency::THB, (150_000, 500_000, 10), (50_000, 150_000, 5)),
                offer(Currency::USD, (5_000, 15_000, 10), (2_000, 6_000, 5)),
                offer(Currency::EUR, (5_000, 15_000, 10), (2_000, 6_000, 5)),
            ],
        }
    }
}

impl ShortcutConfig {
    /// The PIN-free offer for `currency`, if any.
    pub fn pin_free_for(&self, currency: Currency) -> Option<&PinFreeOffer> {
        self.pin_free.iter().find(|o| o.caps.currency == currency)
    }
}

/// The pay code's limits in one currency, in its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaycodeCurrencyLimits {
    /// The currency (the provisioned account's).
    pub currency: Currency,
    /// Largest charge a code authorises by itself; above it the charge waits
    /// for the PIN on the phone.
    pub no_pin_max: u64,
    /// Largest total that may be charged with codes issued since the last
    /// sync (the wallet counts the worst case: every code issued charged
    /// `no_pin_max`).
    pub offline_max_total: u64,
}

/// The wallet's own pay-code limits. The backend sends its own at
/// provisioning and with every sync; the stricter of each applies
/// (`effective` in the pay code's limits). A currency without an entry here
/// takes the backend's limits alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaycodeConfig {
    /// Limits per currency.
    pub limits: Vec<PaycodeCurrencyLimits>,
    /// Most codes issued since the last sync.
    pub offline_max_codes: u32,
}

impl Default for PaycodeConfig {
    /// SGD 30.00 without PIN and 300.00 since the last sync (the design's
    /// figures); THB 700.00 / 7,000.00, USD and EUR 20.00 / 200.00 (about the
    /// same money, rounded down); at most 10 codes since the last sync.
    fn default() -> Self {
        let l = |currency, no_pin_max, offline_max_total| PaycodeCurrencyLimits {
            currency,
            no_pin_max,
            offline_max_total,
        };
        PaycodeConfig {
            limits: vec![
                l(Currency::SGD, 3_000, 30_000),
                l(Currency::THB, 70_000, 700_000),
                l(Currency::USD, 2_000, 20_000),
                l(Currency::EUR, 2_000, 20_000),
            ],
            offline_max_codes: 10,
        }
    }
}

impl PaycodeConfig {
    /// The limits for `currency`, if configured.
    pub fn limits_for(&self, currency: Currency) -> Option<&PaycodeCurrencyLimits> {
        self.limits.iter().find(|l| l.currency == currency)
    }
}

impl WalletConfig {
    /// The limits for `currency`, if it may be paid in.
    pub fn limits_for(&self, currency: Currency) -> Option<&CurrencyLimits> {
        self.limits.iter().find(|l| l.currency == currency)
    }
}
