//! The client side of the handshake (flights 1, 3 and 5 of RFC 6347 §4.2.4).

use super::messages::*;
use super::psk_premaster;
use super::reassembly::Message;
use crate::dtls::cert::{PeerRole, verify_chain, verify_leaf_signature};
use crate::dtls::codec::{Reader, put_vec8, put_vec16};
use crate::dtls::connection::{Connection, Event, Side, State};
use crate::dtls::error::{AlertDescription, Error};
use crate::dtls::record::DTLS12;
use crate::dtls::suites::{CipherSuite, KeyExchange};

fn ext(typ: u16, data: Vec<u8>) -> Extension {
    Extension { typ, data }
}

impl Connection {
    fn client_config(&self) -> &crate::dtls::config::ClientConfig {
        match &self.side {
            Side::Client(c) => c,
            Side::Server(_) => unreachable!("client code on a server connection"),
        }
    }

    /// Flight 1: the first ClientHello, laid out like the reference OCF device's:
    /// suites + renegotiation SCSV, then supported_groups, signature_algorithms,
    /// ec_point_formats, extended_master_secret; no encrypt-then-MAC.
    pub(crate) fn client_start(&mut self) -> Result<(), Error> {
        let mut random = [0u8; 32];
        self.rng.fill(&mut random);
        self.hs.client_random = random;
        let suites = &self.client_config().common.cipher_suites;
        let mut codes: Vec<u16> = suites.iter().map(|s| s.code()).collect();
        codes.push(SCSV_RENEGOTIATION);
        let mut extensions = Vec::new();
        if suites.iter().any(|s| s.uses_ecdhe()) {
            let mut groups = Vec::new();
            put_vec16(&mut groups, &GROUP_SECP256R1.to_be_bytes());
            extensions.push(ext(EXT_SUPPORTED_GROUPS, groups));
        }
        let mut sigs = Vec::new();
        put_vec16(&mut sigs, &SIG_ECDSA_SECP256R1_SHA256.to_be_bytes());
        extensions.push(ext(EXT_SIGNATURE_ALGORITHMS, sigs));
        if suites.iter().any(|s| s.uses_ecdhe()) {
            let mut pf = Vec::new();
            put_vec8(&mut pf, &[0]); // uncompressed
            extensions.push(ext(EXT_EC_POINT_FORMATS, pf));
        }
        extensions.push(ext(EXT_EXTENDED_MASTER_SECRET, Vec::new()));
        let ch = ClientHello {
            version: DTLS12,
            random,
            session_id: Vec::new(),
            cookie: Vec::new(),
            cipher_suites: codes,
            compression_methods: vec![0],
            extensions,
        };
        self.begin_flight();
        self.queue_handshake(CLIENT_HELLO, ch.encode());
        self.hs.client_hello = Some(ch);
        self.send_flight(true);
        Ok(())
    }

    pub(crate) fn client_message(&mut self, m: Message) -> Result<(), Error> {
        match (self.state, m.msg_type) {
            (State::ClientWaitServerHello, SERVER_HELLO) => self.client_server_hello(&m),
            (State::ClientWaitServerHelloDone { rank }, t) => {
                let new_rank = match t {
                    CERTIFICATE => 1,
                    SERVER_KEY_EXCHANGE => 2,
                    CERTIFICATE_REQUEST => 3,
                    SERVER_HELLO_DONE => 4,
                    _ => return Err(Error::UnexpectedMessage),
                };
                if new_rank <= rank {
                    return Err(Error::UnexpectedMessage);
                }
                self.add_to_transcript(&m);
                match t {
                    CERTIFICATE => self.client_certificate(&m.body)?,
                    SERVER_KEY_EXCHANGE => self.client_ske(&m.body, rank)?,
                    CERTIFICATE_REQUEST => self.client_cert_request(&m.body)?,
                    _ => return self.client_hello_done(&m.body, rank),
                }
                self.state = State::ClientWaitServerHelloDone { rank: new_rank };
                Ok(())
            }
            (State::WaitFinished, FINISHED) => {
                self.check_finished(&m)?;
                self.stop_timer();
                self.connected();
                Ok(())
            }
            _ => Err(Error::UnexpectedMessage),
        }
    }

