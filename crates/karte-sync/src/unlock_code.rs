//! Unlock codes for a device locked by its organisation's policy: a vault
//! that has not reached its hub for the policy's days opens only with one
//! of these, which an administrator reads to the nurse over the phone.
//!
//! The hub makes the codes, keeps them sealed, and hands the device only a
//! slow salted hash of each (Argon2id, with the parameters it names), so
//! reading the vault does not give a code. A code is 12 characters of
//! Crockford base32 in groups of four (60 random bits), e.g.
//! `7K3M-Q9TX-2B8R`, read as forgivingly as enrolment codes are.

use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use crate::enrolment_code;

/// The characters of a code.
const CODE_CHARS: usize = 12;

/// What a device keeps of one code: its number, its salt and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockCodeCheck {
    pub number: u32,
    pub salt: [u8; 16],
    pub hash: [u8; 32],
}

/// The cost of the hashes: Argon2id's memory in KiB, passes and lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockCodeCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl UnlockCodeCost {
    /// The most a hub may ask a device to spend on one hash: 256 MiB, 10
    /// passes, 4 lanes. A hash beyond it is refused rather than computed.
    pub fn within_reason(&self) -> bool {
        (8..=256 * 1024).contains(&self.memory_kib)
            && (1..=10).contains(&self.iterations)
            && (1..=4).contains(&self.parallelism)
    }
}

/// A new random code, e.g. `7K3M-Q9TX-2B8R`; `None` if the random source
/// failed.
pub fn new_unlock_code(random: &dyn SecureRandom) -> Option<String> {
    let mut bytes = [0u8; 8];
    random.fill(&mut bytes).ok()?;
    Some(enrolment_code::grouped(&enrolment_code::base32(
        &bytes, CODE_CHARS,
    )))
}

/// The hash a device keeps of `code`: Argon2id over the code as typed
/// forgivingly (case, spaces, hyphens and look-alike letters do not
/// matter). `None` if the cost is not one Argon2id takes.
pub fn hash_unlock_code(code: &str, salt: &[u8; 16], cost: &UnlockCodeCost) -> Option<[u8; 32]> {
    let params =
        argon2::Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(32)).ok()?;
    let mut input = b"karte/unlock-code/v1\0".to_vec();
    input.extend_from_slice(enrolment_code::normalise(code).as_bytes());
    let mut out = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(&input, salt, &mut out)
        .ok()?;
    Some(out)
}

/// The number of the code among `checks` that `code` is, if it is one.
/// Every check is computed, so the time taken does not tell which.
pub fn match_unlock_code(
    code: &str,
    checks: &[UnlockCodeCheck],
    cost: &UnlockCodeCost,
) -> Option<u32> {
    if !cost.within_reason() {
        return None;
    }
    let mut found = None;
    for check in checks {
        let hash = hash_unlock_code(code, &check.salt, cost)?;
        // A slow hash of a secret: comparing it in plain time tells nothing
        // of the code.
        if hash == check.hash {
            found = found.or(Some(check.number));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: UnlockCodeCost = UnlockCodeCost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn a_code_matches_its_own_check_however_it_is_typed_and_no_other() {
        let random = ring::rand::SystemRandom::new();
        let code = new_unlock_code(&random).unwrap();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
        let other = new_unlock_code(&random).unwrap();
        let check = |number, code: &str, salt| UnlockCodeCheck {
            number,
            salt,
            hash: hash_unlock_code(code, &salt, &CHEAP).unwrap(),
        };
        let checks = [check(1, &other, [1; 16]), check(2, &code, [2; 16])];
        assert_eq!(match_unlock_code(&code, &checks, &CHEAP), Some(2));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(match_unlock_code(&typed, &checks, &CHEAP), Some(2));
        assert_eq!(match_unlock_code("0000-0000-0000", &checks, &CHEAP), None);
        let greedy = UnlockCodeCost {
            memory_kib: 4 << 20,
            ..CHEAP
        };
        assert_eq!(match_unlock_code(&code, &checks, &greedy), None);
    }
}
