//! `offload perf`: the shared-port model ([`crate::timing::port`]) as a design-space tool.
//!
//! A [`Workload`] (a file, or a preset such as `esxi`) is run on the block at each point of a
//! [`Sweep`] of one parameter — bus width, burst length, outstanding reads, queues, lock entries,
//! memory latency — and each point reports the run's throughput, the port's utilisation (read and
//! write beats per cycle) and each kind of job's latency, p50 and p99, from its arrival at its queue
//! to its completion being taken ([`Point`]). [`plot`] draws throughput and latency against the
//! swept parameter.
//!
//! A point whose parameters are those of an RTL build the co-simulation has (the block at 64 bits,
//! 16-beat bursts, 4 outstanding reads, up to 4 queues, 4 or 2 lock entries) is marked checkable:
//! `cosim` can run the same jobs in the RTL and hold every grant and completion to the model.
//! The engine count is fixed at the RTL's three (one per kind); a sweep over it waits for an RTL
//! with more engines.

pub mod plot;
pub mod workload;

use std::collections::BTreeMap;

pub use workload::{Kind, Workload, WorkloadError};

use crate::timing::TimingParams;
use crate::timing::port::{HostTiming, MemoryTiming, PortError, SharedPort};

/// A parameter a sweep may vary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    BusBytes,
    BurstBeats,
    MaxOutstandingReads,
    Queues,
    LockEntries,
    ReadLatency,
    WriteLatency,
}

impl Param {
    pub const ALL: [Param; 7] = [
        Param::BusBytes,
        Param::BurstBeats,
        Param::MaxOutstandingReads,
        Param::Queues,
        Param::LockEntries,
        Param::ReadLatency,
        Param::WriteLatency,
    ];

    /// The name on the command line and in tables: the [`TimingParams`] field's.
    pub fn name(self) -> &'static str {
        match self {
            Param::BusBytes => "bus_bytes",
            Param::BurstBeats => "burst_beats",
            Param::MaxOutstandingReads => "max_outstanding_reads",
            Param::Queues => "queues",
            Param::LockEntries => "lock_entries",
            Param::ReadLatency => "read_latency",
            Param::WriteLatency => "write_latency",
        }
    }

    fn set(self, t: &mut TimingParams, v: u32) {
        let field = match self {
            Param::BusBytes => &mut t.bus_bytes,
            Param::BurstBeats => &mut t.burst_beats,
            Param::MaxOutstandingReads => &mut t.max_outstanding_reads,
            Param::Queues => &mut t.queues,
            Param::LockEntries => &mut t.lock_entries,
            Param::ReadLatency => &mut t.read_latency,
            Param::WriteLatency => &mut t.write_latency,
        };
        *field = v;
    }
}

/// A sweep: one parameter over a list of values (in order, each once), every other parameter from a
/// base. A parameter that must be a power of two (`bus_bytes`, `burst_beats`) wants a list: a
/// range's other values fail at their point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    pub param: Param,
    pub values: Vec<u32>,
}

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    #[error("--sweep {0:?}: want NAME=V1,V2,… or NAME=LO..HI, NAME one of {1}")]
    Sweep(String, String),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("{param} = {value}: {source}")]
    Point { param: &'static str, value: u32, source: PortError },
    #[error("queues = {value}: the workload has {queues} queues")]
    Queues { value: u32, queues: usize },
}

impl std::str::FromStr for Sweep {
    type Err = PerfError;

    /// `NAME=V1,V2,…` or `NAME=LO..HI` (inclusive).
    fn from_str(s: &str) -> Result<Sweep, PerfError> {
        let names = || Param::ALL.map(Param::name).join(", ");
        let bad = || PerfError::Sweep(s.into(), names());
        let (name, values) = s.split_once('=').ok_or_else(bad)?;
        let param = Param::ALL.into_iter().find(|p| p.name() == name.trim()).ok_or_else(bad)?;
        let num = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
        let values = if let Some((lo, hi)) = values.split_once("..") {
            let (lo, hi) = (num(lo)?, num(hi)?);
            if lo > hi || hi - lo > 64 {
                return Err(bad());
            }
            (lo..=hi).collect()
        } else {
            values.split(',').map(num).collect::<Result<Vec<_>, _>>()?
        };
        if values.is_empty() {
            return Err(bad());
        }
        let mut values = values;
        values.sort_unstable();
        values.dedup();
        Ok(Sweep { param, values })
    }
}

/// Latency of one kind of job, in cycles from arrival to completion taken.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    pub jobs: usize,
    pub p50: u64,
    pub p99: u64,
}

