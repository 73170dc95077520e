//! The backend over the local bridge (`karte ui serve`): JSON under
//! `/api/v1/` on this page's origin, with the bearer token the bridge printed
//! in the URL fragment. The token is kept in memory only.

use gloo_net::http::Request;
use karte_types::{ErrorCode, Problem};

use super::{Backend, Call, local_problem, token_from_fragment};

/// The bridge at `base`, reached with `token`.
#[derive(Debug, Clone)]
pub struct HttpBackend {
    base: String,
    token: String,
}

impl HttpBackend {
    /// The bridge that served this page, with the token of its fragment.
    pub fn from_location() -> Result<HttpBackend, Problem> {
        let location = web_sys::window()
            .ok_or_else(|| {
                local_problem(ErrorCode::NoWindow, "the UI runs outside a browser window")
            })?
            .location();
        let base = location.origin().unwrap_or_default();
        let token = token_from_fragment(&location.hash().unwrap_or_default()).ok_or_else(|| {
            local_problem(
                ErrorCode::NoToken,
                "open the address that `karte ui serve` printed, with its #token=",
            )
        })?;
        Ok(HttpBackend { base, token })
    }
}

impl Backend for HttpBackend {
    fn send(&self, operation: &'static str, arguments: Vec<u8>) -> Call<Vec<u8>> {
        let url = format!("{}/api/v1/{operation}", self.base);
        // Answers hold patient data: never into the browser's disk cache.
        let request = Request::post(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .cache(web_sys::RequestCache::NoStore)
            .body(js_sys::Uint8Array::from(arguments.as_slice()));
        Box::pin(async move {
            let request =
                request.map_err(|e| local_problem(ErrorCode::BadRequest, e.to_string()))?;
            let response = request.send().await.map_err(|e| {
                local_problem(
                    ErrorCode::BridgeUnreachable,
                    format!("the local bridge did not answer: {e}"),
                )
            })?;
            let status = response.status();
            // The body's bytes as they came: no JavaScript string is made
            // of an answer that can be megabytes of patient list.
            let body = response.binary().await.map_err(|e| {
                local_problem(
                    ErrorCode::BadAnswer,
                    format!("unreadable answer from the bridge: {e}"),
                )
            })?;
            if (200..300).contains(&status) {
                Ok(body)
            } else {
                Err(
                    serde_json::from_slice::<Problem>(&body).unwrap_or_else(|_| {
                        local_problem(
                            ErrorCode::HttpError,
                            format!(
                                "the bridge answered {status}: {}",
                                String::from_utf8_lossy(&body)
                            ),
                        )
                    }),
                )
            }
        })
    }
}
