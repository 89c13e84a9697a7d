//! Known answers: the TLS 1.2 PRF, the key schedule and owner PSK of a real OCF
//! Just Works session (vectors/jw-kat.json), CBC and CCM records checked against
//! OpenSSL's primitives, and our hello/key-exchange layouts against what the
//! reference device sends (vectors/handshake-summary.txt).

#[path = "common/dtls.rs"]
mod common;

use common::*;
use ocf_mediator::dtls::codec::Reader;
use ocf_mediator::dtls::crypto::RecordProtection;
use ocf_mediator::dtls::handshake::messages::*;
use ocf_mediator::dtls::record::{self, parse_datagram};
use ocf_mediator::dtls::{
    CipherSuite, ClientConfig, KeyMaterial, ServerConfig, derive_owner_psk, key_block, prf_sha256,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    hex(s).try_into().unwrap()
}

fn kat() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/jw-kat.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing"))
}

fn jw_material(v: &serde_json::Value) -> KeyMaterial {
    KeyMaterial {
        master_secret: arr(s(v, "master_secret")),
        client_random: arr(s(v, "client_random")),
        server_random: arr(s(v, "server_random")),
        suite: CipherSuite::EcdhAnonWithAes128CbcSha256,
        extended_master_secret: true,
    }
}

#[test]
fn prf_sha256_matches_the_published_tls12_vector() {
    // The widely used TLS 1.2 PRF (SHA-256) test vector; also checked with `openssl kdf TLS1-PRF`.
    let out = prf_sha256(
        &hex("9bbe436ba940f017b17652849a71db35"),
        b"test label",
        &hex("a0ba9f936cda311827a6f796ffd5198c"),
        100,
    );
    assert_eq!(
        out,
        hex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        )
    );
    // Shorter outputs are prefixes.
    assert_eq!(
        prf_sha256(&[1], b"l", &[2], 7),
        prf_sha256(&[1], b"l", &[2], 64)[..7]
    );
}

#[test]
fn real_device_key_block_and_split() {
    let v = kat();
    let m = jw_material(&v);
    assert_eq!(m.key_block_len(), 96);
    let kb = m.key_block();
    assert_eq!(kb, hex(s(&v, "key_block_96")));
    let layout = &v["key_block_layout"];
    assert_eq!(
        &kb[0..32],
        hex(s(layout, "client_write_MAC_key")).as_slice()
    );
    assert_eq!(
        &kb[32..64],
        hex(s(layout, "server_write_MAC_key")).as_slice()
    );
    assert_eq!(&kb[64..80], hex(s(layout, "client_write_key")).as_slice());
    assert_eq!(&kb[80..96], hex(s(layout, "server_write_key")).as_slice());
    assert_eq!(
        key_block(&m.master_secret, &m.server_random, &m.client_random, 96),
        kb
    );
}

#[test]
fn real_device_client_finished_verify_data() {
    let v = kat();
    let vd = prf_sha256(
        &hex(s(&v, "master_secret")),
        b"client finished",
        &hex(s(&v, "handshake_hash_for_client_finished")),
        12,
    );
    assert_eq!(vd, hex(s(&v, "client_finished_verify_data")));
}

#[test]
fn real_device_owner_psk_and_the_wrong_derivations() {
    let v = kat();
    let m = jw_material(&v);
    let owner: [u8; 16] = arr(s(&v, "obt_uuid_bytes_hex"));
    let device: [u8; 16] = arr(s(&v, "device_uuid_after_otm_bytes_hex"));
    let psk = derive_owner_psk(&m, "oic.sec.doxm.jw", owner, device);
    assert_eq!(psk.to_vec(), hex(s(&v, "owner_psk")));
    assert_eq!(psk, arr::<16>("a764dd0face39792016b2addda30a3a0"));

    let neg = &v["owner_psk_negative_checks"];
    let old_device: [u8; 16] = arr(&s(&v, "device_uuid_before_otm").replace('-', ""));
    let with_old = derive_owner_psk(&m, "oic.sec.doxm.jw", owner, old_device);
    assert_eq!(
        with_old.to_vec(),
        hex(s(neg, "psk_if_device_uuid_before_otm_were_used"))
    );
    let reversed = derive_owner_psk(&m, "oic.sec.doxm.jw", device, owner);
    assert_eq!(
        reversed.to_vec(),
        hex(s(neg, "psk_if_seed_order_reversed (device||obt)"))
    );
    assert_ne!(with_old, psk);
    assert_ne!(reversed, psk);
    // Another OTM's URN gives another key.
    assert_ne!(derive_owner_psk(&m, "oic.sec.doxm.rdp", owner, device), psk);
}

