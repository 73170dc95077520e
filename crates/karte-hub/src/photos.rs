//! Wound photos the hub keeps for devices, by content hash, outside its
//! database.
//!
//! Two layers. [`PhotoStore`] keeps opaque chunks by photo: an unfinished
//! upload is appended to chunk by chunk (each durable when the call
//! returns) and made the photo whole in one atomic step; a whole photo's
//! chunks are read back one at a time. It never sees a plaintext byte, so
//! any place that keeps bytes can implement it: [`FsPhotoStore`], one file
//! per photo under the hub's data directory, is the default, and an
//! S3-compatible object store could implement it later (an unfinished
//! upload as a multipart upload, finishing as completing it).
//!
//! [`HubPhotos`] seals above it, through the store's one seal for data
//! outside the database (`HubStore::seal_outside`/`open_outside`, the
//! same as its chart payloads'): each chunk is AES-256-GCM under the data
//! key of the organisation of the device that began the upload (wrapped by
//! the master key), the chunk naming that organisation; reading a chunk
//! never writes (no key is made on a read). Its associated data names the
//! photo (hash and size), the chunk's index and whether it is the last, so
//! chunks moved between photos, reordered, or a photo cut short, fail to
//! open. A photo is stored once whatever number of devices send it; its
//! bytes are taken whole only once they hash to the name they came under.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::at_rest::{MAGIC, Place};
use crate::{HubStore, HubStoreError, OrgId};

/// A photo as the store knows it: its content hash and its size, both
/// named by the device that sends it. Two uploads under the same hash and
/// different sizes are two unfinished uploads; at most one is the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhotoName {
    pub hash: [u8; 32],
    pub size: u64,
}

impl PhotoName {
    fn hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// One chunk as the store keeps it: the bytes it was given and the length
/// of the plaintext they seal (a size, which the hub keeps in clear like
/// every size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    pub plain_len: u64,
}

/// Which copy of a photo: the upload under way, or the photo held whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    Unfinished,
    Whole,
}

/// Where the hub keeps photos' sealed chunks. Blocking: the hub calls it
/// on its blocking threads.
pub trait PhotoStore: Send + Sync + 'static {
    /// The chunks of the photo held whole, `None` if it is not.
    fn whole(&self, hash: &[u8; 32]) -> io::Result<Option<(u64, Vec<ChunkInfo>)>>;

    /// The chunks of the unfinished upload of `name` held so far; a chunk
    /// a crash cut short (or one being appended) is left out. Writes
    /// nothing: it may run during an append.
    fn unfinished(&self, name: &PhotoName) -> io::Result<Vec<ChunkInfo>>;

    /// Appends chunk number `index` (the count of chunks held) to the
    /// unfinished upload of `name`, durable when this returns.
    fn append(
        &self,
        name: &PhotoName,
        index: usize,
        info: ChunkInfo,
        chunk: &[u8],
    ) -> io::Result<()>;

    /// Reads chunk `index` of a copy of the photo.
    fn read(&self, name: &PhotoName, copy: Copy, index: usize) -> io::Result<Vec<u8>>;

    /// Makes the unfinished upload of `name` the photo held whole: at once
    /// and durably, never half.
    fn finish(&self, name: &PhotoName) -> io::Result<()>;

    /// Forgets the unfinished upload of `name`.
    fn discard(&self, name: &PhotoName) -> io::Result<()>;
}

/// Photos as files: `whole/<first two hex digits>/<hash>-<size>` for a
/// photo held whole, `unfinished/<hash>-<size>` for an upload under way,
/// each a run of records (plaintext length and sealed length, 8 bytes
/// each, big-endian, then the sealed chunk). Finishing renames the
/// unfinished file, flushed, into place and flushes its folder. Files are
/// made 0600 and folders 0700.
#[derive(Debug, Clone)]
pub struct FsPhotoStore {
    root: PathBuf,
}

