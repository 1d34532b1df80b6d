//! Group commit for `flush = "always"`.
//!
//! A producer's ack waits until its data is fsynced. One thread does the
//! fsyncs: while it is busy, new requests queue up, and the next round syncs
//! each dirty file once for all of them. Many concurrent producers therefore
//! share one fsync instead of queueing behind one each.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use tracing::error;

/// fsyncs done by every group commit thread of the process, for
/// measurements (see `tests/flush_throughput.rs`).
static FSYNCS: AtomicU64 = AtomicU64::new(0);

/// How many fsyncs group commit has done in this process so far.
pub fn fsync_count() -> u64 {
    FSYNCS.load(Ordering::Relaxed)
}

/// Called once the data it was queued for is on disk.
pub type OnDurable = Box<dyn FnOnce(&io::Result<()>) + Send>;

struct Request {
    file: Arc<File>,
    on_durable: OnDurable,
    done: oneshot::Sender<Result<(), String>>,
}

#[derive(Default)]
struct Queue {
    requests: Vec<Request>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

/// The fsync thread and its queue.
pub struct GroupCommit {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Resolves when the data is durable; the error text says what failed.
pub type Durable = oneshot::Receiver<Result<(), String>>;

impl GroupCommit {
    pub fn start() -> io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("klamm-fsync".into())
            .spawn(move || run(&worker))?;
        Ok(Self {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues `file` for an fsync; `on_durable` runs on the fsync thread
    /// right after it, before the returned receiver resolves.
    pub fn request(&self, file: Arc<File>, on_durable: OnDurable) -> Durable {
        let (done, rx) = oneshot::channel();
        let mut queue = self
            .shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if queue.closed {
            let _ = done.send(Err("the broker is shutting down".into()));
            return rx;
        }
        queue.requests.push(Request {
            file,
            on_durable,
            done,
        });
        drop(queue);
        self.shared.wake.notify_one();
        rx
    }

    /// Finishes what is queued and stops the thread.
    pub fn stop(&self) {
        {
            let mut queue = self
                .shared
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            queue.closed = true;
        }
        self.shared.wake.notify_one();
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(shared: &Shared) {
    loop {
        let batch = {
            let mut queue = shared.queue.lock().unwrap_or_else(PoisonError::into_inner);
            while queue.requests.is_empty() && !queue.closed {
                queue = shared
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if queue.requests.is_empty() {
                return;
            }
            std::mem::take(&mut queue.requests)
        };
        let mut results: HashMap<*const File, io::Result<()>> = HashMap::new();
        for request in &batch {
            let key = Arc::as_ptr(&request.file);
            results.entry(key).or_insert_with(|| {
                FSYNCS.fetch_add(1, Ordering::Relaxed);
                request.file.sync_data()
            });
        }
        for request in batch {
            let result = results
                .get(&Arc::as_ptr(&request.file))
                .map_or(Ok(()), |r| match r {
                    Ok(()) => Ok(()),
                    Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                });
            if let Err(e) = &result {
                error!(error = %e, "fsync failed; the produce request is answered with an error");
            }
            (request.on_durable)(&result);
            let _ = request.done.send(result.map_err(|e| e.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn every_request_is_answered_after_its_callback() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create(dir.path().join("f")).unwrap());
        let commit = GroupCommit::start().unwrap();
        let called = Arc::new(AtomicUsize::new(0));
        let mut waits = Vec::new();
        for _ in 0..50 {
            let called = Arc::clone(&called);
            waits.push(commit.request(
                Arc::clone(&file),
                Box::new(move |r| {
                    assert!(r.is_ok());
                    called.fetch_add(1, Ordering::SeqCst);
                }),
            ));
        }
        for wait in waits {
            wait.await.unwrap().unwrap();
        }
        assert_eq!(called.load(Ordering::SeqCst), 50);
        commit.stop();
        let late = commit.request(file, Box::new(|_| {}));
        assert!(late.await.unwrap().is_err());
    }
}
