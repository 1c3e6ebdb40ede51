//! TLS for `rediss://` (the `tls` feature): [`TlsConfig`], the rustls client configuration built
//! from it, and the handshake over an open TCP stream.
//!
//! Server certificates are verified by default, against Mozilla's root store (`webpki-roots`)
//! or the CAs given with [`TlsConfig::ca_pem`]. Only
//! [`TlsConfig::danger_accept_invalid_certs`] turns verification off.
//!
//! Imports from `error` and the rustls crates only.

use crate::error::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// How a `rediss://` connection sets up TLS: which CAs to trust, the client certificate for
/// mutual TLS, and the name to verify the server's certificate against.
///
/// The default verifies the server against Mozilla's root store (compiled in from
/// `webpki-roots`) and the host name or IP address sider connects to. Hand it to
/// [`Config::tls`](crate::Config::tls):
///
/// ```no_run
/// use sider::{Config, TlsConfig};
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let tls = TlsConfig::new()
///     .ca_pem(std::fs::read("ca.crt")?) // trust this CA (instead of the built-in roots)
///     .client_cert_pem(std::fs::read("client.crt")?, std::fs::read("client.key")?)
///     .server_name("redis.internal"); // the name in the server's certificate
/// let config = Config::tcp("10.0.0.5", 6380).tls(tls);
/// # Ok(()) }
/// ```
///
/// Certificates and keys are parsed on the first connection; a malformed one fails it with
/// [`ErrorKind::Config`](crate::ErrorKind::Config). The client key never shows in `Debug` output.
#[derive(Clone, Default)]
pub struct TlsConfig {
    ca_pem: Vec<u8>,
    client_auth: Option<(Vec<u8>, Vec<u8>)>,
    server_name: Option<String>,
    accept_invalid_certs: bool,
    /// The rustls configuration, built once and shared by every connection made with this
    /// configuration, so that reconnects can resume the TLS session. Each setter starts afresh.
    built: Arc<OnceLock<Result<Arc<ClientConfig>, Error>>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("custom_ca", &!self.ca_pem.is_empty())
            .field(
                "client_cert",
                &self.client_auth.as_ref().map(|_| "<key redacted>"),
            )
            .field("server_name", &self.server_name)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl TlsConfig {
    /// Verifies the server against Mozilla's root store, with no client certificate.
    pub fn new() -> TlsConfig {
        TlsConfig::default()
    }

    /// Trusts the CA certificates in `pem` (one or more `BEGIN CERTIFICATE` blocks) instead of
    /// the built-in root store. Called again, it adds to the CAs already given.
    #[must_use]
    pub fn ca_pem(mut self, pem: impl AsRef<[u8]>) -> TlsConfig {
        self.ca_pem.extend_from_slice(pem.as_ref());
        self.ca_pem.push(b'\n');
        self.changed()
    }

    /// Presents a client certificate (mutual TLS, `tls-auth-clients yes` on the server):
    /// `cert_chain` holds the certificate then any intermediates, `key` its private key
    /// (PKCS#8, PKCS#1 or SEC1), both PEM.
    #[must_use]
    pub fn client_cert_pem(
        mut self,
        cert_chain: impl AsRef<[u8]>,
        key: impl AsRef<[u8]>,
    ) -> TlsConfig {
        self.client_auth = Some((cert_chain.as_ref().to_vec(), key.as_ref().to_vec()));
        self.changed()
    }

    /// Verifies the server's certificate against `name` (and sends it as SNI) instead of the
    /// host connected to: for servers reached by an IP address or a name their certificate
    /// does not list.
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> TlsConfig {
        self.server_name = Some(name.into());
        self
    }

    /// **Turns off server certificate verification**: any certificate is accepted, from any
    /// issuer, for any name, expired or not. Traffic is still encrypted, but anyone on the path
    /// can pose as the server and read the password and every command. For tests against a
    /// server with a throwaway certificate; in production, give its CA with
    /// [`ca_pem`](Self::ca_pem) instead.
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self) -> TlsConfig {
        self.accept_invalid_certs = true;
        self.changed()
    }

    fn changed(mut self) -> TlsConfig {
        self.built = Arc::default();
        self
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>, Error> {
        self.built
            .get_or_init(|| self.build().map(Arc::new))
            .clone()
    }

    fn build(&self) -> Result<ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("TLS: {e}")))?;
        let builder = if self.accept_invalid_certs {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        match &self.client_auth {
            None => Ok(builder.with_no_client_auth()),
            Some((chain, key)) => {
                let chain = CertificateDer::pem_slice_iter(chain)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        Error::config(format!("TLS: reading the client certificate: {e}"))
                    })?;
                if chain.is_empty() {
                    return Err(Error::config(
                        "TLS: the client certificate PEM holds no certificate",
                    ));
                }
                // The parser's error could quote the key file: say only that it failed.
                let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| {
                    Error::config("TLS: the client key PEM holds no readable private key")
                })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| Error::config(format!("TLS: the client certificate: {e}")))
            }
        }
    }

    fn roots(&self) -> Result<RootCertStore, Error> {
        let mut roots = RootCertStore::empty();
        if self.ca_pem.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            return Ok(roots);
        }
        for cert in CertificateDer::pem_slice_iter(&self.ca_pem) {
            let cert = cert.map_err(|e| Error::config(format!("TLS: reading the CA PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::config(format!("TLS: a CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(Error::config("TLS: the CA PEM holds no certificate"));
        }
        Ok(roots)
    }
}

/// Runs the TLS handshake on `tcp`, verifying the server as `host` (or the configured name).
pub(crate) async fn handshake(
    tls: &TlsConfig,
    host: &str,
    addr: &super::Addr,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, Error> {
    let name = tls.server_name.as_deref().unwrap_or(host);
    let server_name = ServerName::try_from(name.to_owned())
        .map_err(|_| Error::config(format!("TLS: `{name}` is not a valid server name")))?;
    let connector = TlsConnector::from(tls.client_config()?);
    connector
        .connect(server_name, tcp)
        .await
        .map_err(|e| io_error(format!("TLS handshake with {addr} as `{name}`"), e))
}

/// An I/O error, or a [`Tls`](crate::ErrorKind::Tls) error when rustls raised it: a
/// certificate the server refused surfaces on the first read after the handshake.
pub(crate) fn io_error(context: String, e: io::Error) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired)) => {
            Error::tls(
                format!("{context} (the server wants a client certificate: see TlsConfig::client_cert_pem)"),
                e,
            )
        }
        Some(_) => Error::tls(context, e),
        None => Error::io(context, e),
    }
}

/// The verifier behind [`TlsConfig::danger_accept_invalid_certs`]: any certificate passes, but
/// the handshake signatures are still checked, so the session is at least bound to the key of
/// the certificate the server sent.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_client_key() {
        let tls = TlsConfig::new().client_cert_pem("cert", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0");
        let debug = format!("{tls:?}");
        assert!(!debug.contains("c2VjcmV0"), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }

    #[test]
    fn malformed_pem_is_a_config_error() {
        let err = TlsConfig::new()
            .ca_pem("not a pem")
            .client_config()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("no certificate"), "{err}");
        assert!(TlsConfig::new().client_config().is_ok());
        assert!(TlsConfig::new()
            .danger_accept_invalid_certs()
            .client_config()
            .is_ok());
    }
}
