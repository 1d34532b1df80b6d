//! What the broker counts for `/metrics`, and the HTTP endpoints that show it.
//!
//! Counting happens on the request path, so it is a relaxed atomic add into
//! a slot chosen by array index: no lock, no allocation, no map lookup.
//! Per-request counts are kept here (one hook in `protocol::run`); per-topic
//! traffic lives on each [`crate::cluster::Topic`]; everything else (log
//! sizes, offsets, group lag) is read from the broker's state only when
//! someone scrapes.

pub(crate) mod http;
mod render;
mod traffic;

use std::sync::atomic::{AtomicU64, Ordering};

pub use traffic::TopicTraffic;

/// Api keys are below this (Kafka's highest is in the 90s).
const API_SLOTS: usize = 128;
/// Error codes -1..=ERROR_SLOTS-2; slot 0 is -1, anything larger is counted
/// in the last slot.
const ERROR_SLOTS: usize = 160;

/// Requests and errors by API.
pub struct RequestMetrics {
    requests: Box<[AtomicU64]>,
    /// `API_SLOTS × ERROR_SLOTS`: how often each error code was answered.
    errors: Box<[AtomicU64]>,
    /// Requests answered by closing the connection (malformed, refused).
    closed: Box<[AtomicU64]>,
}

fn slots(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

fn api_slot(api_key: i16) -> Option<usize> {
    usize::try_from(api_key).ok().filter(|&k| k < API_SLOTS)
}

fn error_slot(code: i16) -> usize {
    usize::try_from(i32::from(code) + 1).map_or(0, |slot| slot.min(ERROR_SLOTS - 1))
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self {
            requests: slots(API_SLOTS),
            errors: slots(API_SLOTS * ERROR_SLOTS),
            closed: slots(API_SLOTS),
        }
    }
}

impl RequestMetrics {
    pub fn request(&self, api_key: i16) {
        if let Some(slot) = api_slot(api_key) {
            self.requests[slot].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One error code in a response; 0 (no error) is ignored.
    pub fn error(&self, api_key: i16, code: i16) {
        if code == 0 {
            return;
        }
        if let Some(slot) = api_slot(api_key) {
            self.errors[slot * ERROR_SLOTS + error_slot(code)].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn closed(&self, api_key: i16) {
        if let Some(slot) = api_slot(api_key) {
            self.closed[slot].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// (api key, requests, closed) for every api that saw a request.
    fn requests_by_api(&self) -> impl Iterator<Item = (i16, u64, u64)> + '_ {
        (0..API_SLOTS).filter_map(|slot| {
            let requests = self.requests[slot].load(Ordering::Relaxed);
            let closed = self.closed[slot].load(Ordering::Relaxed);
            (requests > 0).then_some((slot as i16, requests, closed))
        })
    }

    /// (api key, error code, count) for every non-zero count.
    fn errors_by_api(&self) -> impl Iterator<Item = (i16, i16, u64)> + '_ {
        self.errors.iter().enumerate().filter_map(|(i, count)| {
            let count = count.load(Ordering::Relaxed);
            let code = (i % ERROR_SLOTS) as i16 - 1;
            (count > 0).then_some(((i / ERROR_SLOTS) as i16, code, count))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_per_api_and_code_and_no_error_is_not_one() {
        let metrics = RequestMetrics::default();
        metrics.request(0);
        metrics.request(0);
        metrics.error(0, 6);
        metrics.error(0, 0);
        metrics.error(1, -1);
        metrics.error(1, i16::MAX);
        metrics.request(i16::MAX);
        assert_eq!(
            metrics.requests_by_api().collect::<Vec<_>>(),
            vec![(0, 2, 0)]
        );
        let errors: Vec<_> = metrics.errors_by_api().collect();
        assert_eq!(
            errors,
            vec![(0, 6, 1), (1, -1, 1), (1, (ERROR_SLOTS - 2) as i16, 1)]
        );
    }
}
