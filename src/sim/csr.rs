//! The device's own key pair and `/oic/sec/csr`: a PKCS#10 request for an
//! identity certificate (CN `uuid:<di>`), built by hand in DER, signed with
//! ECDSA P-256 / SHA-256 (ring's, as a device's native code would).

use base64::Engine;
use ciborium::Value as Cbor;
use std::sync::Arc;

use super::identity::{DeviceKey, KeyCache};
use super::repr::{map, text};
use super::state::DeviceState;

/// The device key: the one made with the device, or (for a state saved
/// without one) made now and kept in the state.
pub fn device_key(state: &mut DeviceState) -> Arc<DeviceKey> {
    if let Some(key) = super::identity::device_key(state) {
        return key;
    }
    let (key, hex) = DeviceKey::generate();
    state.device_key = KeyCache::holding(key, &hex);
    state.device_key_hex = hex;
    super::identity::device_key(state).expect("the key just made")
}

/// A CSR made wrong on purpose, for tests of the mediator's checks (as a
/// device with broken firmware would serve it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrFault {
    /// The CN names another UUID than the device's.
    Subject,
    /// A P-384 key instead of P-256.
    P384,
    /// The signature does not verify.
    Signature,
}

/// GET csr: `{csr: PEM, encoding: pem}`.
pub fn representation(state: &DeviceState, key: &DeviceKey, fault: Option<CsrFault>) -> Cbor {
    let der = match fault {
        None => request_der(state, key),
        Some(CsrFault::Subject) => {
            let mut other = state.clone();
            other.di = uuid::Uuid::new_v4();
            request_der(&other, key)
        }
        Some(CsrFault::P384) => p384_request_der(state),
        Some(CsrFault::Signature) => {
            let mut der = request_der(state, key);
            // The last byte is the signature's: change it.
            if let Some(last) = der.last_mut() {
                *last ^= 0x01;
            }
            der
        }
    };
    map(vec![
        ("csr", text(&pem("CERTIFICATE REQUEST", &der))),
        ("encoding", text("oic.sec.encoding.pem")),
    ])
}

/// A well-formed request for `uuid:<di>` with a fresh P-384 key.
fn p384_request_der(state: &DeviceState) -> Vec<u8> {
    let made = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).and_then(|key| {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("uuid:{}", state.di));
        params.serialize_request(&key)
    });
    made.map(|csr| csr.der().to_vec()).unwrap_or_default()
}

/// A DER PKCS#10 certification request for `uuid:<di>`.
pub fn request_der(state: &DeviceState, key: &DeviceKey) -> Vec<u8> {
    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let cn = format!("uuid:{}", state.di);
    let name = tlv(
        0x30,
        &tlv(
            0x31,
            &tlv(
                0x30,
                &[tlv(0x06, OID_CN), tlv(0x0c, cn.as_bytes())].concat(),
            ),
        ),
    );
    let spki = key.public_key_der();
    let info = tlv(
        0x30,
        &[tlv(0x02, &[0]), name, spki, tlv(0xa0, &[])].concat(),
    );
    let mut bits = vec![0u8];
    bits.extend_from_slice(&key.sign(&info));
    tlv(
        0x30,
        &[
            info,
            tlv(0x30, &tlv(0x06, OID_ECDSA_SHA256)),
            tlv(0x03, &bits),
        ]
        .concat(),
    )
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