// ------------------------------------------------------------ records vs OpenSSL

fn openssl_hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use openssl::{hash::MessageDigest, pkey::PKey, sign::Signer};
    let k = PKey::hmac(key).unwrap();
    let mut s = Signer::new(MessageDigest::sha256(), &k).unwrap();
    s.update(data).unwrap();
    s.sign_to_vec().unwrap()
}

fn pseudo_header(epoch: u16, seq: u64, ct: u8, len: usize) -> Vec<u8> {
    let mut h = epoch.to_be_bytes().to_vec();
    h.extend_from_slice(&seq.to_be_bytes()[2..]);
    h.push(ct);
    h.extend_from_slice(&[0xfe, 0xfd]);
    h.extend_from_slice(&(len as u16).to_be_bytes());
    h
}

#[test]
fn cbc_sha256_record_is_mac_then_encrypt_as_openssl_computes_it() {
    use openssl::symm::{Cipher, Crypter, Mode};
    let v = kat();
    let layout = &v["key_block_layout"];
    let mac_key = hex(s(layout, "client_write_MAC_key"));
    let key = hex(s(layout, "client_write_key"));
    let prot = RecordProtection::new(
        CipherSuite::EcdhAnonWithAes128CbcSha256,
        &mac_key,
        &key,
        &[],
    );
    // The real device's first application record plaintext (frame 20).
    let plain = hex(s(
        &v["first_decrypted_client_record_example"],
        "plaintext_hex",
    ));
    let iv = [0x42u8; 16];
    let sealed = prot.seal(1, 1, 23, &plain, iv);

    // Independent construction: HMAC-SHA256 over header ‖ plaintext, TLS padding, AES-CBC.
    let mut inner = plain.clone();
    inner.extend(openssl_hmac_sha256(
        &mac_key,
        &[pseudo_header(1, 1, 23, plain.len()), plain.clone()].concat(),
    ));
    let pad = 15 - inner.len() % 16;
    inner.extend(std::iter::repeat_n(pad as u8, pad + 1));
    let mut c = Crypter::new(Cipher::aes_128_cbc(), Mode::Encrypt, &key, Some(&iv)).unwrap();
    c.pad(false);
    let mut ct = vec![0; inner.len() + 16];
    let n = c.update(&inner, &mut ct).unwrap();
    ct.truncate(n);
    assert_eq!(sealed, [iv.to_vec(), ct].concat());
    // The real record was 96 bytes long (jw-kat: record_len 96).
    assert_eq!(sealed.len(), 96);
    assert_eq!(prot.open(1, 1, 23, &sealed), Some(plain.clone()));
    // Wrong sequence number, type or a flipped bit: rejected.
    assert_eq!(prot.open(1, 2, 23, &sealed), None);
    assert_eq!(prot.open(1, 1, 22, &sealed), None);
    for i in [0, 20, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[i] ^= 0x80;
        assert_eq!(prot.open(1, 1, 23, &bad), None, "bit flip at {i}");
    }
}

#[test]
fn cbc_rejects_bad_padding_of_every_length() {
    let prot = RecordProtection::new(
        CipherSuite::EcdhePskWithAes128CbcSha256,
        &[1; 32],
        &[2; 16],
        &[],
    );
    for len in 0..80 {
        let plain = vec![7u8; len];
        let sealed = prot.seal(1, 9, 23, &plain, [3; 16]);
        assert_eq!(prot.open(1, 9, 23, &sealed), Some(plain));
        // Truncations are rejected without panicking.
        for cut in [1, 16, sealed.len() - 16] {
            assert_eq!(prot.open(1, 9, 23, &sealed[..sealed.len() - cut]), None);
        }
    }
    assert_eq!(prot.open(1, 9, 23, &[]), None);
    assert_eq!(prot.open(1, 9, 23, &[0; 31]), None);
}

