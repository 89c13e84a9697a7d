//! DTLS credentials from the command line: a PSK identity with its key on
//! stdin, or PEM certificates and keys from files.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use uuid::Uuid;

use super::args::DtlsArgs;
use super::exit::{Exit, failure};
use super::input::{PEM_LIMIT, SECRET_LIMIT, read_file, read_text};
use crate::dtls::{CertifiedKey, CipherSuite, ClientConfig};

/// The DTLS client configuration the arguments describe.
pub fn client_config(args: &DtlsArgs, stdin: &mut dyn Read) -> anyhow::Result<Arc<ClientConfig>> {
    if let Some(identity) = &args.psk_identity {
        let identity = psk_identity(identity)?;
        let key = read_hex_key(stdin)?;
        let config = ClientConfig::new(&[
            CipherSuite::EcdhePskWithAes128CbcSha256,
            CipherSuite::PskWithAes128Ccm8,
        ])
        .with_psk(&identity, &key);
        return Ok(Arc::new(config));
    }
    if args.ca.is_empty() {
        return Err(failure(
            Exit::Usage,
            "coaps:// needs credentials: --psk-identity ID --psk-stdin (key as hex on stdin), \
             or --ca FILE (with --cert FILE --key FILE for mutual authentication)",
        ));
    }
    let mut config = ClientConfig::new(&[
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm,
    ]);
    for ca in &args.ca {
        config.common.trust_anchors.extend(certificates(ca)?);
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let chain = certificates(cert)?;
        let key = private_key(key)?;
        let certified = CertifiedKey::new(chain, &key)
            .map_err(|e| failure(Exit::Usage, format!("{}: {e}", cert.display())))?;
        config.common.certificate = Some(certified);
    }
    Ok(Arc::new(config))
}

/// `uuid:<UUID>` is the UUID's 16 raw bytes; anything else is UTF-8 text.
pub fn psk_identity(text: &str) -> anyhow::Result<Vec<u8>> {
    match text.strip_prefix("uuid:") {
        Some(uuid) => Uuid::parse_str(uuid)
            .map(|u| u.as_bytes().to_vec())
            .map_err(|e| {
                failure(
                    Exit::Usage,
                    format!("--psk-identity {text:?}: not a UUID after uuid: ({e})"),
                )
            }),
        None if text.is_empty() => Err(failure(Exit::Usage, "--psk-identity is empty")),
        None => Ok(text.as_bytes().to_vec()),
    }
}

/// Reads a pre-shared key as hex from stdin (whitespace ignored).
pub fn read_hex_key(stdin: &mut dyn Read) -> anyhow::Result<Vec<u8>> {
    let text = read_text(stdin, SECRET_LIMIT, "the key on stdin (--psk-stdin)")?;
    let hex: String = text.split_whitespace().collect();
    let bad = || {
        failure(
            Exit::Usage,
            "the key on stdin must be hex digits, 2 to 128 of them (1 to 64 bytes)",
        )
    };
    if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 128 {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

pub(crate) fn certificates(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let pem = read_file(path, PEM_LIMIT, &path.display().to_string())?;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| failure(Exit::Usage, format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(failure(
            Exit::Usage,
            format!("{}: no PEM certificate in it", path.display()),
        ));
    }
    Ok(certs)
}

/// A P-256 private key as PKCS#8 DER, from a PKCS#8 or SEC1 PEM file.
fn private_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    use p256::pkcs8::EncodePrivateKey;
    let pem = read_file(path, PEM_LIMIT, &path.display().to_string())?;
    let key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| failure(Exit::Usage, format!("{}: {e}", path.display())))?;
    match key {
        PrivateKeyDer::Pkcs8(der) => Ok(der.secret_pkcs8_der().to_vec()),
        PrivateKeyDer::Sec1(der) => p256::SecretKey::from_sec1_der(der.secret_sec1_der())
            .ok()
            .and_then(|k| k.to_pkcs8_der().ok())
            .map(|doc| doc.as_bytes().to_vec())
            .ok_or_else(|| failure(Exit::Usage, format!("{}: not a P-256 key", path.display()))),
        _ => Err(failure(
            Exit::Usage,
            format!("{}: only P-256 EC keys are supported", path.display()),
        )),
    }
}
