//! The rows of organisations, enrolment codes, devices, request nonces and
//! the receive log in PostgreSQL. A row read "for update" is locked with
//! `FOR UPDATE` until the transaction ends. Lists come in byte order of id
//! (`COLLATE "C"`), as SQLite and the devices order them, whatever the
//! database's own collation.

use deadpool_postgres::GenericClient;
use karte_types::{DeviceId, PatientId, Timestamp};
use tokio_postgres::Row;

use super::PostgresRows;
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

fn device_columns(row: &Row) -> DeviceColumns {
    DeviceColumns {
        id: row.get(0),
        org: row.get(1),
        public_key: row.get(2),
        actor_prefix: row.get(3),
        status: row.get(4),
        enrolled_at: row.get(5),
        last_seen: row.get(6),
        audit_seq: row.get(7),
        audit_hash: row.get(8),
        served_up_to: row.get(9),
        handed_in_at: row.get(10),
    }
}

fn org_columns(row: &Row) -> Org {
    Org {
        id: OrgId(row.get(0)),
        name: row.get(1),
        recovery_public_key: row.get(2),
    }
}

impl<C: GenericClient> AccountRows for PostgresRows<'_, C> {
    async fn insert_org(&self, org: &Org) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO orgs (id, name, recovery_public_key) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&org.id.as_str(), &org.name, &org.recovery_public_key],
            )
            .await?
            == 1)
    }

    async fn org(&self, id: &OrgId) -> Result<Option<Org>> {
        Ok(self
            .query_opt(
                "SELECT id, name, recovery_public_key FROM orgs WHERE id = $1",
                &[&id.as_str()],
            )
            .await?
            .as_ref()
            .map(org_columns))
    }

    async fn orgs(&self) -> Result<Vec<Org>> {
        Ok(self
            .query(
                "SELECT id, name, recovery_public_key FROM orgs ORDER BY id COLLATE \"C\"",
                &[],
            )
            .await?
            .iter()
            .map(org_columns)
            .collect())
    }

    async fn insert_enrolment(
        &self,
        code_hash: [u8; 32],
        org: &OrgId,
        expires_at: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO enrolments (code_hash, org, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&&code_hash[..], &org.as_str(), &expires_at.0],
            )
            .await?
            == 1)
    }

    async fn enrolment_for_update(&self, code_hash: [u8; 32]) -> Result<Option<EnrolmentRow>> {
        Ok(self
            .query_opt(
                "SELECT org, expires_at, used_at FROM enrolments WHERE code_hash = $1 FOR UPDATE",
                &[&&code_hash[..]],
            )
            .await?
            .map(|row| EnrolmentRow {
                org: OrgId(row.get(0)),
                expires_at: Timestamp(row.get(1)),
                used: row.get::<_, Option<i64>>(2).is_some(),
            }))
    }

    async fn mark_enrolment_used(
        &self,
        code_hash: [u8; 32],
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            "UPDATE enrolments SET used_at = $2, device = $3 WHERE code_hash = $1",
            &[&&code_hash[..], &now.0, &device.as_str()],
        )
        .await?;
        Ok(())
    }

    async fn insert_device(&self, device: &NewDevice, org: &OrgId, now: Timestamp) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO devices (id, org, public_key, actor_prefix, status, enrolled_at)
                 VALUES ($1, $2, $3, $4, 'active', $5) ON CONFLICT DO NOTHING",
                &[
                    &device.id.as_str(),
                    &org.as_str(),
                    &device.public_key,
                    &&device.actor_prefix[..],
                    &now.0,
                ],
            )
            .await?
            == 1)
    }

    async fn device(&self, id: &DeviceId) -> Result<Option<Device>> {
        self.query_opt(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"),
            &[&id.as_str()],
        )
        .await?
        .map(|row| device_columns(&row).into_device())
        .transpose()
    }

    async fn devices(&self, org: &OrgId) -> Result<Vec<Device>> {
        self.query(
            &format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE org = $1 ORDER BY id COLLATE \"C\""
            ),
            &[&org.as_str()],
        )
        .await?
        .iter()
        .map(|row| device_columns(row).into_device())
        .collect()
    }

    async fn device_standing_for_update(&self, id: &DeviceId) -> Result<Option<Standing>> {
        self.query_opt(
            "SELECT org, status, served_up_to, handed_in_at, public_key FROM devices WHERE id = $1 FOR UPDATE",
            &[&id.as_str()],
        )
        .await?
        .map(|row| {
            Ok(Standing {
                org: OrgId(row.get(0)),
                public_key: row.get(4),
                status: DeviceStatus::parse(row.get(1))?,
                served_up_to: position_from_sql(row.get(2))?,
                handed_in: row.get::<_, Option<i64>>(3).map(Timestamp),
            })
        })
        .transpose()
    }

    async fn note_served(&self, id: &DeviceId, position: u64) -> Result<()> {
        self.execute(
            "UPDATE devices SET served_up_to = GREATEST(served_up_to, $2) WHERE id = $1",
            &[&id.as_str(), &position_to_sql(position)],
        )
        .await?;
        Ok(())
    }

    async fn mark_handed_in(&self, id: &DeviceId, now: Timestamp) -> Result<()> {
        self.execute(
            "UPDATE devices SET handed_in_at = $2 WHERE id = $1",
            &[&id.as_str(), &now.0],
        )
        .await?;
        Ok(())
    }

    async fn set_device_status(&self, id: &DeviceId, status: DeviceStatus) -> Result<()> {
        self.execute(
            "UPDATE devices SET status = $2 WHERE id = $1",
            &[&id.as_str(), &status.as_str()],
        )
        .await?;
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
            .execute(
                "UPDATE devices SET last_seen = $2,
                     audit_seq = COALESCE($3, audit_seq), audit_hash = COALESCE($4, audit_hash)
                 WHERE id = $1",
                &[&id.as_str(), &now.0, &seq, &hash],
            )
            .await?
            == 1)
    }

    async fn forget_nonces_before(&self, cutoff: Timestamp) -> Result<()> {
        self.execute("DELETE FROM nonces WHERE seen_at < $1", &[&cutoff.0])
            .await?;
        Ok(())
    }

    async fn insert_nonce(
        &self,
        device: &DeviceId,
        nonce: [u8; 16],
        now: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO nonces (device, nonce, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&device.as_str(), &&nonce[..], &now.0],
            )
            .await?
            == 1)
    }

    async fn insert_receipt(&self, receipt: &Receipt) -> Result<()> {
        self.execute(
            "INSERT INTO receipts (device, received_at, docs, changes, stored, bytes)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &receipt.device.as_str(),
                &receipt.received_at.0,
                &docs_to_text(&receipt.docs),
                &(receipt.changes as i64),
                &(receipt.stored as i64),
                &(receipt.bytes as i64),
            ],
        )
        .await?;
        Ok(())
    }

    async fn receipts(&self, device: &DeviceId) -> Result<Vec<Receipt>> {
        self.query(
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

    async fn clear_quarantine(&self, device: &DeviceId) -> Result<()> {
        self.execute(
            "DELETE FROM quarantines WHERE device = $1",
            &[&device.as_str()],
        )
        .await?;
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
        self.execute(
            "INSERT INTO quarantines (device, doc, reason, since, reported_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (device, doc) DO NOTHING",
            &[&device.as_str(), &doc.as_str(), &reason, &since.0, &now.0],
        )
        .await?;
        Ok(())
    }

    async fn quarantined(&self, org: Option<&OrgId>) -> Result<Vec<Quarantined>> {
        let org = org.map(OrgId::as_str);
        let rows = self
            .query(
                "SELECT d.org, q.device, q.doc, q.reason, q.since, q.reported_at
                 FROM quarantines q JOIN devices d ON d.id = q.device
                 WHERE $1::TEXT IS NULL OR d.org = $1
                 ORDER BY d.org COLLATE \"C\", q.device COLLATE \"C\", q.doc COLLATE \"C\"",
                &[&org],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| Quarantined {
                org: OrgId(row.get(0)),
                device: DeviceId(row.get(1)),
                doc: PatientId(row.get(2)),
                reason: row.get(3),
                since: Timestamp(row.get(4)),
                reported_at: Timestamp(row.get(5)),
            })
            .collect())
    }

    async fn org_key(&self, org: &OrgId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .query_opt(
                "SELECT wrapped FROM org_keys WHERE org = $1",
                &[&org.as_str()],
            )
            .await?
            .map(|row| row.get(0)))
    }

    async fn insert_org_key(&self, org: &OrgId, wrapped: &[u8]) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO org_keys (org, wrapped) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&org.as_str(), &wrapped],
            )
            .await?
            == 1)
    }

    async fn master_check(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .query_opt("SELECT sealed FROM master_key_check WHERE id = 1", &[])
            .await?
            .map(|row| row.get(0)))
    }

    async fn insert_master_check(&self, check: &[u8]) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO master_key_check (id, sealed) VALUES (1, $1) ON CONFLICT DO NOTHING",
                &[&check],
            )
            .await?
            == 1)
    }

    async fn holds_chart_payloads(&self) -> Result<bool> {
        Ok(self
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM changes) OR EXISTS (SELECT 1 FROM snapshots)",
                &[],
            )
            .await?
            .get(0))
    }

    async fn audit_held_head(&self, device: &DeviceId) -> Result<Option<AuditHead>> {
        self.query_opt(
            "SELECT seq, hash FROM device_audit WHERE device = $1 ORDER BY seq DESC LIMIT 1",
            &[&device.as_str()],
        )
        .await?
        .map(|row| {
            Ok(AuditHead {
                seq: row.get::<_, i64>(0) as u64,
                hash: hash32(row.get(1))?,
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
        self.query(
            "SELECT seq, hash FROM device_audit
             WHERE device = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            &[&device.as_str(), &(from as i64), &(to as i64)],
        )
        .await?
        .into_iter()
        .map(|row| Ok((row.get::<_, i64>(0) as u64, hash32(row.get(1))?)))
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
        self.execute(
            "INSERT INTO device_audit (device, seq, hash, entry, signature, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &device.as_str(),
                &(seq as i64),
                &hash.as_slice(),
                &sealed,
                &signature,
                &now.0,
            ],
        )
        .await?;
        Ok(())
    }

    async fn audit_entries(&self, device: &DeviceId) -> Result<Vec<AuditRow>> {
        self.query(
            "SELECT seq, hash, entry, signature, received_at FROM device_audit
             WHERE device = $1 ORDER BY seq",
            &[&device.as_str()],
        )
        .await?
        .into_iter()
        .map(|row| {
            Ok(AuditRow {
                seq: row.get::<_, i64>(0) as u64,
                hash: hash32(row.get(1))?,
                sealed: row.get(2),
                signature: row.get(3),
                received_at: Timestamp(row.get(4)),
            })
        })
        .collect()
    }

    async fn set_lock_policy(&self, org: &OrgId, lock_after_days: Option<u32>) -> Result<()> {
        match lock_after_days {
            Some(days) => {
                self.execute(
                    "INSERT INTO lock_policies (org, lock_after_days) VALUES ($1, $2)
                     ON CONFLICT (org) DO UPDATE SET lock_after_days = excluded.lock_after_days",
                    &[&org.as_str(), &i32::try_from(days).unwrap_or(i32::MAX)],
                )
                .await?
            }
            None => {
                self.execute("DELETE FROM lock_policies WHERE org = $1", &[&org.as_str()])
                    .await?
            }
        };
        Ok(())
    }

    async fn lock_policy(&self, org: &OrgId) -> Result<Option<u32>> {
        Ok(self
            .query_opt(
                "SELECT lock_after_days FROM lock_policies WHERE org = $1",
                &[&org.as_str()],
            )
            .await?
            .map(|row| row.get::<_, i32>(0) as u32))
    }

    async fn unlock_codes(&self, device: &DeviceId) -> Result<Vec<UnlockCodeHeld>> {
        self.query(
            "SELECT number, salt, hash, issued_at FROM unlock_codes
             WHERE device = $1 ORDER BY number",
            &[&device.as_str()],
        )
        .await?
        .into_iter()
        .map(|row| {
            Ok(UnlockCodeHeld {
                number: row.get::<_, i32>(0) as u32,
                salt: row
                    .get::<_, Vec<u8>>(1)
                    .try_into()
                    .map_err(|_| HubStoreError::corrupt("an unlock code's salt is not 16 bytes"))?,
                hash: hash32(row.get(2))?,
                issued_at: row.get::<_, Option<i64>>(3).map(Timestamp),
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
        self.execute(
            "INSERT INTO unlock_codes (device, number, code, salt, hash, made_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &device.as_str(),
                &(number as i32),
                &sealed,
                &salt.as_slice(),
                &hash.as_slice(),
                &now.0,
            ],
        )
        .await?;
        Ok(())
    }

    async fn unlock_code_sealed(&self, device: &DeviceId, number: u32) -> Result<Option<Vec<u8>>> {
        Ok(self
            .query_opt(
                "SELECT code FROM unlock_codes WHERE device = $1 AND number = $2",
                &[&device.as_str(), &(number as i32)],
            )
            .await?
            .map(|row| row.get(0)))
    }

    async fn mark_unlock_code_issued(
        &self,
        device: &DeviceId,
        number: u32,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            "UPDATE unlock_codes SET issued_at = $3 WHERE device = $1 AND number = $2",
            &[&device.as_str(), &(number as i32), &now.0],
        )
        .await?;
        Ok(())
    }

    async fn org_signing_key(&self, org: &OrgId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .query_opt(
                "SELECT wrapped FROM org_signing_keys WHERE org = $1",
                &[&org.as_str()],
            )
            .await?
            .map(|row| row.get(0)))
    }

    async fn insert_org_signing_key(
        &self,
        org: &OrgId,
        public_key: &[u8; 32],
        wrapped: &[u8],
        now: Timestamp,
    ) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO org_signing_keys (org, public_key, wrapped, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&org.as_str(), &public_key.as_slice(), &wrapped, &now.0],
            )
            .await?
            == 1)
    }

    async fn revocation_list(&self, issuer: &str) -> Result<Option<(u64, Vec<u8>)>> {
        Ok(self
            .query_opt(
                "SELECT sequence, signed FROM revocation_lists WHERE issuer = $1",
                &[&issuer],
            )
            .await?
            .map(|row| (row.get::<_, i64>(0) as u64, row.get(1))))
    }

    async fn revoked_counts(&self, org: &OrgId) -> Result<(u64, u64)> {
        let row = self
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE status = 'revoked-lost') FROM devices
                 WHERE org = $1 AND status <> 'active'",
                &[&org.as_str()],
            )
            .await?;
        Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
    }

    async fn put_revocation_list(
        &self,
        issuer: &str,
        sequence: u64,
        signed: &[u8],
    ) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO revocation_lists (issuer, sequence, signed) VALUES ($1, $2, $3)
                 ON CONFLICT (issuer) DO UPDATE SET sequence = EXCLUDED.sequence, signed = EXCLUDED.signed
                 WHERE revocation_lists.sequence < EXCLUDED.sequence",
                &[&issuer, &(sequence as i64), &signed],
            )
            .await?
            == 1)
    }

    async fn max_cert_serial(&self, org: &OrgId) -> Result<u64> {
        let serial: i64 = self
            .query_one(
                "SELECT COALESCE(MAX(cert_serial), 0) FROM devices WHERE org = $1",
                &[&org.as_str()],
            )
            .await?
            .get(0);
        Ok(serial as u64)
    }

    async fn set_device_cert(
        &self,
        device: &DeviceId,
        bundle_key: &[u8; 32],
        serial: u64,
        cert: &[u8],
    ) -> Result<()> {
        self.execute(
            "UPDATE devices SET bundle_key = $2, cert_serial = $3, cert = $4 WHERE id = $1",
            &[
                &device.as_str(),
                &bundle_key.as_slice(),
                &(serial as i64),
                &cert,
            ],
        )
        .await?;
        Ok(())
    }

    async fn member_certs(&self, org: &OrgId, after: u64) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .query(
                "SELECT cert FROM devices WHERE org = $1 AND status = 'active'
                 AND cert IS NOT NULL AND cert_serial > $2 ORDER BY cert_serial",
                &[&org.as_str(), &(after as i64)],
            )
            .await?
            .into_iter()
            .map(|row| row.get(0))
            .collect())
    }
}
