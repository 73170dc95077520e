//! What a client costs the hub before it is known, and how much it may ask
//! after (issue 11, item 5): only a request's envelope header is read
//! before the device and its signature are checked, so a huge or bomb-like
//! body from anyone else is refused before it has even arrived; a body
//! that trickles is cut off; request rates per device and per address and
//! requests at once are bounded, each refusal a JSON problem with
//! `Retry-After` that the device's client reports by its code.

use std::net::SocketAddr;
use std::time::Duration;

use karte_hub::{GuardConfig, HubConfig, RateLimit};
use karte_sync::{DeviceKey, TransportError, encode_request, sign_request_body};
use karte_types::ErrorCode;
use ring::rand::SystemRandom;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};

/// 257 MiB of zeros deflated to 256 KiB: over every inflate limit.
fn zip_bomb() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../karte-sync/tests/corrupt/request-body/zip-bomb.request_too_large.bin"
    );
    std::fs::read(path).unwrap()
}

/// A request of `device` signed with `key` (which may not be its own) over
/// `body`, compressed already.
fn signed(key: &DeviceKey, device: &TestDevice, now: i64, body: Vec<u8>) -> Vec<u8> {
    let nonce: [u8; 16] = rand::random();
    encode_request(&sign_request_body(key, &device.id, now, nonce, body))
}

/// The bytes of an envelope up to where its body starts.
fn header_len(envelope: &[u8]) -> usize {
    8 + usize::from(u16::from_be_bytes([envelope[6], envelope[7]]))
}

/// What the hub answered on a raw connection.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    retry_after: Option<String>,
    problem: Value,
}

impl RawAnswer {
    fn refusal(&self) -> (u16, &str) {
        (self.status, self.problem["code"].as_str().unwrap_or(""))
    }
}

/// Sends a `POST /v1/sync` that declares `declared` body bytes but sends
/// only `sent`, keeping the connection open, and reads the hub's answer:
/// an answer that comes is one given before the body was there.
async fn send_part(hub_url: &str, declared: usize, sent: &[u8]) -> (RawAnswer, TcpStream) {
    let addr: SocketAddr = hub_url.trim_start_matches("http://").parse().unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/sync HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/octet-stream\r\ncontent-length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    stream.flush().await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(60), read_answer(&mut stream))
        .await
        .expect("the hub answered without waiting for the rest of the body");
    (answer, stream)
}

async fn read_answer(stream: &mut TcpStream) -> RawAnswer {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the hub closed without an answer");
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .map(|v| v.trim().to_owned())
    };
    let status: u16 = head[9..12].parse().unwrap();
    let length: usize = header("content-length").unwrap().parse().unwrap();
    while bytes.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the answer broke off");
        bytes.extend_from_slice(&chunk[..n]);
    }
    RawAnswer {
        status,
        retry_after: header("retry-after"),
        problem: serde_json::from_slice(&bytes[head_end..head_end + length]).unwrap(),
    }
}

/// Regression test for issue 11, item 5: the hub inflated a body of up to
/// 64 MiB before it looked at the device or the signature.
pub async fn nothing_unauthenticated_is_read_past_its_header<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let stranger = TestDevice::new("stranger");
    let now = hub.now().0;
    let mut garbage = vec![0u8; 2 << 20];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut garbage).unwrap();
    let (thief, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();

    let cases: Vec<(&str, Vec<u8>, (u16, &str))> = vec![
        (
            "a zip bomb from an unknown device",
            signed(&stranger.key, &stranger, now, zip_bomb()),
            (401, "unknown_device"),
        ),
        (
            "2 MiB of garbage from an unknown device",
            signed(&stranger.key, &stranger, now, garbage.clone()),
            (401, "unknown_device"),
        ),
        (
            "a zip bomb under an enrolled device's name, another key",
            signed(&thief, &tablet, now, zip_bomb()),
            (401, "bad_signature"),
        ),
        (
            "a stale header of the enrolled device",
            signed(&tablet.key, &tablet, now - 3_600_000, zip_bomb()),
            (401, "clock_skew"),
        ),
    ];
    for (what, envelope, refusal) in cases {
        // Only the header and a first slice of the body are sent: the
        // refusal comes while the body is still on its way.
        let sent = &envelope[..header_len(&envelope) + 4096];
        let (answer, _connection) = send_part(&hub.url, envelope.len(), sent).await;
        assert_eq!(answer.refusal(), refusal, "{what}: {:?}", answer.problem);
    }

    // The enrolled device itself, signing a body over the hub's limit, is
    // refused from the length it signed, before the body is read.
    let over = HubConfig::default().limits.max_compressed_bytes + 1;
    let huge = signed(&tablet.key, &tablet, now, vec![0; over]);
    let (answer, _connection) =
        send_part(&hub.url, huge.len(), &huge[..header_len(&huge) + 4096]).await;
    assert_eq!(
        answer.refusal(),
        (413, "request_too_large"),
        "{:?}",
        answer.problem
    );

    // A whole zip bomb the enrolled device signed is inflated only under
    // the limit, and refused.
    let bomb = signed(&tablet.key, &tablet, now, zip_bomb());
    assert_eq!(
        hub.post_sync(bomb).await.refusal(),
        (413, "request_too_large".to_owned())
    );

    // The hub goes on serving the device.
    tablet.create_chart("x");
    let good = tablet.envelope(&tablet.request(tablet.pushes()), hub.now());
    assert_eq!(hub.post_sync(good).await.status, 200);
}

