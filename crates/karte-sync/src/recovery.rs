//! The organisation's recovery key: an X25519 key pair whose public half the
//! hub hands every device at enrolment, so each device can seal its vault key
//! to it, and whose private half the organisation keeps offline to open a
//! vault whose passphrase is forgotten.
//!
//! Sealing is HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256 and ChaCha20-Poly1305, from the `hpke` crate: ring has no
//! static key agreement. A sealed box is a 4-byte magic, the 32-byte
//! encapsulated key and the ciphertext with its tag. The sender's ephemeral
//! key comes from the operating system's random source, never from a seeded
//! generator, for the same reason AEAD nonces do.
//!
//! The errors live here rather than in `error.rs`: this module is the only
//! user of them and stands apart from the wire protocol.

use hex::FromHex;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use karte_types::ErrorCode;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

type Kem = X25519HkdfSha256;

/// The first bytes of every sealed box, naming the format's version.
const SEALED_MAGIC: [u8; 4] = *b"KRC1";
/// HPKE's `info`: binds every box to this use, so a box made for another
/// purpose under the same key does not open as a recovery box.
const INFO: &[u8] = b"karte-recovery-v1";
const ENCAPPED_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// The label of the private key's line in a key file.
const FILE_LABEL: &str = "karte-recovery-key-v1:";
/// The label of the line of a key file protected by a passphrase: the
/// Argon2id parameters and salt, the AES-256-GCM nonce and the sealed key.
const PROTECTED_LABEL: &str = "karte-recovery-key-protected-v1:";
/// The associated data of a protected key: what the ciphertext is.
const PROTECTED_AAD: &[u8] = b"karte/recovery-key-file/v1";
/// Argon2id for a key file that waits offline: 64 MiB, 3 passes, as the
/// vault's own passphrases.
const KEY_FILE_KDF: (u32, u32) = (64 * 1024, 3);

/// Why a recovery key could not be made, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    #[error("the operating system's random source failed: try again")]
    NoRandomness,
    #[error(
        "the recovery public key is not a valid X25519 key: ask the hub administrator for the organisation's key"
    )]
    BadPublicKey,
    #[error(
        "this is not a Karte recovery key file ({detail}): give the file `karte-hub org add` wrote"
    )]
    BadKeyFile { detail: String },
    #[error("the sealed vault key is damaged ({detail}): use another copy of it")]
    Malformed { detail: String },
    #[error(
        "the sealed vault key does not open with this recovery key: use the recovery key of the organisation the device was enrolled in"
    )]
    WrongKey,
    #[error("sealing to the recovery key failed: try again")]
    Seal,
    #[error(
        "the recovery key file is protected by a passphrase: give it (KARTE_RECOVERY_PASSPHRASE, or at the prompt)"
    )]
    PassphraseNeeded,
    #[error(
        "the passphrase does not open the recovery key file: try again, with the passphrase given when the organisation was added"
    )]
    WrongPassphrase,
}

impl RecoveryError {
    /// A stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            RecoveryError::NoRandomness => ErrorCode::NoRandomness,
            RecoveryError::BadPublicKey => ErrorCode::BadRecoveryPublicKey,
            RecoveryError::BadKeyFile { .. } => ErrorCode::BadRecoveryKeyFile,
            RecoveryError::Malformed { .. } => ErrorCode::MalformedSealedKey,
            RecoveryError::WrongKey => ErrorCode::WrongRecoveryKey,
            RecoveryError::Seal => ErrorCode::SealFailed,
            RecoveryError::PassphraseNeeded => ErrorCode::RecoveryPassphraseNeeded,
            RecoveryError::WrongPassphrase => ErrorCode::WrongRecoveryPassphrase,
        }
    }
}

