//! The audit logs devices hand in: kept append-only per device, each entry
//! sealed under the device's organisation's data key (entries name
//! patients), and taken only when they extend the chain the hub holds.
//!
//! A device sends the entries after the last one the hub acknowledged,
//! starting from that entry's number and hash. The hub takes them when the
//! chain runs on from an entry it holds, each entry hashing its
//! predecessor, and every entry it holds already is the one it holds; the
//! new ones are appended. Entries sent again (an answer lost on the way)
//! store nothing and are no error. A chain that forks from the held one, or
//! a device whose reported head is shorter than the held log (its tail was
//! removed), is refused (`audit_chain_broken`), and nothing is stored.

use karte_types::{DeviceId, Timestamp};

use super::{Result, Rows};
use crate::at_rest::{Keyring, Place};
use crate::{AuditHead, AuditUploadIn, HeldAuditEntry, HubStoreError};

/// Where an entry lives: the device and its number. An entry never changes.
fn place(row: &str) -> Place<'_> {
    Place {
        table: "device_audit",
        row,
        version: 1,
    }
}

fn row(device: &DeviceId, seq: u64) -> String {
    format!("{device}/{seq}")
}

fn broken(device: &DeviceId, detail: String) -> HubStoreError {
    HubStoreError::AuditChainBroken {
        device: device.clone(),
        detail,
    }
}

/// Checks `upload` and `reported` (the head the device says its log has
/// now) against the log held for `device`; returns the held head and the
/// entries of `upload` to append.
pub(crate) async fn check<'u>(
    rows: &impl Rows,
    device: &DeviceId,
    upload: Option<&'u AuditUploadIn>,
    reported: Option<AuditHead>,
) -> Result<(AuditHead, Vec<&'u karte_store::AuditRecord>)> {
    let held = rows
        .audit_held_head(device)
        .await?
        .unwrap_or(AuditHead::EMPTY);
    let mut new = Vec::new();
    let mut end = held;
    if let Some(upload) = upload {
        let after = upload.after;
        if after.seq > held.seq {
            return Err(broken(
                device,
                format!(
                    "it sent entries after number {}, the hub holds {}",
                    after.seq, held.seq
                ),
            ));
        }
        let last = upload.entries.last().map_or(after.seq, |e| e.seq);
        let known = rows
            .audit_hashes(device, after.seq.max(1), last.min(held.seq))
            .await?;
        let held_hash = |seq: u64| -> Option<[u8; 32]> {
            if seq == 0 {
                return Some(AuditHead::EMPTY.hash);
            }
            known.iter().find(|(s, _)| *s == seq).map(|(_, h)| *h)
        };
        if held_hash(after.seq) != Some(after.hash) {
            return Err(broken(
                device,
                format!("entry {} is not the one the hub holds", after.seq),
            ));
        }
        let mut previous = after;
        for record in &upload.entries {
            let follows = record.seq == previous.seq + 1 && record.follows(&previous.hash);
            let own = record.entry().is_some_and(|entry| entry.device == *device);
            if !follows || !own {
                return Err(broken(
                    device,
                    format!(
                        "entry {} does not follow entry {}",
                        record.seq, previous.seq
                    ),
                ));
            }
            if record.seq <= held.seq {
                if held_hash(record.seq) != Some(record.hash) {
                    return Err(broken(
                        device,
                        format!("entry {} differs from the one the hub holds", record.seq),
                    ));
                }
            } else {
                new.push(record);
            }
            previous = AuditHead {
                seq: record.seq,
                hash: record.hash,
            };
        }
        if previous.seq > end.seq {
            end = previous;
        }
    }
    if let Some(reported) = reported {
        let before = rows.device(device).await?.and_then(|d| d.audit_head);
        for known in [Some(end), before].into_iter().flatten() {
            let shorter = reported.seq < known.seq;
            let other = reported.seq == known.seq && reported.hash != known.hash;
            if shorter || other {
                return Err(broken(
                    device,
                    format!(
                        "its log ends at entry {}, the hub knew it up to entry {}",
                        reported.seq, known.seq
                    ),
                ));
            }
        }
    }
    Ok((end, new))
}

/// Appends what `upload` adds to the log held for `device`, sealed, inside
/// one write transaction that holds the device's row; returns the held head.
pub(crate) async fn store(
    rows: &impl Rows,
    keys: &Keyring,
    device: &DeviceId,
    upload: &AuditUploadIn,
    reported: Option<AuditHead>,
    now: Timestamp,
) -> Result<AuditHead> {
    let org = rows
        .device_standing_for_update(device)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?
        .org;
    let (end, new) = check(rows, device, Some(upload), reported).await?;
    let last = new.last().map(|record| record.seq);
    for record in new {
        let row = row(device, record.seq);
        let sealed = keys.seal(rows, &org, &place(&row), &record.body).await?;
        // The device's signature covers the last entry it sent, and
        // through the chain every entry before.
        let signature = (Some(record.seq) == last).then_some(upload.signature.as_slice());
        rows.insert_audit_entry(device, record.seq, &record.hash, &sealed, signature, now)
            .await?;
    }
    Ok(end)
}

/// The log held for `device`, oldest first, each entry opened.
pub(crate) async fn entries(
    rows: &impl Rows,
    keys: &Keyring,
    device: &DeviceId,
) -> Result<Vec<HeldAuditEntry>> {
    let mut out = Vec::new();
    for stored in rows.audit_entries(device).await? {
        let row = row(device, stored.seq);
        let body = keys.open(rows, &place(&row), stored.sealed).await?;
        out.push(HeldAuditEntry {
            record: karte_store::AuditRecord {
                seq: stored.seq,
                hash: stored.hash,
                body,
            },
            signature: stored.signature,
            received_at: stored.received_at,
        });
    }
    Ok(out)
}
