//! The feed's rows in PostgreSQL: its entries, the changes they point to,
//! the care-circle events, and the candidates of a first sync.

use std::collections::HashSet;

use deadpool_postgres::GenericClient;
use karte_types::{DeviceId, PatientId, Timestamp};
use tokio_postgres::Row;

use super::PostgresRows;
use crate::columns::{EntryColumns, hash32, position_from_sql, position_to_sql};
use crate::rules::{FeedRows, WholeCandidate};
use crate::{CircleEvent, FeedChange, FeedEntry, HubStoreError, OrgId, StoredChange};

type Result<T> = std::result::Result<T, HubStoreError>;

/// The entries of `feed` that organisation `$3` may see in `($1, $2]`:
/// changes of charts in its care circles now, and events addressed to it.
const VISIBLE: &str = "
    FROM feed f LEFT JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
    WHERE f.position > $1 AND f.position <= $2
      AND CASE WHEN f.kind = 'change'
          THEN EXISTS (SELECT 1 FROM circle_members m WHERE m.doc = f.doc AND m.org = $3)
          ELSE f.org = $3
          END
    ORDER BY f.position";

/// The charts of organisation `$1` with a change at or below `$2`, in id
/// order after `$3`: each with its last such change and the size of its
/// cached snapshot, if any, at most `$5` of them. Charts whose every such
/// change device `$4` wrote are left out: it has them all. Ids compare byte
/// by byte, as the device compares them, whatever the database's collation.
/// The check for another writer is a subquery with `LIMIT 1`, not `EXISTS`:
/// PostgreSQL turns an `EXISTS` into a join over every stored change, where
/// this stays a lookup per chart, so a batch streams in id order from
/// `circle_members_by_org_c` and stops at `$5`.
const WHOLE_CANDIDATES: &str = "
    SELECT doc, last, size FROM (
        SELECT m.doc AS doc,
               (SELECT MAX(f.position) FROM feed f
                WHERE f.doc = m.doc AND f.kind = 'change' AND f.position <= $2) AS last,
               octet_length(s.bytes)::bigint AS size
        FROM circle_members m LEFT JOIN snapshots s ON s.doc = m.doc
        WHERE m.org = $1 AND m.doc COLLATE \"C\" > $3) candidates
    WHERE last IS NOT NULL
      AND (SELECT 1 FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
           WHERE f.doc = candidates.doc AND f.kind = 'change' AND f.position <= $2
             AND c.signer <> $4
           LIMIT 1) IS NOT NULL
    ORDER BY doc COLLATE \"C\"
    LIMIT $5";

impl<C: GenericClient> FeedRows for PostgresRows<'_, C> {
    async fn feed_head(&self) -> Result<u64> {
        let head: i64 = self
            .query_one("SELECT COALESCE(MAX(position), 0)::bigint FROM feed", &[])
            .await?
            .get(0);
        position_from_sql(head)
    }

    async fn feed_identity(&self) -> Result<[u8; 16]> {
        let identity: Vec<u8> = self
            .query_one("SELECT feed FROM feed_identity WHERE id = 1", &[])
            .await?
            .get(0);
        identity
            .try_into()
            .map_err(|_| HubStoreError::Corrupt("the feed identity".into()))
    }

    async fn set_feed_identity(&self, identity: [u8; 16]) -> Result<()> {
        self.execute(
            "UPDATE feed_identity SET feed = $1 WHERE id = 1",
            &[&&identity[..]],
        )
        .await?;
        Ok(())
    }

    async fn visible_sizes(
        &self,
        org: &OrgId,
        after: u64,
        head: u64,
        limit: i64,
    ) -> Result<Vec<(u64, usize)>> {
        self.query(
            &format!(
                "SELECT f.position,
                        COALESCE(octet_length(c.bytes) + octet_length(c.signature), 0)::bigint
                 {VISIBLE} LIMIT $4"
            ),
            &[
                &position_to_sql(after),
                &position_to_sql(head),
                &org.as_str(),
                &limit,
            ],
        )
        .await?
        .iter()
        .map(|row| {
            Ok((
                position_from_sql(row.get(0))?,
                row.get::<_, i64>(1) as usize,
            ))
        })
        .collect()
    }

    async fn visible_entries(&self, org: &OrgId, after: u64, up_to: u64) -> Result<Vec<FeedEntry>> {
        self.query(
            &format!(
                "SELECT f.position, f.kind, f.doc, f.hash, c.bytes, c.signer, c.signature {VISIBLE}"
            ),
            &[
                &position_to_sql(after),
                &position_to_sql(up_to),
                &org.as_str(),
            ],
        )
        .await?
        .iter()
        .map(|row| entry_columns(row).into_entry())
        .collect()
    }

    async fn doc_changes(&self, doc: &PatientId, after: u64) -> Result<Vec<FeedChange>> {
        self.query(
            "SELECT f.position, c.hash, c.bytes, c.signer, c.signature
             FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
             WHERE f.doc = $1 AND f.kind = 'change' AND f.position > $2
             ORDER BY f.position",
            &[&doc.as_str(), &position_to_sql(after)],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(FeedChange {
                position: position_from_sql(row.get(0))?,
                doc: doc.clone(),
                hash: hash32(row.get(1))?,
                bytes: row.get(2),
                signer: DeviceId(row.get(3)),
                signature: row.get(4),
            })
        })
        .collect()
    }

    async fn stored_hashes(
        &self,
        doc: &PatientId,
        hashes: &[[u8; 32]],
    ) -> Result<HashSet<[u8; 32]>> {
        let wanted: Vec<&[u8]> = hashes.iter().map(|hash| &hash[..]).collect();
        self.query(
            "SELECT hash FROM changes WHERE doc = $1 AND hash = ANY($2)",
            &[&doc.as_str(), &wanted],
        )
        .await?
        .iter()
        .map(|row| hash32(row.get(0)))
        .collect()
    }

    async fn insert_changes(
        &self,
        doc: &PatientId,
        signer: &DeviceId,
        now: Timestamp,
        changes: &[(u64, &StoredChange)],
    ) -> Result<()> {
        // One statement per table for the whole chart: a push of hundreds
        // of changes is two round trips, not hundreds.
        let positions: Vec<i64> = changes.iter().map(|(p, _)| position_to_sql(*p)).collect();
        let hashes: Vec<&[u8]> = changes.iter().map(|(_, c)| &c.hash[..]).collect();
        let bytes: Vec<&[u8]> = changes.iter().map(|(_, c)| &c.bytes[..]).collect();
        let signatures: Vec<&[u8]> = changes.iter().map(|(_, c)| &c.signature[..]).collect();
        // A relayed change is stored under its author, with the pusher as
        // the relay.
        let signers: Vec<&str> = changes
            .iter()
            .map(|(_, c)| c.author.as_ref().unwrap_or(signer).as_str())
            .collect();
        let relays: Vec<Option<&str>> = changes
            .iter()
            .map(|(_, c)| c.author.as_ref().map(|_| signer.as_str()))
            .collect();
        self.execute(
            "INSERT INTO changes (doc, hash, bytes, signer, signature, received_at, relayed_by)
             SELECT $1, t.hash, t.bytes, t.signer, t.signature, $2, t.relayed_by
             FROM UNNEST($3::bytea[], $4::bytea[], $5::text[], $6::bytea[], $7::text[])
                 AS t(hash, bytes, signer, signature, relayed_by)",
            &[
                &doc.as_str(),
                &now.0,
                &hashes,
                &bytes,
                &signers,
                &signatures,
                &relays,
            ],
        )
        .await?;
        self.execute(
            "INSERT INTO feed (position, doc, kind, hash, at)
             SELECT t.position, $1, 'change', t.hash, $2
             FROM UNNEST($3::bigint[], $4::bytea[]) AS t(position, hash)",
            &[&doc.as_str(), &now.0, &positions, &hashes],
        )
        .await?;
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
        self.execute(
            "INSERT INTO feed (position, doc, kind, org, at) VALUES ($1, $2, $3, $4, $5)",
            &[
                &position_to_sql(position),
                &doc.as_str(),
                &event.kind(),
                &org.as_str(),
                &now.0,
            ],
        )
        .await?;
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
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM feed
                 WHERE doc = $1 AND kind = $4 AND org = $2 AND position > $3)",
                &[
                    &doc.as_str(),
                    &org.as_str(),
                    &position_to_sql(after),
                    &event.kind(),
                ],
            )
            .await?
            .get(0))
    }

    async fn whole_candidates(
        &self,
        org: &OrgId,
        device: &DeviceId,
        head: u64,
        after: &str,
        limit: i64,
    ) -> Result<Vec<WholeCandidate>> {
        self.query(
            WHOLE_CANDIDATES,
            &[
                &org.as_str(),
                &position_to_sql(head),
                &after,
                &device.as_str(),
                &limit,
            ],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(WholeCandidate {
                doc: PatientId(row.get(0)),
                last_change: position_from_sql(row.get(1))?,
                snapshot_size: row.get(2),
            })
        })
        .collect()
    }
}

fn entry_columns(row: &Row) -> EntryColumns {
    EntryColumns {
        position: row.get(0),
        kind: row.get(1),
        doc: row.get(2),
        hash: row.get(3),
        bytes: row.get(4),
        signer: row.get(5),
        signature: row.get(6),
    }
}
