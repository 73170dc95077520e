//! Reading a sync request off the connection in two stages, so that nothing
//! unauthenticated costs the hub more than a few hundred bytes: first the
//! envelope's header (at most [`MAX_REQUEST_HEADER_BYTES`], plus whatever
//! arrived with it), which names the device and carries its signature over
//! the body's length and hash; then, once the caller has checked that
//! signature, the body, up to the length the device signed. Each stage has
//! a deadline, so a client that trickles its bytes is cut off.
//!
//! A request refused before its body was read is answered at once, and the
//! rest of its body is then read and thrown away in the background, up to
//! [`DISCARD_LIMIT`] and the stage's deadline: a connection closed with
//! bytes unread is reset, and a client still sending would lose the answer
//! (a device would report the hub unreachable instead of, say,
//! `request_too_large`). It costs bandwidth, not memory, and no request slot.

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use karte_sync::wire::MAX_REQUEST_HEADER_BYTES;
use karte_sync::{
    AuthError, HeaderRead, Limits, RequestHeader, SignedRequest, WireError, read_request_header,
    verify_request_header,
};
use karte_types::{DeviceId, Timestamp};
use tokio::time::Instant;

use crate::server::problem::Problem;
use crate::{Device, Hub, HubStore};

/// The most of a request read before its header is complete. A header is
/// far shorter; this bounds what one read of the connection may bring.
const UNAUTHENTICATED_LIMIT: usize = 1 << 20;

/// The most of a refused request's body read and thrown away so that its
/// answer reaches the client; a longer one has its connection closed.
const DISCARD_LIMIT: usize = 1 << 20;

/// Answers a signed request (`what`, as the log names it): `serve` reads
/// and handles it from the body, noting the device once its signature
/// held, the only part of a refused request the log may name. A body left
/// unread (a refusal, or a lost device told to wipe) is read and thrown
/// away within the deadline of the stage the request reached, so the
/// client, perhaps still sending, reads the answer.
pub(super) async fn answer_signed<S: HubStore>(
    hub: &Hub<S>,
    what: &str,
    body: Body,
    serve: impl AsyncFnOnce(&mut Incoming, Instant, &mut Option<DeviceId>) -> Result<Vec<u8>, Problem>,
) -> Response {
    let mut signer = None;
    let started = Instant::now();
    let mut incoming = Incoming::new(body);
    let response = match serve(&mut incoming, started, &mut signer).await {
        Ok(bytes) => ([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Err(problem) => {
            problem.log_refusal(what, signer.as_ref());
            problem.into_response()
        }
    };
    let guard = &hub.config().guard;
    incoming.discard_rest(match signer {
        Some(_) => started + guard.body_timeout,
        None => started + guard.header_timeout.min(guard.body_timeout),
    });
    response
}

/// A signed request's header read by its stage's deadline, its device
/// looked up and its signature checked against the device's key (noted in
/// `signer` from then on), and its time within the replay window; what
/// the routes check after this (rate, status, body) is their own. Answers
/// with the header, the envelope's version, the device and the hub's time.
pub(super) async fn signed_header<S: HubStore>(
    hub: &Hub<S>,
    incoming: &mut Incoming,
    started: Instant,
    signer: &mut Option<DeviceId>,
) -> Result<(RequestHeader, u16, Device, Timestamp), Problem> {
    let config = hub.config();
    let (header, version) = incoming
        .header(started + config.guard.header_timeout.min(config.guard.body_timeout))
        .await?;
    let Some(device) = hub.store().device(&header.device).await? else {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unknown_device",
            "this device is not enrolled at this hub: enrol it with a new enrolment code",
        ));
    };
    let public_key = device.public_key_array()?;
    verify_request_header(&header, &public_key)?;
    *signer = Some(device.id.clone());
    let now = hub.now();
    config.replay.check(now.0, header.sent_at_ms, false)?;
    Ok((header, version, device, now))
}

/// The body a checked header announced: refused `request_too_large`
/// above `limit` before a byte of it is read (`what` names the request in
/// the refusal), else read by the body's deadline and bound to the header
/// (its length and SHA-256).
pub(super) async fn signed_body<S: HubStore>(
    hub: &Hub<S>,
    incoming: &mut Incoming,
    header: RequestHeader,
    limit: usize,
    what: &str,
    started: Instant,
) -> Result<SignedRequest, Problem> {
    let len = usize::try_from(header.body_len).unwrap_or(usize::MAX);
    if len > limit {
        return Err(WireError::RequestTooLarge {
            limit,
            detail: format!("{what} of {len} bytes on the wire, at most {limit} allowed"),
        }
        .into());
    }
    let bytes = incoming
        .body(len, started + hub.config().guard.body_timeout)
        .await?;
    Ok(header.with_body(bytes)?)
}

