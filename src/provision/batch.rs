//! Many devices at once: each runs its own pipeline, up to `jobs` at a
//! time, and one device's failure neither stops nor slows the others.
//! Records are handed out as devices finish.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::pipeline::{ProvisionRequest, provision};
use super::record::{ProvisionError, ProvisionRecord};
use crate::mediator::Mediator;

/// Provisions every request, `jobs` at a time; `on_record` sees each
/// device's record as it finishes. Returns the records in request order,
/// one per request: a job that ended without one (it panicked) gets a
/// failed record.
pub async fn provision_all(
    m: &Mediator,
    requests: Vec<ProvisionRequest>,
    jobs: usize,
    mut on_record: impl FnMut(&ProvisionRecord),
) -> Vec<ProvisionRecord> {
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut running = JoinSet::new();
    let names: Vec<String> = requests.iter().map(|r| r.name.clone()).collect();
    let mut index_of = HashMap::new();
    for (index, request) in requests.into_iter().enumerate() {
        let m = m.clone();
        let permits = Arc::clone(&permits);
        let task = running.spawn(async move {
            let _permit = permits.acquire_owned().await;
            provision(&m, &request).await
        });
        index_of.insert(task.id(), index);
    }
    let mut records: Vec<Option<ProvisionRecord>> = names.iter().map(|_| None).collect();
    while let Some(done) = running.join_next_with_id().await {
        let (id, record) = match done {
            Ok((id, record)) => (id, record),
            Err(error) => {
                let index = index_of[&error.id()];
                let mut record = ProvisionRecord::new(&names[index]);
                let why = if error.is_panic() {
                    "its job panicked"
                } else {
                    "its job was cancelled"
                };
                record.finish(Err(ProvisionError::Stopped(why.to_owned())));
                (error.id(), record)
            }
        };
        on_record(&record);
        records[index_of[&id]] = Some(record);
    }
    records.into_iter().flatten().collect()
}
