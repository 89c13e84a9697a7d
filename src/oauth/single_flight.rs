//! One fetch for many askers: the latest value (or failure) of something
//! that is expensive to renew, shared by every task that asked while it was
//! being renewed. A profile's access token is renewed this way, so that a
//! batch of a hundred devices refreshes it once, not a hundred times.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

pub struct SingleFlight<T, E> {
    /// How many fetches have finished; read without the lock, so that a
    /// task knows whether a fetch ended while it waited for the lock.
    finished: AtomicU64,
    slot: Mutex<Slot<T, E>>,
}

struct Slot<T, E> {
    finished: u64,
    outcome: Option<Result<T, E>>,
}

impl<T: Clone, E: Clone> SingleFlight<T, E> {
    pub fn new() -> Self {
        SingleFlight {
            finished: AtomicU64::new(0),
            slot: Mutex::new(Slot {
                finished: 0,
                outcome: None,
            }),
        }
    }

    /// The value kept, when `usable` accepts it; else the outcome of a
    /// fetch. Callers that arrive while a fetch runs wait for it and share
    /// its outcome, success or failure, even when the value it brought is
    /// not `usable` (a token that lives less than the margin): one demand,
    /// one fetch. A failure is not kept for later callers, who fetch anew.
    pub async fn get<F, Fut>(&self, usable: impl Fn(&T) -> bool, fetch: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let seen = self.finished.load(Ordering::Acquire);
        let mut slot = self.slot.lock().await;
        match &slot.outcome {
            Some(outcome) if slot.finished != seen => return outcome.clone(),
            Some(Ok(value)) if usable(value) => return Ok(value.clone()),
            _ => {}
        }
        let outcome = fetch().await;
        slot.outcome = Some(outcome.clone());
        slot.finished += 1;
        self.finished.store(slot.finished, Ordering::Release);
        outcome
    }

    /// How many fetches have finished.
    pub fn fetches(&self) -> u64 {
        self.finished.load(Ordering::Acquire)
    }
}

impl<T: Clone, E: Clone> Default for SingleFlight<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A fetch that takes a while and counts itself.
    async fn slow_fetch(
        count: Arc<AtomicUsize>,
        value: Result<u32, String>,
    ) -> Result<u32, String> {
        count.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        value
    }

    #[test]
    fn a_hundred_concurrent_askers_cause_one_fetch_even_of_a_value_never_usable() {
        runtime().block_on(async {
            let flight = Arc::new(SingleFlight::<u32, String>::new());
            let count = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let (flight, count) = (Arc::clone(&flight), Arc::clone(&count));
                    tokio::spawn(
                        async move { flight.get(|_| false, || slow_fetch(count, Ok(7))).await },
                    )
                })
                .collect();
            for task in tasks {
                assert_eq!(task.await.unwrap(), Ok(7));
            }
            assert_eq!(count.load(Ordering::SeqCst), 1);
            assert_eq!(flight.fetches(), 1);
        });
    }

    #[test]
    fn a_usable_value_is_handed_out_without_a_fetch() {
        runtime().block_on(async {
            let flight = SingleFlight::<u32, String>::new();
            let count = Arc::new(AtomicUsize::new(0));
            assert_eq!(
                flight
                    .get(|_| true, || slow_fetch(count.clone(), Ok(1)))
                    .await,
                Ok(1)
            );
            assert_eq!(
                flight
                    .get(|_| true, || slow_fetch(count.clone(), Ok(2)))
                    .await,
                Ok(1)
            );
            assert_eq!(count.load(Ordering::SeqCst), 1);
            // Once it is no longer usable, the next asker fetches.
            assert_eq!(
                flight
                    .get(|_| false, || slow_fetch(count.clone(), Ok(3)))
                    .await,
                Ok(3)
            );
            assert_eq!(count.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn a_failure_is_shared_by_those_who_waited_and_not_kept_for_later() {
        runtime().block_on(async {
            let flight = Arc::new(SingleFlight::<u32, String>::new());
            let count = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..10)
                .map(|_| {
                    let (flight, count) = (Arc::clone(&flight), Arc::clone(&count));
                    tokio::spawn(async move {
                        flight
                            .get(|_| true, || slow_fetch(count, Err("refused".into())))
                            .await
                    })
                })
                .collect();
            for task in tasks {
                assert_eq!(task.await.unwrap(), Err("refused".to_owned()));
            }
            assert_eq!(count.load(Ordering::SeqCst), 1);
            let later = flight
                .get(|_| true, || slow_fetch(count.clone(), Ok(5)))
                .await;
            assert_eq!(later, Ok(5));
            assert_eq!(count.load(Ordering::SeqCst), 2);
        });
    }
}
