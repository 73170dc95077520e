//! Integration tests of the vault through its public API, and of its file
//! through raw SQLite where a test plays the attacker or the crash.

mod attachments;
mod audit;
mod corrupt;
#[cfg(unix)]
mod crash;
mod documents;
mod kdf_floor;
mod lifecycle;
mod lock;
mod plaintext;
mod support;
mod sync;
mod values;
