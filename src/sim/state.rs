//! What a simulated device remembers, and how it persists across restarts.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Device provisioning states (pstat `dos.s`, FACTS §2.5).
pub mod dos {
    pub const RESET: u8 = 0;
    pub const RFOTM: u8 = 1;
    pub const RFPRO: u8 = 2;
    pub const RFNOP: u8 = 3;
    pub const SRESET: u8 = 4;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doxm {
    pub oxms: Vec<u64>,
    pub oxmsel: u64,
    pub sct: u64,
    pub owned: bool,
    pub devowneruuid: Uuid,
    pub rowneruuid: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pstat {
    pub s: u8,
    pub p: bool,
    pub cm: u64,
    pub tm: u64,
    pub om: u64,
    pub sm: u64,
    pub rowneruuid: Uuid,
}

impl Pstat {
    pub fn isop(&self) -> bool {
        self.s == dos::RFNOP
    }
}

/// One credential of `/oic/sec/cred` (FACTS §2.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cred {
    pub credid: u64,
    pub credtype: u64,
    /// A UUID, or `*`.
    pub subjectuuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credusage: Option<String>,
    /// PEM text of a certificate (credtype 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publicdata: Option<String>,
    /// The key of a PSK (credtype 1), as hex.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub privatedata_hex: String,
}

/// Who an ACE is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AceSubject {
    Uuid(Uuid),
    /// `anon-clear` or `auth-crypt`.
    Conntype(String),
    Role {
        role: String,
        authority: Option<String>,
    },
}

/// One resource of an ACE: an `href`, or a wildcard `wc` (`*`, `+`, `-`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AceResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wc: Option<String>,
}

/// One access control entry of `/oic/sec/acl2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ace {
    pub aceid: u64,
    pub subject: AceSubject,
    pub resources: Vec<AceResource>,
    /// C1 R2 U4 D8 N16.
    pub permission: u64,
}

/// `/oic/sec/sdi`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sdi {
    pub uuid: Uuid,
    pub name: String,
    pub privileged: bool,
}

/// The cloud configuration resource (`/CoapCloudConfResURI`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudConf {
    pub cis: String,
    pub sid: String,
    pub apn: String,
    /// Write-only access token or code.
    pub at: String,
    pub cps: String,
    /// Last error code (FACTS §1.2): 0 ok, 1 error response, 2 connect
    /// failed, 3 token refresh failed, 4 unauthorized.
    #[serde(default)]
    pub clec: u64,
}

/// The security resources beyond doxm and pstat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Security {
    pub creds: Vec<Cred>,
    pub cred_rowneruuid: Uuid,
    pub aces: Vec<Ace>,
    pub acl_rowneruuid: Uuid,
    pub sdi: Sdi,
    pub cloud: CloudConf,
    pub next_credid: u64,
    pub next_aceid: u64,
}

/// Everything a simulated device persists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceState {
    /// `di`, equal to doxm `deviceuuid`.
    pub di: Uuid,
    pub piid: Uuid,
    pub pi: Uuid,
    pub name: String,
    pub doxm: Doxm,
    pub pstat: Pstat,
    #[serde(default)]
    pub security: Security,
    /// The device's own P-256 key (hex scalar), for its CSR.
    #[serde(default)]
    pub device_key_hex: String,
    /// That key, ready for use once derived (not saved).
    #[serde(skip)]
    pub device_key: super::identity::KeyCache,
}

impl DeviceState {
    /// A new, unowned device in RFOTM, as the reference device starts
    /// (FACTS §5), offering Just Works.
    pub fn new_unowned(name: &str) -> Self {
        // A device has its key pair from manufacture: made here, not while
        // a mediator waits for the device's CSR.
        let (key, key_hex) = super::identity::DeviceKey::generate();
        DeviceState {
            di: Uuid::new_v4(),
            piid: Uuid::new_v4(),
            pi: Uuid::new_v4(),
            name: name.to_owned(),
            doxm: Doxm {
                oxms: vec![0],
                oxmsel: 4,
                sct: 457,
                owned: false,
                devowneruuid: Uuid::nil(),
                rowneruuid: Uuid::nil(),
            },
            pstat: Pstat {
                s: dos::RFOTM,
                p: false,
                cm: 2,
                tm: 0,
                om: 3,
                sm: 4,
                rowneruuid: Uuid::nil(),
            },
            security: Security::default(),
            device_key: super::identity::KeyCache::holding(key, &key_hex),
            device_key_hex: key_hex,
        }
    }

    /// A hard reset (FACTS §2.5): the security resources and the cloud
    /// configuration are wiped, the device takes a new UUID and is back in
    /// RFOTM, unowned, offering the same methods.
    pub fn hard_reset(&mut self) {
        let fresh = DeviceState::new_unowned(&self.name);
        let oxms = std::mem::take(&mut self.doxm.oxms);
        *self = DeviceState {
            piid: self.piid,
            pi: self.pi,
            ..fresh
        };
        self.doxm.oxms = oxms;
    }

    /// Loads the state saved at `path`, or makes a new device and saves it.
    pub fn load_or_create(path: &Path, name: &str) -> io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not a device state file: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let state = DeviceState::new_unowned(name);
                state.save(path)?;
                Ok(state)
            }
            Err(e) => Err(e),
        }
    }

    /// Saves atomically: a crash leaves the old or the new state, never half.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)
    }

    /// Where device number `index` of a state directory lives.
    pub fn path_in(dir: &Path, index: usize) -> PathBuf {
        dir.join(format!("device-{index}.json"))
    }
}