#[test]
fn ccm_records_match_openssl() {
    for (suite, tag_len) in [
        (CipherSuite::PskWithAes128Ccm8, 8usize),
        (CipherSuite::EcdheEcdsaWithAes128Ccm, 16),
    ] {
        let key = [0x5au8; 16];
        let fixed = [1u8, 2, 3, 4];
        let prot = RecordProtection::new(suite, &[], &key, &fixed);
        let plain = b"CoAP over DTLS with AES-CCM".to_vec();
        let (epoch, seq) = (1u16, 0x0102_0304_0506u64);
        let sealed = prot.seal(epoch, seq, 23, &plain, [0; 16]);
        let explicit = [&epoch.to_be_bytes()[..], &seq.to_be_bytes()[2..]].concat();
        assert_eq!(&sealed[..8], explicit.as_slice());
        let nonce = [&fixed[..], &explicit].concat();
        let aad = pseudo_header(epoch, seq, 23, plain.len());
        let expected = openssl_ccm(&key, &nonce, &aad, &plain, tag_len);
        assert_eq!(&sealed[8..], expected.as_slice(), "{suite:?}");
        assert_eq!(prot.open(epoch, seq, 23, &sealed), Some(plain.clone()));
        let mut bad = sealed.clone();
        bad[10] ^= 1;
        assert_eq!(prot.open(epoch, seq, 23, &bad), None);
        assert_eq!(prot.open(epoch, seq + 1, 23, &sealed), None);
    }
}

/// AES-128-CCM through OpenSSL's EVP interface (ciphertext ‖ tag).
fn openssl_ccm(key: &[u8], nonce: &[u8], aad: &[u8], plain: &[u8], tag_len: usize) -> Vec<u8> {
    use openssl::cipher::Cipher;
    use openssl::cipher_ctx::CipherCtx;
    let mut ctx = CipherCtx::new().unwrap();
    ctx.encrypt_init(Some(Cipher::aes_128_ccm()), None, None)
        .unwrap();
    ctx.set_iv_length(nonce.len()).unwrap();
    ctx.set_tag_length(tag_len).unwrap();
    ctx.encrypt_init(None, Some(key), Some(nonce)).unwrap();
    ctx.set_data_len(plain.len()).unwrap();
    ctx.cipher_update(aad, None).unwrap();
    let mut out = Vec::new();
    ctx.cipher_update_vec(plain, &mut out).unwrap();
    ctx.cipher_final_vec(&mut out).unwrap();
    let mut tag = vec![0u8; tag_len];
    ctx.tag(&mut tag).unwrap();
    [out, tag].concat()
}

// ------------------------------------------------------------ handshake layouts

fn handshake_messages(datagram: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    for rec in parse_datagram(datagram) {
        if rec.content_type != record::CT_HANDSHAKE || rec.epoch != 0 {
            continue;
        }
        let mut r = Reader::new(rec.payload);
        while !r.is_empty() {
            let (h, frag) = HandshakeHeader::parse(&mut r).unwrap();
            assert_eq!(h.fragment_offset, 0);
            assert_eq!(
                h.fragment_length, h.length,
                "not fragmented at the default MTU"
            );
            out.push((h.msg_type, frag.to_vec()));
        }
    }
    out
}

fn ext_types(exts: &[Extension]) -> Vec<u16> {
    exts.iter().map(|e| e.typ).collect()
}

