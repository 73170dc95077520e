//! Where the hub listens: plain HTTP only on loopback unless a TLS proxy is
//! declared, HTTPS with a certificate.

use std::sync::Arc;

use karte_hub::{
    Hub, HubConfig, HubListener, ManualClock, ServeError, ServeOptions, SqliteHubStore, TlsFiles,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::NOW;

fn options(listen: &str) -> ServeOptions {
    ServeOptions {
        listen: listen.parse().unwrap(),
        tls: None,
        behind_tls_proxy: false,
    }
}

#[test]
fn plain_http_off_loopback_is_refused_unless_a_tls_proxy_is_declared() {
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let error = HubListener::bind(&options(listen)).unwrap_err();
        assert!(
            matches!(error, ServeError::PlainHttpOffLoopback { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("--behind-tls-proxy"), "{error}");
    }
    let behind_proxy = ServeOptions {
        behind_tls_proxy: true,
        ..options("0.0.0.0:0")
    };
    assert!(HubListener::bind(&behind_proxy).is_ok());
    assert!(HubListener::bind(&options("127.0.0.1:0")).is_ok());
}

#[test]
fn unreadable_tls_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = TlsFiles {
        cert: dir.path().join("hub.crt"),
        key: dir.path().join("hub.key"),
    };
    let error = HubListener::bind(&ServeOptions {
        tls: Some(missing),
        ..options("127.0.0.1:0")
    })
    .unwrap_err();
    assert!(matches!(error, ServeError::Tls { .. }), "{error:?}");
    assert!(error.to_string().contains("hub.crt"), "{error}");
}

#[tokio::test]
async fn with_a_certificate_the_hub_speaks_https_only() {
    let dir = tempfile::tempdir().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let files = TlsFiles {
        cert: dir.path().join("hub.crt"),
        key: dir.path().join("hub.key"),
    };
    std::fs::write(&files.cert, issued.cert.pem()).unwrap();
    std::fs::write(&files.key, issued.signing_key.serialize_pem()).unwrap();
    let store =
        SqliteHubStore::open(&dir.path().join("hub.sqlite"), crate::support::master_key()).unwrap();
    let hub = Hub::new(store, ManualClock::new(NOW), HubConfig::default());
    let listener = HubListener::bind(&ServeOptions {
        tls: Some(files),
        ..options("127.0.0.1:0")
    })
    .unwrap();
    assert!(listener.is_tls());
    let addr = listener.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(listener.serve(hub, async {
        let _ = stopped.await;
    }));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(issued.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");

    // Plain HTTP to the same port gets no answer from the hub.
    let plain = crate::harness::http_client()
        .get(format!("http://{addr}/v1/health"))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| r.status() != 200),
        "{plain:?}"
    );

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
