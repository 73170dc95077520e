//! Writing the feed in PostgreSQL: pushes, shares and unshares, each one
//! transaction that takes `FEED_LOCK` before anything else and allocates its
//! feed positions under it.

use std::collections::HashSet;

use deadpool_postgres::Object;
use karte_types::{DeviceId, PatientId, Timestamp};
use tokio_postgres::GenericClient;

use super::FEED_LOCK;
use super::read::feed_head;
use crate::columns::{docs_to_text, position_to_sql};
use crate::feed::Positions;
use crate::{
    CircleEvent, DeviceStatus, DocOutcome, HubStoreError, OrgId, PushOutcome, PushedDoc,
    StoreConfig,
};

pub(super) async fn store_push(
    client: &mut Object,
    config: &StoreConfig,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome, HubStoreError> {
    #[cfg(feature = "test-hooks")]
    if config.naive_feed {
        return naive_store_push(client, config, device, batch, now).await;
    }
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await?;
    let mut positions = Positions::after(feed_head(&*tx).await?);
    let outcome = write_push(&*tx, device, batch, now, &mut positions).await?;
    pause(config, positions.allocated()).await;
    tx.commit().await?;
    Ok(outcome)
}

/// The test hook's wait between allocating positions and committing.
async fn pause(config: &StoreConfig, allocated: &[u64]) {
    if let Some(delay) = config.delay_before_commit(allocated) {
        tokio::time::sleep(delay).await;
    }
}

async fn write_push(
    tx: &impl GenericClient,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
    positions: &mut Positions,
) -> Result<PushOutcome, HubStoreError> {
    let org = pushing_org(tx, device).await?;
    let (mut docs, mut last_position) = (Vec::with_capacity(batch.len()), None);
    let (mut received, mut stored_total, mut bytes) = (0i64, 0i64, 0i64);
    let mut receipt_docs: Vec<PatientId> = Vec::new();
    for pushed in batch {
        let created = admit_doc(tx, pushed, &org, now).await?;
        let hashes: Vec<&[u8]> = pushed.changes.iter().map(|c| &c.hash[..]).collect();
        let mut seen: HashSet<[u8; 32]> = HashSet::new();
        for row in tx
            .query(
                "SELECT hash FROM changes WHERE doc = $1 AND hash = ANY($2)",
                &[&pushed.doc.as_str(), &hashes],
            )
            .await?
        {
            seen.insert(crate::columns::hash32(row.get(0))?);
        }
        // Under the feed lock no other writer inserts changes, so what is
        // not present now is new; a hash repeated within the push counts once.
        let new: Vec<_> = pushed
            .changes
            .iter()
            .filter(|change| seen.insert(change.hash))
            .collect();
        let new_positions: Vec<i64> = new
            .iter()
            .map(|_| position_to_sql(positions.take()))
            .collect();
        let new_hashes: Vec<&[u8]> = new.iter().map(|c| &c.hash[..]).collect();
        let new_bytes: Vec<&[u8]> = new.iter().map(|c| &c.bytes[..]).collect();
        let new_signatures: Vec<&[u8]> = new.iter().map(|c| &c.signature[..]).collect();
        if !new.is_empty() {
            tx.execute(
                "INSERT INTO changes (doc, hash, bytes, signer, signature, received_at)
                 SELECT $1, t.hash, t.bytes, $2, t.signature, $3
                 FROM UNNEST($4::bytea[], $5::bytea[], $6::bytea[]) AS t(hash, bytes, signature)",
                &[
                    &pushed.doc.as_str(),
                    &device.as_str(),
                    &now.0,
                    &new_hashes,
                    &new_bytes,
                    &new_signatures,
                ],
            )
            .await?;
            tx.execute(
                "INSERT INTO feed (position, doc, kind, hash, at)
                 SELECT t.position, $1, 'change', t.hash, $2
                 FROM UNNEST($3::bigint[], $4::bytea[]) AS t(position, hash)",
                &[&pushed.doc.as_str(), &now.0, &new_positions, &new_hashes],
            )
            .await?;
            last_position = new_positions.last().map(|p| *p as u64);
        }
        received += pushed.changes.len() as i64;
        bytes += pushed
            .changes
            .iter()
            .map(|c| c.bytes.len() as i64)
            .sum::<i64>();
        stored_total += new.len() as i64;
        if !receipt_docs.contains(&pushed.doc) {
            receipt_docs.push(pushed.doc.clone());
        }
        docs.push(DocOutcome {
            doc: pushed.doc.clone(),
            created,
            stored: new.iter().map(|c| c.hash).collect(),
            skipped: pushed.changes.len() - new.len(),
        });
    }
    tx.execute(
        "UPDATE devices SET last_seen = $2 WHERE id = $1",
        &[&device.as_str(), &now.0],
    )
    .await?;
    tx.execute(
        "INSERT INTO receipts (device, received_at, docs, changes, stored, bytes)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &device.as_str(),
            &now.0,
            &docs_to_text(&receipt_docs),
            &received,
            &stored_total,
            &bytes,
        ],
    )
    .await?;
    Ok(PushOutcome {
        docs,
        last_position,
    })
}

