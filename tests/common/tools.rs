//! Running `klamm` subcommands (the tools) as child processes with a
//! bounded wait, and a small Prometheus text-format parser for `/metrics`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What a finished tool run printed.
#[derive(Debug)]
pub struct ToolRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Starts `klamm <args>` with piped stdin, stdout and stderr.
pub fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_klamm"))
        .args(args)
        .env_remove("KLAMM_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("klamm starts")
}

/// Runs `klamm <args>`, feeds it `stdin`, and waits at most 60 s.
pub fn run(args: &[&str], stdin: &str) -> ToolRun {
    let mut child = spawn(args);
    let mut input = child.stdin.take().expect("stdin is piped");
    let text = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let collected = wait(child, Duration::from_secs(60));
    let _ = writer.join();
    collected
}

/// Waits (bounded) for a child to exit and collects what it printed.
pub fn wait(mut child: Child, limit: Duration) -> ToolRun {
    // Whatever the caller did not take already is collected here.
    let out = read_all(child.stdout.take());
    let err = read_all(child.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "klamm tool (pid {}) did not finish in {limit:?}",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    ToolRun {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Runs a tool against `bootstrap` and fails the test if it fails.
pub fn ok(bootstrap: &str, args: &[&str], stdin: &str) -> String {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--bootstrap-server", bootstrap]);
    let run = run(&all, stdin);
    assert!(
        run.status.success(),
        "klamm {all:?} failed: {}\n{}",
        run.stderr,
        run.stdout
    );
    run.stdout
}

/// A sample's labels.
pub type Labels = BTreeMap<String, String>;

/// Every sample of a Prometheus text exposition: (name, labels, value).
/// Fails the test on a line that is not valid text format.
pub fn parse_prometheus(text: &str) -> Vec<(String, Labels, f64)> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), Labels::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels: {line}"));
                (name.to_string(), parse_labels(body, line))
            }
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        samples.push((name, labels, value));
    }
    samples
}

fn parse_labels(body: &str, line: &str) -> Labels {
    let mut labels = Labels::new();
    let mut chars = body.chars().peekable();
    while chars.peek().is_some() {
        let name: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "label value not quoted: {line}");
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c) => value.push(c),
                    None => panic!("dangling escape: {line}"),
                },
                Some('"') => break,
                Some(c) => value.push(c),
                None => panic!("unterminated label value: {line}"),
            }
        }
        labels.insert(name, value);
        match chars.next() {
            Some(',') | None => {}
            Some(c) => panic!("unexpected {c:?} after a label: {line}"),
        }
    }
    labels
}

/// The value of the sample with this name whose labels include `want`.
pub fn sample(samples: &[(String, Labels, f64)], name: &str, want: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, labels, _)| {
            n == name
                && want
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, value)| *value)
}

/// `GET path` over plain HTTP/1.1; (status code, body).
pub fn http_get(address: &str, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).expect("http endpoint reachable");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    (status, body.to_string())
}
