//! Reading the feed and the charts in PostgreSQL. Each page is read in one
//! REPEATABLE READ transaction, so its head and its entries come from one
//! snapshot; and because every entry is at or below the head read first,
//! the page holds only positions whose lower neighbours are all committed.

use deadpool_postgres::Object;
use deadpool_postgres::Transaction;
use karte_types::{DeviceId, PatientId, Timestamp};
use tokio_postgres::{GenericClient, IsolationLevel, Row};

use crate::columns::{arrival_from_text, hash32, position_from_sql, position_to_sql};
use crate::feed::{PLAN_BATCH, PagePlan, WholePlan, entry_size};
use crate::{
    CircleEvent, DocRecord, FeedChange, FeedEntry, FeedPage, HubStoreError, OrgId, Snapshot,
    WholeChart, WholePage,
};

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

/// A read-only transaction that sees one snapshot of the database
/// throughout, so what it reads in several queries agrees.
async fn read_only(client: &mut Object) -> Result<Transaction<'_>, HubStoreError> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

pub(super) async fn feed_head(client: &impl GenericClient) -> Result<u64, HubStoreError> {
    let head: i64 = client
        .query_one("SELECT COALESCE(MAX(position), 0)::bigint FROM feed", &[])
        .await?
        .get(0);
    position_from_sql(head)
}

pub(super) async fn read_feed(
    client: &mut Object,
    org: &OrgId,
    after: u64,
    max_bytes: usize,
) -> Result<FeedPage, HubStoreError> {
    let tx = read_only(client).await?;
    let head = feed_head(&*tx).await?;
    if after >= head {
        return Ok(FeedPage {
            entries: Vec::new(),
            next_cursor: after,
            more: false,
            head,
        });
    }
    let mut plan = PagePlan::new(max_bytes);
    let sizes = tx
        .prepare_cached(&format!(
            "SELECT f.position,
                    COALESCE(octet_length(c.bytes) + octet_length(c.signature), 0)::bigint
             {VISIBLE} LIMIT $4"
        ))
        .await?;
    let mut from = after;
    'planning: loop {
        let rows = tx
            .query(
                &sizes,
                &[
                    &position_to_sql(from),
                    &position_to_sql(head),
                    &org.as_str(),
                    &PLAN_BATCH,
                ],
            )
            .await?;
        for row in &rows {
            from = position_from_sql(row.get(0))?;
            if !plan.offer(from, entry_size(row.get::<_, i64>(1) as usize)) {
                break 'planning;
            }
        }
        if rows.len() < PLAN_BATCH as usize {
            break;
        }
    }
    let (cut, more) = plan.finish(head);
    let entries = tx
        .query(
            &format!(
                "SELECT f.position, f.kind, f.doc, f.hash, c.bytes, c.signer, c.signature {VISIBLE}"
            ),
            &[
                &position_to_sql(after),
                &position_to_sql(cut),
                &org.as_str(),
            ],
        )
        .await?
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().await?;
    Ok(FeedPage {
        entries,
        next_cursor: cut,
        more,
        head,
    })
}

fn entry_from_row(row: &Row) -> Result<FeedEntry, HubStoreError> {
    let position = position_from_sql(row.get(0))?;
    let doc = PatientId(row.get(2));
    let kind: &str = row.get(1);
    let hash: Option<Vec<u8>> = row.get(3);
    let bytes: Option<Vec<u8>> = row.get(4);
    let signer: Option<String> = row.get(5);
    let signature: Option<Vec<u8>> = row.get(6);
    match (kind, hash, bytes, signer, signature) {
        ("change", Some(hash), Some(bytes), Some(signer), Some(signature)) => {
            Ok(FeedEntry::Change(FeedChange {
                position,
                doc,
                hash: hash32(hash)?,
                bytes,
                signer: DeviceId(signer),
                signature,
            }))
        }
        ("share", ..) => Ok(FeedEntry::Shared { position, doc }),
        ("unshare", ..) => Ok(FeedEntry::Unshared { position, doc }),
        _ => Err(HubStoreError::corrupt(format!(
            "feed entry {position} without its change"
        ))),
    }
}

pub(super) async fn doc(
    client: &mut Object,
    doc: &PatientId,
) -> Result<Option<DocRecord>, HubStoreError> {
    let tx = read_only(client).await?;
    let Some(row) = tx
        .query_opt(
            "SELECT owner, created_at FROM documents WHERE id = $1",
            &[&doc.as_str()],
        )
        .await?
    else {
        return Ok(None);
    };
    let circle = tx
        .query(
            "SELECT org FROM circle_members WHERE doc = $1 ORDER BY org",
            &[&doc.as_str()],
        )
        .await?
        .iter()
        .map(|row| OrgId(row.get(0)))
        .collect();
    tx.commit().await?;
    Ok(Some(DocRecord {
        id: doc.clone(),
        owner: OrgId(row.get(0)),
        circle,
        created_at: Timestamp(row.get(1)),
    }))
}

