//! One-time enrolment codes: what an administrator hands a nurse to enrol a
//! tablet, made by the hub and read by the device.
//!
//! A code is 32 characters of Crockford base32 in groups of four: 20 (100
//! random bits) are the secret the hub redeems, the last 12 (60 bits) are a
//! fingerprint of the organisation's recovery public key. The device seals
//! its vault key to the key the hub names at enrolment; with the
//! fingerprint in the code it came by hand, a key changed in the hub's
//! database (by an intruder who wants to open vaults later) is refused by
//! the enrolling device instead of trusted. The hub stores only the
//! secret's SHA-256, so a copy of the hub database enrols nobody.
//!
//! Codes are read forgivingly, as people type them: case, spaces and
//! hyphens do not matter, and the letters Crockford's alphabet leaves out
//! for looking like digits (I, L, O) read as those digits.

use ring::digest::{SHA256, digest};
use ring::rand::SecureRandom;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The characters of the secret the hub redeems.
const SECRET_CHARS: usize = 20;
/// The characters of the recovery key's fingerprint.
const FINGERPRINT_CHARS: usize = 12;
const GROUP: usize = 4;

/// `chars` Crockford characters of the leading bits of `bytes`.
pub(crate) fn base32(bytes: &[u8], chars: usize) -> String {
    let bits = bytes
        .iter()
        .take(16)
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let available = 8 * bytes.len().min(16);
    (0..chars)
        .map(|i| {
            let index = (bits >> (available - 5 * (i + 1))) & 31;
            char::from(ALPHABET[index as usize])
        })
        .collect()
}

/// The fingerprint of an organisation's X25519 recovery public key, as it
/// stands in enrolment codes: 60 bits of a domain-separated SHA-256.
pub fn recovery_key_fingerprint(recovery_public_key: &[u8]) -> String {
    let mut input = b"karte/recovery-key-fingerprint/v1".to_vec();
    input.extend_from_slice(recovery_public_key);
    base32(digest(&SHA256, &input).as_ref(), FINGERPRINT_CHARS)
}

/// A new random code for an organisation whose recovery public key is
/// `recovery_public_key`, e.g. `7K3M-Q9TX-2B8R-ZC4W-H6PD-A1B2-C3D4-E5F6`;
/// `None` if the random source failed.
pub fn new_enrolment_code(
    random: &(dyn SecureRandom + Sync),
    recovery_public_key: &[u8],
) -> Option<String> {
    // 13 bytes hold the secret's 100 bits.
    let mut bytes = [0u8; 13];
    random.fill(&mut bytes).ok()?;
    let plain = base32(&bytes, SECRET_CHARS) + &recovery_key_fingerprint(recovery_public_key);
    Some(grouped(&plain))
}

/// Crockford characters in groups of four joined by hyphens.
pub(crate) fn grouped(plain: &str) -> String {
    let groups: Vec<&str> = plain
        .as_bytes()
        .chunks(GROUP)
        .map(|group| std::str::from_utf8(group).expect("the alphabet is ASCII"))
        .collect();
    groups.join("-")
}

/// The code as it is compared: upper case, without separators, with the
/// look-alike letters read as digits.
pub(crate) fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect()
}

/// What the hub stores and looks a code up by: the hash of its secret part
/// (a device may send the whole code or the secret alone).
pub fn enrolment_code_hash(code: &str) -> [u8; 32] {
    let normal = normalise(code);
    let secret: String = normal.chars().take(SECRET_CHARS).collect();
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
    hash
}

/// A code as a nurse typed it, split into what goes to the hub and what
/// stays on the device to check the hub's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentCode {
    secret: String,
    fingerprint: String,
}

/// Why a typed code or the hub's key does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentCodeError {
    #[error(
        "the enrolment code has {found} characters, not {SECRET_CHARS} + {FINGERPRINT_CHARS}: type all eight groups of four the administrator gave (an older hub's 20-character code has no fingerprint of the organisation's recovery key; ask for a new one)"
    )]
    WrongLength { found: usize },
    #[error(
        "the enrolment code holds '{0}', which is not a letter or digit of such codes: check it"
    )]
    BadCharacter(char),
    #[error(
        "the hub named a recovery key for the organisation that is not the one in the enrolment code: nothing was stored; tell the hub's administrator, the hub's database may have been changed"
    )]
    RecoveryKeyMismatch,
}

