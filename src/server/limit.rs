//! The connection limit (`max_connections`, Kafka's `max.connections`) over
//! every listener and simulated broker. A counter rather than a semaphore,
//! so that the limit can change while connections are open (a dynamic
//! broker config): lowering it closes nothing, it only refuses new
//! connections until enough have closed, as in Kafka.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub struct ConnectionLimit {
    open: AtomicUsize,
    max: AtomicUsize,
}

/// One open connection; dropping it frees its place.
#[derive(Debug)]
pub struct Slot(Arc<ConnectionLimit>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ConnectionLimit {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicUsize::new(0),
            max: AtomicUsize::new(max),
        })
    }

    /// A place for one more connection, if the limit allows it.
    pub fn try_open(self: &Arc<Self>) -> Option<Slot> {
        let max = self.max.load(Ordering::Acquire);
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(self)))
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    pub fn max(&self) -> usize {
        self.max.load(Ordering::Acquire)
    }

    pub fn set_max(&self, max: usize) {
        self.max.store(max, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_beyond_the_limit_are_refused_until_one_closes() {
        let limit = ConnectionLimit::new(2);
        let first = limit.try_open().unwrap();
        let _second = limit.try_open().unwrap();
        assert!(limit.try_open().is_none());
        drop(first);
        assert_eq!(limit.open(), 1);
        assert!(limit.try_open().is_some());
    }

    #[test]
    fn a_lowered_limit_closes_nothing_and_refuses_new_ones() {
        let limit = ConnectionLimit::new(3);
        let slots: Vec<Slot> = (0..3).filter_map(|_| limit.try_open()).collect();
        limit.set_max(1);
        assert_eq!(limit.open(), 3);
        assert!(limit.try_open().is_none());
        drop(slots);
        assert!(limit.try_open().is_some());
        limit.set_max(5);
        assert_eq!(limit.max(), 5);
    }
}
