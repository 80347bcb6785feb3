//! The database threads: a fixed pool of threads, each with its own connection, fed through
//! one bounded queue. SQLite runs one writer (so checks that span rows, such as prefix overlap,
//! are serialised) and a few readers; PostgreSQL a pool of connections.
//!
//! A fixed pool (rather than tokio's blocking pool, which grows a thread per waiting request)
//! keeps the number of runnable threads near the number of cores, so under load requests are
//! served in order instead of being time-sliced, which keeps the latency tail short. The queues
//! are bounded: when one is full the request is refused at once with 503 and `Retry-After`
//! instead of waiting in memory that grows without limit.

use crate::error::{ApiError, ApiResult};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

type Job<C> = Box<dyn FnOnce(&mut C) + Send>;

/// A queue and the threads that take jobs from it.
pub(crate) struct Pool<C> {
    queue: SyncSender<Job<C>>,
    name: &'static str,
}

impl<C: Send + 'static> Pool<C> {
    /// Threads named `name-i`, one per connection, taking jobs from one queue of `capacity`
    /// waiting jobs. Dropping the pool closes the queue; the threads then finish the jobs
    /// already queued and close their connections.
    pub(crate) fn spawn(
        name: &'static str,
        connections: Vec<C>,
        capacity: usize,
    ) -> Result<Pool<C>, String> {
        let (tx, rx) = sync_channel::<Job<C>>(capacity.max(1));
        let rx: Arc<Mutex<Receiver<Job<C>>>> = Arc::new(Mutex::new(rx));
        for (i, mut conn) in connections.into_iter().enumerate() {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        // A panicking job loses only its own answer (its caller sees an error).
                        Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(|| {
                            job(&mut conn)
                        }))),
                        Err(_) => return,
                    }
                })
                .map_err(|e| format!("cannot start a database thread: {e}"))?;
        }
        Ok(Pool { queue: tx, name })
    }

    /// Runs `f` on one of the pool's connections and awaits its answer; 503 when the queue is
    /// full.
    pub(crate) async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut C) -> ApiResult<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job<C> = Box::new(move |conn| {
            let _ = tx.send(f(conn));
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(ApiError::busy(self.name)),
            Err(TrySendError::Disconnected(_)) => {
                return Err(ApiError::internal(format!(
                    "the {} queue is closed",
                    self.name
                )))
            }
        }
        rx.await.unwrap_or_else(|_| {
            Err(ApiError::internal(format!(
                "a {} job panicked or was dropped",
                self.name
            )))
        })
    }

    #[cfg(feature = "test-util")]
    /// Occupies the pool's threads and fills its queue until the guard is dropped, so the
    /// next job is refused (for tests of a full queue).
    pub(crate) fn saturate(&self, threads: usize) -> Result<Hold, String> {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(Mutex::new(wait));
        let (started, running) = std::sync::mpsc::channel::<()>();
        for _ in 0..threads {
            let (wait, started) = (wait.clone(), started.clone());
            self.queue
                .try_send(Box::new(move |_| {
                    let _ = started.send(());
                    // Every holder waits until the guard drops (then all `recv`s fail).
                    let _ = wait.lock().map(|w| w.recv());
                }))
                .map_err(|_| format!("the {} queue is full", self.name))?;
            running
                .recv()
                .map_err(|_| format!("a {} thread did not start its hold", self.name))?;
        }
        while self.queue.try_send(Box::new(|_| {})).is_ok() {}
        Ok(Hold { _release: release })
    }
}

/// Keeps a pool thread busy while it lives.
#[cfg(feature = "test-util")]
pub struct Hold {
    _release: std::sync::mpsc::Sender<()>,
}
