//! Writing the feed in SQLite: pushes, shares and unshares, each one
//! `BEGIN IMMEDIATE` transaction that allocates its feed positions after
//! taking the write lock and commits before releasing it.

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::read::feed_head;
use crate::columns::{docs_to_text, position_to_sql};
use crate::feed::Positions;
use crate::{
    CircleEvent, DeviceStatus, DocOutcome, HubStoreError, OrgId, PushOutcome, PushedDoc,
    StoreConfig,
};

pub(super) fn store_push(
    conn: &mut Connection,
    config: &StoreConfig,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome, HubStoreError> {
    #[cfg(feature = "test-hooks")]
    if config.naive_feed {
        return naive_store_push(conn, config, device, batch, now);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut positions = Positions::after(feed_head(&tx)?);
    let outcome = write_push(&tx, device, batch, now, &mut positions)?;
    pause(config, positions.allocated());
    tx.commit()?;
    Ok(outcome)
}

/// The test hook's wait between allocating positions and committing.
fn pause(config: &StoreConfig, allocated: &[u64]) {
    if let Some(delay) = config.delay_before_commit(allocated) {
        std::thread::sleep(delay);
    }
}

fn write_push(
    tx: &Transaction<'_>,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
    positions: &mut Positions,
) -> Result<PushOutcome, HubStoreError> {
    let org = pushing_org(tx, device)?;
    let mut insert_change = tx.prepare_cached(
        "INSERT INTO changes (doc, hash, bytes, signer, signature, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    )?;
    let mut insert_feed = tx.prepare_cached(
        "INSERT INTO feed (position, doc, kind, hash, at) VALUES (?1, ?2, 'change', ?3, ?4)",
    )?;
    let (mut docs, mut last_position) = (Vec::with_capacity(batch.len()), None);
    let (mut received, mut stored_total, mut bytes) = (0u64, 0u64, 0u64);
    let mut receipt_docs: Vec<PatientId> = Vec::new();
    for pushed in batch {
        let created = admit_doc(tx, pushed, &org, now)?;
        let (mut stored, mut skipped) = (Vec::new(), 0);
        for change in &pushed.changes {
            received += 1;
            bytes += change.bytes.len() as u64;
            let inserted = insert_change.execute(params![
                pushed.doc.as_str(),
                &change.hash[..],
                change.bytes,
                device.as_str(),
                change.signature,
                now.0
            ])? == 1;
            if inserted {
                let position = positions.take();
                insert_feed.execute(params![
                    position_to_sql(position),
                    pushed.doc.as_str(),
                    &change.hash[..],
                    now.0
                ])?;
                stored.push(change.hash);
                last_position = Some(position);
            } else {
                skipped += 1;
            }
        }
        stored_total += stored.len() as u64;
        if !receipt_docs.contains(&pushed.doc) {
            receipt_docs.push(pushed.doc.clone());
        }
        docs.push(DocOutcome {
            doc: pushed.doc.clone(),
            created,
            stored,
            skipped,
        });
    }
    tx.execute(
        "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
        params![device.as_str(), now.0],
    )?;
    tx.execute(
        "INSERT INTO receipts (device, received_at, docs, changes, stored, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device.as_str(),
            now.0,
            docs_to_text(&receipt_docs),
            received as i64,
            stored_total as i64,
            bytes as i64
        ],
    )?;
    Ok(PushOutcome {
        docs,
        last_position,
    })
}

/// The organisation a device pushes for. A retired device may still hand in
/// what it holds before it wipes; a lost one may not.
fn pushing_org(tx: &Transaction<'_>, device: &DeviceId) -> Result<OrgId, HubStoreError> {
    let row: Option<(String, String)> = tx
        .query_row(
            "SELECT org, status FROM devices WHERE id = ?1",
            [device.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (org, status) = row.ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?;
    match DeviceStatus::parse(&status)? {
        DeviceStatus::RevokedLost => Err(HubStoreError::DeviceRevoked(device.clone())),
        DeviceStatus::Active | DeviceStatus::Revoked => Ok(OrgId(org)),
    }
}

/// Lets `org` write to `doc`: creates an unknown chart owned by `org`
/// (returning `true`), accepts a chart in `org`'s care circle, refuses others.
fn admit_doc(
    tx: &Transaction<'_>,
    pushed: &PushedDoc,
    org: &OrgId,
    now: Timestamp,
) -> Result<bool, HubStoreError> {
    let doc = &pushed.doc;
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
        [doc.as_str()],
        |r| r.get(0),
    )?;
    if !known {
        tx.execute(
            "INSERT INTO documents (id, owner, created_at) VALUES (?1, ?2, ?3)",
            params![doc.as_str(), org.as_str(), now.0],
        )?;
        tx.execute(
            "INSERT INTO circle_members (doc, org) VALUES (?1, ?2)",
            params![doc.as_str(), org.as_str()],
        )?;
        return Ok(true);
    }
    if is_member(tx, doc, org)? || told_too_late(tx, pushed, org)? {
        Ok(false)
    } else {
        Err(HubStoreError::OutsideCircle {
            doc: doc.clone(),
            org: org.clone(),
        })
    }
}

/// Whether the chart was unshared from `org` after the pusher's cursor.
fn told_too_late(
    tx: &Transaction<'_>,
    pushed: &PushedDoc,
    org: &OrgId,
) -> Result<bool, HubStoreError> {
    let Some(cursor) = pushed.cursor else {
        return Ok(false);
    };
    super::read::circle_event_after(tx, &pushed.doc, org, CircleEvent::Unshared, cursor)
}

fn is_member(tx: &Transaction<'_>, doc: &PatientId, org: &OrgId) -> Result<bool, HubStoreError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM circle_members WHERE doc = ?1 AND org = ?2)",
        [doc.as_str(), org.as_str()],
        |r| r.get(0),
    )?)
}

pub(super) fn share(
    conn: &mut Connection,
    config: &StoreConfig,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>, HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    owner_of(&tx, doc)?;
    let org_known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ?1)",
        [org.as_str()],
        |r| r.get(0),
    )?;
    if !org_known {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    let added = tx.execute(
        "INSERT INTO circle_members (doc, org) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        [doc.as_str(), org.as_str()],
    )? == 1;
    let position = if added {
        Some(circle_event(&tx, config, doc, org, "share", now)?)
    } else {
        None
    };
    tx.commit()?;
    Ok(position)
}

