//! The sync protocol's messages and their envelope: what a device sends the
//! hub (or another device) in one round, what it gets back, and how both are
//! framed on the wire.
//!
//! An envelope starts with a 4-byte magic (`KSYN` for a request, `KSYR` for
//! a response) and the protocol version as a big-endian `u16`. A response
//! then holds the message as postcard, compressed with raw deflate. A
//! request then holds its [`RequestHeader`] uncompressed (its length as a
//! big-endian `u16`, then postcard: who sends, when, the length and SHA-256
//! of the body, and the device's signature over them), then the body: the
//! [`SyncRequest`] as postcard, compressed with raw deflate. So a hub reads a
//! few hundred bytes, knows the device and checks its signature before it
//! reads the body, and inflates only a body the device signed.
//!
//! Decoding reads the magic and version first, so a peer of another version
//! gets `please_update` however its body looks, and inflates under a hard
//! limit, so a small body cannot expand into an exhausted memory (a zip
//! bomb).

use std::io::{Read, Write};

use flate2::Compression;
use karte_types::{DeviceId, PatientId, PatientSummary};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::WireError;

/// The protocol version this Karte speaks.
/// Version 2 added the first sync by charts sent whole in chart order
/// (`resume_after`) and the index entry sent beside a chart
/// ([`ChartDigest`]); version 3 moved a request's signature out of the
/// compressed body into a [`RequestHeader`] in front of it, over the
/// compressed bytes, and added unsharing by a device
/// ([`SyncRequest::unshares`]) and shares waiting for the receiving
/// organisation's approval ([`SyncResponse::shares_pending`]), and the
/// charts a device holds in quarantine ([`SyncRequest::quarantined`]);
/// version 4 added a chart's 指示書 and a casualty's triage tag to the
/// index entry beside a chart sent whole (`PatientSummary::orders` and
/// `::triage`, in [`ChartDigest`]), which postcard, having no field
/// names, cannot skip, and the device's audit log and the organisation's
/// lock policy ([`SyncRequest::audit`], [`SyncResponse::audit_held`],
/// [`SyncResponse::device_lock`]), the author of a pushed change
/// ([`SignedChange::author`]), so a device hands on other devices' changes
/// with their own signatures, and the identity of the hub's feed
/// ([`SyncResponse::feed_id`]).
pub const PROTOCOL_VERSION: u16 = 4;
/// The oldest version a hub still reads and answers in, so devices not yet
/// updated keep syncing for a release: a version 3 request is read as one
/// of version 4 whose changes are all the pushing device's own, and is
/// answered in version 3.
pub const OLDEST_READ_VERSION: u16 = 3;
/// The first bytes of every request.
pub const REQUEST_MAGIC: [u8; 4] = *b"KSYN";
/// The first bytes of every response. Different from the request's, so a
/// response is never mistaken for a request.
pub const RESPONSE_MAGIC: [u8; 4] = *b"KSYR";
const HEADER_LEN: usize = 6;
/// The longest [`RequestHeader`] a hub reads: a device id, a signature and
/// a few numbers fit many times over.
pub const MAX_REQUEST_HEADER_BYTES: usize = 1024;

/// A request with its author and signature. `body` is the deflated postcard
/// encoding of a [`SyncRequest`]; it stays bytes here so the signature
/// covers exactly what was sent, and is inflated only once the signature
/// holds. Build one with [`crate::sign_request`] and open it with
/// [`crate::verify_request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRequest {
    pub device: DeviceId,
    /// The device's clock when it signed, in milliseconds since 1970.
    pub sent_at_ms: i64,
    /// Random per request, so the hub can refuse a replay.
    pub nonce: [u8; 16],
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// Ed25519, see [`crate::request_signing_message`].
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

/// What travels in front of a request's compressed body: everything the hub
/// needs to know the device and check its signature before it reads the
/// body. `body_sha256` is what the signature covers of the body
/// ([`crate::request_signing_message`]); the hub checks the body it then
/// reads against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestHeader {
    pub device: DeviceId,
    pub sent_at_ms: i64,
    pub nonce: [u8; 16],
    /// The compressed body's length in bytes.
    pub body_len: u64,
    pub body_sha256: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

impl RequestHeader {
    /// The request whose body is `body`, which must be the body this
    /// header announced: its length and its SHA-256.
    pub fn with_body(self, body: Vec<u8>) -> Result<SignedRequest, WireError> {
        if body.len() as u64 != self.body_len {
            return Err(WireError::malformed(format!(
                "the body is {} bytes, the header announced {}",
                body.len(),
                self.body_len
            )));
        }
        if sha256(&body) != self.body_sha256 {
            return Err(WireError::malformed(
                "the body is not the one its header announced",
            ));
        }
        Ok(SignedRequest {
            device: self.device,
            sent_at_ms: self.sent_at_ms,
            nonce: self.nonce,
            body,
            signature: self.signature,
        })
    }
}