/// The private half of an organisation's recovery key. Its bytes are wiped
/// from memory when it is dropped.
pub struct RecoveryPrivateKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for RecoveryPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself, only what identifies it.
        f.debug_struct("RecoveryPrivateKey")
            .field("public_key", &hex::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl RecoveryPrivateKey {
    /// A new key pair: the private key and its public key.
    pub fn generate(
        random: &dyn SecureRandom,
    ) -> Result<(RecoveryPrivateKey, [u8; 32]), RecoveryError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        random
            .fill(seed.as_mut())
            .map_err(|_| RecoveryError::NoRandomness)?;
        let (private, _) = Kem::derive_keypair(seed.as_ref());
        let key = RecoveryPrivateKey::from_bytes(&private.to_bytes().into())?;
        let public = key.public_key();
        Ok((key, public))
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Result<RecoveryPrivateKey, RecoveryError> {
        // Every 32 bytes make an X25519 private key; this only checks that
        // hpke agrees.
        <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes).map_err(|_| {
            RecoveryError::BadKeyFile {
                detail: "the key is not an X25519 private key".to_owned(),
            }
        })?;
        Ok(RecoveryPrivateKey {
            bytes: Zeroizing::new(*bytes),
        })
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The public key devices seal to.
    pub fn public_key(&self) -> [u8; 32] {
        let public = Kem::sk_to_pk(&self.hpke_key());
        let mut out = [0u8; 32];
        out.copy_from_slice(&public.to_bytes());
        out
    }

    fn hpke_key(&self) -> <Kem as hpke::Kem>::PrivateKey {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(self.bytes.as_ref())
            .expect("checked when the key was made")
    }

    /// The text of a key file: a comment naming the public key, then the
    /// private key in hex after a label. Keep it offline.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# Karte organisation recovery key. It opens every vault of the organisation:\n\
             # keep it offline, and never on a device that syncs.\n\
             # public key: {}\n\
             {FILE_LABEL}{}\n",
            hex::encode(self.public_key()),
            hex::encode(self.bytes.as_ref())
        ))
    }

    /// The text of a key file whose key is sealed under `passphrase`
    /// (Argon2id, then AES-256-GCM), for an organisation that keeps the
    /// file where a thief could copy it. The salt and nonce come from
    /// `random`, which must be the operating system's.
    pub fn to_protected_file_text(
        &self,
        passphrase: &[u8],
        random: &dyn SecureRandom,
    ) -> Result<String, RecoveryError> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        random
            .fill(&mut salt)
            .and_then(|()| random.fill(&mut nonce))
            .map_err(|_| RecoveryError::NoRandomness)?;
        let (memory, passes) = KEY_FILE_KDF;
        let key = file_key(passphrase, &salt, memory, passes)?;
        let mut sealed = self.bytes.to_vec();
        key.seal_in_place_append_tag(
            ring::aead::Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(PROTECTED_AAD),
            &mut sealed,
        )
        .map_err(|_| RecoveryError::Seal)?;
        Ok(format!(
            "# Karte organisation recovery key, protected by a passphrase. It opens every\n\
             # vault of the organisation: keep it offline, and never on a device that syncs.\n\
             # public key: {}\n\
             {PROTECTED_LABEL}{memory}:{passes}:{}:{}:{}\n",
            hex::encode(self.public_key()),
            hex::encode(salt),
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Whether a key file's text is protected by a passphrase.
    pub fn file_is_protected(text: &str) -> bool {
        key_line(text).is_some_and(|line| line.starts_with(PROTECTED_LABEL))
    }

    /// Reads what [`RecoveryPrivateKey::to_file_text`] or
    /// [`RecoveryPrivateKey::to_protected_file_text`] wrote; the second needs
    /// its `passphrase`. Comment lines (`#`) and blank lines are skipped.
    pub fn from_file_text(
        text: &str,
        passphrase: Option<&[u8]>,
    ) -> Result<RecoveryPrivateKey, RecoveryError> {
        let bad = |detail: &str| RecoveryError::BadKeyFile {
            detail: detail.to_owned(),
        };
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'));
        let line = lines.next().ok_or_else(|| bad("it holds no key"))?;
        if lines.next().is_some() {
            return Err(bad("it holds more than one line"));
        }
        if let Some(fields) = line.strip_prefix(PROTECTED_LABEL) {
            let passphrase = passphrase.ok_or(RecoveryError::PassphraseNeeded)?;
            return RecoveryPrivateKey::open_protected(fields.trim(), passphrase);
        }
        let encoded = line
            .strip_prefix(FILE_LABEL)
            .ok_or_else(|| bad("the key line lacks its label"))?;
        let bytes = Zeroizing::new(
            <[u8; 32]>::from_hex(encoded.trim())
                .map_err(|_| bad("the key is not 64 hex digits"))?,
        );
        RecoveryPrivateKey::from_bytes(&bytes)
    }

    fn open_protected(
        fields: &str,
        passphrase: &[u8],
    ) -> Result<RecoveryPrivateKey, RecoveryError> {
        let bad = |detail: &str| RecoveryError::BadKeyFile {
            detail: detail.to_owned(),
        };
        let parts: Vec<&str> = fields.split(':').collect();
        let [memory, passes, salt, nonce, sealed] = parts[..] else {
            return Err(bad("the protected key line does not have its five fields"));
        };
        let memory: u32 = memory
            .parse()
            .map_err(|_| bad("the memory cost is not a number"))?;
        let passes: u32 = passes
            .parse()
            .map_err(|_| bad("the pass count is not a number"))?;
        let salt = Vec::from_hex(salt).map_err(|_| bad("the salt is not hex"))?;
        let nonce =
            <[u8; 12]>::from_hex(nonce).map_err(|_| bad("the nonce is not 24 hex digits"))?;
        let mut sealed =
            Zeroizing::new(Vec::from_hex(sealed).map_err(|_| bad("the sealed key is not hex"))?);
        // A file that asks for more than the parameters it was written with
        // is not one of ours; do not let it make the reader allocate freely.
        if memory > 4 * KEY_FILE_KDF.0 || passes > 4 * KEY_FILE_KDF.1 {
            return Err(bad("its key derivation parameters are out of range"));
        }
        let key = file_key(passphrase, &salt, memory, passes)?;
        let opened = key
            .open_in_place(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(PROTECTED_AAD),
                &mut sealed,
            )
            .map_err(|_| RecoveryError::WrongPassphrase)?;
        let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(
            <[u8; 32]>::try_from(&opened[..]).map_err(|_| bad("the sealed key is not 32 bytes"))?,
        );
        RecoveryPrivateKey::from_bytes(&bytes)
    }
}

/// The key line of a key file's text, if there is one.
fn key_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
}

