//! A new passphrase, as the first-run form takes it: how strong it is, shown
//! while it is typed, and the errors of the user name, passphrase and
//! confirmation together.

use karte_types::ValidationError;

use super::{FieldErrors, by_field};

/// How hard a passphrase is to guess, roughly; shown as the user types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    TooShort,
    Weak,
    Fair,
    Strong,
}

/// The shortest passphrase the app accepts.
pub const MIN_PASSPHRASE: usize = 8;

impl Strength {
    /// Length counts most; mixing kinds of characters helps a little.
    pub fn of(passphrase: &str) -> Strength {
        let length = passphrase.chars().count();
        if length < MIN_PASSPHRASE {
            return Strength::TooShort;
        }
        let kinds = [
            passphrase.chars().any(|c| c.is_ascii_lowercase()),
            passphrase.chars().any(|c| c.is_ascii_uppercase()),
            passphrase.chars().any(|c| c.is_ascii_digit()),
            passphrase.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|k| **k)
        .count();
        let distinct = {
            let mut chars: Vec<char> = passphrase.chars().collect();
            chars.sort_unstable();
            chars.dedup();
            chars.len()
        };
        if distinct < 4 {
            Strength::Weak
        } else if length >= 16 || (length >= 12 && kinds >= 3) {
            Strength::Strong
        } else if length >= 10 || kinds >= 3 {
            Strength::Fair
        } else {
            Strength::Weak
        }
    }

    /// The message id naming this strength.
    pub fn message_id(self) -> &'static str {
        match self {
            Strength::TooShort => "strength-too-short",
            Strength::Weak => "strength-weak",
            Strength::Fair => "strength-fair",
            Strength::Strong => "strength-strong",
        }
    }
}

/// The errors of a new passphrase and its confirmation.
pub fn new_passphrase_errors(user: &str, passphrase: &str, confirm: &str) -> FieldErrors {
    let mut errors = Vec::new();
    if user.trim().is_empty() {
        errors.push(ValidationError::new(
            "user",
            "required",
            "a user name is needed",
        ));
    }
    if Strength::of(passphrase) == Strength::TooShort {
        errors.push(ValidationError::new(
            "passphrase",
            "too_short",
            "use at least 8 characters",
        ));
    }
    if passphrase != confirm {
        errors.push(ValidationError::new(
            "confirm",
            "mismatch",
            "the passphrases differ",
        ));
    }
    by_field(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_strength_grows_with_length_and_variety() {
        assert_eq!(Strength::of("short"), Strength::TooShort);
        assert_eq!(Strength::of("aaaaaaaaaaaa"), Strength::Weak);
        assert_eq!(Strength::of("password"), Strength::Weak);
        assert_eq!(Strength::of("correct-horse"), Strength::Fair);
        assert_eq!(Strength::of("correct horse battery"), Strength::Strong);
        let errors = new_passphrase_errors("admin", "correct horse", "correct hose");
        assert_eq!(errors["confirm"].code, "mismatch");
        assert_eq!(errors.len(), 1);
    }
}
