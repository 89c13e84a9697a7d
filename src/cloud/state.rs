//! What a device's cloud configuration resource (`oic.r.coapcloudconf`)
//! says, and what `cps` and `clec` mean for the person who reads them
//! (FACTS §1.2).

use ciborium::Value as Cbor;
use serde::Serialize;

use crate::ocf::resources::field;

/// The readable part of `oic.r.coapcloudconf` (`at` is write-only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CloudState {
    /// The cloud interface server the device connects to (empty: none).
    pub cis: String,
    /// The cloud's UUID.
    pub sid: String,
    /// The authorisation provider name.
    pub apn: String,
    /// The provisioning status: `uninitialized`, `readytoregister`,
    /// `registering`, `registered`, `failed` (iotivity-lite adds
    /// `deregistering`).
    pub cps: String,
    /// The last error code: 0 none, 1 error response, 2 connection failed,
    /// 3 token refresh failed, 4 unauthorized (iotivity-lite), 255 unknown.
    pub clec: i64,
}

impl CloudState {
    /// Reads a representation, refusing properties of the wrong type (a
    /// device answering `cis: 42` is broken, and nothing it says can be
    /// relied on); missing properties read as empty.
    pub fn parse(value: &Cbor) -> Result<CloudState, String> {
        if value.as_map().is_none() {
            return Err("it is not a map".into());
        }
        for key in ["cis", "sid", "apn", "cps"] {
            if let Some(v) = field(value, key) {
                if v.as_text().is_none() {
                    return Err(format!("{key} is not a text string"));
                }
            }
        }
        if let Some(clec) = field(value, "clec") {
            if clec.as_integer().is_none() {
                return Err("clec is not an integer".into());
            }
        }
        Ok(CloudState::from_cbor(value))
    }

    /// Reads a representation; missing properties read as empty.
    pub fn from_cbor(value: &Cbor) -> CloudState {
        let text = |key: &str| {
            field(value, key)
                .and_then(|v| v.as_text())
                .unwrap_or_default()
                .to_owned()
        };
        CloudState {
            cis: text("cis"),
            sid: text("sid"),
            apn: text("apn"),
            cps: match text("cps") {
                cps if cps.is_empty() => "uninitialized".into(),
                cps => cps,
            },
            clec: field(value, "clec")
                .and_then(|v| v.as_integer())
                .and_then(|i| i64::try_from(i).ok())
                .unwrap_or(0),
        }
    }

    pub fn is_registered(&self) -> bool {
        self.cps == "registered"
    }

    pub fn has_failed(&self) -> bool {
        self.cps == "failed"
    }

    /// Whether the device is set up for a cloud (registered, or on its way).
    pub fn is_configured(&self) -> bool {
        !self.cis.is_empty()
            && matches!(
                self.cps.as_str(),
                "readytoregister" | "registering" | "registered"
            )
    }

    /// `cps` in words.
    pub fn status_meaning(&self) -> &'static str {
        match self.cps.as_str() {
            "uninitialized" => "no cloud is configured",
            "readytoregister" => "configured; about to connect to the cloud",
            "registering" => "connecting and signing up with the cloud",
            "registered" => "registered with the cloud",
            "failed" => "the last attempt to register failed",
            "deregistering" => "leaving the cloud",
            _ => "an unknown status",
        }
    }

    /// `clec` in words, with what to do about it: one clause that reads
    /// on its own (`cloud status`) and after "did not register: ".
    pub fn error_meaning(&self) -> &'static str {
        match (self.clec, self.has_failed()) {
            (0, _) => "no error",
            (1, true) => {
                "the cloud answered the device's sign-up or sign-in with an error; see the cloud's log, then run `provision` again"
            }
            (1, false) => "the cloud answered a request with an error",
            (2, _) => {
                "the device could not connect to the cloud: check that it can reach the cloud's address (cis) and that the cloud's certificate matches the trust anchor and sid, then run `provision` again"
            }
            (3, _) => {
                "the device could not refresh its cloud token: run `provision` again to send a fresh one"
            }
            (4, _) => {
                "the cloud refused the device's token (or its provider name, apn): run `provision` again to send a fresh one"
            }
            (255, _) => "an unknown error",
            _ => "a reserved error code",
        }
    }
}
