//! The chart payloads as stored: changes, cached snapshots and their
//! arrivals (which hold a chart's digest: names, kana, birth date) are
//! sealed under the owning organisation's data key (`crate::at_rest`) on
//! the way in and opened on the way out, each bound to its row.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use karte_types::PatientId;

use super::{Result, Rows, SnapshotRow};
use crate::at_rest::{Keyring, Place};
use crate::{Arrival, FeedChange, FeedEntry, HubStoreError, OrgId, Snapshot};

/// The row of a change: its chart and its hash.
pub(crate) fn change_row(doc: &PatientId, hash: &[u8; 32]) -> String {
    format!("{doc}/{}", hex::encode(hash))
}

/// Where a change's bytes live. A change never changes: version 1.
pub(crate) fn change_place(row: &str) -> Place<'_> {
    Place {
        table: "changes",
        row,
        version: 1,
    }
}

fn snapshot_place(doc: &PatientId, up_to: u64) -> Place<'_> {
    Place {
        table: "snapshots",
        row: doc.as_str(),
        version: up_to,
    }
}

fn arrival_place(doc: &PatientId, up_to: u64) -> Place<'_> {
    Place {
        table: "snapshots.arrival",
        row: doc.as_str(),
        version: up_to,
    }
}

/// Opens a change read from the feed.
pub(crate) async fn open_change(
    rows: &impl Rows,
    keys: &Keyring,
    change: &mut FeedChange,
) -> Result<()> {
    let row = change_row(&change.doc, &change.hash);
    change.bytes = keys
        .open(rows, &change_place(&row), std::mem::take(&mut change.bytes))
        .await?;
    Ok(())
}

/// Opens the changes among feed entries.
pub(crate) async fn open_entries(
    rows: &impl Rows,
    keys: &Keyring,
    entries: &mut [FeedEntry],
) -> Result<()> {
    for entry in entries {
        if let FeedEntry::Change(change) = entry {
            open_change(rows, keys, change).await?;
        }
    }
    Ok(())
}

/// The changes of `doc` after position `after`, opened.
pub(crate) async fn doc_changes(
    rows: &impl Rows,
    keys: &Keyring,
    doc: &PatientId,
    after: u64,
) -> Result<Vec<FeedChange>> {
    let mut changes = rows.doc_changes(doc, after).await?;
    for change in &mut changes {
        open_change(rows, keys, change).await?;
    }
    Ok(changes)
}

/// The cached snapshot of `doc`, opened. An arrival that does not read is
/// left out, to be worked out again: it is a cache.
pub(crate) async fn snapshot(
    rows: &impl Rows,
    keys: &Keyring,
    doc: &PatientId,
) -> Result<Option<Snapshot>> {
    let Some(row) = rows.snapshot(doc).await? else {
        return Ok(None);
    };
    let bytes = keys
        .open(rows, &snapshot_place(doc, row.up_to), row.bytes)
        .await?;
    let arrival = match row.arrival.map(|text| BASE64.decode(text)) {
        Some(Ok(sealed)) => {
            let json = keys
                .open(rows, &arrival_place(doc, row.up_to), sealed)
                .await?;
            serde_json::from_slice(&json).ok()
        }
        Some(Err(_)) | None => None,
    };
    Ok(Some(Snapshot {
        bytes,
        up_to: row.up_to,
        arrival,
    }))
}

/// Caches a snapshot of a chart the hub knows, sealed under its owner's key.
pub(crate) async fn put_snapshot(
    rows: &impl Rows,
    keys: &Keyring,
    doc: &PatientId,
    snapshot: &Snapshot,
) -> Result<()> {
    let owner = owner(rows, doc).await?;
    let row = SnapshotRow {
        bytes: keys
            .seal(
                rows,
                &owner,
                &snapshot_place(doc, snapshot.up_to),
                &snapshot.bytes,
            )
            .await?,
        up_to: snapshot.up_to,
        arrival: match &snapshot.arrival {
            Some(arrival) => {
                Some(seal_arrival(rows, keys, &owner, doc, snapshot.up_to, arrival).await?)
            }
            None => None,
        },
    };
    rows.write_snapshot(doc, &row).await
}

/// Records the arrival of the cached snapshot of `up_to`.
pub(crate) async fn put_arrival(
    rows: &impl Rows,
    keys: &Keyring,
    doc: &PatientId,
    up_to: u64,
    arrival: &Arrival,
) -> Result<()> {
    let owner = owner(rows, doc).await?;
    let text = seal_arrival(rows, keys, &owner, doc, up_to, arrival).await?;
    rows.write_arrival(doc, up_to, &text).await
}

async fn seal_arrival(
    rows: &impl Rows,
    keys: &Keyring,
    owner: &OrgId,
    doc: &PatientId,
    up_to: u64,
    arrival: &Arrival,
) -> Result<String> {
    let json = serde_json::to_vec(arrival).expect("an arrival serialises");
    let sealed = keys
        .seal(rows, owner, &arrival_place(doc, up_to), &json)
        .await?;
    Ok(BASE64.encode(sealed))
}

async fn owner(rows: &impl Rows, doc: &PatientId) -> Result<OrgId> {
    let (owner, _) = rows
        .doc_row(doc)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDoc(doc.clone()))?;
    Ok(owner)
}
