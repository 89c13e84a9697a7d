//! The store's one writer: a thread that owns the write connection and
//! commits everything queued since its last commit in one transaction
//! (group commit), then answers each caller once that transaction is
//! durable. A hundred `own`s at once cost a few fsyncs, not a hundred in a
//! row; a single write costs one, as before.
//!
//! Each write runs inside its own savepoint, so one that fails is undone
//! alone and the others in the batch still commit.

use std::sync::mpsc;

use rusqlite::Connection;

/// How many writes one transaction takes at most (bounds the time a reader
/// of another process waits for a checkpoint, and a batch's memory).
const MAX_BATCH: usize = 512;

/// One write: applied inside the batch's transaction, then told whether
/// the transaction committed.
pub trait Write: Send {
    /// Applies the write; `false` when it failed (its changes are undone).
    fn apply(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: `Ok` once the batch is durable, else why not
    /// (a write that failed itself answers with its own error).
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

/// The queue to the writer thread.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Write>>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it ends when every `Writer` is gone.
    pub fn start(conn: Connection) -> std::io::Result<Writer> {
        let (queue, jobs) = mpsc::channel::<Box<dyn Write>>();
        std::thread::Builder::new()
            .name("ocf-mediator-store".into())
            .spawn(move || run(conn, jobs))?;
        Ok(Writer { queue })
    }

    /// Queues a write; a stopped writer answers it with an error at once.
    pub fn submit(&self, write: Box<dyn Write>) {
        if let Err(mpsc::SendError(write)) = self.queue.send(write) {
            write.finish(Err("the store's writer has stopped".into()));
        }
    }
}

fn run(conn: Connection, jobs: mpsc::Receiver<Box<dyn Write>>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        let committed = commit(&conn, &mut batch);
        for write in batch {
            write.finish(committed.clone());
        }
    }
}

fn commit(conn: &Connection, batch: &mut [Box<dyn Write>]) -> Result<(), String> {
    // IMMEDIATE: take the write lock now (waiting for another process's
    // writer up to the busy timeout) rather than fail half-way.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    for write in batch.iter_mut() {
        let done = conn
            .execute_batch("SAVEPOINT one_write")
            .map_err(|e| e.to_string())
            .and_then(|()| {
                let ok = write.apply(conn);
                if !ok && conn.is_autocommit() {
                    // Some failures (a full disk, an I/O error) roll the
                    // whole transaction back: the writes before this one
                    // are lost too.
                    return Err("the transaction was rolled back by a failed write".into());
                }
                let end = if ok {
                    "RELEASE one_write"
                } else {
                    "ROLLBACK TO one_write; RELEASE one_write"
                };
                conn.execute_batch(end).map_err(|e| e.to_string())
            });
        if let Err(e) = done {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    })
}
