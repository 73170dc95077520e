//! TLS 1.3 between two devices, each authenticated by its device key as an
//! RFC 7250 raw public key. Both sides take any Ed25519 key in the
//! handshake (the signature over the handshake proves the other side holds
//! it); the hello that follows checks that key is the one the other
//! device's membership cert names. No session tickets or resumption: every
//! connection authenticates afresh. Everything runs on ring.

use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use karte_sync::peer::PeerError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{AlwaysResolvesClientRawPublicKeys, Resumption};
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, verify_tls13_signature_with_raw_key,
};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, SubjectPublicKeyInfoDer,
    UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{AlwaysResolvesServerRawPublicKeys, NoServerSessionStorage};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, DigitallySignedStruct, DistinguishedName,
    ServerConfig, ServerConnection, SideData, SignatureScheme, StreamOwned,
};

use crate::frames::{DeadlineSocket, TlsLink};

/// The application protocol both sides must name.
const ALPN: &[u8] = b"karte-peer/1";
/// The server name a dialler gives: it means nothing (the key is the
/// identity), and `.invalid` never resolves.
const SERVER_NAME: &str = "karte-peer.invalid";
/// How long a read or a write may wait before the link counts as broken.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a device that dialled a listener has for the TLS handshake and
/// its hello together: one that says nothing is dropped after this.
pub const HELLO_WAIT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a listener waiting a while looks for a device dialling.
const ACCEPT_POLL: Duration = Duration::from_millis(50);

/// DER of an Ed25519 SubjectPublicKeyInfo up to the key (RFC 8410).
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The Ed25519 key of an SPKI, if it is one.
fn ed25519_key(spki: &[u8]) -> Option<[u8; 32]> {
    let key = spki.strip_prefix(&ED25519_SPKI_PREFIX)?;
    key.try_into().ok()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(error: impl std::fmt::Display) -> PeerError {
    PeerError::Unreachable {
        detail: format!("TLS: {error}"),
    }
}

/// The device's key as both sides of TLS present it. Made from the
/// vault's PKCS#8 while it is unlocked; drop it with the session.
pub struct PeerKey {
    certified: Arc<CertifiedKey>,
    public: [u8; 32],
}

impl std::fmt::Debug for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl PeerKey {
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<PeerKey, PeerError> {
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.to_vec()));
        let key = provider()
            .key_provider
            .load_private_key(der)
            .map_err(tls_error)?;
        let spki = key
            .public_key()
            .ok_or_else(|| tls_error("the device key has no public key"))?;
        let public = ed25519_key(spki.as_ref())
            .ok_or_else(|| tls_error("the device key is not an Ed25519 key"))?;
        let raw = CertificateDer::from(spki.as_ref().to_vec());
        Ok(PeerKey {
            certified: Arc::new(CertifiedKey::new(vec![raw], key)),
            public,
        })
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    fn server_config(&self) -> Result<Arc<ServerConfig>, PeerError> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_error)?
            .with_client_cert_verifier(Arc::new(RawKeyVerifier::new()))
            .with_cert_resolver(Arc::new(AlwaysResolvesServerRawPublicKeys::new(
                self.certified.clone(),
            )));
        config.alpn_protocols = vec![ALPN.to_vec()];
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        Ok(Arc::new(config))
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>, PeerError> {
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RawKeyVerifier::new()))
            .with_client_cert_resolver(Arc::new(AlwaysResolvesClientRawPublicKeys::new(
                self.certified.clone(),
            )));
        config.alpn_protocols = vec![ALPN.to_vec()];
        config.resumption = Resumption::disabled();
        Ok(Arc::new(config))
    }
}

/// Accepts any Ed25519 raw public key whose handshake signature holds;
/// membership is the hello's to judge.
#[derive(Debug)]
struct RawKeyVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl RawKeyVerifier {
    fn new() -> RawKeyVerifier {
        RawKeyVerifier {
            algorithms: provider().signature_verification_algorithms,
        }
    }

    fn check_key(end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        ed25519_key(end_entity.as_ref())
            .map(|_| ())
            .ok_or(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadEncoding,
            ))
    }

    fn verify13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Self::check_key(cert)?;
        let spki = SubjectPublicKeyInfoDer::from(cert.as_ref());
        verify_tls13_signature_with_raw_key(message, &spki, dss, &self.algorithms)
    }
}

fn no_tls12() -> rustls::Error {
    rustls::Error::PeerIncompatible(rustls::PeerIncompatible::Tls13RequiredForQuic)
}

impl ServerCertVerifier for RawKeyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Self::check_key(end_entity).map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(no_tls12())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }

    fn requires_raw_public_keys(&self) -> bool {
        true
    }
}

