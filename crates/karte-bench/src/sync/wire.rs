//! A TCP relay on 127.0.0.1 in front of the hub that counts the bytes
//! crossing it each way: what a sync costs on the wire, HTTP headers
//! included (the sync summary counts only the bodies).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;

/// Bytes sent to the hub and received from it, both at the HTTP level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireBytes {
    pub sent: u64,
    pub received: u64,
}

impl WireBytes {
    pub fn both(self) -> u64 {
        self.sent + self.received
    }
}

/// The relay; it serves until the program ends.
pub struct CountingRelay {
    pub url: String,
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
}

impl CountingRelay {
    pub fn start(hub: SocketAddr) -> Result<CountingRelay> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let sent = Arc::new(AtomicU64::new(0));
        let received = Arc::new(AtomicU64::new(0));
        let (up, down) = (sent.clone(), received.clone());
        std::thread::spawn(move || {
            for device in listener.incoming().flatten() {
                let Ok(hub) = TcpStream::connect(hub) else {
                    continue;
                };
                let _ = device.set_nodelay(true);
                let _ = hub.set_nodelay(true);
                let (Ok(device_in), Ok(hub_in)) = (device.try_clone(), hub.try_clone()) else {
                    continue;
                };
                let (up, down) = (up.clone(), down.clone());
                std::thread::spawn(move || relay(device_in, hub, &up));
                std::thread::spawn(move || relay(hub_in, device, &down));
            }
        });
        Ok(CountingRelay {
            url,
            sent,
            received,
        })
    }

    /// The bytes counted since the last call.
    pub fn take(&self) -> WireBytes {
        WireBytes {
            sent: self.sent.swap(0, Ordering::SeqCst),
            received: self.received.swap(0, Ordering::SeqCst),
        }
    }
}

/// Copies `from` to `to`, counting before writing so that whoever reads
/// the far end has been counted by the time it has read.
fn relay(mut from: TcpStream, mut to: TcpStream, count: &AtomicU64) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                count.fetch_add(n as u64, Ordering::SeqCst);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_crosses_each_way() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = echo.accept().unwrap();
            let mut asked = [0u8; 5];
            stream.read_exact(&mut asked).unwrap();
            stream.write_all(b"answered").unwrap();
        });
        let relay = CountingRelay::start(addr).unwrap();
        let mut device = TcpStream::connect(relay.url.trim_start_matches("http://")).unwrap();
        device.write_all(b"asked").unwrap();
        let mut answer = Vec::new();
        device.read_to_end(&mut answer).unwrap();
        assert_eq!(answer, b"answered");
        let counted = relay.take();
        assert_eq!((counted.sent, counted.received), (5, 8));
        assert_eq!(relay.take().both(), 0, "taking resets the counts");
    }
}
