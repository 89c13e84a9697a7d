//! The simulated OCF device behind `ocf-devsim`: its security state and
//! resources, answering requests the way the reference device (iotivity-lite)
//! does. `host` and `secure_host` put it on sockets (through `net`).

pub mod acl;
pub mod cloud;
pub mod cloud_client;
pub mod cloud_conf;
pub mod cloud_link;
pub mod cred;
pub mod csr;
pub mod device;
pub mod host;
pub mod identity;
pub mod jwt;
pub mod lab;
pub mod misbehave;
pub mod oauth;
pub mod repr;
pub mod resources;
pub mod secure_host;
pub mod security;
pub mod state;
pub mod svr;
pub mod wire_cbor;

pub use device::{Notice, RequestContext, SimDevice};
pub use security::{Peer, Refusal, SecurityConfig, SessionInfo, SessionOffer, oxm};
pub use state::DeviceState;
