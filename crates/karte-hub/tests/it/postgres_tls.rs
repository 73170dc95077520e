//! The hub's PostgreSQL connection over TLS, against a server the tests start
//! with a certificate they make: a CA of their own signs it for `localhost`
//! and 127.0.0.1, and the server refuses plaintext over TCP, so a store that
//! opens at all spoke TLS. The suite's tests on this server run from
//! `main.rs` (`postgresql_tls`), through `backend::PostgresTls`.

use std::path::PathBuf;
use std::sync::OnceLock;

use karte_hub::{HubStoreError, PostgresHubStore};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use crate::postgres::{self, ServerTls, TestServer};

/// The binary's TLS server and the CA files a hub may be given.
pub struct TlsServer {
    pub server: TestServer,
    /// The CA that signed the server's certificate (PEM).
    pub ca: PathBuf,
    /// A CA that signed nothing the server shows.
    pub other_ca: PathBuf,
}

static TLS_SERVER: OnceLock<TlsServer> = OnceLock::new();

pub fn tls_server() -> &'static TlsServer {
    TLS_SERVER.get_or_init(|| {
        let (ca_pem, issuer) = certificate_authority("Karte test CA");
        let (other_pem, _) = certificate_authority("Karte other CA");
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let server = postgres::start_with(Some(&ServerTls {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }));
        let ca = server.dir().join("ca.pem");
        let other_ca = server.dir().join("other-ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        std::fs::write(&other_ca, other_pem).unwrap();
        TlsServer {
            server,
            ca,
            other_ca,
        }
    })
}

fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

impl TlsServer {
    /// A URL to a new database on this server, `host` naming it (the
    /// connection always goes to 127.0.0.1), with `query` appended.
    pub async fn url(&self, host: &str, query: &str) -> String {
        let name = self.server.create_database_named().await;
        let url = self.server.url(&name);
        let url = url.replacen("127.0.0.1", host, 1);
        format!("{url}?hostaddr=127.0.0.1&{query}")
    }
}

async fn refused(url: &str) -> HubStoreError {
    PostgresHubStore::connect(url, crate::support::master_key())
        .await
        .expect_err("the hub must refuse this connection")
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_connects() {
    let tls = tls_server();
    for host in ["localhost", "127.0.0.1"] {
        let query = format!("sslmode=verify-full&sslrootcert={}", tls.ca.display());
        let store =
            PostgresHubStore::connect(&tls.url(host, &query).await, crate::support::master_key())
                .await;
        store.unwrap_or_else(|error| panic!("{host}: {error}"));
    }
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let tls = tls_server();
    // With a CA named, `require` checks the issuer as `verify-ca` does (libpq).
    for (mode, checked_as) in [
        ("verify-full", "verify-full"),
        ("verify-ca", "verify-ca"),
        ("require", "verify-ca"),
    ] {
        let query = format!("sslmode={mode}&sslrootcert={}", tls.other_ca.display());
        let error = refused(&tls.url("localhost", &query).await).await;
        let message = error.to_string();
        assert_eq!(error.code(), "storage_unreachable", "{message}");
        assert!(message.contains("invalid peer certificate"), "{message}");
        assert!(message.contains("UnknownIssuer"), "{message}");
        assert!(
            message.contains(&format!("sslmode={checked_as}")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn verify_full_refuses_a_host_the_certificate_does_not_name() {
    let tls = tls_server();
    let query = format!("sslmode=verify-full&sslrootcert={}", tls.ca.display());
    let error = refused(&tls.url("db.invalid", &query).await).await;
    let message = error.to_string();
    assert!(message.contains("not valid for name"), "{message}");
    assert!(message.contains("db.invalid"), "{message}");

    // verify-ca checks the issuer only, so the same server is accepted.
    let query = format!("sslmode=verify-ca&sslrootcert={}", tls.ca.display());
    PostgresHubStore::connect(
        &tls.url("db.invalid", &query).await,
        crate::support::master_key(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn require_encrypts_without_checking_the_certificate() {
    let tls = tls_server();
    PostgresHubStore::connect(
        &tls.url("db.invalid", "sslmode=require").await,
        crate::support::master_key(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn without_sslmode_a_named_ca_means_verified_tls() {
    let tls = tls_server();
    let query = format!("sslrootcert={}", tls.other_ca.display());
    let error = refused(&tls.url("localhost", &query).await).await;
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn a_server_without_tls_is_refused_when_tls_is_asked_for() {
    let plain = postgres::server();
    let ca = tls_server().ca.display().to_string();
    for query in [
        "sslmode=require".to_owned(),
        format!("sslmode=verify-full&sslrootcert={ca}"),
    ] {
        let url = format!("{}?{query}", plain.create_database().await);
        let message = refused(&url).await.to_string();
        assert!(message.contains("server does not support TLS"), "{message}");
    }
    // Plaintext to loopback, said or not, still works (as every other test).
    let url = format!("{}?sslmode=disable", plain.create_database().await);
    PostgresHubStore::connect(&url, crate::support::master_key())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_plaintext_hub_is_refused_by_a_server_that_requires_tls() {
    // The check that the server above is a fair test: plaintext is refused.
    let tls = tls_server();
    let error = refused(&tls.url("localhost", "sslmode=disable").await).await;
    assert!(error.to_string().contains("no encryption"), "{error}");
}
