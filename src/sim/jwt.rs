//! JSON Web Tokens signed with ES256 (RFC 7515, RFC 7518 §3.4, RFC 7519):
//! signing with a P-256 key of our own, the public key as a JWK, and
//! verification against a JWKS with the checks a resource server makes
//! (algorithm, signature, issuer, audience, expiry). The simulated cloud
//! verifies access tokens with it; an OAuth server of the simulator signs
//! with it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
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
        JwtSigner {
            key,
            kid: kid.to_owned(),
        }
    }

    /// The key from its 32-byte scalar (as [`JwtSigner::secret_bytes`] gave it).
    pub fn from_secret_bytes(bytes: &[u8], kid: &str) -> Option<Self> {
        Some(JwtSigner {
            key: SecretKey::from_slice(bytes).ok()?,
            kid: kid.to_owned(),
        })
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
        let signature: Signature = SigningKey::from(&self.key).sign(signing_input.as_bytes());
        // JOSE signatures are r ‖ s, 64 bytes, not DER.
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }

    /// The public key as a JWK, for a JWKS document.
    pub fn jwk(&self) -> Value {
        // Uncompressed SEC1: 0x04 ‖ x ‖ y.
        let point = self.key.public_key().to_sec1_bytes();
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

/// The P-256 keys of a JWKS (other kinds of keys are left out).
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<(Option<String>, VerifyingKey)>,
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
                let key = VerifyingKey::from_sec1_bytes(&point).ok()?;
                Some((k["kid"].as_str().map(str::to_owned), key))
            })
            .collect();
        KeySet { keys }
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
    let point = key.to_sec1_point(false);
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        point.as_bytes(),
    )
    .verify(signing_input.as_bytes(), &signature)
    .map_err(|_| JwtError::BadSignature)?;
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
