//! A new passphrase, as the first-run form takes it: how strong it is, shown
//! while it is typed, and the errors of the user name, passphrase and
//! confirmation together.

use karte_types::{ValidationError, check_new_passphrase};

use super::{FieldErrors, by_field};

/// How hard a passphrase is to guess, roughly; shown as the user types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    TooShort,
    Weak,
    Fair,
    Strong,
}

/// The shortest passphrase the app accepts: the core's rule, from
/// `karte-types`, so the form and the core never disagree.
pub const MIN_PASSPHRASE: usize = karte_types::MIN_PASSPHRASE_CHARS;

impl Strength {
    /// Length counts most; mixing kinds of characters helps a little.
    pub fn of(passphrase: &str) -> Strength {
        if check_new_passphrase(passphrase).is_err() {
            return Strength::TooShort;
        }
        let length = passphrase.chars().count();
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
    if let Err(error) = check_new_passphrase(passphrase) {
        errors.push(error);
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

    #[test]
    fn the_form_refuses_exactly_what_the_core_refuses() {
        // Seven kanji are 21 bytes but seven characters: too short for
        // both; eight are enough for both.
        let short = "合".repeat(MIN_PASSPHRASE - 1);
        let errors = new_passphrase_errors("admin", &short, &short);
        assert_eq!(errors["passphrase"].code, "too_short");
        assert!(check_new_passphrase(&short).is_err());
        assert_eq!(Strength::of(&short), Strength::TooShort);
        let enough = "合".repeat(MIN_PASSPHRASE);
        assert!(new_passphrase_errors("admin", &enough, &enough).is_empty());
        assert!(check_new_passphrase(&enough).is_ok());
    }
}
