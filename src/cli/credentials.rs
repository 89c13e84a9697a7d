//! DTLS credentials from the command line: a PSK identity with its key on
//! stdin, or PEM certificates and keys from files. Keys never come from
//! argv.

use std::io::Read;
use std::path::Path;

use super::args::DtlsArgs;
use super::exit::{Exit, failure};
use crate::dtls::CertifiedKey;
use crate::ocf::credentials::{
    Credentials, certificates_from_pem, private_key_from_pem, psk_from_hex, psk_identity,
};

/// The largest PEM file read (a long chain is a few kilobytes).
const MAX_PEM: u64 = 1 << 20;

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
            let key_der = private_key_from_pem(&read_file(key)?)
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
    let mut text = String::new();
    stdin
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|e| failure(Exit::Usage, format!("cannot read the key from stdin: {e}")))?;
    psk_from_hex(&text).map_err(|e| failure(Exit::Usage, format!("the key on stdin: {e}")))
}

/// The certificates (DER) of a PEM file.
pub(crate) fn certificates(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    certificates_from_pem(&read_file(path)?)
        .map_err(|e| failure(Exit::Usage, format!("{}: {e}", path.display())))
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .map_err(|e| failure(Exit::Usage, format!("cannot read {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failure(Exit::Usage, format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_PEM {
        return Err(failure(
            Exit::Usage,
            format!(
                "{} is larger than {MAX_PEM} bytes; a PEM file is not",
                path.display()
            ),
        ));
    }
    Ok(bytes)
}
