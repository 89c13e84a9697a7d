//! `provision`: the whole job for each device — find it, own it, point it
//! at its cloud (inside the ownership session for a new device), and wait
//! for it to register — for one device or many at once, with a record of
//! every step.

mod batch;
pub mod batch_file;
mod pipeline;
mod progress;
mod record;

pub use batch::provision_all;
pub use batch_file::{BatchError, BatchRow, parse_batch};
pub use pipeline::{Goal, ProvisionRequest, provision};
pub use record::{ProvisionError, ProvisionRecord, StepRecord};
