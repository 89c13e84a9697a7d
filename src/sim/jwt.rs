//! JSON Web Tokens signed with ES256 (RFC 7515, RFC 7518 §3.4, RFC 7519):
//! signing with a P-256 key of our own, the public key as a JWK, and
//! verification against a JWKS with the checks a resource server makes
//! (algorithm, signature, issuer, audience, expiry). The simulated cloud
//! verifies access tokens with it; an OAuth server of the simulator signs
//! with it.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::VerifyingKey;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

/// Why a token is not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts with JSON header and claims.
    Malformed(&'static str),
    /// The header names an algorithm other than ES256 (`none` included).
    UnsupportedAlgorithm(String),
    /// No key of the issuer's JWKS has the header's `kid`.
    UnknownKey(Option<String>),
    /// The signature does not verify with the issuer's key.
    BadSignature,
    /// `iss` is not the expected issuer.
    WrongIssuer { found: Option<String> },
    /// `aud` does not name the expected audience.
    WrongAudience { found: Option<String> },
    /// `exp` has passed (or is missing).
    Expired,
    /// `nbf` is still in the future.
    NotYetValid,
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "the token is not a JWT: {what}"),
            Self::UnsupportedAlgorithm(alg) => {
                write!(f, "the token is signed with {alg:?}, not ES256")
            }
            Self::UnknownKey(Some(kid)) => {
                write!(f, "the token's key {kid:?} is not among the issuer's keys")
            }
            Self::UnknownKey(None) => {
                f.write_str("the token names no key and the issuer has several")
            }
            Self::BadSignature => f.write_str("the token's signature does not verify"),
            Self::WrongIssuer { found } => match found {
                Some(iss) => write!(
                    f,
                    "the token was issued by {iss:?}, not the expected issuer"
                ),
                None => f.write_str("the token names no issuer"),
            },
            Self::WrongAudience { found } => match found {
                Some(aud) => write!(f, "the token is meant for {aud}, not this cloud"),
                None => f.write_str("the token names no audience"),
            },
            Self::Expired => f.write_str("the token has expired"),
            Self::NotYetValid => f.write_str("the token is not valid yet"),
        }
    }
}

impl std::error::Error for JwtError {}

/// A P-256 key that signs tokens, with its key id.
#[derive(Clone)]
pub struct JwtSigner {
    key: SecretKey,
    /// The same key as ring's key pair, made once: ring signs in a fifth
    /// of the time of the pure-Rust arithmetic (which also recomputed the
    /// public point for each token), and a simulated cloud signs a token
    /// or two for each device that signs up.
    pair: Arc<EcdsaKeyPair>,
    pub kid: String,
}

impl fmt::Debug for JwtSigner {
    // Never print the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSigner").field("kid", &self.kid).finish()
    }
}

impl JwtSigner {
    /// A new random key.
    pub fn generate(kid: &str) -> Self {
        let key = loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).expect("the operating system's random source failed");
            if let Ok(key) = SecretKey::from_slice(&bytes) {
                break key;
            }
        };
        JwtSigner::with_key(key, kid)
    }

    fn with_key(key: SecretKey, kid: &str) -> Self {
        let public = key.public_key().to_sec1_bytes();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &key.to_bytes(),
            &public,
            &SystemRandom::new(),
        )
        .expect("a valid P-256 scalar and its own public point");
        JwtSigner {
            key,
            pair: Arc::new(pair),
            kid: kid.to_owned(),
        }
    }

    /// The key from its 32-byte scalar (as [`JwtSigner::secret_bytes`] gave it).
    pub fn from_secret_bytes(bytes: &[u8], kid: &str) -> Option<Self> {
        Some(JwtSigner::with_key(SecretKey::from_slice(bytes).ok()?, kid))
    }

    /// The private scalar, to keep the key across restarts (a secret).
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.key.to_bytes().to_vec()
    }

    /// A token with these claims: header `{alg: ES256, typ, kid}`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        let header = json!({"alg": "ES256", "typ": typ, "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // JOSE signatures are r ‖ s, 64 bytes, not DER: ring's FIXED form.
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .expect("the operating system's random source failed");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }

    /// The public key as a JWK, for a JWKS document.
    pub fn jwk(&self) -> Value {
        // Uncompressed SEC1: 0x04 ‖ x ‖ y (ring's, computed once).
        use ring::signature::KeyPair;
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid,
        })
    }

    /// A JWKS with this one key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk()] })
    }
}

