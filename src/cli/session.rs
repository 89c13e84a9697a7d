//! Sessions with devices for the ownership commands: a device located with
//! its plain and secure endpoints, owner sessions keyed from the keyring, and
//! plan steps sent over a session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::exchange::session_failure;
use super::exit::{Exit, failure};
use super::output::Output;
use super::resolve::resolve_device;
use crate::coap::{Code, Response};
use crate::dtls::{CipherSuite, ClientConfig, KeyMaterial};
use crate::net::secure::SecureSession;
use crate::net::{DiscoverOptions, discover};
use crate::ocf::address::{DeviceRef, Endpoint, Scheme, format_addr};
use crate::ocf::discovery::DeviceRecord;
use crate::ocf::representation::encode_cbor;
use crate::ocf::request::{ocf_request, ocf_request_with_body};
use crate::otm::{OnNotFound, Step, owner_identity};
use crate::store::{OwnedDevice, OwnerKey, Store, StoreError};

/// A device as found on the network: its UUID, ownership and endpoints.
pub async fn locate(
    device: &str,
    store: &Store,
    timeout: Duration,
    output: &Output,
) -> anyhow::Result<DeviceRecord> {
    // A device we own is asked at its last known address first: its UUID
    // does not answer multicast filters for unowned devices, and the
    // address saves a multicast round.
    if let DeviceRef::Uuid(di) = DeviceRef::parse(device) {
        if let Some(entry) = store.device(di).await? {
            let known: Vec<SocketAddr> = entry
                .endpoints
                .iter()
                .filter_map(|e| Endpoint::parse(e))
                .filter(|e| e.scheme == Scheme::Coap)
                .map(|e| e.addr)
                .collect();
            if let Some(record) = ask(&known, timeout).await?.into_iter().find(|r| r.di == di) {
                return Ok(record);
            }
        }
    }
    let endpoint = resolve_device(device, timeout, output).await?;
    if endpoint.scheme != Scheme::Coap {
        return Err(failure(
            Exit::Usage,
            format!(
                "{device}: give the device's coap:// address (or its UUID); its secure endpoint is found from there"
            ),
        ));
    }
    ask(&[endpoint.addr], timeout)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            failure(
                Exit::NotFound,
                format!("{device} did not answer discovery (GET /oic/res)"),
            )
        })
}

async fn ask(addresses: &[SocketAddr], timeout: Duration) -> anyhow::Result<Vec<DeviceRecord>> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let options = DiscoverOptions {
        multicast: false,
        addresses: addresses.to_vec(),
        timeout,
        ..DiscoverOptions::default()
    };
    Ok(discover(&options).await?.devices)
}

/// The device's secure endpoint, from the `eps` it lists.
pub fn secure_endpoint(record: &DeviceRecord) -> anyhow::Result<SocketAddr> {
    record.coaps_endpoint().map(|e| e.addr).ok_or_else(|| {
        failure(
            Exit::Failed,
            format!(
                "{} lists no coaps:// endpoint in /oic/res eps, so no secure session can be opened \
                 (devices list none when asked over loopback; ask it over a network address)",
                record.di
            ),
        )
    })
}

/// The configuration of an owner session: ECDHE-PSK (then PSK-CCM8) with the
/// owner UUID's 16 bytes as identity (FACTS §2.1).
pub fn owner_config(owner: Uuid, key: &[u8]) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::new(&[
            CipherSuite::EcdhePskWithAes128CbcSha256,
            CipherSuite::PskWithAes128Ccm8,
        ])
        .with_psk(&owner_identity(owner), key),
    )
}

/// The owner key of a device we own, from the store.
pub async fn owner_key(store: &Store, entry: &OwnedDevice) -> anyhow::Result<OwnerKey> {
    store.owner_key(entry).await.map_err(|e| {
        let exit = match e {
            StoreError::KeyMissing { .. }
            | StoreError::KekLost { .. }
            | StoreError::WrongKek { .. }
            | StoreError::SealedKeyDamaged { .. } => Exit::AuthFailed,
            _ => Exit::Failed,
        };
        failure(exit, e.to_string())
    })
}

/// Opens a DTLS session, naming the device in errors.
pub async fn open(
    peer: SocketAddr,
    config: Arc<ClientConfig>,
    deadline: Instant,
    what: &str,
) -> anyhow::Result<SecureSession> {
    SecureSession::connect(peer, config, deadline)
        .await
        .map_err(|e| session_failure(&format_addr(peer), what, e))
}

/// As [`open`], handing the key material to `on_keys` as soon as it exists
/// ([`SecureSession::connect_watching_keys`]).
pub async fn open_watching_keys(
    peer: SocketAddr,
    config: Arc<ClientConfig>,
    deadline: Instant,
    what: &str,
    on_keys: impl FnMut(KeyMaterial),
) -> anyhow::Result<SecureSession> {
    SecureSession::connect_watching_keys(peer, config, deadline, on_keys)
        .await
        .map_err(|e| session_failure(&format_addr(peer), what, e))
}

/// Sends one step of a plan; a refusal becomes an error naming the step.
/// Returns `None` for an optional resource the device does not have.
pub async fn send_step(
    session: &mut SecureSession,
    step: &Step,
    deadline: Instant,
) -> anyhow::Result<Option<Response>> {
    let request = match &step.body {
        Some(body) => ocf_request_with_body(step.code, step.href, encode_cbor(body)),
        None => ocf_request(step.code, step.href),
    };
    let peer = format_addr(session.peer());
    let response = session
        .request(request, deadline)
        .await
        .map_err(|e| session_failure(&peer, step.what, e))?;
    if response.code == Code::NOT_FOUND && step.on_not_found == OnNotFound::Skip {
        return Ok(None);
    }
    if !response.code.is_success() {
        return Err(failure(
            Exit::Refused,
            format!(
                "{peer}: {}: {} {} answered {} {}",
                step.what,
                step.code.name(),
                step.href,
                response.code,
                response.code.name()
            ),
        ));
    }
    Ok(Some(response))
}
