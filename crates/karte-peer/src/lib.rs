//! Peer sync on a local network: the link between two devices of one
//! organisation. TCP, then TLS 1.3 in which each side authenticates with
//! its device's Ed25519 key as an RFC 7250 raw public key (no X.509, no
//! certificate authority), then length-prefixed frames that carry the
//! messages of [`karte_sync::peer`]. Whether the key belongs to a member is
//! decided by the hello that follows, against the membership certs.
//!
//! Blocking, like the device's HTTPS client: a sync is one conversation at
//! a time. Neither the hub nor any hub code depends on this crate.

mod discovery;
mod frames;
mod tls;

pub use discovery::{Advert, Found, advertise, browse, local_addresses};
pub use frames::TlsLink;
pub use tls::{HELLO_WAIT, PeerKey, PeerListener, dial};

/// The link of a device that dialled this one.
pub type ServedLink = TlsLink<rustls::ServerConnection>;

#[cfg(test)]
mod hello_tests;