/// How many verified signatures a key set remembers before it forgets
/// them all (a few hundred kilobytes at most).
const REMEMBERED_SIGNATURES: usize = 4096;

/// The P-256 keys of a JWKS (other kinds of keys are left out).
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    /// Each key's id and its point (uncompressed SEC1, checked to be on
    /// the curve when the set was read).
    keys: Vec<(Option<String>, Vec<u8>)>,
    /// The tokens (SHA-256 of each) whose signature one of these keys
    /// verified, shared by the set's clones. A cloud sees the same token
    /// again and again (a mediator's bearer token at every signing, a
    /// device's access token at each sign-in) and a P-256 verification
    /// costs a tenth of a millisecond; the claims are still checked each
    /// time. A new set (keys fetched again) starts with none.
    verified: Arc<Mutex<HashSet<[u8; 32]>>>,
}

impl KeySet {
    /// Reads a JWKS document (`{"keys": [...]}`).
    pub fn from_jwks(document: &Value) -> Self {
        let keys = document["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|k| k["kty"] == "EC" && k["crv"] == "P-256")
            .filter_map(|k| {
                let x = URL_SAFE_NO_PAD.decode(k["x"].as_str()?).ok()?;
                let y = URL_SAFE_NO_PAD.decode(k["y"].as_str()?).ok()?;
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let point = [&[0x04][..], &x, &y].concat();
                VerifyingKey::from_sec1_bytes(&point).ok()?;
                Some((k["kid"].as_str().map(str::to_owned), point))
            })
            .collect();
        KeySet {
            keys,
            verified: Arc::default(),
        }
    }

    /// Remembers `token` as signed by one of these keys: for the issuer
    /// that has just signed it with its own key.
    pub fn remember(&self, token: &str) {
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= REMEMBERED_SIGNATURES {
            verified.clear();
        }
        verified.insert(token_digest(token));
    }

    /// Whether `key` signed `token` with `signature`: remembered, or
    /// verified now and remembered.
    fn signed(&self, key: &[u8], token: &str, signing_input: &str, signature: &[u8]) -> bool {
        let remembered = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&token_digest(token));
        if remembered {
            return true;
        }
        let good =
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, key)
                .verify(signing_input.as_bytes(), signature)
                .is_ok();
        if good {
            self.remember(token);
        }
        good
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key with this id is in the set (to know when to fetch the
    /// JWKS again after the issuer rotated its keys).
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|(k, _)| k.as_deref() == Some(kid))
    }
}

fn token_digest(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    digest.as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// What a verified token must say.
#[derive(Clone, Debug)]
pub struct Expectations<'a> {
    pub issuer: &'a str,
    /// When set, `aud` (a string or a list) must name it.
    pub audience: Option<&'a str>,
    /// Seconds since the Unix epoch.
    pub now: u64,
}

/// The `kid` a token's header names, if it is a JWT at all.
pub fn header_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header["kid"].as_str().map(str::to_owned)
}

/// Whether `token` looks like a JWT (three base64url parts, a JSON header),
/// as opposed to an opaque token or an authorization code.
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && URL_SAFE_NO_PAD
            .decode(parts[0])
            .ok()
            .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
            .is_some_and(|h| h.is_object())
}

