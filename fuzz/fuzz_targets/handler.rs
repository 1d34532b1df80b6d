//! One request frame handled end to end by an in-memory broker: finds
//! panics in the handlers, not only in the decoders. The broker is replaced
//! every few hundred inputs so what the inputs create stays small.
#![no_main]

use std::cell::RefCell;
use std::time::Duration;

use klamm::fuzzing::Handlers;
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;

const RUNS_PER_BROKER: u32 = 500;
/// Virtual time (the clock is paused): long polls and rebalances that wait
/// longer are dropped, as a client's connection would be.
const MAX_WAIT: Duration = Duration::from_secs(40 * 24 * 3600);

struct Harness {
    runtime: Runtime,
    handlers: Option<Handlers>,
    runs: u32,
}

thread_local! {
    static HARNESS: RefCell<Harness> = RefCell::new(Harness {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a tokio runtime"),
        handlers: None,
        runs: 0,
    });
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with_borrow_mut(|h| {
        h.runs += 1;
        let stale = h.runs % RUNS_PER_BROKER == 0;
        let old = if stale { h.handlers.take() } else { None };
        let handlers = &mut h.handlers;
        h.runtime.block_on(async {
            if let Some(old) = old {
                old.shutdown().await;
            }
            if handlers.is_none() {
                *handlers = Some(Handlers::start().await.expect("an in-memory broker"));
            }
            if let Some(handlers) = handlers {
                let _ = tokio::time::timeout(MAX_WAIT, handlers.handle(data)).await;
            }
        });
    });
});
