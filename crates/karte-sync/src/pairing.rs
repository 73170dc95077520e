//! Joining a field team by a short code, with no hub: SPAKE2 over a TLS
//! link whose keys neither side knew before.
//!
//! The lead's device shows an 8-digit code ([`PairingCode`], `4827-1935`);
//! the joiner types it. Both run SPAKE2 (Ed25519 group) with the digits as
//! password and identities bound to both devices' raw TLS keys; each then
//! proves it holds the same key with an HMAC over the TLS exporter of its
//! own session and the transcript. A device relaying two TLS sessions in
//! the middle sees two exporters and two pairs of keys, so the proofs fail:
//! it gets one online guess per attempt, and a recorded exchange gives no
//! offline guessing (SPAKE2's property).
//!
//! ```text
//! J → L  Start   { SPAKE2 side B }
//! L → J  Reply   { SPAKE2 side A }
//! J → L  Confirm { HMAC(K, "confirm-b" ‖ X ‖ T) }   the lead checks first: a wrong code reveals nothing
//! L → J  Confirm { HMAC(K, "confirm-a" ‖ X ‖ T) }
//! J → L  Join    { device, bundle key, HMAC(K, "join" ‖ X ‖ T ‖ fields) }
//! L → J  Welcome { team key and name, cert, members' certs, list, HMAC(K, "welcome" ‖ …) }
//! ```
//!
//! Only SPAKE2 itself comes from the `spake2` crate; everything around it
//! (code, identities, confirmation, attempts) is here, so the PAKE can be
//! swapped without touching the rest. The lead counts attempts and time
//! ([`Invitation`]); the clock is the caller's.

use karte_types::{DeviceId, ErrorCode};
use ring::hmac;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use spake2::{Ed25519Group, Identity, Password, Spake2};
use zeroize::Zeroizing;

use crate::WireError;
use crate::peer::{PeerError, PeerLink};
use crate::trust::{Principal, SignedCert, SignedRevocationList, TeamId, TrustError};
use crate::wire::{from_postcard, to_postcard};

/// The TLS exporter label both sides derive the channel binding from.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-karte-pair-v1";
/// How long a code is good for.
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// Failed attempts after which a code is dead.
pub const MAX_FAILED_ATTEMPTS: u8 = 3;
const CODE_DIGITS: usize = 8;

/// A team's joining code: 8 digits (26.6 bits), wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode {
    digits: Zeroizing<String>,
}

impl std::fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairingCode(..)")
    }
}

impl PairingCode {
    /// A new code from `random` (the operating system's source).
    pub fn generate(random: &dyn SecureRandom) -> Result<PairingCode, PairingError> {
        // Rejection sampling keeps every code equally likely.
        loop {
            let mut bytes = [0u8; 4];
            random
                .fill(&mut bytes)
                .map_err(|_| PairingError::Trust(TrustError::NoRandomness))?;
            let value = u32::from_be_bytes(bytes);
            if value < 4_200_000_000 {
                let digits = format!("{:08}", value % 100_000_000);
                return Ok(PairingCode {
                    digits: Zeroizing::new(digits),
                });
            }
        }
    }

    /// A code as a person typed it: 8 digits, hyphens and spaces (ASCII or
    /// full-width) ignored, full-width digits taken as digits.
    pub fn parse(typed: &str) -> Result<PairingCode, PairingError> {
        let mut digits = String::new();
        for c in typed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => {
                    let value = c as u32 - '０' as u32;
                    digits.push(char::from(b'0' + value as u8));
                }
                '-' | ' ' | '　' | 'ー' | '－' => {}
                _ => return Err(PairingError::BadCode),
            }
        }
        if digits.len() != CODE_DIGITS {
            return Err(PairingError::BadCode);
        }
        Ok(PairingCode {
            digits: Zeroizing::new(digits),
        })
    }

    /// The code as shown: `4827-1935`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.digits[..4], &self.digits[4..])
    }

    fn password(&self) -> Password {
        Password::new(self.digits.as_bytes())
    }
}