impl ClientCertVerifier for RawKeyVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Self::check_key(end_entity).map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(no_tls12())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }

    fn requires_raw_public_keys(&self) -> bool {
        true
    }
}

/// Runs the handshake to its end and returns the link with the key the
/// other side authenticated with.
/// No read or write waits past `deadline`, if there is one.
fn finish<C, S>(
    mut connection: C,
    socket: TcpStream,
    deadline: Option<Instant>,
) -> Result<TlsLink<C>, PeerError>
where
    C: std::ops::DerefMut<Target = ConnectionCommon<S>>,
    S: SideData,
{
    let _ = socket.set_nodelay(true);
    let mut socket = DeadlineSocket {
        tcp: socket,
        io_timeout: IO_TIMEOUT,
        deadline,
    };
    while connection.is_handshaking() {
        connection.complete_io(&mut socket).map_err(tls_error)?;
    }
    let peer_key = connection
        .peer_certificates()
        .and_then(|certs| certs.first())
        .and_then(|raw| ed25519_key(raw.as_ref()))
        .ok_or_else(|| tls_error("the other device presented no Ed25519 key"))?;
    Ok(TlsLink {
        stream: StreamOwned::new(connection, socket),
        peer_key,
    })
}

/// Connects to a listening device and authenticates both ways.
pub fn dial(
    address: impl ToSocketAddrs,
    key: &PeerKey,
) -> Result<TlsLink<ClientConnection>, PeerError> {
    let addresses: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|error| PeerError::Unreachable {
            detail: format!("the address cannot be read: {error}"),
        })?
        .collect();
    let mut last = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(socket) => {
                let name = ServerName::try_from(SERVER_NAME).expect("a valid name");
                let connection =
                    ClientConnection::new(key.client_config()?, name).map_err(tls_error)?;
                return finish(connection, socket, None);
            }
            Err(error) => last = Some(error),
        }
    }
    Err(PeerError::Unreachable {
        detail: last.map_or_else(|| "no address".to_owned(), |error| error.to_string()),
    })
}

/// A listening device: accepts connections one at a time.
#[derive(Debug)]
pub struct PeerListener {
    listener: TcpListener,
    config: Arc<ServerConfig>,
}

