//! Wound photos between a device and the hub (`POST /v1/photos`), after
//! the charts: which photos the hub holds, a piece of a photo up, a piece
//! of a photo down. Every photo is named by its content hash (SHA-256 of
//! the stripped file, as the chart entry names it) and by a chart that
//! names it, which is what the hub's care-circle rule checks.
//!
//! A request travels in the sync envelope ([`crate::encode_request`]), its
//! header signed by the device over the body's length and hash like a sync
//! request, so the hub knows the device before it reads a byte of the
//! body. The body is not deflated (photos do not compress): it is
//! [`PHOTO_REQUEST_MAGIC`] and the postcard of a [`PhotoRequest`], so a
//! sync body (a deflate stream) is never read as a photo request, nor the
//! other way. The answer is [`PHOTO_ANSWER_MAGIC`] and the postcard of a
//! [`PhotoAnswer`].
//!
//! Uploads resume: a photo goes up in pieces at byte offsets, the hub
//! keeps what it took (sealed, durable) and says how far it holds, and a
//! device that was cut off asks and sends only the rest. The hub takes a
//! photo whole only when its bytes hash to its name.

use karte_types::{DeviceId, PatientId};
use serde::{Deserialize, Serialize};

use crate::wire::{from_postcard, to_postcard};
use crate::{DeviceKey, WireError, encode_request, sign_request_body};

/// The first bytes of a photo request's body.
pub const PHOTO_REQUEST_MAGIC: [u8; 4] = *b"KPHQ";
/// The first bytes of the hub's answer to one.
pub const PHOTO_ANSWER_MAGIC: [u8; 4] = *b"KPHA";
/// The piece of a photo one request carries by default: over a weak 3G
/// link it arrives in seconds, so a cut loses little.
pub const PHOTO_PIECE_BYTES: u32 = 1 << 20;
/// The largest piece a hub takes or sends.
pub const MAX_PHOTO_PIECE_BYTES: u32 = 4 << 20;
/// The largest photo request body a hub reads: one piece and its framing.
pub const MAX_PHOTO_BODY_BYTES: usize = MAX_PHOTO_PIECE_BYTES as usize + (64 << 10);
/// The most photos one `Held` question names.
pub const MAX_PHOTOS_ASKED: usize = 1_000;
/// The largest photo there is (`karte_photo::MAX_PHOTO_BYTES`, 25 MiB).
pub const MAX_PHOTO_SIZE: u64 = 25 << 20;

/// A photo and a chart that names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhotoRef {
    pub chart: PatientId,
    pub hash: [u8; 32],
}

/// A photo asked about, with its size as the chart entry naming it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoAsk {
    pub photo: PhotoRef,
    pub size: u64,
}

/// What a device asks about photos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhotoRequest {
    /// How much of each photo the hub holds (an upload under way is
    /// found by the size asked).
    Held { photos: Vec<PhotoAsk> },
    /// Bytes `offset..offset + bytes.len()` of a photo of `size` bytes.
    /// The hub takes them only at the offset it holds up to.
    Put {
        photo: PhotoRef,
        size: u64,
        offset: u64,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// Up to `max_len` bytes of a photo from `offset`.
    Get {
        photo: PhotoRef,
        offset: u64,
        max_len: u32,
    },
}

/// How much of one photo the hub holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhotoHeld {
    /// Whole, `size` bytes: a device lacking it may fetch it.
    Whole { size: u64 },
    /// An upload that stopped after `received` bytes: send the rest.
    Receiving { received: u64 },
    /// Nothing of it.
    Absent,
    /// The device may not have it, for this reason (an error code:
    /// `outside_circle`, `photo_not_named`, `unknown_doc`).
    Refused { code: String },
}

/// The hub's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhotoAnswer {
    /// One entry per photo asked, in the order asked.
    Held { photos: Vec<PhotoHeld> },
    /// The hub holds the photo up to `received` bytes; `whole` once it
    /// took the last piece and the bytes hashed to the name.
    Put { received: u64, whole: bool },
    /// Bytes of the photo from the offset asked, and its whole size.
    Get {
        size: u64,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
}

/// A photo request as it travels: signed in the sync envelope.
pub fn encode_photo_request(
    key: &DeviceKey,
    device: &DeviceId,
    sent_at_ms: i64,
    nonce: [u8; 16],
    request: &PhotoRequest,
) -> Vec<u8> {
    let mut body = PHOTO_REQUEST_MAGIC.to_vec();
    body.extend_from_slice(&to_postcard(request));
    encode_request(&sign_request_body(key, device, sent_at_ms, nonce, body))
}

