//! [`DbThreads`]: the threads that run the synchronous database work of requests.
//!
//! diesel is synchronous, so each unit of work runs off the async workers. A fixed set of
//! threads, one per pooled connection, takes jobs from one queue in arrival order:
//!
//! - a request never occupies a thread while it waits for a connection, so there are never more
//!   threads than connections (actix's `web::block` starts a thread per waiting request, up to
//!   hundreds, each parked on the pool's condition variable where newcomers can overtake it:
//!   more memory, more context switches, and a long latency tail under load);
//! - a job that waited longer than the connection timeout (`MOSS_DB_TIMEOUT`) without starting
//!   is dropped and its request answered 503, as an exhausted pool would answer; a job that has
//!   started always runs to its end, and its request gets its outcome.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use moss_domain::DomainError;

use crate::error::ApiError;

type Job = Box<dyn FnOnce() + Send>;

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

/// A fixed set of threads running database work in arrival order.
#[derive(Debug, Clone)]
pub struct DbThreads {
    jobs: Sender<Job>,
    wait: Duration,
}

impl DbThreads {
    /// Starts `threads` threads (at least one); a job waits at most `wait` to start.
    pub fn new(threads: usize, wait: Duration) -> Self {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("moss-db-{n}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(cause = %e, "could not start a database thread");
            }
        }
        Self { jobs, wait }
    }

    /// Runs `f` on a database thread and returns its value; 503 when it could not start within
    /// the wait.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let state = Arc::new(AtomicU8::new(QUEUED));
        let job_state = state.clone();
        let job: Job = Box::new(move || {
            if job_state
                .compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                // The request may be gone (timed out, client left); the work is done anyway.
                let _ = sender.send(f());
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal("the database threads have stopped"))?;
        let mut receiver = std::pin::pin!(receiver);
        let stopped = |_| ApiError::internal("a database thread stopped while running the request");
        match actix_web::rt::time::timeout(self.wait, &mut receiver).await {
            Ok(outcome) => outcome.map_err(stopped),
            Err(_elapsed) => {
                if state
                    .compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Err(ApiError::from(DomainError::Unavailable(
                        "no database connection available: every connection is busy".into(),
                    )));
                }
                // Started just in time: its outcome is the answer.
                receiver.await.map_err(stopped)
            }
        }
    }
}

/// One thread's loop: runs jobs until the queue's sender is gone.
fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => {
                // A panicking job must not take the thread with it; its request gets a 500
                // (the dropped sender).
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                    tracing::error!("database work panicked");
                }
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;

    #[actix_web::test]
    async fn jobs_run_and_return_their_value() {
        let db = DbThreads::new(2, Duration::from_secs(5));
        assert_eq!(db.run(|| 40 + 2).await.unwrap(), 42);
        let name = db
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("moss-db-"));
    }

    #[actix_web::test]
    async fn a_job_that_cannot_start_in_time_is_dropped_with_503_and_never_runs() {
        let db = DbThreads::new(1, Duration::from_millis(200));
        let (release, blocked) = sync_channel::<()>(0);
        // Occupies the only thread until released.
        let busy = {
            let db = db.clone();
            actix_web::rt::spawn(async move { db.run(move || blocked.recv().is_ok()).await })
        };
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let ran = Arc::new(AtomicU8::new(0));
        let flag = ran.clone();
        let late = db.run(move || flag.store(1, Ordering::SeqCst)).await;
        let err = late.unwrap_err();
        assert_eq!(err.status.as_u16(), 503);
        release.send(()).unwrap();
        assert!(busy.await.unwrap().unwrap(), "the running job finished normally");
        // The abandoned job is skipped when the thread reaches it.
        assert_eq!(db.run(|| 1).await.unwrap(), 1);
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the abandoned job never ran");
    }

    #[actix_web::test]
    async fn a_panicking_job_is_a_500_and_the_thread_lives_on() {
        let db = DbThreads::new(1, Duration::from_secs(5));
        let err = db.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert_eq!(err.status.as_u16(), 500);
        assert_eq!(db.run(|| 7).await.unwrap(), 7);
    }
}