impl EnrolmentCode {
    /// Reads a typed code.
    pub fn parse(typed: &str) -> Result<EnrolmentCode, EnrolmentCodeError> {
        let normal = normalise(typed);
        if let Some(bad) = normal
            .chars()
            .find(|c| !ALPHABET.contains(&(*c as u8)) || !c.is_ascii())
        {
            return Err(EnrolmentCodeError::BadCharacter(bad));
        }
        if normal.len() != SECRET_CHARS + FINGERPRINT_CHARS {
            return Err(EnrolmentCodeError::WrongLength {
                found: normal.len(),
            });
        }
        let (secret, fingerprint) = normal.split_at(SECRET_CHARS);
        Ok(EnrolmentCode {
            secret: secret.to_owned(),
            fingerprint: fingerprint.to_owned(),
        })
    }

    /// The part the hub redeems; the fingerprint never leaves the device.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Checks the recovery public key the hub named against the code.
    pub fn check_recovery_key(&self, recovery_public_key: &[u8]) -> Result<(), EnrolmentCodeError> {
        if recovery_key_fingerprint(recovery_public_key) == self.fingerprint {
            Ok(())
        } else {
            Err(EnrolmentCodeError::RecoveryKeyMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn a_code_has_eight_groups_of_four_crockford_characters() {
        let code = new_enrolment_code(&SystemRandom::new(), &KEY).unwrap();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 8, "{code}");
        assert!(groups.iter().all(|g| g.len() == 4), "{code}");
        assert!(code.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
        assert_ne!(
            code,
            new_enrolment_code(&SystemRandom::new(), &KEY).unwrap()
        );
        assert!(
            code.ends_with(&recovery_key_fingerprint(&KEY)[8..]),
            "{code}"
        );
    }

    #[test]
    fn a_code_is_read_as_people_type_it() {
        let code = new_enrolment_code(&SystemRandom::new(), &KEY).unwrap();
        let typed = code
            .to_lowercase()
            .replace('-', " ")
            .replace('1', "l")
            .replace('0', "o");
        let parsed = EnrolmentCode::parse(&typed).unwrap();
        assert_eq!(parsed, EnrolmentCode::parse(&code).unwrap());
        // The hub finds the code by its secret, sent alone or whole.
        assert_eq!(
            enrolment_code_hash(parsed.secret()),
            enrolment_code_hash(&code)
        );
        assert_eq!(enrolment_code_hash(&typed), enrolment_code_hash(&code));
        assert_ne!(
            enrolment_code_hash("0000-0000-0000-0000-0000"),
            enrolment_code_hash(&code)
        );
    }

    #[test]
    fn the_device_refuses_a_recovery_key_the_code_does_not_name() {
        let code =
            EnrolmentCode::parse(&new_enrolment_code(&SystemRandom::new(), &KEY).unwrap()).unwrap();
        assert_eq!(code.check_recovery_key(&KEY), Ok(()));
        let mut other = KEY;
        other[31] ^= 1;
        assert_eq!(
            code.check_recovery_key(&other),
            Err(EnrolmentCodeError::RecoveryKeyMismatch)
        );
    }

    #[test]
    fn short_or_garbled_codes_say_what_is_wrong() {
        let old = EnrolmentCode::parse("7K3M-Q9TX-2B8R-ZC4W-H6PD").unwrap_err();
        assert_eq!(old, EnrolmentCodeError::WrongLength { found: 20 });
        assert!(old.to_string().contains("ask for a new one"));
        assert!(matches!(
            EnrolmentCode::parse("7K3M-Q9TX-2B8R-ZC4W-H6PD-A1B2-C3D4-E5F!"),
            Err(EnrolmentCodeError::BadCharacter('!'))
        ));
    }
}
