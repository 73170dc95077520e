//! Sync between two devices of one organisation, without a hub: the
//! session that runs over an authenticated link (in `karte-peer`, TLS 1.3
//! whose raw public keys are the devices' Ed25519 keys), and the store it
//! reads and writes (the application's vault, or a test's memory).
//!
//! A session is a hello, then one exchange of heads:
//!
//! ```text
//! D → S  Hello   { protocol, cert, lists, clock }     the dialler's membership
//! S → D  Welcome { protocol, cert, lists, clock }     or Refused { code, message }
//! D → S  Offer   { heads of every chart D holds }
//! S → D  Answer  { what D lacks, S's heads, its authors' certs }
//! D → S  Push    { what S lacks, its authors' certs }  only if there is any
//! S → D  Receipt { charts stored, charts refused }
//! D → S  Done
//! ```
//!
//! Both sides check the other's membership cert against the anchors and
//! the newest revocation lists they hold (each side's lists merged first,
//! newest wins) and that its signing key is the very key the link
//! authenticated, before any chart byte moves; a device of another
//! organisation, a revoked or an expired one is refused with its code.
//! Every change received carries its author's signature, checked against
//! the author's cert (verified the same way) and bound to the author's
//! actor; the chart checks of `karte-record` run in the store before
//! anything is kept, and a chart that fails is refused whole while the
//! others are kept.
//!
//! Nothing is kept per peer: each session sends every chart's heads, so a
//! first meeting and a later one are the same exchange, and a session cut
//! anywhere is simply run again. A quiet session (nothing changed on
//! either side) is the hello and one round trip.
//!
//! Replay: the messages carry no signatures of their own; the link does.
//! A recorded session replayed into a new connection fails the TLS
//! handshake (fresh keys each side), so no message can be replayed alone.

use std::collections::{BTreeMap, BTreeSet};

use karte_types::{DeviceId, ErrorCode, PatientId};
use serde::{Deserialize, Serialize};

use crate::client::verify::verify_updates;
use crate::trust::{
    Anchors, MembershipCert, Principal, RevocationLists, SignedCert, SignedRevocationList,
    TrustError, VerifiedMember, verify_member,
};
use crate::wire::{DocHeads, DocUpdate, Payload, SignerKey, from_postcard, to_postcard};
use crate::{SyncError, WireError};

/// The version of the peer session; a peer that speaks another is told
/// `please_update`.
pub const PEER_PROTOCOL: u16 = 1;

/// The largest frame either side reads: a larger one closes the link.
pub const MAX_FRAME_BYTES: usize = 64 << 20;

/// One message of a peer session, one per frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMessage {
    Hello(PeerHello),
    Welcome(PeerHello),
    /// The session ends here: why, as an error code and in words.
    Refused {
        code: String,
        message: String,
    },
    Offer {
        heads: Vec<DocHeads>,
    },
    Answer(PeerBatch),
    Push(PeerBatch),
    Receipt {
        stored: u32,
        refused: Vec<RelayRefusal>,
    },
    Done,
}

/// Who a side is: its membership cert, the revocation lists it holds and
/// its clock (shown when far off the other's, never trusted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerHello {
    pub protocol: u16,
    pub cert: SignedCert,
    pub lists: Vec<SignedRevocationList>,
    pub clock_ms: i64,
}

/// Charts one side sends: the changes the other lacks (every one with its
/// author's signature), the sender's heads of every chart it holds, and
/// the certs of the changes' authors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerBatch {
    pub updates: Vec<DocUpdate>,
    pub heads: Vec<DocHeads>,
    pub certs: Vec<SignedCert>,
}

/// A chart the receiving side did not keep, and why (an error code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayRefusal {
    pub doc: PatientId,
    pub code: String,
}

