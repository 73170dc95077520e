//! Opening the hub's SQLite file: connection settings and migrations.
//!
//! A landed migration is never edited: a change to the schema is a new entry
//! at the end of `MIGRATIONS`, and `PRAGMA user_version` records how many
//! have run. Migrations run under `BEGIN IMMEDIATE`, so hub processes
//! starting at once against one file migrate it exactly once.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::HubStoreError;

/// `PRAGMA application_id` of every hub database: "KHUB".
const APPLICATION_ID: i32 = 0x4b48_5542;

/// How long a writer waits for another to commit before giving up. Writers
/// hold the lock only for one short transaction each.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The migrations, in order; entry `n` brings the database to `user_version` n+1.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9, V10];

const LATEST: i64 = MIGRATIONS.len() as i64;

/// The first schema. Times are milliseconds since the Unix epoch by the
/// hub's clock; feed positions are the rowids of `feed`.
const V1: &str = "
CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    recovery_public_key BLOB NOT NULL
) STRICT;

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL REFERENCES orgs(id),
    public_key BLOB NOT NULL,
    actor_prefix BLOB NOT NULL CHECK (length(actor_prefix) = 16),
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'revoked-lost')),
    enrolled_at INTEGER NOT NULL,
    last_seen INTEGER,
    audit_seq INTEGER,
    audit_hash BLOB CHECK (audit_hash IS NULL OR length(audit_hash) = 32)
) STRICT;
CREATE INDEX devices_by_org ON devices(org, id);

CREATE TABLE enrolments (
    code_hash BLOB PRIMARY KEY CHECK (length(code_hash) = 32),
    org TEXT NOT NULL REFERENCES orgs(id),
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    device TEXT
) STRICT;

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL REFERENCES orgs(id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE circle_members (
    doc TEXT NOT NULL REFERENCES documents(id),
    org TEXT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (doc, org)
) STRICT, WITHOUT ROWID;
CREATE INDEX circle_members_by_org ON circle_members(org, doc);

CREATE TABLE changes (
    doc TEXT NOT NULL REFERENCES documents(id),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    bytes BLOB NOT NULL,
    signer TEXT NOT NULL REFERENCES devices(id),
    signature BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (doc, hash)
) STRICT;

CREATE TABLE feed (
    position INTEGER PRIMARY KEY CHECK (position > 0),
    doc TEXT NOT NULL REFERENCES documents(id),
    kind TEXT NOT NULL CHECK (kind IN ('change', 'share', 'unshare')),
    hash BLOB,
    org TEXT REFERENCES orgs(id),
    at INTEGER NOT NULL,
    CHECK ((kind = 'change' AND hash IS NOT NULL AND org IS NULL)
        OR (kind <> 'change' AND hash IS NULL AND org IS NOT NULL))
) STRICT;
CREATE INDEX feed_by_doc ON feed(doc, position);

CREATE TABLE snapshots (
    doc TEXT PRIMARY KEY REFERENCES documents(id),
    bytes BLOB NOT NULL,
    up_to INTEGER NOT NULL
) STRICT;

CREATE TABLE nonces (
    device TEXT NOT NULL,
    nonce BLOB NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (device, nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX nonces_by_age ON nonces(seen_at);

CREATE TABLE receipts (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    docs TEXT NOT NULL,
    changes INTEGER NOT NULL,
    stored INTEGER NOT NULL,
    bytes INTEGER NOT NULL
) STRICT;
CREATE INDEX receipts_by_device ON receipts(device, id);
CREATE TRIGGER receipts_never_change BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'the receive log is append-only'); END;
CREATE TRIGGER receipts_never_vanish BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'the receive log is append-only'); END;
";

/// What a device receiving a snapshot whole would do with it (JSON of
/// `Arrival`), worked out after the snapshot is saved; NULL until then.
const V2: &str = "ALTER TABLE snapshots ADD COLUMN arrival TEXT;";

/// What the hub answered each device with and a retired device's final
/// contact; the rules organisations set for charts shared into them, and
/// the shares waiting for approval (issue 11, items 2 and 3).
const V3: &str = "
ALTER TABLE devices ADD COLUMN served_up_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN handed_in_at INTEGER;

CREATE TABLE share_accepts (
    org TEXT NOT NULL REFERENCES orgs(id),
    from_org TEXT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (org, from_org)
) STRICT, WITHOUT ROWID;

CREATE TABLE share_approvers (
    org TEXT PRIMARY KEY REFERENCES orgs(id)
) STRICT, WITHOUT ROWID;

CREATE TABLE pending_shares (
    doc TEXT NOT NULL REFERENCES documents(id),
    org TEXT NOT NULL REFERENCES orgs(id),
    from_org TEXT NOT NULL REFERENCES orgs(id),
    device TEXT NOT NULL REFERENCES devices(id),
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (doc, org)
) STRICT, WITHOUT ROWID;
CREATE INDEX pending_shares_by_org ON pending_shares(org, requested_at);
";

/// The charts each device reported in quarantine (received, not
/// applicable), as of its latest report; `since` is the device's clock.
const V4: &str = "
CREATE TABLE quarantines (
    device TEXT NOT NULL REFERENCES devices(id),
    doc TEXT NOT NULL,
    reason TEXT NOT NULL,
    since INTEGER NOT NULL,
    reported_at INTEGER NOT NULL,
    PRIMARY KEY (device, doc)
) STRICT;
";

/// Encryption at rest: each organisation's data key, wrapped by the hub's
/// master key, and a value only the master key opens, so a wrong key is
/// refused at start (`crate::at_rest`).
const V5: &str = "
CREATE TABLE org_keys (
    org TEXT PRIMARY KEY REFERENCES orgs(id),
    wrapped BLOB NOT NULL
) STRICT;

CREATE TABLE master_key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
) STRICT;
";

