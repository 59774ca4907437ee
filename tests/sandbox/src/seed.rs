//! The data a new sandbox starts with: merchants, their keys, and the
//! enrolment codes that open funded wallet accounts.
//!
//! The seed is applied once, when the database is created; afterwards the
//! database is the truth (a restart never re-seeds). Key material is
//! generated at seeding time, so each data directory has its own keys.

use std::collections::BTreeMap;

use scanpay_core::money::{Currency, Money};
use scanpay_core::trust::registry::RegisteredAccount;

/// One merchant to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedMerchant {
    /// The acquirer's merchant id.
    pub merchant_id: String,
    /// Registered name (EMVCo 59, at most 25 characters).
    pub name: String,
    /// Registered city (EMVCo 60, at most 15 characters).
    pub city: String,
    /// Country code (EMVCo 58).
    pub country: String,
    /// Merchant category code (EMVCo 52).
    pub mcc: String,
    /// The currency it is paid in.
    pub currency: Currency,
    /// Which EMVCo data object carries the account (26–51 for a template).
    pub account_id: u8,
    /// The registered account.
    pub account: RegisteredAccount,
    /// Whether the backend refuses payments to it (the registry still lists it:
    /// blocking is the backend's decision, not a trust verdict).
    pub blocked: bool,
    /// Its keys: `(key_id, revoked)`. The first unrevoked key is its active key.
    pub keys: Vec<(String, bool)>,
}

/// An enrolment code and the account it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolmentPlan {
    /// The code a device enrols with.
    pub code: &'static str,
    /// The balance the new account is funded with.
    pub opening_balance: Money,
    /// Largest single payment.
    pub per_payment_limit: Money,
    /// Most paid in any 24 hours (sandbox clock).
    pub daily_limit: Money,
}

/// The whole seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// The registry's id.
    pub registry_id: String,
    /// Merchants with their keys.
    pub merchants: Vec<SeedMerchant>,
}

fn template(guid: &str, fields: &[(&str, &str)]) -> RegisteredAccount {
    RegisteredAccount::Template {
        guid: guid.to_string(),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Singapore dollars (every seeded currency is in the core's ISO 4217 table).
fn sgd() -> Option<Currency> {
    Currency::from_code("SGD")
}

fn thb() -> Option<Currency> {
    Currency::from_code("THB")
}

/// The enrolment codes every sandbox accepts. Codes are reusable: each use
/// opens a new account (QA enrols many devices with one code).
pub fn enrolment_plans() -> Vec<EnrolmentPlan> {
    let mut plans = Vec::new();
    if let Some(sgd) = sgd() {
        plans.push(EnrolmentPlan {
            code: "SANDBOX",
            opening_balance: Money::new(50_000, sgd),
            per_payment_limit: Money::new(30_000, sgd),
            daily_limit: Money::new(40_000, sgd),
        });
        plans.push(EnrolmentPlan {
            code: "SANDBOX-LOW",
            opening_balance: Money::new(500, sgd),
            per_payment_limit: Money::new(30_000, sgd),
            daily_limit: Money::new(40_000, sgd),
        });
    }
    if let Some(thb) = thb() {
        plans.push(EnrolmentPlan {
            code: "SANDBOX-THB",
            opening_balance: Money::new(50_000, thb),
            per_payment_limit: Money::new(30_000, thb),
            daily_limit: Money::new(40_000, thb),
        });
    }
    plans
}

/// The plan for `code`, if any.
pub fn plan(code: &str) -> Option<EnrolmentPlan> {
    enrolment_plans().into_iter().find(|p| p.code == code)
}

impl Seed {
    /// The standard seed (documented in `docs/sandbox.md`).
    pub fn standard() -> Seed {
        let mut merchants = Vec::new();
        if let Some(sgd) = sgd() {
            let paynow =
                |uen: &str| template("SG.PAYNOW", &[("01", "2"), ("02", uen), ("03", "0")]);
            merchants.push(SeedMerchant {
                merchant_id: "M-0001".into(),
                name: "KOPI CORNER".into(),
                city: "SINGAPORE".into(),
                country: "SG".into(),
                mcc: "5814".into(),
                currency: sgd,
                account_id: 26,
                account: paynow("201912345K"),
                blocked: false,
                keys: vec![("kopi-2".into(), false), ("kopi-1".into(), true)],
            });
            merchants.push(SeedMerchant {
                merchant_id: "M-0002".into(),
                name: "LAKSA HOUSE".into(),
                city: "SINGAPORE".into(),
                country: "SG".into(),
                mcc: "5812".into(),
                currency: sgd,
                account_id: 26,
                account: paynow("202054321M"),
                blocked: false,
                keys: vec![("laksa-1".into(), false)],
            });
            merchants.push(SeedMerchant {
                merchant_id: "M-0004".into(),
                name: "NIGHT OWL TRADING".into(),
                city: "SINGAPORE".into(),
                country: "SG".into(),
                mcc: "5999".into(),
                currency: sgd,
                account_id: 26,
                account: paynow("201700001Z"),
                blocked: true,
                keys: vec![("owl-1".into(), false)],
            });
        }
        if let Some(thb) = thb() {
            merchants.push(SeedMerchant {
                merchant_id: "M-0003".into(),
                name: "SIAM NOODLE BAR".into(),
                city: "BANGKOK".into(),
                country: "TH".into(),
                mcc: "5814".into(),
                currency: thb,
                account_id: 29,
                account: template("A000000677010111", &[("01", "0066812345678")]),
                blocked: false,
                keys: vec![("siam-1".into(), false)],
            });
        }
        Seed {
            registry_id: "scanpay-sandbox".into(),
            merchants,
        }
    }
}

impl Default for Seed {
    fn default() -> Seed {
        Seed::standard()
    }
}