impl PeerMessage {
    pub fn to_bytes(&self) -> Vec<u8> {
        to_postcard(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<PeerMessage, WireError> {
        from_postcard(bytes)
    }
}

/// A link that carries frames to one peer and knows the Ed25519 key the
/// peer proved it holds (the TLS handshake).
pub trait PeerLink {
    fn send(&mut self, frame: &[u8]) -> Result<(), PeerError>;
    fn receive(&mut self) -> Result<Vec<u8>, PeerError>;
    /// The Ed25519 public key the link authenticated the peer by.
    fn peer_key(&self) -> [u8; 32];
}

/// What a device trusts, and its own membership.
#[derive(Debug, Clone)]
pub struct PeerTrust {
    pub anchors: Anchors,
    pub lists: RevocationLists,
    pub own_cert: SignedCert,
    /// Certs of other members this device has heard of, to send beside
    /// their changes.
    pub member_certs: Vec<SignedCert>,
}

/// The device's charts as a peer session sees them.
pub trait PeerStore {
    type Error: From<PeerError>;

    /// This device's trust; [`PeerError::NoMembership`] without a cert.
    /// The cert it names is the one a dialling device presents, and the
    /// principal whose charts the session carries.
    fn trust(&mut self) -> Result<PeerTrust, Self::Error>;
    /// This device's trust as a member of `issuer` (an organisation or a
    /// team it belongs to), for a session a device of that issuer dialled;
    /// from then on the store carries that issuer's charts only. `None`
    /// when this device holds no cert of `issuer` (the session is then
    /// judged against [`PeerStore::trust`] and refused).
    fn trust_for(&mut self, issuer: &Principal) -> Result<Option<PeerTrust>, Self::Error> {
        let _ = issuer;
        Ok(None)
    }
    /// Milliseconds since 1970 (UTC).
    fn now_ms(&mut self) -> i64;
    /// Keeps revocation lists newer than the ones held (already verified).
    fn keep_lists(&mut self, lists: &[SignedRevocationList]) -> Result<(), Self::Error>;
    /// Keeps members' certs a peer brought with their changes (each verified
    /// against this device's anchors and lists), so that the changes can be
    /// passed on to devices that never met their authors.
    fn keep_certs(&mut self, certs: &[SignedCert]) -> Result<(), Self::Error>;
    /// The heads of every chart this device holds.
    fn heads(&mut self) -> Result<Vec<DocHeads>, Self::Error>;
    /// What a device holding `theirs` lacks: per chart, the changes not in
    /// the causal past of their heads (all of a chart they do not hold),
    /// each with its author's signature (this device's own signed now).
    /// A chart with a change whose signature is not kept is left out.
    fn updates_for(&mut self, theirs: &[DocHeads]) -> Result<Vec<DocUpdate>, Self::Error>;
    /// Checks and keeps updates whose signatures held, sent by `from`: a
    /// chart whose changes fail the chart checks is refused whole (listed,
    /// nothing of it kept); the rest in one transaction.
    fn receive(
        &mut self,
        from: &DeviceId,
        updates: Vec<DocUpdate>,
    ) -> Result<Vec<RelayRefusal>, Self::Error>;
}

/// Why a peer session stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error("the other device refused the exchange ({code}): {message}")]
    Refused { code: String, message: String },
    #[error(
        "the other device cannot be reached or the link broke ({detail}): check both are on the same network and try again"
    )]
    Unreachable { detail: String },
    #[error(
        "the other device sent something this version cannot read ({detail}): update Karte on both devices"
    )]
    Protocol { detail: String },
    #[error(
        "this device holds no membership cert of its organisation: sync with the hub once so it gets one"
    )]
    NoMembership,
}

impl PeerError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PeerError::Trust(error) => error.code(),
            PeerError::Refused { code, .. } => {
                ErrorCode::from_code(code).unwrap_or(ErrorCode::PeerProtocol)
            }
            PeerError::Unreachable { .. } => ErrorCode::PeerUnreachable,
            PeerError::Protocol { .. } => ErrorCode::PeerProtocol,
            PeerError::NoMembership => ErrorCode::PeerNotMember,
        }
    }

    fn protocol(detail: impl Into<String>) -> PeerError {
        PeerError::Protocol {
            detail: detail.into(),
        }
    }
}

impl From<WireError> for PeerError {
    fn from(error: WireError) -> PeerError {
        PeerError::protocol(error.to_string())
    }
}

/// What a session did, on either side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerSummary {
    /// The other device.
    pub peer: Option<DeviceId>,
    pub sent_charts: usize,
    pub sent_changes: usize,
    pub received_charts: usize,
    pub received_changes: usize,
    /// Charts this side refused of what it received.
    pub refused: Vec<RelayRefusal>,
    /// Charts the other side refused of what this side sent.
    pub refused_by_peer: Vec<RelayRefusal>,
    /// Round trips after the hello (the dialler counts them).
    pub round_trips: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// The other device's clock minus this one's, in milliseconds.
    pub clock_difference_ms: i64,
}

/// The mDNS service type a listening device advertises.
pub const DISCOVERY_SERVICE: &str = "_karte._tcp.local.";

