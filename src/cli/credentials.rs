//! DTLS credentials from the command line: a PSK identity with its key on
//! stdin, or PEM certificates and keys from files. Keys never come from
//! argv.

use std::io::Read;
use std::path::Path;

use super::args::DtlsArgs;
use super::exit::{Exit, failure};
use super::input::{PEM_LIMIT, SECRET_LIMIT, read_file, read_text};
use crate::dtls::CertifiedKey;
use crate::ocf::credentials::{
    Credentials, certificates_from_pem, private_key_from_pem, psk_from_hex, psk_identity,
};

/// The credentials the arguments describe; `None` when none were given.
pub fn credentials(args: &DtlsArgs, stdin: &mut dyn Read) -> anyhow::Result<Option<Credentials>> {
    if let Some(identity) = &args.psk_identity {
        let identity = psk_identity(identity)
            .map_err(|e| failure(Exit::Usage, format!("--psk-identity: {e}")))?;
        let key = read_hex_key(stdin)?;
        return Ok(Some(Credentials::Psk { identity, key }));
    }
    if args.ca.is_empty() {
        return Ok(None);
    }
    let mut trust_anchors = Vec::new();
    for ca in &args.ca {
        trust_anchors.extend(certificates(ca)?);
    }
    let own = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cert)?;
            let pem = read_file(key, PEM_LIMIT, &key.display().to_string())?;
            let key_der = private_key_from_pem(&pem)
                .map_err(|e| failure(Exit::Usage, format!("{}: {e}", key.display())))?;
            Some(
                CertifiedKey::new(chain, &key_der)
                    .map_err(|e| failure(Exit::Usage, format!("{}: {e}", cert.display())))?,
            )
        }
        _ => None,
    };
    Ok(Some(Credentials::Certificates { trust_anchors, own }))
}

/// Reads a pre-shared key as hex from stdin (whitespace ignored).
fn read_hex_key(stdin: &mut dyn Read) -> anyhow::Result<Vec<u8>> {
    let text = read_text(stdin, SECRET_LIMIT, "the key on stdin (--psk-stdin)")?;
    psk_from_hex(&text).map_err(|e| failure(Exit::Usage, format!("the key on stdin: {e}")))
}

/// The certificates (DER) of a PEM file.
pub(crate) fn certificates(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    certificates_from_pem(&read_file(path, PEM_LIMIT, &path.display().to_string())?)
        .map_err(|e| failure(Exit::Usage, format!("{}: {e}", path.display())))
}
