//! The fault proxy itself does what the fault tests rely on.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use karte_e2e::proxy::{Fault, FaultyProxy};

/// A tiny HTTP server that answers every request with a fixed body and
/// counts the requests it saw.
fn echo_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                continue;
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let body = "0123456789".repeat(10);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, seen)
}

fn get(proxy: &FaultyProxy) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(proxy.addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"POST /v1/sync HTTP/1.1\r\nhost: hub\r\ncontent-length: 3\r\n\r\nabc")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

#[test]
fn each_fault_does_what_it_says() {
    let (hub, seen) = echo_server();
    let faults = [
        Fault::None,
        Fault::TruncateResponse(20),
        Fault::Refuse,
        Fault::Duplicate,
        Fault::Delay(Duration::from_millis(50)),
    ];
    let proxy = FaultyProxy::start(hub, move |n| faults[n as usize % faults.len()]);

    let whole = get(&proxy).unwrap();
    assert!(whole.ends_with(b"0123456789"), "passes through whole");
    assert_eq!(seen.load(Ordering::SeqCst), 1);

    assert_eq!(get(&proxy).unwrap().len(), 20, "cut short");
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    assert!(get(&proxy).map(|r| r.is_empty()).unwrap_or(true), "refused");
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "a refused request never reaches the hub"
    );

    assert!(get(&proxy).unwrap().ends_with(b"0123456789"));
    assert_eq!(
        seen.load(Ordering::SeqCst),
        4,
        "a duplicated request reaches the hub twice"
    );

    let started = std::time::Instant::now();
    assert!(get(&proxy).unwrap().ends_with(b"0123456789"));
    assert!(started.elapsed() >= Duration::from_millis(50), "delayed");
}
