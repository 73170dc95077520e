//! The feed's rows in SQLite: its entries, the changes they point to, the
//! care-circle events, and the candidates of a first sync.

use std::collections::HashSet;

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::{Row, params};

use super::SqliteRows;
use crate::columns::{EntryColumns, hash32, position_from_sql, position_to_sql};
use crate::rules::{FeedRows, WholeCandidate};
use crate::{CircleEvent, FeedChange, FeedEntry, HubStoreError, OrgId, StoredChange};

type Result<T> = std::result::Result<T, HubStoreError>;

/// The entries of `feed` that organisation `?3` may see in `(?1, ?2]`:
/// changes of charts in its care circles now, and events addressed to it.
const VISIBLE: &str = "
    FROM feed f LEFT JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
    WHERE f.position > ?1 AND f.position <= ?2
      AND CASE f.kind
          WHEN 'change' THEN EXISTS (
              SELECT 1 FROM circle_members m WHERE m.doc = f.doc AND m.org = ?3)
          ELSE f.org = ?3
          END
    ORDER BY f.position";

/// The charts of organisation `?1` with a change at or below `?2`, in id
/// order after `?3`: each with its last such change and the size of its
/// cached snapshot, if any, at most `?5` of them. Charts whose every such
/// change device `?4` wrote are left out: it has them all. Text compares
/// byte by byte in SQLite, as the device compares ids.
const WHOLE_CANDIDATES: &str = "
    SELECT doc, last, size FROM (
        SELECT m.doc AS doc,
               (SELECT MAX(f.position) FROM feed f
                WHERE f.doc = m.doc AND f.kind = 'change' AND f.position <= ?2) AS last,
               length(s.bytes) AS size
        FROM circle_members m LEFT JOIN snapshots s ON s.doc = m.doc
        WHERE m.org = ?1 AND m.doc > ?3) candidates
    WHERE last IS NOT NULL
      AND (SELECT 1 FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
           WHERE f.doc = candidates.doc AND f.kind = 'change' AND f.position <= ?2
             AND c.signer <> ?4
           LIMIT 1) IS NOT NULL
    ORDER BY doc
    LIMIT ?5";