/// The tag a listening device of the organisation whose signing key is
/// `org_key` puts in its advert on `utc_day` (days since 1970-01-01 UTC):
/// the first 8 bytes, in hex, of HMAC-SHA256 keyed with the organisation's
/// public key. Members (who hold that key) recognise it; anyone else sees
/// a value that changes every day and names nothing.
pub fn group_tag(org_key: &[u8; 32], utc_day: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, org_key);
    let tag = ring::hmac::sign(
        &key,
        &[b"karte-mdns-group-v1".as_slice(), &utc_day.to_be_bytes()].concat(),
    );
    hex::encode(&tag.as_ref()[..8])
}

/// A clock difference beyond which both sides say so: a clock a day fast
/// writes changes every device refuses.
pub const CLOCK_WARNING_MS: i64 = 60 * 60 * 1000;

/// Runs the dialling side of a session over `link`.
pub fn dial<S: PeerStore>(
    link: &mut dyn PeerLink,
    store: &mut S,
    progress: &mut dyn FnMut(&str),
) -> Result<PeerSummary, S::Error> {
    let mut session = Session::default();
    let mut trust = store.trust()?;
    let now = store.now_ms();
    session.send(link, &hello(&trust, now))?;
    let welcome = match session.receive(link)? {
        PeerMessage::Welcome(welcome) => welcome,
        PeerMessage::Refused { code, message } => {
            return Err(PeerError::Refused { code, message }.into());
        }
        other => return Err(unexpected("a welcome", &other).into()),
    };
    let peer = match admit(&welcome, &mut trust, link.peer_key(), now) {
        Ok(peer) => peer,
        Err(error) => {
            session.refuse(link, &error);
            return Err(error.into());
        }
    };
    store.keep_lists(&newer_lists(&welcome.lists, &trust))?;
    session.summary.peer = Some(peer.device().clone());
    session.summary.clock_difference_ms = welcome.clock_ms - now;
    progress("hello");
    let heads = store.heads()?;
    session.send(link, &PeerMessage::Offer { heads })?;
    let answer = match session.receive(link)? {
        PeerMessage::Answer(answer) => answer,
        PeerMessage::Refused { code, message } => {
            return Err(PeerError::Refused { code, message }.into());
        }
        other => return Err(unexpected("an answer", &other).into()),
    };
    session.summary.round_trips += 1;
    let their_heads = answer.heads.clone();
    session.take(store, &trust, peer.device(), answer, now)?;
    progress("received");
    let updates = store.updates_for(&their_heads)?;
    if !updates.is_empty() {
        let batch = session.batch(updates, &trust, Vec::new());
        session.send(link, &PeerMessage::Push(batch))?;
        match session.receive(link)? {
            PeerMessage::Receipt { refused, .. } => session.summary.refused_by_peer = refused,
            PeerMessage::Refused { code, message } => {
                return Err(PeerError::Refused { code, message }.into());
            }
            other => return Err(unexpected("a receipt", &other).into()),
        }
        session.summary.round_trips += 1;
        progress("sent");
    }
    session.send(link, &PeerMessage::Done)?;
    Ok(session.summary)
}

/// Runs the serving side of a session over `link`, until the dialler is
/// done.
pub fn serve<S: PeerStore>(
    link: &mut dyn PeerLink,
    store: &mut S,
    progress: &mut dyn FnMut(&str),
) -> Result<PeerSummary, S::Error> {
    let mut session = Session::default();
    let hello_message = session.receive(link)?;
    serve_after_hello(session, link, store, hello_message, progress)
}

/// A dialler's hello, read and found to be a member's by [`screen_hello`]
/// before its session is served.
#[derive(Debug, Clone)]
pub struct ScreenedHello {
    hello: PeerHello,
    bytes_received: u64,
}

impl ScreenedHello {
    /// The device that said it.
    pub fn device(&self) -> Option<DeviceId> {
        self.hello.cert.open().ok().map(|cert| cert.device)
    }
}

/// Reads the dialler's hello on `link` and checks it against `trust` (a
/// copy of this device's, so no store is needed): a dialler that is not a
/// member is refused here, told why, and never reaches the store. The
/// session then goes on with [`serve_screened`], which checks the hello
/// again against the store's own trust.
pub fn screen_hello(
    link: &mut dyn PeerLink,
    trust: &PeerTrust,
    now_ms: i64,
) -> Result<ScreenedHello, PeerError> {
    screen_hello_among(link, std::slice::from_ref(trust), now_ms)
}

