//! The access token: 32 random bytes from the operating system, as hex,
//! compared in constant time so its bytes cannot be guessed by timing.

use ring::rand::SecureRandom;
use subtle::ConstantTimeEq;

use crate::BridgeError;

/// The bearer token every API request must carry.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: it must not reach a log through a Debug print.
        f.write_str("Token(..)")
    }
}

impl Token {
    /// A fresh token from `random` (the operating system's source in use).
    pub fn generate(random: &dyn SecureRandom) -> Result<Token, BridgeError> {
        let mut bytes = [0u8; 32];
        random
            .fill(&mut bytes)
            .map_err(|_| BridgeError::NoRandomness)?;
        Ok(Token(hex::encode(bytes)))
    }

    /// The token as printed in the URL and sent in `Authorization`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token, taking the same time for any
    /// presented value of the same length.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_digits_and_differ() {
        let random = ring::rand::SystemRandom::new();
        let a = Token::generate(&random).unwrap();
        let b = Token::generate(&random).unwrap();
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn only_the_exact_token_matches() {
        let token = Token::generate(&ring::rand::SystemRandom::new()).unwrap();
        assert!(token.matches(token.as_str()));
        assert!(!token.matches(&token.as_str()[..63]));
        assert!(!token.matches(""));
        let mut other = token.as_str()[..63].to_owned();
        other.push(if token.as_str().ends_with('0') {
            '1'
        } else {
            '0'
        });
        assert!(!token.matches(&other));
        assert!(!format!("{token:?}").contains(token.as_str()));
    }
}
