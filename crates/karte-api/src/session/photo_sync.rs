//! The photo pass of a sync, after the charts: the photos this vault's
//! charts name go to the hub when the hub lacks them, and come from it
//! when this vault lacks them (`karte_sync::client::sync_photos`).
//!
//! A photo that arrives is checked against its name (its SHA-256) before
//! it is kept, and its thumbnail is made here from its bytes
//! (`karte_photo::prepare`, the same decode as when a photo is added), so
//! the hub never carries thumbnails. Both are sealed in the vault like a
//! photo taken on this device. A fetch that was cut keeps the pieces it
//! received, sealed in the vault (`Vault::keep_fetched_attachment`), and
//! the next sync asks only for the rest.

use karte_store::StoreError;
use karte_sync::client::{
    DeviceIdentity, NamedPhoto, PhotoOptions, PhotoReplica, RequestStamps, SyncProgress,
    SyncSummary, Transport, sync_photos,
};
use karte_sync::photo::PhotoRef;
use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use super::Session;
use crate::ApiError;

impl Session {
    /// Runs the photo pass over `transport`, adding what it did to
    /// `summary`.
    pub(super) fn sync_photos(
        &mut self,
        transport: &mut dyn Transport,
        identity: DeviceIdentity<'_>,
        options: PhotoOptions,
        summary: &mut SyncSummary,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<(), ApiError> {
        let mut vault = PhotoVault {
            session: self,
            random: SystemRandom::new(),
        };
        sync_photos(transport, &mut vault, identity, options, summary, progress)
    }
}

/// The vault's photos as the photo pass sees them.
struct PhotoVault<'s> {
    session: &'s mut Session,
    random: SystemRandom,
}

impl PhotoReplica for PhotoVault<'_> {
    type Error = ApiError;

    fn named_photos(&mut self) -> Result<Vec<NamedPhoto>, ApiError> {
        let mut named = Vec::new();
        for patient in self.session.vault.patient_index()? {
            let photos = match self.session.photos_unopened(&patient.id) {
                Ok(photos) => photos,
                // A chart that cannot be read here (one in quarantine) has
                // no photos to move until it can.
                Err(ApiError::Record(_)) => continue,
                Err(error) => return Err(error),
            };
            for photo in photos {
                let Some(hash) = hex::decode(&photo.input.attachment)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                else {
                    continue;
                };
                named.push(NamedPhoto {
                    here: self.session.vault.has_attachment(&hash)?,
                    photo: PhotoRef {
                        chart: patient.id.clone(),
                        hash,
                    },
                    size: photo.input.size,
                });
            }
        }
        Ok(named)
    }

    fn photo_bytes(&mut self, hash: &[u8; 32]) -> Result<Option<Zeroizing<Vec<u8>>>, ApiError> {
        Ok(self.session.vault.attachment(hash)?)
    }

    fn keep_photo(&mut self, _hash: &[u8; 32], bytes: &[u8]) -> Result<(), ApiError> {
        let prepared = karte_photo::prepare(bytes)?;
        self.session
            .vault
            .put_attachment(bytes, &prepared.thumbnail)?;
        Ok(())
    }

    fn fetched_so_far(&mut self, hash: &[u8; 32]) -> Result<Zeroizing<Vec<u8>>, ApiError> {
        match self.session.vault.fetched_attachment(hash) {
            Ok(bytes) => Ok(bytes),
            // Pieces that do not follow one another are dropped and the
            // photo fetched from its start.
            Err(StoreError::Integrity { .. }) => {
                self.session.vault.drop_fetched_attachment(hash)?;
                Ok(Zeroizing::new(Vec::new()))
            }
            Err(error) => Err(error.into()),
        }
    }

    fn keep_fetched_piece(
        &mut self,
        hash: &[u8; 32],
        offset: u64,
        piece: &[u8],
    ) -> Result<(), ApiError> {
        Ok(self
            .session
            .vault
            .keep_fetched_attachment(hash, offset, piece)?)
    }

    fn drop_fetched(&mut self, hash: &[u8; 32]) -> Result<(), ApiError> {
        Ok(self.session.vault.drop_fetched_attachment(hash)?)
    }
}

impl RequestStamps for PhotoVault<'_> {
    fn now_ms(&mut self) -> i64 {
        self.session.now().0
    }

    fn nonce(&mut self) -> [u8; 16] {
        super::sync::request_nonce(&self.random)
    }
}
