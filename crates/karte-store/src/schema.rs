//! Opening the SQLite file: the recognition checks, the connection settings
//! every write relies on, and the migrations.
//!
//! Each migration is a list of statements that live beside the tables they
//! create (`header::V1`, `users::V1`, ...). A landed migration is never
//! edited: a change to the schema is a new entry at the end of `MIGRATIONS`,
//! and `PRAGMA user_version` records how many have run.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::{
    StoreError, app_values, attachments, audit, change_log, documents, header, patient_index,
    quarantine, recovery, sync_state, trust_store, users,
};

/// `PRAGMA application_id` of every vault: "KRTE".
const APPLICATION_ID: i32 = 0x4b52_5445;

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The migrations, in order; entry `n` brings a vault to `user_version` n+1.
const MIGRATIONS: &[&[&str]] = &[
    // 1: the first format.
    &[
        header::V1,
        users::V1,
        documents::V1,
        patient_index::V1,
        audit::V1,
    ],
    // 2: sync with a hub, and the data key sealed for recovery.
    &[recovery::V2, sync_state::V2],
    // 3: drafts of unsaved forms, and the app's settings.
    &[app_values::V3],
    // 4: charts received but not applicable, kept aside.
    &[quarantine::V4],
    // 5: the signature of every change held, kept for relay.
    &[change_log::V5],
    // 6: the trust store: the organisation's signing key, certs, revocation
    // lists and the device's bundle key, for sync without a hub.
    &[trust_store::V6],
    // 7: attachments (wound photos) by content, sealed in the streamed format.
    &[attachments::V7],
    // 8: each chart's consultations beside its index entry, for the daily
    // report; NULL (read the chart) in a vault migrated from 7.
    &[patient_index::V8],
];

const LATEST: i64 = MIGRATIONS.len() as i64;

fn flags() -> OpenFlags {
    // No CREATE: opening must never make a file where there was none.
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

/// Makes a new, empty database file at `path` and returns it configured; the
/// caller fills it in one transaction with `begin_new`.
pub(crate) fn create_file(path: &Path) -> Result<Connection, StoreError> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        Err(error) => return Err(error.into()),
    }
    let conn = Connection::open_with_flags(path, flags())?;
    configure(&conn)?;
    Ok(conn)
}

/// Starts the transaction that creates a vault: it stamps the file as a vault
/// and creates the tables, so a crash before commit leaves a file that is
/// plainly not a vault rather than a half-made one.
pub(crate) fn begin_new(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    let tx = conn.transaction()?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    migrate(&tx, 0)?;
    Ok(tx)
}

/// Opens an existing vault file, checks it is one and brings its schema up
/// to date.
pub(crate) fn open_file(path: &Path) -> Result<Connection, StoreError> {
    let not_a_vault = || StoreError::NotAVault {
        path: path.to_owned(),
    };
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return Err(StoreError::NoVault {
                path: path.to_owned(),
            });
        }
        Err(error) => return Err(error.into()),
    };
    if !metadata.is_file() {
        return Err(not_a_vault());
    }
    // SQLite opens any file lazily and would only fail at the first query;
    // a glance at the file header tells a stranger or a truncated file apart
    // up front.
    let mut head = Vec::with_capacity(100);
    fs::File::open(path)?.take(100).read_to_end(&mut head)?;
    if head.len() < SQLITE_MAGIC.len() || head[..SQLITE_MAGIC.len()] != SQLITE_MAGIC[..] {
        return Err(not_a_vault());
    }
    // While the write-ahead log holds frames, the main file may be caught
    // mid-checkpoint (SQLite copies the header page before the pages that
    // extend the file), so it can be shorter than its header says; SQLite
    // finishes the checkpoint from the log. Only a file without a log must
    // be as long as its header says.
    if !has_log(path)
        && let Some(problem) = size_problem(&head, metadata.len())
    {
        return Err(StoreError::corrupt(problem));
    }
    let mut conn = Connection::open_with_flags(path, flags())?;
    configure(&conn)?;
    let application_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if application_id != APPLICATION_ID {
        return Err(not_a_vault());
    }
    if version <= 0 {
        return Err(StoreError::corrupt(format!("format version {version}")));
    }
    if version > LATEST {
        return Err(StoreError::NewerFormat {
            found: version,
            supported: LATEST,
        });
    }
    if version < LATEST {
        let tx = conn.transaction()?;
        migrate(&tx, version)?;
        tx.commit()?;
    }
    Ok(conn)
}

/// Whether the vault's write-ahead log exists and holds anything.
fn has_log(path: &Path) -> bool {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    fs::metadata(log).is_ok_and(|m| m.len() > 0)
}

/// Why a database file of `len` bytes with this 100-byte header cannot be
/// whole. Database files are whole pages; in write-ahead-log mode the main
/// file changes only at checkpoints, and then its header records its size.
fn size_problem(head: &[u8], len: u64) -> Option<String> {
    let truncated = || Some(format!("the file is truncated at {len} bytes"));
    let be32 = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    if head.len() < 100 {
        return truncated();
    }
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536,
        size if size >= 512 && size.is_power_of_two() => u64::from(size),
        size => return Some(format!("the file header gives page size {size}")),
    };
    if !len.is_multiple_of(page_size) {
        return truncated();
    }
    let (change_counter, pages, valid_for) = (be32(24), u64::from(be32(28)), be32(92));
    if change_counter == valid_for && len < pages * page_size {
        return truncated();
    }
    None
}

/// The settings every connection runs with. WAL with `synchronous=FULL`
/// makes each commit durable when it returns (NORMAL can lose the last
/// commits on power loss); temporary tables stay in memory and deleted
/// content is overwritten, so no stray copy of a value lingers on disk.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::invalid(format!(
            "the vault's disk does not support SQLite's write-ahead log (journal mode {mode}): keep the vault on a local disk"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(tx: &Transaction<'_>, from: i64) -> Result<(), StoreError> {
    for steps in &MIGRATIONS[from as usize..] {
        for sql in *steps {
            tx.execute_batch(sql)?;
        }
    }
    tx.pragma_update(None, "user_version", LATEST)?;
    Ok(())
}
