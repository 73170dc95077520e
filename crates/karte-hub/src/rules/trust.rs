//! Trust without a hub, the hub's part: each organisation's signing key
//! signs a membership cert for every device it enrols (and renews it at a
//! sync), and a revocation list of the devices it revoked, which devices
//! carry to one another. Only a hub serving with its master key signs: the
//! key's seed is stored wrapped by it.
//!
//! The list is worked out from the devices' statuses, and signed anew (its
//! sequence one higher) only when the set of revoked devices changed; so
//! `karte-hub device revoke`, which runs without the master key, needs no
//! signing of its own: the next answer to any device of the organisation
//! carries the new list. Whether it changed is known from two counts read
//! in a read transaction ([`held_trust`]): a device's status only ever
//! moves from active to revoked to revoked-lost, and devices are never
//! removed nor moved to another organisation, so the held list is current
//! exactly when it names as many revoked and as many lost devices as the
//! organisation has. Only a stale list opens a write transaction and
//! unwraps the signing key.

use karte_sync::trust::{
    CertFields, DeviceRole, ORG_CERT_LIFETIME_MS, Principal, Revoked, SignedCert,
    SignedRevocationList,
};
use karte_types::{DeviceId, Timestamp};

use super::{Result, Rows};
use crate::at_rest::Keyring;
use crate::{DeviceStatus, HubStoreError, OrgId};

/// The issuer name a list of `org` is stored under.
fn issuer(org: &OrgId) -> String {
    format!("org:{org}")
}

/// `org`'s signing public key (the held list's issuer) and its held
/// revocation list, if that list is current; `None` if none is held or
/// revocations since call for a new one ([`org_trust`]). Reads only.
pub(crate) async fn held_trust(
    rows: &impl Rows,
    org: &OrgId,
) -> Result<Option<([u8; 32], SignedRevocationList)>> {
    let Some((_, signed)) = rows.revocation_list(&issuer(org)).await? else {
        return Ok(None);
    };
    let signed = SignedRevocationList::from_bytes(&signed)
        .map_err(|_| HubStoreError::corrupt("a stored revocation list"))?;
    let list = signed
        .open()
        .map_err(|_| HubStoreError::corrupt("a stored revocation list"))?;
    let (revoked, lost) = rows.revoked_counts(org).await?;
    let listed_lost = list.revoked.iter().filter(|r| r.lost).count() as u64;
    if list.revoked.len() as u64 != revoked || listed_lost != lost {
        return Ok(None);
    }
    Ok(Some((list.issuer_key, signed)))
}

/// `org`'s signing public key and its current revocation list, signed anew
/// if the revoked devices changed since the list held, inside one write
/// transaction.
pub(crate) async fn org_trust(
    rows: &impl Rows,
    keys: &Keyring,
    org: &OrgId,
    now: Timestamp,
) -> Result<([u8; 32], SignedRevocationList)> {
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    let key = keys.signing_key(rows, org, now).await?;
    let held = match rows.revocation_list(&issuer(org)).await? {
        Some((_, signed)) => {
            let signed = SignedRevocationList::from_bytes(&signed)
                .map_err(|_| HubStoreError::corrupt("a stored revocation list"))?;
            let list = signed
                .open()
                .map_err(|_| HubStoreError::corrupt("a stored revocation list"))?;
            Some((list, signed))
        }
        None => None,
    };
    let mut revoked: Vec<Revoked> = rows
        .devices(org)
        .await?
        .into_iter()
        .filter(|device| device.status != DeviceStatus::Active)
        .map(|device| {
            let since_ms = held
                .as_ref()
                .and_then(|(list, _)| list.revoked.iter().find(|r| r.device == device.id))
                .map_or(now.0, |earlier| earlier.since_ms);
            Revoked {
                lost: device.status == DeviceStatus::RevokedLost,
                device: device.id,
                since_ms,
            }
        })
        .collect();
    revoked.sort_by(|a, b| a.device.cmp(&b.device));
    if let Some((list, signed)) = &held
        && list.issuer_key == key.public_key()
        && list.revoked == revoked
    {
        return Ok((key.public_key(), signed.clone()));
    }
    let sequence = held.as_ref().map_or(1, |(list, _)| list.sequence + 1);
    let signed = key.sign_list(sequence, now.0, revoked);
    let bytes = signed.to_bytes();
    if !rows
        .put_revocation_list(&issuer(org), sequence, &bytes)
        .await?
    {
        // Another hub process signed this sequence first: its list is the
        // same set of devices, give that one.
        let (_, stored) = rows
            .revocation_list(&issuer(org))
            .await?
            .ok_or_else(|| HubStoreError::corrupt("a revocation list that vanished"))?;
        let stored = SignedRevocationList::from_bytes(&stored)
            .map_err(|_| HubStoreError::corrupt("a stored revocation list"))?;
        return Ok((key.public_key(), stored));
    }
    Ok((key.public_key(), signed))
}

/// Signs a membership cert for an active `device`, naming `bundle_key`,
/// valid for a year from `now`, with its organisation's next serial,
/// inside one write transaction.
pub(crate) async fn issue_cert(
    rows: &impl Rows,
    keys: &Keyring,
    device: &DeviceId,
    bundle_key: &[u8; 32],
    now: Timestamp,
) -> Result<SignedCert> {
    let standing = rows
        .device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?;
    if standing.status != DeviceStatus::Active {
        return Err(HubStoreError::DeviceRevoked(device.clone()));
    }
    let signing_key: [u8; 32] = standing.public_key.as_slice().try_into().map_err(|_| {
        HubStoreError::corrupt(format!(
            "device {device} has a public key of the wrong length"
        ))
    })?;
    let key = keys.signing_key(rows, &standing.org, now).await?;
    debug_assert_eq!(key.issuer(), &Principal::Org(standing.org.0.clone()));
    let serial = rows.max_cert_serial(&standing.org).await? + 1;
    let cert = key.sign_cert(CertFields {
        serial,
        device: device.clone(),
        role: DeviceRole::Member,
        signing_key,
        bundle_key: *bundle_key,
        not_before_ms: now.0,
        not_after_ms: now.0.saturating_add(ORG_CERT_LIFETIME_MS),
    });
    rows.set_device_cert(device, bundle_key, serial, &cert.to_bytes())
        .await?;
    Ok(cert)
}

/// The latest certs of `org`'s active devices with a serial above `after`.
pub(crate) async fn member_certs(
    rows: &impl Rows,
    org: &OrgId,
    after: u64,
) -> Result<Vec<SignedCert>> {
    rows.member_certs(org, after)
        .await?
        .iter()
        .map(|bytes| {
            SignedCert::from_bytes(bytes).map_err(|_| HubStoreError::corrupt("a stored cert"))
        })
        .collect()
}
