//! `karte-e2e-delay LISTEN TARGET DELAY_MS`: a TCP proxy that holds every
//! chunk it reads `DELAY_MS` milliseconds before passing it on, in each
//! direction; the latency of a shaped link where the kernel has no `netem`
//! (the tests run it inside a device's network namespace). Prints
//! `listening on ADDR` first, then serves until killed.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, target, delay_ms] = args.as_slice() else {
        eprintln!("usage: karte-e2e-delay LISTEN TARGET DELAY_MS");
        std::process::exit(2);
    };
    let delay = Duration::from_millis(delay_ms.parse().expect("DELAY_MS is a number"));
    let listener = TcpListener::bind(listen).expect("the proxy binds");
    println!(
        "listening on {}",
        listener.local_addr().expect("an address")
    );
    for incoming in listener.incoming() {
        let Ok(client) = incoming else { continue };
        let target = target.clone();
        std::thread::spawn(move || {
            let Ok(server) = TcpStream::connect(&target) else {
                let _ = client.shutdown(Shutdown::Both);
                return;
            };
            let (client_in, server_in) = (
                client.try_clone().expect("a second handle"),
                server.try_clone().expect("a second handle"),
            );
            let up = std::thread::spawn(move || pump(client_in, server, delay));
            pump(server_in, client, delay);
            let _ = up.join();
        });
    }
}

/// Copies `from` to `to`, each chunk held `delay` after it was read; ends
/// `to`'s writing half when `from` ends (or either breaks).
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (chunks, held) = channel::<(Instant, Vec<u8>)>();
    let writer = std::thread::spawn(move || {
        for (due, chunk) in held {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                if chunks
                    .send((Instant::now() + delay, buffer[..read].to_vec()))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    drop(chunks);
    let _ = writer.join();
}
