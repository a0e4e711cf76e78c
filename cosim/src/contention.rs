//! Contention: a whole run predicted by the model's shared port ([`offload_model::timing::port`]) and
//! held to the RTL job by job.
//!
//! The workload is what the RTL ran: each queue's jobs in order, each with the outcome the model
//! gave it (so a failing job stops where it stopped in the RTL). The model gets the memory's timing
//! and the host's backpressure with the same seeds, and predicts, independently of the RTL's
//! timeline, when each job is granted and when its completion is shown. Per job that gives:
//! - the **grant difference**: RTL grant cycle − model grant cycle;
//! - the **completion error**: the RTL's cycles from grant to completion against the model's, in
//!   percent of the model's (the single-queue check's measure).
//!
//! and for the run, the **throughput error**: the model's jobs per cycle against the RTL's.
//!
//! With random latency or backpressure the model draws the same latencies and stalls as the RTL's
//! memory and host (they draw from the model's generators), so it can follow the run cycle for cycle;
//! it is also run with draws of its own, which no model of a real memory could follow: that run's
//! throughput error is the statistical prediction.

use std::fmt;
use std::time::{Duration, Instant};

use offload_model::engine::execute::Outcome;
use offload_model::timing::TimingParams;
use offload_model::timing::port::{PortError, PortJob, SharedPort};

use crate::harness::Harness;
use crate::memory::SlaveConfig;
use crate::rtl::{QUEUES, Variant};
use crate::scoreboard::Observed;

/// What the done-when gate of a run at fixed latency asks: share of jobs within ±2 % on completion
/// cycles, median |error|, |throughput error|; with random latency, only the throughput.
pub const WITHIN_PCT: f64 = 95.0;
pub const MEDIAN_PCT: f64 = 0.5;
pub const THROUGHPUT_FIXED_PCT: f64 = 1.0;
pub const THROUGHPUT_RANDOM_PCT: f64 = 5.0;

/// One run's contention figures.
#[derive(Clone, Debug, Default)]
pub struct Contention {
    pub queues: usize,
    pub lock_entries: u32,
    /// The memory had fixed latency and no backpressure.
    pub fixed: bool,
    /// Per job, in commit order: RTL grant − model grant, in cycles.
    pub grant_delta: Vec<i64>,
    /// Per job: completion error in percent.
    pub errors: Vec<f64>,
    /// Cycles to the last completion accepted: the RTL's and the model's.
    pub rtl_cycles: u64,
    pub model_cycles: u64,
    /// Time the model took to predict the run, and the time the RTL's run took (Verilator, the
    /// memory slave and the scoreboard: what simulating it in the RTL costs here).
    pub predict: Duration,
    pub simulate: Duration,
    /// With random latency or backpressure: the model's cycles on a memory and host of the same
    /// timing but draws of their own (other seeds), a prediction that cannot follow the RTL's draws.
    pub independent_cycles: Option<u64>,
}

/// The seed the independent prediction draws from instead of `seed`.
fn other_seed(seed: u64) -> u64 {
    seed ^ 0x9e37_79b9_7f4a_7c15
}

/// The model's block: the parameters the RTL build `variant` has (`cosim/build.rs`: four queues,
/// its lock entries, the model's defaults otherwise).
pub fn block_params(variant: Variant) -> TimingParams {
    TimingParams { queues: QUEUES.into(), lock_entries: variant.lock_entries(), ..TimingParams::default() }
}

/// Predicts the run `timeline` (the scoreboard's) of RTL build `variant` on a memory timed as `slave`
/// (`arrivals[q][i]`: when queue `q`'s `i`-th job arrived, if it was held until then; `simulate`: what
/// the RTL's run took).
pub fn predict(
    timeline: &[(Observed, Outcome)],
    arrivals: &[Vec<Option<u64>>],
    variant: Variant,
    slave: &SlaveConfig,
    simulate: Duration,
) -> Result<Contention, PortError> {
    let mut by_queue: Vec<Vec<&(Observed, Outcome)>> = vec![Vec::new(); QUEUES.into()];
    for t in timeline {
        by_queue[usize::from(t.0.queue)].push(t);
    }
    for q in &mut by_queue {
        q.sort_by_key(|(o, _)| o.offered_at);
    }
    let queues = by_queue.iter().rposition(|q| !q.is_empty()).map_or(0, |q| q + 1);
    by_queue.truncate(queues);
    let arrival = |q: usize, i: usize| arrivals.get(q).and_then(|a| a.get(i)).copied().flatten();
    let workload: Vec<Vec<PortJob>> = by_queue
        .iter()
        .enumerate()
        .map(|(q, jobs)| {
            let job = |(i, (o, outcome)): (usize, &&(Observed, Outcome))| PortJob {
                job: o.job.clone(),
                outcome: outcome.clone(),
                arrival: arrival(q, i),
            };
            jobs.iter().enumerate().map(job).collect()
        })
        .collect();
    let start = Instant::now();
    let port = SharedPort::new(block_params(variant), slave.clone(), Harness::host_timing(slave))?;
    let run = port.run(&workload)?;
    let predict = start.elapsed();
    let independent_cycles = if slave.is_fixed() {
        None
    } else {
        let other = SlaveConfig { seed: other_seed(slave.seed), ..slave.clone() };
        let mut host = Harness::host_timing(slave);
        host.seed = other_seed(host.seed);
        Some(SharedPort::new(block_params(variant), other, host)?.run(&workload)?.cycles)
    };
    let mut c = Contention {
        independent_cycles,
        queues,
        lock_entries: variant.lock_entries(),
        fixed: slave.is_fixed(),
        rtl_cycles: timeline.iter().map(|(o, _)| o.accepted_at + 1).max().unwrap_or(0),
        model_cycles: run.cycles,
        predict,
        simulate,
        ..Contention::default()
    };
    let mut rows: Vec<(u32, i64, f64)> = Vec::new();
    for (q, jobs) in by_queue.iter().enumerate() {
        for (seq, (o, _)) in jobs.iter().enumerate() {
            let m = &run.jobs[q][seq];
            let rtl_grant = o.granted_at().unwrap_or(0);
            let predicted = m.cycles().max(1);
            let error = (o.cycles as f64 - predicted as f64) * 100.0 / predicted as f64;
            rows.push((o.commit, rtl_grant as i64 - m.granted as i64, error));
        }
    }
    rows.sort_by_key(|r| r.0);
    c.grant_delta = rows.iter().map(|r| r.1).collect();
    c.errors = rows.iter().map(|r| r.2).collect();
    Ok(c)
}

