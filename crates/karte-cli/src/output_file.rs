//! Files the CLI writes where the user asked (a document's PDF, an export
//! bundle): written to a temporary file beside the target, flushed to the
//! disk, then renamed over the target, so a failure or a power cut never
//! leaves half a file under the name asked for. A failed write removes the
//! temporary file; nothing else is left on disk. A file that must not
//! replace one already there (a photo export) is written the same way and
//! renamed only if the name is still free (`write_new`).

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `path` with what `write` writes, all or nothing, and returns what
/// `write` returned; a file already at `path` is replaced.
pub fn write_whole<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    write_file(path, Existing::Replace, write)
}

/// As [`write_whole`], but a file already at `path` is left as it is and
/// the write is refused.
pub fn write_new<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    write_file(path, Existing::Refuse, write)
}

/// What to do with a file already under the name asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    Replace,
    Refuse,
}

fn write_file<T>(
    path: &Path,
    existing: Existing,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cannot_write = || {
        format!(
            "{} に書けません / cannot write {}",
            path.display(),
            path.display()
        )
    };
    let exists = || {
        format!(
            "{} はすでにあります。別の名前を指定してください / {} already exists: give another name",
            path.display(),
            path.display()
        )
    };
    // Checked first, so that nothing is written for nothing; the rename
    // below checks again, atomically.
    if existing == Existing::Refuse && path.symlink_metadata().is_ok() {
        anyhow::bail!(exists());
    }
    let mut file = tempfile::NamedTempFile::new_in(dir).with_context(cannot_write)?;
    let value = {
        let mut out = BufWriter::new(file.as_file_mut());
        let value = write(&mut out)?;
        out.flush().with_context(cannot_write)?;
        value
    };
    file.as_file().sync_all().with_context(cannot_write)?;
    match existing {
        Existing::Replace => {
            file.persist(path).with_context(cannot_write)?;
        }
        Existing::Refuse => {
            file.persist_noclobber(path).map_err(|error| {
                if error.error.kind() == std::io::ErrorKind::AlreadyExists {
                    anyhow::anyhow!(exists())
                } else {
                    anyhow::Error::new(error).context(cannot_write())
                }
            })?;
        }
    }
    // The rename itself is durable once the directory is.
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(cannot_write)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_written_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pdf");
        let written = write_whole(&path, |out| {
            out.write_all(b"%PDF-1.7 whole")?;
            Ok(14)
        })
        .unwrap();
        assert_eq!(written, 14);
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.7 whole");

        let failed: Result<()> = write_whole(&path, |out| {
            out.write_all(b"%PDF-1.7 half")?;
            anyhow::bail!("cut")
        });
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"%PDF-1.7 whole",
            "the earlier file stands"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.pdf")]);
    }

    #[test]
    fn a_new_file_never_replaces_one_already_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        write_new(&path, |out| Ok(out.write_all(b"first")?)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let refused = write_new(&path, |out| Ok(out.write_all(b"second")?)).unwrap_err();
        assert!(
            refused.to_string().contains("already exists"),
            "{refused:#}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"first", "the first stands");
        let failed: Result<()> = write_new(&dir.path().join("cut.jpg"), |out| {
            out.write_all(b"half")?;
            anyhow::bail!("cut")
        });
        assert!(failed.is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("photo.jpg")]);
    }
}