    /// Flight 3: the same ClientHello with the cookie of a HelloVerifyRequest. The
    /// ClientHellos without the right cookie and the HelloVerifyRequests stay out
    /// of the transcript (RFC 6347 §4.2.1). Returns `false` for a copy of a
    /// HelloVerifyRequest already answered (the caller treats it as a retransmission).
    ///
    /// A server may ask again with another cookie (its secret rotated, or the first
    /// ClientHello was damaged on the way): we answer up to `MAX_COOKIES` times,
    /// numbering the ClientHello anew, and expect the ServerHello to carry that
    /// number, as stateless servers (OpenSSL, mbedTLS) do.
    pub(crate) fn client_hello_verify(&mut self, body: &[u8]) -> Result<bool, Error> {
        const MAX_COOKIES: u8 = 4;
        let cookie = parse_hello_verify_request(body)?;
        let Some(mut ch) = self.hs.client_hello.take() else {
            return Ok(true);
        };
        if ch.cookie == cookie || self.hs.cookies_used >= MAX_COOKIES {
            let same = ch.cookie == cookie;
            self.hs.client_hello = Some(ch);
            return Ok(!same);
        }
        self.hs.cookies_used += 1;
        ch.cookie = cookie;
        self.hs.transcript.clear();
        self.reasm.clear();
        self.next_recv_seq = self.next_send_seq;
        self.begin_flight();
        self.queue_handshake(CLIENT_HELLO, ch.encode());
        self.hs.client_hello = Some(ch);
        self.send_flight(true);
        Ok(true)
    }

    fn client_server_hello(&mut self, m: &Message) -> Result<(), Error> {
        let sh = ServerHello::parse(&m.body)?;
        let fail = |a| Err(Error::HandshakeFailure(a));
        if sh.version != DTLS12 {
            return fail(AlertDescription::ProtocolVersion);
        }
        let offered = CipherSuite::from_code(sh.cipher_suite)
            .filter(|suite| self.client_config().common.cipher_suites.contains(suite));
        let Some(suite) = offered else {
            return Err(Error::SuiteNotOffered(sh.cipher_suite));
        };
        if sh.compression_method != 0 {
            return fail(AlertDescription::IllegalParameter);
        }
        for e in &sh.extensions {
            match e.typ {
                EXT_RENEGOTIATION_INFO => {
                    // Initial handshake: renegotiated_connection must be empty.
                    if e.data != [0] {
                        return fail(AlertDescription::HandshakeFailure);
                    }
                }
                EXT_EXTENDED_MASTER_SECRET => {
                    if !e.data.is_empty() {
                        return Err(Error::DecodeError);
                    }
                    self.hs.ems = true;
                }
                EXT_EC_POINT_FORMATS => {}
                // Anything we did not offer (encrypt_then_mac included) is fatal.
                _ => return fail(AlertDescription::UnsupportedExtension),
            }
        }
        self.hs.server_random = sh.random;
        self.hs.suite = Some(suite);
        self.hs.client_hello = None;
        self.add_to_transcript(m);
        self.state = State::ClientWaitServerHelloDone { rank: 0 };
        Ok(())
    }

    fn client_certificate(&mut self, body: &[u8]) -> Result<(), Error> {
        let suite = self.hs.suite.ok_or(Error::UnexpectedMessage)?;
        if !suite.uses_certificates() {
            return Err(Error::UnexpectedMessage);
        }
        let chain = parse_certificate(body)?;
        let common = &self.client_config().common;
        verify_chain(
            &chain,
            &common.trust_anchors,
            (common.wall_clock)(),
            PeerRole::Server,
        )?;
        self.hs.peer_chain = chain.clone();
        self.push_event(Event::PeerCertificates(chain));
        Ok(())
    }