/// Like [`screen_hello`] for a device that belongs to several issuers (its
/// organisation and teams, one [`PeerTrust`] each, the first the default):
/// the hello is checked against the trust of the issuer its cert names.
pub fn screen_hello_among(
    link: &mut dyn PeerLink,
    trusts: &[PeerTrust],
    now_ms: i64,
) -> Result<ScreenedHello, PeerError> {
    let mut session = Session::default();
    let message = session.receive(link)?;
    let PeerMessage::Hello(hello) = message else {
        let error = unexpected("a hello", &message);
        session.refuse(link, &error);
        return Err(error);
    };
    let Some(trust) = trust_of_hello(&hello, trusts) else {
        session.refuse(link, &PeerError::NoMembership);
        return Err(PeerError::NoMembership);
    };
    if let Err(error) = admit(&hello, &mut trust.clone(), link.peer_key(), now_ms) {
        session.refuse(link, &error);
        return Err(error);
    }
    Ok(ScreenedHello {
        hello,
        bytes_received: session.summary.bytes_received,
    })
}

/// The issuer a hello's cert names, read without checking it (the check is
/// [`admit`]'s, against that issuer's trust).
fn claimed_issuer(hello: &PeerHello) -> Option<Principal> {
    from_postcard::<MembershipCert>(&hello.cert.cert)
        .ok()
        .map(|cert| cert.issuer)
}

/// The trust among `trusts` whose own cert is of the issuer the hello
/// claims, else the first.
fn trust_of_hello<'t>(hello: &PeerHello, trusts: &'t [PeerTrust]) -> Option<&'t PeerTrust> {
    let claimed = claimed_issuer(hello);
    trusts
        .iter()
        .find(|trust| {
            trust.own_cert.open().ok().map(|cert| cert.issuer) == claimed && claimed.is_some()
        })
        .or_else(|| trusts.first())
}

/// Serves the session of the dialler whose hello [`screen_hello`] passed,
/// until the dialler is done.
pub fn serve_screened<S: PeerStore>(
    link: &mut dyn PeerLink,
    store: &mut S,
    screened: ScreenedHello,
    progress: &mut dyn FnMut(&str),
) -> Result<PeerSummary, S::Error> {
    let mut session = Session::default();
    session.summary.bytes_received = screened.bytes_received;
    let hello = PeerMessage::Hello(screened.hello);
    serve_after_hello(session, link, store, hello, progress)
}

/// The serving side from the dialler's first message on.
fn serve_after_hello<S: PeerStore>(
    mut session: Session,
    link: &mut dyn PeerLink,
    store: &mut S,
    hello_message: PeerMessage,
    progress: &mut dyn FnMut(&str),
) -> Result<PeerSummary, S::Error> {
    let mut trust = match store.trust() {
        Ok(trust) => trust,
        Err(error) => {
            session.refuse(link, &PeerError::NoMembership);
            return Err(error);
        }
    };
    let now = store.now_ms();
    let PeerMessage::Hello(their_hello) = hello_message else {
        let error = unexpected("a hello", &hello_message);
        session.refuse(link, &error);
        return Err(error.into());
    };
    // A dialler of another issuer this device also belongs to (a team, or
    // its organisation) is answered as that issuer's member, with that
    // issuer's charts only.
    if let Some(issuer) = claimed_issuer(&their_hello)
        && trust.own_cert.open().ok().map(|cert| cert.issuer) != Some(issuer.clone())
        && let Some(other) = store.trust_for(&issuer)?
    {
        trust = other;
    }
    let peer = match admit(&their_hello, &mut trust, link.peer_key(), now) {
        Ok(peer) => peer,
        Err(error) => {
            session.refuse(link, &error);
            return Err(error.into());
        }
    };
    session.send(link, &PeerMessage::Welcome(hello_own(&trust, now)))?;
    store.keep_lists(&newer_lists(&their_hello.lists, &trust))?;
    session.summary.peer = Some(peer.device().clone());
    session.summary.clock_difference_ms = their_hello.clock_ms - now;
    progress("hello");
    loop {
        match session.receive(link)? {
            PeerMessage::Offer { heads } => {
                let updates = store.updates_for(&heads)?;
                let own = store.heads()?;
                let batch = session.batch(updates, &trust, own);
                session.send(link, &PeerMessage::Answer(batch))?;
                progress("sent");
            }
            PeerMessage::Push(batch) => {
                let stored = batch.updates.len();
                session.take(store, &trust, peer.device(), batch, now)?;
                let refused = session.summary.refused.clone();
                let stored = (stored - refused.len().min(stored)) as u32;
                session.send(link, &PeerMessage::Receipt { stored, refused })?;
                progress("received");
            }
            PeerMessage::Done => return Ok(session.summary),
            PeerMessage::Refused { code, message } => {
                return Err(PeerError::Refused { code, message }.into());
            }
            other => {
                let error = unexpected("an offer, a push or the end", &other);
                session.refuse(link, &error);
                return Err(error.into());
            }
        }
    }
}

