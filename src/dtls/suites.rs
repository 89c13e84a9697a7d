//! The cipher suites this engine implements and their parameters.

/// How the premaster secret is agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchange {
    /// Anonymous ECDHE on P-256: no certificate, no signature (OCF Just Works).
    EcdhAnon,
    /// ECDHE on P-256 mixed with a pre-shared key (RFC 5489).
    EcdhePsk,
    /// Plain pre-shared key (RFC 4279).
    Psk,
    /// ECDHE on P-256 signed with an ECDSA P-256 certificate key.
    EcdheEcdsa,
}

/// How records are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordCipher {
    /// AES-128-CBC, MAC-then-encrypt with HMAC-SHA256.
    CbcSha256,
    /// AES-128-CBC, MAC-then-encrypt with HMAC-SHA1.
    CbcSha1,
    /// AES-128-CCM with an 8-byte tag.
    Ccm8,
    /// AES-128-CCM with a 16-byte tag.
    Ccm16,
}

/// The supported cipher suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// 0xFF00 TLS_ECDH_ANON_WITH_AES_128_CBC_SHA256: OCF Just Works (private code point).
    EcdhAnonWithAes128CbcSha256,
    /// 0xC037 TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256: OCF Random PIN and owner sessions.
    EcdhePskWithAes128CbcSha256,
    /// 0xC0A8 TLS_PSK_WITH_AES_128_CCM_8.
    PskWithAes128Ccm8,
    /// 0xC0AE TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: OCF manufacturer certificate.
    EcdheEcdsaWithAes128Ccm8,
    /// 0xC0AC TLS_ECDHE_ECDSA_WITH_AES_128_CCM.
    EcdheEcdsaWithAes128Ccm,
    /// 0xC018 TLS_ECDH_anon_WITH_AES_128_CBC_SHA. **Interop testing only**: the same
    /// handshake as 0xFF00 with an HMAC-SHA1 record MAC, so OpenSSL can check our
    /// anonymous handshake. Never enabled by default; no OCF device uses it.
    EcdhAnonWithAes128CbcShaTestOnly,
}

impl CipherSuite {
    /// The suite's IANA name (0xFF00 is OCF's private code point).
    pub fn name(self) -> &'static str {
        match self {
            CipherSuite::EcdhAnonWithAes128CbcSha256 => "TLS_ECDH_ANON_WITH_AES_128_CBC_SHA256",
            CipherSuite::EcdhePskWithAes128CbcSha256 => "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
            CipherSuite::PskWithAes128Ccm8 => "TLS_PSK_WITH_AES_128_CCM_8",
            CipherSuite::EcdheEcdsaWithAes128Ccm8 => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
            CipherSuite::EcdheEcdsaWithAes128Ccm => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
            CipherSuite::EcdhAnonWithAes128CbcShaTestOnly => "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        }
    }

    /// The default: the authenticated OCF suites, in preference order. The
    /// anonymous 0xFF00 is left out on purpose: a peer that offers it next to an
    /// authenticated suite can be downgraded to no authentication, so enable it
    /// explicitly, and alone, for Just Works ownership transfer.
    pub const OCF_DEFAULT: &'static [CipherSuite] = &[
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm,
    ];

    /// Every OCF suite this engine implements (0xFF00 included, test-only 0xC018 not).
    pub const OCF_ALL: &'static [CipherSuite] = &[
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm,
        CipherSuite::EcdhAnonWithAes128CbcSha256,
    ];

    pub fn code(self) -> u16 {
        match self {
            CipherSuite::EcdhAnonWithAes128CbcSha256 => 0xFF00,
            CipherSuite::EcdhePskWithAes128CbcSha256 => 0xC037,
            CipherSuite::PskWithAes128Ccm8 => 0xC0A8,
            CipherSuite::EcdheEcdsaWithAes128Ccm8 => 0xC0AE,
            CipherSuite::EcdheEcdsaWithAes128Ccm => 0xC0AC,
            CipherSuite::EcdhAnonWithAes128CbcShaTestOnly => 0xC018,
        }
    }

    pub fn from_code(code: u16) -> Option<CipherSuite> {
        [
            CipherSuite::EcdhAnonWithAes128CbcSha256,
            CipherSuite::EcdhePskWithAes128CbcSha256,
            CipherSuite::PskWithAes128Ccm8,
            CipherSuite::EcdheEcdsaWithAes128Ccm8,
            CipherSuite::EcdheEcdsaWithAes128Ccm,
            CipherSuite::EcdhAnonWithAes128CbcShaTestOnly,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn key_exchange(self) -> KeyExchange {
        match self {
            CipherSuite::EcdhAnonWithAes128CbcSha256
            | CipherSuite::EcdhAnonWithAes128CbcShaTestOnly => KeyExchange::EcdhAnon,
            CipherSuite::EcdhePskWithAes128CbcSha256 => KeyExchange::EcdhePsk,
            CipherSuite::PskWithAes128Ccm8 => KeyExchange::Psk,
            CipherSuite::EcdheEcdsaWithAes128Ccm8 | CipherSuite::EcdheEcdsaWithAes128Ccm => {
                KeyExchange::EcdheEcdsa
            }
        }
    }

    pub fn record_cipher(self) -> RecordCipher {
        match self {
            CipherSuite::EcdhAnonWithAes128CbcSha256 | CipherSuite::EcdhePskWithAes128CbcSha256 => {
                RecordCipher::CbcSha256
            }
            CipherSuite::EcdhAnonWithAes128CbcShaTestOnly => RecordCipher::CbcSha1,
            CipherSuite::PskWithAes128Ccm8 | CipherSuite::EcdheEcdsaWithAes128Ccm8 => {
                RecordCipher::Ccm8
            }
            CipherSuite::EcdheEcdsaWithAes128Ccm => RecordCipher::Ccm16,
        }
    }

    /// (MAC key, encryption key, fixed IV) lengths from the key block.
    pub fn key_lengths(self) -> (usize, usize, usize) {
        match self.record_cipher() {
            RecordCipher::CbcSha256 => (32, 16, 0),
            RecordCipher::CbcSha1 => (20, 16, 0),
            RecordCipher::Ccm8 | RecordCipher::Ccm16 => (0, 16, 4),
        }
    }

    /// 2·(mac + key + fixed IV): 96 for CBC_SHA256, 40 for AES-128-CCM(_8).
    pub fn key_block_len(self) -> usize {
        let (m, k, i) = self.key_lengths();
        2 * (m + k + i)
    }

    pub fn uses_psk(self) -> bool {
        matches!(
            self.key_exchange(),
            KeyExchange::EcdhePsk | KeyExchange::Psk
        )
    }

    pub fn uses_ecdhe(self) -> bool {
        !matches!(self.key_exchange(), KeyExchange::Psk)
    }

    pub fn uses_certificates(self) -> bool {
        matches!(self.key_exchange(), KeyExchange::EcdheEcdsa)
    }
}