const RECORD_HEADER: usize = 16;

impl FsPhotoStore {
    /// Photos under `root`, made if it does not exist.
    pub fn open(root: &Path) -> io::Result<FsPhotoStore> {
        for dir in [root.to_owned(), root.join("whole"), root.join("unfinished")] {
            make_private_dir(&dir)?;
        }
        Ok(FsPhotoStore {
            root: root.to_owned(),
        })
    }

    fn whole_path(&self, hash: &[u8; 32], size: u64) -> PathBuf {
        let hex = hex::encode(hash);
        self.root
            .join("whole")
            .join(&hex[..2])
            .join(format!("{hex}-{size}"))
    }

    fn unfinished_path(&self, name: &PhotoName) -> PathBuf {
        self.root
            .join("unfinished")
            .join(format!("{}-{}", name.hex(), name.size))
    }

    /// The one whole copy of a photo, whatever its size.
    fn find_whole(&self, hash: &[u8; 32]) -> io::Result<Option<(u64, PathBuf)>> {
        let hex = hex::encode(hash);
        let dir = self.root.join("whole").join(&hex[..2]);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let file_name = entry.file_name();
            let Some(rest) = file_name
                .to_str()
                .and_then(|n| n.strip_prefix(&hex))
                .and_then(|n| n.strip_prefix('-'))
            else {
                continue;
            };
            if let Ok(size) = rest.parse::<u64>() {
                return Ok(Some((size, entry.path())));
            }
        }
        Ok(None)
    }
}

/// The records of a file: their plaintext lengths and where their chunks
/// start. A record cut short at the end (a crash mid-append) is left out,
/// and `valid_len` says where the last whole one ends.
struct Records {
    chunks: Vec<(ChunkInfo, u64, u64)>,
    valid_len: u64,
}

fn records(file: &mut File) -> io::Result<Records> {
    let len = file.metadata()?.len();
    let mut chunks = Vec::new();
    let mut at = 0u64;
    loop {
        if len - at < RECORD_HEADER as u64 {
            break;
        }
        file.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; RECORD_HEADER];
        file.read_exact(&mut header)?;
        let plain_len = u64::from_be_bytes(header[..8].try_into().expect("8 bytes"));
        let sealed_len = u64::from_be_bytes(header[8..].try_into().expect("8 bytes"));
        let start = at + RECORD_HEADER as u64;
        if len - start < sealed_len {
            break;
        }
        chunks.push((ChunkInfo { plain_len }, start, sealed_len));
        at = start + sealed_len;
    }
    Ok(Records {
        chunks,
        valid_len: at,
    })
}

fn read_at(file: &mut File, start: u64, len: u64) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(start))?;
    let mut out = vec![0u8; usize::try_from(len).map_err(io::Error::other)?];
    file.read_exact(&mut out)?;
    Ok(out)
}

impl PhotoStore for FsPhotoStore {
    fn whole(&self, hash: &[u8; 32]) -> io::Result<Option<(u64, Vec<ChunkInfo>)>> {
        let Some((size, path)) = self.find_whole(hash)? else {
            return Ok(None);
        };
        let mut file = File::open(path)?;
        let chunks = records(&mut file)?
            .chunks
            .into_iter()
            .map(|c| c.0)
            .collect();
        Ok(Some((size, chunks)))
    }

