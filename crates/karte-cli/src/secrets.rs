//! Passphrases: from the environment for scripts, else from a prompt with no
//! echo. Never from a command-line argument, where other users could see it.

use anyhow::{Context, Result, bail};
use karte_api::ApiError;
use karte_api::types::{ValidationErrors, check_new_passphrase};
use zeroize::Zeroizing;

/// The passphrase to unlock with.
pub fn passphrase(prompt: &str) -> Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var("KARTE_PASSPHRASE") {
        return Ok(Zeroizing::new(value));
    }
    let value = rpassword::prompt_password(prompt)
        .context("could not read a passphrase: run in a terminal or set KARTE_PASSPHRASE")?;
    Ok(Zeroizing::new(value))
}

/// A new passphrase: from `variable`, else asked twice at a prompt.
pub fn new_passphrase(variable: &str, prompt: &str) -> Result<Zeroizing<String>> {
    let value = match std::env::var(variable) {
        Ok(value) => Zeroizing::new(value),
        Err(_) => {
            let first = Zeroizing::new(rpassword::prompt_password(prompt).with_context(|| {
                format!("could not read a passphrase: run in a terminal or set {variable}")
            })?);
            let again = Zeroizing::new(rpassword::prompt_password("Again: ")?);
            if *first != *again {
                bail!("the two passphrases differ; try again");
            }
            first
        }
    };
    // The core's rule, checked here too so a short passphrase is refused
    // before the vault is opened or a key derived.
    check_new_passphrase(&value)
        .map_err(|error| ApiError::Invalid(ValidationErrors(vec![error])))?;
    Ok(value)
}

/// A passphrase that already exists (not a new one): from `variable`, else
/// asked once at a prompt.
pub fn given_passphrase(variable: &str, prompt: &str) -> Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(variable) {
        return Ok(Zeroizing::new(value));
    }
    let value = rpassword::prompt_password(prompt).with_context(|| {
        format!("could not read a passphrase: run in a terminal or set {variable}")
    })?;
    Ok(Zeroizing::new(value))
}