/// Reads a photo request's body, once its signature held.
pub fn decode_photo_request(body: &[u8]) -> Result<PhotoRequest, WireError> {
    let rest = body
        .strip_prefix(&PHOTO_REQUEST_MAGIC)
        .ok_or_else(|| WireError::malformed("not a photo request"))?;
    let request: PhotoRequest = from_postcard(rest)?;
    match &request {
        PhotoRequest::Held { photos } if photos.len() > MAX_PHOTOS_ASKED => Err(
            WireError::malformed(format!("more than {MAX_PHOTOS_ASKED} photos asked at once")),
        ),
        PhotoRequest::Put { bytes, .. } if bytes.len() > MAX_PHOTO_PIECE_BYTES as usize => Err(
            WireError::malformed(format!("a piece over {MAX_PHOTO_PIECE_BYTES} bytes")),
        ),
        _ => Ok(request),
    }
}

pub fn encode_photo_answer(answer: &PhotoAnswer) -> Vec<u8> {
    let mut out = PHOTO_ANSWER_MAGIC.to_vec();
    out.extend_from_slice(&to_postcard(answer));
    out
}

pub fn decode_photo_answer(bytes: &[u8]) -> Result<PhotoAnswer, WireError> {
    let rest = bytes
        .strip_prefix(&PHOTO_ANSWER_MAGIC)
        .ok_or_else(|| WireError::malformed("not an answer to a photo request"))?;
    from_postcard(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HeaderRead, read_request_header, verify_request_header};

    fn photo() -> PhotoRef {
        PhotoRef {
            chart: PatientId("01JPATIENT".into()),
            hash: [7; 32],
        }
    }

    #[test]
    fn a_signed_photo_request_reads_back_under_its_header() {
        let (key, _) = DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
        let device = DeviceId::from("01JDEVICE");
        let request = PhotoRequest::Put {
            photo: photo(),
            size: 10,
            offset: 4,
            bytes: vec![1, 2, 3],
        };
        let envelope = encode_photo_request(&key, &device, 1_000, [3; 16], &request);
        let HeaderRead::Complete {
            header,
            body_offset,
            ..
        } = read_request_header(&envelope).unwrap()
        else {
            panic!("the header is complete");
        };
        verify_request_header(&header, &key.public_key()).unwrap();
        let signed = header.with_body(envelope[body_offset..].to_vec()).unwrap();
        assert_eq!(decode_photo_request(&signed.body).unwrap(), request);
    }

    #[test]
    fn a_sync_body_is_not_a_photo_request_nor_an_answer_a_request() {
        let sync_body =
            crate::wire::deflate(Vec::new(), b"any sync body", flate2::Compression::default());
        assert_eq!(
            decode_photo_request(&sync_body).unwrap_err().code(),
            "malformed"
        );
        let answer = encode_photo_answer(&PhotoAnswer::Put {
            received: 3,
            whole: false,
        });
        assert!(decode_photo_request(&answer).is_err());
        assert_eq!(
            decode_photo_answer(&answer).unwrap(),
            PhotoAnswer::Put {
                received: 3,
                whole: false
            }
        );
    }

    #[test]
    fn too_many_photos_or_too_large_a_piece_is_refused() {
        let many = PhotoRequest::Held {
            photos: vec![
                PhotoAsk {
                    photo: photo(),
                    size: 1
                };
                MAX_PHOTOS_ASKED + 1
            ],
        };
        let mut body = PHOTO_REQUEST_MAGIC.to_vec();
        body.extend_from_slice(&to_postcard(&many));
        assert!(decode_photo_request(&body).is_err());
        let large = PhotoRequest::Put {
            photo: photo(),
            size: MAX_PHOTO_SIZE,
            offset: 0,
            bytes: vec![0; MAX_PHOTO_PIECE_BYTES as usize + 1],
        };
        let mut body = PHOTO_REQUEST_MAGIC.to_vec();
        body.extend_from_slice(&to_postcard(&large));
        assert!(decode_photo_request(&body).is_err());
    }

    proptest::proptest! {
        /// Any request reads back as itself, and any bytes at all are read
        /// or refused, never a panic.
        #[test]
        fn requests_round_trip_and_any_bytes_are_read_or_refused(
            hash in proptest::array::uniform32(proptest::num::u8::ANY),
            size in 1u64..MAX_PHOTO_SIZE,
            offset in 0u64..MAX_PHOTO_SIZE,
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
            noise in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        ) {
            let photo = PhotoRef { chart: PatientId("01JPATIENT".into()), hash };
            for request in [
                PhotoRequest::Held { photos: vec![PhotoAsk { photo: photo.clone(), size }] },
                PhotoRequest::Put { photo: photo.clone(), size, offset, bytes: bytes.clone() },
                PhotoRequest::Get { photo: photo.clone(), offset, max_len: size as u32 },
            ] {
                let mut body = PHOTO_REQUEST_MAGIC.to_vec();
                body.extend_from_slice(&to_postcard(&request));
                proptest::prop_assert_eq!(decode_photo_request(&body).unwrap(), request);
            }
            let mut body = PHOTO_REQUEST_MAGIC.to_vec();
            body.extend_from_slice(&noise);
            let _ = decode_photo_request(&body);
            let _ = decode_photo_answer(&noise);
        }
    }
}
