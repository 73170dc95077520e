//! Small values the app keeps beside the charts: unsaved form drafts and the
//! settings the core enforces. Drafts hold what a nurse typed and has not
//! saved yet, so they are sealed like every other value that could hold
//! patient data; the settings ride along in the same table.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V3: &str = "
CREATE TABLE app_values (
    -- Plaintext: `draft:` and a key the UI chose (e.g. `visit-<patient id>`),
    -- or `settings`. Keys name forms and ids, never patient data.
    name TEXT PRIMARY KEY,
    -- A counter, bound into the value's associated data, that grows with
    -- every write of the row.
    version INTEGER NOT NULL,
    -- Sealed: the value's bytes.
    value BLOB NOT NULL
);
";

fn aad(name: &str, version: u64) -> Aad<'_> {
    Aad {
        table: "app_values",
        row: name,
        version,
    }
}

/// Writes `value` under `name`, replacing what was there.
pub(crate) fn put(
    conn: &Connection,
    key: &SecretKey,
    name: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    let version: u64 = conn
        .prepare_cached("SELECT version FROM app_values WHERE name = ?1")?
        .query_row([name], |row| row.get::<_, i64>(0))
        .optional()?
        .map_or(1, |v| v as u64 + 1);
    let sealed = seal(key, &aad(name, version), value)?;
    conn.prepare_cached(
        "INSERT INTO app_values (name, version, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, value = excluded.value",
    )?
    .execute(params![name, version as i64, sealed])?;
    Ok(())
}

/// The value under `name`, if there is one.
pub(crate) fn get(
    conn: &Connection,
    key: &SecretKey,
    name: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row = conn
        .prepare_cached("SELECT version, value FROM app_values WHERE name = ?1")?
        .query_row([name], |row| {
            Ok((row.get::<_, i64>(0)? as u64, row.get::<_, Vec<u8>>(1)?))
        })
        .optional()?;
    let Some((version, sealed)) = row else {
        return Ok(None);
    };
    open(key, &aad(name, version), &sealed)
        .map(Some)
        .map_err(|_| StoreError::integrity(format!("saved value {name}")))
}

pub(crate) fn remove(conn: &Connection, name: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM app_values WHERE name = ?1")?
        .execute([name])?;
    Ok(())
}

/// Checks a draft's key: short, and letters, digits, `-` and `_` only, so
/// it can name a form and an id but not carry free text.
pub(crate) fn draft_name(key: &str) -> Result<String, StoreError> {
    let fine = !key.is_empty()
        && key.len() <= 100
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fine {
        Ok(format!("draft:{key}"))
    } else {
        Err(StoreError::invalid(
            "a draft key is 1 to 100 letters, digits, '-' or '_'",
        ))
    }
}
