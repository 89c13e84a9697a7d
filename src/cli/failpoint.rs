//! A fault-injection aid for the crash-safety tests: with
//! `OCF_MEDIATOR_TEST_STOP_AFTER=N` the process vanishes right before its
//! (N+1)th request to a device, as if killed: no close_notify, no cleanup.
//! Unset (always, outside tests) it does nothing.

use std::sync::atomic::{AtomicI64, Ordering};

const VARIABLE: &str = "OCF_MEDIATOR_TEST_STOP_AFTER";

static REMAINING: AtomicI64 = AtomicI64::new(i64::MIN);

/// Call before each request of an ownership operation.
pub fn before_request() {
    let mut remaining = REMAINING.load(Ordering::Relaxed);
    if remaining == i64::MIN {
        remaining = std::env::var(VARIABLE)
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-1);
    }
    if remaining == 0 {
        // Exit code 86: distinguishable from every documented one.
        std::process::exit(86);
    }
    REMAINING.store(
        if remaining > 0 {
            remaining - 1
        } else {
            remaining
        },
        Ordering::Relaxed,
    );
}
