//! The vault's data key sealed to its organisation's recovery key, kept in
//! the vault header so that an administrator holding the organisation's
//! offline private key can open this vault when every passphrase is
//! forgotten, and nothing the device has not synced is lost.
//!
//! The store only keeps the sealed box: sealing and opening it is the sync
//! layer's work (HPKE to an X25519 key), handed in as closures and bytes.
//! The box is not sealed again under the data key: it must be readable
//! before any key is known, and it is ciphertext already.

use rusqlite::{Connection, params};

use crate::StoreError;

pub(crate) const V2: &str = "
-- The data key sealed to the organisation's recovery public key; NULL until
-- the device is enrolled.
ALTER TABLE vault_meta ADD COLUMN recovery_box BLOB;
";

pub(crate) fn read(conn: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn.query_row(
        "SELECT recovery_box FROM vault_meta WHERE singleton = 1",
        [],
        |r| r.get(0),
    )?)
}

pub(crate) fn write(conn: &Connection, sealed: &[u8]) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE vault_meta SET recovery_box = ?1 WHERE singleton = 1",
        params![sealed],
    )?;
    Ok(())
}
