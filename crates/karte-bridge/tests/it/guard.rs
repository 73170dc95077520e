//! Who may talk to the bridge: only requests with the token, addressed to
//! the loopback address.

use serde_json::json;

use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_token_is_401() {
    let bridge = start().await;
    let url = bridge.url("/api/v1/session_state");
    let none = bridge.send(bridge.http.post(&url)).await;
    assert_eq!(none.status, 401, "{none:?}");
    assert_eq!(none.code(), "unauthorized");

    let mut wrong = bridge.token.clone();
    wrong.replace_range(..1, if wrong.starts_with('0') { "1" } else { "0" });
    let wrong = bridge.send(bridge.http.post(&url).bearer_auth(wrong)).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.code(), "unauthorized");

    // The unlock address is guarded too: no token, no passphrase guessing.
    let unlock = bridge
        .send(
            bridge
                .http
                .post(bridge.url("/api/v1/unlock"))
                .header("content-type", "application/json")
                .body(json!({"credentials": { "passphrase": "x" }}).to_string()),
        )
        .await;
    assert_eq!(unlock.status, 401);

    let right = bridge.call("session_state", json!({})).await;
    assert_eq!(right.status, 200, "{right:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_or_origin_is_403_even_with_the_token() {
    let bridge = start().await;
    let url = bridge.url("/api/v1/session_state");
    let host = bridge
        .send(
            bridge
                .http
                .post(&url)
                .bearer_auth(&bridge.token)
                .header("host", "rebound.example:80"),
        )
        .await;
    assert_eq!(host.status, 403, "{host:?}");
    assert_eq!(host.code(), "foreign_host");

    let origin = bridge
        .send(
            bridge
                .http
                .post(&url)
                .bearer_auth(&bridge.token)
                .header("origin", "http://rebound.example"),
        )
        .await;
    assert_eq!(origin.status, 403, "{origin:?}");

    let page = bridge
        .send(
            bridge
                .http
                .get(bridge.url("/"))
                .header("host", "rebound.example"),
        )
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_placeholder_page_needs_no_token_and_holds_no_data() {
    let bridge = start().await;
    bridge.unlock().await;
    let page = bridge.send(bridge.http.get(bridge.url("/"))).await;
    assert_eq!(page.status, 200);
    let text = page.body.as_str().unwrap();
    assert!(text.contains("not served here"));
    assert!(!text.contains("nurse"));
}