/// The AES-256-GCM key a passphrase gives, by Argon2id.
fn file_key(
    passphrase: &[u8],
    salt: &[u8],
    memory_kib: u32,
    passes: u32,
) -> Result<ring::aead::LessSafeKey, RecoveryError> {
    let params = argon2::Params::new(memory_kib, passes, 1, Some(32)).map_err(|_| {
        RecoveryError::BadKeyFile {
            detail: "its key derivation parameters are not valid".to_owned(),
        }
    })?;
    let mut raw = Zeroizing::new([0u8; 32]);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(passphrase, salt, raw.as_mut())
        .map_err(|_| RecoveryError::BadKeyFile {
            detail: "the salt is too short".to_owned(),
        })?;
    let key = ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, raw.as_ref())
        .map_err(|_| RecoveryError::Seal)?;
    Ok(ring::aead::LessSafeKey::new(key))
}

/// Seals `plaintext` (a vault key) so that only the holder of the private
/// half of `public` can open it.
pub fn seal_to_recovery_key(public: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, RecoveryError> {
    let public = <Kem as hpke::Kem>::PublicKey::from_bytes(public)
        .map_err(|_| RecoveryError::BadPublicKey)?;
    let (encapped, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &public,
        INFO,
        plaintext,
        &SEALED_MAGIC,
    )
    .map_err(|_| RecoveryError::Seal)?;
    let mut sealed = Vec::with_capacity(SEALED_MAGIC.len() + ENCAPPED_LEN + ciphertext.len());
    sealed.extend_from_slice(&SEALED_MAGIC);
    sealed.extend_from_slice(&encapped.to_bytes());
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// Opens what [`seal_to_recovery_key`] sealed.
pub fn open_with_recovery_key(
    private: &RecoveryPrivateKey,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, RecoveryError> {
    let malformed = |detail: &str| RecoveryError::Malformed {
        detail: detail.to_owned(),
    };
    let Some(rest) = sealed.strip_prefix(&SEALED_MAGIC) else {
        return Err(malformed("it does not start as a sealed recovery box"));
    };
    if rest.len() < ENCAPPED_LEN + TAG_LEN {
        return Err(malformed("it is too short"));
    }
    let (encapped, ciphertext) = rest.split_at(ENCAPPED_LEN);
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped)
        .map_err(|_| malformed("its key part is not an X25519 key"))?;
    let plaintext = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &private.hpke_key(),
        &encapped,
        INFO,
        ciphertext,
        &SEALED_MAGIC,
    )
    .map_err(|_| RecoveryError::WrongKey)?;
    Ok(Zeroizing::new(plaintext))
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::*;

    fn key() -> (RecoveryPrivateKey, [u8; 32]) {
        RecoveryPrivateKey::generate(&SystemRandom::new()).unwrap()
    }

    #[test]
    fn a_sealed_vault_key_opens_with_the_private_key() {
        let (private, public) = key();
        let vault_key = [0x5a; 32];
        let sealed = seal_to_recovery_key(&public, &vault_key).unwrap();
        assert_eq!(&sealed[..4], b"KRC1");
        assert_eq!(sealed.len(), 4 + 32 + 32 + 16);
        assert_eq!(
            open_with_recovery_key(&private, &sealed)
                .unwrap()
                .as_slice(),
            &vault_key
        );
        // A fresh ephemeral key each time: two boxes of one key differ.
        assert_ne!(sealed, seal_to_recovery_key(&public, &vault_key).unwrap());
    }

    #[test]
    fn another_organisations_key_does_not_open_it() {
        let (_, public) = key();
        let (other, _) = key();
        let sealed = seal_to_recovery_key(&public, b"vault key").unwrap();
        assert_eq!(
            open_with_recovery_key(&other, &sealed).unwrap_err(),
            RecoveryError::WrongKey
        );
    }

    #[test]
    fn a_damaged_box_is_refused() {
        let (private, public) = key();
        let sealed = seal_to_recovery_key(&public, b"vault key").unwrap();
        for i in [0, 5, 40, sealed.len() - 1] {
            let mut damaged = sealed.clone();
            damaged[i] ^= 1;
            let error = open_with_recovery_key(&private, &damaged).unwrap_err();
            assert!(
                matches!(
                    error,
                    RecoveryError::WrongKey | RecoveryError::Malformed { .. }
                ),
                "byte {i}: {error:?}"
            );
        }
        assert_eq!(
            open_with_recovery_key(&private, &sealed[..50])
                .unwrap_err()
                .code(),
            "malformed_sealed_key"
        );
    }

    #[test]
    fn a_key_file_round_trips_and_names_its_public_key() {
        let (private, public) = key();
        let text = private.to_file_text();
        assert!(text.contains(&hex::encode(public)), "{}", text.as_str());
        let again = RecoveryPrivateKey::from_file_text(&text, None).unwrap();
        assert_eq!(again.as_bytes(), private.as_bytes());
        assert_eq!(again.public_key(), public);
        assert!(!format!("{again:?}").contains(&hex::encode(private.as_bytes())));
    }

    #[test]
    fn a_wrong_key_file_says_so() {
        for text in [
            "",
            "# only a comment\n",
            "karte-recovery-key-v1:abcd\n",
            "6a6b\n",
            "karte-recovery-key-v1:00\nkarte-recovery-key-v1:00\n",
        ] {
            let error = RecoveryPrivateKey::from_file_text(text, None).unwrap_err();
            assert_eq!(error.code(), "bad_recovery_key_file", "{text:?}");
        }
    }

    #[test]
    fn a_bad_public_key_is_refused_or_unusable() {
        // Not every 32 bytes are refused by X25519, but sealing to them must
        // never produce a box the real key holder could be tricked into.
        let (private, _) = key();
        match seal_to_recovery_key(&[0u8; 32], b"k") {
            Err(error) => assert_eq!(error, RecoveryError::Seal),
            Ok(sealed) => assert!(open_with_recovery_key(&private, &sealed).is_err()),
        }
    }

    #[test]
    fn a_protected_key_file_opens_only_with_its_passphrase() {
        let random = ring::rand::SystemRandom::new();
        let (key, public) = RecoveryPrivateKey::generate(&random).unwrap();
        let text = key
            .to_protected_file_text(b"kept in the station safe", &random)
            .unwrap();
        assert!(RecoveryPrivateKey::file_is_protected(&text));
        assert!(
            !text.contains(&hex::encode(key.as_bytes())),
            "the key is not in clear"
        );
        assert_eq!(
            RecoveryPrivateKey::from_file_text(&text, None).unwrap_err(),
            RecoveryError::PassphraseNeeded
        );
        assert_eq!(
            RecoveryPrivateKey::from_file_text(&text, Some(b"guess")).unwrap_err(),
            RecoveryError::WrongPassphrase
        );
        let opened =
            RecoveryPrivateKey::from_file_text(&text, Some(b"kept in the station safe")).unwrap();
        assert_eq!(opened.public_key(), public);
        // A tampered sealed key does not open either.
        let mut tampered = text.clone();
        let at = tampered.rfind(':').unwrap() + 3;
        let flipped = if &tampered[at..=at] == "0" { "1" } else { "0" };
        tampered.replace_range(at..=at, flipped);
        assert!(
            RecoveryPrivateKey::from_file_text(&tampered, Some(b"kept in the station safe"))
                .is_err()
        );
        assert!(!RecoveryPrivateKey::file_is_protected(&key.to_file_text()));
    }
}
