//! The server side of the handshake (flights 4 and 6 of RFC 6347 §4.2.4).

use super::messages::*;
use super::psk_premaster;
use super::reassembly::Message;
use crate::dtls::cert::{PeerRole, verify_chain, verify_leaf_signature};
use crate::dtls::codec::{Reader, put_vec16};
use crate::dtls::config::{ClientAuth, ServerConfig};
use crate::dtls::connection::{Connection, Event, Side, State};
use crate::dtls::cookie::VerifiedHello;
use crate::dtls::error::{AlertDescription, Error};
use crate::dtls::record::DTLS12;
use crate::dtls::suites::{CipherSuite, KeyExchange};

impl Connection {
    fn server_config(&self) -> &ServerConfig {
        match &self.side {
            Side::Server(s) => s,
            Side::Client(_) => unreachable!("server code on a client connection"),
        }
    }

    /// Picks the first of our suites the client offers and we can serve.
    fn choose_suite(&self, ch: &ClientHello) -> Option<CipherSuite> {
        let cfg = self.server_config();
        let groups_ok = match find_ext(&ch.extensions, EXT_SUPPORTED_GROUPS) {
            None => true, // RFC 4492 §4: absent means any curve.
            Some(e) => e
                .data
                .get(2..)
                .unwrap_or(&[])
                .chunks_exact(2)
                .any(|c| u16::from_be_bytes([c[0], c[1]]) == GROUP_SECP256R1),
        };
        cfg.common.cipher_suites.iter().copied().find(|s| {
            ch.cipher_suites.contains(&s.code())
                && (!s.uses_psk() || cfg.psk.is_some())
                && (!s.uses_certificates() || cfg.common.certificate.is_some())
                && (!s.uses_ecdhe() || groups_ok)
        })
    }

    /// Flight 4 in answer to a ClientHello whose cookie verified.
    pub(crate) fn server_accept_hello(&mut self, h: VerifiedHello) -> Result<(), Error> {
        let ch = h.hello;
        // Our records continue from the ClientHello's number (the HelloVerifyRequest
        // used it too), so even an early alert is not taken for a replay.
        self.set_write_seq0(h.record_seq);
        let fail = |a| Err(Error::HandshakeFailure(a));
        // DTLS versions count down: 0xfefd (1.2) is numerically below 0xfeff (1.0).
        if ch.version > DTLS12 {
            return fail(AlertDescription::ProtocolVersion);
        }
        if !ch.compression_methods.contains(&0) {
            return fail(AlertDescription::IllegalParameter);
        }
        let Some(suite) = self.choose_suite(&ch) else {
            return fail(AlertDescription::HandshakeFailure);
        };
        let secure_reneg = ch.cipher_suites.contains(&SCSV_RENEGOTIATION)
            || find_ext(&ch.extensions, EXT_RENEGOTIATION_INFO).is_some();
        // Initial handshake: renegotiated_connection must be empty. (No let-chain:
        // the package declares rust-version 1.85.)
        if find_ext(&ch.extensions, EXT_RENEGOTIATION_INFO).is_some_and(|e| e.data != [0]) {
            return fail(AlertDescription::HandshakeFailure);
        }
        self.hs.ems = find_ext(&ch.extensions, EXT_EXTENDED_MASTER_SECRET).is_some();
        self.hs.suite = Some(suite);
        self.hs.client_random = ch.random;
        let mut sr = [0u8; 32];
        self.rng.fill(&mut sr);
        self.hs.server_random = sr;

        // Message numbering continues from the client's: our ServerHello carries
        // the ClientHello's message_seq (as mbedTLS and OpenSSL do).
        self.next_recv_seq = h.message_seq.wrapping_add(1);
        self.next_send_seq = h.message_seq;
        self.hs.transcript.clear();
        self.hs
            .transcript
            .extend_from_slice(&full_message(CLIENT_HELLO, h.message_seq, &h.body));

        let mut exts = Vec::new();
        if secure_reneg {
            exts.push(Extension {
                typ: EXT_RENEGOTIATION_INFO,
                data: vec![0],
            });
        }
        if self.hs.ems {
            exts.push(Extension {
                typ: EXT_EXTENDED_MASTER_SECRET,
                data: Vec::new(),
            });
        }
        if suite.uses_ecdhe() && find_ext(&ch.extensions, EXT_EC_POINT_FORMATS).is_some() {
            exts.push(Extension {
                typ: EXT_EC_POINT_FORMATS,
                data: vec![1, 0],
            });
        }
        let sh = ServerHello {
            version: DTLS12,
            random: sr,
            // We do not cache sessions, so we do not offer resumption.
            session_id: Vec::new(),
            cipher_suite: suite.code(),
            compression_method: 0,
            extensions: exts,
        };
        self.begin_flight();
        self.queue_handshake(SERVER_HELLO, sh.encode());

        // The shared configuration, not a copy of it (its chain and anchors
        // would be copied for every handshake).
        let cfg = match &self.side {
            Side::Server(s) => s.clone(),
            Side::Client(_) => unreachable!("server code on a client connection"),
        };
        if suite.uses_certificates() {
            let cert = cfg.common.certificate.as_ref().ok_or(Error::Config(
                "certificate suite without a certificate".into(),
            ))?;
            self.queue_handshake(CERTIFICATE, encode_certificate(&cert.chain));
        }
        let hint = cfg.psk_identity_hint.clone();
        if hint.as_ref().is_some_and(|h| h.len() > u16::MAX as usize) {
            return Err(Error::Config(
                "PSK identity hint longer than 65535 bytes".into(),
            ));
        }
        let mut ske = Vec::new();
        let mut send_ske = true;
        match suite.key_exchange() {
            KeyExchange::EcdhAnon => {
                let k = self.take_ephemeral_key();
                encode_ecdh_params(&mut ske, k.public());
                self.hs.ecdh_key = Some(k);
            }
            KeyExchange::EcdhePsk => {
                // RFC 5489: the hint is always present, possibly empty.
                put_vec16(&mut ske, hint.as_deref().unwrap_or(&[]));
                let k = self.take_ephemeral_key();
                encode_ecdh_params(&mut ske, k.public());
                self.hs.ecdh_key = Some(k);
            }
            KeyExchange::Psk => match &hint {
                Some(h) => put_vec16(&mut ske, h),
                None => send_ske = false,
            },
            KeyExchange::EcdheEcdsa => {
                let k = self.take_ephemeral_key();
                encode_ecdh_params(&mut ske, k.public());
                self.hs.ecdh_key = Some(k);
                let mut signed = Vec::with_capacity(64 + ske.len());
                signed.extend_from_slice(&self.hs.client_random);
                signed.extend_from_slice(&self.hs.server_random);
                signed.extend_from_slice(&ske);
                let key = &cfg.common.certificate.as_ref().expect("checked above");
                let sig = key.signer.sign(&signed);
                encode_signed(&mut ske, &sig);
            }
        }
        if send_ske {
            self.hs.psk_hint = if suite.uses_psk() { hint } else { None };
            self.queue_handshake(SERVER_KEY_EXCHANGE, ske);
        }
        if suite.uses_certificates() && cfg.client_auth != ClientAuth::None {
            self.hs.cert_requested = true;
            self.queue_handshake(CERTIFICATE_REQUEST, encode_certificate_request());
        }
        self.queue_handshake(SERVER_HELLO_DONE, Vec::new());
        self.send_flight(true);
        self.state = State::ServerWaitClientKeyExchange;
        Ok(())
    }

