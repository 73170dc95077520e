//! `karte-hub backup` and `restore` for an SQLite hub: a consistent copy
//! taken while hubs serve, and a database made from one with a new feed
//! identity.

use std::path::Path;

use super::schema;
use crate::HubStoreError;

/// Copies the hub database at `path` to a new file `out` while hubs may be
/// serving from it (SQLite's online backup: one consistent state, taken a
/// few pages at a time so writers are held up only briefly). The copy is
/// written beside `out` and renamed into place once whole; an existing
/// `out` is never overwritten. The copy holds what the database holds:
/// charts sealed under organisation keys that only the master key opens.
pub fn backup_sqlite(path: &Path, out: &Path) -> Result<(), HubStoreError> {
    use rusqlite::{Connection, OpenFlags};
    let io = |at: &Path| {
        let at = at.to_owned();
        move |error: std::io::Error| HubStoreError::Io {
            path: at,
            detail: error.to_string(),
        }
    };
    if out.exists() {
        return Err(HubStoreError::Io {
            path: out.to_owned(),
            detail: "the backup file exists already; name a new one".into(),
        });
    }
    let source = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(std::time::Duration::from_secs(60))?;
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    // Readable by the hub's user alone, as the database.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&partial).map_err(io(&partial))?;
    let mut copy = Connection::open(&partial)?;
    rusqlite::backup::Backup::new(&source, &mut copy)?.run_to_completion(
        256,
        std::time::Duration::from_millis(5),
        None,
    )?;
    // One file, no write-ahead log beside it: what a restore reads.
    copy.pragma_update(None, "journal_mode", "DELETE")?;
    drop(copy);
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(io(&partial))?;
    std::fs::rename(&partial, out).map_err(io(out))?;
    Ok(())
}

/// Makes a new hub database at `path` from a backup file `from` made by
/// [`backup_sqlite`], and gives its feed a new identity: devices that
/// synced with the hub after the backup was taken notice, start over and
/// give back what the backup lacks. `path` must not exist: a database in
/// the way is moved aside by its administrator, never overwritten.
pub fn restore_sqlite(from: &Path, path: &Path, identity: [u8; 16]) -> Result<(), HubStoreError> {
    if path.exists() {
        return Err(HubStoreError::Io {
            path: path.to_owned(),
            detail: "a hub database exists there already; move it aside first".into(),
        });
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let io = |at: &Path, error: std::io::Error| HubStoreError::Io {
        path: at.to_owned(),
        detail: error.to_string(),
    };
    std::fs::copy(from, &partial).map_err(|e| io(from, e))?;
    {
        // Checked to be a hub database, migrated, and given its new
        // identity before it takes the database's name.
        let conn = schema::open(&partial)?;
        conn.execute(
            "UPDATE feed_identity SET feed = ?1 WHERE id = 1",
            [&identity[..]],
        )?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
    }
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(|e| io(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| io(path, e))?;
    Ok(())
}
