//! Frames over the TLS stream: a big-endian `u32` length, then that many
//! bytes. A frame over [`MAX_FRAME_BYTES`] closes the link before any of
//! it is read into memory. The socket under TLS keeps a deadline: past
//! it, every read and write fails, however slowly the other side trickles.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use karte_sync::peer::{MAX_FRAME_BYTES, PeerError, PeerLink};
use rustls::{ConnectionCommon, SideData, StreamOwned};

/// A TLS session to one peer, carrying frames.
pub struct TlsLink<C> {
    pub(crate) stream: StreamOwned<C, DeadlineSocket>,
    pub(crate) peer_key: [u8; 32],
}

/// A TCP socket whose reads and writes wait at most until `deadline`: a
/// peer that sends a byte now and then cannot keep a session going past
/// it. Within a deadline a read may wait as long as is left, since the
/// other side may be silent for a long stretch while it checks and stores
/// what it was sent (300 charts take it about 40 s); with no deadline,
/// each read or write waits at most `io_timeout`.
#[derive(Debug)]
pub(crate) struct DeadlineSocket {
    pub(crate) tcp: TcpStream,
    pub(crate) io_timeout: Duration,
    pub(crate) deadline: Option<Instant>,
}

impl DeadlineSocket {
    /// How long the next read or write may wait; an error once the
    /// deadline passed.
    fn wait(&self) -> std::io::Result<Duration> {
        let Some(deadline) = self.deadline else {
            return Ok(self.io_timeout);
        };
        match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the other device took longer than a session may",
            )),
        }
    }
}

impl Read for DeadlineSocket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let wait = self.wait()?;
        self.tcp.set_read_timeout(Some(wait))?;
        self.tcp.read(buf)
    }
}

impl Write for DeadlineSocket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let wait = self.wait()?;
        self.tcp.set_write_timeout(Some(wait))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
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
        self.stream.sock.tcp.peer_addr().ok()
    }

    /// No read or write of this link waits past `deadline` (`None`: each
    /// waits the link's I/O timeout, with no end overall). A link a
    /// listener accepted starts with its deadline at the hello's
    /// ([`crate::HELLO_WAIT`] after the device dialled).
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.stream.sock.deadline = deadline;
    }
}

impl<C, S> TlsLink<C>
where
    C: std::ops::DerefMut<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// 32 bytes of the TLS exporter (RFC 8446 §7.5) under `label`: the same
    /// on both ends of this session, different in any other, so a proof
    /// bound to it cannot be relayed into another session.
    pub fn exporter(&self, label: &[u8]) -> Result<[u8; 32], PeerError> {
        let mut out = [0u8; 32];
        self.stream
            .conn
            .export_keying_material(&mut out, label, None)
            .map_err(|error| PeerError::Unreachable {
                detail: format!("TLS: {error}"),
            })?;
        Ok(out)
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

    /// Both ends of a TCP connection on loopback: ours (with its read
    /// bounds) and the other device's.
    fn pair(io_timeout: Duration, deadline: Option<Instant>) -> (DeadlineSocket, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (tcp, _) = listener.accept().unwrap();
        let ours = DeadlineSocket {
            tcp,
            io_timeout,
            deadline,
        };
        (ours, other)
    }

    #[test]
    fn within_a_session_a_read_waits_for_a_silent_peer_until_the_deadline_not_the_io_timeout() {
        // The other device checks and stores what it was sent for longer
        // than one read's timeout, then answers: within the session's
        // deadline that is no broken link.
        let (mut ours, mut other) = pair(
            Duration::from_millis(100),
            Some(Instant::now() + Duration::from_secs(10)),
        );
        let answering = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            other.write_all(b"k").unwrap();
            other
        });
        let mut byte = [0u8; 1];
        ours.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"k");
        drop(answering.join().unwrap());

        // Past the deadline nothing waits, however the peer trickles.
        let (mut ours, _other) = pair(
            Duration::from_secs(30),
            Some(Instant::now() + Duration::from_millis(300)),
        );
        let started = Instant::now();
        let error = ours.read_exact(&mut byte).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{error}");

        // With no deadline, one read waits its timeout at most.
        let (mut ours, _other) = pair(Duration::from_millis(200), None);
        let started = Instant::now();
        ours.read_exact(&mut byte).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