pub(super) async fn doc_changes(
    client: &Object,
    doc: &PatientId,
    after: u64,
) -> Result<Vec<FeedChange>, HubStoreError> {
    client
        .query(
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

pub(super) async fn present_changes(
    client: &impl GenericClient,
    doc: &PatientId,
    hashes: &[[u8; 32]],
) -> Result<Vec<[u8; 32]>, HubStoreError> {
    let wanted: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
    let mut present = std::collections::HashSet::new();
    for row in client
        .query(
            "SELECT hash FROM changes WHERE doc = $1 AND hash = ANY($2)",
            &[&doc.as_str(), &wanted],
        )
        .await?
    {
        present.insert(hash32(row.get(0))?);
    }
    // Answer in the order asked, as the SQLite backend does.
    Ok(hashes
        .iter()
        .filter(|hash| present.contains(*hash))
        .copied()
        .collect())
}

/// Whether `doc` has a circle event `event` for `org` after `after`; run on
/// a connection or inside a push's transaction.
pub(super) async fn circle_event_after(
    client: &impl GenericClient,
    doc: &PatientId,
    org: &OrgId,
    event: CircleEvent,
    after: u64,
) -> Result<bool, HubStoreError> {
    Ok(client
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

pub(super) async fn snapshot(
    client: &impl GenericClient,
    doc: &str,
) -> Result<Option<Snapshot>, HubStoreError> {
    client
        .query_opt(
            "SELECT bytes, up_to, arrival FROM snapshots WHERE doc = $1",
            &[&doc],
        )
        .await?
        .map(|row| {
            Ok(Snapshot {
                bytes: row.get(0),
                up_to: position_from_sql(row.get(1))?,
                arrival: arrival_from_text(row.get(2)),
            })
        })
        .transpose()
}

/// The charts of organisation `$1` with a change at or below `$2`, in id
/// order after `$3`: each with its last such change and the position and
/// size of its cached snapshot, if any, at most `$5` of them. Charts whose
/// every such change device `$4` wrote are left out: it has them all. Ids
/// compare byte by byte, as the device compares them, whatever the
/// database's collation. The check for another writer is a subquery with
/// `LIMIT 1`, not `EXISTS`: PostgreSQL turns an `EXISTS` into a join over
/// every stored change, where this stays a lookup per chart, so a batch
/// streams in id order from `circle_members_by_org_c` and stops at `$5`.
const WHOLE_CANDIDATES: &str = "
    SELECT doc, last, up_to, size FROM (
        SELECT m.doc AS doc,
               (SELECT MAX(f.position) FROM feed f
                WHERE f.doc = m.doc AND f.kind = 'change' AND f.position <= $2) AS last,
               s.up_to AS up_to, octet_length(s.bytes)::bigint AS size
        FROM circle_members m LEFT JOIN snapshots s ON s.doc = m.doc
        WHERE m.org = $1 AND m.doc COLLATE \"C\" > $3) candidates
    WHERE last IS NOT NULL
      AND (SELECT 1 FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
           WHERE f.doc = candidates.doc AND f.kind = 'change' AND f.position <= $2
             AND c.signer <> $4
           LIMIT 1) IS NOT NULL
    ORDER BY doc COLLATE \"C\"
    LIMIT $5";

pub(super) async fn whole_charts(
    client: &mut Object,
    org: &OrgId,
    device: &DeviceId,
    head: Option<u64>,
    after: Option<&PatientId>,
    max_bytes: usize,
) -> Result<WholePage, HubStoreError> {
    let tx = read_only(client).await?;
    let head = match head {
        Some(head) => head,
        None => feed_head(&*tx).await?,
    };
    // Read in batches until the page is planned: a page takes a few hundred
    // of an organisation's thousands of charts.
    let query = tx.prepare_cached(WHOLE_CANDIDATES).await?;
    let mut from = after.map_or("", PatientId::as_str).to_owned();
    let mut rows = Vec::new();
    let mut plan = WholePlan::new(max_bytes);
    let (taken, more) = loop {
        let batch = tx
            .query(
                &query,
                &[
                    &org.as_str(),
                    &position_to_sql(head),
                    &from,
                    &device.as_str(),
                    &PLAN_BATCH,
                ],
            )
            .await?;
        if let Some(last) = batch.last() {
            from = last.get(0);
        }
        let planned = plan.offer(batch.iter().map(|row| row.get::<_, Option<i64>>(3)));
        rows.extend(batch);
        if let Some(planned) = planned {
            break planned;
        }
    };
    let mut charts = Vec::with_capacity(taken);
    for row in rows.into_iter().take(taken) {
        let doc: String = row.get(0);
        let snapshot = match row.get::<_, Option<i64>>(2) {
            Some(_) => snapshot(&*tx, &doc).await?,
            None => None,
        };
        charts.push(WholeChart {
            doc: PatientId(doc),
            last_change: position_from_sql(row.get(1))?,
            snapshot,
        });
    }
    tx.commit().await?;
    Ok(WholePage { head, charts, more })
}
