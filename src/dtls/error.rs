//! Errors and alert codes.

use std::fmt;

/// TLS alert descriptions (RFC 5246 §7.2, RFC 4279 for PSK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlertDescription {
    CloseNotify,
    UnexpectedMessage,
    BadRecordMac,
    RecordOverflow,
    HandshakeFailure,
    BadCertificate,
    UnsupportedCertificate,
    CertificateExpired,
    CertificateUnknown,
    IllegalParameter,
    UnknownCa,
    AccessDenied,
    DecodeError,
    DecryptError,
    ProtocolVersion,
    InsufficientSecurity,
    InternalError,
    NoRenegotiation,
    UnsupportedExtension,
    UnknownPskIdentity,
    /// Any code this engine does not name.
    Other(u8),
}

impl AlertDescription {
    pub fn from_u8(v: u8) -> Self {
        use AlertDescription::*;
        match v {
            0 => CloseNotify,
            10 => UnexpectedMessage,
            20 => BadRecordMac,
            22 => RecordOverflow,
            40 => HandshakeFailure,
            42 => BadCertificate,
            43 => UnsupportedCertificate,
            45 => CertificateExpired,
            46 => CertificateUnknown,
            47 => IllegalParameter,
            48 => UnknownCa,
            49 => AccessDenied,
            50 => DecodeError,
            51 => DecryptError,
            70 => ProtocolVersion,
            71 => InsufficientSecurity,
            80 => InternalError,
            100 => NoRenegotiation,
            110 => UnsupportedExtension,
            115 => UnknownPskIdentity,
            o => Other(o),
        }
    }

    pub fn to_u8(self) -> u8 {
        use AlertDescription::*;
        match self {
            CloseNotify => 0,
            UnexpectedMessage => 10,
            BadRecordMac => 20,
            RecordOverflow => 22,
            HandshakeFailure => 40,
            BadCertificate => 42,
            UnsupportedCertificate => 43,
            CertificateExpired => 45,
            CertificateUnknown => 46,
            IllegalParameter => 47,
            UnknownCa => 48,
            AccessDenied => 49,
            DecodeError => 50,
            DecryptError => 51,
            ProtocolVersion => 70,
            InsufficientSecurity => 71,
            InternalError => 80,
            NoRenegotiation => 100,
            UnsupportedExtension => 110,
            UnknownPskIdentity => 115,
            Other(o) => o,
        }
    }
}

/// An alert by its name in RFC 5246 §7.2 (`illegal_parameter`), as people
/// and other TLS stacks' logs write it.
impl fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AlertDescription::*;
        let name = match self {
            CloseNotify => "close_notify",
            UnexpectedMessage => "unexpected_message",
            BadRecordMac => "bad_record_mac",
            RecordOverflow => "record_overflow",
            HandshakeFailure => "handshake_failure",
            BadCertificate => "bad_certificate",
            UnsupportedCertificate => "unsupported_certificate",
            CertificateExpired => "certificate_expired",
            CertificateUnknown => "certificate_unknown",
            IllegalParameter => "illegal_parameter",
            UnknownCa => "unknown_ca",
            AccessDenied => "access_denied",
            DecodeError => "decode_error",
            DecryptError => "decrypt_error",
            ProtocolVersion => "protocol_version",
            InsufficientSecurity => "insufficient_security",
            InternalError => "internal_error",
            NoRenegotiation => "no_renegotiation",
            UnsupportedExtension => "unsupported_extension",
            UnknownPskIdentity => "unknown_psk_identity",
            Other(code) => return write!(f, "number {code}"),
        };
        f.write_str(name)
    }
}

