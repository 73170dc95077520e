//! The hub over HTTPS: `POST /v1/sync` with the envelope as
//! `application/octet-stream`, and `POST /v1/enroll` with JSON. TLS is
//! rustls on ring, checking the hub's certificate against the operating
//! system's trust store (and any extra roots given, for a hub with its own
//! certificate authority). Plain http:// is refused unless the hub is on
//! this machine: charts must never cross a network in the clear. No
//! redirect is followed (a device talks to the hub it enrolled with, not
//! to wherever an answer points), and no answer larger than the protocol's
//! limit is read.

use std::io::Read;
use std::net::IpAddr;
use std::sync::Once;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::{Client, Response};
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;

use crate::client::transport::{EnrolmentGrant, EnrolmentRequest, Transport};
use crate::{Limits, TransportError};

/// The most of an answer that is read: the protocol's limit on the wire.
const MAX_ANSWER: usize = Limits::PROTOCOL.max_compressed_bytes;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one round may take: a page of several megabytes over a weak
/// 3G link takes minutes.
const ROUND_TIMEOUT: Duration = Duration::from_secs(600);

/// A hub reached over HTTP(S).
#[derive(Debug)]
pub struct HttpTransport {
    client: Client,
    sync_url: Url,
    photos_url: Url,
    enrol_url: Url,
}

impl HttpTransport {
    /// A transport to the hub at `hub_url` (e.g. `https://hub.example.jp`),
    /// trusting the operating system's certificate authorities.
    pub fn new(hub_url: &str) -> Result<HttpTransport, TransportError> {
        HttpTransport::with_roots(hub_url, &[])
    }

    /// Like [`HttpTransport::new`], also trusting the PEM certificates in
    /// `extra_roots_pem` (a hub whose certificate a private authority made).
    pub fn with_roots(
        hub_url: &str,
        extra_roots_pem: &[u8],
    ) -> Result<HttpTransport, TransportError> {
        let base = hub_base(hub_url)?;
        install_crypto_provider();
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(ROUND_TIMEOUT)
            .user_agent(concat!("karte/", env!("CARGO_PKG_VERSION")));
        if !extra_roots_pem.is_empty() {
            let roots = reqwest::Certificate::from_pem_bundle(extra_roots_pem).map_err(|e| {
                TransportError::BadUrl {
                    url: hub_url.to_owned(),
                    detail: format!("the extra certificates cannot be read: {e}"),
                }
            })?;
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let client = builder.build().map_err(|e| TransportError::Unreachable {
            detail: format!("the HTTP client cannot start: {e}"),
        })?;
        let join = |path: &str| {
            base.join(path).map_err(|e| TransportError::BadUrl {
                url: hub_url.to_owned(),
                detail: e.to_string(),
            })
        };
        Ok(HttpTransport {
            client,
            sync_url: join("v1/sync")?,
            photos_url: join("v1/photos")?,
            enrol_url: join("v1/enroll")?,
        })
    }

    fn answer(response: reqwest::Result<Response>) -> Result<Vec<u8>, TransportError> {
        let response = response.map_err(unreachable)?;
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("elsewhere")
                .to_owned();
            return Err(TransportError::BadAnswer {
                detail: format!(
                    "the hub sent this device on to {to} (HTTP {status}); Karte follows no redirect: \
                     ask the administrator for the hub's own https:// address and enrol with it"
                ),
            });
        }
        let body = read_capped(response)?;
        if status.is_success() {
            return Ok(body);
        }
        Err(refusal(status.as_u16(), &body))
    }
}

impl Transport for HttpTransport {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        HttpTransport::answer(
            self.client
                .post(self.sync_url.clone())
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(body)
                .send(),
        )
    }

    fn post_photos(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        HttpTransport::answer(
            self.client
                .post(self.photos_url.clone())
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(body)
                .send(),
        )
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        let body = HttpTransport::answer(
            self.client
                .post(self.enrol_url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(request.to_json())
                .send(),
        )?;
        EnrolmentGrant::from_json(&body)
    }
}

