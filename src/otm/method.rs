//! The ownership transfer methods and what each uses on the wire.

use crate::dtls::CipherSuite;

/// An ownership transfer method (doxm `oxms` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// oxm 0: anonymous ECDH (0xFF00); anyone on the link can own the device.
    JustWorks,
    /// oxm 1: a PIN shown by the device keys an ECDHE-PSK session (0xC037).
    RandomPin,
    /// oxm 2: the device proves itself with a manufacturer certificate.
    ManufacturerCertificate,
}

impl Method {
    pub fn oxm(self) -> u64 {
        match self {
            Method::JustWorks => 0,
            Method::RandomPin => 1,
            Method::ManufacturerCertificate => 2,
        }
    }

    pub fn from_oxm(oxm: u64) -> Option<Method> {
        match oxm {
            0 => Some(Method::JustWorks),
            1 => Some(Method::RandomPin),
            2 => Some(Method::ManufacturerCertificate),
            _ => None,
        }
    }

    /// The short name used on the command line and in the state file.
    pub fn name(self) -> &'static str {
        match self {
            Method::JustWorks => "jw",
            Method::RandomPin => "rdp",
            Method::ManufacturerCertificate => "mfg",
        }
    }

    /// The label of the owner PSK derivation (FACTS §2.2).
    pub fn urn(self) -> &'static str {
        match self {
            Method::JustWorks => "oic.sec.doxm.jw",
            Method::RandomPin => "oic.sec.doxm.rdp",
            Method::ManufacturerCertificate => "oic.sec.doxm.mfgcert",
        }
    }

    /// The suites the device ownership connection may use.
    pub fn cipher_suites(self) -> &'static [CipherSuite] {
        match self {
            Method::JustWorks => &[CipherSuite::EcdhAnonWithAes128CbcSha256],
            Method::RandomPin => &[CipherSuite::EcdhePskWithAes128CbcSha256],
            Method::ManufacturerCertificate => &[
                CipherSuite::EcdheEcdsaWithAes128Ccm8,
                CipherSuite::EcdheEcdsaWithAes128Ccm,
            ],
        }
    }

    /// `auto`: a manufacturer certificate when trust anchors are configured,
    /// else Just Works, else Random PIN (the order of preference).
    pub fn choose(oxms: &[u64], have_mfg_anchors: bool) -> Option<Method> {
        let offered = |m: Method| oxms.contains(&m.oxm());
        if have_mfg_anchors && offered(Method::ManufacturerCertificate) {
            return Some(Method::ManufacturerCertificate);
        }
        [Method::JustWorks, Method::RandomPin]
            .into_iter()
            .find(|m| offered(*m))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::JustWorks => "Just Works",
            Method::RandomPin => "Random PIN",
            Method::ManufacturerCertificate => "manufacturer certificate",
        })
    }
}
