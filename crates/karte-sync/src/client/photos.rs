//! The device's photo pass, run after its charts synced: it asks the hub
//! which of the photos its charts name the hub holds, sends up the ones
//! the hub lacks (from where an interrupted upload stopped), and fetches
//! the ones it lacks that the hub holds whole.
//!
//! In the background after the charts, rather than when a photo is shown:
//! a nurse opens a wound's photos at a patient's home, often with no
//! network, so a photo fetched only on demand would be missing exactly
//! where it is needed. A fetch keeps each piece as it arrives (sealed by
//! the replica), so one that was cut resumes at the next sync from the
//! bytes kept; an upload resumes from the bytes the hub acknowledged, so
//! nothing acknowledged is sent twice. A photo is kept only when its whole
//! bytes hash to its name: one that does not is dropped with its pieces
//! and, when it was resumed, fetched once more from its start.

use std::collections::HashSet;

use zeroize::Zeroizing;

use crate::client::rounds::{DeviceIdentity, RequestStamps};
use crate::client::summary::{SyncProgress, SyncSummary};
use crate::client::transport::Transport;
use crate::photo::{
    MAX_PHOTO_PIECE_BYTES, MAX_PHOTO_SIZE, MAX_PHOTOS_ASKED, PHOTO_PIECE_BYTES, PhotoAnswer,
    PhotoAsk, PhotoHeld, PhotoRef, PhotoRequest, decode_photo_answer, encode_photo_request,
};
use crate::{SyncError, TransportError, WireError};

/// A photo a chart on this device names, and whether its bytes are here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPhoto {
    pub photo: PhotoRef,
    /// Its size as the chart entry says.
    pub size: u64,
    pub here: bool,
}

/// The device's photos as the photo pass sees them.
pub trait PhotoReplica {
    type Error: From<SyncError>;

    /// Every photo the charts on this device name.
    fn named_photos(&mut self) -> Result<Vec<NamedPhoto>, Self::Error>;

    /// The bytes of a photo held here.
    fn photo_bytes(&mut self, hash: &[u8; 32]) -> Result<Option<Zeroizing<Vec<u8>>>, Self::Error>;

    /// Keeps a photo fetched from the hub, durable when this returns, and
    /// forgets the pieces kept of its fetch; its bytes hash to `hash`
    /// (checked before).
    fn keep_photo(&mut self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), Self::Error>;

    /// The bytes kept of a fetch of this photo that did not finish, from
    /// its start; empty when there is none (or what was kept is unusable
    /// and was dropped).
    fn fetched_so_far(&mut self, hash: &[u8; 32]) -> Result<Zeroizing<Vec<u8>>, Self::Error>;

    /// Keeps bytes `offset..offset + piece.len()` of a photo being
    /// fetched, durable when this returns; `offset` is where the bytes
    /// kept so far end.
    fn keep_fetched_piece(
        &mut self,
        hash: &[u8; 32],
        offset: u64,
        piece: &[u8],
    ) -> Result<(), Self::Error>;

    /// Forgets the bytes kept of a fetch of this photo.
    fn drop_fetched(&mut self, hash: &[u8; 32]) -> Result<(), Self::Error>;
}

/// How the photo pass asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoOptions {
    /// The bytes one request carries up or asks down.
    pub piece_bytes: u32,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        PhotoOptions {
            piece_bytes: PHOTO_PIECE_BYTES,
        }
    }
}

