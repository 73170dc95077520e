//! The rows of organisations, enrolment codes, devices, request nonces and
//! the receive log in SQLite. A row "for update" needs no lock of its own:
//! every writing transaction here holds SQLite's one write lock throughout.

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteRows;
use crate::columns::{
    DeviceColumns, docs_from_text, docs_to_text, hash32, position_from_sql, position_to_sql,
};
use crate::rules::{AccountRows, AuditRow, EnrolmentRow, Standing};
use crate::{
    AuditHead, Device, DeviceStatus, HubStoreError, NewDevice, Org, OrgId, Quarantined, Receipt,
    UnlockCodeHeld,
};

type Result<T> = std::result::Result<T, HubStoreError>;

const DEVICE_COLUMNS: &str =
    "id, org, public_key, actor_prefix, status, enrolled_at, last_seen, audit_seq, audit_hash,
     served_up_to, handed_in_at";

fn device_columns(r: &Row<'_>) -> rusqlite::Result<DeviceColumns> {
    Ok(DeviceColumns {
        id: r.get(0)?,
        org: r.get(1)?,
        public_key: r.get(2)?,
        actor_prefix: r.get(3)?,
        status: r.get(4)?,
        enrolled_at: r.get(5)?,
        last_seen: r.get(6)?,
        audit_seq: r.get(7)?,
        audit_hash: r.get(8)?,
        served_up_to: r.get(9)?,
        handed_in_at: r.get(10)?,
    })
}

fn org_columns(r: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: OrgId(r.get(0)?),
        name: r.get(1)?,
        recovery_public_key: r.get(2)?,
    })
}

