//! The patient index: one small encrypted summary per chart (names, kana,
//! birth date, care level, last visit), so the patient list opens without
//! loading every chart.

use karte_types::{PatientId, PatientSummary};
use rusqlite::{Connection, params};

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V1: &str = "
CREATE TABLE patient_index (
    document TEXT PRIMARY KEY REFERENCES documents (id),
    -- A counter, bound into the entry's associated data.
    version INTEGER NOT NULL,
    -- Sealed: the PatientSummary as JSON.
    entry BLOB NOT NULL
);
";

fn aad(id: &PatientId, version: u64) -> Aad<'_> {
    Aad {
        table: "patient_index",
        row: id.as_str(),
        version,
    }
}

fn entry_name(id: &str) -> String {
    format!("patient index entry {id}")
}

/// Writes the entry of `id`. `version` must grow with every write of the
/// entry; the document's `next_seq` does.
pub(crate) fn put(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    summary: &PatientSummary,
    version: u64,
) -> Result<(), StoreError> {
    let json = serde_json::to_vec(summary).expect("a summary always serialises");
    let sealed = seal(key, &aad(id, version), &json)?;
    conn.prepare_cached(
        "INSERT INTO patient_index (document, version, entry) VALUES (?1, ?2, ?3)
         ON CONFLICT (document) DO UPDATE SET version = excluded.version, entry = excluded.entry",
    )?
    .execute(params![id.as_str(), version as i64, sealed])?;
    Ok(())
}

pub(crate) fn remove(conn: &Connection, id: &PatientId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM patient_index WHERE document = ?1")?
        .execute([id.as_str()])?;
    Ok(())
}

/// Every entry, in order of patient id.
pub(crate) fn all(conn: &Connection, key: &SecretKey) -> Result<Vec<PatientSummary>, StoreError> {
    let mut statement = conn
        .prepare_cached("SELECT document, version, entry FROM patient_index ORDER BY document")?;
    let mut rows = statement.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(opened(key, row)?.1);
    }
    Ok(out)
}

/// The entry of `id` and its version, if it has one.
pub(crate) fn entry(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
) -> Result<Option<(u64, PatientSummary)>, StoreError> {
    let mut statement = conn
        .prepare_cached("SELECT document, version, entry FROM patient_index WHERE document = ?1")?;
    let mut rows = statement.query([id.as_str()])?;
    rows.next()?.map(|row| opened(key, row)).transpose()
}

/// One row opened and checked: its version and summary.
fn opened(key: &SecretKey, row: &rusqlite::Row<'_>) -> Result<(u64, PatientSummary), StoreError> {
    let id = PatientId(row.get(0)?);
    let version = row.get::<_, i64>(1)? as u64;
    let damaged = || StoreError::integrity(entry_name(id.as_str()));
    let sealed = row.get_ref(2)?.as_blob().map_err(|_| damaged())?;
    let plain = open(key, &aad(&id, version), sealed).map_err(|_| damaged())?;
    let summary: PatientSummary = serde_json::from_slice(&plain).map_err(|_| damaged())?;
    if summary.id != id {
        return Err(damaged());
    }
    Ok((version, summary))
}
