//! Chart documents as opaque byte chunks: an encrypted snapshot followed by
//! encrypted incremental chunks, replaced by a single snapshot on compaction.
//!
//! Chunks are numbered by a per-document sequence that only grows, even
//! across compactions, so a chunk's number is never reused and an old chunk
//! cannot be put back in a new one's place. The document row keeps the range
//! of live numbers, plaintext for queries and sealed in `head`, so a chunk
//! removed from the middle or the end of a document is noticed.

use karte_types::PatientId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V1: &str = "
CREATE TABLE documents (
    -- Plaintext: a random id and counters.
    id TEXT PRIMARY KEY,
    base_seq INTEGER NOT NULL,
    next_seq INTEGER NOT NULL,
    -- Sealed: base_seq and next_seq again, bound to next_seq.
    head BLOB NOT NULL
);
CREATE TABLE document_chunks (
    chunk_id INTEGER PRIMARY KEY,
    document TEXT NOT NULL REFERENCES documents (id),
    seq INTEGER NOT NULL,
    -- Sealed: the chunk's bytes, bound to the document and seq.
    ciphertext BLOB NOT NULL,
    UNIQUE (document, seq)
);
";

/// The live chunk numbers of a document: `base..next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    base: u64,
    next: u64,
}

fn chunk_aad(id: &PatientId, seq: u64) -> Aad<'_> {
    Aad {
        table: "document_chunks",
        row: id.as_str(),
        version: seq,
    }
}

fn head_aad(id: &PatientId, next: u64) -> Aad<'_> {
    Aad {
        table: "documents",
        row: id.as_str(),
        version: next,
    }
}

fn chunk_name(id: &PatientId, seq: u64) -> String {
    format!("document {id} chunk {seq}")
}

fn range(conn: &Connection, id: &PatientId) -> Result<Option<Range>, StoreError> {
    let found = conn
        .prepare_cached("SELECT base_seq, next_seq FROM documents WHERE id = ?1")?
        .query_row([id.as_str()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?;
    Ok(found.map(|(base, next)| Range {
        base: base as u64,
        next: next as u64,
    }))
}

fn write_range(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    range: Range,
) -> Result<(), StoreError> {
    let mut plain = [0u8; 16];
    plain[..8].copy_from_slice(&range.base.to_be_bytes());
    plain[8..].copy_from_slice(&range.next.to_be_bytes());
    let head = seal(key, &head_aad(id, range.next), &plain)?;
    conn.prepare_cached(
        "INSERT INTO documents (id, base_seq, next_seq, head) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET base_seq = excluded.base_seq, next_seq = excluded.next_seq, head = excluded.head",
    )?
    .execute(params![id.as_str(), range.base as i64, range.next as i64, head])?;
    Ok(())
}

/// The range, checked against its sealed copy.
fn verified_range(conn: &Connection, key: &SecretKey, id: &PatientId) -> Result<Range, StoreError> {
    let (base, next, head): (i64, i64, Vec<u8>) = conn
        .prepare_cached("SELECT base_seq, next_seq, head FROM documents WHERE id = ?1")?
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::UnknownDocument { id: id.clone() })?;
    let range = Range {
        base: base as u64,
        next: next as u64,
    };
    let plain = open(key, &head_aad(id, range.next), &head).ok();
    let sealed = plain.as_deref().and_then(|p| {
        let p: &[u8; 16] = p.try_into().ok()?;
        Some(Range {
            base: u64::from_be_bytes(p[..8].try_into().ok()?),
            next: u64::from_be_bytes(p[8..].try_into().ok()?),
        })
    });
    if sealed != Some(range) || range.base >= range.next {
        return Err(StoreError::integrity(format!(
            "document {id} (its chunk list)"
        )));
    }
    Ok(range)
}

pub(crate) fn ids(conn: &Connection) -> Result<Vec<PatientId>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT id FROM documents ORDER BY id")?;
    let ids = statement
        .query_map([], |r| Ok(PatientId(r.get(0)?)))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The decrypted chunks of a document in order, the snapshot (if any) first.
pub(crate) fn load(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let range = verified_range(conn, key, id)?;
    let mut statement = conn.prepare_cached(
        "SELECT seq, ciphertext FROM document_chunks WHERE document = ?1 ORDER BY seq",
    )?;
    let mut rows = statement.query([id.as_str()])?;
    let mut chunks = Vec::with_capacity((range.next - range.base) as usize);
    let mut expected = range.base;
    while let Some(row) = rows.next()? {
        let seq = row.get::<_, i64>(0)? as u64;
        if seq != expected {
            let (seq, state) = if seq > expected && expected < range.next {
                (expected, "missing")
            } else {
                (seq, "out of place")
            };
            return Err(StoreError::integrity(format!(
                "{} ({state})",
                chunk_name(id, seq)
            )));
        }
        let sealed: Vec<u8> = row.get(1)?;
        let chunk = open(key, &chunk_aad(id, seq), &sealed)
            .map_err(|_| StoreError::integrity(chunk_name(id, seq)))?;
        chunks.push(chunk);
        expected += 1;
    }
    if expected != range.next {
        return Err(StoreError::integrity(format!(
            "{} (missing)",
            chunk_name(id, expected)
        )));
    }
    Ok(chunks)
}

/// Appends a chunk, creating the document on its first chunk. Returns the
/// document's new `next_seq`, a number that grows with every write.
pub(crate) fn append(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    chunk: &[u8],
) -> Result<u64, StoreError> {
    let old = range(conn, id)?.unwrap_or(Range { base: 0, next: 0 });
    let seq = old.next;
    let new = Range {
        base: old.base,
        next: seq + 1,
    };
    write_range(conn, key, id, new)?;
    let sealed = seal(key, &chunk_aad(id, seq), chunk)?;
    conn.prepare_cached(
        "INSERT INTO document_chunks (document, seq, ciphertext) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![id.as_str(), seq as i64, sealed])?;
    Ok(new.next)
}

/// Removes a document and all its chunks.
pub(crate) fn remove(conn: &Connection, id: &PatientId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM document_chunks WHERE document = ?1")?
        .execute([id.as_str()])?;
    conn.prepare_cached("DELETE FROM documents WHERE id = ?1")?
        .execute([id.as_str()])?;
    Ok(())
}

/// Replaces every chunk of a document with one snapshot.
pub(crate) fn compact(
    conn: &Connection,
    key: &SecretKey,
    id: &PatientId,
    snapshot: &[u8],
) -> Result<(), StoreError> {
    let old = range(conn, id)?.ok_or_else(|| StoreError::UnknownDocument { id: id.clone() })?;
    let seq = old.next;
    conn.prepare_cached("DELETE FROM document_chunks WHERE document = ?1")?
        .execute([id.as_str()])?;
    write_range(
        conn,
        key,
        id,
        Range {
            base: seq,
            next: seq + 1,
        },
    )?;
    let sealed = seal(key, &chunk_aad(id, seq), snapshot)?;
    conn.prepare_cached(
        "INSERT INTO document_chunks (document, seq, ciphertext) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![id.as_str(), seq as i64, sealed])?;
    Ok(())
}
