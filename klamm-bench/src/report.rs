//! What a run prints: a few human lines, then one JSON line that scripts
//! compare between runs and brokers. With `--broker-pid` the broker's CPU
//! time over the run and its peak and current RSS come from /proc.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};

/// Latencies in microseconds, 1 µs to 100 s at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("constant bounds are valid")
}

/// p50/p99/p99.9/max in milliseconds.
pub fn latency_fields(name: &str, h: &Histogram<u64>) -> Map<String, Value> {
    let ms = |us: u64| us as f64 / 1000.0;
    let mut fields = Map::new();
    if h.is_empty() {
        return fields;
    }
    for (label, q) in [("p50", 0.50), ("p99", 0.99), ("p999", 0.999)] {
        fields.insert(
            format!("{name}_{label}_ms"),
            json!(ms(h.value_at_quantile(q))),
        );
    }
    fields.insert(format!("{name}_max_ms"), json!(ms(h.max())));
    fields
}

/// The broker's resource use, sampled before and after a run.
#[derive(Clone, Copy, Debug)]
pub struct ProcSample {
    cpu_seconds: f64,
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

impl ProcSample {
    pub fn take(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) start at ')'.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some(Self {
            cpu_seconds: (utime + stime) / clock_ticks(),
        })
    }
}

/// (peak RSS, current RSS) in MiB.
fn rss_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    };
    Some((kib("VmHWM:")? / 1024.0, kib("VmRSS:")? / 1024.0))
}

/// A run's results, printed as `key: value` lines and one JSON line.
pub struct Report {
    fields: Map<String, Value>,
}

impl Report {
    pub fn new(mode: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("tool".into(), json!("klamm-bench"));
        fields.insert("mode".into(), json!(mode));
        Self { fields }
    }

    pub fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.into(), value);
    }

    pub fn extend(&mut self, more: Map<String, Value>) {
        self.fields.extend(more);
    }

    /// Every field of `object` (a JSON object; anything else adds nothing),
    /// e.g. a run's settings from one `json!({...})`.
    pub fn merge(&mut self, object: Value) {
        if let Value::Object(fields) = object {
            self.fields.extend(fields);
        }
    }

    /// Throughput fields for `records` and `bytes` over `elapsed`.
    pub fn throughput(&mut self, records: u64, bytes: u64, elapsed: Duration) {
        let secs = elapsed.as_secs_f64().max(1e-9);
        self.set("records", json!(records));
        self.set("bytes", json!(bytes));
        self.set("seconds", json!(round(secs, 3)));
        self.set("records_per_s", json!(round(records as f64 / secs, 0)));
        self.set("mb_per_s", json!(round(bytes as f64 / secs / 1e6, 1)));
    }

    /// Broker CPU over the run (per GiB of `bytes` moved) and its memory.
    pub fn broker(&mut self, pid: Option<u32>, before: Option<ProcSample>, bytes: u64) {
        let Some(pid) = pid else { return };
        if let (Some(before), Some(after)) = (before, ProcSample::take(pid)) {
            let cpu = after.cpu_seconds - before.cpu_seconds;
            self.set("broker_cpu_s", json!(round(cpu, 3)));
            if bytes > 0 {
                let gib = bytes as f64 / f64::from(1u32 << 30);
                self.set("broker_cpu_s_per_gib", json!(round(cpu / gib, 3)));
            }
        }
        if let Some((peak, now)) = rss_mib(pid) {
            self.set("broker_peak_rss_mib", json!(round(peak, 1)));
            self.set("broker_rss_mib", json!(round(now, 1)));
        }
    }

    #[cfg(test)]
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    pub fn print(&self) {
        for (key, value) in &self.fields {
            if key != "tool" {
                println!("{key:>24}: {value}");
            }
        }
        println!("{}", Value::Object(self.fields.clone()));
    }
}

pub fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_can_be_sampled() {
        let pid = std::process::id();
        assert!(ProcSample::take(pid).is_some());
        let (peak, now) = rss_mib(pid).expect("status");
        assert!(peak >= now && now > 0.0);
    }

    #[test]
    fn latency_fields_are_in_milliseconds() {
        let mut h = histogram();
        for us in [1000, 2000, 3000] {
            h.record(us).expect("in range");
        }
        let fields = latency_fields("produce", &h);
        // Three significant digits: within 0.1% of the recorded value.
        let max = fields["produce_max_ms"].as_f64().expect("a number");
        assert!((3.0..=3.003).contains(&max), "{max}");
    }
}
