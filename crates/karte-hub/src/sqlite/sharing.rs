//! The rows of share rules and of shares waiting for approval in SQLite.

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteRows;
use crate::rules::ShareRows;
use crate::{HubStoreError, OrgId, PendingShare};

type Result<T> = std::result::Result<T, HubStoreError>;

const PENDING_COLUMNS: &str = "doc, org, from_org, device, requested_at";

fn pending_columns(r: &Row<'_>) -> rusqlite::Result<PendingShare> {
    Ok(PendingShare {
        doc: PatientId(r.get(0)?),
        org: OrgId(r.get(1)?),
        from_org: OrgId(r.get(2)?),
        device: DeviceId(r.get(3)?),
        requested_at: Timestamp(r.get(4)?),
    })
}

impl ShareRows for SqliteRows<'_> {
    async fn accepts_from(&self, org: &OrgId, from: &OrgId) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM share_accepts WHERE org = ?1 AND from_org = ?2")?
            .query_row([org.as_str(), from.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn accepted_from(&self, org: &OrgId) -> Result<Vec<OrgId>> {
        Ok(self
            .0
            .prepare_cached("SELECT from_org FROM share_accepts WHERE org = ?1 ORDER BY from_org")?
            .query_map([org.as_str()], |r| r.get(0).map(OrgId))?
            .collect::<rusqlite::Result<_>>()?)
    }

    async fn insert_accept(&self, org: &OrgId, from: &OrgId) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO share_accepts (org, from_org) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute([org.as_str(), from.as_str()])?;
        Ok(())
    }

    async fn approves_each(&self, org: &OrgId) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM share_approvers WHERE org = ?1")?
            .query_row([org.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn set_approves_each(&self, org: &OrgId, on: bool) -> Result<()> {
        let sql = if on {
            "INSERT INTO share_approvers (org) VALUES (?1) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM share_approvers WHERE org = ?1"
        };
        self.0.prepare_cached(sql)?.execute([org.as_str()])?;
        Ok(())
    }

    async fn insert_pending(&self, share: &PendingShare) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO pending_shares (doc, org, from_org, device, requested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                share.doc.as_str(),
                share.org.as_str(),
                share.from_org.as_str(),
                share.device.as_str(),
                share.requested_at.0
            ])?
            == 1)
    }

    async fn pending_share(&self, doc: &PatientId, org: &OrgId) -> Result<Option<PendingShare>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {PENDING_COLUMNS} FROM pending_shares WHERE doc = ?1 AND org = ?2"
            ))?
            .query_row([doc.as_str(), org.as_str()], pending_columns)
            .optional()?)
    }

    async fn pending_for(&self, org: &OrgId) -> Result<Vec<PendingShare>> {
        Ok(self
            .0
            .prepare_cached(&format!(
                "SELECT {PENDING_COLUMNS} FROM pending_shares WHERE org = ?1
                 ORDER BY requested_at, doc"
            ))?
            .query_map([org.as_str()], pending_columns)?
            .collect::<rusqlite::Result<_>>()?)
    }

    async fn delete_pending(&self, doc: &PatientId, org: &OrgId) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM pending_shares WHERE doc = ?1 AND org = ?2")?
            .execute([doc.as_str(), org.as_str()])?;
        Ok(())
    }
}
