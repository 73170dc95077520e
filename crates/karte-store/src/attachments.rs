//! Attachments (wound photos) kept in the vault by their content, each with
//! its thumbnail, both sealed in the streamed format.
//!
//! An attachment is known by its content hash (SHA-256 of its bytes), which
//! the chart records. The hash is not written down as such: a plaintext
//! hash would let anyone holding a photo prove it is in the vault. The row
//! is found by a locator, an HMAC of the hash under a key derived from the
//! data key, which says nothing without that key. The locator is bound
//! into each stream's associated data, so a stream moved to another row
//! does not open, and an opened attachment is checked against the hash it
//! was asked for. The same content is stored once.
//!
//! A photo being fetched from the hub is kept piece by piece until it is
//! whole, so a cut fetch resumes where it stopped: each piece is a sealed
//! app value (`fetching:<locator>:<offset>`), the locator hiding the hash
//! and the name, bound into the piece's associated data, fixing where the
//! piece goes. Storing the attachment removes its pieces in the same
//! transaction.

use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::app_values;
use crate::crypto::stream::{open_stream, seal_stream};
use crate::crypto::{SecretKey, keyed_hash, sha256};

pub(crate) const V7: &str = "
CREATE TABLE attachments (
    -- Plaintext: an HMAC of the content hash under a key derived from the
    -- data key; it names no content to anyone without the key.
    locator TEXT PRIMARY KEY,
    -- Sealed, streamed: the attachment's bytes and its thumbnail.
    content BLOB NOT NULL,
    thumbnail BLOB NOT NULL
);
";

/// Which of an attachment's two streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Content,
    Thumbnail,
}

impl Part {
    fn column(self) -> &'static str {
        match self {
            Part::Content => "content",
            Part::Thumbnail => "thumbnail",
        }
    }
}

fn locator(key: &SecretKey, hash: &[u8; 32]) -> String {
    hex::encode(keyed_hash(key, "attachment locator", hash))
}

/// The purpose bound into every frame of one stream: the table, the row
/// and the part.
fn purpose(locator: &str, part: Part) -> String {
    format!("attachment {locator} {}", part.column())
}

/// Whether the vault holds the attachment with this content hash.
pub(crate) fn contains(
    conn: &Connection,
    key: &SecretKey,
    hash: &[u8; 32],
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM attachments WHERE locator = ?1")?
        .query_row([locator(key, hash)], |_| Ok(()))
        .optional()?
        .is_some())
}

/// What storing an attachment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentStored {
    /// SHA-256 of the content: the attachment's identity in charts.
    pub hash: [u8; 32],
    /// False when the vault already held the same content, which was then
    /// not stored again.
    pub new: bool,
}

/// Stores `content` and its thumbnail unless the same content is held.
pub(crate) fn put(
    conn: &Connection,
    key: &SecretKey,
    content: &[u8],
    thumbnail: &[u8],
) -> Result<AttachmentStored, StoreError> {
    let hash = sha256(&[content]);
    if contains(conn, key, &hash)? {
        drop_fetched(conn, key, &hash)?;
        return Ok(AttachmentStored { hash, new: false });
    }
    let locator = locator(key, &hash);
    let mut sealed_content = Vec::with_capacity(content.len() + content.len() / 1000 + 64);
    seal_stream(
        key,
        &purpose(&locator, Part::Content),
        content,
        &mut sealed_content,
    )?;
    let mut sealed_thumbnail = Vec::with_capacity(thumbnail.len() + 64);
    seal_stream(
        key,
        &purpose(&locator, Part::Thumbnail),
        thumbnail,
        &mut sealed_thumbnail,
    )?;
    conn.prepare_cached(
        "INSERT INTO attachments (locator, content, thumbnail) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![locator, sealed_content, sealed_thumbnail])?;
    drop_fetched(conn, key, &hash)?;
    Ok(AttachmentStored { hash, new: true })
}

/// The names of an unfinished fetch's pieces lie between these two.
fn fetched_range(key: &SecretKey, hash: &[u8; 32]) -> (String, String) {
    let locator = locator(key, hash);
    (
        format!("fetching:{locator}:"),
        format!("fetching:{locator};"),
    )
}

fn piece_name(key: &SecretKey, hash: &[u8; 32], offset: u64) -> String {
    format!("{}{offset:012}", fetched_range(key, hash).0)
}

/// The bytes kept of an unfinished fetch of the attachment with this
/// content hash, from its start (empty when there is none). Pieces that do
/// not follow one another are an integrity error.
pub(crate) fn fetched(
    conn: &Connection,
    key: &SecretKey,
    hash: &[u8; 32],
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let (from, to) = fetched_range(key, hash);
    let names: Vec<String> = conn
        .prepare_cached("SELECT name FROM app_values WHERE name > ?1 AND name < ?2 ORDER BY name")?
        .query_map([&from, &to], |row| row.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    let mut bytes = Zeroizing::new(Vec::new());
    for name in names {
        let offset = name[from.len()..].parse::<u64>().ok();
        if offset != Some(bytes.len() as u64) {
            return Err(StoreError::integrity(
                "a kept piece of an attachment being fetched is out of place",
            ));
        }
        let piece = Zeroizing::new(app_values::get(conn, key, &name)?.unwrap_or_default());
        bytes.extend_from_slice(&piece);
    }
    Ok(bytes)
}

/// Keeps bytes `offset..offset + piece.len()` of an attachment being
/// fetched.
pub(crate) fn keep_fetched(
    conn: &Connection,
    key: &SecretKey,
    hash: &[u8; 32],
    offset: u64,
    piece: &[u8],
) -> Result<(), StoreError> {
    app_values::put(conn, key, &piece_name(key, hash, offset), piece)
}

/// Removes what was kept of a fetch of this attachment.
pub(crate) fn drop_fetched(
    conn: &Connection,
    key: &SecretKey,
    hash: &[u8; 32],
) -> Result<(), StoreError> {
    let (from, to) = fetched_range(key, hash);
    conn.prepare_cached("DELETE FROM app_values WHERE name > ?1 AND name < ?2")?
        .execute([&from, &to])?;
    Ok(())
}

/// One part of the attachment with this content hash, if the vault holds it.
pub(crate) fn get(
    conn: &Connection,
    key: &SecretKey,
    hash: &[u8; 32],
    part: Part,
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let locator = locator(key, hash);
    let sql = format!(
        "SELECT {} FROM attachments WHERE locator = ?1",
        part.column()
    );
    let Some(sealed) = conn
        .prepare_cached(&sql)?
        .query_row([&locator], |row| row.get::<_, Vec<u8>>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let mut plain = Zeroizing::new(Vec::with_capacity(sealed.len()));
    open_stream(key, &purpose(&locator, part), &sealed[..], &mut *plain)?;
    if part == Part::Content && sha256(&[&plain]) != *hash {
        return Err(StoreError::integrity(format!(
            "attachment {} (its content is not what its hash says)",
            hex::encode(&hash[..6])
        )));
    }
    Ok(Some(plain))
}
