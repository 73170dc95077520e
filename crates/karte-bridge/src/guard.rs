//! The checks every request passes before it reaches the vault: it was
//! addressed to the loopback address (so a page whose own name was rebound
//! to 127.0.0.1 is refused), and, for the API, it carries the token.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{Bridge, Problem};

/// Whether `authority` (`host[:port]`) names the loopback address.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "localhost")
}

/// Whether an `Origin` header is a page served from the loopback address.
fn is_loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .is_some_and(is_loopback_authority)
}

fn addressed_to_loopback(headers: &HeaderMap) -> bool {
    let host_ok = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(is_loopback_authority);
    let origin_ok = match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin.to_str().is_ok_and(is_loopback_origin),
    };
    host_ok && origin_ok
}

/// Refuses requests not addressed to the loopback address, with 403.
pub(crate) async fn loopback_only(request: Request, next: Next) -> Response {
    if addressed_to_loopback(request.headers()) {
        next.run(request).await
    } else {
        Problem::new(
            StatusCode::FORBIDDEN,
            karte_types::ErrorCode::ForeignHost,
            "the bridge answers only requests addressed to 127.0.0.1; open the URL `karte ui serve` printed",
        )
        .into_response()
    }
}

/// Refuses API requests without the bearer token, with 401.
pub(crate) async fn bearer_token(
    State(bridge): State<Bridge>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    match presented {
        Some(token) if bridge.token().matches(token) => next.run(request).await,
        _ => Problem::unauthorized().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_pass_and_others_do_not() {
        assert!(is_loopback_authority("127.0.0.1:8080"));
        assert!(is_loopback_authority("127.0.0.1"));
        assert!(is_loopback_authority("localhost:3000"));
        assert!(!is_loopback_authority("evil.example:8080"));
        assert!(!is_loopback_authority("127.0.0.1.evil.example"));
        assert!(!is_loopback_authority("127.0.0.1:80@evil.example"));
        assert!(is_loopback_origin("http://127.0.0.1:4000"));
        assert!(!is_loopback_origin("https://evil.example"));
        assert!(!is_loopback_origin("null"));
    }

    #[test]
    fn a_foreign_origin_fails_even_with_a_loopback_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:9".parse().unwrap());
        assert!(addressed_to_loopback(&headers));
        headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!addressed_to_loopback(&headers));
        headers.remove(header::HOST);
        headers.remove(header::ORIGIN);
        assert!(!addressed_to_loopback(&headers));
    }
}
