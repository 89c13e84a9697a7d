//! Many devices at once: each runs its own pipeline, up to `jobs` at a
//! time, and one device's failure neither stops nor slows the others.
//! Records are handed out as devices finish.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::pipeline::{ProvisionRequest, provision};
use super::record::ProvisionRecord;
use crate::mediator::Mediator;

/// Provisions every request, `jobs` at a time; `on_record` sees each
/// device's record as it finishes. Returns the records in request order.
pub async fn provision_all(
    m: &Mediator,
    requests: Vec<ProvisionRequest>,
    jobs: usize,
    mut on_record: impl FnMut(&ProvisionRecord),
) -> Vec<ProvisionRecord> {
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut running = JoinSet::new();
    let count = requests.len();
    for (index, request) in requests.into_iter().enumerate() {
        let m = m.clone();
        let permits = Arc::clone(&permits);
        running.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (index, provision(&m, &request).await)
        });
    }
    let mut records: Vec<Option<ProvisionRecord>> = (0..count).map(|_| None).collect();
    while let Some(done) = running.join_next().await {
        if let Ok((index, record)) = done {
            on_record(&record);
            records[index] = Some(record);
        }
    }
    records.into_iter().flatten().collect()
}
