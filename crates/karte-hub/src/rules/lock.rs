//! Lost devices: an organisation's lock policy and the one-time unlock
//! codes of its devices. A device learns the policy and the salted slow
//! hashes of its codes in every sync answer; the codes themselves stay on
//! the hub, sealed under the organisation's data key, and an administrator
//! is given one at a time (`karte-hub device unlock-code`), each once.

use karte_types::{DeviceId, Timestamp};

use super::{Result, Rows};
use crate::at_rest::{Keyring, Place};
use crate::{HubStoreError, NewUnlockCode, OrgId};

/// Where a device's code lives. A code never changes.
fn place(row: &str) -> Place<'_> {
    Place {
        table: "unlock_codes",
        row,
        version: 1,
    }
}

fn row(device: &DeviceId, number: u32) -> String {
    format!("{device}/{number}")
}

/// Sets or removes `org`'s lock policy, inside one write transaction.
pub(crate) async fn set_policy(
    rows: &impl Rows,
    org: &OrgId,
    lock_after_days: Option<u32>,
) -> Result<()> {
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    rows.set_lock_policy(org, lock_after_days).await
}

/// Stores new codes for `device`, numbered after its last, each sealed
/// under its organisation's data key, inside one write transaction.
pub(crate) async fn add_codes(
    rows: &impl Rows,
    keys: &Keyring,
    device: &DeviceId,
    codes: &[NewUnlockCode],
    now: Timestamp,
) -> Result<()> {
    let org = rows
        .device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?
        .org;
    let last = rows
        .unlock_codes(device)
        .await?
        .iter()
        .map(|code| code.number)
        .max()
        .unwrap_or(0);
    for (number, code) in (last + 1..).zip(codes) {
        let row = row(device, number);
        let sealed = keys
            .seal(rows, &org, &place(&row), code.code.as_bytes())
            .await?;
        rows.insert_unlock_code(device, number, &sealed, &code.salt, &code.hash, now)
            .await?;
    }
    Ok(())
}

/// Gives out the lowest-numbered code of `device` not given before, and
/// marks it given, inside one write transaction that holds the device's
/// row: two administrators asking at once get two codes.
pub(crate) async fn issue_code(
    rows: &impl Rows,
    keys: &Keyring,
    device: &DeviceId,
    now: Timestamp,
) -> Result<(u32, String)> {
    rows.device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?;
    let number = rows
        .unlock_codes(device)
        .await?
        .iter()
        .filter(|code| code.issued_at.is_none())
        .map(|code| code.number)
        .min()
        .ok_or_else(|| HubStoreError::NoUnlockCode(device.clone()))?;
    let sealed = rows
        .unlock_code_sealed(device, number)
        .await?
        .ok_or_else(|| HubStoreError::NoUnlockCode(device.clone()))?;
    let row = row(device, number);
    let code = keys.open(rows, &place(&row), sealed).await?;
    let code = String::from_utf8(code)
        .map_err(|_| HubStoreError::corrupt(format!("unlock code {row}")))?;
    rows.mark_unlock_code_issued(device, number, now).await?;
    Ok((number, code))
}