/// Runs the photo pass, adding what it did to `summary`; `progress` is
/// told after each photo. A hub that keeps no photos (an older one)
/// answers `not_found`: the pass then does nothing.
pub fn sync_photos<R: PhotoReplica + RequestStamps>(
    transport: &mut dyn Transport,
    replica: &mut R,
    identity: DeviceIdentity<'_>,
    options: PhotoOptions,
    summary: &mut SyncSummary,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<(), R::Error> {
    let piece = options.piece_bytes.clamp(1, MAX_PHOTO_PIECE_BYTES);
    let mut seen = HashSet::new();
    let named: Vec<NamedPhoto> = replica
        .named_photos()?
        .into_iter()
        .filter(|named| seen.insert(named.photo.hash))
        .collect();
    for batch in named.chunks(MAX_PHOTOS_ASKED) {
        let asked = PhotoRequest::Held {
            photos: batch
                .iter()
                .map(|named| PhotoAsk {
                    photo: named.photo.clone(),
                    size: named.size,
                })
                .collect(),
        };
        let held = match exchange(transport, identity, replica, &asked, summary) {
            Ok(PhotoAnswer::Held { photos }) if photos.len() == batch.len() => photos,
            Ok(_) => return Err(unexpected().into()),
            Err(SyncError::Transport(TransportError::Refused { code, .. }))
                if code == "not_found" =>
            {
                summary.photos_not_kept = true;
                return Ok(());
            }
            Err(error) if paused(&error) => {
                summary.photos_paused = true;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        for (named, held) in batch.iter().zip(held) {
            let moved = match (named.here, held) {
                (true, PhotoHeld::Absent) => {
                    upload(transport, replica, identity, named, 0, piece, summary)
                }
                (true, PhotoHeld::Receiving { received }) => upload(
                    transport, replica, identity, named, received, piece, summary,
                ),
                (false, PhotoHeld::Whole { size }) => {
                    fetch(transport, replica, identity, named, size, piece, summary)
                }
                (false, PhotoHeld::Absent | PhotoHeld::Receiving { .. }) => {
                    summary.photos_waiting += 1;
                    Ok(())
                }
                (_, PhotoHeld::Refused { .. }) => {
                    summary.photos_refused += 1;
                    Ok(())
                }
                (true, PhotoHeld::Whole { .. }) => Ok(()),
            };
            match moved {
                Ok(()) => progress(summary.progress()),
                // What the hub acknowledged stays; the next sync goes on.
                Err(PassError::Sync(error)) if paused(&error) => {
                    summary.photos_paused = true;
                    return Ok(());
                }
                Err(PassError::Sync(error)) => return Err(error.into()),
                Err(PassError::Replica(error)) => return Err(error),
            }
        }
    }
    Ok(())
}

/// Sends a photo from `offset`, one piece a request, each acknowledged by
/// the hub (durable there) before the next.
fn upload<R: PhotoReplica + RequestStamps>(
    transport: &mut dyn Transport,
    replica: &mut R,
    identity: DeviceIdentity<'_>,
    named: &NamedPhoto,
    mut offset: u64,
    piece: u32,
    summary: &mut SyncSummary,
) -> Result<(), PassError<R::Error>> {
    let Some(bytes) = replica
        .photo_bytes(&named.photo.hash)
        .map_err(PassError::Replica)?
    else {
        return Ok(());
    };
    let size = bytes.len() as u64;
    loop {
        let start = usize::try_from(offset.min(size)).unwrap_or(usize::MAX);
        let end = start.saturating_add(piece as usize).min(bytes.len());
        let request = PhotoRequest::Put {
            photo: named.photo.clone(),
            size,
            offset,
            bytes: bytes[start..end].to_vec(),
        };
        summary.photo_bytes_sent += (end - start) as u64;
        match exchange(transport, identity, replica, &request, summary)? {
            PhotoAnswer::Put { whole: true, .. } => {
                summary.photos_sent += 1;
                return Ok(());
            }
            // The hub says where it holds up to: the next piece starts there.
            PhotoAnswer::Put { received, .. } if received < size => offset = received,
            _ => return Err(unexpected().into()),
        }
    }
}

/// Fetches a photo of `size` bytes piece by piece from where an earlier
/// fetch stopped, keeping each piece, and keeps the photo once its bytes
/// hash to its name.
fn fetch<R: PhotoReplica + RequestStamps>(
    transport: &mut dyn Transport,
    replica: &mut R,
    identity: DeviceIdentity<'_>,
    named: &NamedPhoto,
    size: u64,
    piece: u32,
    summary: &mut SyncSummary,
) -> Result<(), PassError<R::Error>> {
    if size > MAX_PHOTO_SIZE {
        return Err(unexpected().into());
    }
    let hash = &named.photo.hash;
    let mut bytes = replica.fetched_so_far(hash).map_err(PassError::Replica)?;
    if bytes.len() as u64 > size {
        replica.drop_fetched(hash).map_err(PassError::Replica)?;
        bytes.clear();
    }
    let resumed = !bytes.is_empty();
    fetch_rest(
        transport, replica, identity, named, size, piece, &mut bytes, summary,
    )?;
    if crate::wire::sha256(&bytes) != *hash {
        // Never kept: what was kept of it goes too. A resumed fetch may
        // have joined pieces of two different uploads; one from the start
        // settles it.
        replica.drop_fetched(hash).map_err(PassError::Replica)?;
        let not_its_name = || {
            SyncError::from(WireError::malformed(
                "a photo from the hub does not hash to its name",
            ))
            .into()
        };
        if !resumed {
            return Err(not_its_name());
        }
        bytes.clear();
        fetch_rest(
            transport, replica, identity, named, size, piece, &mut bytes, summary,
        )?;
        if crate::wire::sha256(&bytes) != *hash {
            replica.drop_fetched(hash).map_err(PassError::Replica)?;
            return Err(not_its_name());
        }
    }
    replica
        .keep_photo(hash, &bytes)
        .map_err(PassError::Replica)?;
    summary.photos_received += 1;
    Ok(())
}

/// Asks for the bytes of a photo of `size` bytes after those in `bytes`,
/// keeping each piece that does not end the photo.
#[allow(clippy::too_many_arguments)]
fn fetch_rest<R: PhotoReplica + RequestStamps>(
    transport: &mut dyn Transport,
    replica: &mut R,
    identity: DeviceIdentity<'_>,
    named: &NamedPhoto,
    size: u64,
    piece: u32,
    bytes: &mut Zeroizing<Vec<u8>>,
    summary: &mut SyncSummary,
) -> Result<(), PassError<R::Error>> {
    let rest = usize::try_from(size)
        .unwrap_or(0)
        .saturating_sub(bytes.len());
    bytes.reserve(rest);
    while (bytes.len() as u64) < size {
        let offset = bytes.len() as u64;
        let request = PhotoRequest::Get {
            photo: named.photo.clone(),
            offset,
            max_len: piece,
        };
        match exchange(transport, identity, replica, &request, summary)? {
            PhotoAnswer::Get {
                size: answered,
                bytes: got,
            } if answered == size
                && !got.is_empty()
                && bytes.len() + got.len() <= size as usize =>
            {
                summary.photo_bytes_received += got.len() as u64;
                bytes.extend_from_slice(&got);
                if (bytes.len() as u64) < size {
                    replica
                        .keep_fetched_piece(&named.photo.hash, offset, &got)
                        .map_err(PassError::Replica)?;
                }
            }
            _ => return Err(unexpected().into()),
        }
    }
    Ok(())
}

fn exchange(
    transport: &mut dyn Transport,
    identity: DeviceIdentity<'_>,
    stamps: &mut dyn RequestStamps,
    request: &PhotoRequest,
    summary: &mut SyncSummary,
) -> Result<PhotoAnswer, SyncError> {
    let body = encode_photo_request(
        identity.key,
        identity.device,
        stamps.now_ms(),
        stamps.nonce(),
        request,
    );
    summary.requests += 1;
    summary.bytes_sent += body.len() as u64;
    let answer = transport.post_photos(body)?;
    summary.bytes_received += answer.len() as u64;
    Ok(decode_photo_answer(&answer)?)
}

/// Why one photo did not move: the link or the hub, or this device.
enum PassError<E> {
    Sync(SyncError),
    Replica(E),
}

impl<E> From<SyncError> for PassError<E> {
    fn from(error: SyncError) -> Self {
        PassError::Sync(error)
    }
}

/// A hub that asks the device to slow down (`rate_limited`, `hub_busy`):
/// the photo pass stops there without failing the sync, and the next sync
/// goes on from what the hub acknowledged.
fn paused(error: &SyncError) -> bool {
    matches!(
        error,
        SyncError::Transport(TransportError::Refused { code, .. })
            if code == "rate_limited" || code == "hub_busy"
    )
}

fn unexpected() -> SyncError {
    SyncError::from(WireError::malformed(
        "the hub's answer to a photo request is not the one asked for",
    ))
}
