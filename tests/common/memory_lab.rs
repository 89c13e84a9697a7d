//! Simulated devices and a mediator in one process, on the in-memory
//! network (`net::udp`), usually with tokio's clock paused: no sockets of
//! the system, no D-Bus, owner keys sealed under a key in the kernel
//! keyring. Used by tests/in_memory.rs and tests/lossy_memory.rs.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ocf_mediator::interact::Interaction;
use ocf_mediator::mediator::{Mediator, Settings};
use ocf_mediator::net::udp::use_memory_network;
use ocf_mediator::ocf::address::{DeviceRef, Scheme};
use ocf_mediator::otm::{MethodChoice, OwnRequest};
use ocf_mediator::sim::SecurityConfig;
use ocf_mediator::sim::host::{HostOptions, HostedDevice, run};
use ocf_mediator::store::KeyringKind;
use serde_json::Value;
use tempfile::TempDir;

/// Simulated devices on the in-memory network, and a mediator with its own
/// store.
pub struct Lab {
    pub devices: Vec<HostedDevice>,
    pub states: TempDir,
    _store: TempDir,
    pub mediator: Mediator,
}

pub async fn lab(count: usize, security: SecurityConfig, interaction: Arc<dyn Interaction>) -> Lab {
    lab_with_timeout(count, security, interaction, Duration::from_secs(10)).await
}

/// As [`lab`], with the mediator's timeout for one device.
pub async fn lab_with_timeout(
    count: usize,
    security: SecurityConfig,
    interaction: Arc<dyn Interaction>,
    timeout: Duration,
) -> Lab {
    use_memory_network();
    let states = tempfile::tempdir().unwrap();
    let options = HostOptions {
        listen: Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)),
        count,
        name: "memory".into(),
        state_dir: Some(states.path().to_path_buf()),
        multicast_delay: Duration::ZERO,
        multicast: false,
        multicast_port: 5683,
        security,
        reset_delay: Duration::from_millis(500),
        session_idle: Duration::from_secs(60),
        loopback_eps: true,
        misbehaviour: None,
    };
    let (announced, devices) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let _ = run(
            options,
            move |devices: &[HostedDevice]| {
                let _ = announced.send(devices.to_vec());
            },
            |_| {},
            std::future::pending(),
        )
        .await;
    });
    let devices = devices.await.expect("the devices started");
    let store = tempfile::tempdir().unwrap();
    let settings = Settings {
        state_dir: Some(store.path().to_path_buf()),
        keyring: KeyringKind::Kernel,
        timeout,
    };
    let mediator = Mediator::new(settings, interaction).unwrap();
    Lab {
        devices,
        states,
        _store: store,
        mediator,
    }
}

impl Lab {
    pub fn device(&self, index: usize) -> DeviceRef {
        let endpoint = self.devices[index].endpoints[0].trim_start_matches("coap://");
        let addr: SocketAddr = endpoint.parse().unwrap();
        DeviceRef::Address {
            scheme: Scheme::Coap,
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }

    /// What device `index` holds, from the state it saves.
    pub fn saved(&self, index: usize) -> Value {
        let path = self.states.path().join(format!("device-{index}.json"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    pub fn request(&self, index: usize, method: MethodChoice) -> OwnRequest {
        OwnRequest::new(self.device(index), method)
    }
}

/// Runs a test on a runtime with tokio's clock paused (simulated time), in
/// a kernel session keyring of its own: the threads of the runtime are
/// started after it is joined, and hold the test's key-encryption keys.
pub fn simulated<F: std::future::Future>(test: impl FnOnce() -> F) -> F::Output {
    crate::kernel_session::join_new_session_keyring();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(test())
}