/// One sweep point's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub value: u32,
    pub params: TimingParams,
    pub cycles: u64,
    /// Bytes the jobs moved (copied, zeroed, compared and written) per cycle.
    pub bytes_per_cycle: f64,
    /// Read and write beats per cycle: the port's utilisation of each channel.
    pub read_utilisation: f64,
    pub write_utilisation: f64,
    pub latency: BTreeMap<Kind, Latency>,
    /// The co-simulation has an RTL build with these parameters.
    pub checkable: bool,
}

/// Parameters of an RTL build `cosim` has: the reference build (`cosim/build.rs`), or it with two
/// lock entries (feature `parameter-variants`), on at most its four queues.
pub fn cosim_checkable(t: &TimingParams) -> bool {
    let built = TimingParams::default();
    t.bus_bytes == built.bus_bytes
        && t.burst_beats == built.burst_beats
        && t.max_outstanding_reads == built.max_outstanding_reads
        && t.block_bytes == built.block_bytes
        && t.queues <= 4
        && (t.lock_entries == 4 || t.lock_entries == 2)
}

/// Bytes a job moves: what it copies or zeroes, or compares and writes.
fn bytes_moved(job: &crate::engine::Job) -> u64 {
    match job.op {
        crate::engine::JobOp::CompareAndWrite => 2 * job.bytes(),
        _ => job.bytes(),
    }
}

/// The `p` quantile (0..=1) of sorted `v`.
fn quantile(v: &[u64], p: f64) -> u64 {
    v.get(((v.len().saturating_sub(1)) as f64 * p).round() as usize).copied().unwrap_or(0)
}

/// Runs `workload` on the block `base` with `param` set to `value` (queues: the workload's first
/// that many queues).
pub fn run_point(workload: &Workload, base: &TimingParams, param: Param, value: u32) -> Result<Point, PerfError> {
    let mut t = base.clone();
    t.queues = workload.queues.len() as u32;
    param.set(&mut t, value);
    if param == Param::Queues && value as usize > workload.queues.len() {
        return Err(PerfError::Queues { value, queues: workload.queues.len() });
    }
    let point_err = |source| PerfError::Point { param: param.name(), value, source };
    let queues = (t.queues as usize).min(workload.queues.len());
    let jobs = workload.jobs(queues);
    let port_jobs: Vec<Vec<_>> = jobs.iter().map(|q| q.iter().map(|(_, j)| j.clone()).collect()).collect();
    let memory = MemoryTiming::fixed(t.read_latency, t.write_latency);
    let run = SharedPort::new(t.clone(), memory, HostTiming::default()).and_then(|p| p.run(&port_jobs));
    let run = run.map_err(point_err)?;
    let mut by_kind: BTreeMap<Kind, Vec<u64>> = BTreeMap::new();
    let mut moved = 0;
    for (q, list) in jobs.iter().enumerate() {
        for (seq, (kind, pj)) in list.iter().enumerate() {
            let times = &run.jobs[q][seq];
            by_kind.entry(*kind).or_default().push(times.accepted + 1 - times.arrived);
            moved += bytes_moved(&pj.job);
        }
    }
    let latency = by_kind
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_unstable();
            (k, Latency { jobs: v.len(), p50: quantile(&v, 0.5), p99: quantile(&v, 0.99) })
        })
        .collect();
    let cycles = run.cycles.max(1) as f64;
    Ok(Point {
        value,
        checkable: cosim_checkable(&t),
        params: t,
        cycles: run.cycles,
        bytes_per_cycle: moved as f64 / cycles,
        read_utilisation: run.read_beats as f64 / cycles,
        write_utilisation: run.write_beats as f64 / cycles,
        latency,
    })
}

/// The table of a sweep's points: one row a point; throughput at `clock_mhz`.
pub fn table(sweep: &Sweep, points: &[Point], clock_mhz: f64) -> String {
    let kinds: Vec<Kind> = points
        .iter()
        .flat_map(|p| p.latency.keys().copied())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = format!(
        "| {} | cosim-checkable | cycles | MB/s at {clock_mhz} MHz | R beats/cycle | W beats/cycle |",
        sweep.param.name()
    );
    for k in &kinds {
        out += &format!(" {} p50 (µs) | {} p99 (µs) |", k.name(), k.name());
    }
    out += "\n|---:|:---:|---:|---:|---:|---:|";
    out += &"---:|---:|".repeat(kinds.len());
    let us = |c: u64| c as f64 / clock_mhz;
    for p in points {
        out += &format!(
            "\n| {} | {} | {} | {:.0} | {:.3} | {:.3} |",
            p.value,
            if p.checkable { "✓" } else { "" },
            p.cycles,
            p.bytes_per_cycle * clock_mhz,
            p.read_utilisation,
            p.write_utilisation
        );
        for k in &kinds {
            match p.latency.get(k) {
                Some(l) => out += &format!(" {:.1} | {:.1} |", us(l.p50), us(l.p99)),
                None => out += " - | - |",
            }
        }
    }
    out
}