/// The `p`-quantile (0..=1) of sorted values.
fn quantile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    (!sorted.is_empty()).then(|| sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

impl Contention {
    /// The model's throughput against the RTL's, in percent (positive: the model predicts more jobs
    /// per cycle).
    pub fn throughput_error_pct(&self) -> f64 {
        (self.rtl_cycles as f64 / self.model_cycles.max(1) as f64 - 1.0) * 100.0
    }

    /// The same, predicted with draws of the model's own (random timing only).
    pub fn independent_throughput_error_pct(&self) -> Option<f64> {
        self.independent_cycles.map(|m| (self.rtl_cycles as f64 / m.max(1) as f64 - 1.0) * 100.0)
    }

    /// Share of jobs whose completion error is within ±`pct` %.
    pub fn within_pct(&self, pct: f64) -> f64 {
        let n = self.errors.iter().filter(|e| e.abs() <= pct).count();
        n as f64 * 100.0 / self.errors.len().max(1) as f64
    }

    fn abs_errors(&self) -> Vec<f64> {
        let mut e: Vec<f64> = self.errors.iter().map(|e| e.abs()).collect();
        e.sort_by(f64::total_cmp);
        e
    }

    pub fn median_abs_error_pct(&self) -> f64 {
        quantile(&self.abs_errors(), 0.5).unwrap_or(0.0)
    }

    /// The gate `make cosim` holds runs to: an error naming what missed.
    pub fn gate(&self) -> Result<(), String> {
        let thr = self.throughput_error_pct();
        let mut missed = Vec::new();
        if self.fixed {
            if self.within_pct(2.0) < WITHIN_PCT {
                missed.push(format!("{:.1} % of jobs within ±2 % (want ≥ {WITHIN_PCT} %)", self.within_pct(2.0)));
            }
            if self.median_abs_error_pct() > MEDIAN_PCT {
                missed.push(format!("median |error| {:.2} % (want ≤ {MEDIAN_PCT} %)", self.median_abs_error_pct()));
            }
            if thr.abs() > THROUGHPUT_FIXED_PCT {
                missed.push(format!("throughput error {thr:+.2} % (want within ±{THROUGHPUT_FIXED_PCT} %)"));
            }
        } else {
            for (what, e) in [("", Some(thr)), (" with draws of its own", self.independent_throughput_error_pct())] {
                if let Some(e) = e.filter(|e| e.abs() > THROUGHPUT_RANDOM_PCT) {
                    missed.push(format!("throughput error{what} {e:+.2} % (want within ±{THROUGHPUT_RANDOM_PCT} %)"));
                }
            }
        }
        if missed.is_empty() { Ok(()) } else { Err(format!("timing gate: {}", missed.join("; "))) }
    }
}

impl fmt::Display for Contention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut grants = self.grant_delta.clone();
        grants.sort_unstable();
        let abs = self.abs_errors();
        let exact =
            self.grant_delta.iter().filter(|&&d| d == 0).count() as f64 * 100.0 / self.grant_delta.len().max(1) as f64;
        let q = |p| quantile(&grants, p).unwrap_or(0);
        let e = |p| quantile(&abs, p).unwrap_or(0.0);
        writeln!(
            f,
            "| shared-port model | jobs | grant exact | grant Δ min | p50 | max | completion within ±2 % | \
             median |error| | p99 | max | throughput error | predicted in | RTL run ÷ prediction |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        write!(
            f,
            "| {} queue{}, {} lock entries, {} | {} | {exact:.1} % | {:+} | {:+} | {:+} | {:.1} % | {:.2} % | {:.2} % | {:.2} % | {:+.3} % | \
             {:.3} s | {:.0}× |",
            self.queues,
            if self.queues == 1 { "" } else { "s" },
            self.lock_entries,
            if self.fixed { "fixed latency" } else { "random latency" },
            self.errors.len(),
            q(0.0),
            q(0.5),
            q(1.0),
            self.within_pct(2.0),
            e(0.5),
            e(0.99),
            e(1.0),
            self.throughput_error_pct(),
            self.predict.as_secs_f64(),
            self.simulate.as_secs_f64() / self.predict.as_secs_f64().max(1e-9),
        )?;
        if let Some(e) = self.independent_throughput_error_pct() {
            write!(
                f,
                "\n\nThe model with draws of its own (other seeds for memory and host): throughput error {e:+.3} %"
            )?;
        }
        Ok(())
    }
}
