//! The charts' rows in SQLite: documents, care-circle members and cached
//! snapshots.

use karte_types::{PatientId, Timestamp};
use rusqlite::{OptionalExtension, params};

use super::SqliteRows;
use crate::columns::{position_from_sql, position_to_sql};
use crate::rules::{ChartRows, SnapshotRow};
use crate::{HubStoreError, OrgId};

type Result<T> = std::result::Result<T, HubStoreError>;

impl ChartRows for SqliteRows<'_> {
    async fn doc_row(&self, doc: &PatientId) -> Result<Option<(OrgId, Timestamp)>> {
        Ok(self
            .0
            .prepare_cached("SELECT owner, created_at FROM documents WHERE id = ?1")?
            .query_row([doc.as_str()], |r| {
                Ok((OrgId(r.get(0)?), Timestamp(r.get(1)?)))
            })
            .optional()?)
    }

    async fn insert_doc(&self, doc: &PatientId, owner: &OrgId, now: Timestamp) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO documents (id, owner, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![doc.as_str(), owner.as_str(), now.0])?
            == 1)
    }

    async fn circle(&self, doc: &PatientId) -> Result<Vec<OrgId>> {
        Ok(self
            .0
            .prepare_cached("SELECT org FROM circle_members WHERE doc = ?1 ORDER BY org")?
            .query_map([doc.as_str()], |r| r.get(0).map(OrgId))?
            .collect::<rusqlite::Result<_>>()?)
    }

    async fn is_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM circle_members WHERE doc = ?1 AND org = ?2)",
            )?
            .query_row([doc.as_str(), org.as_str()], |r| r.get(0))?)
    }

    async fn add_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "INSERT INTO circle_members (doc, org) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute([doc.as_str(), org.as_str()])?
            == 1)
    }

    async fn remove_member(&self, doc: &PatientId, org: &OrgId) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("DELETE FROM circle_members WHERE doc = ?1 AND org = ?2")?
            .execute([doc.as_str(), org.as_str()])?
            == 1)
    }

    async fn snapshot(&self, doc: &PatientId) -> Result<Option<SnapshotRow>> {
        self.0
            .prepare_cached("SELECT bytes, up_to, arrival FROM snapshots WHERE doc = ?1")?
            .query_row([doc.as_str()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .optional()?
            .map(|(bytes, up_to, arrival)| {
                Ok(SnapshotRow {
                    bytes,
                    up_to: position_from_sql(up_to)?,
                    arrival,
                })
            })
            .transpose()
    }

    async fn write_snapshot(&self, doc: &PatientId, snapshot: &SnapshotRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO snapshots (doc, bytes, up_to, arrival) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (doc) DO UPDATE
                     SET bytes = excluded.bytes, up_to = excluded.up_to,
                         arrival = excluded.arrival
                 WHERE excluded.up_to >= snapshots.up_to",
            )?
            .execute(params![
                doc.as_str(),
                snapshot.bytes,
                position_to_sql(snapshot.up_to),
                snapshot.arrival,
            ])?;
        Ok(())
    }

    async fn write_arrival(&self, doc: &PatientId, up_to: u64, arrival: &str) -> Result<()> {
        self.0
            .prepare_cached("UPDATE snapshots SET arrival = ?3 WHERE doc = ?1 AND up_to = ?2")?
            .execute(params![doc.as_str(), position_to_sql(up_to), arrival])?;
        Ok(())
    }
}