/// Why a DTLS connection failed. Every variant is terminal for the connection
/// except where noted on [`crate::dtls::Connection::handle_datagram`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer sent a fatal alert during or after the handshake.
    AlertReceived(AlertDescription),
    /// The handshake could not agree on parameters (no common suite, no common curve, …);
    /// the alert we sent is given.
    HandshakeFailure(AlertDescription),
    /// A record failed authentication after keys were established (bad MAC, bad padding,
    /// bad AEAD tag). Such records are dropped silently while connected; during the
    /// handshake (the Finished) it is fatal.
    BadRecordMac,
    /// A message could not be parsed.
    DecodeError,
    /// A handshake message arrived that the state machine does not expect here.
    UnexpectedMessage,
    /// `send` after the peer closed the connection with close_notify (the close
    /// itself is reported as `Event::Closed { error: None }`).
    PeerClosed,
    /// The peer never answered: all retransmissions of a flight went unanswered.
    Timeout,
    /// The server knows no key for the client's PSK identity (or the client has none for the hint).
    UnknownPskIdentity,
    /// The Finished message did not verify: typically a wrong PSK on one side.
    DecryptError,
    /// The peer's certificate chain or signature is unacceptable.
    CertificateInvalid { reason: String },
    /// The server requires a client certificate and none was sent.
    CertificateRequired,
    /// A configuration problem detected locally (e.g. a certificate suite without a key).
    Config(String),
    /// `send` was called before the handshake completed or after the connection closed.
    NotConnected,
    /// A buffer limit was hit (too much queued or reassembled data).
    LimitExceeded,
    /// The server chose a cipher suite (its code) the client did not offer.
    SuiteNotOffered(u16),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlertReceived(a) => write!(f, "the peer sent the fatal alert {a}"),
            // The alert is the one we sent: say what in the peer's
            // handshake made us send it.
            Error::HandshakeFailure(a) => {
                let why = match a {
                    AlertDescription::IllegalParameter => {
                        "a value in the peer's handshake messages is not acceptable"
                    }
                    AlertDescription::HandshakeFailure => {
                        "the peer and we have no cipher suite, curve or key in common"
                    }
                    AlertDescription::RecordOverflow => {
                        "the peer sent a record larger than allowed"
                    }
                    AlertDescription::DecryptError => "the peer's signature does not verify",
                    _ => "the peer's handshake messages cannot be accepted",
                };
                write!(
                    f,
                    "the DTLS handshake failed: {why} (we sent the alert {a})"
                )
            }
            Error::BadRecordMac => write!(f, "a DTLS record failed authentication"),
            Error::DecodeError => write!(f, "a DTLS message could not be decoded"),
            Error::UnexpectedMessage => write!(f, "an unexpected DTLS handshake message arrived"),
            Error::PeerClosed => write!(f, "the peer closed the DTLS connection"),
            Error::Timeout => write!(f, "the DTLS peer did not answer (handshake timed out)"),
            Error::UnknownPskIdentity => write!(f, "no pre-shared key for this PSK identity"),
            // Which key can be wrong depends on the suite, which only the
            // caller knows (a PSK suite: the pre-shared key; Just Works:
            // none, the peer computed its Finished wrongly).
            Error::DecryptError => write!(
                f,
                "the DTLS Finished did not verify: the two sides did not derive the same keys"
            ),
            Error::CertificateInvalid { reason } => {
                write!(f, "the peer's certificate is not acceptable: {reason}")
            }
            Error::CertificateRequired => write!(f, "a client certificate is required"),
            Error::Config(m) => write!(f, "DTLS configuration error: {m}"),
            Error::NotConnected => write!(f, "the DTLS connection is not established"),
            Error::LimitExceeded => write!(f, "a DTLS buffer limit was exceeded"),
            Error::SuiteNotOffered(code) => write!(
                f,
                "the server chose cipher suite 0x{code:04X}, which was not offered"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The alert we send to the peer when failing with this error.
    pub(crate) fn alert(&self) -> AlertDescription {
        match self {
            Error::AlertReceived(_) | Error::PeerClosed => AlertDescription::CloseNotify,
            Error::HandshakeFailure(a) => *a,
            Error::BadRecordMac => AlertDescription::BadRecordMac,
            Error::DecodeError => AlertDescription::DecodeError,
            Error::UnexpectedMessage => AlertDescription::UnexpectedMessage,
            Error::Timeout => AlertDescription::CloseNotify,
            Error::UnknownPskIdentity => AlertDescription::UnknownPskIdentity,
            Error::DecryptError => AlertDescription::DecryptError,
            Error::CertificateInvalid { .. } => AlertDescription::BadCertificate,
            Error::CertificateRequired => AlertDescription::HandshakeFailure,
            Error::Config(_) | Error::NotConnected => AlertDescription::InternalError,
            Error::LimitExceeded => AlertDescription::InternalError,
            Error::SuiteNotOffered(_) => AlertDescription::IllegalParameter,
        }
    }
}
