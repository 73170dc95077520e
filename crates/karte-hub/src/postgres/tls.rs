//! How the hub reaches PostgreSQL: over TLS (rustls with ring) unless the
//! database URL says `sslmode=disable` or the database is on this machine.
//!
//! `tokio_postgres` knows only `sslmode=disable|prefer|require` and neither
//! checks certificates itself nor reads `sslrootcert`, so the two settings
//! are taken out of the URL here, the rest is parsed by `tokio_postgres`, and
//! the modes mean what libpq says they mean:
//!
//! - `disable`: plaintext.
//! - `require`: TLS, the certificate not checked (libpq's meaning; with
//!   `sslrootcert` given it is checked as for `verify-ca`). Only a passive
//!   eavesdropper is kept out.
//! - `verify-ca`: TLS, the certificate chains to a trusted root.
//! - `verify-full`: that, and the certificate names the host in the URL.
//! - no `sslmode`: plaintext when every host is loopback or a Unix socket
//!   (nothing crosses a network, and a local database needs no certificate);
//!   `verify-full` otherwise, so a database elsewhere is never reached in
//!   plaintext unless the URL says so.
//! - `allow` and `prefer` are refused: they fall back to plaintext when the
//!   server declines TLS, which is what a network attacker makes it do.
//!
//! The trusted roots are those in the PEM file `sslrootcert` names, or the
//! system's (also for `sslrootcert=system`, as in libpq 16).

use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::HubStoreError;

/// How the connection to the database is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Security {
    Plaintext,
    /// TLS without a certificate check (`sslmode=require`).
    EncryptOnly,
    /// TLS with the certificate's chain checked (`sslmode=verify-ca`).
    VerifyIssuer,
    /// TLS with the chain and the host name checked (`sslmode=verify-full`).
    VerifyFull,
}

impl Security {
    fn name(self) -> &'static str {
        match self {
            Security::Plaintext => "disable",
            Security::EncryptOnly => "require",
            Security::VerifyIssuer => "verify-ca",
            Security::VerifyFull => "verify-full",
        }
    }
}

/// A database URL read: what `tokio_postgres` connects to, and how.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) config: tokio_postgres::Config,
    pub(super) security: Security,
    /// The `sslrootcert` file, if the URL names one (not `system`).
    pub(super) root_cert: Option<String>,
}

impl Target {
    /// Reads a `postgres://` URL or a libpq key=value string.
    pub(super) fn parse(url: &str) -> Result<Target, HubStoreError> {
        let (rest, mut mode, mut root_cert) = take_ssl_settings(url)?;
        let mut config: tokio_postgres::Config = rest.parse()?;
        let security = match mode.take().as_deref() {
            None if root_cert.is_none() && is_local(&config) => Security::Plaintext,
            None => Security::VerifyFull,
            Some("disable") => Security::Plaintext,
            Some("require") if root_cert.is_some() => Security::VerifyIssuer,
            Some("require") => Security::EncryptOnly,
            Some("verify-ca") => Security::VerifyIssuer,
            Some("verify-full") => Security::VerifyFull,
            Some(weak @ ("allow" | "prefer")) => {
                return Err(HubStoreError::DatabaseUrl(format!(
                    "sslmode={weak} falls back to plaintext whenever the server declines TLS, as a network attacker can make it: use sslmode=verify-full (with sslrootcert=FILE for a private CA), or sslmode=disable if the network to the database is trusted"
                )));
            }
            Some(other) => {
                return Err(HubStoreError::DatabaseUrl(format!(
                    "sslmode={other} is not known: use disable, require, verify-ca or verify-full"
                )));
            }
        };
        config.ssl_mode(match security {
            Security::Plaintext => SslMode::Disable,
            _ => SslMode::Require,
        });
        if root_cert.as_deref() == Some("system") {
            root_cert = None;
        }
        Ok(Target {
            config,
            security,
            root_cert,
        })
    }

