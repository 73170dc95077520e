//! A bridge on a free loopback port over a fresh vault, and a small client.

use std::sync::atomic::{AtomicU64, Ordering};

use karte_api::types::{Date, Demographics, Sex, Timestamp};
use karte_api::{Environment, KdfParams, Session};
use karte_bridge::{Bridge, Token, bind, serve};
use serde_json::Value;

pub const PASSPHRASE: &str = "correct horse battery staple";

/// 2025-06-15 in UTC: recent enough that birth dates are in the past.
pub const START: Timestamp = Timestamp(1_750_000_000_000);

/// A running bridge; the server stops when this is dropped.
pub struct Running {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

/// Each session gets its own seed: actor ids must never repeat.
fn environments() -> impl Fn() -> Environment + Send + Sync + 'static {
    let seed = AtomicU64::new(1);
    move || Environment::fixed(START, seed.fetch_add(1, Ordering::Relaxed))
}

/// A bridge over a vault that already has the user `nurse`.
pub async fn start() -> Running {
    start_with(true, None).await
}

/// A bridge over a path where no vault exists yet.
pub async fn start_empty() -> Running {
    start_with(false, None).await
}

/// A bridge that serves the built UI in `dist` at `/`.
pub async fn start_with_ui(dist: std::path::PathBuf) -> Running {
    start_with(true, Some(dist)).await
}

async fn start_with(make_vault: bool, ui: Option<std::path::PathBuf>) -> Running {
    // Another crate in the workspace turns on reqwest's TLS without a
    // provider; these plain-HTTP tests still need one installed to build a
    // client. A second install in the same process is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.karte");
    if make_vault {
        Session::create(
            &vault,
            "nurse",
            PASSPHRASE.as_bytes(),
            KdfParams::insecure_fast_for_tests(),
            Environment::fixed(START, 1_000),
        )
        .unwrap()
        .lock();
    }
    let token = Token::generate(&ring::rand::SystemRandom::new()).unwrap();
    let mut bridge = Bridge::new(
        vault,
        KdfParams::insecure_fast_for_tests(),
        token.clone(),
        environments(),
    );
    if let Some(dist) = ui {
        bridge = bridge.with_ui(dist);
    }
    let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, bridge, async {
        let _ = stopped.await;
    }));
    Running {
        base: format!("http://{addr}"),
        token: token.as_str().to_owned(),
        http: reqwest::Client::new(),
        _stop: stop,
        _dir: dir,
    }
}

/// An answer: its status and its JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// Calls the operation `name` with `arguments`, as the UI does:
    /// `POST /api/v1/{name}` with the token and a JSON body.
    pub async fn call(&self, name: &str, arguments: Value) -> Answer {
        let request = self
            .http
            .post(self.url(&format!("/api/v1/{name}")))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(arguments.to_string());
        self.send(request).await
    }

    pub async fn unlock(&self) {
        let answer = self
            .call(
                "unlock",
                serde_json::json!({"credentials": { "user": "nurse", "passphrase": PASSPHRASE }}),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }

    /// Adds [`patient`] and returns the new patient's id.
    pub async fn add_patient(&self) -> String {
        let added = self
            .call("add_patient", serde_json::json!({ "patient": patient() }))
            .await;
        assert_eq!(added.status, 200, "{added:?}");
        added.body.as_str().unwrap().to_owned()
    }
}

pub fn patient() -> Demographics {
    Demographics {
        family: "山田".into(),
        given: "花子".into(),
        family_kana: "ヤマダ".into(),
        given_kana: "ハナコ".into(),
        birth: Date::from_ymd(1938, 4, 2).unwrap(),
        sex: Sex::Female,
        address: Some("東京都世田谷区".into()),
        phone: None,
        insurance_number: None,
        care_level: None,
    }
}