/// A request header read from the first bytes of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderRead {
    /// More bytes are needed to read the header.
    Incomplete,
    /// The header, and where the body starts.
    Complete {
        header: RequestHeader,
        body_offset: usize,
        /// The envelope's protocol version: the body is read, and the
        /// request answered, in it.
        version: u16,
    },
}

/// One round of sync, from the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The position in the hub's change feed up to which the device has
    /// received everything (0 = nothing yet).
    pub cursor: u64,
    /// Set while a first sync is under way: the device has every chart in
    /// its scope, in chart id order, up to and including this one, as of
    /// feed position `cursor`; the hub goes on with the next chart. See
    /// [`SyncResponse::resume_after`].
    pub resume_after: Option<PatientId>,
    /// The page size: the hub answers with about this much at most and sets
    /// `more` when there is more.
    pub max_response_bytes: u32,
    pub pushes: Vec<DocPush>,
    /// The head of the vault's audit chain; the hub keeps the latest per
    /// device, so a vault whose audit tail was removed is noticed.
    pub audit_head: Option<AuditHeadReport>,
    /// Charts the device asks to share: each (chart, organisation id) adds
    /// the organisation to the chart's care circle. The hub applies them
    /// after the pushes of the same request, so a chart this request creates
    /// can be shared by it, and refuses the whole request if the device's
    /// organisation may not see the chart, or if the receiving
    /// organisation's rules refuse shares from it (`share_not_accepted`).
    /// A share the receiving organisation approves one by one waits for
    /// its administrator and is listed in [`SyncResponse::shares_pending`].
    /// Sharing twice changes nothing.
    #[serde(default)]
    pub shares: Vec<(PatientId, String)>,
    /// Charts the device asks to stop sharing: each (chart, organisation
    /// id) removes the organisation from the chart's care circle (and
    /// forgets a share of it waiting for approval). Only the owning
    /// organisation may remove another; any may remove itself. Applied
    /// after the shares of the same request.
    #[serde(default)]
    pub unshares: Vec<(PatientId, String)>,
    /// The charts the device keeps in quarantine because it could not
    /// apply what it received of them, the whole list, when it changed
    /// since the hub last answered a request that carried it; `None` when
    /// the hub knows it already. The hub keeps the latest list per device
    /// for its administrator.
    #[serde(default)]
    pub quarantined: Option<Vec<QuarantineReport>>,
    /// The entries of the device's audit log the hub has not acknowledged,
    /// oldest first, when there are any: the hub keeps them, append-only,
    /// and refuses a chain that does not extend the one it holds
    /// (`audit_chain_broken`).
    #[serde(default)]
    pub audit: Option<AuditUpload>,
    /// The identity of the hub's feed the device last synced with
    /// ([`SyncResponse::feed_id`]); `None` before its first sync. A hub
    /// whose feed has another identity (it was restored from a backup)
    /// refuses the request with `feed_changed` and stores nothing: the
    /// device's cursor and what it believes the hub holds are of a feed
    /// that is gone, and it starts over.
    pub feed_id: Option<[u8; 16]>,
    /// What the device holds of its organisation's trust, so the hub sends
    /// a newer revocation list or a renewed cert only when it is needed;
    /// `None` from a device that keeps no trust store.
    pub trust: Option<TrustState>,
}

/// The device's revocation list sequence and cert, as it reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustState {
    /// The sequence of the organisation's list it holds (0: none).
    pub list_sequence: u64,
    /// When its own cert ends (`None`: it has none).
    pub cert_not_after_ms: Option<i64>,
    /// Its X25519 bundle key, for a new cert.
    pub bundle_key: [u8; 32],
    /// The highest serial of its peers' certs it holds (0: none).
    pub peers_up_to_serial: u64,
}

/// What the hub gives a device of its organisation's trust: the signing
/// key (the anchor, which the device compares with the one it holds), a
/// newer list and a renewed cert when the device's are older.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustUpdate {
    pub org_signing_key: [u8; 32],
    pub cert: Option<crate::trust::SignedCert>,
    pub list: Option<crate::trust::SignedRevocationList>,
    /// The certs of the organisation's other active devices newer than the
    /// device's `peers_up_to_serial`, so it can address bundles to them.
    pub member_certs: Vec<crate::trust::SignedCert>,
}

/// Audit entries a device hands the hub: each with its number, its chain
/// hash and the bytes the hash covers, after the entry `after` (the last
/// the hub acknowledged; number 0 and a zero hash before the first).
/// `signature` is the device's over the last entry's number and hash
/// ([`crate::audit_signing_message`]), which the chain ties to every entry
/// before it: the hub keeps it as the device's word for the whole log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditUpload {
    pub after: AuditHeadReport,
    pub entries: Vec<AuditRecordWire>,
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

