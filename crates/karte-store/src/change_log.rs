//! The signature of every change the vault holds, kept beside the charts:
//! which device wrote a change and its Ed25519 signature over the change's
//! hash. Automerge changes have no place for a signature, and a device
//! that holds another device's change must be able to prove who wrote it
//! when it hands the change on (to a hub that lost it, later to a peer).
//!
//! A row per change, in arrival order. Only the chart id (random) and the
//! row's position (a counter) are plaintext; the change hash, the author
//! and the signature are sealed, with the table, the chart and the
//! position bound into the associated data, so a row moved to another
//! chart or position does not open. The store knows nothing of Automerge:
//! it keeps what it is given, once per change hash and chart.

use std::collections::HashSet;

use karte_types::{DeviceId, PatientId};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V5: &str = "
CREATE TABLE change_log (
    -- Plaintext: a counter that never repeats (AUTOINCREMENT), bound into
    -- the sealed value's associated data, and the chart's random id.
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    document TEXT NOT NULL,
    -- Sealed: the change's hash, its author and the author's signature.
    sealed BLOB NOT NULL
);
CREATE INDEX change_log_by_document ON change_log (document, position);
";

const TABLE: &str = "change_log";

/// Who wrote one change, and their signature over its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSignatureRecord {
    /// The change's hash (SHA-256 of the change, as Automerge computes it).
    pub hash: [u8; 32],
    /// The device whose key signed the change.
    pub author: DeviceId,
    /// Ed25519 over the change's signing message.
    pub signature: Vec<u8>,
}

fn aad(document: &PatientId, position: i64) -> Aad<'_> {
    Aad {
        table: TABLE,
        row: document.as_str(),
        version: position as u64,
    }
}

/// Every signature kept for `document`, in arrival order.
pub(crate) fn of_document(
    conn: &Connection,
    key: &SecretKey,
    document: &PatientId,
) -> Result<Vec<ChangeSignatureRecord>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT position, sealed FROM change_log WHERE document = ?1 ORDER BY position",
    )?;
    let rows = statement
        .query_map([document.as_str()], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (position, sealed) in rows {
        let broken =
            || StoreError::integrity(format!("the change log of chart {document} at {position}"));
        let plain =
            Zeroizing::new(open(key, &aad(document, position), &sealed).map_err(|_| broken())?);
        out.push(serde_json::from_slice(&plain).map_err(|_| broken())?);
    }
    Ok(out)
}

/// Keeps the signatures of `document` not kept yet (by change hash).
pub(crate) fn add(
    conn: &Connection,
    key: &SecretKey,
    document: &PatientId,
    records: &[ChangeSignatureRecord],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut held: HashSet<[u8; 32]> = of_document(conn, key, document)?
        .into_iter()
        .map(|record| record.hash)
        .collect();
    // The next position AUTOINCREMENT would give, chosen here so that it
    // is bound into the sealed value: above every position ever used. Read
    // once; the records below take the positions after it in turn.
    let mut position: i64 = conn
        .prepare_cached(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'change_log'), 0),
                        COALESCE((SELECT MAX(position) FROM change_log), 0)) + 1",
        )?
        .query_row([], |row| row.get(0))?;
    for record in records {
        if !held.insert(record.hash) {
            continue;
        }
        let plain =
            Zeroizing::new(serde_json::to_vec(record).expect("a signature record serialises"));
        let sealed = seal(key, &aad(document, position), &plain)?;
        conn.prepare_cached(
            "INSERT INTO change_log (position, document, sealed) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![position, document.as_str(), sealed])?;
        position += 1;
    }
    Ok(())
}

/// Forgets every signature of `document` (a chart removed from the vault).
pub(crate) fn remove(conn: &Connection, document: &PatientId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM change_log WHERE document = ?1")?
        .execute([document.as_str()])?;
    Ok(())
}
