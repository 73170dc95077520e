//! Organisations, enrolment, devices, the snapshot cache, request nonces and
//! the receive log in SQLite: everything but the feed.

use std::time::Duration;

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::columns::{arrival_to_text, docs_from_text, hash32, position_to_sql, prefix16};
use crate::{
    Arrival, AuditHead, Device, DeviceStatus, HubStoreError, NewDevice, Org, OrgId, Receipt,
    Snapshot,
};

pub(super) fn add_org(conn: &mut Connection, org: &Org) -> Result<(), HubStoreError> {
    let added = conn.execute(
        "INSERT INTO orgs (id, name, recovery_public_key) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![org.id.as_str(), org.name, org.recovery_public_key],
    )? == 1;
    if added {
        Ok(())
    } else {
        Err(HubStoreError::OrgExists(org.id.clone()))
    }
}

fn org_from_row(r: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: OrgId(r.get(0)?),
        name: r.get(1)?,
        recovery_public_key: r.get(2)?,
    })
}

pub(super) fn org(conn: &mut Connection, id: &OrgId) -> Result<Option<Org>, HubStoreError> {
    Ok(conn
        .query_row(
            "SELECT id, name, recovery_public_key FROM orgs WHERE id = ?1",
            [id.as_str()],
            org_from_row,
        )
        .optional()?)
}

pub(super) fn list_orgs(conn: &mut Connection) -> Result<Vec<Org>, HubStoreError> {
    Ok(conn
        .prepare_cached("SELECT id, name, recovery_public_key FROM orgs ORDER BY id")?
        .query_map([], org_from_row)?
        .collect::<Result<Vec<_>, _>>()?)
}

