//! klamm-differential: sends one corpus of raw Kafka requests to klamm and
//! to Apache Kafka side by side and compares the answers field by field.
//!
//! ```text
//! tests/lab/install-kafka.sh && cargo build --bin klamm
//! cargo run -p klamm-differential -- [--klamm target/debug/klamm] [--report FILE] [--known FILE] [--show CASE-GLOB]
//! ```
//!
//! Exit status: 0 when every difference is in known.toml and every entry
//! there still occurs; 1 otherwise; 2 when the run itself failed (a broker
//! did not start). The markdown report goes to target/differential/report.md
//! unless `--report` says otherwise.

mod brokers;
mod compare;
mod corpus;
mod known;
mod newer;
mod normalise;
mod records;
mod report;
mod run;
mod tree;
mod versions;
mod wire;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use compare::diff;
use report::{gist, Finding, Report, Unserved};
use versions::{api_name, Versions};

struct Args {
    klamm: PathBuf,
    report: PathBuf,
    known: PathBuf,
    /// Cases whose answers to print whole (a glob over case ids).
    show: Option<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn args() -> Result<Args, String> {
    let root = root();
    let mut args = Args {
        klamm: root.join("target/debug/klamm"),
        report: root.join("target/differential/report.md"),
        known: root.join("tests/differential/known.toml"),
        show: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--show" {
            args.show = Some(it.next().ok_or("--show needs a case pattern")?);
            continue;
        }
        let slot = match flag.as_str() {
            "--klamm" => &mut args.klamm,
            "--report" => &mut args.report,
            "--known" => &mut args.known,
            "-h" | "--help" => {
                return Err("usage: klamm-differential [--klamm PATH] [--report FILE] [--known FILE] [--show CASE-GLOB]".into())
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        };
        *slot = it
            .next()
            .map(PathBuf::from)
            .ok_or(format!("{flag} needs a value"))?;
    }
    Ok(args)
}

fn main() -> ExitCode {
    match differential() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("klamm-differential: {e}");
            ExitCode::from(2)
        }
    }
}

/// Whether klamm and Kafka differ only as known.toml says.
fn differential() -> Result<bool, String> {
    let start = Instant::now();
    let args = args()?;
    let known_text =
        fs::read_to_string(&args.known).map_err(|e| format!("{}: {e}", args.known.display()))?;
    let known = known::load(&known_text).map_err(|e| format!("{}: {e}", args.known.display()))?;
    let work = root().join("target/differential");
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;

    // Both guards live until the end of this function: the brokers stop on
    // every way out of it, a panic included.
    let klamm = brokers::start_klamm(&args.klamm, work.join("klamm.log"))?;
    // Kafka's group coordinator waits 3 s before a new group's first
    // rebalance; klamm's default is 0. The corpus compares protocol
    // behaviour, not that default (README: decisions), so Kafka gets 0 too.
    let kafka = brokers::start_kafka(
        &root(),
        &work.join("kafka"),
        &["group.initial.rebalance.delay.ms=0"],
        work.join("kafka.log"),
    )?;
    eprintln!(
        "klamm on {} ({}), Kafka on {} ({}), started in {:.1} s",
        klamm.addr,
        klamm.log.display(),
        kafka.addr,
        kafka.log.display(),
        start.elapsed().as_secs_f64()
    );

    let versions = Versions {
        klamm: versions::ask(klamm.addr)?,
        kafka: versions::ask(kafka.addr)?,
    };
    let cases = corpus::all(&versions);
    let (klamm_out, kafka_out) = thread::scope(|s| {
        let a = s.spawn(|| run::run(klamm.addr, &cases));
        let b = s.spawn(|| run::run(kafka.addr, &cases));
        (a.join(), b.join())
    });
    let (klamm_out, kafka_out) = match (klamm_out, kafka_out) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Err("a corpus runner panicked".into()),
    };
    drop(kafka);
    drop(klamm);

    let mut report = Report {
        known,
        cases: cases.len(),
        ..Report::default()
    };
    for (key, klamm_range, kafka_range, differ) in versions.table() {
        report.table.push((
            api_name(key),
            key,
            klamm_range.clone(),
            kafka_range.clone(),
            differ,
        ));
        if differ && versions.klamm.contains_key(&key) {
            report.findings.push(Finding {
                api: "ApiVersions".into(),
                case: "ApiVersions ranges".into(),
                diff: compare::Diff {
                    path: api_name(key),
                    klamm: klamm_range,
                    kafka: kafka_range,
                    soft: false,
                },
                known: None,
            });
        }
    }
    let mut timings = Vec::new();
    for ((case, a), b) in cases.iter().zip(&klamm_out).zip(&kafka_out) {
        let id = case.id();
        timings.push((id.clone(), a.elapsed, b.elapsed));
        if args
            .show
            .as_deref()
            .is_some_and(|pattern| known::glob(pattern, &id))
        {
            eprintln!("{id}\n  klamm: {:?}\n  kafka: {:?}", a.answer, b.answer);
        }
        for (outcome, broker) in [(a, "klamm"), (b, "kafka")] {
            if outcome.settled == Some(false) {
                report.unsettled.push((id.clone(), broker));
            }
            if let Some(why) = &outcome.not_sent {
                report
                    .not_sent
                    .push((format!("{id} ({broker})"), why.clone()));
            }
        }
        if case.until.is_some() {
            continue;
        }
        report.compared += 1;
        if !versions.klamm.contains_key(&(case.api as i16)) {
            report.unserved.push(Unserved {
                api: format!("{:?}", case.api),
                version: case.version,
                klamm: gist(&a.answer),
                kafka: gist(&b.answer),
            });
        }
        for d in diff(&a.answer, &b.answer) {
            report.findings.push(Finding {
                api: format!("{:?}", case.api),
                case: id.clone(),
                diff: d,
                known: None,
            });
        }
    }
    // APIs Kafka serves that the corpus has no request for (the codec
    // does not know them, or nobody wrote one yet).
    for (key, (_, max)) in &versions.kafka {
        let name = api_name(*key);
        if !versions.klamm.contains_key(key) && !report.unserved.iter().any(|u| u.api == name) {
            report.unserved.push(Unserved {
                api: name,
                version: *max,
                klamm: "not sent: the corpus has no request for it".into(),
                kafka: "not sent".into(),
            });
        }
    }
    for f in &mut report.findings {
        if !f.diff.soft {
            f.known = report
                .known
                .iter()
                .position(|k| k.matches(&f.case, &f.diff.path, &f.diff.klamm, &f.diff.kafka));
        }
    }
    timings.sort_by_key(|(_, a, b)| std::cmp::Reverse(*a.max(b)));
    timings.truncate(10);
    report.slowest = timings;
    report.elapsed = start.elapsed();

    if let Some(dir) = args.report.parent() {
        let _ = fs::create_dir_all(dir);
    }
    fs::write(&args.report, report.markdown())
        .map_err(|e| format!("{}: {e}", args.report.display()))?;
    print!("{}", report.summary());
    println!("report: {}", args.report.display());
    Ok(!report.failed())
}