    fn unfinished(&self, name: &PhotoName) -> io::Result<Vec<ChunkInfo>> {
        // Read only: a query may run while the photo's lock is held for an
        // append, whose record it may see half written. Only `append`,
        // under that lock, cuts a torn record off.
        let mut file = match File::open(self.unfinished_path(name)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(records(&mut file)?
            .chunks
            .into_iter()
            .map(|c| c.0)
            .collect())
    }

    fn append(
        &self,
        name: &PhotoName,
        index: usize,
        info: ChunkInfo,
        chunk: &[u8],
    ) -> io::Result<()> {
        let mut file = private_file(&self.unfinished_path(name))?;
        let records = records(&mut file)?;
        let held = records.chunks.len();
        if held != index {
            return Err(io::Error::other(format!(
                "chunk {index} appended to an upload holding {held}"
            )));
        }
        // A record a crash cut short goes before the next is written.
        if records.valid_len < file.metadata()?.len() {
            file.set_len(records.valid_len)?;
            file.sync_all()?;
        }
        let mut record = Vec::with_capacity(RECORD_HEADER + chunk.len());
        record.extend_from_slice(&info.plain_len.to_be_bytes());
        record.extend_from_slice(&(chunk.len() as u64).to_be_bytes());
        record.extend_from_slice(chunk);
        file.seek(SeekFrom::End(0))?;
        file.write_all(&record)?;
        file.sync_all()?;
        if index == 0 {
            sync_dir(&self.root.join("unfinished"))?;
        }
        Ok(())
    }

    fn read(&self, name: &PhotoName, copy: Copy, index: usize) -> io::Result<Vec<u8>> {
        let path = match copy {
            Copy::Unfinished => self.unfinished_path(name),
            Copy::Whole => self.whole_path(&name.hash, name.size),
        };
        let mut file = File::open(path)?;
        let records = records(&mut file)?;
        let (_, start, len) = records
            .chunks
            .get(index)
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no such chunk"))?;
        read_at(&mut file, start, len)
    }

    fn finish(&self, name: &PhotoName) -> io::Result<()> {
        let from = self.unfinished_path(name);
        File::open(&from)?.sync_all()?;
        let to = self.whole_path(&name.hash, name.size);
        let dir = to.parent().expect("a photo's path has a folder");
        make_private_dir(dir)?;
        fs::rename(&from, &to)?;
        sync_dir(dir)?;
        sync_dir(&self.root.join("unfinished"))
    }

    fn discard(&self, name: &PhotoName) -> io::Result<()> {
        match fs::remove_file(self.unfinished_path(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn make_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).read(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// How much of a photo the hub holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    Whole {
        size: u64,
    },
    /// An upload of this size, `received` bytes of it so far.
    Receiving {
        received: u64,
    },
    Absent,
}

/// Photos sealed on a [`PhotoStore`]: what the hub's photo route calls.
/// Writes to one photo are one at a time (a lock per photo, striped).
pub struct HubPhotos {
    store: Arc<dyn PhotoStore>,
    locks: Vec<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for HubPhotos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubPhotos").finish_non_exhaustive()
    }
}

/// What a received piece did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceTaken {
    /// Held up to `received` bytes; `whole` once the photo is complete.
    Held { received: u64, whole: bool },
    /// The last piece came and the bytes do not hash to the name: the
    /// upload was thrown away.
    HashMismatch,
}

impl HubPhotos {
    pub fn new(store: Arc<dyn PhotoStore>) -> HubPhotos {
        HubPhotos {
            store,
            locks: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    fn lock(&self, hash: &[u8; 32]) -> &tokio::sync::Mutex<()> {
        &self.locks[usize::from(hash[0]) % self.locks.len()]
    }

    /// How much of the photo the hub holds: whole, or of an upload of
    /// `size` bytes.
    pub async fn holding(&self, hash: [u8; 32], size: u64) -> Result<Holding, HubStoreError> {
        let store = self.store.clone();
        blocking(move || {
            if let Some((size, _)) = store.whole(&hash)? {
                return Ok(Holding::Whole { size });
            }
            let chunks = store.unfinished(&PhotoName { hash, size })?;
            Ok(match chunks.iter().map(|c| c.plain_len).sum::<u64>() {
                0 => Holding::Absent,
                received => Holding::Receiving { received },
            })
        })
        .await
    }

    /// Takes bytes `offset..` of a photo of `size` bytes, sealed under the
    /// data key of `org` (any chunk already held opens under the key it
    /// was sealed with). Bytes at another offset than the one held up to
    /// are not stored: the answer says where to go on from.
    pub async fn take_piece(
        &self,
        name: PhotoName,
        offset: u64,
        bytes: Vec<u8>,
        org: &OrgId,
        keys: &impl HubStore,
    ) -> Result<PieceTaken, HubStoreError> {
        let _write = self.lock(&name.hash).lock().await;
        let store = self.store.clone();
        let org = org.clone();
        let held = blocking({
            let store = store.clone();
            move || {
                if store.whole(&name.hash)?.is_some() {
                    return Ok(None);
                }
                Ok(Some(store.unfinished(&name)?))
            }
        })
        .await?;
        let Some(held) = held else {
            return Ok(PieceTaken::Held {
                received: name.size,
                whole: true,
            });
        };
        let received: u64 = held.iter().map(|c| c.plain_len).sum();
        let end = offset.saturating_add(bytes.len() as u64);
        if offset != received || bytes.is_empty() || end > name.size {
            return Ok(PieceTaken::Held {
                received,
                whole: false,
            });
        }
        let index = held.len();
        let last = end == name.size;
        let row = aad_row(&name);
        let sealed = keys
            .seal_outside(&org, &chunk_place(&row, index, last), &bytes)
            .await?;
        let info = ChunkInfo {
            plain_len: bytes.len() as u64,
        };
        blocking({
            let store = store.clone();
            move || store.append(&name, index, info, &sealed)
        })
        .await?;
        if !last {
            return Ok(PieceTaken::Held {
                received: end,
                whole: false,
            });
        }
        // The last piece: the whole upload must hash to its name.
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        for index in 0..=index {
            let chunk = blocking({
                let store = store.clone();
                move || store.read(&name, Copy::Unfinished, index)
            })
            .await?;
            let row = aad_row(&name);
            let plain = keys
                .open_outside(
                    &chunk_place(&row, index, index == held.len()),
                    with_magic(chunk),
                )
                .await?;
            digest.update(&plain);
        }
        if digest.finish().as_ref() != name.hash {
            blocking(move || store.discard(&name)).await?;
            return Ok(PieceTaken::HashMismatch);
        }
        blocking(move || store.finish(&name)).await?;
        Ok(PieceTaken::Held {
            received: name.size,
            whole: true,
        })
    }

    /// Bytes of a photo held whole from `offset`, at most `max_len` (and at
    /// most one chunk), with its size; `None` if it is not held whole.
    pub async fn read_piece(
        &self,
        hash: [u8; 32],
        offset: u64,
        max_len: usize,
        keys: &impl HubStore,
    ) -> Result<Option<(u64, Vec<u8>)>, HubStoreError> {
        let store = self.store.clone();
        let Some((size, chunks)) = blocking({
            let store = store.clone();
            move || store.whole(&hash)
        })
        .await?
        else {
            return Ok(None);
        };
        let name = PhotoName { hash, size };
        let mut start = 0u64;
        for (index, chunk) in chunks.iter().enumerate() {
            let end = start + chunk.plain_len;
            if offset < end {
                let sealed = blocking({
                    let store = store.clone();
                    move || store.read(&name, Copy::Whole, index)
                })
                .await?;
                let last = index + 1 == chunks.len();
                let row = aad_row(&name);
                let plain = keys
                    .open_outside(&chunk_place(&row, index, last), with_magic(sealed))
                    .await?;
                let from = usize::try_from(offset - start).unwrap_or(usize::MAX);
                let to = from.saturating_add(max_len).min(plain.len());
                return Ok(Some((size, plain[from..to].to_vec())));
            }
            start = end;
        }
        Ok(Some((size, Vec::new())))
    }
}

fn aad_row(name: &PhotoName) -> String {
    format!("{} {}", name.hex(), name.size)
}

fn aad_version(index: usize, last: bool) -> u64 {
    ((index as u64) << 1) | u64::from(last)
}

/// A chunk sealed before photos were sealed through `seal_outside` lacks
/// the keyring's first two bytes and is otherwise the same (organisation,
/// then `nonce || ciphertext || tag` under the same associated data): it
/// gets them, so photos stored then still open. (An organisation id is
/// never 75 bytes, so no chunk of either kind starts like the other.)
fn with_magic(chunk: Vec<u8>) -> Vec<u8> {
    if chunk.starts_with(&MAGIC) {
        return chunk;
    }
    let mut out = Vec::with_capacity(MAGIC.len() + chunk.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&chunk);
    out
}

/// Where a chunk is sealed: the photo (hash and size), the chunk's index
/// and whether it is the last.
fn chunk_place(row: &str, index: usize, last: bool) -> Place<'_> {
    Place {
        table: "photos",
        row,
        version: aad_version(index, last),
    }
}

/// Runs photo store work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> Result<T, HubStoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| HubStoreError::Task(error.to_string()))?
        .map_err(|error| HubStoreError::Io {
            path: PathBuf::from("the hub's photo store"),
            detail: error.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> PhotoName {
        PhotoName {
            hash: [0xab; 32],
            size: 10,
        }
    }

    #[test]
    fn an_upload_appends_drops_a_torn_record_and_finishes_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsPhotoStore::open(dir.path()).unwrap();
        let name = name();
        assert_eq!(store.unfinished(&name).unwrap(), vec![]);
        assert!(store.whole(&name.hash).unwrap().is_none());
        store
            .append(&name, 0, ChunkInfo { plain_len: 4 }, b"sealed-0")
            .unwrap();
        assert!(
            store
                .append(&name, 0, ChunkInfo { plain_len: 4 }, b"again")
                .is_err(),
            "a chunk is appended only after the ones held"
        );
        // A crash in the middle of a second record.
        let path = dir
            .path()
            .join("unfinished")
            .join(format!("{}-10", hex::encode(name.hash)));
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[0, 0, 0, 0, 0, 0, 0, 3, 0, 0]).unwrap();
        drop(file);
        let torn_len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(
            store.unfinished(&name).unwrap(),
            vec![ChunkInfo { plain_len: 4 }]
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            torn_len,
            "a query writes nothing, not even the repair"
        );
        // The next append cuts the torn record off first.
        store
            .append(&name, 1, ChunkInfo { plain_len: 6 }, b"sealed-one")
            .unwrap();
        let held = store.unfinished(&name).unwrap();
        assert_eq!(
            held,
            vec![ChunkInfo { plain_len: 4 }, ChunkInfo { plain_len: 6 }]
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            (2 * RECORD_HEADER + 8 + 10) as u64
        );
        assert_eq!(
            store.read(&name, Copy::Unfinished, 1).unwrap(),
            b"sealed-one"
        );
        store.finish(&name).unwrap();
        assert_eq!(store.unfinished(&name).unwrap(), vec![]);
        let (size, chunks) = store.whole(&name.hash).unwrap().unwrap();
        assert_eq!((size, chunks.len()), (10, 2));
        assert_eq!(store.read(&name, Copy::Whole, 0).unwrap(), b"sealed-0");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let whole = store.whole_path(&name.hash, 10);
            let mode = std::fs::metadata(whole).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_discarded_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsPhotoStore::open(dir.path()).unwrap();
        let name = name();
        store
            .append(&name, 0, ChunkInfo { plain_len: 4 }, b"sealed")
            .unwrap();
        store.discard(&name).unwrap();
        store.discard(&name).unwrap();
        assert_eq!(store.unfinished(&name).unwrap(), vec![]);
        assert_eq!(
            std::fs::read_dir(dir.path().join("unfinished"))
                .unwrap()
                .count(),
            0
        );
    }
}
