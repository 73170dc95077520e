//! Storing a push: which device may push for which organisation, which
//! charts it may write to, which changes are new and get feed positions,
//! and the receipt every push leaves in the receive log.

use karte_types::{DeviceId, PatientId, Timestamp};

use super::{Result, Rows, Standing, payload};
use crate::at_rest::Keyring;
use crate::feed::Positions;
use crate::{
    CircleEvent, DeviceStatus, DocOutcome, HubStoreError, OrgId, PushOutcome, PushedDoc, Receipt,
    StoredChange,
};

/// Writes a whole push inside the caller's feed-writing transaction, taking
/// feed positions from `positions`. Any error leaves the transaction to be
/// rolled back: a push is stored whole or not at all.
pub(crate) async fn write_push(
    rows: &impl Rows,
    keys: &Keyring,
    positions: &mut Positions,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome> {
    let standing = pushing_standing(rows, device, now).await?;
    if standing.status == DeviceStatus::Revoked && standing.handed_in.is_none() {
        // A retired device's first push opens its final contact.
        rows.mark_handed_in(device, now).await?;
    }
    let mut outcome = PushOutcome {
        docs: Vec::with_capacity(batch.len()),
        last_position: None,
    };
    let mut receipt = Receipt {
        device: device.clone(),
        received_at: now,
        docs: Vec::new(),
        changes: 0,
        stored: 0,
        bytes: 0,
    };
    for pushed in batch {
        let (created, owner) = admit_doc(rows, pushed, &standing, now).await?;
        let hashes: Vec<[u8; 32]> = pushed.changes.iter().map(|c| c.hash).collect();
        // Under the feed-writing lock no other writer inserts changes, so
        // what is not stored now is new (and a chart created just now holds
        // none); a hash repeated within the push counts once.
        let mut seen = match created {
            true => Default::default(),
            false => rows.stored_hashes(&pushed.doc, &hashes).await?,
        };
        let mut new = Vec::new();
        for change in &pushed.changes {
            if seen.insert(change.hash) {
                let sealed = seal_change(rows, keys, &owner, &pushed.doc, change).await?;
                new.push((positions.take(), sealed));
            }
        }
        if let Some(&(last, _)) = new.last() {
            let new: Vec<_> = new
                .iter()
                .map(|(position, change)| (*position, change))
                .collect();
            rows.insert_changes(&pushed.doc, device, now, &new).await?;
            outcome.last_position = Some(last);
        }
        receipt.changes += pushed.changes.len() as u64;
        receipt.stored += new.len() as u64;
        receipt.bytes += pushed
            .changes
            .iter()
            .map(|c| c.bytes.len() as u64)
            .sum::<u64>();
        if !receipt.docs.contains(&pushed.doc) {
            receipt.docs.push(pushed.doc.clone());
        }
        outcome.docs.push(DocOutcome {
            doc: pushed.doc.clone(),
            created,
            skipped: pushed.changes.len() - new.len(),
            stored: new.iter().map(|(_, change)| change.hash).collect(),
        });
    }
    rows.note_contact(device, now, None).await?;
    rows.insert_receipt(&receipt).await?;
    Ok(outcome)
}

/// What decides the push: the pushing device's standing. A retired device
/// may hand in what it holds once, in the request that is its final
/// contact; a lost one may not.
async fn pushing_standing(rows: &impl Rows, device: &DeviceId, now: Timestamp) -> Result<Standing> {
    let standing = rows
        .device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?;
    match standing.status {
        DeviceStatus::Active => Ok(standing),
        DeviceStatus::Revoked if !super::hand_in_closed(standing.handed_in, now) => Ok(standing),
        DeviceStatus::Revoked | DeviceStatus::RevokedLost => {
            Err(HubStoreError::DeviceRevoked(device.clone()))
        }
    }
}

/// A change as stored: its bytes sealed under the chart owner's data key,
/// bound to the chart and the change's hash.
async fn seal_change(
    rows: &impl Rows,
    keys: &Keyring,
    owner: &OrgId,
    doc: &PatientId,
    change: &StoredChange,
) -> Result<StoredChange> {
    let row = payload::change_row(doc, &change.hash);
    Ok(StoredChange {
        hash: change.hash,
        bytes: keys
            .seal(rows, owner, &payload::change_place(&row), &change.bytes)
            .await?,
        signature: change.signature.clone(),
        author: change.author.clone(),
    })
}

/// Lets the device's organisation write to the pushed chart: creates an
/// unknown chart owned by it (returning `true`), accepts a chart in its care
/// circle, and refuses others, except, for a device not retired, a chart
/// unshared from the organisation after the last feed position the hub
/// answered the device with: the device wrote before it could have been
/// told, and what it wrote is kept. What the device says its cursor is
/// counts for nothing here. Also returns the chart's owner, under whose
/// data key it is sealed.
async fn admit_doc(
    rows: &impl Rows,
    pushed: &PushedDoc,
    standing: &Standing,
    now: Timestamp,
) -> Result<(bool, OrgId)> {
    let (doc, org) = (&pushed.doc, &standing.org);
    if rows.insert_doc(doc, org, now).await? {
        rows.add_member(doc, org).await?;
        return Ok((true, org.clone()));
    }
    let (owner, _) = rows
        .doc_row(doc)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDoc(doc.clone()))?;
    if rows.is_member(doc, org).await? {
        return Ok((false, owner));
    }
    let told_too_late = standing.status == DeviceStatus::Active
        && rows
            .circle_event_after(doc, org, CircleEvent::Unshared, standing.served_up_to)
            .await?;
    if told_too_late {
        Ok((false, owner))
    } else {
        Err(HubStoreError::OutsideCircle {
            doc: doc.clone(),
            org: org.clone(),
        })
    }
}