/// The organisation a device pushes for. A retired device may still hand in
/// what it holds before it wipes; a lost one may not.
async fn pushing_org(tx: &impl GenericClient, device: &DeviceId) -> Result<OrgId, HubStoreError> {
    let row = tx
        .query_opt(
            "SELECT org, status FROM devices WHERE id = $1",
            &[&device.as_str()],
        )
        .await?
        .ok_or_else(|| HubStoreError::UnknownDevice(device.clone()))?;
    match DeviceStatus::parse(row.get(1))? {
        DeviceStatus::RevokedLost => Err(HubStoreError::DeviceRevoked(device.clone())),
        DeviceStatus::Active | DeviceStatus::Revoked => Ok(OrgId(row.get(0))),
    }
}

/// Lets `org` write to `doc`: creates an unknown chart owned by `org`
/// (returning `true`), accepts a chart in `org`'s care circle, refuses others.
async fn admit_doc(
    tx: &impl GenericClient,
    pushed: &PushedDoc,
    org: &OrgId,
    now: Timestamp,
) -> Result<bool, HubStoreError> {
    let doc = &pushed.doc;
    let created = tx
        .execute(
            "INSERT INTO documents (id, owner, created_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&doc.as_str(), &org.as_str(), &now.0],
        )
        .await?
        == 1;
    if created {
        tx.execute(
            "INSERT INTO circle_members (doc, org) VALUES ($1, $2)",
            &[&doc.as_str(), &org.as_str()],
        )
        .await?;
        return Ok(true);
    }
    let member: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM circle_members WHERE doc = $1 AND org = $2)",
            &[&doc.as_str(), &org.as_str()],
        )
        .await?
        .get(0);
    // A chart unshared after the pusher's cursor still takes what the
    // device wrote before it was told.
    let told_too_late = match pushed.cursor {
        Some(cursor) => {
            super::read::circle_event_after(tx, doc, org, CircleEvent::Unshared, cursor).await?
        }
        None => false,
    };
    if member || told_too_late {
        Ok(false)
    } else {
        Err(HubStoreError::OutsideCircle {
            doc: doc.clone(),
            org: org.clone(),
        })
    }
}

pub(super) async fn share(
    client: &mut Object,
    config: &StoreConfig,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>, HubStoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await?;
    owner_of(&*tx, doc).await?;
    let org_known: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1)",
            &[&org.as_str()],
        )
        .await?
        .get(0);
    if !org_known {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    let added = tx
        .execute(
            "INSERT INTO circle_members (doc, org) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&doc.as_str(), &org.as_str()],
        )
        .await?
        == 1;
    let position = if added {
        Some(circle_event(&*tx, config, doc, org, "share", now).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(position)
}

pub(super) async fn unshare(
    client: &mut Object,
    config: &StoreConfig,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>, HubStoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await?;
    if owner_of(&*tx, doc).await? == *org {
        return Err(HubStoreError::OwnerCannotLeave {
            doc: doc.clone(),
            org: org.clone(),
        });
    }
    let removed = tx
        .execute(
            "DELETE FROM circle_members WHERE doc = $1 AND org = $2",
            &[&doc.as_str(), &org.as_str()],
        )
        .await?
        == 1;
    let position = if removed {
        Some(circle_event(&*tx, config, doc, org, "unshare", now).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(position)
}

async fn owner_of(tx: &impl GenericClient, doc: &PatientId) -> Result<OrgId, HubStoreError> {
    tx.query_opt(
        "SELECT owner FROM documents WHERE id = $1",
        &[&doc.as_str()],
    )
    .await?
    .map(|row| OrgId(row.get(0)))
    .ok_or_else(|| HubStoreError::UnknownDoc(doc.clone()))
}

/// Appends a share or unshare event to the feed, under the feed lock.
async fn circle_event(
    tx: &impl GenericClient,
    config: &StoreConfig,
    doc: &PatientId,
    org: &OrgId,
    kind: &str,
    now: Timestamp,
) -> Result<u64, HubStoreError> {
    let position = feed_head(tx).await? + 1;
    tx.execute(
        "INSERT INTO feed (position, doc, kind, org, at) VALUES ($1, $2, $3, $4, $5)",
        &[
            &position_to_sql(position),
            &doc.as_str(),
            &kind,
            &org.as_str(),
            &now.0,
        ],
    )
    .await?;
    pause(config, &[position]).await;
    Ok(position)
}

/// Creates the sequence the naive allocation takes positions from.
#[cfg(feature = "test-hooks")]
pub(super) async fn prepare_naive_feed(client: &Object) -> Result<(), HubStoreError> {
    client
        .batch_execute("CREATE SEQUENCE IF NOT EXISTS naive_feed_positions")
        .await?;
    Ok(())
}

/// The naive sequence, kept to show that the feed test catches it: positions
/// from a database sequence inside the transaction, without the feed lock.
/// `nextval` is not transactional, so a writer holding 5 can commit after
/// one holding 6, and a reader that saw 6 has moved its cursor past 5.
#[cfg(feature = "test-hooks")]
async fn naive_store_push(
    client: &mut Object,
    config: &StoreConfig,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome, HubStoreError> {
    let wanted: i64 = batch.iter().map(|pushed| pushed.changes.len() as i64).sum();
    let tx = client.transaction().await?;
    let mut reserved: Vec<u64> = tx
        .query(
            "SELECT nextval('naive_feed_positions') FROM generate_series(1, $1::bigint)",
            &[&wanted],
        )
        .await?
        .iter()
        .map(|row| row.get::<_, i64>(0) as u64)
        .collect();
    reserved.sort_unstable();
    let mut positions = Positions::reserved(reserved);
    let outcome = write_push(&*tx, device, batch, now, &mut positions).await?;
    pause(config, positions.allocated()).await;
    tx.commit().await?;
    Ok(outcome)
}
