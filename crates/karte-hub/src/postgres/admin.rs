//! Organisations, enrolment, devices, the snapshot cache, request nonces and
//! the receive log in PostgreSQL: everything but the feed.

use std::time::Duration;

use deadpool_postgres::Object;
use karte_types::{DeviceId, PatientId, Timestamp};
use tokio_postgres::Row;

use crate::columns::{arrival_to_text, docs_from_text, hash32, position_to_sql, prefix16};
use crate::{
    Arrival, AuditHead, Device, DeviceStatus, HubStoreError, NewDevice, Org, OrgId, Receipt,
    Snapshot,
};

pub(super) async fn add_org(client: &Object, org: &Org) -> Result<(), HubStoreError> {
    let added = client
        .execute(
            "INSERT INTO orgs (id, name, recovery_public_key) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&org.id.as_str(), &org.name, &org.recovery_public_key],
        )
        .await?
        == 1;
    if added {
        Ok(())
    } else {
        Err(HubStoreError::OrgExists(org.id.clone()))
    }
}

fn org_from_row(row: &Row) -> Org {
    Org {
        id: OrgId(row.get(0)),
        name: row.get(1),
        recovery_public_key: row.get(2),
    }
}

pub(super) async fn org(client: &Object, id: &OrgId) -> Result<Option<Org>, HubStoreError> {
    Ok(client
        .query_opt(
            "SELECT id, name, recovery_public_key FROM orgs WHERE id = $1",
            &[&id.as_str()],
        )
        .await?
        .as_ref()
        .map(org_from_row))
}

