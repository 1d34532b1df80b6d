//! A TCP proxy that loses answers: it forwards every request to the broker
//! but, for some produce requests, cuts the connection when the broker's
//! response comes back instead of passing it on. The client then cannot know
//! whether its records were written and must send them again, which is the
//! retry an idempotent producer's sequence numbers exist for.
//!
//! Threads and sockets are bounded: every read times out, every loop ends
//! when the proxy is dropped or after `LIFETIME`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LIFETIME: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(50);
const PRODUCE_KEY: i16 = 0;

struct Shared {
    stopped: AtomicBool,
    produce_requests: AtomicUsize,
    cuts: AtomicUsize,
    /// Every `cut_every`-th produce request loses its answer ...
    cut_every: usize,
    /// ... until this many have.
    max_cuts: usize,
    deadline: Instant,
}

impl Shared {
    fn running(&self) -> bool {
        !self.stopped.load(Ordering::Relaxed) && Instant::now() < self.deadline
    }
}

pub struct CuttingProxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl CuttingProxy {
    /// Listens on 127.0.0.1 (free port); `start` then points it at the broker.
    pub fn bind(cut_every: usize, max_cuts: usize) -> (Self, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared {
            stopped: AtomicBool::new(false),
            produce_requests: AtomicUsize::new(0),
            cuts: AtomicUsize::new(0),
            cut_every: cut_every.max(1),
            max_cuts,
            deadline: Instant::now() + LIFETIME,
        });
        (Self { port, shared }, listener)
    }

    /// Accepts connections on `listener` and forwards them to `broker`.
    pub fn start(&self, listener: TcpListener, broker: String) {
        listener.set_nonblocking(true).expect("non-blocking accept");
        let shared = Arc::clone(&self.shared);
        std::thread::spawn(move || {
            while shared.running() {
                match listener.accept() {
                    Ok((client, _)) => {
                        let shared = Arc::clone(&shared);
                        let broker = broker.clone();
                        std::thread::spawn(move || serve(client, &broker, shared));
                    }
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        });
    }

    /// How many answers were lost so far.
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::Relaxed)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::Relaxed);
    }
}

/// Reads one length-prefixed frame, waiting while the proxy runs; `None` on
/// end of stream, error or stop.
fn read_frame(stream: &mut TcpStream, shared: &Shared) -> Option<Vec<u8>> {
    let mut size = [0u8; 4];
    read_exact(stream, &mut size, shared)?;
    let mut frame = vec![0u8; usize::try_from(i32::from_be_bytes(size)).ok()?];
    read_exact(stream, &mut frame, shared)?;
    let mut whole = size.to_vec();
    whole.extend_from_slice(&frame);
    Some(whole)
}

fn read_exact(stream: &mut TcpStream, buf: &mut [u8], shared: &Shared) -> Option<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return None,
            Ok(n) => filled += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if !shared.running() {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    Some(())
}

fn serve(mut client: TcpStream, broker: &str, shared: Arc<Shared>) {
    let Ok(mut upstream) = TcpStream::connect(broker) else {
        return;
    };
    for stream in [&client, &upstream] {
        let _ = stream.set_read_timeout(Some(POLL));
        let _ = stream.set_nodelay(true);
    }
    // The correlation id of the request whose answer is to be lost.
    let doomed: Arc<Mutex<Option<i32>>> = Arc::new(Mutex::new(None));
    let (Ok(mut client_writer), Ok(mut upstream_reader)) =
        (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let answers = {
        let shared = Arc::clone(&shared);
        let doomed = Arc::clone(&doomed);
        std::thread::spawn(move || {
            while let Some(frame) = read_frame(&mut upstream_reader, &shared) {
                let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
                if *doomed.lock().unwrap() == Some(correlation_id) {
                    break;
                }
                if client_writer.write_all(&frame).is_err() {
                    break;
                }
            }
            let _ = client_writer.shutdown(Shutdown::Both);
            let _ = upstream_reader.shutdown(Shutdown::Both);
        })
    };
    while let Some(frame) = read_frame(&mut client, &shared) {
        let api_key = i16::from_be_bytes([frame[4], frame[5]]);
        if api_key == PRODUCE_KEY {
            let n = shared.produce_requests.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(shared.cut_every)
                && shared.cuts.load(Ordering::Relaxed) < shared.max_cuts
            {
                shared.cuts.fetch_add(1, Ordering::Relaxed);
                let correlation_id = i32::from_be_bytes([frame[8], frame[9], frame[10], frame[11]]);
                *doomed.lock().unwrap() = Some(correlation_id);
            }
        }
        if upstream.write_all(&frame).is_err() {
            break;
        }
    }
    let _ = upstream.shutdown(Shutdown::Both);
    let _ = client.shutdown(Shutdown::Both);
    let _ = answers.join();
}
