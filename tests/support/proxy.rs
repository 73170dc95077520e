//! A TCP proxy that stands between a device and the hub and misbehaves on
//! purpose: it drops connections, cuts responses short, delays traffic and
//! sends a request twice, each decided per connection by a seeded generator
//! so a failing run can be repeated.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

/// What the proxy does to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passes everything through.
    None,
    /// Closes the connection before forwarding anything.
    Refuse,
    /// Forwards the request, then closes after this many response bytes.
    TruncateResponse(usize),
    /// Holds the request this long before forwarding.
    Delay(Duration),
    /// Sends the request to the hub twice on two connections; the device
    /// gets the second answer.
    Duplicate,
}

/// A running proxy; it stops when dropped.
#[derive(Debug)]
pub struct FaultyProxy {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub connections: Arc<AtomicU64>,
}

impl FaultyProxy {
    /// Starts a proxy on 127.0.0.1 in front of `target`; `choose` decides the
    /// fault of the n-th connection.
    pub fn start(
        target: SocketAddr,
        choose: impl Fn(u64) -> Fault + Send + Sync + 'static,
    ) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds on loopback");
        let addr = listener.local_addr().expect("proxy address");
        listener.set_nonblocking(true).expect("non-blocking accept");
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicU64::new(0));
        let choose = Arc::new(choose);
        {
            let (stop, connections) = (stop.clone(), connections.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            let n = connections.fetch_add(1, Ordering::Relaxed);
                            let fault = choose(n);
                            thread::spawn(move || {
                                let _ = relay(client, target, fault);
                            });
                        }
                        Err(_) => thread::sleep(Duration::from_millis(2)),
                    }
                }
            });
        }
        FaultyProxy {
            addr,
            stop,
            connections,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one HTTP request (headers and a Content-Length body) from `from`.
fn read_request(from: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut request = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(request);
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&request, b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length = headers
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                return Ok(request);
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `request` to the hub on a fresh connection and reads the whole
/// response (the request asks the hub to close the connection afterwards).
fn exchange(target: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut hub = TcpStream::connect(target)?;
    hub.write_all(&close_after(request))?;
    let mut response = Vec::new();
    hub.read_to_end(&mut response)?;
    Ok(response)
}

/// The request with `Connection: close`, so each exchange is one request.
fn close_after(request: &[u8]) -> Vec<u8> {
    let Some(head_end) = find(request, b"\r\n\r\n") else {
        return request.to_vec();
    };
    let head = String::from_utf8_lossy(&request[..head_end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("connection: close\r\n\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&request[head_end + 4..]);
    out
}

fn relay(mut client: TcpStream, target: SocketAddr, fault: Fault) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let request = read_request(&mut client)?;
    if request.is_empty() {
        return Ok(());
    }
    let response = match fault {
        Fault::Refuse => {
            client.shutdown(Shutdown::Both)?;
            return Ok(());
        }
        Fault::Delay(delay) => {
            thread::sleep(delay);
            exchange(target, &request)?
        }
        Fault::Duplicate => {
            exchange(target, &request)?;
            exchange(target, &request)?
        }
        Fault::None | Fault::TruncateResponse(_) => exchange(target, &request)?,
    };
    let response = match fault {
        Fault::TruncateResponse(keep) => &response[..keep.min(response.len())],
        _ => &response[..],
    };
    client.write_all(response)?;
    client.shutdown(Shutdown::Both)?;
    Ok(())
}