    /// The rustls connector for this target; `None` for plaintext.
    pub(super) fn connector(&self) -> Result<Option<MakeRustlsConnect>, HubStoreError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|error| HubStoreError::DatabaseUrl(error.to_string()))?;
        let config = match self.security {
            Security::Plaintext => return Ok(None),
            Security::EncryptOnly => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(WithoutName {
                        roots: None,
                        provider,
                    }))
            }
            Security::VerifyIssuer => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(WithoutName {
                        roots: Some(self.roots()?),
                        provider,
                    }))
            }
            Security::VerifyFull => builder.with_root_certificates(self.roots()?),
        };
        Ok(Some(MakeRustlsConnect::new(config.with_no_client_auth())))
    }

    /// What the hub asked of the connection, for an error message.
    pub(super) fn describe(&self) -> String {
        let roots = match &self.root_cert {
            Some(path) => format!("the CA in {path}"),
            None => "the system's root certificates".to_owned(),
        };
        match self.security {
            Security::Plaintext => "plaintext (sslmode=disable)".to_owned(),
            Security::EncryptOnly => "TLS, certificate not checked (sslmode=require)".to_owned(),
            mode => format!("TLS, sslmode={}, trusting {roots}", mode.name()),
        }
    }

    fn roots(&self) -> Result<RootCertStore, HubStoreError> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|error| {
                        HubStoreError::DatabaseUrl(format!(
                            "cannot read sslrootcert {path}: {error}: give a PEM file of CA certificates"
                        ))
                    })?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(HubStoreError::DatabaseUrl(format!(
                        "sslrootcert {path} holds no usable CA certificate: give a PEM file of CA certificates"
                    )));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(HubStoreError::DatabaseUrl(
                        "this machine has no system root certificates to check the database's certificate against: install them (ca-certificates) or give sslrootcert=FILE".to_owned(),
                    ));
                }
            }
        }
        Ok(roots)
    }
}

/// Takes `sslmode` and `sslrootcert` out of a URL or key=value string,
/// returning the rest for `tokio_postgres` and the two values.
fn take_ssl_settings(url: &str) -> Result<(String, Option<String>, Option<String>), HubStoreError> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: String| match key {
        "sslmode" => {
            mode = Some(value);
            None
        }
        "sslrootcert" => {
            root_cert = Some(value);
            None
        }
        _ => Some(value),
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| {
                    HubStoreError::DatabaseUrl(format!("the value of {key} is not UTF-8"))
                })?
                .into_owned();
            if take(key, decoded).is_some() {
                kept.push(pair);
            }
        }
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else {
        let mut kept = Vec::new();
        for (key, value) in key_values(url)? {
            if let Some(value) = take(&key, value) {
                let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
                kept.push(format!("{key}='{quoted}'"));
            }
        }
        kept.join(" ")
    };
    Ok((rest, mode, root_cert))
}

/// The pairs of a libpq key=value string: `key = value`, the value bare or
/// in single quotes, a backslash escaping the next character.
fn key_values(text: &str) -> Result<Vec<(String, String)>, HubStoreError> {
    let malformed = || {
        HubStoreError::DatabaseUrl(
            "the connection string is neither a postgres:// URL nor key=value pairs".to_owned(),
        )
    };
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=').ok_or_else(malformed)?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => value.push(chars.next().ok_or_else(malformed)?),
                Some('\'') if quoted => break,
                Some(c) if !quoted && c.is_whitespace() => break,
                Some(c) => value.push(c),
                None if quoted => return Err(malformed()),
                None => break,
            }
        }
        pairs.push((key, value));
    }
}

/// Whether every address the connection may go to is on this machine: the
/// `hostaddr`s where given (they are what is dialled), else the hosts.
fn is_local(config: &tokio_postgres::Config) -> bool {
    let loopback = |host: &str| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    if !config.get_hostaddrs().is_empty() {
        return config.get_hostaddrs().iter().all(IpAddr::is_loopback);
    }
    config.get_hosts().iter().all(|host| match host {
        Host::Tcp(name) => loopback(name),
        #[cfg(unix)]
        Host::Unix(_) => true,
    })
}

/// The certificate checks of `sslmode=require` (no `roots`: any
/// certificate) and `sslmode=verify-ca` (it must chain to one of `roots`;
/// the name in it is not compared with the host). Either way the
/// handshake's signatures are checked, so the session key is the
/// certificate's.
#[derive(Debug)]
struct WithoutName {
    roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for WithoutName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn security(url: &str) -> Security {
        Target::parse(url).unwrap().security
    }

