//! The carried bundle's file (`KBN1`, design note `docs/design/peer-sync.md`
//! §5): what a device writes for the devices of its organisation to import
//! from a USB stick or a shared folder, and the checks a reader makes before
//! it trusts a byte of it.
//!
//! ```text
//! "KBN1" | header length (u32 BE, at most 256 KiB) | BundleHeader (postcard)
//!        | header signature (64)  Ed25519(sender, "karte-bundle-header-v1\0" ‖ header)
//!        | body: karte-store's chunked AEAD stream under the content key,
//!          purpose "bundle/<hex id>"
//!        | trailer signature (64) Ed25519(sender, "karte-bundle-v1\0" ‖ SHA-256(all before it))
//! ```
//!
//! The content key is random per bundle and travels in one HPKE slot per
//! recipient device ([`karte_sync::trust::KeySlot`]). The header signature
//! lets a reader refuse a foreign or revoked sender before it decrypts; the
//! trailer signature stops another recipient, who knows the content key,
//! from putting other content under the sender's header.
//!
//! The records inside the body are `karte_sync::bundle`'s; export and
//! import are `Session::bundle_export` and `Session::bundle_import`.

use karte_store::crypto::SecretKey;
use karte_store::crypto::stream::{open_stream, seal_stream};
use karte_sync::trust::{
    Anchors, BundleSecretKey, KeySlot, Principal, RevocationLists, SignedCert, TrustError,
    seal_key_slot, verify_member,
};
use karte_sync::{DeviceKey, sign_bundle, sign_bundle_header, verify_bundle, verify_bundle_header};
use karte_types::{DeviceId, ErrorCode};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"KBN1";
/// The longest header a reader takes: a few hundred recipients' slots.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;
const SIGNATURE_LEN: usize = 64;
/// The stream's own header (magic and id) and one frame's head and tag:
/// the least a body can be.
const MIN_BODY_BYTES: usize = 8 + 16 + 5 + 12 + 16;

/// What a bundle says of itself, signed by its sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub bundle_id: [u8; 16],
    pub sender: DeviceId,
    /// The sender's membership certs.
    pub sender_certs: Vec<SignedCert>,
    pub created_at_ms: i64,
    /// Whom the bundle is for (`--for ORG`).
    pub scope: Principal,
    /// The bundle this one follows (`--since-last`), if any.
    pub base: Option<[u8; 16]>,
    /// The sender's change log position the bundle covers.
    pub up_to_position: u64,
    pub recipients: Vec<KeySlot>,
    pub charts: u32,
    pub changes: u64,
}

/// Why a bundle file is refused. Nothing of a refused bundle is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("this is not a Karte bundle, or a damaged one ({detail}): ask for it again")]
    Malformed { detail: String },
    #[error(
        "the bundle comes from a device outside this device's organisation ({0}): it was not opened"
    )]
    Foreign(TrustError),
    #[error(
        "the bundle's sender was revoked by its organisation: it was not opened; tell your administrator"
    )]
    SenderRevoked,
    #[error("the bundle was altered after it was made ({detail}): nothing of it was taken")]
    Tampered { detail: String },
    #[error("the bundle file is cut short: copy it again from the stick or folder")]
    Truncated,
    #[error("the bundle was not made for this device: ask the sender for a new one")]
    NotForThisDevice,
    #[error("the operating system's random source failed: try again")]
    NoRandomness,
}

impl BundleError {
    pub fn code(&self) -> ErrorCode {
        match self {
            BundleError::Malformed { .. } => ErrorCode::BundleMalformed,
            BundleError::Foreign(_) => ErrorCode::BundleForeign,
            BundleError::SenderRevoked => ErrorCode::BundleSenderRevoked,
            BundleError::Tampered { .. } => ErrorCode::BundleTampered,
            BundleError::Truncated => ErrorCode::BundleTruncated,
            BundleError::NotForThisDevice => ErrorCode::BundleNotForThisDevice,
            BundleError::NoRandomness => ErrorCode::NoRandomness,
        }
    }

    fn malformed(detail: impl Into<String>) -> BundleError {
        BundleError::Malformed {
            detail: detail.into(),
        }
    }