/// The answer's body, refused when it is larger than [`MAX_ANSWER`]: by its
/// declared length before anything is read, or as it streams in.
fn read_capped(response: Response) -> Result<Vec<u8>, TransportError> {
    let too_large = || TransportError::BadAnswer {
        detail: format!(
            "the hub's answer is larger than the protocol allows ({} MiB)",
            MAX_ANSWER >> 20
        ),
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    response
        .take(MAX_ANSWER as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| TransportError::Unreachable {
            detail: format!("the answer broke off: {e}"),
        })?;
    if body.len() > MAX_ANSWER {
        return Err(too_large());
    }
    Ok(body)
}

/// The hub's base URL, checked: https, or http to this machine only.
fn hub_base(hub_url: &str) -> Result<Url, TransportError> {
    let bad = |detail: &str| TransportError::BadUrl {
        url: hub_url.to_owned(),
        detail: detail.to_owned(),
    };
    let mut url = Url::parse(hub_url.trim()).map_err(|e| bad(&e.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| bad("it names no host"))?
        .to_owned();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(TransportError::PlainHttp { host }),
        other => return Err(bad(&format!("'{other}' is not http or https"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it carries a query or fragment"));
    }
    // A base without a trailing slash would lose its last path segment
    // when the routes are joined to it.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Whether `host` (as a URL names it) is this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// rustls needs one process-wide cryptography provider; Karte uses ring's.
/// Another part of the process may have installed one already, which is as
/// good.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn unreachable(error: reqwest::Error) -> TransportError {
    // The error's sources say why (refused, reset, certificate, timeout).
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError::Unreachable { detail }
}

#[derive(Deserialize)]
struct Problem {
    code: String,
    message: String,
}

/// The hub's refusal: its JSON `{code, message}`, or, from something in
/// front of the hub that does not speak it, the status and the start of
/// the text.
fn refusal(status: u16, body: &[u8]) -> TransportError {
    match serde_json::from_slice::<Problem>(body) {
        Ok(problem) => TransportError::Refused {
            status,
            code: problem.code,
            message: problem.message,
        },
        Err(_) => TransportError::Refused {
            status,
            code: format!("http_{status}"),
            message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot HTTP server on loopback that answers any request with
    /// `answer`, and the transport to it.
    fn answering(answer: &'static str) -> HttpTransport {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        HttpTransport::new(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    #[test]
    fn a_redirect_is_refused_and_not_followed() {
        let mut transport = answering(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: https://elsewhere.example/v1/sync\r\nContent-Length: 0\r\n\r\n",
        );
        let error = transport.post_sync(b"KSYN".to_vec()).unwrap_err();
        assert_eq!(error.code(), "bad_hub_answer");
        assert!(error.to_string().contains("elsewhere.example"), "{error}");
    }

    #[test]
    fn an_answer_larger_than_the_protocol_allows_is_not_read() {
        let mut transport = answering(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 67108865\r\n\r\nKSYR",
        );
        let error = transport.post_sync(b"KSYN".to_vec()).unwrap_err();
        assert_eq!(error.code(), "bad_hub_answer");
        assert!(error.to_string().contains("64 MiB"), "{error}");
    }

    #[test]
    fn plain_http_is_refused_off_this_machine() {
        for url in [
            "http://hub.example.jp",
            "http://192.168.1.10:7878",
            "http://[2001:db8::1]/",
        ] {
            let error = hub_base(url).unwrap_err();
            assert_eq!(error.code(), "plain_http", "{url}");
        }
        for url in [
            "http://127.0.0.1:7878",
            "http://localhost:7878",
            "http://[::1]:7878",
            "https://hub.example.jp",
        ] {
            assert!(hub_base(url).is_ok(), "{url}");
        }
        let error = HttpTransport::new("http://hub.example.jp").unwrap_err();
        assert!(error.to_string().contains("https://"), "{error}");
    }

    #[test]
    fn routes_join_under_the_base_path() {
        let transport = HttpTransport::new("https://example.jp/karte").unwrap();
        assert_eq!(
            transport.sync_url.as_str(),
            "https://example.jp/karte/v1/sync"
        );
        assert_eq!(
            transport.enrol_url.as_str(),
            "https://example.jp/karte/v1/enroll"
        );
        for bad in [
            "hub.example.jp",
            "ftp://example.jp",
            "https://x.jp/?a=1",
            "",
        ] {
            assert_eq!(hub_base(bad).unwrap_err().code(), "bad_hub_url", "{bad}");
        }
    }

    #[test]
    fn a_refusal_keeps_the_hubs_code_or_names_the_status() {
        let refused = refusal(426, br#"{"code":"please_update","message":"update"}"#);
        assert_eq!(refused.code(), "please_update");
        let proxy = refusal(502, b"<html>Bad Gateway</html>");
        assert_eq!(proxy.code(), "http_502");
        assert!(proxy.to_string().contains("Bad Gateway"));
    }
}
