//! `POST /v1/photos`: a device asks which photos the hub holds, sends a
//! piece of one, or fetches a piece of one (`karte_sync::photo`).
//!
//! The request is read as a sync request is (see [`super::envelope`]): its
//! header first, the device and its signature checked, then the body up
//! to the length signed and at most one piece and its framing
//! ([`MAX_PHOTO_BODY_BYTES`]); freshness and the nonce as for sync. Only an
//! active device is served.
//!
//! The care-circle rule: a photo is named with a chart, and the hub serves
//! or takes it only when the device's organisation is in that chart's care
//! circle (`outside_circle`) and the hub's copy of the chart has a photo
//! entry naming it (`photo_not_named`). A photo's bytes are taken whole
//! only when they hash to its name (`photo_hash_mismatch`, the upload
//! thrown away); a photo the hub holds whole is never taken again.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use karte_record::Chart;
use karte_sync::photo::{
    MAX_PHOTO_BODY_BYTES, MAX_PHOTO_PIECE_BYTES, MAX_PHOTO_SIZE, PhotoAnswer, PhotoHeld, PhotoRef,
    PhotoRequest, decode_photo_request, encode_photo_answer,
};
use karte_types::DeviceId;
use tokio::time::Instant;

use crate::photos::{Holding, PhotoName, PieceTaken};
use crate::server::blocking::run_blocking;
use crate::server::chart_copy;
use crate::server::envelope::{Incoming, answer_signed, record_nonce, signed_body, signed_header};
use crate::server::problem::Problem;
use crate::{Device, DeviceStatus, Hub, HubStore, HubStoreError};

pub(super) async fn handle<S: HubStore>(
    State(hub): State<Hub<S>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer_signed(
        &hub,
        "photo request",
        body,
        async |incoming, started, signer| photos(&hub, &headers, incoming, started, signer).await,
    )
    .await
}

async fn photos<S: HubStore>(
    hub: &Hub<S>,
    headers: &HeaderMap,
    incoming: &mut Incoming,
    started: Instant,
    signer: &mut Option<DeviceId>,
) -> Result<Vec<u8>, Problem> {
    let Some(photos) = hub.photos() else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this hub keeps no photos: photos stay on the devices that took them",
        ));
    };
    Incoming::check_declared_body(headers, MAX_PHOTO_BODY_BYTES)?;
    let (header, _version, device, now) = signed_header(hub, incoming, started, signer).await?;
    hub.guard().check_device_photos(&device.id)?;
    if device.status != DeviceStatus::Active {
        return Err(HubStoreError::DeviceRevoked(device.id.clone()).into());
    }
    let nonce = header.nonce;
    let signed = signed_body(
        hub,
        incoming,
        header,
        MAX_PHOTO_BODY_BYTES,
        "a photo request",
        started,
    )
    .await?;
    record_nonce(hub, &device.id, nonce, now).await?;
    let request = decode_photo_request(&signed.body)?;
    drop(signed);
    let keys = hub.store();
    let answer = match request {
        PhotoRequest::Held { photos: asked } => {
            let mut held = Vec::with_capacity(asked.len());
            for ask in &asked {
                held.push(match may_have(hub, &device, &ask.photo).await? {
                    Some(code) => PhotoHeld::Refused {
                        code: code.to_owned(),
                    },
                    None => match photos.holding(ask.photo.hash, ask.size).await? {
                        Holding::Whole { size } => PhotoHeld::Whole { size },
                        Holding::Receiving { received } => PhotoHeld::Receiving { received },
                        Holding::Absent => PhotoHeld::Absent,
                    },
                });
            }
            PhotoAnswer::Held { photos: held }
        }
        PhotoRequest::Put {
            photo,
            size,
            offset,
            bytes,
        } => {
            refuse_unless_may_have(hub, &device, &photo).await?;
            if size == 0 || size > MAX_PHOTO_SIZE {
                return Err(Problem::malformed(format!(
                    "a photo of {size} bytes: photos are 1 to {MAX_PHOTO_SIZE} bytes"
                )));
            }
            let name = PhotoName {
                hash: photo.hash,
                size,
            };
            match photos
                .take_piece(name, offset, bytes, &device.org, keys)
                .await?
            {
                PieceTaken::Held { received, whole } => PhotoAnswer::Put { received, whole },
                PieceTaken::HashMismatch => {
                    return Err(Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "photo_hash_mismatch",
                        "the photo's bytes do not hash to the name they were sent under: they were altered or damaged; nothing of it was kept",
                    ));
                }
            }
        }
        PhotoRequest::Get {
            photo,
            offset,
            max_len,
        } => {
            refuse_unless_may_have(hub, &device, &photo).await?;
            let max_len = max_len.clamp(1, MAX_PHOTO_PIECE_BYTES) as usize;
            match photos.read_piece(photo.hash, offset, max_len, keys).await? {
                Some((size, bytes)) => PhotoAnswer::Get { size, bytes },
                None => {
                    return Err(Problem::new(
                        StatusCode::NOT_FOUND,
                        "photo_not_here",
                        "the hub does not hold this photo yet: the device that took it has not sent it",
                    ));
                }
            }
        }
    };
    Ok(encode_photo_answer(&answer))
}

async fn refuse_unless_may_have<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    photo: &PhotoRef,
) -> Result<(), Problem> {
    match may_have(hub, device, photo).await? {
        None => Ok(()),
        Some("outside_circle") => Err(HubStoreError::OutsideCircle {
            doc: photo.chart.clone(),
            org: device.org.clone(),
        }
        .into()),
        Some("unknown_doc") => Err(HubStoreError::UnknownDoc(photo.chart.clone()).into()),
        Some(code) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            code,
            "the chart named does not name this photo: a device may send or fetch only the photos of charts it holds",
        )),
    }
}

/// Why `device` may not have `photo`, or `None` when it may: its
/// organisation is in the chart's care circle and the hub's copy of the
/// chart names the photo.
async fn may_have<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    photo: &PhotoRef,
) -> Result<Option<&'static str>, Problem> {
    let Some(record) = hub.store().doc(&photo.chart).await? else {
        return Ok(Some("unknown_doc"));
    };
    if !record.circle.contains(&device.org) {
        return Ok(Some("outside_circle"));
    }
    if hub.known_named(&photo.chart, &photo.hash) {
        return Ok(None);
    }
    // Every photo the chart names is noted at once: a device asking about
    // a chart's forty photos loads the chart once, not forty times.
    let copy = chart_copy::load(hub, &photo.chart).await?;
    let named = run_blocking(move || {
        Chart::named_attachments(&copy.doc)
            .map_err(|error| Problem::internal("corrupt_chart", error))
    })
    .await?;
    let asked = hex::encode(photo.hash);
    let mut names_it = false;
    for attachment in named {
        let mut hash = [0u8; 32];
        if hex::decode_to_slice(&attachment, &mut hash).is_ok() {
            hub.note_named(&photo.chart, &hash);
        }
        names_it |= attachment == asked;
    }
    Ok((!names_it).then_some("photo_not_named"))
}
