//! The wallet's side of the pay-code wire: the [`PaycodeBackend`] trait
//! (implemented over HTTPS by [`crate::net::HttpsBackend`]), and
//! how one events answer is journalled.
//!
//! ## Never lost, never doubled
//!
//! The cursor of the event feed is not a separate value that could drift
//! from what was stored: it is the highest `seq` stored for this device key
//! (`paycode_events`). One events answer is applied in one transaction: each
//! event is inserted by `(device key, seq)` — an event already there (a
//! re-fetch after a crash between receiving and committing, or a second
//! wallet object syncing at the same time) is skipped, not applied again —
//! then its charge is updated, the counter floor raised, the limits and the
//! sync mark recorded. A crash before the commit loses nothing: the cursor
//! did not move, so the next sync asks for the same events again.

use crate::net::api::paycode::{
    ChargeEvent, ConfirmRequest, EventsResponse, ProvisionRequest, ProvisionResponse,
};
use crate::payment::BackendError;
use crate::store::{PaycodeChargeRow, PaycodeTx, StoreError};

use super::charge::{PaycodeCharge, PayerAnswer};

/// The pay-code calls the wallet makes. Every method blocks (up to the
/// transport's timeouts, plus `wait_secs` for events): never on a UI thread.
pub trait PaycodeBackend: Send + Sync {
    /// `POST /v1/paycode/provision`.
    fn provision(&self, req: &ProvisionRequest) -> Result<ProvisionResponse, BackendError>;
    /// `GET /v1/paycode/events?after=…&wait=…` (long-poll when `wait_secs > 0`).
    fn events(&self, after: u64, wait_secs: u64) -> Result<EventsResponse, BackendError>;
    /// `POST /v1/paycode/charges/{charge_id}/confirm`: the event it wrote.
    fn confirm(&self, charge_id: &str, req: &ConfirmRequest) -> Result<ChargeEvent, BackendError>;
    /// `POST /v1/paycode/charges/{charge_id}/decline`: the event it wrote.
    fn decline(&self, charge_id: &str) -> Result<ChargeEvent, BackendError>;
}

/// Applies one event inside `tx` if it is new. Returns the charge as it now
/// stands when the event was applied, `None` when it was already stored.
pub(crate) fn apply_event(
    tx: &PaycodeTx<'_>,
    device_public_key: &[u8],
    event: &ChargeEvent,
    now: u64,
) -> Result<Option<PaycodeCharge>, StoreError> {
    let json = serde_json::to_string(event).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    if !tx.insert_event(
        device_public_key,
        event.seq,
        &event.charge_id,
        event.state.code(),
        &json,
        now,
    )? {
        return Ok(None);
    }
    let (charge, created_at) = match tx.charge(&event.charge_id)? {
        Some(row) => {
            let mut c = PaycodeCharge::from_json(&row.record)?;
            c.apply(event);
            (c, row.created_at)
        }
        None => (PaycodeCharge::from_event(event), now),
    };
    tx.save_charge(&PaycodeChargeRow {
        charge_id: charge.charge_id.clone(),
        state: charge.state.code().to_string(),
        record: charge.to_json()?,
        created_at,
        updated_at: now,
    })?;
    // The counter floor is not raised from the event: it may be a charge of
    // an earlier secret (before a re-provisioning). The answer's own
    // `counter_next`, recorded with these events, is the current secret's.
    Ok(Some(charge))
}

/// Records, inside `tx`, the payer's answer to `charge_id` (journalled
/// before it is sent).
pub(crate) fn record_confirmation(
    tx: &PaycodeTx<'_>,
    charge_id: &str,
    answer: PayerAnswer,
    now: u64,
) -> Result<Option<PaycodeCharge>, StoreError> {
    let Some(row) = tx.charge(charge_id)? else {
        return Ok(None);
    };
    let mut charge = PaycodeCharge::from_json(&row.record)?;
    charge.payer_answer = Some(answer);
    charge.payer_answered_at = Some(now);
    tx.save_charge(&PaycodeChargeRow {
        record: charge.to_json()?,
        updated_at: now,
        ..row
    })?;
    Ok(Some(charge))
}
