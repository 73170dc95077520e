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
}