/// Verifies a token's signature against `keys` and its claims against
/// `expected`; returns the claims.
pub fn verify(token: &str, keys: &KeySet, expected: &Expectations<'_>) -> Result<Value, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three parts"));
    };
    let decode_json = |part: &str, what: &'static str| -> Result<Value, JwtError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| JwtError::Malformed(what))?;
        serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed(what))
    };
    let header_json = decode_json(header, "the header is not base64url JSON")?;
    let alg = header_json["alg"].as_str().unwrap_or("");
    if alg != "ES256" {
        return Err(JwtError::UnsupportedAlgorithm(alg.to_owned()));
    }
    let kid = header_json["kid"].as_str().map(str::to_owned);
    let key = match &kid {
        Some(kid) => keys
            .keys
            .iter()
            .find(|(k, _)| k.as_deref() == Some(kid.as_str())),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .map(|(_, key)| key)
    .ok_or_else(|| JwtError::UnknownKey(kid.clone()))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed("the signature is not base64url"))?;
    let signing_input = &token[..header.len() + 1 + claims.len()];
    // ring's arithmetic, as a hub's would be native code: the pure-Rust
    // one made the simulated hub, not the mediator, the cost of each
    // signing request in a batch.
    if !keys.signed(key, token, signing_input, &signature) {
        return Err(JwtError::BadSignature);
    }
    let claims = decode_json(claims, "the claims are not base64url JSON")?;
    let iss = claims["iss"].as_str();
    if iss.map(|i| i.trim_end_matches('/')) != Some(expected.issuer.trim_end_matches('/')) {
        return Err(JwtError::WrongIssuer {
            found: iss.map(str::to_owned),
        });
    }
    if let Some(audience) = expected.audience {
        let named = match &claims["aud"] {
            Value::String(a) => a == audience,
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !named {
            let found = match &claims["aud"] {
                Value::Null => None,
                other => Some(other.to_string()),
            };
            return Err(JwtError::WrongAudience { found });
        }
    }
    match claims["exp"].as_u64() {
        Some(exp) if exp > expected.now => {}
        _ => return Err(JwtError::Expired),
    }
    if claims["nbf"].as_u64().is_some_and(|nbf| nbf > expected.now) {
        return Err(JwtError::NotYetValid);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectations(now: u64) -> Expectations<'static> {
        Expectations {
            issuer: "http://127.0.0.1:1",
            audience: Some("https://cloud.test/"),
            now,
        }
    }

    #[test]
    fn a_remembered_signature_is_this_key_sets_only() {
        let signer = JwtSigner::generate("k1");
        let keys = KeySet::from_jwks(&signer.jwks());
        let claims =
            json!({"iss": "http://127.0.0.1:1", "aud": "https://cloud.test/", "exp": 2000});
        let token = signer.sign("at+jwt", &claims);
        assert!(verify(&token, &keys, &expectations(1000)).is_ok());
        assert!(verify(&token, &keys.clone(), &expectations(1000)).is_ok());
        // The issuer's keys fetched again, and its key is gone: refused.
        let rotated = KeySet::from_jwks(&JwtSigner::generate("k1").jwks());
        assert_eq!(
            verify(&token, &rotated, &expectations(1000)),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_signed_token_verifies_and_every_check_bites() {
        let signer = JwtSigner::generate("k1");
        let keys = KeySet::from_jwks(&signer.jwks());
        let claims = json!({"iss": "http://127.0.0.1:1", "aud": ["https://cloud.test/"], "exp": 2000, "sub": "u"});
        let token = signer.sign("at+jwt", &claims);
        assert!(looks_like_jwt(&token));
        assert_eq!(header_kid(&token).as_deref(), Some("k1"));
        assert_eq!(
            verify(&token, &keys, &expectations(1000)).unwrap()["sub"],
            "u"
        );
        assert_eq!(
            verify(&token, &keys, &expectations(2000)),
            Err(JwtError::Expired)
        );
        let wrong_aud = Expectations {
            audience: Some("other"),
            ..expectations(1000)
        };
        assert!(matches!(
            verify(&token, &keys, &wrong_aud),
            Err(JwtError::WrongAudience { .. })
        ));
        let wrong_iss = Expectations {
            issuer: "http://elsewhere",
            ..expectations(1000)
        };
        assert!(matches!(
            verify(&token, &keys, &wrong_iss),
            Err(JwtError::WrongIssuer { .. })
        ));
        // Another key, same kid: the signature fails.
        let other = JwtSigner::generate("k1");
        let forged = other.sign("at+jwt", &claims);
        assert_eq!(
            verify(&forged, &keys, &expectations(1000)),
            Err(JwtError::BadSignature)
        );
        // A changed claim: the signature fails.
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(
                json!({"iss": "http://127.0.0.1:1", "aud": "https://cloud.test/", "exp": 9999})
                    .to_string()
            ),
            parts[2]
        );
        assert_eq!(
            verify(&tampered, &keys, &expectations(1000)),
            Err(JwtError::BadSignature)
        );
        // alg none.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(
            verify(&none, &keys, &expectations(1000)),
            Err(JwtError::UnsupportedAlgorithm("none".into()))
        );
        assert!(!looks_like_jwt("test-auth-code-123"));
    }
}
