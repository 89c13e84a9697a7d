//! Puts simulated devices' cloud clients ([`CloudClient`]) on TCP and TLS:
//! builds each device's TLS client from its credentials (the provisioned
//! trust anchors, CN `uuid:<sid>`, its identity or manufacturer
//! certificate), opens and closes links as the clients ask, and brings the
//! links' events back. Any number of devices share one event channel.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use p256::pkcs8::EncodePrivateKey;
use tokio::sync::mpsc;

use super::cloud::ca::pem_certificates;
use super::cloud_client::{Action, CloudClient, LinkFailure};
use super::state::DeviceState;
use crate::dtls::CertifiedKey;
use crate::net::coap_tcp::{ClientTls, LinkError, LinkEvent, LinkHandle, spawn_link};
use crate::net::tls::pinned_client_config;

/// How long a connection and its handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS client of a device for its cloud `sid`: trusts only the
/// credentials with credusage `oic.sec.cred.trustca`; shows its identity
/// certificate (credusage `oic.sec.cred.cert` for its own di, with its
/// device key), else its manufacturer certificate, else none.
pub fn client_tls(
    state: &DeviceState,
    manufacturer: Option<&CertifiedKey>,
    sid: &str,
) -> Result<ClientTls, String> {
    let creds = &state.security.creds;
    let anchors: Vec<Vec<u8>> = creds
        .iter()
        .filter(|c| c.credtype == 8 && c.credusage.as_deref() == Some("oic.sec.cred.trustca"))
        .filter_map(|c| c.publicdata.as_deref())
        .flat_map(pem_certificates)
        .collect();
    let di = state.di.to_string();
    let identity_chain: Option<Vec<Vec<u8>>> = creds
        .iter()
        .find(|c| {
            c.credtype == 8
                && c.credusage.as_deref() == Some("oic.sec.cred.cert")
                && c.subjectuuid == di
        })
        .and_then(|c| c.publicdata.as_deref())
        .map(pem_certificates)
        .filter(|chain| !chain.is_empty());
    // The device's key as derived once (not encoded again per connection).
    let device_key = super::identity::device_key(state);
    let identity: Option<(Vec<Vec<u8>>, Vec<u8>)> = match (identity_chain, device_key) {
        (Some(chain), Some(key)) => Some((chain, key.pkcs8().to_vec())),
        _ => manufacturer.and_then(|m| {
            m.key
                .to_pkcs8_der()
                .ok()
                .map(|der| (m.chain.clone(), der.as_bytes().to_vec()))
        }),
    };
    if anchors.is_empty() {
        return Err("no trust anchor (credusage oic.sec.cred.trustca) is provisioned".into());
    }
    // The cloud is the one whose certificate says uuid:<sid> (FACTS §1.3).
    let (config, note) = pinned_client_config(
        &anchors,
        &format!("uuid:{sid}"),
        identity
            .as_ref()
            .map(|(chain, key)| (chain.as_slice(), key.as_slice())),
    )
    .map_err(|e| e.to_string())?;
    Ok(ClientTls {
        config,
        note: Some(note),
    })
}

/// The links of many devices, keyed by `K`.
pub struct CloudLinks<K> {
    sender: mpsc::Sender<((K, u64), LinkEvent)>,
    receiver: mpsc::Receiver<((K, u64), LinkEvent)>,
    links: HashMap<K, (u64, LinkHandle)>,
    generation: u64,
}

impl<K: Clone + Eq + Hash + Send + 'static> Default for CloudLinks<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Clone + Eq + Hash + Send + 'static> CloudLinks<K> {
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::channel(4096);
        CloudLinks {
            sender,
            receiver,
            links: HashMap::new(),
            generation: 0,
        }
    }

    /// Carries out what `client` asks. A TLS client that cannot be built
    /// (no usable trust anchor) is reported to the client as a TLS failure.
    pub fn apply(
        &mut self,
        key: &K,
        client: &mut CloudClient,
        state: &mut DeviceState,
        manufacturer: Option<&CertifiedKey>,
        now: Instant,
    ) {
        while let Some(action) = client.poll_action() {
            match action {
                Action::Connect { addr, tls, sid } => {
                    self.links.remove(key);
                    let tls = if tls {
                        match client_tls(state, manufacturer, &sid) {
                            Ok(tls) => Some(tls),
                            Err(reason) => {
                                client.handle_failure(now, LinkFailure::Tls(reason), state);
                                continue;
                            }
                        }
                    } else {
                        None
                    };
                    self.generation += 1;
                    let handle = spawn_link(
                        addr,
                        tls,
                        CONNECT_TIMEOUT,
                        (key.clone(), self.generation),
                        self.sender.clone(),
                    );
                    self.links.insert(key.clone(), (self.generation, handle));
                }
                Action::Send(bytes) => {
                    if let Some((_, link)) = self.links.get(key) {
                        link.send(bytes);
                    }
                }
                Action::Disconnect => {
                    self.links.remove(key);
                }
            }
        }
    }

    /// The next event of a current link (events of links already closed
    /// are dropped).
    pub async fn next(&mut self) -> Option<(K, LinkEvent)> {
        loop {
            let ((key, generation), event) = self.receiver.recv().await?;
            if self
                .links
                .get(&key)
                .is_some_and(|(current, _)| *current == generation)
            {
                if matches!(event, LinkEvent::Failed(_) | LinkEvent::Closed) {
                    self.links.remove(&key);
                }
                return Some((key, event));
            }
        }
    }

    /// The number of open links.
    pub fn open(&self) -> usize {
        self.links.len()
    }
}

