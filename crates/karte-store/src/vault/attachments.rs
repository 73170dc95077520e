//! The vault's attachments (wound photos): stored once per content, each
//! write one committed transaction.

use zeroize::Zeroizing;

use crate::attachments::{self, AttachmentStored, Part};
use crate::{StoreError, Vault};

impl Vault {
    /// Stores an attachment and its thumbnail, durable when this returns;
    /// content the vault already holds is not stored again.
    pub fn put_attachment(
        &mut self,
        content: &[u8],
        thumbnail: &[u8],
    ) -> Result<AttachmentStored, StoreError> {
        self.transact(None, |conn, key| {
            attachments::put(conn, key, content, thumbnail)
        })
    }

    /// Whether the vault holds the attachment with this content hash.
    pub fn has_attachment(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        self.live()?;
        attachments::contains(&self.conn, &self.key, hash)
    }

    /// The attachment with this content hash, if the vault holds it.
    pub fn attachment(&self, hash: &[u8; 32]) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        self.live()?;
        attachments::get(&self.conn, &self.key, hash, Part::Content)
    }

    /// The thumbnail of the attachment with this content hash.
    pub fn attachment_thumbnail(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        self.live()?;
        attachments::get(&self.conn, &self.key, hash, Part::Thumbnail)
    }

    /// The bytes kept of an unfinished fetch of the attachment with this
    /// content hash, from its start; empty when none was begun.
    pub fn fetched_attachment(&self, hash: &[u8; 32]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.live()?;
        attachments::fetched(&self.conn, &self.key, hash)
    }

    /// Keeps, sealed and durable when this returns, bytes from `offset` of
    /// an attachment being fetched; `offset` is where the kept bytes end.
    pub fn keep_fetched_attachment(
        &mut self,
        hash: &[u8; 32],
        offset: u64,
        piece: &[u8],
    ) -> Result<(), StoreError> {
        self.transact(None, |conn, key| {
            attachments::keep_fetched(conn, key, hash, offset, piece)
        })
    }

    /// Forgets what was kept of a fetch of this attachment (storing the
    /// attachment does so too).
    pub fn drop_fetched_attachment(&mut self, hash: &[u8; 32]) -> Result<(), StoreError> {
        self.transact(None, |conn, key| attachments::drop_fetched(conn, key, hash))
    }
}
