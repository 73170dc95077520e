//! Authenticated encryption of everything the vault writes: AES-256-GCM from
//! ring, with associated data that binds each ciphertext to the row it belongs
//! to, so no ciphertext can be moved to another row, table or version.
//!
//! Nonces are 96 random bits from `ring::rand::SystemRandom` on every seal,
//! never a counter and never an injectable generator: a repeated nonce under
//! one key would reveal plaintexts, and a seeded test generator that leaked
//! into production would repeat them. Raw key bytes live only in `Zeroizing`;
//! ring's key objects (which ring does not wipe) are made for one call and
//! dropped at once.

pub mod kdf;
pub mod stream;

use ring::aead::{AES_256_GCM, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::StoreError;

/// Length of every key, in bytes.
pub const KEY_LEN: usize = 32;

/// Bytes a sealed value is longer than its plaintext: the nonce and the tag.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + 16;

/// The prefix of every associated data, naming the format version.
const AAD_PREFIX: &[u8] = b"karte/v1";

/// A 256-bit AES key, wiped from memory when dropped.
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    /// A fresh random key from the operating system. Key material is the one
    /// randomness the store makes itself: no caller should ever choose it.
    pub fn generate() -> Result<SecretKey, StoreError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(SecretKey(bytes))
    }

    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> SecretKey {
        SecretKey(bytes)
    }

    /// The raw key bytes, for wrapping the key under another.
    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A ring key object for one operation; the caller drops it right away.
    fn ring_key(&self) -> LessSafeKey {
        let unbound = UnboundKey::new(&AES_256_GCM, self.0.as_ref())
            .expect("a 32-byte key is always valid for AES-256-GCM");
        LessSafeKey::new(unbound)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// What a sealed value is: its table, its row and the row's version. Sealing
/// and opening must name the same, so a ciphertext copied to another row, or
/// an old version put back, fails to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub row: &'a str,
    pub version: u64,
}

impl Aad<'_> {
    /// The associated data bytes: the prefix, then each part length-prefixed
    /// so that no two different `Aad`s encode alike.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(AAD_PREFIX.len() + self.table.len() + self.row.len() + 16);
        out.extend_from_slice(AAD_PREFIX);
        push_part(&mut out, self.table.as_bytes());
        push_part(&mut out, self.row.as_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out
    }
}

pub(crate) fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u32).to_be_bytes());
    out.extend_from_slice(part);
}

/// A sealed value did not open: it was altered, damaged, moved to another row
/// or sealed under another key. Callers name the record in the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the ciphertext failed authentication")]
pub struct Unauthentic;

/// Encrypts `plaintext` as `nonce || ciphertext || tag`.
pub fn seal(key: &SecretKey, aad: &Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
    seal_with(key, &aad.encode(), plaintext)
}