/// Regression test for the flaky `broken_envelopes_are_refused_with_their_code`:
/// the hub refused a request from its header and closed the connection
/// with the body unread, so a client still sending was reset and lost the
/// answer (a device reported `hub_unreachable`, not `request_too_large`).
/// Now the answer comes at once and the rest of the body is read and
/// thrown away: every later piece is taken, and the connection then serves
/// the next request.
pub async fn a_refused_body_still_on_its_way_is_read_so_the_answer_arrives<B: Backend>() {
    let hub = TestHub::<B>::start_with(HubConfig {
        limits: karte_sync::Limits {
            max_compressed_bytes: 64 << 10,
            max_inflated_bytes: 1 << 20,
        },
        ..HubConfig::default()
    })
    .await;
    let (org, _) = hub.add_org("station").await;
    let tablet = hub.enrol(&org.id, "tablet").await;
    let stranger = TestDevice::new("stranger");
    let now = hub.now().0;
    let cases: Vec<(&str, Vec<u8>, (u16, &str))> = vec![
        (
            "the enrolled device, over the wire limit",
            signed(&tablet.key, &tablet, now, vec![7; 100 << 10]),
            (413, "request_too_large"),
        ),
        (
            "an unknown device",
            signed(&stranger.key, &stranger, now, vec![7; 60 << 10]),
            (401, "unknown_device"),
        ),
        (
            "a length over the limit, declared",
            signed(&stranger.key, &stranger, now, vec![7; 300 << 10]),
            (413, "request_too_large"),
        ),
    ];
    for (what, envelope, refusal) in cases {
        let first = header_len(&envelope) + 4096;
        let (answer, mut connection) =
            send_part(&hub.url, envelope.len(), &envelope[..first]).await;
        assert_eq!(answer.refusal(), refusal, "{what}: {:?}", answer.problem);
        // The client goes on sending, as one that had not read the answer
        // yet would; a connection closed under it would fail these writes.
        for piece in envelope[first..].chunks(8 << 10) {
            tokio::time::sleep(Duration::from_millis(5)).await;
            connection
                .write_all(piece)
                .await
                .unwrap_or_else(|error| panic!("{what}: the hub stopped reading: {error}"));
        }
        let addr = hub.url.trim_start_matches("http://");
        connection
            .write_all(format!("GET /v1/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let health = tokio::time::timeout(Duration::from_secs(30), read_answer(&mut connection))
            .await
            .expect("the hub answered the next request on the connection");
        assert_eq!(health.status, 200, "{what}: {:?}", health.problem);
    }
}

fn with_guard(guard: GuardConfig) -> HubConfig {
    HubConfig {
        guard,
        ..HubConfig::default()
    }
}

pub async fn a_trickling_request_is_cut_off<B: Backend>() {
    let hub = TestHub::<B>::start_with(with_guard(GuardConfig {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(600),
        ..GuardConfig::default()
    }))
    .await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    tablet.create_chart("x");
    let envelope = tablet.envelope(&tablet.request(tablet.pushes()), hub.now());

    // The first bytes of a header, and nothing more.
    let (answer, _connection) = send_part(&hub.url, envelope.len(), &envelope[..10]).await;
    assert_eq!(
        answer.refusal(),
        (408, "request_timeout"),
        "{:?}",
        answer.problem
    );
    // A whole header, signed, and half the body.
    let half = header_len(&envelope) + (envelope.len() - header_len(&envelope)) / 2;
    let (answer, _connection) = send_part(&hub.url, envelope.len(), &envelope[..half]).await;
    assert_eq!(
        answer.refusal(),
        (408, "request_timeout"),
        "{:?}",
        answer.problem
    );

    // Sent whole, the same request is taken.
    assert_eq!(hub.post_sync(envelope).await.status, 200);
}

pub async fn a_device_over_its_rate_is_told_when_to_come_back<B: Backend>() {
    let hub = TestHub::<B>::start_with(with_guard(GuardConfig {
        per_device: RateLimit {
            burst: 2,
            per_minute: 1,
        },
        ..GuardConfig::default()
    }))
    .await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let mut laptop = hub.enrol(&org.id, "laptop").await;
    for _ in 0..2 {
        let envelope = tablet.envelope(&tablet.request(Vec::new()), hub.now());
        assert_eq!(hub.post_sync(envelope).await.status, 200);
    }
    let envelope = tablet.envelope(&tablet.request(Vec::new()), hub.now());
    let header = header_len(&envelope);
    let (answer, _connection) = send_part(&hub.url, envelope.len(), &envelope[..header]).await;
    assert_eq!(
        answer.refusal(),
        (429, "rate_limited"),
        "{:?}",
        answer.problem
    );
    let wait: u64 = answer.retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    // The device's own client reports the code, which the app knows.
    let url = hub.url.clone();
    let again = tablet.envelope(&tablet.request(Vec::new()), hub.now());
    let error = tokio::task::spawn_blocking(move || {
        use karte_sync::client::Transport;
        karte_sync::client::HttpTransport::new(&url)
            .unwrap()
            .post_sync(again)
    })
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        matches!(&error, TransportError::Refused { status: 429, code, .. } if code == "rate_limited"),
        "{error:?}"
    );
    assert_eq!(
        ErrorCode::from_code(error.code()),
        Some(ErrorCode::RateLimited)
    );
    assert!(error.to_string().contains("s; sync again"), "{error}");

    // Another device at the same address has its own share.
    let envelope = laptop.envelope(&laptop.request(Vec::new()), hub.now());
    assert_eq!(hub.post_sync(envelope).await.status, 200);
}

pub async fn an_address_over_its_rate_is_refused<B: Backend>() {
    let hub = TestHub::<B>::start_with(with_guard(GuardConfig {
        per_address: RateLimit {
            burst: 3,
            per_minute: 1,
        },
        ..GuardConfig::default()
    }))
    .await;
    for _ in 0..3 {
        assert_eq!(hub.get("/v1/health").await.status, 200);
    }
    let answer = hub.get("/v1/health").await;
    assert_eq!(answer.refusal(), (429, "rate_limited".to_owned()));
    // Enrolment, unauthenticated by nature, is counted the same.
    let answer = hub.post_enrol(&serde_json::json!({})).await;
    assert_eq!(answer.refusal(), (429, "rate_limited".to_owned()));
}

pub async fn requests_beyond_the_slots_are_refused_not_queued<B: Backend>() {
    let hub = TestHub::<B>::start_with(with_guard(GuardConfig {
        max_concurrent_requests: 1,
        header_timeout: Duration::from_secs(120),
        // The test asks many times while the hub takes the holder's
        // request: no asking is refused for its rate.
        per_address: RateLimit {
            burst: 1 << 20,
            per_minute: 1 << 20,
        },
        ..GuardConfig::default()
    }))
    .await;
    assert_eq!(hub.get("/v1/health").await.status, 200);
    // A sync request that holds the one slot while it waits for its body.
    // A health request asked at the moment the holder arrives may take the
    // slot first and have the holder refused: then a new holder tries.
    let addr: SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    let head = format!("POST /v1/sync HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 100\r\n\r\nKSYN");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (holder, busy) = loop {
        let mut holder = TcpStream::connect(addr).await.unwrap();
        holder.write_all(head.as_bytes()).await.unwrap();
        let answer = until(
            || async { hub.get("/v1/health").await },
            |a| a.status == 503 || holder_answered(&holder),
        )
        .await;
        if answer.status == 503 {
            break (holder, answer);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the holder never kept the slot"
        );
    };
    assert_eq!(
        busy.refusal(),
        (503, "hub_busy".to_owned()),
        "{}",
        busy.text()
    );
    // The slot is given back when its request ends.
    drop(holder);
    until(
        || async { hub.get("/v1/health").await },
        |a| a.status == 200,
    )
    .await;
}

/// Whether the hub answered (and so let go of) the request on `holder`.
fn holder_answered(holder: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    !matches!(holder.try_read(&mut byte), Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Asks until the answer is as wanted: the hub takes the other connection
/// in its own time.
async fn until<T, F: std::future::Future<Output = T>>(
    ask: impl Fn() -> F,
    wanted: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let answer = ask().await;
        if wanted(&answer) {
            return answer;
        }
        assert!(tokio::time::Instant::now() < deadline, "never as wanted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The log of refused requests names no device id, organisation or other
/// text that a client sent unchecked.
#[test]
fn refusals_log_nothing_the_client_sent() {
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    // One thread, so every task of the hub logs where the subscriber is set.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let hub = TestHub::<crate::backend::Sqlite>::start().await;
        let stranger = TestDevice::new("EVILNAME");
        let envelope = signed(&stranger.key, &stranger, hub.now().0, Vec::new());
        let answer = hub.post_sync(envelope).await;
        assert_eq!(answer.refusal(), (401, "unknown_device".to_owned()));
        let answer = hub
            .post_enrol(&serde_json::json!({
                "code": "EVILCODE", "device_id": "EVIL<device>", "public_key": "00"
            }))
            .await;
        assert_eq!(answer.status, 400, "{}", answer.text());
    });
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("unknown_device"), "{log}");
    assert!(log.contains("enrolment refused"), "{log}");
    assert!(!log.contains("EVIL"), "{log}");
}