    pub(crate) fn server_message(&mut self, m: Message) -> Result<(), Error> {
        match (self.state, m.msg_type) {
            (State::ServerWaitClientKeyExchange, CERTIFICATE)
                if self.hs.cert_requested && !self.hs.client_cert_received =>
            {
                self.add_to_transcript(&m);
                self.server_client_certificate(&m.body)
            }
            (State::ServerWaitClientKeyExchange, CLIENT_KEY_EXCHANGE) => {
                if self.hs.cert_requested && !self.hs.client_cert_received {
                    return Err(Error::UnexpectedMessage);
                }
                self.add_to_transcript(&m);
                self.server_cke(&m.body)
            }
            (State::ServerWaitCertificateVerify, CERTIFICATE_VERIFY) => {
                let mut r = Reader::new(&m.body);
                let sig = parse_signed(&mut r)?;
                r.finish()?;
                let leaf = self.hs.peer_chain.first().ok_or(Error::UnexpectedMessage)?;
                verify_leaf_signature(leaf, &self.hs.transcript, sig)?;
                self.add_to_transcript(&m);
                self.state = State::WaitFinished;
                Ok(())
            }
            (State::WaitFinished, FINISHED) => {
                self.check_finished(&m)?;
                // Flight 6: ChangeCipherSpec, Finished. No timer: the client
                // retransmits flight 5 if this is lost, and we answer again.
                self.begin_flight();
                self.queue_ccs();
                let mut fin = self.finished_data(false);
                if self.server_config().corrupt_finished {
                    fin[0] ^= 0x01;
                }
                self.queue_handshake(FINISHED, fin);
                self.send_flight(false);
                self.connected();
                Ok(())
            }
            _ => Err(Error::UnexpectedMessage),
        }
    }

    fn server_client_certificate(&mut self, body: &[u8]) -> Result<(), Error> {
        self.hs.client_cert_received = true;
        let chain = parse_certificate(body)?;
        if chain.is_empty() {
            if self.server_config().client_auth == ClientAuth::Required {
                return Err(Error::CertificateRequired);
            }
            return Ok(());
        }
        let common = &self.server_config().common;
        verify_chain(
            &chain,
            &common.trust_anchors,
            (common.wall_clock)(),
            PeerRole::Client,
        )?;
        if let Some(check) = &self.server_config().check_client_certificate {
            check(&chain).map_err(|reason| Error::CertificateInvalid { reason })?;
        }
        self.hs.peer_chain = chain.clone();
        self.push_event(Event::PeerCertificates(chain));
        Ok(())
    }

    fn server_cke(&mut self, body: &[u8]) -> Result<(), Error> {
        let suite = self.hs.suite.ok_or(Error::UnexpectedMessage)?;
        let mut r = Reader::new(body);
        let mut psk = None;
        if suite.uses_psk() {
            let identity = r.vec16()?.to_vec();
            let cb = self
                .server_config()
                .psk
                .clone()
                .ok_or(Error::UnknownPskIdentity)?;
            let key = cb(&identity).ok_or(Error::UnknownPskIdentity)?;
            if key.len() > u16::MAX as usize {
                return Err(Error::Config("PSK longer than 65535 bytes".into()));
            }
            psk = Some(key);
            self.hs.psk_identity = Some(identity);
        }
        let mut shared = None;
        if suite.uses_ecdhe() {
            let point = r.vec8()?;
            let k = self.hs.ecdh_key.take().ok_or(Error::UnexpectedMessage)?;
            shared = Some(k.agree(point)?);
        }
        r.finish()?;
        let premaster = match (psk, shared) {
            (Some(psk), other) => psk_premaster(other.as_deref(), &psk),
            (None, Some(z)) => z,
            (None, None) => return Err(Error::UnexpectedMessage),
        };
        self.compute_master(&premaster);
        self.derive_keys();
        self.state = if self.hs.peer_chain.is_empty() {
            State::WaitFinished
        } else {
            State::ServerWaitCertificateVerify
        };
        self.try_activate_read()
    }
}