/// One audit entry as it travels: see [`AuditUpload`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecordWire {
    pub seq: u64,
    pub hash: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
}

/// A chart a device could not apply and keeps aside: which chart, why (an
/// error code such as `forbidden_change`), and since when by the device's
/// clock. Nothing of the chart's content travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineReport {
    pub doc: PatientId,
    pub reason: String,
    pub since_ms: i64,
}

/// The changes of one chart that the hub lacks, in causal order, or the
/// chart whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPush {
    pub doc: PatientId,
    pub changes: Vec<SignedChange>,
    /// The chart saved whole, for a chart the hub does not hold yet: far
    /// smaller than its changes one by one. The hub takes every change in
    /// it that it lacks, as if pushed before `changes`.
    #[serde(default)]
    pub whole: Option<WholeChart>,
}

/// A chart sent whole with the signatures that vouch for it: one per
/// author's tip, by the cover rule ([`crate::cover`]), each naming its
/// author (the pushing device, or another whose change this one hands on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WholeChart {
    /// `Automerge::save` of the chart.
    #[serde(with = "serde_bytes")]
    pub saved: Vec<u8>,
    pub tips: Vec<ChangeSignature>,
}

/// One raw Automerge change, its hash and the pushing device's signature
/// over that hash. Build one with [`crate::sign_change`] and check it with
/// [`crate::verify_change`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedChange {
    #[serde(with = "serde_bytes")]
    pub change: Vec<u8>,
    pub hash: [u8; 32],
    /// Ed25519, see [`crate::change_signing_message`].
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
    /// The device that wrote the change and signed it, when it is not the
    /// pushing device: a change handed on (relayed) with its author's
    /// signature. `None`: the pushing device's own.
    pub author: Option<DeviceId>,
}

/// The number and hash of the latest entry of a vault's audit chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHeadReport {
    pub seq: u64,
    pub hash: [u8; 32],
}

/// The answer to one [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The new cursor. The device stores it only once the whole page is
    /// durable in its vault.
    pub cursor: u64,
    /// A device with nothing yet (cursor 0) is sent every chart in its
    /// scope whole, in chart id order, as of a feed position the hub fixes
    /// and returns as `cursor`; while charts remain, this names the last one
    /// sent, and the device asks again with both. Then it reads the feed
    /// after `cursor` as usual. The device stores it with the cursor.
    pub resume_after: Option<PatientId>,
    /// Another page follows: the device asks again with the new cursor and
    /// no pushes.
    pub more: bool,
    /// For each pushed chart, the hub's heads after applying the push.
    pub acked: Vec<DocHeads>,
    /// The charts in the device's scope that changed after the cursor.
    pub updates: Vec<DocUpdate>,
    /// Charts no longer shared with the device's organisation.
    pub removed: Vec<PatientId>,
    pub wipe: Option<WipeOrder>,
    /// The public key of every device that signed a change in `updates`
    /// (each [`ChangeSignature::device`]), so the receiving device checks
    /// every signature it is given. A device that is not told a signer's
    /// key refuses the page.
    #[serde(default)]
    pub signers: Vec<SignerKey>,
    /// The shares of the request that wait for the receiving organisation's
    /// administrator to approve them: taken, but not in the circle yet.
    #[serde(default)]
    pub shares_pending: Vec<(PatientId, String)>,
    /// The end of the device's audit log as the hub now holds it, in
    /// answer to a request that carried audit entries: the device sends
    /// none of them again.
    #[serde(default)]
    pub audit_held: Option<AuditHeadReport>,
    /// The device's organisation's lock policy, in every answer to an
    /// active device: `None` when it has none (a device that kept one drops
    /// it). The device keeps the last one it received with the time of the
    /// sync.
    #[serde(default)]
    pub device_lock: Option<DeviceLock>,
    /// The identity of the hub's feed: random, new when the hub is restored
    /// from a backup. The device keeps it with its cursor.
    pub feed_id: Option<[u8; 16]>,
    /// Newer trust for a device that reported its own
    /// ([`SyncRequest::trust`]), from a hub that signs.
    pub trust: Option<TrustUpdate>,
}

/// An organisation's lock for lost devices: a vault that has not reached
/// its hub for `lock_after_days` opens only with one of the unlock codes
/// its administrator reads out, of which the device gets only slow salted
/// hashes ([`crate::unlock_code`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLock {
    pub lock_after_days: u32,
    pub cost: crate::unlock_code::UnlockCodeCost,
    pub codes: Vec<crate::unlock_code::UnlockCodeCheck>,
}

