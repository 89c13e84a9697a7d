//! The simulated OCF device behind `ocf-devsim`: its security state and
//! resources, answering requests the way the reference device (iotivity-lite)
//! does. Pure logic: [`crate::net::device_host`] puts it on sockets.

pub mod device;
pub mod resources;
pub mod state;

pub use device::{RequestContext, SimDevice};
pub use state::DeviceState;
