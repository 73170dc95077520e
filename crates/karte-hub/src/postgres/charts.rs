//! The charts' rows in PostgreSQL: documents, care-circle members and
//! cached snapshots.

use deadpool_postgres::GenericClient;
use karte_types::{PatientId, Timestamp};

use super::PostgresRows;
use crate::columns::{position_from_sql, position_to_sql};
use crate::rules::{ChartRows, SnapshotRow};
use crate::{HubStoreError, OrgId};

type Result<T> = std::result::Result<T, HubStoreError>;

impl<C: GenericClient> ChartRows for PostgresRows<'_, C> {
    async fn doc_row(&self, doc: &PatientId) -> Result<Option<(OrgId, Timestamp)>> {
        Ok(self
            .query_opt(
                "SELECT owner, created_at FROM documents WHERE id = $1",
                &[&doc.as_str()],
            )
            .await?
            .map(|row| (OrgId(row.get(0)), Timestamp(row.get(1)))))
    }

    async fn insert_doc(&self, doc: &PatientId, owner: &OrgId, now: Timestamp) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO documents (id, owner, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&doc.as_str(), &owner.as_str(), &now.0],
            )
            .await?
            == 1)
    }

    async fn circle(&self, doc: &PatientId) -> Result<Vec<OrgId>> {
        Ok(self
            .query(
                "SELECT org FROM circle_members WHERE doc = $1 ORDER BY org COLLATE \"C\"",
                &[&doc.as_str()],
            )
            .await?
            .iter()
            .map(|row| OrgId(row.get(0)))
            .collect())
    }

    async fn is_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool> {
        Ok(self
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM circle_members WHERE doc = $1 AND org = $2)",
                &[&doc.as_str(), &org.as_str()],
            )
            .await?
            .get(0))
    }

    async fn add_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool> {
        Ok(self
            .execute(
                "INSERT INTO circle_members (doc, org) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&doc.as_str(), &org.as_str()],
            )
            .await?
            == 1)
    }

    async fn remove_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool> {
        Ok(self
            .execute(
                "DELETE FROM circle_members WHERE doc = $1 AND org = $2",
                &[&doc.as_str(), &org.as_str()],
            )
            .await?
            == 1)
    }

    async fn snapshot(&self, doc: &PatientId) -> Result<Option<SnapshotRow>> {
        self.query_opt(
            "SELECT bytes, up_to, arrival FROM snapshots WHERE doc = $1",
            &[&doc.as_str()],
        )
        .await?
        .map(|row| {
            Ok(SnapshotRow {
                bytes: row.get(0),
                up_to: position_from_sql(row.get(1))?,
                arrival: row.get(2),
            })
        })
        .transpose()
    }

    async fn write_snapshot(&self, doc: &PatientId, snapshot: &SnapshotRow) -> Result<()> {
        self.execute(
            "INSERT INTO snapshots (doc, bytes, up_to, arrival) VALUES ($1, $2, $3, $4)
             ON CONFLICT (doc) DO UPDATE
                 SET bytes = excluded.bytes, up_to = excluded.up_to,
                     arrival = excluded.arrival
                 WHERE excluded.up_to >= snapshots.up_to",
            &[
                &doc.as_str(),
                &snapshot.bytes,
                &position_to_sql(snapshot.up_to),
                &snapshot.arrival,
            ],
        )
        .await?;
        Ok(())
    }

    async fn write_arrival(&self, doc: &PatientId, up_to: u64, arrival: &str) -> Result<()> {
        self.execute(
            "UPDATE snapshots SET arrival = $3 WHERE doc = $1 AND up_to = $2",
            &[&doc.as_str(), &position_to_sql(up_to), &arrival],
        )
        .await?;
        Ok(())
    }
}
