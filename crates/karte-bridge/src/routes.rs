//! The API's addresses: `POST /api/v1/{operation}` for every operation of
//! the application API, with the operation's arguments as a JSON object in
//! the body and its reply as JSON. The bridge names no operation: it hands
//! the name and the body to `App::call`, which knows them all.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use karte_types::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use zeroize::Zeroizing;

use crate::guard::{bearer_token, loopback_only};
use crate::{Bridge, Problem};

/// Every address the bridge answers, guarded by the loopback check; the API
/// also by the token.
pub fn router(bridge: Bridge) -> Router {
    let api = Router::new()
        .route("/{operation}", post(operation))
        .route_layer(middleware::from_fn_with_state(bridge.clone(), bearer_token))
        // A photo travels in its call as base64: room for the largest one.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .fallback(unknown_address)
        // Answers hold patient data: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let pages = match bridge.ui() {
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => Router::new().route("/", get(placeholder)),
    };
    Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn(loopback_only))
        .with_state(bridge)
}

/// The largest request body: a photo at its limit in base64, and room for
/// the rest of its call.
const MAX_REQUEST_BYTES: usize = karte_photo::MAX_PHOTO_BYTES / 3 * 4 + 64 * 1024;

/// The page may run only its own scripts and wasm, and talk only to the
/// bridge; it may frame only the `blob:` URLs it made itself (a document's
/// PDF shown in the page).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The page at `/` when the bridge was started without the built UI; it
/// holds no patient data and so needs no token.
async fn placeholder() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>Karte</title>\
         <p>The Karte UI is not served here: start the bridge with --ui-dist DIR. \
         The API answers under /api/v1/.</p></html>",
    )
}

async fn unknown_address() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such address; call an operation with POST /api/v1/OPERATION",
    )
}

/// Runs one operation. The body is copied once into memory that is wiped
/// when the call is done, since it may hold a passphrase.
async fn operation(
    State(bridge): State<Bridge>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, Problem> {
    let arguments = Zeroizing::new(body.to_vec());
    drop(body);
    let reply = bridge.call(move |app| app.call(&name, arguments)).await?;
    Ok(Json(reply))
}
