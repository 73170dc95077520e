//! What can stop the bridge from starting.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(
        "the bridge listens only on 127.0.0.1, not {addr}: give --listen 127.0.0.1:PORT (0 picks a free port)"
    )]
    NotLoopback { addr: SocketAddr },
    #[error("could not listen on {addr}: {source}; pick another port with --listen 127.0.0.1:PORT")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the operating system's random source failed; the access token cannot be made")]
    NoRandomness,
    #[error("the bridge stopped: {0}")]
    Serve(#[from] std::io::Error),
}
