//! Fault injection for crash tests: an operation given a [`Failpoint`]
//! stops right before its (n+1)th request to a device, as if the process
//! had been killed there: nothing is closed, undone or cleaned up. Only
//! the operations of the [`super::Mediator`] that carries it are affected.

use std::sync::atomic::{AtomicU64, Ordering};

/// Stops an operation before a given request.
#[derive(Debug)]
pub struct Failpoint {
    remaining: AtomicU64,
}

/// An operation was stopped by its failpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped by a failpoint")
    }
}

impl std::error::Error for Interrupted {}

impl Failpoint {
    /// Lets `requests` requests through, then stops the operation.
    pub fn after_requests(requests: u64) -> Failpoint {
        Failpoint {
            remaining: AtomicU64::new(requests),
        }
    }

    /// Called before each request to a device.
    pub fn check(&self) -> Result<(), Interrupted> {
        let left = self
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match left {
            Ok(_) => Ok(()),
            Err(_) => Err(Interrupted),
        }
    }
}