/// The device id of an OCF identity certificate (CN `uuid:<di>`).
pub fn uuid_of(der: &[u8]) -> Option<uuid::Uuid> {
    let cn = crate::net::tls::common_name(der)?;
    uuid::Uuid::parse_str(cn.strip_prefix("uuid:")?).ok()
}

/// Hands a link event to the client it belongs to.
pub fn deliver(client: &mut CloudClient, state: &mut DeviceState, event: LinkEvent, now: Instant) {
    match event {
        LinkEvent::Connected { .. } => client.handle_connected(now, state),
        LinkEvent::Received(bytes) => client.handle_bytes(now, &bytes, state),
        LinkEvent::Failed(error) => {
            let failure = match error {
                LinkError::Tls(reason) => LinkFailure::Tls(reason),
                LinkError::Connect(e) => LinkFailure::Connect(e.to_string()),
                LinkError::TimedOut => LinkFailure::Connect("timed out".into()),
                other => LinkFailure::Lost(other.to_string()),
            };
            client.handle_failure(now, failure, state);
        }
        LinkEvent::Closed => {
            client.handle_failure(now, LinkFailure::Lost("closed by the cloud".into()), state);
        }
    }
}

/// A device as its owner leaves it for a cloud (FACTS §1.1 step 3): in
/// RFNOP, the cloud's CA as trust anchor (subject `sid`), the cloud's ACE,
/// and the cloud configuration, ready to register.
pub fn configured_device(
    name: &str,
    sid: &str,
    ca_pem: &str,
    cis: &str,
    apn: &str,
    at: &str,
) -> DeviceState {
    use super::state::{Ace, AceResource, AceSubject, CloudConf, Cred, dos};
    let mut state = DeviceState::new_unowned(name);
    state.pstat.s = dos::RFNOP;
    state.doxm.owned = true;
    state.security.creds.push(Cred {
        credid: 1,
        credtype: 8,
        subjectuuid: sid.to_owned(),
        credusage: Some("oic.sec.cred.trustca".into()),
        publicdata: Some(ca_pem.to_owned()),
        privatedata_hex: String::new(),
    });
    if let Ok(uuid) = uuid::Uuid::parse_str(sid) {
        state.security.aces.push(Ace {
            aceid: 1,
            subject: AceSubject::Uuid(uuid),
            resources: vec![AceResource {
                href: None,
                wc: Some("*".into()),
            }],
            permission: 31,
        });
    }
    state.security.cloud = CloudConf {
        cis: cis.to_owned(),
        sid: sid.to_owned(),
        apn: apn.to_owned(),
        at: at.to_owned(),
        cps: "readytoregister".into(),
        clec: 0,
    };
    state
}

/// Runs the cloud clients of `devices` in this task, without the rest of a
/// device (no UDP), until `done` holds for them or `timeout` passes.
/// Returns whether `done` held. For rehearsals and benchmarks with many
/// devices in one process.
pub async fn run_clients(
    devices: &mut [DeviceState],
    config: super::cloud_client::CloudClientConfig,
    timeout: Duration,
    done: impl Fn(&[DeviceState], &[CloudClient]) -> bool,
) -> bool {
    let deadline = crate::net::now() + timeout;
    let mut clients: Vec<CloudClient> = (0..devices.len())
        .map(|i| {
            CloudClient::new(
                config.clone(),
                crate::net::coap_endpoint::random_seed() ^ i as u64,
            )
        })
        .collect();
    let mut links: CloudLinks<usize> = CloudLinks::new();
    let now = crate::net::now();
    for (index, (client, state)) in clients.iter_mut().zip(devices.iter_mut()).enumerate() {
        client.sync(now, state);
        links.apply(&index, client, state, None, now);
    }
    loop {
        if done(devices, &clients) {
            return true;
        }
        let now = crate::net::now();
        if now >= deadline {
            return false;
        }
        let wake = clients
            .iter()
            .filter_map(CloudClient::poll_timeout)
            .min()
            .unwrap_or(deadline)
            .min(deadline);
        tokio::select! {
            event = links.next() => {
                let Some((index, event)) = event else { return false };
                let now = crate::net::now();
                deliver(&mut clients[index], &mut devices[index], event, now);
                links.apply(&index, &mut clients[index], &mut devices[index], None, now);
            }
            () = tokio::time::sleep_until(wake.into()) => {
                let now = crate::net::now();
                for (index, (client, state)) in clients.iter_mut().zip(devices.iter_mut()).enumerate() {
                    if client.poll_timeout().is_some_and(|at| at <= now) {
                        client.handle_timeout(now, state);
                        links.apply(&index, client, state, None, now);
                    }
                }
            }
        }
    }
}