/// A device's enrolled public key, as the hub vouches for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerKey {
    pub device: DeviceId,
    /// Ed25519, 32 bytes.
    pub public_key: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    pub doc: PatientId,
    pub heads: Vec<[u8; 32]>,
}

/// What the device lacks of one chart, with the signature of every change
/// it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocUpdate {
    pub doc: PatientId,
    pub payload: Payload,
    pub signatures: Vec<ChangeSignature>,
    /// Beside a chart sent whole, when the hub has it: what the device
    /// would otherwise have to load the chart to learn.
    pub digest: Option<ChartDigest>,
}

/// What a device needs to file a chart it receives whole without loading
/// it, computed by the hub when it saved the chart: its heads and its
/// patient-list entry. The hub sends one only for a chart whose arrival
/// records nothing (no concurrent values or clinical findings without a
/// review item), so storing the bytes as they came is all a device would
/// do. The device checks the entry against the chart when it first loads
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartDigest {
    pub heads: Vec<[u8; 32]>,
    pub summary: PatientSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// A whole saved document, for a chart the device has never had: a
    /// first sync, or a chart newly shared.
    Snapshot(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Raw Automerge changes, in causal order.
    Changes(#[serde(with = "byte_lists")] Vec<Vec<u8>>),
}

/// Who signed a change, carried beside it on every transport because an
/// Automerge change has no place for a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSignature {
    pub hash: [u8; 32],
    pub device: DeviceId,
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

/// The hub's order to a revoked device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WipeOrder {
    /// The device was reported lost: wipe now.
    Lost,
    /// The device was retired: this response acknowledged everything it
    /// pushed, so nothing is lost by wiping it now.
    Retired,
}

/// How large an envelope may be before and after inflating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_compressed_bytes: usize,
    pub max_inflated_bytes: usize,
}

impl Limits {
    /// The limits of the protocol: 64 MiB on the wire, 256 MiB inflated.
    pub const PROTOCOL: Limits = Limits {
        max_compressed_bytes: 64 << 20,
        max_inflated_bytes: 256 << 20,
    };
}