/// A lead's open invitation: its code, until when, and how many attempts
/// failed.
#[derive(Debug)]
pub struct Invitation {
    code: PairingCode,
    expires_at_ms: i64,
    failed: u8,
}

impl Invitation {
    pub fn new(code: PairingCode, now_ms: i64) -> Invitation {
        Invitation {
            code,
            expires_at_ms: now_ms.saturating_add(CODE_LIFETIME_MS),
            failed: 0,
        }
    }

    pub fn code(&self) -> &PairingCode {
        &self.code
    }

    pub fn expires_at_ms(&self) -> i64 {
        self.expires_at_ms
    }

    pub fn failed_attempts(&self) -> u8 {
        self.failed
    }

    /// The code, if it may still be tried at `now_ms`.
    pub fn usable(&self, now_ms: i64) -> Result<&PairingCode, PairingError> {
        if self.failed >= MAX_FAILED_ATTEMPTS || now_ms > self.expires_at_ms {
            return Err(PairingError::CodeExpired);
        }
        Ok(&self.code)
    }

    /// Counts a failed attempt; the code is dead after the third.
    pub fn note_failure(&mut self) {
        self.failed = self.failed.saturating_add(1);
    }
}

/// Why a pairing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error(
        "joining the team failed: the code was wrong or another device was in the way; nothing was kept. Check the code on the lead's screen and try again"
    )]
    Failed,
    #[error(
        "the joining code has run out (ten minutes, or three failed tries): ask the team's lead to invite again"
    )]
    CodeExpired,
    #[error("a joining code is 8 digits, as the lead's screen shows it (for example 4827-1935)")]
    BadCode,
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Link(#[from] PeerError),
}

impl PairingError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PairingError::Failed => ErrorCode::PairingFailed,
            PairingError::CodeExpired => ErrorCode::PairingCodeExpired,
            PairingError::BadCode => ErrorCode::InvalidInput,
            PairingError::Trust(error) => error.code(),
            PairingError::Link(error) => error.code(),
        }
    }

    fn from_refusal(code: &str, message: String) -> PairingError {
        match ErrorCode::from_code(code) {
            Some(ErrorCode::PairingFailed) => PairingError::Failed,
            Some(ErrorCode::PairingCodeExpired) => PairingError::CodeExpired,
            _ => PairingError::Link(PeerError::Refused {
                code: code.to_owned(),
                message,
            }),
        }
    }
}

impl From<WireError> for PairingError {
    fn from(error: WireError) -> PairingError {
        PairingError::Link(PeerError::from(error))
    }
}

/// One message of a pairing, one per frame of the peer link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairMessage {
    Start {
        #[serde(with = "serde_bytes")]
        spake: Vec<u8>,
    },
    Reply {
        #[serde(with = "serde_bytes")]
        spake: Vec<u8>,
    },
    Confirm {
        mac: [u8; 32],
    },
    Join {
        request: JoinRequest,
        mac: [u8; 32],
    },
    Welcome {
        welcome: TeamWelcome,
        mac: [u8; 32],
    },
    Refused {
        code: String,
        message: String,
    },
}

/// What the joiner asks a cert for: its device id and X25519 bundle key
/// (its signing key is the TLS key it connected with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub device: DeviceId,
    pub bundle_key: [u8; 32],
}

/// What the lead gives a device it took in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamWelcome {
    pub team_key: [u8; 32],
    pub team_name: String,
    /// The joiner's own cert, signed by the team key.
    pub cert: SignedCert,
    /// The other members' certs the lead holds (its own among them).
    pub member_certs: Vec<SignedCert>,
    /// The team's newest revocation list.
    pub list: SignedRevocationList,
}

impl TeamWelcome {
    /// The team's id, derived from its key.
    pub fn team(&self) -> TeamId {
        TeamId::of_key(&self.team_key)
    }

