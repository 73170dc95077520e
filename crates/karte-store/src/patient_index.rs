//! The patient index: one small encrypted summary per chart (names, kana,
//! birth date, care level, last visit), so the patient list opens without
//! loading every chart; and beside it, sealed apart so the list never
//! opens it, the chart's consultations, so the daily report reads no chart.

use karte_types::{Consultation, PatientId, PatientSummary};
use rusqlite::{Connection, OptionalExtension, params};

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

/// Vault format 8: the chart's consultations (`Chart::consultations`), so
/// the daily report counts from the index. NULL where they are not known
/// here: in a vault from before format 8, and for a chart filed unloaded
/// with the hub's entry; the report reads such a chart and keeps what it
/// found.
pub(crate) const V8: &str = "
ALTER TABLE patient_index ADD COLUMN consultations BLOB;
";

fn aad(id: &PatientId, version: u64) -> Aad<'_> {
    Aad {
        table: "patient_index",
        row: id.as_str(),
        version,
    }
}

/// The consultations are sealed under their own table name, so an entry
/// cannot be passed off as consultations or the other way round.
fn consultations_aad(id: &PatientId, version: u64) -> Aad<'_> {
    Aad {
        table: "patient_index.consultations",
        row: id.as_str(),
        version,
    }
}

fn seal_consultations(
    key: &SecretKey,
    id: &PatientId,
    version: u64,
    consultations: &[Consultation],
) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(consultations).expect("consultations always serialise");
    seal(key, &consultations_aad(id, version), &json)
}

fn entry_name(id: &str) -> String {
    format!("patient index entry {id}")
}

/// Writes the entry of `id` and its consultations (`None`: not known
/// here). `version` must grow with every write of the entry; the
/// document's `next_seq` does.
pub(crate) fn put(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    summary: &PatientSummary,
    consultations: Option<&[Consultation]>,
    version: u64,
) -> Result<(), StoreError> {
    let json = serde_json::to_vec(summary).expect("a summary always serialises");
    let sealed = seal(key, &aad(id, version), &json)?;
    let consultations = consultations
        .map(|c| seal_consultations(key, id, version, c))
        .transpose()?;
    conn.prepare_cached(
        "INSERT INTO patient_index (document, version, entry, consultations) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (document) DO UPDATE SET version = excluded.version, entry = excluded.entry,
             consultations = excluded.consultations",
    )?
    .execute(params![id.as_str(), version as i64, sealed, consultations])?;
    Ok(())
}

/// Keeps the consultations of `id`, read from its chart at the entry's
/// present version, beside the entry (which is left as it is). Nothing
/// when `id` has no entry.
pub(crate) fn put_consultations(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    consultations: &[Consultation],
) -> Result<(), StoreError> {
    let version: Option<i64> = conn
        .prepare_cached("SELECT version FROM patient_index WHERE document = ?1")?
        .query_row([id.as_str()], |row| row.get(0))
        .optional()?;
    let Some(version) = version else {
        return Ok(());
    };
    let sealed = seal_consultations(key, id, version as u64, consultations)?;
    conn.prepare_cached(
        "UPDATE patient_index SET consultations = ?2 WHERE document = ?1 AND version = ?3",
    )?
    .execute(params![id.as_str(), sealed, version])?;
    Ok(())
}

/// A chart and its consultations as the index keeps them: `None` where
/// they are not known here.
pub type IndexedConsultations = (PatientId, Option<Vec<Consultation>>);

/// The consultations of every chart in the index, in order of patient id.
pub(crate) fn all_consultations(
    conn: &Connection,
    key: &SecretKey,
) -> Result<Vec<IndexedConsultations>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT document, version, consultations FROM patient_index ORDER BY document",
    )?;
    let mut rows = statement.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id = PatientId(row.get(0)?);
        let version = row.get::<_, i64>(1)? as u64;
        let damaged =
            || StoreError::integrity(format!("consultations of {}", entry_name(id.as_str())));
        let consultations = match row.get_ref(2)? {
            rusqlite::types::ValueRef::Null => None,
            value => {
                let sealed = value.as_blob().map_err(|_| damaged())?;
                let plain =
                    open(key, &consultations_aad(&id, version), sealed).map_err(|_| damaged())?;
                Some(serde_json::from_slice(&plain).map_err(|_| damaged())?)
            }
        };
        out.push((id, consultations));
    }
    Ok(out)
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