pub(super) async fn list_orgs(client: &Object) -> Result<Vec<Org>, HubStoreError> {
    Ok(client
        .query(
            "SELECT id, name, recovery_public_key FROM orgs ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(org_from_row)
        .collect())
}

pub(super) async fn create_enrolment(
    client: &Object,
    org: &OrgId,
    code_hash: [u8; 32],
    expires_at: Timestamp,
) -> Result<(), HubStoreError> {
    // One statement, so a missing organisation and a repeated code are told
    // apart without a transaction.
    let row = client
        .query_one(
            "WITH known AS (SELECT id FROM orgs WHERE id = $2),
                  added AS (
                      INSERT INTO enrolments (code_hash, org, expires_at)
                      SELECT $1, id, $3 FROM known
                      ON CONFLICT DO NOTHING RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM known), EXISTS (SELECT 1 FROM added)",
            &[&&code_hash[..], &org.as_str(), &expires_at.0],
        )
        .await?;
    match (row.get::<_, bool>(0), row.get::<_, bool>(1)) {
        (false, _) => Err(HubStoreError::UnknownOrg(org.clone())),
        (true, false) => Err(HubStoreError::EnrolmentExists),
        (true, true) => Ok(()),
    }
}

pub(super) async fn redeem_enrolment(
    client: &mut Object,
    code_hash: [u8; 32],
    device: &NewDevice,
    now: Timestamp,
) -> Result<Device, HubStoreError> {
    let tx = client.transaction().await?;
    // The row lock makes redeeming atomic: of two devices using one code at
    // once, the second waits here and then finds it used.
    let code = tx
        .query_opt(
            "SELECT org, expires_at, used_at FROM enrolments WHERE code_hash = $1 FOR UPDATE",
            &[&&code_hash[..]],
        )
        .await?
        .ok_or(HubStoreError::EnrolmentUnknown)?;
    let (org, expires_at, used_at): (String, i64, Option<i64>) =
        (code.get(0), code.get(1), code.get(2));
    if used_at.is_some() {
        return Err(HubStoreError::EnrolmentUsed);
    }
    if now.0 >= expires_at {
        return Err(HubStoreError::EnrolmentExpired);
    }
    let added = tx
        .execute(
            "INSERT INTO devices (id, org, public_key, actor_prefix, status, enrolled_at)
             VALUES ($1, $2, $3, $4, 'active', $5) ON CONFLICT DO NOTHING",
            &[
                &device.id.as_str(),
                &org,
                &device.public_key,
                &&device.actor_prefix[..],
                &now.0,
            ],
        )
        .await?
        == 1;
    if !added {
        return Err(HubStoreError::DeviceExists(device.id.clone()));
    }
    tx.execute(
        "UPDATE enrolments SET used_at = $2, device = $3 WHERE code_hash = $1",
        &[&&code_hash[..], &now.0, &device.id.as_str()],
    )
    .await?;
    tx.commit().await?;
    Ok(Device {
        id: device.id.clone(),
        org: OrgId(org),
        public_key: device.public_key.clone(),
        actor_prefix: device.actor_prefix,
        status: DeviceStatus::Active,
        enrolled_at: now,
        last_seen: None,
        audit_head: None,
    })
}

const DEVICE_COLUMNS: &str =
    "id, org, public_key, actor_prefix, status, enrolled_at, last_seen, audit_seq, audit_hash";

fn device_from_row(row: &Row) -> Result<Device, HubStoreError> {
    let audit_head = match (
        row.get::<_, Option<i64>>(7),
        row.get::<_, Option<Vec<u8>>>(8),
    ) {
        (Some(seq), Some(hash)) => Some(AuditHead {
            seq: seq as u64,
            hash: hash32(hash)?,
        }),
        _ => None,
    };
    Ok(Device {
        id: DeviceId(row.get(0)),
        org: OrgId(row.get(1)),
        public_key: row.get(2),
        actor_prefix: prefix16(row.get(3))?,
        status: DeviceStatus::parse(row.get(4))?,
        enrolled_at: Timestamp(row.get(5)),
        last_seen: row.get::<_, Option<i64>>(6).map(Timestamp),
        audit_head,
    })
}

pub(super) async fn device(
    client: &Object,
    id: &DeviceId,
) -> Result<Option<Device>, HubStoreError> {
    client
        .query_opt(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"),
            &[&id.as_str()],
        )
        .await?
        .as_ref()
        .map(device_from_row)
        .transpose()
}

pub(super) async fn list_devices(
    client: &Object,
    org: &OrgId,
) -> Result<Vec<Device>, HubStoreError> {
    client
        .query(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE org = $1 ORDER BY id"),
            &[&org.as_str()],
        )
        .await?
        .iter()
        .map(device_from_row)
        .collect()
}

pub(super) async fn revoke(
    client: &Object,
    device: &DeviceId,
    lost: bool,
) -> Result<(), HubStoreError> {
    let changed = client
        .execute(
            "UPDATE devices SET status = CASE
                 WHEN status = 'revoked-lost' OR $2 THEN 'revoked-lost'
                 ELSE 'revoked' END
             WHERE id = $1",
            &[&device.as_str(), &lost],
        )
        .await?;
    if changed == 0 {
        return Err(HubStoreError::UnknownDevice(device.clone()));
    }
    Ok(())
}

pub(super) async fn record_contact(
    client: &Object,
    device: &DeviceId,
    now: Timestamp,
    audit_head: Option<AuditHead>,
) -> Result<(), HubStoreError> {
    let (seq, hash) = match audit_head {
        Some(head) => (Some(head.seq as i64), Some(head.hash.to_vec())),
        None => (None, None),
    };
    let changed = client
        .execute(
            "UPDATE devices SET last_seen = $2,
                 audit_seq = COALESCE($3, audit_seq), audit_hash = COALESCE($4, audit_hash)
             WHERE id = $1",
            &[&device.as_str(), &now.0, &seq, &hash],
        )
        .await?;
    if changed == 0 {
        return Err(HubStoreError::UnknownDevice(device.clone()));
    }
    Ok(())
}

pub(super) async fn put_arrival(
    client: &Object,
    doc: &PatientId,
    up_to: u64,
    arrival: &Arrival,
) -> Result<(), HubStoreError> {
    client
        .execute(
            "UPDATE snapshots SET arrival = $3 WHERE doc = $1 AND up_to = $2",
            &[
                &doc.as_str(),
                &position_to_sql(up_to),
                &arrival_to_text(arrival),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn put_snapshot(
    client: &Object,
    doc: &PatientId,
    snapshot: &Snapshot,
) -> Result<(), HubStoreError> {
    let known: bool = client
        .query_one(
            "WITH known AS (SELECT id FROM documents WHERE id = $1),
                  written AS (
                      INSERT INTO snapshots (doc, bytes, up_to, arrival)
                      SELECT id, $2, $3, $4 FROM known
                      ON CONFLICT (doc) DO UPDATE
                          SET bytes = excluded.bytes, up_to = excluded.up_to,
                              arrival = excluded.arrival
                          WHERE excluded.up_to >= snapshots.up_to
                      RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM known)",
            &[
                &doc.as_str(),
                &snapshot.bytes,
                &position_to_sql(snapshot.up_to),
                &snapshot.arrival.as_ref().map(arrival_to_text),
            ],
        )
        .await?
        .get(0);
    if !known {
        return Err(HubStoreError::UnknownDoc(doc.clone()));
    }
    Ok(())
}

pub(super) async fn check_and_record_nonce(
    client: &mut Object,
    device: &DeviceId,
    nonce: [u8; 16],
    now: Timestamp,
    window: Duration,
) -> Result<bool, HubStoreError> {
    let cutoff = now
        .0
        .saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    let tx = client.transaction().await?;
    // As for SQLite: the nonce row is visible to every hub process at once
    // (the unique key refuses a replay through any of them), but its commit
    // does not wait for the write-ahead log to reach the disk; a crash of
    // the database server could forget the last moment's nonces, never
    // corrupt anything.
    tx.execute("SET LOCAL synchronous_commit = off", &[])
        .await?;
    tx.execute("DELETE FROM nonces WHERE seen_at < $1", &[&cutoff])
        .await?;
    let fresh = tx
        .execute(
            "INSERT INTO nonces (device, nonce, seen_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&device.as_str(), &&nonce[..], &now.0],
        )
        .await?
        == 1;
    tx.commit().await?;
    Ok(fresh)
}

pub(super) async fn receipts(
    client: &Object,
    device: &DeviceId,
) -> Result<Vec<Receipt>, HubStoreError> {
    client
        .query(
            "SELECT received_at, docs, changes, stored, bytes FROM receipts
             WHERE device = $1 ORDER BY id",
            &[&device.as_str()],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Receipt {
                device: device.clone(),
                received_at: Timestamp(row.get(0)),
                docs: docs_from_text(row.get(1))?,
                changes: row.get::<_, i64>(2) as u64,
                stored: row.get::<_, i64>(3) as u64,
                bytes: row.get::<_, i64>(4) as u64,
            })
        })
        .collect()
}