impl PeerListener {
    pub fn bind(address: impl ToSocketAddrs, key: &PeerKey) -> Result<PeerListener, PeerError> {
        let listener = TcpListener::bind(address).map_err(|error| PeerError::Unreachable {
            detail: format!("cannot listen: {error}"),
        })?;
        Ok(PeerListener {
            listener,
            config: key.server_config()?,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, PeerError> {
        self.listener.local_addr().map_err(tls_error)
    }

    /// The next connection, authenticated; an error is about that one
    /// connection only, and the listener goes on.
    pub fn accept(&self) -> Result<TlsLink<ServerConnection>, PeerError> {
        let (socket, _) = self.listener.accept().map_err(tls_error)?;
        self.handshake(socket)
    }

    /// Like [`PeerListener::accept`], but gives up after `wait` with no
    /// device dialling (`None`), so a listener can look up between calls:
    /// whether it should stop, whether the day turned.
    pub fn accept_within(
        &self,
        wait: Duration,
    ) -> Result<Option<TlsLink<ServerConnection>>, PeerError> {
        let until = Instant::now() + wait;
        self.listener.set_nonblocking(true).map_err(tls_error)?;
        let accepted = loop {
            match self.listener.accept() {
                Ok((socket, _)) => break Ok(Some(socket)),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    let Some(left) = until.checked_duration_since(Instant::now()) else {
                        break Ok(None);
                    };
                    std::thread::sleep(left.min(ACCEPT_POLL));
                }
                Err(error) => break Err(tls_error(error)),
            }
        };
        self.listener.set_nonblocking(false).map_err(tls_error)?;
        match accepted? {
            Some(socket) => {
                // Some systems hand on the listener's non-blocking mode.
                socket.set_nonblocking(false).map_err(tls_error)?;
                self.handshake(socket).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The handshake of a device that just dialled, which has
    /// [`HELLO_WAIT`] for it and its hello (the link's first deadline).
    fn handshake(&self, socket: TcpStream) -> Result<TlsLink<ServerConnection>, PeerError> {
        let connection = ServerConnection::new(self.config.clone()).map_err(tls_error)?;
        finish(connection, socket, Some(Instant::now() + HELLO_WAIT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use karte_sync::peer::PeerLink;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn key() -> (PeerKey, [u8; 32]) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
        (PeerKey::from_pkcs8(pkcs8.as_ref()).unwrap(), public)
    }

    #[test]
    fn both_sides_learn_the_others_device_key_and_frames_cross() {
        let (server_key, server_public) = key();
        let (client_key, client_public) = key();
        assert_eq!(server_key.public_key(), server_public);
        let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let mut link = listener.accept().unwrap();
            let frame = link.receive().unwrap();
            link.send(&[frame, b" back".to_vec()].concat()).unwrap();
            link.peer_key()
        });
        let mut link = dial(address, &client_key).unwrap();
        assert_eq!(link.peer_key(), server_public);
        link.send(b"there").unwrap();
        assert_eq!(link.receive().unwrap(), b"there back");
        assert_eq!(server.join().unwrap(), client_public);
    }

    #[test]
    fn a_client_without_a_raw_key_gets_no_connection() {
        let (server_key, _) = key();
        let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || listener.accept().map(|_| ()));
        // A TLS client with no client key at all.
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RawKeyVerifier::new()))
            .with_no_client_auth();
        let name = ServerName::try_from(SERVER_NAME).unwrap();
        let connection = ClientConnection::new(Arc::new(config), name).unwrap();
        let socket = TcpStream::connect(address).unwrap();
        let _ = finish(connection, socket, None).and_then(|mut link| link.receive());
        assert!(server.join().unwrap().is_err());
    }

    #[test]
    fn a_listener_waits_for_a_while_and_then_takes_the_next_device() {
        let (server_key, _) = key();
        let (client_key, _) = key();
        let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
        let address = listener.local_addr().unwrap();
        let started = Instant::now();
        assert!(
            listener
                .accept_within(Duration::from_millis(120))
                .unwrap()
                .is_none()
        );
        assert!(started.elapsed() >= Duration::from_millis(120));
        let client = std::thread::spawn(move || {
            let mut link = dial(address, &client_key).unwrap();
            link.send(b"hello").unwrap();
        });
        let mut link = listener
            .accept_within(Duration::from_secs(10))
            .unwrap()
            .expect("a device dialled");
        assert_eq!(link.receive().unwrap(), b"hello");
        client.join().unwrap();
    }

    #[test]
    fn a_device_that_dials_and_says_nothing_is_dropped_after_the_hello_wait() {
        let (server_key, _) = key();
        let (client_key, _) = key();
        let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
        let address = listener.local_addr().unwrap();

        // No TLS at all.
        let _silent = TcpStream::connect(address).unwrap();
        let started = Instant::now();
        let error = listener.accept().unwrap_err();
        assert_eq!(error.code().as_str(), "peer_unreachable");
        let took = started.elapsed();
        assert!(took < HELLO_WAIT + Duration::from_secs(2), "{took:?}");

        // A handshake, then no hello: the first read fails at the same
        // deadline, counted from the dial.
        let silent = std::thread::spawn(move || dial(address, &client_key));
        let started = Instant::now();
        let mut link = listener.accept().unwrap();
        let error = link.receive().unwrap_err();
        assert_eq!(error.code().as_str(), "peer_unreachable");
        let took = started.elapsed();
        assert!(took < HELLO_WAIT + Duration::from_secs(2), "{took:?}");
        drop(silent.join().unwrap());
    }

    #[test]
    fn a_link_past_its_deadline_fails_however_slowly_bytes_trickle_in() {
        use std::io::Write;
        let (server_key, _) = key();
        let (client_key, _) = key();
        let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
        let address = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut link = dial(address, &client_key).unwrap();
            // A frame of 1000 bytes announced, then a byte every 50 ms:
            // every read waits far less than the I/O timeout.
            link.stream.write_all(&1000u32.to_be_bytes()).unwrap();
            link.stream.flush().unwrap();
            for _ in 0..60 {
                std::thread::sleep(Duration::from_millis(50));
                if link
                    .stream
                    .write_all(b"x")
                    .and_then(|()| link.stream.flush())
                    .is_err()
                {
                    break;
                }
            }
        });
        let mut link = listener.accept().unwrap();
        let started = Instant::now();
        link.set_deadline(Some(started + Duration::from_millis(700)));
        let error = link.receive().unwrap_err();
        let took = started.elapsed();
        assert_eq!(error.code().as_str(), "peer_unreachable");
        assert!(took >= Duration::from_millis(650), "{took:?}");
        assert!(took < Duration::from_millis(1500), "{took:?}");
        drop(link);
        client.join().unwrap();
    }

    #[test]
    fn plain_bytes_are_not_a_handshake() {
        let (server_key, _) = key();
        let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || listener.accept().map(|_| ()));
        let mut socket = TcpStream::connect(address).unwrap();
        use std::io::Write;
        socket.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let error = server.join().unwrap().unwrap_err();
        assert_eq!(error.code().as_str(), "peer_unreachable");
    }
}
