//! The device's trust store: what it needs to tell members of its
//! organisation from strangers without the hub (the organisation's signing
//! key, its own membership cert, peers' certs, the newest revocation list
//! per issuer) and its X25519 key for bundles. Every value is sealed; the
//! plaintext id says only what kind of entry it is and of whom
//! (`anchor:org:<id>`, `cert:<device>`, `crl:org:<id>`, `key:bundle`).
//! The store keeps bytes; what they mean is `karte_sync::trust`'s.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;
use crate::crypto::{Aad, SecretKey, open, seal};

pub(crate) const V6: &str = "
CREATE TABLE trust_store (
    id TEXT PRIMARY KEY,
    -- Grows with every write of the row; bound into the associated data.
    version INTEGER NOT NULL,
    sealed BLOB NOT NULL
);
";

fn aad(id: &str, version: u64) -> Aad<'_> {
    Aad {
        table: "trust_store",
        row: id,
        version,
    }
}

/// Writes `value` under `id`, replacing what was there.
pub(crate) fn put(
    conn: &Connection,
    key: &SecretKey,
    id: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    let version: u64 = conn
        .prepare_cached("SELECT version FROM trust_store WHERE id = ?1")?
        .query_row([id], |row| row.get::<_, i64>(0))
        .optional()?
        .map_or(1, |v| v as u64 + 1);
    let sealed = seal(key, &aad(id, version), value)?;
    conn.prepare_cached(
        "INSERT INTO trust_store (id, version, sealed) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, sealed = excluded.sealed",
    )?
    .execute(params![id, version as i64, sealed])?;
    Ok(())
}

/// Every entry, by id, opened.
pub(crate) fn all(
    conn: &Connection,
    key: &SecretKey,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let rows: Vec<(String, u64, Vec<u8>)> = conn
        .prepare_cached("SELECT id, version, sealed FROM trust_store ORDER BY id")?
        .query_map([], |row| {
            Ok((row.get(0)?, row.get::<_, i64>(1)? as u64, row.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, version, sealed)| {
            let value = open(key, &aad(&id, version), &sealed)
                .map_err(|_| StoreError::integrity(format!("trust store entry {id}")))?;
            Ok((id, value))
        })
        .collect()
}