    #[test]
    fn a_database_elsewhere_is_reached_over_verified_tls_unless_the_url_says_otherwise() {
        assert_eq!(
            security("postgres://karte@db.example/hub"),
            Security::VerifyFull
        );
        assert_eq!(
            security("postgres://karte@10.0.0.5:5432/hub"),
            Security::VerifyFull
        );
        assert_eq!(
            security("postgres://karte@127.0.0.1,db.example/hub"),
            Security::VerifyFull
        );
        assert_eq!(
            security("postgres://karte@localhost/hub?hostaddr=10.0.0.5"),
            Security::VerifyFull
        );
        assert_eq!(
            security("host=db.example user=karte dbname=hub"),
            Security::VerifyFull
        );
        assert_eq!(
            security("postgres://karte@db.example/hub?sslmode=disable"),
            Security::Plaintext
        );
    }

    #[test]
    fn a_local_database_without_sslmode_is_plaintext() {
        assert_eq!(
            security("postgres://karte@127.0.0.1/hub"),
            Security::Plaintext
        );
        assert_eq!(
            security("postgres://karte@localhost/hub"),
            Security::Plaintext
        );
        assert_eq!(
            security("postgres://karte@[::1]:5432/hub"),
            Security::Plaintext
        );
        assert_eq!(
            security("host=/run/postgresql user=karte dbname=hub"),
            Security::Plaintext
        );
        // A CA named says TLS is meant, even to this machine.
        assert_eq!(
            security("postgres://karte@localhost/hub?sslrootcert=/etc/ca.pem"),
            Security::VerifyFull
        );
    }

    #[test]
    fn the_modes_mean_what_libpq_says() {
        let url = |query: &str| format!("postgres://karte@db.example/hub?{query}");
        assert_eq!(security(&url("sslmode=require")), Security::EncryptOnly);
        assert_eq!(
            security(&url("sslmode=require&sslrootcert=/ca.pem")),
            Security::VerifyIssuer
        );
        assert_eq!(security(&url("sslmode=verify-ca")), Security::VerifyIssuer);
        assert_eq!(security(&url("sslmode=verify-full")), Security::VerifyFull);
        for weak in ["allow", "prefer", "verify"] {
            let error = Target::parse(&url(&format!("sslmode={weak}"))).unwrap_err();
            assert_eq!(error.code(), "database_url", "{error}");
            assert!(error.to_string().contains(weak), "{error}");
        }
    }

    #[test]
    fn ssl_settings_are_taken_out_and_the_rest_kept() {
        let target = Target::parse(
            "postgres://karte@db.example:6543/hub?sslrootcert=%2Fetc%2Fkarte%2Fca%20root.pem&application_name=hub&sslmode=verify-full",
        )
        .unwrap();
        assert_eq!(target.root_cert.as_deref(), Some("/etc/karte/ca root.pem"));
        assert_eq!(target.config.get_application_name(), Some("hub"));
        assert_eq!(target.config.get_ports(), &[6543]);
        assert_eq!(target.config.get_ssl_mode(), SslMode::Require);

        let target = Target::parse(
            "host=db.example sslrootcert = '/etc/my ca.pem' application_name='it\\'s' sslmode=verify-ca",
        )
        .unwrap();
        assert_eq!(target.root_cert.as_deref(), Some("/etc/my ca.pem"));
        assert_eq!(target.config.get_application_name(), Some("it's"));
        assert_eq!(target.security, Security::VerifyIssuer);

        let target = Target::parse("postgres://karte@db.example/hub?sslrootcert=system").unwrap();
        assert_eq!(target.root_cert, None);
        assert_eq!(target.security, Security::VerifyFull);

        let plain = Target::parse("postgres://karte@127.0.0.1/hub?sslmode=disable").unwrap();
        assert_eq!(plain.config.get_ssl_mode(), SslMode::Disable);
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        for path in [dir.path().join("missing.pem"), empty] {
            let url = format!(
                "postgres://karte@db.example/hub?sslmode=verify-full&sslrootcert={}",
                path.display()
            );
            let Err(error) = Target::parse(&url).unwrap().connector() else {
                panic!("{path:?} must be refused");
            };
            assert!(
                error.to_string().contains(&path.display().to_string()),
                "{error}"
            );
        }
    }
}
