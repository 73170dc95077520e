//! The rule every new passphrase meets. The core enforces it wherever a
//! passphrase is set (a new vault, a new user, a change, a recovery); the
//! UI's forms and the command line check it first with the same words, so
//! nothing is refused late that could have been said early.

use crate::ValidationError;

/// The fewest characters a new passphrase may have. Characters, not bytes:
/// 合言葉です and eight letters are treated alike.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Checks a new passphrase: at least [`MIN_PASSPHRASE_CHARS`] characters.
/// The error is the field `passphrase` with the code `too_short`.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), ValidationError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(ValidationError::new(
            "passphrase",
            "too_short",
            format!(
                "a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters; a short sentence is easy to remember and hard to guess"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_passphrase_needs_eight_characters_not_bytes() {
        for short in ["", "short", "1234567", "合言葉です"] {
            let error = check_new_passphrase(short).unwrap_err();
            assert_eq!(
                (error.field.as_str(), error.code.as_str()),
                ("passphrase", "too_short")
            );
        }
        for long_enough in ["12345678", "correct horse", "山の上の合言葉です"] {
            assert!(check_new_passphrase(long_enough).is_ok(), "{long_enough}");
        }
    }
}
