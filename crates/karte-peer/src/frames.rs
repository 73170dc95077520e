//! Frames over the TLS stream: a big-endian `u32` length, then that many
//! bytes. A frame over [`MAX_FRAME_BYTES`] closes the link before any of
//! it is read into memory.

use std::io::{Read, Write};
use std::net::TcpStream;

use karte_sync::peer::{MAX_FRAME_BYTES, PeerError, PeerLink};
use rustls::{ConnectionCommon, SideData, StreamOwned};

/// A TLS session to one peer, carrying frames.
pub struct TlsLink<C> {
    pub(crate) stream: StreamOwned<C, TcpStream>,
    pub(crate) peer_key: [u8; 32],
}

impl<C> std::fmt::Debug for TlsLink<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsLink")
            .field("peer_key", &self.peer_key)
            .finish_non_exhaustive()
    }
}

impl<C> TlsLink<C> {
    /// The peer's address.
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        self.stream.sock.peer_addr().ok()
    }
}

fn broke(error: std::io::Error) -> PeerError {
    PeerError::Unreachable {
        detail: error.to_string(),
    }
}

/// Writes one frame.
pub(crate) fn write_frame(out: &mut impl Write, frame: &[u8]) -> Result<(), PeerError> {
    let length = u32::try_from(frame.len())
        .ok()
        .filter(|&length| length as usize <= MAX_FRAME_BYTES)
        .ok_or_else(|| PeerError::Protocol {
            detail: format!("a frame of {} bytes is over the limit", frame.len()),
        })?;
    out.write_all(&length.to_be_bytes()).map_err(broke)?;
    out.write_all(frame).map_err(broke)?;
    out.flush().map_err(broke)
}

/// Reads one frame, refusing one over the limit.
pub(crate) fn read_frame(input: &mut impl Read) -> Result<Vec<u8>, PeerError> {
    let mut length = [0u8; 4];
    input.read_exact(&mut length).map_err(broke)?;
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(PeerError::Protocol {
            detail: format!("the other device announced a frame of {length} bytes, over the limit"),
        });
    }
    let mut frame = vec![0u8; length];
    input.read_exact(&mut frame).map_err(broke)?;
    Ok(frame)
}

impl<C, S> PeerLink for TlsLink<C>
where
    C: std::ops::DerefMut<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn send(&mut self, frame: &[u8]) -> Result<(), PeerError> {
        write_frame(&mut self.stream, frame)
    }

    fn receive(&mut self) -> Result<Vec<u8>, PeerError> {
        read_frame(&mut self.stream)
    }

    fn peer_key(&self) -> [u8; 32] {
        self.peer_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_an_oversized_one_is_refused_unread() {
        let mut wire = Vec::new();
        write_frame(&mut wire, b"hello").unwrap();
        write_frame(&mut wire, b"").unwrap();
        let mut input = wire.as_slice();
        assert_eq!(read_frame(&mut input).unwrap(), b"hello");
        assert_eq!(read_frame(&mut input).unwrap(), b"");
        let error = read_frame(&mut input).unwrap_err();
        assert_eq!(error.code().as_str(), "peer_unreachable");

        let huge = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes();
        let error = read_frame(&mut huge.as_slice()).unwrap_err();
        assert_eq!(error.code().as_str(), "peer_protocol");
    }
}