pub(super) fn unshare(
    conn: &mut Connection,
    config: &StoreConfig,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>, HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if owner_of(&tx, doc)? == *org {
        return Err(HubStoreError::OwnerCannotLeave {
            doc: doc.clone(),
            org: org.clone(),
        });
    }
    let removed = tx.execute(
        "DELETE FROM circle_members WHERE doc = ?1 AND org = ?2",
        [doc.as_str(), org.as_str()],
    )? == 1;
    let position = if removed {
        Some(circle_event(&tx, config, doc, org, "unshare", now)?)
    } else {
        None
    };
    tx.commit()?;
    Ok(position)
}

fn owner_of(tx: &Transaction<'_>, doc: &PatientId) -> Result<OrgId, HubStoreError> {
    tx.query_row(
        "SELECT owner FROM documents WHERE id = ?1",
        [doc.as_str()],
        |r| r.get(0),
    )
    .optional()?
    .map(OrgId)
    .ok_or_else(|| HubStoreError::UnknownDoc(doc.clone()))
}

/// Appends a share or unshare event to the feed, under the write lock.
fn circle_event(
    tx: &Transaction<'_>,
    config: &StoreConfig,
    doc: &PatientId,
    org: &OrgId,
    kind: &str,
    now: Timestamp,
) -> Result<u64, HubStoreError> {
    let position = feed_head(tx)? + 1;
    tx.execute(
        "INSERT INTO feed (position, doc, kind, org, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            position_to_sql(position),
            doc.as_str(),
            kind,
            org.as_str(),
            now.0
        ],
    )?;
    pause(config, &[position]);
    Ok(position)
}

/// Creates the counter the naive allocation reserves positions from, as a
/// database sequence would hand them out.
#[cfg(feature = "test-hooks")]
pub(super) fn prepare_naive_feed(conn: &Connection) -> Result<(), HubStoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS naive_feed_counter (next INTEGER NOT NULL);
         INSERT INTO naive_feed_counter SELECT 0
         WHERE NOT EXISTS (SELECT 1 FROM naive_feed_counter);",
    )?;
    Ok(())
}

/// The naive sequence, kept to show that the feed test catches it: positions
/// are reserved in their own transaction, then the push is written in
/// another. A writer that reserved 5 can commit after one that reserved 6,
/// and a reader that saw 6 has moved its cursor past 5 for good.
#[cfg(feature = "test-hooks")]
fn naive_store_push(
    conn: &mut Connection,
    config: &StoreConfig,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome, HubStoreError> {
    let wanted: i64 = batch.iter().map(|pushed| pushed.changes.len() as i64).sum();
    let reserve = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let start: i64 = reserve.query_row(
        "UPDATE naive_feed_counter SET next = next + ?1 RETURNING next - ?1",
        [wanted],
        |r| r.get(0),
    )?;
    reserve.commit()?;
    let reserved: Vec<u64> = (start + 1..=start + wanted).map(|p| p as u64).collect();
    pause(config, &reserved);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut positions = Positions::reserved(reserved);
    let outcome = write_push(&tx, device, batch, now, &mut positions)?;
    tx.commit()?;
    Ok(outcome)
}