#[test]
fn client_hello_carries_what_the_reference_device_sends() {
    for (suite, code) in [
        (CipherSuite::EcdhAnonWithAes128CbcSha256, 0xff00u16),
        (CipherSuite::EcdhePskWithAes128CbcSha256, 0xc037),
    ] {
        let mut sim = Sim::for_suite(suite, None);
        sim.handshake();
        let hellos: Vec<ClientHello> = sim
            .wire
            .iter()
            .filter(|(d, _)| *d == Dir::ToServer)
            .flat_map(|(_, d)| handshake_messages(d))
            .filter(|(t, _)| *t == CLIENT_HELLO)
            .map(|(_, b)| ClientHello::parse(&b).unwrap())
            .collect();
        assert_eq!(hellos.len(), 2, "initial hello and the one with the cookie");
        let (ch1, ch2) = (&hellos[0], &hellos[1]);
        for ch in [ch1, ch2] {
            assert_eq!(ch.version, 0xfefd);
            assert!(ch.session_id.is_empty());
            assert_eq!(
                ch.cipher_suites,
                vec![code, 0x00ff],
                "suite + renegotiation SCSV"
            );
            assert_eq!(ch.compression_methods, vec![0]);
            assert_eq!(ext_types(&ch.extensions), vec![10, 13, 11, 23]);
            assert!(
                find_ext(&ch.extensions, 22).is_none(),
                "no encrypt_then_mac"
            );
            assert!(
                find_ext(&ch.extensions, 0xff01).is_none(),
                "SCSV, not the extension"
            );
            let groups = &find_ext(&ch.extensions, 10).unwrap().data;
            assert!(
                groups[2..].chunks(2).any(|g| g == [0x00, 0x17]),
                "secp256r1"
            );
            assert_eq!(find_ext(&ch.extensions, 11).unwrap().data, vec![1, 0]);
            assert!(find_ext(&ch.extensions, 23).unwrap().data.is_empty());
        }
        assert!(ch1.cookie.is_empty());
        assert_eq!(ch2.cookie.len(), 32);
        assert_eq!(
            ch1.random, ch2.random,
            "the second hello repeats the random"
        );
        // Numbering as the reference device's peer does it: CH1 record 0 / message 0,
        // HVR record 0 / message 0, CH2 record 1 / message 1, ServerHello 1 / 1.
        let first_record = |dir: Dir, nth: usize| {
            let d = &sim
                .wire
                .iter()
                .filter(|(w, _)| *w == dir)
                .nth(nth)
                .unwrap()
                .1;
            let rec = parse_datagram(d).remove(0);
            let (h, _) = HandshakeHeader::parse(&mut Reader::new(rec.payload)).unwrap();
            (h.msg_type, rec.seq, h.message_seq)
        };
        assert_eq!(first_record(Dir::ToServer, 0), (CLIENT_HELLO, 0, 0));
        assert_eq!(first_record(Dir::ToClient, 0), (HELLO_VERIFY_REQUEST, 0, 0));
        assert_eq!(first_record(Dir::ToServer, 1), (CLIENT_HELLO, 1, 1));
        assert_eq!(first_record(Dir::ToClient, 1), (SERVER_HELLO, 1, 1));
    }
}

#[test]
fn server_flight_and_key_exchanges_have_the_reference_layouts() {
    let uuid = [0x32u8; 16];
    let owner = [0x16u8; 16];
    for suite in [
        CipherSuite::EcdhAnonWithAes128CbcSha256,
        CipherSuite::EcdhePskWithAes128CbcSha256,
    ] {
        let c = ClientConfig::new(&[suite]).with_psk(&owner, PSK_KEY);
        let mut sc = ServerConfig::new(&[suite]).with_psk(&owner, PSK_KEY);
        sc.psk_identity_hint = Some(uuid.to_vec());
        let mut sim = Sim::new(c, sc, 8);
        sim.handshake();
        assert!(sim.both_connected());
        let from = |dir| -> Vec<(u8, Vec<u8>)> {
            sim.wire
                .iter()
                .filter(|(d, _)| *d == dir)
                .flat_map(|(_, d)| handshake_messages(d))
                .collect()
        };
        let server = from(Dir::ToClient);
        let types: Vec<u8> = server.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            types,
            vec![
                HELLO_VERIFY_REQUEST,
                SERVER_HELLO,
                SERVER_KEY_EXCHANGE,
                SERVER_HELLO_DONE
            ]
        );
        assert_eq!(parse_hello_verify_request(&server[0].1).unwrap().len(), 32);
        let sh = ServerHello::parse(&server[1].1).unwrap();
        assert_eq!(sh.cipher_suite, suite.code());
        assert_eq!(ext_types(&sh.extensions), vec![0xff01, 23, 11]);
        assert_eq!(
            sh.extensions[0].data,
            vec![0],
            "empty renegotiated_connection"
        );
        let ske = &server[2].1;
        let client = from(Dir::ToServer);
        let cke = &client
            .iter()
            .find(|(t, _)| *t == CLIENT_KEY_EXCHANGE)
            .unwrap()
            .1;
        match suite {
            CipherSuite::EcdhAnonWithAes128CbcSha256 => {
                assert_eq!(ske.len(), 69);
                assert_eq!(&ske[..5], &[3, 0x00, 0x17, 65, 4]);
                assert_eq!(cke.len(), 66);
                assert_eq!(&cke[..2], &[65, 4]);
            }
            _ => {
                assert_eq!(ske.len(), 87);
                assert_eq!(&ske[..2], &[0, 16]);
                assert_eq!(&ske[2..18], &uuid);
                assert_eq!(&ske[18..23], &[3, 0x00, 0x17, 65, 4]);
                assert_eq!(cke.len(), 84);
                assert_eq!(&cke[..2], &[0, 16]);
                assert_eq!(&cke[2..18], &owner);
                assert_eq!(&cke[18..20], &[65, 4]);
            }
        }
        // Message numbering as on the wire: HVR 0, ServerHello 1.
        let flight4 = sim
            .wire
            .iter()
            .filter(|(d, _)| *d == Dir::ToClient)
            .nth(1)
            .unwrap();
        let recs = parse_datagram(&flight4.1);
        let mut r = Reader::new(recs[0].payload);
        assert_eq!(HandshakeHeader::parse(&mut r).unwrap().0.message_seq, 1);
        // The encrypted Finished record: 80 bytes (IV 16 + 12+12 + MAC 32 + padding 8).
        let last = sim
            .wire
            .iter()
            .rev()
            .find(|(d, _)| *d == Dir::ToClient)
            .unwrap();
        let fin = parse_datagram(&last.1)
            .into_iter()
            .find(|r| r.epoch == 1)
            .unwrap();
        assert_eq!(fin.payload.len(), 80);
    }
}