impl AccountRows for SqliteRows<'_> {
    async fn insert_org(&self, org: &Org) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO orgs (id, name, recovery_public_key) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![org.id.as_str(), org.name, org.recovery_public_key])?
            == 1)
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Org>> {
        Ok(self
            .0
            .prepare_cached("SELECT id, name, recovery_public_key FROM orgs WHERE id = ?1")?
            .query_row([id.as_str()], org_columns)
            .optional()?)
    }

    async fn orgs(&self) -> Result<Vec<Org>> {
        Ok(self
            .0
            .prepare_cached("SELECT id, name, recovery_public_key FROM orgs ORDER BY id")?
            .query_map([], org_columns)?
            .collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_enrolment(
        &self,
        code_hash: [u8; 32],
        org: &OrgId,
        expires_at: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO enrolments (code_hash, org, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![&code_hash[..], org.as_str(), expires_at.0])?
            == 1)
    }

    async fn enrolment_for_update(&self, code_hash: [u8; 32]) -> Result<Option<EnrolmentRow>> {
        Ok(self
            .0
            .prepare_cached("SELECT org, expires_at, used_at FROM enrolments WHERE code_hash = ?1")?
            .query_row([&code_hash[..]], |r| {
                Ok(EnrolmentRow {
                    org: OrgId(r.get(0)?),
                    expires_at: Timestamp(r.get(1)?),
                    used: r.get::<_, Option<i64>>(2)?.is_some(),
                })
            })
            .optional()?)
    }

    async fn mark_enrolment_used(
        &self,
        code_hash: [u8; 32],
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<()> {
        self.0
            .prepare_cached("UPDATE enrolments SET used_at = ?2, device = ?3 WHERE code_hash = ?1")?
            .execute(params![&code_hash[..], now.0, device.as_str()])?;
        Ok(())
    }

    async fn insert_device(&self, device: &NewDevice, org: &OrgId, now: Timestamp) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO devices (id, org, public_key, actor_prefix, status, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, 'active', ?5) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                device.id.as_str(),
                org.as_str(),
                device.public_key,
                &device.actor_prefix[..],
                now.0
            ])?
            == 1)
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>> {
        self.0
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"
            ))?
            .query_row([id.as_str()], device_columns)
            .optional()?
            .map(DeviceColumns::into_device)
            .transpose()
    }

    async fn devices(&self, org: &OrgId) -> Result<Vec<Device>> {
        self.0
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE org = ?1 ORDER BY id"
            ))?
            .query_map([org.as_str()], device_columns)?
            .map(|row| row?.into_device())
            .collect()
    }

    async fn device_standing_for_update(&self, id: &DeviceId) -> Result<Option<Standing>> {
        self.0
            .prepare_cached(
                "SELECT org, status, served_up_to, handed_in_at, public_key FROM devices WHERE id = ?1",
            )?
            .query_row([id.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .optional()?
            .map(|(org, status, served, handed_in, public_key)| {
                Ok(Standing {
                    org: OrgId(org),
                    public_key,
                    status: DeviceStatus::parse(&status)?,
                    served_up_to: position_from_sql(served)?,
                    handed_in: handed_in.map(Timestamp),
                })
            })
            .transpose()
    }

    async fn note_served(&self, id: &DeviceId, position: u64) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE devices SET served_up_to = max(served_up_to, ?2) WHERE id = ?1",
            )?
            .execute(params![id.as_str(), position_to_sql(position)])?;
        Ok(())
    }

    async fn mark_handed_in(&self, id: &DeviceId, now: Timestamp) -> Result<()> {
        self.0
            .prepare_cached("UPDATE devices SET handed_in_at = ?2 WHERE id = ?1")?
            .execute(params![id.as_str(), now.0])?;
        Ok(())
    }

    async fn set_device_status(&self, id: &DeviceId, status: DeviceStatus) -> Result<()> {
        self.0
            .prepare_cached("UPDATE devices SET status = ?2 WHERE id = ?1")?
            .execute([id.as_str(), status.as_str()])?;
        Ok(())
    }

    async fn note_contact(
        &self,
        id: &DeviceId,
        now: Timestamp,
        audit_head: Option<AuditHead>,
    ) -> Result<bool> {
        let (seq, hash) = match audit_head {
            Some(head) => (Some(head.seq as i64), Some(head.hash.to_vec())),
            None => (None, None),
        };
        Ok(self
            .0
            .prepare_cached(
                "UPDATE devices SET last_seen = ?2,
                     audit_seq = COALESCE(?3, audit_seq), audit_hash = COALESCE(?4, audit_hash)
                 WHERE id = ?1",
            )?
            .execute(params![id.as_str(), now.0, seq, hash])?
            == 1)
    }

    async fn forget_nonces_before(&self, cutoff: Timestamp) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM nonces WHERE seen_at < ?1")?
            .execute([cutoff.0])?;
        Ok(())
    }

    async fn insert_nonce(
        &self,
        device: &DeviceId,
        nonce: [u8; 16],
        now: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO nonces (device, nonce, seen_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![device.as_str(), &nonce[..], now.0])?
            == 1)
    }

    async fn insert_receipt(&self, receipt: &Receipt) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO receipts (device, received_at, docs, changes, stored, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                receipt.device.as_str(),
                receipt.received_at.0,
                docs_to_text(&receipt.docs),
                receipt.changes as i64,
                receipt.stored as i64,
                receipt.bytes as i64
            ])?;
        Ok(())
    }

    async fn receipts(&self, device: &DeviceId) -> Result<Vec<Receipt>> {
        self.0
            .prepare_cached(
                "SELECT received_at, docs, changes, stored, bytes FROM receipts
                 WHERE device = ?1 ORDER BY id",
            )?
            .query_map([device.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?
            .map(|row| {
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

    async fn clear_quarantine(&self, device: &DeviceId) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM quarantines WHERE device = ?1")?
            .execute([device.as_str()])?;
        Ok(())
    }

    async fn insert_quarantine(
        &self,
        device: &DeviceId,
        doc: &PatientId,
        reason: &str,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO quarantines (device, doc, reason, since, reported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (device, doc) DO NOTHING",
            )?
            .execute(params![
                device.as_str(),
                doc.as_str(),
                reason,
                since.0,
                now.0
            ])?;
        Ok(())
    }

    async fn quarantined(&self, org: Option<&OrgId>) -> Result<Vec<Quarantined>> {
        self.0
            .prepare_cached(
                "SELECT d.org, q.device, q.doc, q.reason, q.since, q.reported_at
                 FROM quarantines q JOIN devices d ON d.id = q.device
                 WHERE ?1 IS NULL OR d.org = ?1
                 ORDER BY d.org, q.device, q.doc",
            )?
            .query_map([org.map(OrgId::as_str)], |r| {
                Ok(Quarantined {
                    org: OrgId(r.get(0)?),
                    device: DeviceId(r.get(1)?),
                    doc: PatientId(r.get(2)?),
                    reason: r.get(3)?,
                    since: Timestamp(r.get(4)?),
                    reported_at: Timestamp(r.get(5)?),
                })
            })?
            .map(|row| Ok(row?))
            .collect()
    }

    async fn org_key(&self, org: &OrgId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT wrapped FROM org_keys WHERE org = ?1")?
            .query_row([org.as_str()], |r| r.get(0))
            .optional()?)
    }

    async fn insert_org_key(&self, org: &OrgId, wrapped: &[u8]) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO org_keys (org, wrapped) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![org.as_str(), wrapped])?
            == 1)
    }

    async fn master_check(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT sealed FROM master_key_check WHERE id = 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    async fn insert_master_check(&self, check: &[u8]) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO master_key_check (id, sealed) VALUES (1, ?1) ON CONFLICT DO NOTHING",
            )?
            .execute([check])?
            == 1)
    }

    async fn holds_chart_payloads(&self) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM changes) OR EXISTS (SELECT 1 FROM snapshots)",
            )?
            .query_row([], |r| r.get(0))?)
    }

    async fn audit_held_head(&self, device: &DeviceId) -> Result<Option<AuditHead>> {
        let row: Option<(i64, Vec<u8>)> = self
            .0
            .prepare_cached(
                "SELECT seq, hash FROM device_audit WHERE device = ?1 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([device.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(seq, hash)| {
            Ok(AuditHead {
                seq: seq as u64,
                hash: hash32(hash)?,
            })
        })
        .transpose()
    }

    async fn audit_hashes(
        &self,
        device: &DeviceId,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, [u8; 32])>> {
        let rows: Vec<(i64, Vec<u8>)> = self
            .0
            .prepare_cached(
                "SELECT seq, hash FROM device_audit
                 WHERE device = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
            )?
            .query_map(params![device.as_str(), from as i64, to as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(seq, hash)| Ok((seq as u64, hash32(hash)?)))
            .collect()
    }

    async fn insert_audit_entry(
        &self,
        device: &DeviceId,
        seq: u64,
        hash: &[u8; 32],
        sealed: &[u8],
        signature: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO device_audit (device, seq, hash, entry, signature, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                device.as_str(),
                seq as i64,
                hash.as_slice(),
                sealed,
                signature,
                now.0
            ])?;
        Ok(())
    }

    async fn audit_entries(&self, device: &DeviceId) -> Result<Vec<AuditRow>> {
        type Columns = (i64, Vec<u8>, Vec<u8>, Option<Vec<u8>>, i64);
        let rows: Vec<Columns> = self
            .0
            .prepare_cached(
                "SELECT seq, hash, entry, signature, received_at FROM device_audit
                 WHERE device = ?1 ORDER BY seq",
            )?
            .query_map([device.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(seq, hash, sealed, signature, received_at)| {
                Ok(AuditRow {
                    seq: seq as u64,
                    hash: hash32(hash)?,
                    sealed,
                    signature,
                    received_at: Timestamp(received_at),
                })
            })
            .collect()
    }

    async fn set_lock_policy(&self, org: &OrgId, lock_after_days: Option<u32>) -> Result<()> {
        match lock_after_days {
            Some(days) => self
                .0
                .prepare_cached(
                    "INSERT INTO lock_policies (org, lock_after_days) VALUES (?1, ?2)
                 ON CONFLICT (org) DO UPDATE SET lock_after_days = excluded.lock_after_days",
                )?
                .execute(params![org.as_str(), days])?,
            None => self
                .0
                .prepare_cached("DELETE FROM lock_policies WHERE org = ?1")?
                .execute([org.as_str()])?,
        };
        Ok(())
    }

    async fn lock_policy(&self, org: &OrgId) -> Result<Option<u32>> {
        Ok(self
            .0
            .prepare_cached("SELECT lock_after_days FROM lock_policies WHERE org = ?1")?
            .query_row([org.as_str()], |r| r.get(0))
            .optional()?)
    }

    async fn unlock_codes(&self, device: &DeviceId) -> Result<Vec<UnlockCodeHeld>> {
        type Columns = (u32, Vec<u8>, Vec<u8>, Option<i64>);
        let rows: Vec<Columns> = self
            .0
            .prepare_cached(
                "SELECT number, salt, hash, issued_at FROM unlock_codes
                 WHERE device = ?1 ORDER BY number",
            )?
            .query_map([device.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(number, salt, hash, issued_at)| {
                Ok(UnlockCodeHeld {
                    number,
                    salt: salt16(salt)?,
                    hash: hash32(hash)?,
                    issued_at: issued_at.map(Timestamp),
                })
            })
            .collect()
    }

    async fn insert_unlock_code(
        &self,
        device: &DeviceId,
        number: u32,
        sealed: &[u8],
        salt: &[u8; 16],
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO unlock_codes (device, number, code, salt, hash, made_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                device.as_str(),
                number,
                sealed,
                salt.as_slice(),
                hash.as_slice(),
                now.0
            ])?;
        Ok(())
    }

    async fn unlock_code_sealed(&self, device: &DeviceId, number: u32) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT code FROM unlock_codes WHERE device = ?1 AND number = ?2")?
            .query_row(params![device.as_str(), number], |r| r.get(0))
            .optional()?)
    }

    async fn mark_unlock_code_issued(
        &self,
        device: &DeviceId,
        number: u32,
        now: Timestamp,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE unlock_codes SET issued_at = ?3 WHERE device = ?1 AND number = ?2",
            )?
            .execute(params![device.as_str(), number, now.0])?;
        Ok(())
    }

    async fn org_signing_key(&self, org: &OrgId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached("SELECT wrapped FROM org_signing_keys WHERE org = ?1")?
            .query_row([org.as_str()], |r| r.get(0))
            .optional()?)
    }

    async fn insert_org_signing_key(
        &self,
        org: &OrgId,
        public_key: &[u8; 32],
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO org_signing_keys (org, public_key, wrapped, created_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )?
            .execute(params![org.as_str(), public_key.as_slice(), wrapped, now.0])?
            == 1)
    }

    async fn revocation_list(&self, issuer: &str) -> Result<Option<(u64, Vec<u8>)>> {
        Ok(self
            .0
            .prepare_cached("SELECT sequence, signed FROM revocation_lists WHERE issuer = ?1")?
            .query_row([issuer], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .optional()?)
    }

    async fn revoked_counts(&self, org: &OrgId) -> Result<(u64, u64)> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT count(*), coalesce(sum(status = 'revoked-lost'), 0) FROM devices
                 WHERE org = ?1 AND status <> 'active'",
            )?
            .query_row([org.as_str()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?)
    }

    async fn put_revocation_list(
        &self,
        issuer: &str,
        sequence: u64,
        signed: &[u8],
    ) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO revocation_lists (issuer, sequence, signed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (issuer) DO UPDATE SET sequence = excluded.sequence, signed = excluded.signed
                 WHERE revocation_lists.sequence < excluded.sequence",
            )?
            .execute(params![issuer, sequence as i64, signed])?
            == 1)
    }

    async fn max_cert_serial(&self, org: &OrgId) -> Result<u64> {
        let serial: i64 = self
            .0
            .prepare_cached("SELECT COALESCE(MAX(cert_serial), 0) FROM devices WHERE org = ?1")?
            .query_row([org.as_str()], |r| r.get(0))?;
        Ok(serial as u64)
    }

    async fn set_device_cert(
        &self,
        device: &DeviceId,
        bundle_key: &[u8; 32],
        serial: u64,
        cert: &[u8],
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE devices SET bundle_key = ?2, cert_serial = ?3, cert = ?4 WHERE id = ?1",
            )?
            .execute(params![
                device.as_str(),
                bundle_key.as_slice(),
                serial as i64,
                cert
            ])?;
        Ok(())
    }

    async fn member_certs(&self, org: &OrgId, after: u64) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT cert FROM devices WHERE org = ?1 AND status = 'active'
                 AND cert IS NOT NULL AND cert_serial > ?2 ORDER BY cert_serial",
            )?
            .query_map(params![org.as_str(), after as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }
}

fn salt16(bytes: Vec<u8>) -> Result<[u8; 16]> {
    bytes
        .try_into()
        .map_err(|_| HubStoreError::corrupt("an unlock code's salt is not 16 bytes"))
}