pub(super) fn create_enrolment(
    conn: &mut Connection,
    org: &OrgId,
    code_hash: [u8; 32],
    expires_at: Timestamp,
) -> Result<(), HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let org_known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ?1)",
        [org.as_str()],
        |r| r.get(0),
    )?;
    if !org_known {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    let added = tx.execute(
        "INSERT INTO enrolments (code_hash, org, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![&code_hash[..], org.as_str(), expires_at.0],
    )? == 1;
    if !added {
        return Err(HubStoreError::EnrolmentExists);
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn redeem_enrolment(
    conn: &mut Connection,
    code_hash: [u8; 32],
    device: &NewDevice,
    now: Timestamp,
) -> Result<Device, HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let code: Option<(String, i64, Option<i64>)> = tx
        .query_row(
            "SELECT org, expires_at, used_at FROM enrolments WHERE code_hash = ?1",
            [&code_hash[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (org, expires_at, used_at) = code.ok_or(HubStoreError::EnrolmentUnknown)?;
    if used_at.is_some() {
        return Err(HubStoreError::EnrolmentUsed);
    }
    if now.0 >= expires_at {
        return Err(HubStoreError::EnrolmentExpired);
    }
    let added = tx.execute(
        "INSERT INTO devices (id, org, public_key, actor_prefix, status, enrolled_at)
         VALUES (?1, ?2, ?3, ?4, 'active', ?5) ON CONFLICT DO NOTHING",
        params![
            device.id.as_str(),
            org,
            device.public_key,
            &device.actor_prefix[..],
            now.0
        ],
    )? == 1;
    if !added {
        return Err(HubStoreError::DeviceExists(device.id.clone()));
    }
    tx.execute(
        "UPDATE enrolments SET used_at = ?2, device = ?3 WHERE code_hash = ?1",
        params![&code_hash[..], now.0, device.id.as_str()],
    )?;
    tx.commit()?;
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

type DeviceColumns = (
    String,
    String,
    Vec<u8>,
    Vec<u8>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<Vec<u8>>,
);

fn device_columns(r: &Row<'_>) -> rusqlite::Result<DeviceColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

fn device_from_columns(columns: DeviceColumns) -> Result<Device, HubStoreError> {
    let (id, org, public_key, prefix, status, enrolled_at, last_seen, audit_seq, audit_hash) =
        columns;
    let audit_head = match (audit_seq, audit_hash) {
        (Some(seq), Some(hash)) => Some(AuditHead {
            seq: seq as u64,
            hash: hash32(hash)?,
        }),
        _ => None,
    };
    Ok(Device {
        id: DeviceId(id),
        org: OrgId(org),
        public_key,
        actor_prefix: prefix16(prefix)?,
        status: DeviceStatus::parse(&status)?,
        enrolled_at: Timestamp(enrolled_at),
        last_seen: last_seen.map(Timestamp),
        audit_head,
    })
}

pub(super) fn device(
    conn: &mut Connection,
    id: &DeviceId,
) -> Result<Option<Device>, HubStoreError> {
    conn.query_row(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"),
        [id.as_str()],
        device_columns,
    )
    .optional()?
    .map(device_from_columns)
    .transpose()
}

pub(super) fn list_devices(
    conn: &mut Connection,
    org: &OrgId,
) -> Result<Vec<Device>, HubStoreError> {
    conn.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM devices WHERE org = ?1 ORDER BY id"
    ))?
    .query_map([org.as_str()], device_columns)?
    .map(|row| {
        row.map_err(HubStoreError::from)
            .and_then(device_from_columns)
    })
    .collect()
}

pub(super) fn revoke(
    conn: &mut Connection,
    device: &DeviceId,
    lost: bool,
) -> Result<(), HubStoreError> {
    let changed = conn.execute(
        "UPDATE devices SET status = CASE
             WHEN status = 'revoked-lost' OR ?2 THEN 'revoked-lost'
             ELSE 'revoked' END
         WHERE id = ?1",
        params![device.as_str(), lost],
    )?;
    if changed == 0 {
        return Err(HubStoreError::UnknownDevice(device.clone()));
    }
    Ok(())
}

pub(super) fn record_contact(
    conn: &mut Connection,
    device: &DeviceId,
    now: Timestamp,
    audit_head: Option<AuditHead>,
) -> Result<(), HubStoreError> {
    let (seq, hash) = match audit_head {
        Some(head) => (Some(head.seq as i64), Some(head.hash.to_vec())),
        None => (None, None),
    };
    let changed = conn.execute(
        "UPDATE devices SET last_seen = ?2,
             audit_seq = COALESCE(?3, audit_seq), audit_hash = COALESCE(?4, audit_hash)
         WHERE id = ?1",
        params![device.as_str(), now.0, seq, hash],
    )?;
    if changed == 0 {
        return Err(HubStoreError::UnknownDevice(device.clone()));
    }
    Ok(())
}

pub(super) fn put_arrival(
    conn: &mut Connection,
    doc: &PatientId,
    up_to: u64,
    arrival: &Arrival,
) -> Result<(), HubStoreError> {
    conn.execute(
        "UPDATE snapshots SET arrival = ?3 WHERE doc = ?1 AND up_to = ?2",
        params![
            doc.as_str(),
            position_to_sql(up_to),
            arrival_to_text(arrival)
        ],
    )?;
    Ok(())
}

pub(super) fn put_snapshot(
    conn: &mut Connection,
    doc: &PatientId,
    snapshot: &Snapshot,
) -> Result<(), HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
        [doc.as_str()],
        |r| r.get(0),
    )?;
    if !known {
        return Err(HubStoreError::UnknownDoc(doc.clone()));
    }
    tx.execute(
        "INSERT INTO snapshots (doc, bytes, up_to, arrival) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (doc) DO UPDATE
             SET bytes = excluded.bytes, up_to = excluded.up_to, arrival = excluded.arrival
         WHERE excluded.up_to >= snapshots.up_to",
        params![
            doc.as_str(),
            snapshot.bytes,
            position_to_sql(snapshot.up_to),
            snapshot.arrival.as_ref().map(arrival_to_text),
        ],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn check_and_record_nonce(
    conn: &mut Connection,
    device: &DeviceId,
    nonce: [u8; 16],
    now: Timestamp,
    window: Duration,
) -> Result<bool, HubStoreError> {
    let cutoff = now
        .0
        .saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    // A nonce is committed without waiting for the disk: it is safe from a
    // killed hub process (the write-ahead log is in the operating system's
    // hands), and the next fully synchronous commit of any write flushes it.
    // Only a power cut could lose the last few, and a replay would still
    // have to fall within the clock window. Waiting for the disk on every
    // request, quiet syncs included, is what this saves.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let recorded = record_nonce(conn, device, nonce, now, cutoff);
    let restored = conn.pragma_update(None, "synchronous", "FULL");
    let fresh = recorded?;
    restored?;
    Ok(fresh)
}

fn record_nonce(
    conn: &mut Connection,
    device: &DeviceId,
    nonce: [u8; 16],
    now: Timestamp,
    cutoff: i64,
) -> Result<bool, HubStoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.prepare_cached("DELETE FROM nonces WHERE seen_at < ?1")?
        .execute([cutoff])?;
    let fresh = tx
        .prepare_cached(
            "INSERT INTO nonces (device, nonce, seen_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![device.as_str(), &nonce[..], now.0])?
        == 1;
    tx.commit()?;
    Ok(fresh)
}

pub(super) fn receipts(
    conn: &mut Connection,
    device: &DeviceId,
) -> Result<Vec<Receipt>, HubStoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT received_at, docs, changes, stored, bytes FROM receipts
         WHERE device = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([device.as_str()], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (received_at, docs, changes, stored, bytes) = row?;
        Ok(Receipt {
            device: device.clone(),
            received_at: Timestamp(received_at),
            docs: docs_from_text(&docs)?,
            changes: changes as u64,
            stored: stored as u64,
            bytes: bytes as u64,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_kept_and_the_connection_is_left_fully_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = super::super::schema::open(&dir.path().join("hub.sqlite")).unwrap();
        let device = DeviceId("D1".into());
        let window = Duration::from_secs(600);
        let now = Timestamp(1_764_000_000_000);
        assert!(check_and_record_nonce(&mut conn, &device, [1; 16], now, window).unwrap());
        assert!(!check_and_record_nonce(&mut conn, &device, [1; 16], now, window).unwrap());
        assert!(check_and_record_nonce(&mut conn, &device, [2; 16], now, window).unwrap());
        // 2 = FULL: the feed's writes on this pooled connection stay durable.
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 2);
    }
}