impl FeedRows for SqliteRows<'_> {
    async fn feed_head(&self) -> Result<u64> {
        let head: i64 = self
            .0
            .prepare_cached("SELECT COALESCE(MAX(position), 0) FROM feed")?
            .query_row([], |r| r.get(0))?;
        position_from_sql(head)
    }

    async fn feed_identity(&self) -> Result<[u8; 16]> {
        let identity: Vec<u8> = self
            .0
            .prepare_cached("SELECT feed FROM feed_identity WHERE id = 1")?
            .query_row([], |r| r.get(0))?;
        identity
            .try_into()
            .map_err(|_| HubStoreError::Corrupt("the feed identity".into()))
    }

    async fn set_feed_identity(&self, identity: [u8; 16]) -> Result<()> {
        self.0
            .prepare_cached("UPDATE feed_identity SET feed = ?1 WHERE id = 1")?
            .execute([&identity[..]])?;
        Ok(())
    }

    async fn visible_sizes(
        &self,
        org: &OrgId,
        after: u64,
        head: u64,
        limit: i64,
    ) -> Result<Vec<(u64, usize)>> {
        self.0
            .prepare_cached(&format!(
                "SELECT f.position, COALESCE(length(c.bytes) + length(c.signature), 0)
                 {VISIBLE} LIMIT ?4"
            ))?
            .query_map(
                params![
                    position_to_sql(after),
                    position_to_sql(head),
                    org.as_str(),
                    limit
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?
            .map(|row| {
                let (position, size) = row?;
                Ok((position_from_sql(position)?, size as usize))
            })
            .collect()
    }

    async fn visible_entries(&self, org: &OrgId, after: u64, up_to: u64) -> Result<Vec<FeedEntry>> {
        self.0
            .prepare_cached(&format!(
                "SELECT f.position, f.kind, f.doc, f.hash, c.bytes, c.signer, c.signature {VISIBLE}"
            ))?
            .query_map(
                params![position_to_sql(after), position_to_sql(up_to), org.as_str()],
                entry_columns,
            )?
            .map(|row| row.map_err(HubStoreError::from)?.into_entry())
            .collect()
    }

    async fn doc_changes(&self, doc: &PatientId, after: u64) -> Result<Vec<FeedChange>> {
        self.0
            .prepare_cached(
                "SELECT f.position, c.hash, c.bytes, c.signer, c.signature
                 FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
                 WHERE f.doc = ?1 AND f.kind = 'change' AND f.position > ?2
                 ORDER BY f.position",
            )?
            .query_map(params![doc.as_str(), position_to_sql(after)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })?
            .map(|row| {
                let (position, hash, bytes, signer, signature) = row?;
                Ok(FeedChange {
                    position: position_from_sql(position)?,
                    doc: doc.clone(),
                    hash: hash32(hash)?,
                    bytes,
                    signer: DeviceId(signer),
                    signature,
                })
            })
            .collect()
    }

    async fn stored_hashes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> Result<HashSet<[u8; 32]>> {
        let mut exists = self
            .0
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM changes WHERE doc = ?1 AND hash = ?2)")?;
        let mut stored = HashSet::new();
        for hash in hashes {
            if exists.query_row(params![doc.as_str(), &hash[..]], |r| r.get(0))? {
                stored.insert(*hash);
            }
        }
        Ok(stored)
    }

    async fn insert_changes(
        &self,
        doc: &PatientId,
        signer: &DeviceId,
        now: Timestamp,
        changes: &[(u64, &StoredChange)],
    ) -> Result<()> {
        let mut insert_change = self.0.prepare_cached(
            "INSERT INTO changes (doc, hash, bytes, signer, signature, received_at, relayed_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut insert_entry = self.0.prepare_cached(
            "INSERT INTO feed (position, doc, kind, hash, at) VALUES (?1, ?2, 'change', ?3, ?4)",
        )?;
        for (position, change) in changes {
            insert_change.execute(params![
                doc.as_str(),
                &change.hash[..],
                change.bytes,
                change.author.as_ref().unwrap_or(signer).as_str(),
                change.signature,
                now.0,
                change.author.as_ref().map(|_| signer.as_str()),
            ])?;
            insert_entry.execute(params![
                position_to_sql(*position),
                doc.as_str(),
                &change.hash[..],
                now.0
            ])?;
        }
        Ok(())
    }

    async fn insert_circle_event(
        &self,
        position: u64,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        now: Timestamp,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO feed (position, doc, kind, org, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                position_to_sql(position),
                doc.as_str(),
                event.kind(),
                org.as_str(),
                now.0
            ])?;
        Ok(())
    }

    async fn circle_event_after(
        &self,
        doc: &PatientId,
        org: &OrgId,
        event: CircleEvent,
        after: u64,
    ) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM feed
                 WHERE doc = ?1 AND kind = ?4 AND org = ?2 AND position > ?3)",
            )?
            .query_row(
                params![
                    doc.as_str(),
                    org.as_str(),
                    position_to_sql(after),
                    event.kind()
                ],
                |r| r.get(0),
            )?)
    }

    async fn whole_candidates(
        &self,
        org: &OrgId,
        device: &DeviceId,
        head: u64,
        after: &str,
        limit: i64,
    ) -> Result<Vec<WholeCandidate>> {
        self.0
            .prepare_cached(WHOLE_CANDIDATES)?
            .query_map(
                params![
                    org.as_str(),
                    position_to_sql(head),
                    after,
                    device.as_str(),
                    limit
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                    ))
                },
            )?
            .map(|row| {
                let (doc, last, size) = row?;
                Ok(WholeCandidate {
                    doc: PatientId(doc),
                    last_change: position_from_sql(last)?,
                    snapshot_size: size,
                })
            })
            .collect()
    }
}

fn entry_columns(r: &Row<'_>) -> rusqlite::Result<EntryColumns> {
    Ok(EntryColumns {
        position: r.get(0)?,
        kind: r.get(1)?,
        doc: r.get(2)?,
        hash: r.get(3)?,
        bytes: r.get(4)?,
        signer: r.get(5)?,
        signature: r.get(6)?,
    })
}
