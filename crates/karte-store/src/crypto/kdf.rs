//! Key derivation from a passphrase with Argon2id. The parameters are stored
//! beside each wrapped key, so a vault made with stronger ones later still
//! opens; a real vault's are never below [`KdfParams::FLOOR`], and only the
//! parameters made by [`KdfParams::insecure_fast_for_tests`] (marked as such,
//! and sealed so in the vault header) may be.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{KEY_LEN, SecretKey, fill_random};
use crate::StoreError;

/// Length of every salt, in bytes.
pub const SALT_LEN: usize = 16;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Set only by [`KdfParams::insecure_fast_for_tests`]: these may be below
    /// the floor. Private, so no front can set it by building the struct
    /// from numbers a user typed, and never read from a file except from the
    /// sealed header.
    #[serde(skip)]
    pub(crate) for_tests: bool,
}

/// Upper bounds for parameters read from a file: a damaged number must not
/// make unlocking allocate gigabytes or run for an hour.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

impl KdfParams {
    /// The least a real vault may use: OWASP's minimum for Argon2id, 19 MiB
    /// of memory and 2 passes (one lane). Below it a stolen vault's
    /// passphrases are cheap to guess offline.
    pub const FLOOR: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
        for_tests: false,
    };

    /// For real vaults: 64 MiB and 3 passes, above the OWASP minimums for
    /// Argon2id, and about a quarter of a second on a recent tablet.
    pub fn strong() -> KdfParams {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
            for_tests: false,
        }
    }

    /// The cheapest parameters Argon2 accepts, marked as test parameters:
    /// a vault created with them records that in its sealed header and is
    /// exempt from the floor. Never for real vaults.
    pub fn insecure_fast_for_tests() -> KdfParams {
        KdfParams {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
            for_tests: true,
        }
    }

    /// Cost parameters read from a file or typed by a user: never test ones.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> KdfParams {
        KdfParams {
            memory_kib,
            iterations,
            parallelism,
            for_tests: false,
        }
    }

    /// Whether these are [`KdfParams::insecure_fast_for_tests`]'s.
    pub fn is_for_tests(&self) -> bool {
        self.for_tests
    }

    /// Whether `other` has the same cost, whatever its marking.
    pub(crate) fn same_cost(&self, other: &KdfParams) -> bool {
        (self.memory_kib, self.iterations, self.parallelism)
            == (other.memory_kib, other.iterations, other.parallelism)
    }

    /// Why these parameters are too cheap for a real vault, if they are;
    /// test parameters never are.
    pub fn below_floor(&self) -> Option<String> {
        if self.for_tests {
            return None;
        }
        let floor = KdfParams::FLOOR;
        if self.memory_kib < floor.memory_kib {
            return Some(format!(
                "memory {} KiB is below {} KiB",
                self.memory_kib, floor.memory_kib
            ));
        }
        if self.iterations < floor.iterations {
            return Some(format!(
                "iterations {} is below {}",
                self.iterations, floor.iterations
            ));
        }
        None
    }

    /// Why these parameters cannot be used, if they cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        let KdfParams {
            memory_kib,
            iterations,
            parallelism,
            ..
        } = *self;
        if !(1..=MAX_PARALLELISM).contains(&parallelism) {
            return Some(format!(
                "parallelism {parallelism} is not in 1..={MAX_PARALLELISM}"
            ));
        }
        if !(1..=MAX_ITERATIONS).contains(&iterations) {
            return Some(format!(
                "iterations {iterations} is not in 1..={MAX_ITERATIONS}"
            ));
        }
        if memory_kib < 8 * parallelism || memory_kib > MAX_MEMORY_KIB {
            return Some(format!(
                "memory {memory_kib} KiB is not in {}..={MAX_MEMORY_KIB} KiB",
                8 * parallelism
            ));
        }
        None
    }

    /// Derives a key from `passphrase` and `salt`. The caller checks the
    /// parameters first; parameters Argon2 still refuses are invalid input.
    pub fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<SecretKey, StoreError> {
        if let Some(problem) = self.problem() {
            return Err(StoreError::invalid(format!(
                "key-derivation parameters: {problem}"
            )));
        }
        let params = argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_LEN),
        )
        .map_err(|e| StoreError::invalid(format!("key-derivation parameters: {e}")))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(passphrase, salt, out.as_mut())
            .map_err(|e| StoreError::invalid(format!("key derivation: {e}")))?;
        Ok(SecretKey::from_bytes(out))
    }
}

/// A fresh random salt.
pub fn random_salt() -> Result<[u8; SALT_LEN], StoreError> {
    let mut salt = [0u8; SALT_LEN];
    fill_random(&mut salt)?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_depends_on_passphrase_salt_and_parameters() {
        let fast = KdfParams::insecure_fast_for_tests();
        let salt = [1u8; SALT_LEN];
        let base = fast.derive(b"correct horse", &salt).unwrap();
        assert_eq!(
            base.expose(),
            fast.derive(b"correct horse", &salt).unwrap().expose()
        );
        assert_ne!(
            base.expose(),
            fast.derive(b"correct horsf", &salt).unwrap().expose()
        );
        assert_ne!(
            base.expose(),
            fast.derive(b"correct horse", &[2u8; SALT_LEN])
                .unwrap()
                .expose()
        );
        let slower = KdfParams {
            iterations: 2,
            ..fast
        };
        assert_ne!(
            base.expose(),
            slower.derive(b"correct horse", &salt).unwrap().expose()
        );
    }

    #[test]
    fn the_floor_is_owasps_minimum_and_spares_only_parameters_made_for_tests() {
        assert_eq!(KdfParams::strong().below_floor(), None);
        assert_eq!(KdfParams::FLOOR.below_floor(), None);
        let floor = KdfParams::FLOOR;
        let less_memory = KdfParams::new(floor.memory_kib - 1, 4, 1);
        assert!(less_memory.below_floor().unwrap().contains("memory"));
        let one_pass = KdfParams::new(64 * 1024, 1, 1);
        assert!(one_pass.below_floor().unwrap().contains("iterations"));
        let fast = KdfParams::insecure_fast_for_tests();
        assert!(fast.is_for_tests() && fast.below_floor().is_none());
        // The same numbers from a file or a command line are not test ones.
        let typed = KdfParams::new(fast.memory_kib, fast.iterations, fast.parallelism);
        assert!(!typed.is_for_tests() && typed.below_floor().is_some());
        assert!(typed.same_cost(&fast) && typed != fast);
    }

    #[test]
    fn absurd_parameters_are_refused_before_any_work() {
        let absurd = [
            KdfParams::new(u32::MAX, 1, 1),
            KdfParams::new(8, 0, 1),
            KdfParams::new(8, 1, 0),
            KdfParams::new(8, 1, 4),
        ];
        for params in absurd {
            assert!(params.problem().is_some(), "{params:?}");
            assert_eq!(
                params.derive(b"x", &[0; SALT_LEN]).unwrap_err().code(),
                "invalid_input"
            );
        }
        assert_eq!(KdfParams::strong().problem(), None);
        assert_eq!(KdfParams::insecure_fast_for_tests().problem(), None);
    }
}