/// A side's hello.
fn hello(trust: &PeerTrust, now_ms: i64) -> PeerMessage {
    PeerMessage::Hello(hello_own(trust, now_ms))
}

fn hello_own(trust: &PeerTrust, now_ms: i64) -> PeerHello {
    PeerHello {
        protocol: PEER_PROTOCOL,
        cert: trust.own_cert.clone(),
        lists: trust.lists.signed().cloned().collect(),
        clock_ms: now_ms,
    }
}

/// Whether the device that said `hello` over a link authenticated by
/// `link_key` is a member of the issuer (organisation or team) of
/// `trust`'s own cert: the lists it
/// brings are merged first (newest wins, each checked against its
/// anchor), so a revocation either side heard of counts.
pub fn admit(
    hello: &PeerHello,
    trust: &mut PeerTrust,
    link_key: [u8; 32],
    now_ms: i64,
) -> Result<VerifiedMember, PeerError> {
    if hello.protocol != PEER_PROTOCOL {
        return Err(PeerError::Refused {
            code: ErrorCode::PleaseUpdate.as_str().to_owned(),
            message: format!(
                "the other device speaks peer protocol {}, this one {PEER_PROTOCOL}: update Karte on the older one",
                hello.protocol
            ),
        });
    }
    for list in &hello.lists {
        match trust.lists.merge(list, &trust.anchors) {
            // Another organisation's list is not this device's business.
            Ok(_) | Err(TrustError::UnknownIssuer { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let own = trust.own_cert.open()?;
    let member =
        verify_member(&hello.cert, &trust.anchors, &trust.lists, now_ms).map_err(|error| {
            match error {
                TrustError::UnknownIssuer { issuer } => TrustError::NotMember {
                    detail: format!(
                        "its cert is issued by {issuer}, not by this device's organisation"
                    ),
                },
                other => other,
            }
        })?;
    if member.principal() != &own.issuer {
        return Err(TrustError::NotMember {
            detail: format!(
                "it belongs to {}, this device to {}",
                member.principal(),
                own.issuer
            ),
        }
        .into());
    }
    if member.cert.signing_key != link_key {
        return Err(TrustError::NotMember {
            detail: "its cert names another key than the one it connected with".to_owned(),
        }
        .into());
    }
    Ok(member)
}

/// The lists of `offered` that are now the newest held in `trust` (so worth
/// keeping).
fn newer_lists(offered: &[SignedRevocationList], trust: &PeerTrust) -> Vec<SignedRevocationList> {
    let held: Vec<&SignedRevocationList> = trust.lists.signed().collect();
    offered
        .iter()
        .filter(|list| held.contains(list))
        .cloned()
        .collect()
}

fn unexpected(wanted: &str, got: &PeerMessage) -> PeerError {
    let got = match got {
        PeerMessage::Hello(_) => "a hello",
        PeerMessage::Welcome(_) => "a welcome",
        PeerMessage::Refused { .. } => "a refusal",
        PeerMessage::Offer { .. } => "an offer",
        PeerMessage::Answer(_) => "an answer",
        PeerMessage::Push(_) => "a push",
        PeerMessage::Receipt { .. } => "a receipt",
        PeerMessage::Done => "the end",
    };
    PeerError::protocol(format!("expected {wanted}, got {got}"))
}

/// The certs that hold at `now_ms` of authors who are members of the
/// session's issuer (this device's organisation, or the team the session
/// runs under), each with its signing key.
fn author_keys<'a>(
    certs: &'a [SignedCert],
    trust: &PeerTrust,
    now_ms: i64,
) -> Vec<(&'a SignedCert, SignerKey)> {
    let own_issuer = trust.own_cert.open().map(|cert| cert.issuer).ok();
    certs
        .iter()
        .filter_map(|cert| {
            let member = verify_member(cert, &trust.anchors, &trust.lists, now_ms).ok()?;
            (Some(member.principal()) == own_issuer.as_ref()).then(|| {
                let key = SignerKey {
                    device: member.cert.device.clone(),
                    public_key: member.cert.signing_key,
                };
                (cert, key)
            })
        })
        .collect()
}

/// One side's running session: counts and bytes.
#[derive(Default)]
struct Session {
    summary: PeerSummary,
}

impl Session {
    fn send(&mut self, link: &mut dyn PeerLink, message: &PeerMessage) -> Result<(), PeerError> {
        let bytes = message.to_bytes();
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(PeerError::protocol(
                "a message over the frame limit (too many changes at once)",
            ));
        }
        self.summary.bytes_sent += bytes.len() as u64 + 4;
        link.send(&bytes)
    }

    fn receive(&mut self, link: &mut dyn PeerLink) -> Result<PeerMessage, PeerError> {
        let bytes = link.receive()?;
        self.summary.bytes_received += bytes.len() as u64 + 4;
        Ok(PeerMessage::from_bytes(&bytes)?)
    }

    /// Tells the other side why the session ends; the link may be gone.
    fn refuse(&mut self, link: &mut dyn PeerLink, error: &PeerError) {
        let refusal = PeerMessage::Refused {
            code: error.code().as_str().to_owned(),
            message: error.to_string(),
        };
        let _ = self.send(link, &refusal);
    }

    /// A batch of `updates`, with the certs of their authors.
    fn batch(
        &mut self,
        updates: Vec<DocUpdate>,
        trust: &PeerTrust,
        heads: Vec<DocHeads>,
    ) -> PeerBatch {
        let authors: BTreeSet<&DeviceId> = updates
            .iter()
            .flat_map(|update| update.signatures.iter().map(|s| &s.device))
            .collect();
        let certs_by_device: BTreeMap<DeviceId, &SignedCert> = std::iter::once(&trust.own_cert)
            .chain(&trust.member_certs)
            .filter_map(|cert| Some((cert.open().ok()?.device, cert)))
            .collect();
        let certs = authors
            .iter()
            .filter_map(|device| certs_by_device.get(*device).map(|cert| (*cert).clone()))
            .collect();
        self.summary.sent_charts += updates.len();
        self.summary.sent_changes += updates.iter().map(changes_in).sum::<usize>();
        PeerBatch {
            updates,
            heads,
            certs,
        }
    }

    /// Checks a received batch's signatures against its authors' certs
    /// and hands what passes to the store; what fails is refused.
    fn take<S: PeerStore>(
        &mut self,
        store: &mut S,
        trust: &PeerTrust,
        from: &DeviceId,
        batch: PeerBatch,
        now_ms: i64,
    ) -> Result<(), S::Error> {
        let members = author_keys(&batch.certs, trust, now_ms);
        let keys: Vec<SignerKey> = members.iter().map(|(_, key)| key.clone()).collect();
        // Kept so that this device can pass the authors' changes on to
        // devices that never met them, with the certs that vouch for them.
        let certs: Vec<SignedCert> = members
            .iter()
            .filter(|(cert, _)| **cert != trust.own_cert && !trust.member_certs.contains(cert))
            .map(|(cert, _)| (*cert).clone())
            .collect();
        if !certs.is_empty() {
            store.keep_certs(&certs)?;
        }
        let (passed, failed) = verify_updates(batch.updates, &keys);
        let mut refused: Vec<RelayRefusal> = failed
            .into_iter()
            .map(|failed| RelayRefusal {
                doc: failed.update.doc,
                code: refusal_code(&failed.error),
            })
            .collect();
        let changes: BTreeMap<PatientId, usize> = passed
            .iter()
            .map(|update| (update.doc.clone(), changes_in(update)))
            .collect();
        let refused_by_store = if passed.is_empty() {
            Vec::new()
        } else {
            store.receive(from, passed)?
        };
        for (doc, count) in &changes {
            if !refused_by_store.iter().any(|r| &r.doc == doc) {
                self.summary.received_charts += 1;
                self.summary.received_changes += count;
            }
        }
        refused.extend(refused_by_store);
        self.summary.refused.extend(refused);
        Ok(())
    }
}

fn refusal_code(error: &SyncError) -> String {
    error.code().to_owned()
}

fn changes_in(update: &DocUpdate) -> usize {
    match &update.payload {
        Payload::Changes(changes) => changes.len(),
        Payload::Snapshot(_) => 1,
    }
}

#[cfg(test)]
mod tests;
