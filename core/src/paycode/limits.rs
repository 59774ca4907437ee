//! The pay code's offline limits, as the wallet applies them.
//!
//! The backend enforces its limits on charges since the wallet's last events
//! call; the wallet cannot see charges while offline, so it bounds what it
//! can: the codes it *issued* since the last sync, each of which may be
//! charged up to `no_pin_max` without the phone. A new code is refused when
//!
//! ```text
//! issued ≥ offline_max_codes   or   (issued + 1) × no_pin_max > offline_max_total
//! ```
//!
//! with the limits being the stricter of the wallet's
//! [`PaycodeConfig`] and the backend's [`PaycodeLimits`], field by field.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::net::api::paycode::PaycodeLimits;
use crate::payment::PaycodeConfig;

/// Why no new code may be shown until the wallet syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OfflineLimit {
    /// `issued` codes since the last sync reached the most allowed, `max`.
    Codes {
        /// Codes issued since the last sync.
        issued: u32,
        /// The limit.
        max: u32,
    },
    /// One more code could take the worst-case total (`issued + 1` codes,
    /// each charged `no_pin_max`) over `max_total`.
    Total {
        /// Codes issued since the last sync.
        issued: u32,
        /// What each could be charged without the PIN.
        no_pin_max: Money,
        /// The limit on the total.
        max_total: Money,
    },
}

/// The stricter of the wallet's configuration and the backend's limits. The
/// backend's currency (its account's) decides which configured entry
/// applies; a currency the wallet did not configure takes the backend's
/// money limits alone. The count limit always takes the smaller.
pub fn effective(config: &PaycodeConfig, backend: &PaycodeLimits) -> PaycodeLimits {
    let currency = backend.no_pin_max.currency;
    let own = config.limits_for(currency);
    let min_money = |theirs: &Money, ours: Option<u64>| match ours {
        // A backend limit in another currency than its account's would be a
        // backend bug; comparing minor units across currencies is not done.
        Some(ours) if theirs.currency == currency => Money::new(theirs.minor.min(ours), currency),
        _ => *theirs,
    };
    PaycodeLimits {
        no_pin_max: min_money(&backend.no_pin_max, own.map(|l| l.no_pin_max)),
        offline_max_codes: backend.offline_max_codes.min(config.offline_max_codes),
        offline_max_total: min_money(&backend.offline_max_total, own.map(|l| l.offline_max_total)),
    }
}

/// Whether one more code may be issued after `issued` since the last sync.
pub fn check(limits: &PaycodeLimits, issued: u32) -> Result<(), OfflineLimit> {
    if issued >= limits.offline_max_codes {
        return Err(OfflineLimit::Codes {
            issued,
            max: limits.offline_max_codes,
        });
    }
    let worst = u128::from(issued)
        .saturating_add(1)
        .saturating_mul(u128::from(limits.no_pin_max.minor));
    if worst > u128::from(limits.offline_max_total.minor) {
        return Err(OfflineLimit::Total {
            issued,
            no_pin_max: limits.no_pin_max,
            max_total: limits.offline_max_total,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::payment::PaycodeCurrencyLimits;

    fn sgd(minor: u64) -> Money {
        Money::new(minor, Currency::SGD)
    }

    #[test]
    fn the_stricter_applies_field_by_field() {
        let backend = PaycodeLimits {
            no_pin_max: sgd(5_000),
            offline_max_codes: 5,
            offline_max_total: sgd(20_000),
        };
        let got = effective(&PaycodeConfig::default(), &backend);
        assert_eq!(got.no_pin_max, sgd(3_000));
        assert_eq!(got.offline_max_codes, 5);
        assert_eq!(got.offline_max_total, sgd(20_000));
        // No entry for the currency: the backend's alone.
        let none = PaycodeConfig {
            limits: vec![PaycodeCurrencyLimits {
                currency: Currency::THB,
                no_pin_max: 1,
                offline_max_total: 1,
            }],
            offline_max_codes: 99,
        };
        assert_eq!(effective(&none, &backend), backend);
    }

    #[test]
    fn counts_and_worst_case_total() {
        let l = PaycodeLimits {
            no_pin_max: sgd(3_000),
            offline_max_codes: 10,
            offline_max_total: sgd(10_000),
        };
        assert_eq!(check(&l, 0), Ok(()));
        assert_eq!(check(&l, 2), Ok(()));
        // A 4th code could make 4 × 30.00 = 120.00 > 100.00.
        assert_eq!(
            check(&l, 3),
            Err(OfflineLimit::Total {
                issued: 3,
                no_pin_max: sgd(3_000),
                max_total: sgd(10_000)
            })
        );
        let c = PaycodeLimits {
            offline_max_codes: 2,
            ..l
        };
        assert_eq!(check(&c, 2), Err(OfflineLimit::Codes { issued: 2, max: 2 }));
    }
}
