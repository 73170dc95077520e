//! One-time enrolment codes: what an administrator hands a nurse to enrol a
//! tablet. A code is 20 characters of Crockford base32 (100 random bits),
//! shown in groups of four; the hub stores only its SHA-256, so a copy of
//! the hub database enrols nobody.
//!
//! Codes are read forgivingly, as people type them: case, spaces and
//! hyphens do not matter, and the letters Crockford's alphabet leaves out
//! for looking like digits (I, L, O) read as those digits.

use ring::digest::{SHA256, digest};
use ring::rand::SecureRandom;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 20;
const GROUP: usize = 4;

/// A new random code, e.g. `7K3M-Q9TX-2B8R-ZC4W-H6PD`; `None` if the
/// random source failed.
pub fn new_enrolment_code(random: &(dyn SecureRandom + Sync)) -> Option<String> {
    // 13 bytes hold the 100 bits; each character takes the next 5.
    let mut bytes = [0u8; 13];
    random.fill(&mut bytes).ok()?;
    let bits = bytes
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let mut code = String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP);
    for i in 0..CODE_CHARS {
        if i > 0 && i % GROUP == 0 {
            code.push('-');
        }
        let index = (bits >> (5 * (CODE_CHARS - 1 - i))) & 31;
        code.push(char::from(ALPHABET[index as usize]));
    }
    Some(code)
}

/// The code as it is compared: upper case, without separators, with the
/// look-alike letters read as digits.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect()
}

/// What the hub stores and looks a code up by.
pub fn enrolment_code_hash(code: &str) -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest(&SHA256, normalise(code).as_bytes()).as_ref());
    hash
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::*;

    #[test]
    fn a_code_has_twenty_crockford_characters_in_groups_of_four() {
        let code = new_enrolment_code(&SystemRandom::new()).unwrap();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 5, "{code}");
        assert!(groups.iter().all(|g| g.len() == 4), "{code}");
        assert!(code.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
        assert_ne!(code, new_enrolment_code(&SystemRandom::new()).unwrap());
    }

    #[test]
    fn a_code_is_read_as_people_type_it() {
        let hash = enrolment_code_hash("7K3M-Q9TX-2B8R-ZC4W-H110");
        assert_eq!(enrolment_code_hash("7k3m q9tx 2b8r zc4w hl1o"), hash);
        assert_ne!(enrolment_code_hash("7K3M-Q9TX-2B8R-ZC4W-H111"), hash);
    }
}