pub fn encode_request(request: &SignedRequest) -> Vec<u8> {
    let header = to_postcard(&RequestHeader {
        device: request.device.clone(),
        sent_at_ms: request.sent_at_ms,
        nonce: request.nonce,
        body_len: request.body.len() as u64,
        body_sha256: sha256(&request.body),
        signature: request.signature.clone(),
    });
    // A header too long for its length field would be refused by every hub
    // anyway; it is written so, and refused there with a clear error.
    let header_len = u16::try_from(header.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(HEADER_LEN + 2 + header.len() + request.body.len());
    out.extend_from_slice(&REQUEST_MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&request.body);
    out
}

/// Reads a request's header from the first bytes of its envelope, which
/// may be all of it or only the start. Needs at most
/// `8 + MAX_REQUEST_HEADER_BYTES` bytes to decide; refuses another version
/// from the first six.
pub fn read_request_header(bytes: &[u8]) -> Result<HeaderRead, WireError> {
    if bytes.len() < HEADER_LEN {
        return Ok(HeaderRead::Incomplete);
    }
    let (version, rest) = read_header(bytes, REQUEST_MAGIC, OLDEST_READ_VERSION)?;
    if rest.len() < 2 {
        return Ok(HeaderRead::Incomplete);
    }
    let header_len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
    if header_len > MAX_REQUEST_HEADER_BYTES {
        return Err(WireError::malformed(format!(
            "a request header of {header_len} bytes, at most {MAX_REQUEST_HEADER_BYTES} allowed"
        )));
    }
    let Some(header) = rest.get(2..2 + header_len) else {
        return Ok(HeaderRead::Incomplete);
    };
    Ok(HeaderRead::Complete {
        header: from_postcard(header)?,
        body_offset: HEADER_LEN + 2 + header_len,
        version,
    })
}

/// Deflates a request's postcard: the body a device signs.
pub(crate) fn deflate_request(request: &SyncRequest) -> Vec<u8> {
    deflate(Vec::new(), &to_postcard(request), Compression::default())
}

/// Inflates and reads a request's body under `limits`. Only for a body
/// whose signature has been checked.
pub fn inflate_request_body(body: &[u8], limits: &Limits) -> Result<SyncRequest, WireError> {
    inflate_request_body_of(PROTOCOL_VERSION, body, limits)
}

/// [`inflate_request_body`] for a body of protocol `version` (as its
/// envelope said): one of version 3 is read as version 4 with every
/// change the pushing device's own.
pub fn inflate_request_body_of(
    version: u16,
    body: &[u8],
    limits: &Limits,
) -> Result<SyncRequest, WireError> {
    check_compressed_len(body.len(), limits).map_err(|e| over_request_limit(e, limits))?;
    let plain =
        inflate(body, limits.max_inflated_bytes).map_err(|e| over_request_limit(e, limits))?;
    if version == 3 {
        return Ok(from_postcard::<v3::SyncRequest>(&plain)?.into());
    }
    from_postcard(&plain)
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// The compression for a message carrying `updates`. Saved charts are
/// compressed already: deflating them again costs the hub half a second per
/// 15 MB of a first sync and saves under 2 %. A message that is mostly
/// charts sent whole goes in stored blocks, still a deflate stream, so
/// readers do not notice.
pub(crate) fn level_for<'a>(updates: impl IntoIterator<Item = &'a DocUpdate>) -> Compression {
    let (mut whole, mut changes) = (0usize, 0usize);
    for update in updates {
        match &update.payload {
            Payload::Snapshot(bytes) => whole += bytes.len(),
            Payload::Changes(list) => changes += list.iter().map(Vec::len).sum::<usize>(),
        }
    }
    if whole > MOSTLY_WHOLE_ABOVE && whole > 4 * changes {
        Compression::none()
    } else {
        Compression::default()
    }
}

pub fn encode_response(response: &SyncResponse) -> Vec<u8> {
    encode_response_as(PROTOCOL_VERSION, response)
}

/// A response in protocol `version`, the version of the request it answers
/// (see [`OLDEST_READ_VERSION`]): version 3 lacks the feed's identity.
pub fn encode_response_as(version: u16, response: &SyncResponse) -> Vec<u8> {
    let level = level_for(&response.updates);
    if version == 3 {
        return encode(
            RESPONSE_MAGIC,
            version,
            &v3::SyncResponse::from(response),
            level,
        );
    }
    encode(RESPONSE_MAGIC, version, response, level)
}

/// How many bytes of charts sent whole make a response not worth deflating.
const MOSTLY_WHOLE_ABOVE: usize = 64 << 10;

/// Reads a request envelope under the protocol's [`Limits`]. Neither the
/// signature is checked nor the body inflated here: see
/// [`crate::verify_request`].
pub fn decode_request(bytes: &[u8]) -> Result<SignedRequest, WireError> {
    decode_request_within(bytes, &Limits::PROTOCOL)
}

pub fn decode_response(bytes: &[u8]) -> Result<SyncResponse, WireError> {
    decode_response_within(bytes, &Limits::PROTOCOL)
}

/// Reads a request envelope under `limits`; one over them is
/// `request_too_large`, naming the limit, so the device sends smaller pages.
pub fn decode_request_within(bytes: &[u8], limits: &Limits) -> Result<SignedRequest, WireError> {
    let HeaderRead::Complete {
        header,
        body_offset,
        version,
    } = read_request_header(bytes)?
    else {
        return Err(WireError::malformed(format!(
            "{} bytes, shorter than the request's header",
            bytes.len()
        )));
    };
    // A whole request is read only in this version; a hub reads the older
    // one in two stages ([`read_request_header`], [`inflate_request_body_of`]).
    if version != PROTOCOL_VERSION {
        return Err(WireError::PleaseUpdate {
            found: version,
            supported: PROTOCOL_VERSION,
        });
    }
    let body = &bytes[body_offset..];
    check_compressed_len(body.len(), limits).map_err(|e| over_request_limit(e, limits))?;
    header.with_body(body.to_vec())
}

/// A request over `limits` is `request_too_large`, naming the limit on the
/// wire, so the device sends its changes again in smaller pages.
fn over_request_limit(error: WireError, limits: &Limits) -> WireError {
    match error {
        WireError::TooLarge { detail } => WireError::RequestTooLarge {
            limit: limits.max_compressed_bytes,
            detail,
        },
        other => other,
    }
}

fn check_compressed_len(len: usize, limits: &Limits) -> Result<(), WireError> {
    if len > limits.max_compressed_bytes {
        return Err(WireError::TooLarge {
            detail: format!(
                "{len} bytes on the wire, at most {} allowed",
                limits.max_compressed_bytes
            ),
        });
    }
    Ok(())
}

pub fn decode_response_within(bytes: &[u8], limits: &Limits) -> Result<SyncResponse, WireError> {
    decode(bytes, RESPONSE_MAGIC, limits)
}

/// One update as bytes, as a device keeps an update it could not apply.
pub fn encode_update(update: &DocUpdate) -> Vec<u8> {
    to_postcard(update)
}

/// An update kept with [`encode_update`].
pub fn decode_update(bytes: &[u8]) -> Result<DocUpdate, WireError> {
    from_postcard(bytes)
}

/// Postcard without the envelope, as a request's signed body is carried.
pub(crate) fn to_postcard<T: Serialize>(value: &T) -> Vec<u8> {
    // Postcard fails only for sequences of unknown length and for a full
    // fixed buffer; these types have neither.
    postcard::to_stdvec(value).expect("the sync messages always serialise")
}

/// Reads postcard bytes that must hold exactly one `T`.
pub(crate) fn from_postcard<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    let (value, rest) = postcard::take_from_bytes(bytes)
        .map_err(|e| WireError::malformed(format!("the message cannot be read: {e}")))?;
    if !rest.is_empty() {
        return Err(WireError::malformed(format!(
            "{} unexpected bytes after the message",
            rest.len()
        )));
    }
    Ok(value)
}

