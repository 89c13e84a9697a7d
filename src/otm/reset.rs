//! After a hard reset: waiting for the device to come back unowned. It
//! acts on the reset after a delay (the reference device: 2 s), then
//! answers with a new UUID, so it is found again by its address.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::mediator::{AccessError, Located, Mediator};
use crate::ocf::DeviceError;
use crate::ocf::address::{DeviceRef, Scheme, format_addr};

/// How long a device takes to act on a hard reset (the reference device: 2 s).
pub const RESET_DELAY: Duration = Duration::from_secs(2);

/// Polls `address` until a device answers there unowned, within `deadline`
/// plus the reset delay.
pub async fn wait_until_unowned(
    m: &Mediator,
    address: SocketAddr,
    deadline: Instant,
) -> Result<Located, DeviceError> {
    let give_up = deadline + RESET_DELAY;
    let reference = DeviceRef::Address {
        scheme: Scheme::Coap,
        host: address.ip().to_string(),
        port: address.port(),
    };
    loop {
        let attempt = crate::net::now() + Duration::from_millis(500);
        match m.locate(&reference, attempt.min(give_up)).await {
            Ok(found) if found.record.owned == Some(false) => return Ok(found),
            Err(AccessError::Device(DeviceError::Unreachable { .. })) | Ok(_) | Err(_) => {}
        }
        if crate::net::now() >= give_up {
            return Err(DeviceError::TimedOut {
                peer: format_addr(address),
                step: "coming back unowned after the reset".into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
