//! Starts klamm and Apache Kafka on free ports of 127.0.0.1, and stops each
//! by its pid when its guard is dropped: at the end, on an error and on a
//! panic alike.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A broker process; dropping it stops the process (SIGTERM, then SIGKILL).
pub struct Broker {
    pub addr: SocketAddr,
    child: Child,
    /// Where the process's output goes, for evidence.
    pub log: PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        stop(&mut self.child, Duration::from_secs(30));
    }
}

/// Makes the child get SIGTERM if this process dies without stopping it
/// (killed by a CI timeout): no broker outlives the test.
fn tied_to_us(command: &mut Command) -> &mut Command {
    // SAFETY: prctl(2) is async-signal-safe, as code between fork and exec
    // must be; it only changes the child's own death signal.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
}

fn stop(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the pid of a child we started and have not reaped.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts `klamm --listeners 127.0.0.1:0 --in-memory` and waits for its
/// `listening on ADDR` line; its log goes on to `log`.
pub fn start_klamm(binary: &Path, log: PathBuf) -> Result<Broker, String> {
    let mut child = tied_to_us(&mut Command::new(binary))
        .args(["--listeners", "127.0.0.1:0", "--in-memory"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start {}: {e}", binary.display()))?;
    let stderr = child.stderr.take();
    let found = follow(stderr, &log, |line| {
        let rest = line.split("listening on ").nth(1)?;
        rest.split_whitespace()
            .next()?
            .trim_end_matches(',')
            .parse()
            .ok()
    });
    let broker = |addr| Broker {
        addr,
        child,
        log: log.clone(),
    };
    match found.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => Ok(broker(addr)),
        Err(_) => {
            drop(broker("0.0.0.0:0".parse().expect("address literal")));
            Err(format!(
                "klamm printed no `listening on` line: see {}",
                log.display()
            ))
        }
    }
}

/// Starts Apache Kafka with the lab's launcher and waits for its
/// `kafka listening on ADDR pid PID` line (the pid is the launcher's, our
/// child, which stops Kafka on SIGTERM). Kafka keeps its logs in `data`.
pub fn start_kafka(
    root: &Path,
    data: &Path,
    configs: &[&str],
    log: PathBuf,
) -> Result<Broker, String> {
    let _ = fs::remove_dir_all(data);
    let mut command = Command::new("python3");
    command
        .arg(root.join("tests/lab/apache_kafka.py"))
        .arg("serve")
        .arg("--keep")
        .arg(data);
    for config in configs {
        command.args(["--set", config]);
    }
    let mut child = tied_to_us(&mut command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start python3 tests/lab/apache_kafka.py: {e}"))?;
    let stdout = child.stdout.take();
    let pid = child.id();
    let found = follow(stdout, &log, move |line| {
        let rest = line.strip_prefix("kafka listening on ")?;
        let mut words = rest.split_whitespace();
        let addr = words.next()?.split(',').next()?.parse().ok()?;
        (words.next()? == "pid" && words.next()? == pid.to_string()).then_some(addr)
    });
    let broker = |addr| Broker {
        addr,
        child,
        log: log.clone(),
    };
    match found.recv_timeout(Duration::from_secs(120)) {
        Ok(addr) => Ok(broker(addr)),
        Err(_) => {
            drop(broker("0.0.0.0:0".parse().expect("address literal")));
            Err(format!(
                "Kafka did not start within 120 s: see {} and {}/node-1/server.log",
                log.display(),
                data.display()
            ))
        }
    }
}

/// Copies a child's output to `log` line by line and sends the first value
/// `find` sees in it.
fn follow<R, T>(
    output: Option<R>,
    log: &Path,
    find: impl Fn(&str) -> Option<T> + Send + 'static,
) -> mpsc::Receiver<T>
where
    R: std::io::Read + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let file = File::create(log).ok();
    thread::spawn(move || {
        let (Some(output), Some(mut file)) = (output, file) else {
            return;
        };
        let mut sent = false;
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(file, "{line}");
            if !sent {
                if let Some(value) = find(&strip_ansi(&line)) {
                    sent = tx.send(value).is_ok();
                }
            }
        }
    });
    rx
}

/// The text of a log line without terminal colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m listening on 127.0.0.1:5"),
            "2026  INFO listening on 127.0.0.1:5"
        );
    }
}