/// Decrypts what `seal` made under the same key and associated data.
pub fn open(key: &SecretKey, aad: &Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, Unauthentic> {
    open_with(key, &aad.encode(), sealed)
}

pub(crate) fn seal_with(
    key: &SecretKey,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = key
        .ring_key()
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            ring::aead::Aad::from(aad),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| StoreError::invalid("the value is too large to encrypt"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

pub(crate) fn open_with(
    key: &SecretKey,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, Unauthentic> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(Unauthentic);
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Unauthentic)?;
    let mut buffer = rest.to_vec();
    let plain_len = key
        .ring_key()
        .open_in_place(nonce, ring::aead::Aad::from(aad), &mut buffer)
        .map_err(|_| Unauthentic)?
        .len();
    buffer.truncate(plain_len);
    Ok(buffer)
}

/// Fills `out` from the operating system's random source.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<(), StoreError> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| StoreError::NoRandomness)
}

/// HMAC-SHA256 of `value` under a key derived from `key` for `purpose`
/// alone: a value that must be looked up by a plaintext column without
/// that column revealing it (an attachment's content hash).
pub(crate) fn keyed_hash(key: &SecretKey, purpose: &str, value: &[u8]) -> [u8; 32] {
    use ring::hmac;
    let mut label = Vec::with_capacity(AAD_PREFIX.len() + purpose.len() + 24);
    label.extend_from_slice(AAD_PREFIX);
    push_part(&mut label, b"keyed hash");
    push_part(&mut label, purpose.as_bytes());
    let mut derived = Zeroizing::new([0u8; 32]);
    derived.copy_from_slice(
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key.expose()), &label).as_ref(),
    );
    let mut out = [0u8; 32];
    out.copy_from_slice(
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()), value).as_ref(),
    );
    out
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn key() -> SecretKey {
        SecretKey::generate().unwrap()
    }

    const AAD: Aad<'static> = Aad {
        table: "document_chunks",
        row: "P1",
        version: 3,
    };

    #[test]
    fn seal_then_open_round_trips() {
        let key = key();
        for plaintext in [&b""[..], b"x", &[7u8; 5000]] {
            let sealed = seal(&key, &AAD, plaintext).unwrap();
            assert_eq!(sealed.len(), plaintext.len() + SEAL_OVERHEAD);
            assert_eq!(open(&key, &AAD, &sealed).unwrap(), plaintext);
        }
    }

    #[test]
    fn a_ciphertext_opens_only_where_it_was_sealed() {
        let key = key();
        let sealed = seal(&key, &AAD, b"allergy: penicillin").unwrap();
        let elsewhere = [
            Aad {
                table: "patient_index",
                ..AAD
            },
            Aad { row: "P2", ..AAD },
            Aad { version: 4, ..AAD },
        ];
        for aad in elsewhere {
            assert_eq!(open(&key, &aad, &sealed), Err(Unauthentic), "{aad:?}");
        }
        assert_eq!(open(&self::key(), &AAD, &sealed), Err(Unauthentic));
    }

    #[test]
    fn length_prefixes_keep_parts_apart() {
        let a = Aad {
            table: "ab",
            row: "c",
            version: 0,
        }
        .encode();
        let b = Aad {
            table: "a",
            row: "bc",
            version: 0,
        }
        .encode();
        assert_ne!(a, b);
    }

    #[test]
    fn flipping_any_byte_fails_to_open() {
        let key = key();
        let sealed = seal(&key, &AAD, b"BP 120/80").unwrap();
        for i in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[i] ^= 0x01;
            assert_eq!(open(&key, &AAD, &damaged), Err(Unauthentic), "byte {i}");
        }
        assert_eq!(
            open(&key, &AAD, &sealed[..SEAL_OVERHEAD - 1]),
            Err(Unauthentic)
        );
    }

    #[test]
    fn nonces_differ_across_ten_thousand_seals() {
        let key = key();
        let mut nonces = HashSet::new();
        let mut ciphertexts = HashSet::new();
        for _ in 0..10_000 {
            let sealed = seal(&key, &AAD, b"the same plaintext").unwrap();
            assert!(
                nonces.insert(sealed[..NONCE_LEN].to_vec()),
                "nonce repeated"
            );
            assert!(ciphertexts.insert(sealed), "ciphertext repeated");
        }
    }

    #[test]
    fn keyed_hashes_depend_on_the_key_and_the_purpose() {
        let (a, b) = (key(), key());
        let value = b"content hash";
        assert_eq!(keyed_hash(&a, "p", value), keyed_hash(&a, "p", value));
        assert_ne!(keyed_hash(&a, "p", value), keyed_hash(&b, "p", value));
        assert_ne!(keyed_hash(&a, "p", value), keyed_hash(&a, "q", value));
        assert_ne!(keyed_hash(&a, "p", value), sha256(&[value]));
    }

    #[test]
    fn the_hash_is_the_usual_one() {
        assert_eq!(
            hex::encode(sha256(&[b"ab", b"c"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