    fn tampered(detail: impl Into<String>) -> BundleError {
        BundleError::Tampered {
            detail: detail.into(),
        }
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

fn purpose(bundle_id: &[u8; 16]) -> String {
    format!("bundle/{}", hex::encode(bundle_id))
}

/// Who a bundle is from and for, before it is written.
#[derive(Debug)]
pub struct BundleSender<'a> {
    pub key: &'a DeviceKey,
    pub device: &'a DeviceId,
    pub certs: Vec<SignedCert>,
    pub created_at_ms: i64,
    pub scope: Principal,
    pub base: Option<[u8; 16]>,
    pub up_to_position: u64,
    /// Each recipient device and the X25519 bundle key its cert names.
    pub recipients: Vec<(DeviceId, [u8; 32])>,
    pub charts: u32,
    pub changes: u64,
}

/// Writes a bundle of `body` (plaintext records) from `sender`: a fresh id
/// and content key, one slot per recipient, the body sealed, both
/// signatures.
pub fn write_bundle(sender: BundleSender<'_>, body: &[u8]) -> Result<Vec<u8>, BundleError> {
    let random = SystemRandom::new();
    let mut bundle_id = [0u8; 16];
    let mut content_key = Zeroizing::new([0u8; 32]);
    random
        .fill(&mut bundle_id)
        .and_then(|()| random.fill(content_key.as_mut()))
        .map_err(|_| BundleError::NoRandomness)?;
    let recipients = sender
        .recipients
        .iter()
        .map(|(device, key)| {
            seal_key_slot(&bundle_id, sender.device, device, key, &content_key)
                .ok_or_else(|| BundleError::malformed(format!("device {device}'s bundle key")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let header = BundleHeader {
        bundle_id,
        sender: sender.device.clone(),
        sender_certs: sender.certs,
        created_at_ms: sender.created_at_ms,
        scope: sender.scope,
        base: sender.base,
        up_to_position: sender.up_to_position,
        recipients,
        charts: sender.charts,
        changes: sender.changes,
    };
    let header = postcard::to_stdvec(&header).expect("a bundle header always serialises");
    let header_len = u32::try_from(header.len())
        .ok()
        .filter(|len| *len as usize <= MAX_HEADER_BYTES)
        .ok_or_else(|| BundleError::malformed("too many recipients for one bundle"))?;
    let mut out = Vec::with_capacity(body.len() + header.len() + 256);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&sign_bundle_header(sender.key, &header));
    let key = SecretKey::from_bytes(content_key);
    seal_stream(&key, &purpose(&bundle_id), body, &mut out)
        .map_err(|_| BundleError::NoRandomness)?;
    let digest = sha256(&out);
    out.extend_from_slice(&sign_bundle(sender.key, &digest));
    Ok(out)
}

/// The id of the bundle in `file`, read from its header without checking
/// anything else: to tell a bundle imported already before opening it.
pub fn bundle_id(file: &[u8]) -> Result<[u8; 16], BundleError> {
    Ok(split(file)?.header.bundle_id)
}

/// The parts of a file, split by their lengths only.
struct Parts<'a> {
    header_bytes: &'a [u8],
    header: BundleHeader,
    header_signature: &'a [u8],
    body: &'a [u8],
    signed_len: usize,
    trailer_signature: &'a [u8],
}

fn split(file: &[u8]) -> Result<Parts<'_>, BundleError> {
    let rest = file
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| BundleError::malformed("it does not start with KBN1"))?;
    if rest.len() < 4 {
        return Err(BundleError::Truncated);
    }
    let (len, rest) = rest.split_at(4);
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if len > MAX_HEADER_BYTES {
        return Err(BundleError::malformed("its header is over 256 KiB"));
    }
    if rest.len() < len + SIGNATURE_LEN + MIN_BODY_BYTES + SIGNATURE_LEN {
        return Err(BundleError::Truncated);
    }
    let (header_bytes, rest) = rest.split_at(len);
    let (header, left) = postcard::take_from_bytes::<BundleHeader>(header_bytes)
        .map_err(|e| BundleError::malformed(format!("its header cannot be read: {e}")))?;
    if !left.is_empty() {
        return Err(BundleError::malformed("bytes after its header"));
    }
    let (header_signature, rest) = rest.split_at(SIGNATURE_LEN);
    let signed_len = file.len() - SIGNATURE_LEN;
    let (body, trailer_signature) = rest.split_at(rest.len() - SIGNATURE_LEN);
    Ok(Parts {
        header_bytes,
        header,
        header_signature,
        body,
        signed_len,
        trailer_signature,
    })
}

/// Whether the stream's frames, walked by their lengths alone, end inside
/// the body: a file cut short (and then its last 64 bytes taken for a
/// trailer) rather than altered.
fn cut_inside_a_frame(body: &[u8]) -> bool {
    let mut at = 8 + 16;
    loop {
        let Some(head) = body.get(at..at + 5) else {
            return true;
        };
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        at += 5 + len;
        if at > body.len() {
            return true;
        }
        if head[0] == 1 {
            return false;
        }
    }
}

/// What a reader holds to judge a bundle: its trust store and its bundle key.
#[derive(Debug)]
pub struct BundleReader<'a> {
    pub device: &'a DeviceId,
    pub bundle_key: &'a BundleSecretKey,
    pub anchors: &'a Anchors,
    pub lists: &'a RevocationLists,
    pub now_ms: i64,
}

