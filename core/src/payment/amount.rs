//! Amount rules: the transaction amount, the tip and convenience fees of
//! EMVCo IDs 55/56/57, and the total the payer confirms.
//!
//! * 55 = "01": the wallet asks the payer for a tip ([`TipRule::Prompt`]); the
//!   tip is whatever the payer enters (zero allowed).
//! * 55 = "02" with 56: a fixed convenience fee, added as is.
//! * 55 = "03" with 57: a percentage convenience fee **of the transaction
//!   amount**, rounded **half up in minor units** and computed in integers
//!   only (see [`Money::percentage`]): 3.5 % of 10.01 USD is 35.035 cents →
//!   0.35 USD; 2.5 % of 1.00 USD is 2.5 cents → 0.03 USD.
//!
//! The total is `amount + tip + fee`, summed without overflow.

use thiserror::Error;

use super::record::AmountBreakdown;
use crate::money::{Money, MoneyError};
use crate::payload::mpm::TipRule;

/// Why an amount cannot be paid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    /// The amount text does not parse (see [`MoneyError`]).
    #[error("invalid amount: {0}")]
    Invalid(#[from] MoneyError),
    /// A zero amount is not a payment.
    #[error("the amount is zero")]
    Zero,
    /// A tip was given but the code does not ask for one (55 is not "01").
    #[error("this merchant code does not take a tip")]
    TipNotAllowed,
}

/// Computes the breakdown of a payment of `amount` under `tip_rule`, with the
/// payer's `tip` (only for [`TipRule::Prompt`]; `None` means no tip).
pub fn breakdown(
    amount: Money,
    tip_rule: Option<TipRule>,
    tip: Option<Money>,
) -> Result<AmountBreakdown, AmountError> {
    if amount.is_zero() {
        return Err(AmountError::Zero);
    }
    let currency = amount.currency;
    let zero = Money::zero(currency);
    let tip = match (tip_rule, tip) {
        (Some(TipRule::Prompt), Some(t)) => t,
        (_, Some(t)) if !t.is_zero() => return Err(AmountError::TipNotAllowed),
        _ => zero,
    };
    let fee = match tip_rule {
        Some(TipRule::FixedFee(f)) => f,
        Some(TipRule::PercentageFee(p)) => amount.percentage(p.basis_points())?,
        Some(TipRule::Prompt) | None => zero,
    };
    let total = Money::checked_sum(currency, [amount, tip, fee])?;
    Ok(AmountBreakdown {
        amount,
        tip,
        fee,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::payload::mpm::Percentage;

    fn usd(m: u64) -> Money {
        Money::new(m, Currency::USD)
    }

    #[test]
    fn rules() {
        let b = breakdown(usd(1000), None, None).unwrap();
        assert_eq!((b.tip, b.fee, b.total), (usd(0), usd(0), usd(1000)));
        let b = breakdown(usd(1000), Some(TipRule::Prompt), Some(usd(150))).unwrap();
        assert_eq!((b.tip, b.total), (usd(150), usd(1150)));
        let b = breakdown(usd(1000), Some(TipRule::FixedFee(usd(25))), None).unwrap();
        assert_eq!((b.fee, b.total), (usd(25), usd(1025)));
        let pct = Percentage::from_basis_points(350).unwrap();
        let b = breakdown(usd(1001), Some(TipRule::PercentageFee(pct)), None).unwrap();
        assert_eq!((b.fee, b.total), (usd(35), usd(1036)));
        let pct = Percentage::from_basis_points(250).unwrap();
        let b = breakdown(usd(100), Some(TipRule::PercentageFee(pct)), None).unwrap();
        assert_eq!(b.fee, usd(3));
        assert_eq!(breakdown(usd(0), None, None), Err(AmountError::Zero));
        assert_eq!(
            breakdown(usd(1), None, Some(usd(1))),
            Err(AmountError::TipNotAllowed)
        );
        assert_eq!(
            breakdown(usd(u64::MAX), Some(TipRule::FixedFee(usd(1))), None),
            Err(AmountError::Invalid(MoneyError::Overflow))
        );
        assert!(matches!(
            breakdown(
                usd(1),
                Some(TipRule::Prompt),
                Some(Money::new(1, Currency::EUR))
            ),
            Err(AmountError::Invalid(MoneyError::CurrencyMismatch { .. }))
        ));
    }
}
