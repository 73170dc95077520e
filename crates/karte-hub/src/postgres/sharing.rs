//! The rows of share rules and of shares waiting for approval in
//! PostgreSQL.

use deadpool_postgres::GenericClient;
use karte_types::{DeviceId, PatientId, Timestamp};
use tokio_postgres::Row;

use super::PostgresRows;
use crate::rules::ShareRows;
use crate::{HubStoreError, OrgId, PendingShare};

type Result<T> = std::result::Result<T, HubStoreError>;

const PENDING_COLUMNS: &str = "doc, org, from_org, device, requested_at";

fn pending_columns(row: &Row) -> PendingShare {
    PendingShare {
        doc: PatientId(row.get(0)),
        org: OrgId(row.get(1)),
        from_org: OrgId(row.get(2)),
        device: DeviceId(row.get(3)),
        requested_at: Timestamp(row.get(4)),
    }
}

impl<C: GenericClient> ShareRows for PostgresRows<'_, C> {
    async fn accepts_from(&self, org: &OrgId, from: &OrgId) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM share_accepts WHERE org = $1 AND from_org = $2",
                &[&org.as_str(), &from.as_str()],
            )
            .await?
            .is_some())
    }

    async fn accepted_from(&self, org: &OrgId) -> Result<Vec<OrgId>> {
        Ok(self
            .query(
                "SELECT from_org FROM share_accepts WHERE org = $1 ORDER BY from_org COLLATE \"C\"",
                &[&org.as_str()],
            )
            .await?
            .iter()
            .map(|row| OrgId(row.get(0)))
            .collect())
    }

    async fn insert_accept(&self, org: &OrgId, from: &OrgId) -> Result<()> {
        self.execute(
            "INSERT INTO share_accepts (org, from_org) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&org.as_str(), &from.as_str()],
        )
        .await?;
        Ok(())
    }

    async fn approves_each(&self, org: &OrgId) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM share_approvers WHERE org = $1",
                &[&org.as_str()],
            )
            .await?
            .is_some())
    }

    async fn set_approves_each(&self, org: &OrgId, on: bool) -> Result<()> {
        let sql = if on {
            "INSERT INTO share_approvers (org) VALUES ($1) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM share_approvers WHERE org = $1"
        };
        self.execute(sql, &[&org.as_str()]).await?;
        Ok(())
    }

    async fn insert_pending(&self, share: &PendingShare) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO pending_shares (doc, org, from_org, device, requested_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    &share.doc.as_str(),
                    &share.org.as_str(),
                    &share.from_org.as_str(),
                    &share.device.as_str(),
                    &share.requested_at.0,
                ],
            )
            .await?
            == 1)
    }

    async fn pending_share(&self, doc: &PatientId, org: &OrgId) -> Result<Option<PendingShare>> {
        Ok(self
            .query_opt(
                &format!(
                    "SELECT {PENDING_COLUMNS} FROM pending_shares WHERE doc = $1 AND org = $2"
                ),
                &[&doc.as_str(), &org.as_str()],
            )
            .await?
            .as_ref()
            .map(pending_columns))
    }

    async fn pending_for(&self, org: &OrgId) -> Result<Vec<PendingShare>> {
        Ok(self
            .query(
                &format!(
                    "SELECT {PENDING_COLUMNS} FROM pending_shares WHERE org = $1
                     ORDER BY requested_at, doc COLLATE \"C\""
                ),
                &[&org.as_str()],
            )
            .await?
            .iter()
            .map(pending_columns)
            .collect())
    }

    async fn delete_pending(&self, doc: &PatientId, org: &OrgId) -> Result<()> {
        self.execute(
            "DELETE FROM pending_shares WHERE doc = $1 AND org = $2",
            &[&doc.as_str(), &org.as_str()],
        )
        .await?;
        Ok(())
    }
}
