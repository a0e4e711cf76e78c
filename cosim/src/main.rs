//! `cosim`: the co-simulation's command line.
//!
//! ```text
//! cosim run <vectors>...        replay golden vectors (files or directories of *.jsonl)
//! cosim random --seed S --jobs N --queues Q [--latency R:W | LO-HI] [--backpressure PCT] [--timing-gate]
//! ```
//! Both stop at the first mismatch, print it, and write a waveform around it; both end with the
//! table of jobs, mismatches, cycle error and simulated cycles per second; a random run also with the
//! shared-port model's prediction of the whole run against the RTL (`--timing-gate` fails the run when
//! it misses the gate of [`offload_cosim::contention`]); and (built with the
//! `coverage` feature) the share of the RTL's branches the run reached, `--coverage FILE` writing the
//! counts for `verilator_coverage`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use offload_cosim::report::Summary;
use offload_cosim::rtl::{check_coverage_output, write_coverage};
use offload_cosim::stimulus::RandomRun;
use offload_cosim::{HarnessConfig, Latency, Mismatch, SlaveConfig, TraceWindow, Variant, vectors};

#[derive(Parser)]
#[command(name = "cosim", about = "Co-simulation: the Verilated RTL against the reference model")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    /// Where the waveform around a mismatch goes (VCD, for GTKWave).
    #[arg(long, global = true, default_value = "target/cosim-mismatch.vcd")]
    wave: PathBuf,
    /// Cycle error (percent) beyond which a job is a mismatch, where cycles are checked (memory
    /// with the model's timing and one job at a time).
    #[arg(long, global = true, default_value_t = 2.0)]
    tolerance: f64,
    /// Write the RTL coverage of the run to FILE (Verilator's coverage.dat; needs the `coverage`
    /// feature), for `verilator_coverage --annotate DIR FILE`.
    #[arg(long, global = true)]
    coverage: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Replay golden vectors: every case with engine jobs, one job at a time, model memory timing.
    Run {
        /// Vector files (*.jsonl) or directories of them.
        #[arg(required = true)]
        vectors: Vec<PathBuf>,
    },
    /// A seeded random regression on several queues at once.
    Random {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1000)]
        jobs: u64,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
        queues: u8,
        /// Memory latency: `R:W` fixed read and write latency, or `LO-HI` drawn per burst.
        #[arg(long, default_value = "16:8", value_parser = parse_latency)]
        latency: (Latency, Latency),
        /// Percentage of cycles in which the memory drops its readies and delays responses (and the
        /// bench its completion ready and its job offers).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=90))]
        backpressure: u8,
        /// Fail unless the shared-port model predicts the run: at fixed latency ≥ 95 % of jobs within
        /// ±2 % on completion cycles, median |error| ≤ 0.5 %, throughput within ±1 %; at random
        /// latency throughput within ±5 %.
        #[arg(long)]
        timing_gate: bool,
        /// The RTL build's lock entries: 4 (the reference build), or 2 (feature `parameter-variants`).
        #[arg(long, default_value_t = 4)]
        lock_entries: u32,
    },
    /// An `offload perf` workload (a file or a preset) in the RTL, every job's grant and completion
    /// held to the shared-port model: what `offload perf --check` runs for a sweep point.
    Workload {
        /// A workload file (JSON, `offload perf --print-workload` shows one).
        #[arg(long, conflicts_with = "preset")]
        workload: Option<PathBuf>,
        #[arg(long, default_value = "esxi")]
        preset: String,
        /// Run the workload's first N queues (at most the RTL's 4).
        #[arg(long, default_value_t = 4)]
        queues: usize,
        /// Memory latency `R:W` (fixed).
        #[arg(long, default_value = "16:8", value_parser = parse_latency)]
        latency: (Latency, Latency),
        #[arg(long, default_value_t = 4)]
        lock_entries: u32,
        /// Fail unless the model predicts the run (the fixed-latency gate of `random --timing-gate`),
        /// and every job ended well as the workload assumes.
        #[arg(long)]
        timing_gate: bool,
        /// Fail unless the run takes this many cycles to its last completion (what `offload perf`
        /// predicted for it).
        #[arg(long)]
        expect_cycles: Option<u64>,
    },
}

fn parse_latency(s: &str) -> Result<(Latency, Latency), String> {
    let num = |t: &str| t.trim().parse::<u32>().map_err(|e| format!("{t:?}: {e}"));
    if let Some((r, w)) = s.split_once(':') {
        Ok((Latency::Fixed(num(r)?), Latency::Fixed(num(w)?)))
    } else if let Some((lo, hi)) = s.split_once('-') {
        let (lo, hi) = (num(lo)?, num(hi)?);
        if lo > hi || lo == 0 {
            return Err(format!("{s}: want 1 <= LO <= HI"));
        }
        Ok((Latency::Uniform(lo, hi), Latency::Uniform(lo, hi)))
    } else {
        Err(format!("{s}: want R:W (fixed) or LO-HI (random)"))
    }
}

fn bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} jobs {elapsed_precise} (eta {eta}) {msg}")
            .expect("a valid template"),
    );
    bar
}

