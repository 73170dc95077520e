//! Key derivation from a passphrase with Argon2id. The parameters are stored
//! beside each wrapped key, so tests use cheap ones and a vault made with
//! stronger ones later still opens.

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
}

/// Upper bounds for parameters read from a file: a damaged number must not
/// make unlocking allocate gigabytes or run for an hour.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

impl KdfParams {
    /// For real vaults: 64 MiB and 3 passes, above the OWASP minimums for
    /// Argon2id, and about a quarter of a second on a recent tablet.
    pub fn strong() -> KdfParams {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }

    /// The cheapest parameters Argon2 accepts. Never for real vaults.
    pub fn insecure_fast_for_tests() -> KdfParams {
        KdfParams {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Why these parameters cannot be used, if they cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        let KdfParams {
            memory_kib,
            iterations,
            parallelism,
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
    fn absurd_parameters_are_refused_before_any_work() {
        let absurd = [
            KdfParams {
                memory_kib: u32::MAX,
                iterations: 1,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 8,
                iterations: 0,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 8,
                iterations: 1,
                parallelism: 0,
            },
            KdfParams {
                memory_kib: 8,
                iterations: 1,
                parallelism: 4,
            },
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