/// The audit logs devices hand in (issue 11, item 10): append-only per
/// device, each entry sealed under its organisation's data key; the hash
/// chains it to the entry before, the signature (on the last entry of an
/// upload) is the device's over its number and hash.
const V6: &str = "
CREATE TABLE device_audit (
    device TEXT NOT NULL REFERENCES devices(id),
    seq INTEGER NOT NULL CHECK (seq > 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    entry BLOB NOT NULL,
    signature BLOB,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (device, seq)
) STRICT;
CREATE TRIGGER device_audit_never_changes BEFORE UPDATE ON device_audit
BEGIN SELECT RAISE(ABORT, 'a device audit log is append-only'); END;
CREATE TRIGGER device_audit_never_vanishes BEFORE DELETE ON device_audit
BEGIN SELECT RAISE(ABORT, 'a device audit log is append-only'); END;
";

/// Lost devices (issue 11, item 11): each organisation's lock policy, and
/// the one-time unlock codes made for each device, the code sealed under
/// its organisation's data key, the device given only the salt and slow
/// hash; `issued_at` is when an administrator was given it.
const V7: &str = "
CREATE TABLE lock_policies (
    org TEXT PRIMARY KEY REFERENCES orgs(id),
    lock_after_days INTEGER NOT NULL CHECK (lock_after_days > 0)
) STRICT;

CREATE TABLE unlock_codes (
    device TEXT NOT NULL REFERENCES devices(id),
    number INTEGER NOT NULL CHECK (number > 0),
    code BLOB NOT NULL,
    salt BLOB NOT NULL CHECK (length(salt) = 16),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    made_at INTEGER NOT NULL,
    issued_at INTEGER,
    PRIMARY KEY (device, number)
) STRICT;
";

/// Relay: a change handed on by another device than its author is stored
/// under its author (`signer`), with the device that pushed it here.
const V8: &str = "
ALTER TABLE changes ADD COLUMN relayed_by TEXT REFERENCES devices(id);
";

/// The feed's identity, random, sent in every sync answer and replaced by
/// `karte-hub restore`: only uniqueness matters, not secrecy.
const V9: &str = "
CREATE TABLE feed_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    feed BLOB NOT NULL CHECK (length(feed) = 16)
) STRICT;
INSERT INTO feed_identity (id, feed) VALUES (1, randomblob(16));
";

/// Trust without a hub (issue 12): each organisation's Ed25519 signing
/// key (its 32-byte seed wrapped by the master key, made when first
/// needed), the newest signed revocation list of each issuer, and per
/// device the X25519 key bundles are sealed to and its latest membership
/// cert with its serial.
const V10: &str = "
CREATE TABLE org_signing_keys (
    org TEXT PRIMARY KEY REFERENCES orgs(id),
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE revocation_lists (
    issuer TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL,
    signed BLOB NOT NULL
) STRICT;
ALTER TABLE devices ADD COLUMN bundle_key BLOB CHECK (bundle_key IS NULL OR length(bundle_key) = 32);
ALTER TABLE devices ADD COLUMN cert_serial INTEGER;
ALTER TABLE devices ADD COLUMN cert BLOB;
";

/// Opens (creating if need be) the hub database at `path` and brings its
/// schema up to date.
///
/// Processes opening a new file at once race to switch it to WAL, and
/// SQLite answers the losers "busy" at once, without its busy handler; they
/// try again after a moment.
pub(super) fn open(path: &Path) -> Result<Connection, HubStoreError> {
    restrict_to_owner(path)?;
    let mut attempts = 0;
    loop {
        match open_once(path) {
            Err(HubStoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempts < OPEN_ATTEMPTS =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Makes the database file, if there is none, readable and writable by the
/// hub's user alone (SQLite gives its write-ahead log and shared memory the
/// database file's permissions), and takes group and other access away from
/// files made before.
fn restrict_to_owner(path: &Path) -> Result<(), HubStoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |error: std::io::Error| HubStoreError::Io {
            path: path.to_owned(),
            detail: error.to_string(),
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            match std::fs::metadata(file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
                        .map_err(io)?;
                }
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io(error)),
            }
        }
    }
    Ok(())
}

/// How many times opening is tried while another process sets the file up.
const OPEN_ATTEMPTS: u32 = 100;

fn open_once(path: &Path) -> Result<Connection, HubStoreError> {
    let mut conn = connect(path)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let application_id: i32 = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let fresh = application_id == 0 && version == 0 && tables == 0;
    if !fresh && application_id != APPLICATION_ID {
        return Err(HubStoreError::NotAHubDatabase {
            path: path.to_owned(),
        });
    }
    if version > LATEST {
        return Err(HubStoreError::NewerSchema {
            found: version,
            supported: LATEST,
        });
    }
    if fresh {
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    for migration in &MIGRATIONS[version as usize..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", LATEST)?;
    tx.commit()?;
    Ok(conn)
}

/// A connection with the settings every statement relies on. WAL lets
/// readers run beside the one writer; `synchronous=FULL` makes each commit
/// durable when it returns.
pub(super) fn connect(path: &Path) -> Result<Connection, HubStoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(HubStoreError::NoWriteAheadLog {
            path: path.to_owned(),
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_programs_database_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE notes (text TEXT)")
            .unwrap();
        let error = open(&path).unwrap_err();
        assert_eq!(error.code(), "not_a_hub_database");
    }

    #[test]
    fn opening_twice_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        drop(open(&path).unwrap());
        let conn = open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST);
    }
}