/// Builds a CBC record with OpenSSL from plaintext ‖ MAC ‖ the given padding bytes.
fn openssl_cbc_record(mac_key: &[u8], key: &[u8], plain: &[u8], padding: &[u8]) -> Vec<u8> {
    use openssl::symm::{Cipher, Crypter, Mode};
    let iv = [0x17u8; 16];
    let mut inner = plain.to_vec();
    inner.extend(openssl_hmac_sha256(
        mac_key,
        &[pseudo_header(1, 4, 23, plain.len()), plain.to_vec()].concat(),
    ));
    inner.extend_from_slice(padding);
    assert_eq!(inner.len() % 16, 0);
    let mut c = Crypter::new(Cipher::aes_128_cbc(), Mode::Encrypt, key, Some(&iv)).unwrap();
    c.pad(false);
    let mut ct = vec![0; inner.len() + 16];
    let n = c.update(&inner, &mut ct).unwrap();
    ct.truncate(n);
    [iv.to_vec(), ct].concat()
}

#[test]
fn cbc_padding_is_checked_byte_by_byte_including_long_padding() {
    let (mac_key, key) = ([0x33u8; 32], [0x44u8; 16]);
    let prot = RecordProtection::new(
        CipherSuite::EcdhePskWithAes128CbcSha256,
        &mac_key,
        &key,
        &[],
    );
    let plain = b"0123456789abcdef0123456789".to_vec(); // 26 + 32 MAC = 58 bytes
    // Minimal padding: 6 bytes of value 5.
    let ok = openssl_cbc_record(&mac_key, &key, &plain, &[5; 6]);
    assert_eq!(prot.open(1, 4, 23, &ok), Some(plain.clone()));
    // Longer valid padding (RFC 5246 allows up to 255): 6 + 16k bytes.
    for extra in [16usize, 64, 240] {
        let p = vec![(5 + extra) as u8; 6 + extra];
        let rec = openssl_cbc_record(&mac_key, &key, &plain, &p);
        assert_eq!(
            prot.open(1, 4, 23, &rec),
            Some(plain.clone()),
            "padding {}",
            p.len()
        );
        // One wrong padding byte anywhere makes it fail.
        for pos in [0, p.len() / 2, p.len() - 2] {
            let mut bad = p.clone();
            bad[pos] ^= 1;
            let rec = openssl_cbc_record(&mac_key, &key, &plain, &bad);
            assert_eq!(
                prot.open(1, 4, 23, &rec),
                None,
                "bad byte at {pos} of {}",
                p.len()
            );
        }
    }
    // A padding length pointing before the MAC fails too.
    let mut p = vec![5u8; 6];
    p[5] = 200;
    let rec = openssl_cbc_record(&mac_key, &key, &plain, &p);
    assert_eq!(prot.open(1, 4, 23, &rec), None);
}
