//! The tokens the cloud issues to its devices: access and refresh tokens as
//! ES256 JWTs signed with the cloud's own key, bound to one device and one
//! user. Self-contained, so a second instance sharing the key (a redirect
//! target, `--state-dir`) accepts what the first issued.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::sim::jwt::{Expectations, JwtSigner, KeySet, verify};

/// Which kind of token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Access,
    Refresh,
}

impl Kind {
    /// Short: a device must take a sign-up answer with two tokens in the
    /// 1152 bytes RFC 8323 lets it assume before any CSM.
    fn name(self) -> &'static str {
        match self {
            Kind::Access => "a",
            Kind::Refresh => "r",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Refresh => "refresh",
        }
    }
}

/// What a valid token of ours says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub di: Uuid,
    pub uid: String,
    /// Seconds since the epoch; `None` for a permanent token.
    pub expires_at: Option<u64>,
    pub issued_at: u64,
    /// Unique per token, to refuse a refresh token used twice.
    pub jti: String,
}

/// Makes and checks the cloud's tokens.
pub struct Minter {
    signer: JwtSigner,
    keys: KeySet,
    issuer: String,
}

impl Minter {
    pub fn new(signer: JwtSigner, sid: Uuid) -> Self {
        let keys = KeySet::from_jwks(&signer.jwks());
        Minter {
            signer,
            keys,
            issuer: sid.to_string(),
        }
    }

    /// A token for `di` and `uid`; `lifetime` `None` never expires (the
    /// refresh token; an access token with `expiresin` −1).
    pub fn mint(&self, kind: Kind, di: Uuid, uid: &str, now: u64, lifetime: Option<u64>) -> String {
        let mut jti = [0u8; 8];
        getrandom::fill(&mut jti).expect("the operating system's random source failed");
        let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
        // A permanent token still needs an `exp` to pass the JWT checks:
        // far enough to never matter.
        let exp = lifetime.map_or(now + 100 * 365 * 86_400, |l| now + l);
        let mut claims = json!({
            "iss": self.issuer,
            "typ": kind.name(),
            "di": di.to_string(),
            "uid": uid,
            "iat": now,
            "exp": exp,
            "jti": jti,
        });
        if lifetime.is_none() {
            claims["prm"] = Value::Bool(true);
        }
        let token = self.signer.sign("JWT", &claims);
        // Checked again at sign-in: its signature is known good.
        self.keys.remember(&token);
        token
    }

    /// The grant of a token of ours of this kind, or why not.
    pub fn check(&self, kind: Kind, token: &str, now: u64) -> Result<Grant, String> {
        let claims = verify(
            token,
            &self.keys,
            &Expectations {
                issuer: &self.issuer,
                audience: None,
                now,
            },
        )
        .map_err(|e| e.to_string())?;
        if claims["typ"] != kind.name() {
            return Err(format!("the token is not a {} token", kind.words()));
        }
        let field = |name: &str| claims[name].as_str().map(str::to_owned);
        let di = field("di")
            .and_then(|d| Uuid::parse_str(&d).ok())
            .ok_or("the token names no device")?;
        Ok(Grant {
            di,
            uid: field("uid").ok_or("the token names no user")?,
            expires_at: (claims["prm"] != Value::Bool(true))
                .then(|| claims["exp"].as_u64())
                .flatten(),
            issued_at: claims["iat"].as_u64().unwrap_or(0),
            jti: field("jti").unwrap_or_default(),
        })
    }
}