fn encode<T: Serialize>(magic: [u8; 4], version: u16, value: &T, level: Compression) -> Vec<u8> {
    let plain = to_postcard(value);
    let mut out = Vec::with_capacity(HEADER_LEN + plain.len() / 2 + 64);
    out.extend_from_slice(&magic);
    out.extend_from_slice(&version.to_be_bytes());
    deflate(out, &plain, level)
}

/// Appends `plain`, deflated, to `out`.
pub(crate) fn deflate(out: Vec<u8>, plain: &[u8], level: Compression) -> Vec<u8> {
    let mut deflate = flate2::write::DeflateEncoder::new(out, level);
    // Writing into a Vec cannot fail.
    deflate
        .write_all(plain)
        .expect("deflating into memory cannot fail");
    deflate.finish().expect("deflating into memory cannot fail")
}

fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    magic: [u8; 4],
    limits: &Limits,
) -> Result<T, WireError> {
    let (_, compressed) = read_header(bytes, magic, PROTOCOL_VERSION)?;
    check_compressed_len(compressed.len(), limits)?;
    let plain = inflate(compressed, limits.max_inflated_bytes)?;
    from_postcard(&plain)
}

/// Checks the magic and the version (from `oldest` to [`PROTOCOL_VERSION`])
/// and returns the version and what follows them.
fn read_header(bytes: &[u8], magic: [u8; 4], oldest: u16) -> Result<(u16, &[u8]), WireError> {
    if bytes.len() < HEADER_LEN {
        return Err(WireError::malformed(format!(
            "{} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    if header[..4] != magic {
        let detail = if header[..4] == REQUEST_MAGIC || header[..4] == RESPONSE_MAGIC {
            "a sync message of the other direction"
        } else {
            "not a Karte sync message"
        };
        return Err(WireError::malformed(detail));
    }
    let version = u16::from_be_bytes([header[4], header[5]]);
    if !(oldest..=PROTOCOL_VERSION).contains(&version) {
        return Err(WireError::PleaseUpdate {
            found: version,
            supported: PROTOCOL_VERSION,
        });
    }
    Ok((version, rest))
}

/// The request of protocol version 3, read by hubs for one release: as
/// version 4 but for [`SignedChange::author`].
mod v3 {
    use karte_types::PatientId;
    use serde::Deserialize;

    use super::{AuditHeadReport, QuarantineReport};

    #[derive(Deserialize)]
    #[cfg_attr(test, derive(serde::Serialize))]
    pub(super) struct SyncRequest {
        pub(super) cursor: u64,
        pub(super) resume_after: Option<PatientId>,
        pub(super) max_response_bytes: u32,
        pub(super) pushes: Vec<DocPush>,
        pub(super) audit_head: Option<AuditHeadReport>,
        pub(super) shares: Vec<(PatientId, String)>,
        pub(super) unshares: Vec<(PatientId, String)>,
        pub(super) quarantined: Option<Vec<QuarantineReport>>,
    }

    #[derive(Deserialize)]
    #[cfg_attr(test, derive(serde::Serialize))]
    pub(super) struct DocPush {
        pub(super) doc: PatientId,
        pub(super) changes: Vec<SignedChange>,
    }

    #[derive(Deserialize)]
    #[cfg_attr(test, derive(serde::Serialize))]
    pub(super) struct SignedChange {
        #[serde(with = "serde_bytes")]
        pub(super) change: Vec<u8>,
        pub(super) hash: [u8; 32],
        #[serde(with = "serde_bytes")]
        pub(super) signature: Vec<u8>,
    }

    impl From<SyncRequest> for super::SyncRequest {
        fn from(old: SyncRequest) -> super::SyncRequest {
            let pushes = old
                .pushes
                .into_iter()
                .map(|push| super::DocPush {
                    doc: push.doc,
                    changes: push
                        .changes
                        .into_iter()
                        .map(|c| super::SignedChange {
                            change: c.change,
                            hash: c.hash,
                            signature: c.signature,
                            author: None,
                        })
                        .collect(),
                    whole: None,
                })
                .collect();
            super::SyncRequest {
                cursor: old.cursor,
                resume_after: old.resume_after,
                max_response_bytes: old.max_response_bytes,
                pushes,
                audit_head: old.audit_head,
                shares: old.shares,
                unshares: old.unshares,
                quarantined: old.quarantined,
                audit: None,
                feed_id: None,
                trust: None,
            }
        }
    }

    /// A response as version 3 reads it: without the feed's identity, the
    /// audit acknowledgement and the lock policy, and with no digest beside
    /// a chart sent whole (version 4's patient-list entry has fields
    /// version 3 cannot read; without one, the device loads the chart).
    #[derive(serde::Serialize)]
    pub(super) struct SyncResponse<'a> {
        cursor: u64,
        resume_after: &'a Option<PatientId>,
        more: bool,
        acked: &'a [super::DocHeads],
        updates: Vec<super::DocUpdate>,
        removed: &'a [PatientId],
        wipe: &'a Option<super::WipeOrder>,
        signers: &'a [super::SignerKey],
        shares_pending: &'a [(PatientId, String)],
    }

    impl<'a> From<&'a super::SyncResponse> for SyncResponse<'a> {
        fn from(r: &'a super::SyncResponse) -> SyncResponse<'a> {
            SyncResponse {
                cursor: r.cursor,
                resume_after: &r.resume_after,
                more: r.more,
                acked: &r.acked,
                updates: r
                    .updates
                    .iter()
                    .map(|update| super::DocUpdate {
                        digest: None,
                        ..update.clone()
                    })
                    .collect(),
                removed: &r.removed,
                wipe: &r.wipe,
                signers: &r.signers,
                shares_pending: &r.shares_pending,
            }
        }
    }
}

/// Inflates at most `limit` bytes; one byte more means the body is too
/// large, and the rest of it is never produced.
pub(crate) fn inflate(compressed: &[u8], limit: usize) -> Result<Vec<u8>, WireError> {
    let mut decoder = flate2::bufread::DeflateDecoder::new(compressed);
    let mut plain = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut decoder)
        .take(cap)
        .read_to_end(&mut plain)
        .map_err(|e| WireError::malformed(format!("the compressed body is damaged: {e}")))?;
    if plain.len() > limit {
        return Err(WireError::TooLarge {
            detail: format!("the body inflates to more than {limit} bytes"),
        });
    }
    let trailing = decoder.into_inner().len();
    if trailing > 0 {
        return Err(WireError::malformed(format!(
            "{trailing} unexpected bytes after the compressed body"
        )));
    }
    Ok(plain)
}

/// Serde for a list of byte strings, each as one length-prefixed run of
/// bytes rather than a sequence of single bytes. Postcard writes both the
/// same way; this way only reads faster.
mod byte_lists {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    pub fn serialize<S: Serializer>(lists: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(lists.iter().map(|b| Bytes::new(b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let buffers = Vec::<ByteBuf>::deserialize(deserializer)?;
        Ok(buffers.into_iter().map(ByteBuf::into_vec).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> SyncResponse {
        SyncResponse {
            cursor: 42,
            resume_after: Some("P0".into()),
            more: true,
            acked: vec![DocHeads {
                doc: "P1".into(),
                heads: vec![[7; 32]],
            }],
            updates: vec![DocUpdate {
                doc: "P2".into(),
                payload: Payload::Changes(vec![vec![1, 2, 3], vec![]]),
                signatures: vec![ChangeSignature {
                    hash: [9; 32],
                    device: "D1".into(),
                    signature: vec![5; 64],
                }],
                digest: None,
            }],
            removed: vec!["P3".into()],
            wipe: Some(WipeOrder::Retired),
            signers: vec![SignerKey {
                device: "D1".into(),
                public_key: [4; 32],
            }],
            shares_pending: vec![("P4".into(), "O1".into())],
            audit_held: Some(AuditHeadReport {
                seq: 9,
                hash: [3; 32],
            }),
            device_lock: Some(DeviceLock {
                lock_after_days: 30,
                cost: crate::unlock_code::UnlockCodeCost {
                    memory_kib: 19_456,
                    iterations: 2,
                    parallelism: 1,
                },
                codes: vec![crate::unlock_code::UnlockCodeCheck {
                    number: 1,
                    salt: [6; 16],
                    hash: [8; 32],
                }],
            }),
            feed_id: Some([7; 16]),
            trust: None,
        }
    }

    #[test]
    fn a_response_round_trips_and_starts_with_its_header() {
        let bytes = encode_response(&response());
        assert_eq!(&bytes[..6], b"KSYR\x00\x04");
        let older = encode_response_as(3, &response());
        assert_eq!(&older[..6], b"KSYR\x00\x03");
        assert_eq!(decode_response(&bytes), Ok(response()));
    }

    #[test]
    fn byte_lists_are_written_as_plain_sequences_of_bytes() {
        // The faster serde path must not change the wire format.
        let fast = to_postcard(&Payload::Changes(vec![vec![1, 2], vec![3]]));
        #[derive(Serialize)]
        enum Plain {
            _Snapshot(Vec<u8>),
            Changes(Vec<Vec<u8>>),
        }
        assert_eq!(
            fast,
            to_postcard(&Plain::Changes(vec![vec![1, 2], vec![3]]))
        );
    }

    #[test]
    fn charts_sent_whole_are_stored_and_changes_deflated_and_both_read_back() {
        // Repetitive bytes, which deflate would shrink a hundredfold.
        let saved = vec![0x42; 200_000];
        let whole = SyncResponse {
            updates: vec![DocUpdate {
                doc: "P4".into(),
                payload: Payload::Snapshot(saved.clone()),
                signatures: Vec::new(),
                digest: None,
            }],
            ..response()
        };
        let bytes = encode_response(&whole);
        assert!(bytes.len() > saved.len(), "{}", bytes.len());
        assert_eq!(decode_response(&bytes), Ok(whole));
        let changes = SyncResponse {
            updates: vec![DocUpdate {
                doc: "P4".into(),
                payload: Payload::Changes(vec![saved.clone()]),
                signatures: Vec::new(),
                digest: None,
            }],
            ..response()
        };
        let bytes = encode_response(&changes);
        assert!(bytes.len() < saved.len() / 50, "{}", bytes.len());
        assert_eq!(decode_response(&bytes), Ok(changes));
    }

    #[test]
    fn a_response_is_not_read_as_a_request() {
        let error = decode_request(&encode_response(&response())).unwrap_err();
        assert_eq!(
            error,
            WireError::malformed("a sync message of the other direction")
        );
    }

    #[test]
    fn another_version_is_refused_from_its_header_alone() {
        let mut bytes = b"KSYN\x00\x05".to_vec();
        bytes.extend_from_slice(b"a future body this version cannot read");
        assert_eq!(
            decode_request(&bytes),
            Err(WireError::PleaseUpdate {
                found: 5,
                supported: 4
            })
        );
        let mut old = b"KSYN\x00\x02".to_vec();
        old.extend_from_slice(b"a body of two versions before");
        assert_eq!(
            decode_request(&old),
            Err(WireError::PleaseUpdate {
                found: 2,
                supported: 4
            })
        );
    }

    #[test]
    fn a_version_3_body_reads_as_version_4_with_every_change_the_pushers_own() {
        let change = |n: u8| v3::SignedChange {
            change: vec![n; 10],
            hash: [n; 32],
            signature: vec![n; 64],
        };
        let old = v3::SyncRequest {
            cursor: 5,
            resume_after: Some("P1".into()),
            max_response_bytes: 1 << 20,
            pushes: vec![v3::DocPush {
                doc: "P2".into(),
                changes: vec![change(1), change(2)],
            }],
            audit_head: None,
            shares: vec![("P2".into(), "O1".into())],
            unshares: Vec::new(),
            quarantined: Some(Vec::new()),
        };
        let body = deflate(Vec::new(), &to_postcard(&old), Compression::default());
        let read = inflate_request_body_of(3, &body, &Limits::PROTOCOL).unwrap();
        assert_eq!(read.cursor, 5);
        assert_eq!(read.shares, [("P2".into(), "O1".into())]);
        let pushed = &read.pushes[0].changes;
        assert_eq!(pushed.len(), 2);
        assert!(pushed.iter().all(|c| c.author.is_none()));
        assert_eq!(pushed[1].signature, vec![2; 64]);
        // The same bytes are no version 4 body.
        assert!(inflate_request_body(&body, &Limits::PROTOCOL).is_err());
    }

    #[test]
    fn the_inflated_limit_is_exact() {
        let plain = to_postcard(&response());
        let bytes = encode_response(&response());
        let exact = Limits {
            max_compressed_bytes: bytes.len(),
            max_inflated_bytes: plain.len(),
        };
        assert_eq!(decode_response_within(&bytes, &exact), Ok(response()));
        let short = Limits {
            max_inflated_bytes: plain.len() - 1,
            ..exact
        };
        assert_eq!(
            decode_response_within(&bytes, &short).map_err(|e| e.code()),
            Err("too_large")
        );
        let narrow = Limits {
            max_compressed_bytes: bytes.len() - HEADER_LEN - 1,
            ..exact
        };
        assert_eq!(
            decode_response_within(&bytes, &narrow).map_err(|e| e.code()),
            Err("too_large")
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = encode_response(&response());
        bytes.push(0);
        assert_eq!(
            decode_response(&bytes).map_err(|e| e.code()),
            Err("malformed")
        );
    }
}
