//! Organisations, enrolment codes, devices and request nonces: when an
//! organisation or a code is new, when a code still works, what revoking a
//! device does to its status, and which nonces a replay check remembers.

use std::time::Duration;

use karte_types::{DeviceId, PatientId, Timestamp};

use super::{Result, Rows};
use crate::{AuditHead, Device, DeviceStatus, HubStoreError, NewDevice, Org, OrgId};

pub(crate) async fn add_org(rows: &impl Rows, org: &Org) -> Result<()> {
    if rows.insert_org(org).await? {
        Ok(())
    } else {
        Err(HubStoreError::OrgExists(org.id.clone()))
    }
}

/// Records a one-time code for a known organisation, inside one write
/// transaction.
pub(crate) async fn create_enrolment(
    rows: &impl Rows,
    org: &OrgId,
    code_hash: [u8; 32],
    expires_at: Timestamp,
) -> Result<()> {
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    if !rows.insert_enrolment(code_hash, org, expires_at).await? {
        return Err(HubStoreError::EnrolmentExists);
    }
    Ok(())
}

/// Uses up a code and enrols the device into the code's organisation,
/// inside one write transaction that holds the code's row: of two devices
/// redeeming one code at once, the second finds it used. A code works
/// before `expires_at`, not at it.
pub(crate) async fn redeem_enrolment(
    rows: &impl Rows,
    code_hash: [u8; 32],
    device: &NewDevice,
    now: Timestamp,
) -> Result<Device> {
    let code = rows
        .enrolment_for_update(code_hash)
        .await?
        .ok_or(HubStoreError::EnrolmentUnknown)?;
    if code.used {
        return Err(HubStoreError::EnrolmentUsed);
    }
    if now >= code.expires_at {
        return Err(HubStoreError::EnrolmentExpired);
    }
    if !rows.insert_device(device, &code.org, now).await? {
        return Err(HubStoreError::DeviceExists(device.id.clone()));
    }
    rows.mark_enrolment_used(code_hash, &device.id, now).await?;
    Ok(Device {
        id: device.id.clone(),
        org: code.org,
        public_key: device.public_key.clone(),
        actor_prefix: device.actor_prefix,
        status: DeviceStatus::Active,
        enrolled_at: now,
        last_seen: None,
        audit_head: None,
        served_up_to: 0,
        handed_in_at: None,
    })
}

/// Revokes a device inside one write transaction that holds its row. A
/// device once reported lost stays lost: retiring it later does not let it
/// hand anything in.
pub(crate) async fn revoke(rows: &impl Rows, device: &DeviceId, lost: bool) -> Result<()> {
    let status = rows
        .device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?
        .status;
    let revoked = if lost || status == DeviceStatus::RevokedLost {
        DeviceStatus::RevokedLost
    } else {
        DeviceStatus::Revoked
    };
    rows.set_device_status(device, revoked).await
}

/// Ends a retired device's final contact when it pushed nothing, inside one
/// write transaction that holds its row: from now on it is refused. A
/// device that already made its final contact, or that is not retired, is
/// refused as revoked.
pub(crate) async fn hand_in(rows: &impl Rows, device: &DeviceId, now: Timestamp) -> Result<()> {
    let standing = rows
        .device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?;
    if standing.status != DeviceStatus::Revoked || super::hand_in_closed(standing.handed_in, now) {
        return Err(HubStoreError::DeviceRevoked(device.clone()));
    }
    if standing.handed_in.is_some() {
        return Ok(());
    }
    rows.mark_handed_in(device, now).await
}

pub(crate) async fn record_contact(
    rows: &impl Rows,
    device: &DeviceId,
    now: Timestamp,
    audit_head: Option<AuditHead>,
) -> Result<()> {
    if rows.note_contact(device, now, audit_head).await? {
        Ok(())
    } else {
        Err(HubStoreError::UnknownDevice(device.clone()))
    }
}

/// Replaces the list of charts a device keeps in quarantine.
pub(crate) async fn record_quarantine(
    rows: &impl Rows,
    device: &DeviceId,
    charts: &[(PatientId, String, Timestamp)],
    now: Timestamp,
) -> Result<()> {
    rows.clear_quarantine(device).await?;
    for (doc, reason, since) in charts {
        rows.insert_quarantine(device, doc, reason, *since, now)
            .await?;
    }
    Ok(())
}

/// Records a request nonce inside one write transaction; `false` if the
/// device used it within `window` before `now`. Older nonces are forgotten.
pub(crate) async fn check_and_record_nonce(
    rows: &impl Rows,
    device: &DeviceId,
    nonce: [u8; 16],
    now: Timestamp,
    window: Duration,
) -> Result<bool> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    rows.forget_nonces_before(Timestamp(now.0.saturating_sub(window_ms)))
        .await?;
    rows.insert_nonce(device, nonce, now).await
}
