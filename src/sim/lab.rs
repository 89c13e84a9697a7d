//! `ocf-devsim lab`: a whole rehearsal on loopback in one process — the
//! simulator's OAuth server, a cloud that trusts it, and unowned devices —
//! and what a mediator needs to work against it: the hub URL, the factory
//! client's secret, and a batch file listing the devices by address, so that
//! nothing depends on multicast (a machine's loopback often has none).
//!
//! The cloud's hub configuration says devices sign up with access tokens
//! (`deviceOauthClient.grantType: clientCredentials`, FACTS §4), so a
//! factory login (`login --hub … --client-credentials`) or a person's (device
//! code or browser, approved at once by the OAuth server) is all `provision`
//! needs: no person is asked anything per device.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use super::cloud::authority::CodeClient;
use super::cloud::{Cloud, CloudConfig, CloudError, CloudEvent, CloudHandle};
use super::host::{HostOptions, HostedDevice, run};
use super::oauth::{
    DEVICE_CLIENT, M2M_CLIENT, OAuthConfig, OAuthHandle, OAuthServer, OAuthServerError, WEB_CLIENT,
};
use super::{Notice, SecurityConfig};
use crate::ocf::address::COAP_PORT;

/// The audience of the lab's access tokens: the cloud's name for itself.
pub const AUDIENCE: &str = "https://cloud.ocf-devsim.test/";

/// The batch file's name in the lab's directory.
pub const DEVICES_FILE: &str = "devices.jsonl";

/// How to run a lab.
#[derive(Clone, Debug)]
pub struct LabConfig {
    /// How many devices.
    pub devices: usize,
    /// Their name (`/oic/d` `n`), numbered when there are several.
    pub name: String,
    /// Their ownership transfer methods (and PIN).
    pub security: SecurityConfig,
    /// Lifetime of the cloud's tokens for devices (−1: permanent).
    pub expires_in: i64,
    /// Let devices without an identity certificate register too (the
    /// cloud still asks for one; by default it requires one, as a plgd
    /// hub does).
    pub optional_client_cert: bool,
    /// Where the batch file goes (and the mediator's state, for commands
    /// run in the lab); it must exist.
    pub dir: PathBuf,
}

/// What a started lab tells (the `--json` startup line).
#[derive(Clone, Debug, Serialize)]
pub struct LabInfo {
    pub hub_configuration_url: String,
    pub cis: String,
    pub sid: Uuid,
    pub ca_file: PathBuf,
    pub m2m_client_id: String,
    /// The rehearsal's own secret, made at start.
    pub m2m_client_secret: String,
    pub devices: Vec<HostedDevice>,
    /// The hub's base URL (for `login --hub`).
    pub hub: String,
    /// The OAuth server.
    pub issuer: String,
    /// The client people log in with.
    pub web_client_id: String,
    /// The devices by address, one JSON line each (`provision --batch`).
    pub devices_file: PathBuf,
}