fn window(m: &Mismatch, wave: &std::path::Path) -> TraceWindow {
    TraceWindow { path: wave.to_owned(), from: m.since, to: m.cycle + 20 }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = &cli.coverage
        && let Err(e) = check_coverage_output(Variant::Reference, path)
    {
        eprintln!("--coverage: {e}");
        return ExitCode::from(2);
    }
    let (summary, failed) = match cli.command {
        Cmd::Run { vectors: paths } => run_vectors(&paths, &cli.wave, cli.tolerance),
        Cmd::Random { seed, jobs, queues, latency, backpressure, timing_gate, lock_entries } => {
            let Some(variant) = Variant::with_lock_entries(lock_entries) else {
                eprintln!("--lock-entries {lock_entries}: this cosim has no such RTL build");
                return ExitCode::from(2);
            };
            let slave =
                SlaveConfig { read_latency: latency.0, write_latency: latency.1, backpressure_pct: backpressure, seed };
            let run = RandomRun { seed, jobs, queues, slave, variant, tolerance: cli.tolerance, trace: None };
            let (summary, failed) = run_random(run, &cli.wave);
            let gate = summary.contention.as_ref().filter(|_| timing_gate && !failed).map(|c| c.gate());
            if let Some(Err(e)) = &gate {
                eprintln!("{e}");
            }
            (summary, failed || gate.is_some_and(|g| g.is_err()))
        }
        Cmd::Workload { workload, preset, queues, latency, lock_entries, timing_gate, expect_cycles } => {
            match run_workload(workload, &preset, queues, latency, lock_entries, timing_gate, expect_cycles) {
                Ok(done) => done,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    println!("{summary}");
    if let Some(path) = &cli.coverage {
        match write_coverage(Variant::Reference, summary.coverage.counts(), path) {
            Ok(()) => println!("RTL coverage written to {}", path.display()),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn run_workload(
    file: Option<PathBuf>,
    preset: &str,
    queues: usize,
    latency: (Latency, Latency),
    lock_entries: u32,
    timing_gate: bool,
    expect_cycles: Option<u64>,
) -> Result<(Summary, bool), String> {
    use offload_cosim::workload::WorkloadRun;
    use offload_model::perf::Workload;
    let workload = match &file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Workload::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Workload::preset(preset).map_err(|e| e.to_string())?,
    };
    if latency.0.fixed().is_none() || latency.1.fixed().is_none() {
        return Err("--latency: a workload runs at fixed latency (R:W)".into());
    }
    let variant = Variant::with_lock_entries(lock_entries)
        .ok_or_else(|| format!("--lock-entries {lock_entries}: this cosim has no such RTL build"))?;
    let slave = SlaveConfig { read_latency: latency.0, write_latency: latency.1, backpressure_pct: 0, seed: 0 };
    let run = WorkloadRun { workload, queues, variant, slave };
    let jobs: u64 = run.workload.jobs(queues).iter().map(|q| q.len() as u64).sum();
    let bar = bar(jobs);
    let (summary, not_well, result) = run.run(|done| bar.set_position(done));
    bar.finish();
    if let Err(m) = &result {
        eprintln!("{m}");
        return Ok((summary, true));
    }
    let mut failed = false;
    if timing_gate {
        if let Some(Err(e)) = summary.contention.as_ref().map(|c| c.gate()) {
            eprintln!("{e}");
            failed = true;
        }
        if not_well > 0 {
            eprintln!("timing gate: {not_well} jobs did not end well (the workload's prediction assumes they all do)");
            failed = true;
        }
    }
    let rtl_cycles = summary.contention.as_ref().map_or(0, |c| c.rtl_cycles);
    if let Some(want) = expect_cycles.filter(|&want| want != rtl_cycles) {
        eprintln!("expected the last completion by cycle {want} (offload perf), the RTL took {rtl_cycles}");
        failed = true;
    }
    Ok((summary, failed))
}

fn run_random(run: RandomRun, wave: &std::path::Path) -> (Summary, bool) {
    let bar = bar(run.jobs);
    match run.run(|done| bar.set_position(done)) {
        (s, Ok(())) => {
            bar.finish();
            (s, false)
        }
        (s, Err(m)) => {
            bar.abandon();
            eprintln!("{m}");
            // The run is deterministic: again, with the waveform on around the mismatch.
            let traced = RandomRun { trace: Some(window(&m, wave)), ..run };
            let _ = traced.run(|_| {});
            eprintln!("  waveform  {} (cycles {}..={})", wave.display(), m.since, m.cycle + 20);
            (s, true)
        }
    }
}

fn run_vectors(paths: &[PathBuf], wave: &std::path::Path, tolerance: f64) -> (Summary, bool) {
    let start = Instant::now();
    let mut cases = Vec::new();
    for p in paths {
        match vectors::load(p) {
            Ok(c) => cases.extend(c),
            Err(e) => {
                eprintln!("{e}");
                return (Summary::default(), true);
            }
        }
    }
    cases.retain(|c| c.applies_to.rtl);
    let jobs: u64 = cases.iter().map(|c| c.commands().map(|k| k.jobs.len() as u64).sum::<u64>()).sum();
    let bar = bar(jobs);
    let mut summary = Summary::default();
    for case in &cases {
        let config = HarnessConfig {
            cycle_tolerance_pct: Some(tolerance),
            ..HarnessConfig::model_timing(case.config.timing.clone())
        };
        match vectors::replay(case, config.clone()) {
            Ok(Ok(r)) => {
                summary.jobs += r.jobs;
                summary.cycles += r.cycles;
                summary.samples.extend(r.samples);
                summary.coverage.add(&r.coverage);
                bar.inc(r.jobs);
            }
            Ok(Err(m)) => {
                bar.abandon();
                eprintln!("case {}\n{m}", case.name);
                let traced = HarnessConfig { trace: Some(window(&m, wave)), ..config };
                let _ = vectors::replay(case, traced);
                eprintln!("  waveform  {} (cycles {}..={})", wave.display(), m.since, m.cycle + 20);
                summary.mismatches = 1;
                summary.elapsed = start.elapsed();
                return (summary, true);
            }
            Err(e) => {
                eprintln!("case {}: {e}", case.name);
                return (summary, true);
            }
        }
    }
    bar.finish();
    summary.elapsed = start.elapsed();
    println!("{} cases", cases.len());
    (summary, false)
}
