//! Charts in quarantine: what this device received of a chart and could not
//! apply (a change no edit of Karte makes, a bad signature, bytes that do
//! not decode), kept aside as it came, with the reason and when. The chart's
//! last good state stays where it was; the rest of the page it came in is
//! applied, so one bad chart never holds back a device's sync.
//!
//! The received updates are opaque bytes here, sealed like every other
//! value; the reason is an error code and the detail the error's message.

use karte_types::{PatientId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V4: &str = "
CREATE TABLE quarantine (
    -- Plaintext: a random id and a counter, bound into both values'
    -- associated data, that grows with every write of the row.
    document TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    -- Sealed: why and since when (JSON).
    record BLOB NOT NULL,
    -- Sealed: every update received of the chart since, as it came, each
    -- after its length (4 bytes, big-endian).
    received BLOB NOT NULL
);
";

/// A chart in quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedChart {
    pub id: PatientId,
    /// Why the first update was refused: an error code (`forbidden_change`).
    pub reason: String,
    /// The refusal in words.
    pub detail: String,
    /// When the chart was put in quarantine, by this device's clock.
    pub since: Timestamp,
    /// The updates received of the chart, oldest first, as they came.
    pub received: Vec<Vec<u8>>,
}

/// An update of a chart to keep in quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineWrite {
    pub id: PatientId,
    pub reason: String,
    pub detail: String,
    pub at: Timestamp,
    /// The update, as it came.
    pub received: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    reason: String,
    detail: String,
    since: Timestamp,
}

fn aad<'a>(column: &'static str, id: &'a PatientId, version: u64) -> Aad<'a> {
    Aad {
        table: column,
        row: id.as_str(),
        version,
    }
}

const RECORD: &str = "quarantine.record";
const RECEIVED: &str = "quarantine.received";

fn frames(updates: &[Vec<u8>]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    for update in updates {
        let len = u32::try_from(update.len()).expect("an update is under 4 GiB");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(update);
    }
    out
}

fn unframe(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len) as usize;
        let (update, rest) = (rest.get(..len)?, &rest[len..]);
        out.push(update.to_vec());
        bytes = rest;
    }
    Some(out)
}

/// The ids of the charts in quarantine, in id order. Ids are plaintext, so
/// nothing is opened.
pub(crate) fn ids(conn: &Connection) -> Result<Vec<PatientId>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT document FROM quarantine ORDER BY document")?;
    let ids = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .map(|id| id.map(PatientId))
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// One chart in quarantine, with the version of its row.
fn get(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
) -> Result<Option<(QuarantinedChart, u64)>, StoreError> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .prepare_cached("SELECT version, record, received FROM quarantine WHERE document = ?1")?
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((version, record, received)) = row else {
        return Ok(None);
    };
    let version = version as u64;
    let broken = || StoreError::integrity(format!("the quarantine of chart {id}"));
    let record =
        Zeroizing::new(open(key, &aad(RECORD, id, version), &record).map_err(|_| broken())?);
    let record: Record = serde_json::from_slice(&record).map_err(|_| broken())?;
    let received =
        Zeroizing::new(open(key, &aad(RECEIVED, id, version), &received).map_err(|_| broken())?);
    let received = unframe(&received).ok_or_else(broken)?;
    let chart = QuarantinedChart {
        id: id.clone(),
        reason: record.reason,
        detail: record.detail,
        since: record.since,
        received,
    };
    Ok(Some((chart, version)))
}

/// Every chart in quarantine, in id order.
pub(crate) fn list(
    conn: &Connection,
    key: &SecretKey,
) -> Result<Vec<QuarantinedChart>, StoreError> {
    let mut out = Vec::new();
    for id in ids(conn)? {
        if let Some((chart, _)) = get(conn, key, &id)? {
            out.push(chart);
        }
    }
    Ok(out)
}

/// Keeps an update in its chart's quarantine, putting the chart there if it
/// is not yet (then with this update's reason and time); returns whether the
/// chart is new to the quarantine.
pub(crate) fn add(
    conn: &Connection,
    key: &SecretKey,
    write: QuarantineWrite,
) -> Result<bool, StoreError> {
    let QuarantineWrite {
        id,
        reason,
        detail,
        at,
        received,
    } = write;
    let (mut chart, previous, new) = match get(conn, key, &id)? {
        Some((chart, version)) => (chart, version, false),
        None => {
            let chart = QuarantinedChart {
                id: id.clone(),
                reason,
                detail,
                since: at,
                received: Vec::new(),
            };
            (chart, 0, true)
        }
    };
    chart.received.push(received);
    let version = previous + 1;
    let record = Record {
        reason: chart.reason,
        detail: chart.detail,
        since: chart.since,
    };
    let record = Zeroizing::new(serde_json::to_vec(&record).expect("a record always serialises"));
    let record = seal(key, &aad(RECORD, &id, version), &record)?;
    let received = seal(key, &aad(RECEIVED, &id, version), &frames(&chart.received))?;
    conn.prepare_cached(
        "INSERT INTO quarantine (document, version, record, received) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (document) DO UPDATE SET version = excluded.version,
             record = excluded.record, received = excluded.received",
    )?
    .execute(params![id.as_str(), version as i64, record, received])?;
    Ok(new)
}

/// Takes a chart out of quarantine; returns whether it was in it.
pub(crate) fn remove(conn: &Connection, id: &PatientId) -> Result<bool, StoreError> {
    let removed = conn
        .prepare_cached("DELETE FROM quarantine WHERE document = ?1")?
        .execute([id.as_str()])?;
    Ok(removed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_updates_read_back_and_a_cut_frame_does_not() {
        let updates = vec![b"one".to_vec(), Vec::new(), vec![7; 300]];
        let framed = frames(&updates);
        assert_eq!(unframe(&framed), Some(updates));
        assert_eq!(unframe(&framed[..framed.len() - 1]), None);
        assert_eq!(unframe(&[0, 0]), None);
        assert_eq!(unframe(&[]), Some(Vec::new()));
    }
}