/// Opens a bundle file in the order of the design: its shape, then its
/// sender (a member, not revoked), the header signature, a slot for this
/// device, the trailer signature over the whole file, and only then the
/// body. Returns the header and the body's plaintext.
pub fn open_bundle(
    file: &[u8],
    reader: &BundleReader<'_>,
) -> Result<(BundleHeader, Vec<u8>), BundleError> {
    let parts = split(file)?;
    let header = &parts.header;
    let mut sender = None;
    let mut refusal = None;
    for cert in &header.sender_certs {
        match verify_member(cert, reader.anchors, reader.lists, reader.now_ms) {
            Ok(member) if member.device() == &header.sender => {
                sender = Some(member);
                break;
            }
            Ok(_) => {}
            Err(error) => refusal = Some(error),
        }
    }
    let sender = match (sender, refusal) {
        (Some(sender), _) => sender,
        (None, Some(TrustError::Revoked { .. })) => return Err(BundleError::SenderRevoked),
        (None, Some(error)) => return Err(BundleError::Foreign(error)),
        (None, None) => {
            return Err(BundleError::Foreign(TrustError::NotMember {
                detail: "the bundle names no membership of its sender".to_owned(),
            }));
        }
    };
    let signing_key = sender.cert.signing_key;
    if !verify_bundle_header(&signing_key, parts.header_bytes, parts.header_signature) {
        return Err(BundleError::tampered("its header signature does not hold"));
    }
    let content_key = header
        .recipients
        .iter()
        .filter(|slot| &slot.device == reader.device)
        .find_map(|slot| {
            reader
                .bundle_key
                .open_key_slot(&header.bundle_id, &header.sender, slot)
        })
        .ok_or(BundleError::NotForThisDevice)?;
    let digest = sha256(&file[..parts.signed_len]);
    if !verify_bundle(&signing_key, &digest, parts.trailer_signature) {
        return Err(if cut_inside_a_frame(parts.body) {
            BundleError::Truncated
        } else {
            BundleError::tampered("its signature over the whole file does not hold")
        });
    }
    let mut body = Vec::new();
    open_stream(
        &SecretKey::from_bytes(content_key),
        &purpose(&header.bundle_id),
        parts.body,
        &mut body,
    )
    .map_err(|_| BundleError::tampered("its body does not open"))?;
    Ok((parts.header, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use karte_sync::trust::{CertFields, DeviceRole, IssuerKey, ORG_CERT_LIFETIME_MS, Revoked};
    use proptest::prelude::*;

    const NOW: i64 = 1_780_000_000_000;

    struct Org {
        issuer: IssuerKey,
        anchors: Anchors,
        lists: RevocationLists,
    }

    struct Member {
        id: DeviceId,
        key: DeviceKey,
        bundle: BundleSecretKey,
        cert: SignedCert,
    }

    fn org(name: &str) -> Org {
        let issuer = IssuerKey::generate(Principal::Org(name.to_owned()), &SystemRandom::new())
            .unwrap()
            .0;
        let mut anchors = Anchors::default();
        anchors.insert(issuer.issuer().clone(), issuer.public_key());
        let mut lists = RevocationLists::default();
        lists
            .merge(&issuer.sign_list(1, NOW, vec![]), &anchors)
            .unwrap();
        Org {
            issuer,
            anchors,
            lists,
        }
    }

    fn member(org: &Org, name: &str) -> Member {
        let random = SystemRandom::new();
        let key = DeviceKey::generate(&random).unwrap().0;
        let bundle = BundleSecretKey::generate(&random).unwrap();
        let id = DeviceId::from(name);
        let cert = org.issuer.sign_cert(CertFields {
            serial: 1,
            device: id.clone(),
            role: DeviceRole::Member,
            signing_key: key.public_key(),
            bundle_key: bundle.public_key(),
            not_before_ms: NOW,
            not_after_ms: NOW + ORG_CERT_LIFETIME_MS,
        });
        Member {
            id,
            key,
            bundle,
            cert,
        }
    }

    fn bundle(org: &Org, from: &Member, to: &[&Member], body: &[u8]) -> Vec<u8> {
        write_bundle(
            BundleSender {
                key: &from.key,
                device: &from.id,
                certs: vec![from.cert.clone()],
                created_at_ms: NOW,
                scope: org.issuer.issuer().clone(),
                base: None,
                up_to_position: 9,
                recipients: to
                    .iter()
                    .map(|m| (m.id.clone(), m.bundle.public_key()))
                    .collect(),
                charts: 1,
                changes: 2,
            },
            body,
        )
        .unwrap()
    }

    fn open(org: &Org, me: &Member, file: &[u8]) -> Result<(BundleHeader, Vec<u8>), BundleError> {
        open_bundle(
            file,
            &BundleReader {
                device: &me.id,
                bundle_key: &me.bundle,
                anchors: &org.anchors,
                lists: &org.lists,
                now_ms: NOW,
            },
        )
    }

    #[test]
    fn a_bundle_opens_for_each_recipient_and_no_one_else() {
        let org = org("clinic");
        let (a, b, c) = (member(&org, "A"), member(&org, "B"), member(&org, "C"));
        let body = vec![7u8; 150_000];
        let file = bundle(&org, &a, &[&b, &c], &body);
        for me in [&b, &c] {
            let (header, opened) = open(&org, me, &file).unwrap();
            assert_eq!(opened, body);
            assert_eq!((header.sender, header.up_to_position), (a.id.clone(), 9));
        }
        let outsider = member(&org, "D");
        assert_eq!(
            open(&org, &outsider, &file).unwrap_err().code(),
            ErrorCode::BundleNotForThisDevice
        );
    }

    #[test]
    fn a_foreign_or_revoked_sender_is_refused_before_anything_opens() {
        let home = org("clinic");
        let away = org("elsewhere");
        let stranger = member(&away, "X");
        let me = member(&home, "B");
        let file = bundle(&away, &stranger, &[&me], b"records");
        assert_eq!(
            open(&home, &me, &file).unwrap_err().code(),
            ErrorCode::BundleForeign
        );

        let mut home = home;
        let sender = member(&home, "A");
        let file = bundle(&home, &sender, &[&me], b"records");
        let revoked = home.issuer.sign_list(
            2,
            NOW,
            vec![Revoked {
                device: sender.id.clone(),
                since_ms: NOW,
                lost: true,
            }],
        );
        home.lists.merge(&revoked, &home.anchors).unwrap();
        assert_eq!(
            open(&home, &me, &file).unwrap_err().code(),
            ErrorCode::BundleSenderRevoked
        );
    }

    #[test]
    fn a_cut_file_is_truncated_and_an_altered_one_tampered() {
        let org = org("clinic");
        let (a, b) = (member(&org, "A"), member(&org, "B"));
        let file = bundle(&org, &a, &[&b], &vec![3u8; 200_000]);
        for cut in [file.len() - 1, file.len() - 70_000, 100] {
            assert_eq!(
                open(&org, &b, &file[..cut]).unwrap_err().code(),
                ErrorCode::BundleTruncated,
                "cut at {cut}"
            );
        }
        let mut altered = file.clone();
        let at = altered.len() - 1000;
        altered[at] ^= 1;
        assert_eq!(
            open(&org, &b, &altered).unwrap_err().code(),
            ErrorCode::BundleTampered
        );
        // Another recipient re-encrypting other content under the sender's
        // header cannot re-sign the trailer.
        let other = bundle(&org, &b, &[&b], b"other content");
        let mut spliced = file[..file.len() - 64].to_vec();
        spliced.extend_from_slice(&other[other.len() - 64..]);
        assert_eq!(
            open(&org, &b, &spliced).unwrap_err().code(),
            ErrorCode::BundleTampered
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn the_reader_never_panics_and_always_names_a_bundle_code(
            noise in proptest::collection::vec(any::<u8>(), 0..600),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..), 0..4),
            cut in any::<prop::sample::Index>(),
            mutate_valid: bool,
        ) {
            let org = org("clinic");
            let (a, b) = (member(&org, "A"), member(&org, "B"));
            let input = if mutate_valid {
                let mut file = bundle(&org, &a, &[&b], &noise);
                // One flip per byte: two flips of one byte could undo each other.
                let flips: std::collections::BTreeMap<usize, u8> =
                    flips.iter().map(|(at, mask)| (at.index(file.len()), *mask)).collect();
                for (at, mask) in &flips {
                    file[*at] ^= mask;
                }
                if flips.is_empty() {
                    let keep = cut.index(file.len());
                    file.truncate(keep);
                }
                file
            } else {
                let mut file = MAGIC.to_vec();
                file.extend_from_slice(&noise);
                file
            };
            let error = open(&org, &b, &input).unwrap_err();
            prop_assert!(error.code().as_str().starts_with("bundle_"), "{error:?}");
        }
    }
}