    /// Whether the welcome gives `request`'s device, with `signing_key`, a
    /// cert of the team it names: the cert holds under the team's key,
    /// the list is the team's.
    fn check(&self, request: &JoinRequest, signing_key: &[u8; 32]) -> Result<(), PairingError> {
        let cert = self.cert.open()?;
        let team = Principal::Team(self.team());
        let list = self.list.open()?;
        if cert.issuer != team
            || cert.issuer_key != self.team_key
            || cert.device != request.device
            || &cert.signing_key != signing_key
            || cert.bundle_key != request.bundle_key
            || list.issuer != team
            || list.issuer_key != self.team_key
        {
            return Err(PairingError::Link(PeerError::Protocol {
                detail: "the lead's device gave a cert for another device, key or team".to_owned(),
            }));
        }
        Ok(())
    }
}

impl PairMessage {
    pub fn to_bytes(&self) -> Vec<u8> {
        to_postcard(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<PairMessage, WireError> {
        from_postcard(bytes)
    }
}

/// The keys and transcript both sides share once SPAKE2 finished.
struct Agreed {
    key: hmac::Key,
    /// The TLS exporter of this side's session, then the SHA-256 of both
    /// SPAKE2 messages (side B's first).
    binding: Vec<u8>,
}

impl Agreed {
    fn new(shared: &[u8], exporter: &[u8; 32], start: &[u8], reply: &[u8]) -> Agreed {
        let transcript = ring::digest::digest(
            &ring::digest::SHA256,
            &[
                &(start.len() as u32).to_be_bytes(),
                start,
                &(reply.len() as u32).to_be_bytes(),
                reply,
            ]
            .concat(),
        );
        Agreed {
            key: hmac::Key::new(hmac::HMAC_SHA256, shared),
            binding: [exporter.as_slice(), transcript.as_ref()].concat(),
        }
    }

    fn mac(&self, label: &[u8], body: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.key, &[label, &self.binding, body].concat());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    fn holds(&self, label: &[u8], body: &[u8], mac: &[u8; 32]) -> bool {
        hmac::verify(&self.key, &[label, &self.binding, body].concat(), mac).is_ok()
    }
}

fn identities(lead_key: &[u8; 32], joiner_key: &[u8; 32]) -> (Identity, Identity) {
    (
        Identity::new(&[b"karte-team-join/v1/lead/".as_slice(), lead_key].concat()),
        Identity::new(&[b"karte-team-join/v1/joiner/".as_slice(), joiner_key].concat()),
    )
}

fn send(link: &mut dyn PeerLink, message: &PairMessage) -> Result<(), PairingError> {
    Ok(link.send(&message.to_bytes())?)
}

fn receive(link: &mut dyn PeerLink) -> Result<PairMessage, PairingError> {
    let message = PairMessage::from_bytes(&link.receive()?)?;
    if let PairMessage::Refused { code, message } = message {
        return Err(PairingError::from_refusal(&code, message));
    }
    Ok(message)
}

fn refuse(link: &mut dyn PeerLink, error: &PairingError) {
    let _ = send(
        link,
        &PairMessage::Refused {
            code: error.code().as_str().to_owned(),
            message: error.to_string(),
        },
    );
}

fn unexpected(wanted: &str) -> PairingError {
    PairingError::Link(PeerError::Protocol {
        detail: format!("the other device did not send {wanted}"),
    })
}

/// The joiner's side: runs the exchange over `link` (whose TLS exporter
/// under [`EXPORTER_LABEL`] is `exporter`, and whose own raw key is
/// `own_key`) and returns what the lead gave, checked.
pub fn join(
    link: &mut dyn PeerLink,
    exporter: &[u8; 32],
    own_key: &[u8; 32],
    code: &PairingCode,
    request: JoinRequest,
) -> Result<TeamWelcome, PairingError> {
    let lead_key = link.peer_key();
    let (id_a, id_b) = identities(&lead_key, own_key);
    let (state, start) = Spake2::<Ed25519Group>::start_b(&code.password(), &id_a, &id_b);
    send(
        link,
        &PairMessage::Start {
            spake: start.clone(),
        },
    )?;
    let PairMessage::Reply { spake: reply } = receive(link)? else {
        return Err(unexpected("its SPAKE2 reply"));
    };
    let shared = Zeroizing::new(state.finish(&reply).map_err(|_| PairingError::Failed)?);
    let agreed = Agreed::new(&shared, exporter, &start, &reply);
    send(
        link,
        &PairMessage::Confirm {
            mac: agreed.mac(b"confirm-b", &[]),
        },
    )?;
    let PairMessage::Confirm { mac } = receive(link)? else {
        return Err(unexpected("its confirmation"));
    };
    if !agreed.holds(b"confirm-a", &[], &mac) {
        let error = PairingError::Failed;
        refuse(link, &error);
        return Err(error);
    }
    let body = to_postcard(&request);
    send(
        link,
        &PairMessage::Join {
            mac: agreed.mac(b"join", &body),
            request: request.clone(),
        },
    )?;
    let PairMessage::Welcome { welcome, mac } = receive(link)? else {
        return Err(unexpected("the team's welcome"));
    };
    if !agreed.holds(b"welcome", &to_postcard(&welcome), &mac) {
        return Err(PairingError::Failed);
    }
    welcome.check(&request, own_key)?;
    Ok(welcome)
}

/// What the lead's side learnt of a joiner whose code was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joiner {
    pub request: JoinRequest,
    /// The Ed25519 key the joiner connected with: its signing key.
    pub signing_key: [u8; 32],
}

/// The lead's side: runs the exchange over `link` with the code of the
/// invitation, and once the joiner proved it holds the code, asks
/// `welcome` for what to give it (the cert the team key signs). A wrong
/// code is [`PairingError::Failed`]; the caller counts it on its
/// [`Invitation`].
pub fn lead(
    link: &mut dyn PeerLink,
    exporter: &[u8; 32],
    own_key: &[u8; 32],
    code: &PairingCode,
    welcome: &mut dyn FnMut(&Joiner) -> Result<TeamWelcome, PairingError>,
) -> Result<Joiner, PairingError> {
    let joiner_key = link.peer_key();
    let (id_a, id_b) = identities(own_key, &joiner_key);
    let PairMessage::Start { spake: start } = receive(link)? else {
        return Err(unexpected("a SPAKE2 start"));
    };
    let (state, reply) = Spake2::<Ed25519Group>::start_a(&code.password(), &id_a, &id_b);
    send(
        link,
        &PairMessage::Reply {
            spake: reply.clone(),
        },
    )?;
    let PairMessage::Confirm { mac } = receive(link)? else {
        return Err(unexpected("its confirmation"));
    };
    // The joiner's proof comes first: a joiner with a wrong code learns
    // nothing from this side but the refusal.
    let agreed = match state.finish(&start) {
        Ok(shared) => {
            let shared = Zeroizing::new(shared);
            Agreed::new(&shared, exporter, &start, &reply)
        }
        Err(_) => {
            refuse(link, &PairingError::Failed);
            return Err(PairingError::Failed);
        }
    };
    if !agreed.holds(b"confirm-b", &[], &mac) {
        refuse(link, &PairingError::Failed);
        return Err(PairingError::Failed);
    }
    send(
        link,
        &PairMessage::Confirm {
            mac: agreed.mac(b"confirm-a", &[]),
        },
    )?;
    let PairMessage::Join { request, mac } = receive(link)? else {
        return Err(unexpected("its request to join"));
    };
    if !agreed.holds(b"join", &to_postcard(&request), &mac) {
        refuse(link, &PairingError::Failed);
        return Err(PairingError::Failed);
    }
    let joiner = Joiner {
        request,
        signing_key: joiner_key,
    };
    let given = match welcome(&joiner) {
        Ok(given) => given,
        Err(error) => {
            refuse(link, &error);
            return Err(error);
        }
    };
    let mac = agreed.mac(b"welcome", &to_postcard(&given));
    send(
        link,
        &PairMessage::Welcome {
            welcome: given,
            mac,
        },
    )?;
    Ok(joiner)
}

#[cfg(test)]
mod tests;