/// Records a signed request's nonce, refusing `replayed` a request whose
/// nonce the device used before within the replay window.
pub(super) async fn record_nonce<S: HubStore>(
    hub: &Hub<S>,
    device: &DeviceId,
    nonce: [u8; 16],
    now: Timestamp,
) -> Result<(), Problem> {
    let config = hub.config();
    let fresh = hub
        .store()
        .check_and_record_nonce(device, nonce, now, config.nonce_memory())
        .await?;
    if fresh {
        Ok(())
    } else {
        Err(AuthError::Replayed.into())
    }
}

/// A sync request's body as it arrives.
pub(super) struct Incoming {
    body: Body,
    /// Bytes received and not yet handed on.
    buffered: Vec<u8>,
}

impl Incoming {
    pub fn new(body: Body) -> Incoming {
        Incoming {
            body,
            buffered: Vec::new(),
        }
    }

    /// Refuses at once a request that declares a length over any this hub
    /// reads.
    pub fn check_declared(headers: &HeaderMap, limits: &Limits) -> Result<(), Problem> {
        Incoming::check_declared_body(headers, limits.max_compressed_bytes)
    }

    /// Refuses at once a request that declares a body over `max_body`
    /// bytes after its envelope header.
    pub fn check_declared_body(headers: &HeaderMap, max_body: usize) -> Result<(), Problem> {
        let most = 8 + MAX_REQUEST_HEADER_BYTES + max_body;
        let declared = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > most as u64) {
            return Err(Problem::from(WireError::RequestTooLarge {
                limit: max_body,
                detail: format!("the request declares more than the hub's {most} bytes"),
            }));
        }
        Ok(())
    }

    /// Reads until the envelope's header is complete, by `deadline`.
    /// Also returns the envelope's protocol version.
    pub async fn header(&mut self, deadline: Instant) -> Result<(RequestHeader, u16), Problem> {
        loop {
            match read_request_header(&self.buffered)? {
                HeaderRead::Complete {
                    header,
                    body_offset,
                    version,
                } => {
                    self.buffered.drain(..body_offset);
                    return Ok((header, version));
                }
                HeaderRead::Incomplete => {}
            }
            if self.buffered.len() > UNAUTHENTICATED_LIMIT {
                return Err(Problem::malformed("no request header in the first MiB"));
            }
            if !self.next_chunk(deadline, "its header").await? {
                return Err(Problem::malformed(format!(
                    "{} bytes, shorter than a request's header",
                    self.buffered.len()
                )));
            }
        }
    }

    /// Reads the body the header announced, `len` bytes, by `deadline`.
    /// The caller has checked the header's signature and that `len` is
    /// within its limits.
    pub async fn body(&mut self, len: usize, deadline: Instant) -> Result<Vec<u8>, Problem> {
        let mut body = std::mem::take(&mut self.buffered);
        body.reserve(len.saturating_sub(body.len()));
        while body.len() <= len {
            self.buffered.clear();
            if !self.next_chunk(deadline, "its body").await? {
                break;
            }
            body.extend_from_slice(&self.buffered);
        }
        if body.len() != len {
            return Err(Problem::from(WireError::Malformed {
                detail: format!(
                    "the body is {} bytes{}, the header announced {len}",
                    body.len(),
                    if body.len() > len { " or more" } else { "" }
                ),
            }));
        }
        Ok(body)
    }

    /// Reads the rest of a refused request's body in the background and
    /// throws it away, until its end, [`DISCARD_LIMIT`] bytes or
    /// `deadline`, whichever comes first; then the connection is let go.
    /// The answer is sent meanwhile: the server keeps reading a body whose
    /// reader is alive.
    pub fn discard_rest(self, deadline: Instant) {
        let mut body = self.body;
        if axum::body::HttpBody::is_end_stream(&body) {
            return;
        }
        tokio::spawn(async move {
            let mut left = DISCARD_LIMIT;
            while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, body.frame()).await {
                let len = frame.data_ref().map_or(0, |data| data.len());
                if len > left {
                    break;
                }
                left -= len;
            }
        });
    }

    /// Appends the next bytes received to `buffered`; `false` at the end of
    /// the body.
    async fn next_chunk(&mut self, deadline: Instant, what: &str) -> Result<bool, Problem> {
        let frame = tokio::time::timeout_at(deadline, self.body.frame())
            .await
            .map_err(|_| timed_out(what))?;
        match frame {
            None => Ok(false),
            Some(Err(error)) => Err(Problem::malformed(format!(
                "the request broke off ({error}): try again"
            ))),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.buffered.extend_from_slice(&data);
                }
                Ok(true)
            }
        }
    }
}

fn timed_out(what: &str) -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!("the request did not bring {what} in time: check the connection and sync again"),
    )
}