/// Why a lab could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum LabError {
    /// The OAuth server could not start.
    OAuth(OAuthServerError),
    /// The cloud could not start.
    Cloud(CloudError),
    /// The devices could not start.
    Devices(std::io::Error),
    /// The batch file could not be written.
    DevicesFile {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth(e) => e.fmt(f),
            Self::Cloud(e) => write!(f, "the cloud cannot start: {e}"),
            Self::Devices(e) => write!(f, "the devices cannot start: {e}"),
            Self::DevicesFile { path, error } => {
                write!(
                    f,
                    "cannot write the device list {}: {error}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for LabError {}

/// Something that happened in the lab.
#[derive(Debug)]
#[non_exhaustive]
pub enum LabEvent {
    /// The cloud's: sign-up, sign-in, publication, refusals…
    Cloud(CloudEvent),
    /// A device's: a PIN it shows, what its cloud client saw go wrong.
    Device(Notice),
}

/// A running lab; everything stops when it is dropped.
pub struct Lab {
    pub info: LabInfo,
    cloud: CloudHandle,
    _oauth: OAuthHandle,
    notices: mpsc::UnboundedReceiver<Notice>,
    stop_devices: watch::Sender<bool>,
}

impl Lab {
    /// Starts the OAuth server, the cloud and the devices on loopback, and
    /// writes the batch file, on the current tokio runtime.
    pub async fn start(config: LabConfig) -> Result<Lab, LabError> {
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        let oauth = OAuthServer::start(OAuthConfig::rehearsal(loopback, AUDIENCE))
            .await
            .map_err(LabError::OAuth)?;
        let device_secret = oauth
            .secret_of(DEVICE_CLIENT)
            .unwrap_or_default()
            .to_owned();
        let m2m_client_secret = oauth.secret_of(M2M_CLIENT).unwrap_or_default().to_owned();
        let cloud = Cloud::start(CloudConfig {
            listen: loopback,
            http_listen: loopback,
            // As a plgd hub: devices show an identity certificate from the
            // hub's CA, which the mediator has signed for them.
            require_client_cert: !config.optional_client_cert,
            optional_client_cert: config.optional_client_cert,
            expires_in: config.expires_in,
            issuer: Some(oauth.issuer.clone()),
            audience: Some(AUDIENCE.into()),
            owner_claim: oauth.config.owner_claim.clone(),
            // Codes of the device client are exchanged too (plgd's default
            // grant), though the hub tells mediators to send access tokens.
            code_client: Some(CodeClient {
                client_id: DEVICE_CLIENT.into(),
                client_secret: device_secret,
                redirect_uri: None,
            }),
            device_client_id: DEVICE_CLIENT.into(),
            device_grant: "clientCredentials".into(),
            m2m_client_id: M2M_CLIENT.into(),
            web_client_id: WEB_CLIENT.into(),
            ..CloudConfig::default()
        })
        .await
        .map_err(LabError::Cloud)?;

        let (announced_tx, announced) = oneshot::channel();
        let (notices_tx, notices) = mpsc::unbounded_channel();
        let (stop_devices, mut stopped) = watch::channel(false);
        let options = HostOptions {
            listen: Some(loopback),
            count: config.devices.max(1),
            name: config.name.clone(),
            state_dir: None,
            multicast_delay: Duration::ZERO,
            // Found through the batch file, not multicast.
            multicast: false,
            multicast_port: COAP_PORT,
            security: config.security.clone(),
            reset_delay: Duration::from_secs(2),
            session_idle: Duration::from_secs(60),
            loopback_eps: true,
            misbehaviour: None,
        };
        let (failed_tx, failed) = oneshot::channel();
        tokio::spawn(async move {
            let shutdown = async move {
                while !*stopped.borrow() {
                    if stopped.changed().await.is_err() {
                        return;
                    }
                }
            };
            let result = run(
                options,
                |devices| {
                    let _ = announced_tx.send(devices.to_vec());
                },
                move |notice| {
                    let _ = notices_tx.send(notice);
                },
                shutdown,
            )
            .await;
            if let Err(e) = result {
                let _ = failed_tx.send(e);
            }
        });
        let devices = tokio::select! {
            devices = announced => devices.ok(),
            error = failed => {
                return Err(LabError::Devices(error.unwrap_or_else(|_| {
                    std::io::Error::other("they stopped before starting")
                })));
            }
        }
        .ok_or_else(|| LabError::Devices(std::io::Error::other("they stopped before starting")))?;

        let devices_file = config.dir.join(DEVICES_FILE);
        write_devices_file(&devices_file, &devices).map_err(|error| LabError::DevicesFile {
            path: devices_file.clone(),
            error,
        })?;
        let hub = cloud
            .info
            .hub_configuration_url
            .trim_end_matches("/.well-known/hub-configuration")
            .to_owned();
        let info = LabInfo {
            hub_configuration_url: cloud.info.hub_configuration_url.clone(),
            cis: cloud.info.cis.clone(),
            sid: cloud.info.sid,
            ca_file: cloud.info.ca_file.clone(),
            m2m_client_id: M2M_CLIENT.into(),
            m2m_client_secret,
            devices,
            hub,
            issuer: oauth.issuer.clone(),
            web_client_id: WEB_CLIENT.into(),
            devices_file,
        };
        Ok(Lab {
            info,
            cloud,
            _oauth: oauth,
            notices,
            stop_devices,
        })
    }

    /// The next thing that happened; `None` once the lab stopped.
    pub async fn next_event(&mut self) -> Option<LabEvent> {
        tokio::select! {
            event = self.cloud.next_event() => event.map(LabEvent::Cloud),
            Some(notice) = self.notices.recv() => Some(LabEvent::Device(notice)),
        }
    }

    /// The devices signed in at the cloud now.
    pub fn signed_in(&self) -> Vec<(Uuid, String, SocketAddr)> {
        self.cloud.signed_in()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.stop_devices.send(true);
    }
}

/// The batch file: each device by address (unicast, no multicast needed),
/// its name and UUID in a comment above it.
fn write_devices_file(path: &Path, devices: &[HostedDevice]) -> std::io::Result<()> {
    let mut text =
        String::from("# ocf-devsim lab: its devices, for `ocf-mediator provision --batch FILE`\n");
    for device in devices {
        let Some(address) = device.endpoints.iter().find(|e| e.starts_with("coap://")) else {
            continue;
        };
        // A name is the device's own text: no line breaks in the comment.
        let name: String = device.name.chars().filter(|c| !c.is_control()).collect();
        text.push_str(&format!("# {name}  {}\n", device.di));
        text.push_str(&serde_json::json!({ "device": address }).to_string());
        text.push('\n');
    }
    std::fs::write(path, text)
}