    fn client_ske(&mut self, body: &[u8], rank: u8) -> Result<(), Error> {
        let suite = self.hs.suite.ok_or(Error::UnexpectedMessage)?;
        let mut r = Reader::new(body);
        match suite.key_exchange() {
            KeyExchange::EcdhAnon => {
                self.hs.peer_point = Some(parse_ecdh_params(&mut r)?.to_vec());
            }
            KeyExchange::EcdhePsk => {
                self.hs.psk_hint = Some(r.vec16()?.to_vec());
                self.hs.peer_point = Some(parse_ecdh_params(&mut r)?.to_vec());
            }
            KeyExchange::Psk => {
                self.hs.psk_hint = Some(r.vec16()?.to_vec());
            }
            KeyExchange::EcdheEcdsa => {
                if rank < 1 {
                    return Err(Error::UnexpectedMessage);
                }
                let params_start = body.len() - r.remaining();
                let point = parse_ecdh_params(&mut r)?.to_vec();
                let params_end = body.len() - r.remaining();
                let sig = parse_signed(&mut r)?;
                let mut signed = Vec::with_capacity(64 + params_end - params_start);
                signed.extend_from_slice(&self.hs.client_random);
                signed.extend_from_slice(&self.hs.server_random);
                signed.extend_from_slice(&body[params_start..params_end]);
                let leaf = self.hs.peer_chain.first().ok_or(Error::UnexpectedMessage)?;
                verify_leaf_signature(leaf, &signed, sig)?;
                self.hs.peer_point = Some(point);
            }
        }
        r.finish()
    }

    fn client_cert_request(&mut self, body: &[u8]) -> Result<(), Error> {
        let suite = self.hs.suite.ok_or(Error::UnexpectedMessage)?;
        if !suite.uses_certificates() {
            return Err(Error::UnexpectedMessage);
        }
        // If we cannot answer with ECDSA P-256 we still send an (empty) Certificate.
        let usable = parse_certificate_request(body)?;
        self.hs.cert_requested = true;
        self.hs.cert_usable = usable;
        Ok(())
    }

    /// Flight 5: [Certificate] ClientKeyExchange [CertificateVerify] ChangeCipherSpec Finished.
    fn client_hello_done(&mut self, body: &[u8], rank: u8) -> Result<(), Error> {
        if !body.is_empty() {
            return Err(Error::DecodeError);
        }
        let suite = self.hs.suite.ok_or(Error::UnexpectedMessage)?;
        // ECDHE suites need a ServerKeyExchange (after the Certificate for ECDSA).
        if suite.uses_ecdhe() && rank < 2 {
            return Err(Error::UnexpectedMessage);
        }
        self.begin_flight();
        // The shared configuration, not a copy of our chain.
        let cfg = match &self.side {
            Side::Client(c) => c.clone(),
            Side::Server(_) => unreachable!("client code on a server connection"),
        };
        let own_cert = if self.hs.cert_requested && self.hs.cert_usable {
            cfg.common.certificate.as_ref()
        } else {
            None
        };
        if self.hs.cert_requested {
            let chain = own_cert.map(|c| c.chain.as_slice()).unwrap_or_default();
            self.queue_handshake(CERTIFICATE, encode_certificate(chain));
        }

        let mut cke = Vec::new();
        let mut psk = None;
        if suite.uses_psk() {
            let cb = self
                .client_config()
                .psk
                .clone()
                .ok_or(Error::Config("a PSK suite needs a PSK callback".into()))?;
            let choice = cb(self.hs.psk_hint.as_deref()).ok_or(Error::UnknownPskIdentity)?;
            if choice.identity.len() > u16::MAX as usize || choice.key.len() > u16::MAX as usize {
                return Err(Error::Config(
                    "PSK identity or key longer than 65535 bytes".into(),
                ));
            }
            put_vec16(&mut cke, &choice.identity);
            self.hs.psk_identity = Some(choice.identity);
            psk = Some(choice.key);
        }
        let mut shared = None;
        if suite.uses_ecdhe() {
            let k = self.take_ephemeral_key();
            let peer = self.hs.peer_point.take().ok_or(Error::UnexpectedMessage)?;
            put_vec8(&mut cke, k.public());
            shared = Some(k.agree(&peer)?);
        }
        self.queue_handshake(CLIENT_KEY_EXCHANGE, cke);
        let premaster = match (psk, shared) {
            (Some(psk), other) => psk_premaster(other.as_deref(), &psk),
            (None, Some(z)) => z,
            (None, None) => return Err(Error::UnexpectedMessage),
        };
        self.compute_master(&premaster);

        if let Some(c) = own_cert {
            let sig = c.signer.sign(&self.hs.transcript);
            let mut cv = Vec::new();
            encode_signed(&mut cv, &sig);
            self.queue_handshake(CERTIFICATE_VERIFY, cv);
        }
        self.derive_keys();
        self.queue_ccs();
        let fin = self.finished_data(true);
        self.queue_handshake(FINISHED, fin);
        self.send_flight(true);
        self.state = State::WaitFinished;
        Ok(())
    }
}
