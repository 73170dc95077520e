//! Reading the feed and the charts in SQLite. Each page is read in one read
//! transaction, so its head and its entries come from one snapshot.

use karte_types::{DeviceId, PatientId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::columns::{arrival_from_text, hash32, position_from_sql, position_to_sql};
use crate::feed::{PLAN_BATCH, PagePlan, WholePlan, entry_size};
use crate::{
    CircleEvent, DocRecord, FeedChange, FeedEntry, FeedPage, HubStoreError, OrgId, Snapshot,
    WholeChart, WholePage,
};

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

pub(super) fn feed_head(tx: &Transaction<'_>) -> Result<u64, HubStoreError> {
    let head: i64 = tx.query_row("SELECT COALESCE(MAX(position), 0) FROM feed", [], |r| {
        r.get(0)
    })?;
    position_from_sql(head)
}

pub(super) fn read_feed(
    conn: &mut Connection,
    org: &OrgId,
    after: u64,
    max_bytes: usize,
) -> Result<FeedPage, HubStoreError> {
    let tx = conn.transaction()?;
    let head = feed_head(&tx)?;
    if after >= head {
        return Ok(FeedPage {
            entries: Vec::new(),
            next_cursor: after,
            more: false,
            head,
        });
    }
    let mut plan = PagePlan::new(max_bytes);
    let mut sizes = tx.prepare_cached(&format!(
        "SELECT f.position, COALESCE(length(c.bytes) + length(c.signature), 0) {VISIBLE} LIMIT ?4"
    ))?;
    let mut from = after;
    'planning: loop {
        let rows = sizes
            .query_map(
                params![
                    position_to_sql(from),
                    position_to_sql(head),
                    org.as_str(),
                    PLAN_BATCH
                ],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        for &(position, size) in &rows {
            from = position_from_sql(position)?;
            if !plan.offer(from, entry_size(size as usize)) {
                break 'planning;
            }
        }
        if rows.len() < PLAN_BATCH as usize {
            break;
        }
    }
    let (cut, more) = plan.finish(head);
    let mut entries = tx.prepare_cached(&format!(
        "SELECT f.position, f.kind, f.doc, f.hash, c.bytes, c.signer, c.signature {VISIBLE}"
    ))?;
    let entries = entries
        .query_map(
            params![position_to_sql(after), position_to_sql(cut), org.as_str()],
            entry_columns,
        )?
        .map(|row| {
            row.map_err(HubStoreError::from)
                .and_then(entry_from_columns)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FeedPage {
        entries,
        next_cursor: cut,
        more,
        head,
    })
}

type EntryColumns = (
    i64,
    String,
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<String>,
    Option<Vec<u8>>,
);

fn entry_columns(r: &Row<'_>) -> rusqlite::Result<EntryColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn entry_from_columns(columns: EntryColumns) -> Result<FeedEntry, HubStoreError> {
    let (position, kind, doc, hash, bytes, signer, signature) = columns;
    let (position, doc) = (position_from_sql(position)?, PatientId(doc));
    match (kind.as_str(), hash, bytes, signer, signature) {
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

pub(super) fn feed_head_of(conn: &mut Connection) -> Result<u64, HubStoreError> {
    feed_head(&conn.transaction()?)
}

pub(super) fn doc(
    conn: &mut Connection,
    doc: &PatientId,
) -> Result<Option<DocRecord>, HubStoreError> {
    let tx = conn.transaction()?;
    let Some((owner, created_at)) = tx
        .query_row(
            "SELECT owner, created_at FROM documents WHERE id = ?1",
            [doc.as_str()],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let circle = tx
        .prepare_cached("SELECT org FROM circle_members WHERE doc = ?1 ORDER BY org")?
        .query_map([doc.as_str()], |r| r.get(0).map(OrgId))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(DocRecord {
        id: doc.clone(),
        owner: OrgId(owner),
        circle,
        created_at: Timestamp(created_at),
    }))
}

pub(super) fn doc_changes(
    conn: &mut Connection,
    doc: &PatientId,
    after: u64,
) -> Result<Vec<FeedChange>, HubStoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT f.position, c.hash, c.bytes, c.signer, c.signature
         FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
         WHERE f.doc = ?1 AND f.kind = 'change' AND f.position > ?2
         ORDER BY f.position",
    )?;
    let rows = statement.query_map(params![doc.as_str(), position_to_sql(after)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Vec<u8>>(4)?,
        ))
    })?;
    rows.map(|row| {
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

pub(super) fn present_changes(
    conn: &mut Connection,
    doc: &PatientId,
    hashes: &[[u8; 32]],
) -> Result<Vec<[u8; 32]>, HubStoreError> {
    let mut statement =
        conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM changes WHERE doc = ?1 AND hash = ?2)")?;
    let mut present = Vec::new();
    for hash in hashes {
        if statement.query_row(params![doc.as_str(), &hash[..]], |r| r.get(0))? {
            present.push(*hash);
        }
    }
    Ok(present)
}

/// Whether `doc` has a circle event of kind `?4` for `org` after `?3`; run
/// on a connection or inside a push's transaction.
pub(super) const CIRCLE_EVENT_AFTER: &str = "SELECT EXISTS (SELECT 1 FROM feed
     WHERE doc = ?1 AND kind = ?4 AND org = ?2 AND position > ?3)";

pub(super) fn circle_event_after(
    conn: &Connection,
    doc: &PatientId,
    org: &OrgId,
    event: CircleEvent,
    after: u64,
) -> Result<bool, HubStoreError> {
    Ok(conn.query_row(
        CIRCLE_EVENT_AFTER,
        params![
            doc.as_str(),
            org.as_str(),
            position_to_sql(after),
            event.kind()
        ],
        |r| r.get(0),
    )?)
}

pub(super) fn snapshot(conn: &Connection, doc: &str) -> Result<Option<Snapshot>, HubStoreError> {
    let row = conn
        .prepare_cached("SELECT bytes, up_to, arrival FROM snapshots WHERE doc = ?1")?
        .query_row([doc], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()?;
    row.map(|(bytes, up_to, arrival)| {
        Ok(Snapshot {
            bytes,
            up_to: position_from_sql(up_to)?,
            arrival: arrival_from_text(arrival),
        })
    })
    .transpose()
}

/// The charts of organisation `?1` with a change at or below `?2`, in id
/// order after `?3`: each with its last such change and the position and
/// size of its cached snapshot, if any, at most `?5` of them. Charts whose
/// every such change device `?4` wrote are left out: it has them all.
const WHOLE_CANDIDATES: &str = "
    SELECT doc, last, up_to, size FROM (
        SELECT m.doc AS doc,
               (SELECT MAX(f.position) FROM feed f
                WHERE f.doc = m.doc AND f.kind = 'change' AND f.position <= ?2) AS last,
               s.up_to AS up_to, length(s.bytes) AS size
        FROM circle_members m LEFT JOIN snapshots s ON s.doc = m.doc
        WHERE m.org = ?1 AND m.doc > ?3) candidates
    WHERE last IS NOT NULL
      AND (SELECT 1 FROM feed f JOIN changes c ON c.doc = f.doc AND c.hash = f.hash
           WHERE f.doc = candidates.doc AND f.kind = 'change' AND f.position <= ?2
             AND c.signer <> ?4
           LIMIT 1) IS NOT NULL
    ORDER BY doc
    LIMIT ?5";

pub(super) fn whole_charts(
    conn: &mut Connection,
    org: &OrgId,
    device: &DeviceId,
    head: Option<u64>,
    after: Option<&PatientId>,
    max_bytes: usize,
) -> Result<WholePage, HubStoreError> {
    let tx = conn.transaction()?;
    let head = match head {
        Some(head) => head,
        None => feed_head(&tx)?,
    };
    // Read in batches until the page is planned: a page takes a few hundred
    // of an organisation's thousands of charts.
    let mut from = after.map_or("", PatientId::as_str).to_owned();
    let mut rows = Vec::new();
    let mut plan = WholePlan::new(max_bytes);
    let (taken, more) = loop {
        let batch = tx
            .prepare_cached(WHOLE_CANDIDATES)?
            .query_map(
                params![
                    org.as_str(),
                    position_to_sql(head),
                    from,
                    device.as_str(),
                    PLAN_BATCH
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                    ))
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(last) = batch.last() {
            from = last.0.clone();
        }
        let planned = plan.offer(batch.iter().map(|row| row.3));
        rows.extend(batch);
        if let Some(planned) = planned {
            break planned;
        }
    };
    let mut charts = Vec::with_capacity(taken);
    for (doc, last, up_to, _) in rows.into_iter().take(taken) {
        let snapshot = match up_to {
            Some(_) => snapshot(&tx, &doc)?,
            None => None,
        };
        charts.push(WholeChart {
            doc: PatientId(doc),
            last_change: position_from_sql(last)?,
            snapshot,
        });
    }
    Ok(WholePage { head, charts, more })
}
