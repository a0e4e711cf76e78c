//! Workloads: what each queue of the block is given to do, as a file (JSON) or a preset.
//!
//! ```json
//! { "name": "esxi", "seed": 1, "jobs": 16,
//!   "queues": [
//!     { "host": "A", "mix": [{ "kind": "clone", "bytes": 4194304 }] },
//!     { "host": "B", "mix": [{ "kind": "clone", "bytes": 4194304 }] },
//!     { "host": "A+B", "jobs": 200, "interval": 20000, "mix": [{ "kind": "ats" }] } ] }
//! ```
//! A queue's `jobs` (the workload's unless given) are drawn from its `mix` by `weight`. With an
//! `interval` they arrive that many cycles apart on average (exponentially distributed: a Poisson
//! stream), and wait for the queue if it is busy; without one each job follows the last as soon as its
//! completion is taken (a host keeping one command in flight). Each queue works on a logical unit of
//! its own (unit `q`), so hosts' jobs conflict only within a queue; `shared: true` puts a queue's jobs
//! on the one shared unit instead (the unit after the queues'), where they contend for range locks
//! with every other shared queue. A job's source and destination are each one of 64 extents of its
//! size, drawn at random: sources in the unit's first half, destinations in its second (on a unit
//! shared by jobs of several sizes, one size's sources may lie in another's destinations, as in a real
//! mix). An ATS's
//! compare and write data are in its queue's staging buffer, all zeros like the fresh thin units, so
//! every ATS matches and writes. Any memory the co-simulation builds from [`Workload::units`] runs the
//! same jobs with the same outcomes.

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::address::{buffer_address, unit_address};
use crate::config::UnitConfig;
use crate::engine::{Job, JobOp};
use crate::timing::port::PortJob;

/// A workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    #[serde(default = "one")]
    pub seed: u64,
    /// Jobs per queue, unless a queue says otherwise.
    pub jobs: u32,
    pub queues: Vec<QueueLoad>,
}

fn one() -> u64 {
    1
}

/// What one queue is given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueLoad {
    /// Who issues it (a label for the tables).
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub jobs: Option<u32>,
    /// Mean cycles between arrivals; none: back to back.
    #[serde(default)]
    pub interval: Option<u64>,
    /// Jobs in the region all shared queues work in, rather than the queue's own.
    #[serde(default)]
    pub shared: bool,
    pub mix: Vec<Share>,
}

/// One kind of job in a queue's mix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub kind: Kind,
    /// Bytes a job moves (a clone's copy, a zeroing's extent; an ATS: its blocks).
    #[serde(default = "a_block")]
    pub bytes: u64,
    #[serde(default = "a_block")]
    pub block_size: u64,
    #[serde(default = "one_weight")]
    pub weight: u32,
}

fn a_block() -> u64 {
    512
}

fn one_weight() -> u32 {
    1
}

/// The offloads a host asks for, as engine jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Full Copy (EXTENDED COPY): a copy job.
    Clone,
    /// Block Zeroing (WRITE SAME with zeros): a zero job.
    Zero,
    /// Hardware-Assisted Locking (COMPARE AND WRITE): a compare-and-write that matches and writes.
    Ats,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Clone => "clone",
            Kind::Zero => "zero",
            Kind::Ats => "ats",
        }
    }
}

/// Why a workload cannot run.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("workload {0}: no queues")]
    NoQueues(String),
    #[error("workload {name}, queue {queue}: an empty mix")]
    EmptyMix { name: String, queue: usize },
    #[error("workload {name}, queue {queue}: block size {block_size} is not 512 or 4096 (a unit's)")]
    BlockSize { name: String, queue: usize, block_size: u64 },
    #[error(
        "workload {name}, queue {queue}: {bytes} bytes is not a whole number of blocks, or more than a unit \
         holds 128 of (an ATS: more than 2 GiB)"
    )]
    Bytes { name: String, queue: usize, bytes: u64 },
    #[error("workload {name}, queue {queue}: the weights add up to more than 2^32")]
    Weights { name: String, queue: usize },
    #[error("workload {name}: unit {unit} is given jobs of more than one block size")]
    MixedBlockSizes { name: String, unit: usize },
    #[error("unknown preset {0:?} (presets: {1})")]
    Preset(String, String),
    #[error("workload file: {0}")]
    Parse(#[from] serde_json::Error),
}

/// Extents of a job's size a source or a destination is drawn from.
const EXTENTS: u64 = 64;

impl Workload {
    /// The presets by name.
    pub const PRESETS: [&str; 1] = ["esxi"];

    /// A preset: `esxi`, two hosts cloning 4 MiB at a time (as ESXi's Full Copy issues EXTENDED COPY
    /// segments), and both hosts' 1-block ATS heartbeats on a third queue, one every 20 000 cycles
    /// on average.
    pub fn preset(name: &str) -> Result<Workload, WorkloadError> {
        let clone = |host: &str| QueueLoad {
            host: host.into(),
            jobs: None,
            interval: None,
            shared: false,
            mix: vec![Share { kind: Kind::Clone, bytes: 4 << 20, block_size: 512, weight: 1 }],
        };
        match name {
            "esxi" => Ok(Workload {
                name: "esxi".into(),
                seed: 1,
                jobs: 16,
                queues: vec![
                    clone("A"),
                    clone("B"),
                    QueueLoad {
                        host: "A+B".into(),
                        jobs: Some(400),
                        interval: Some(20_000),
                        shared: true,
                        mix: vec![Share { kind: Kind::Ats, bytes: 512, block_size: 512, weight: 1 }],
                    },
                ],
            }),
            _ => Err(WorkloadError::Preset(name.into(), Workload::PRESETS.join(", "))),
        }
    }

    pub fn parse(text: &str) -> Result<Workload, WorkloadError> {
        let w: Workload = serde_json::from_str(text)?;
        w.validate()?;
        Ok(w)
    }

    pub fn validate(&self) -> Result<(), WorkloadError> {
        let name = || self.name.clone();
        if self.queues.is_empty() {
            return Err(WorkloadError::NoQueues(name()));
        }
        for (queue, q) in self.queues.iter().enumerate() {
            if q.mix.is_empty() || q.mix.iter().all(|s| s.weight == 0) {
                return Err(WorkloadError::EmptyMix { name: name(), queue });
            }
            for s in &q.mix {
                if !crate::config::SUPPORTED_BLOCK_SIZES.contains(&(s.block_size as u32)) || s.block_size > 4096 {
                    return Err(WorkloadError::BlockSize { name: name(), queue, block_size: s.block_size });
                }
                let blocks = s.bytes / s.block_size;
                // A job's extents fit its unit's 2^48 bytes; an ATS's data, its 2^32-byte buffer slot.
                let room = if s.kind == Kind::Ats { 1 << 31 } else { (1u64 << 48) / (2 * EXTENTS) };
                if !s.bytes.is_multiple_of(s.block_size) || blocks == 0 || s.bytes > room {
                    return Err(WorkloadError::Bytes { name: name(), queue, bytes: s.bytes });
                }
            }
            if q.mix.iter().map(|s| u64::from(s.weight)).sum::<u64>() > u64::from(u32::MAX) {
                return Err(WorkloadError::Weights { name: name(), queue });
            }
        }
        let mut sizes = vec![None; self.queues.len() + 1];
        for (q, load) in self.queues.iter().enumerate() {
            let unit = if load.shared { self.queues.len() } else { q };
            for s in &load.mix {
                if *sizes[unit].get_or_insert(s.block_size) != s.block_size {
                    return Err(WorkloadError::MixedBlockSizes { name: name(), unit });
                }
            }
        }
        Ok(())
    }

    /// The first `queues` queues' jobs, drawn from the seed: per queue, in order, with their kinds.
    pub fn jobs(&self, queues: usize) -> Vec<Vec<(Kind, PortJob)>> {
        let mut rng = SmallRng::seed_from_u64(self.seed);
        self.queues
            .iter()
            .take(queues)
            .enumerate()
            .map(|(q, load)| {
                let unit = if load.shared { self.queues.len() } else { q } as u16;
                let total: u32 = load.mix.iter().map(|s| s.weight).sum();
                let mut at = 0u64;
                (0..load.jobs.unwrap_or(self.jobs))
                    .map(|tag| {
                        let mut pick = rng.random_range(0..total);
                        let share = load.mix.iter().find(|s| {
                            let here = pick < s.weight;
                            pick = pick.saturating_sub(s.weight);
                            here
                        });
                        let share = share.expect("a pick below the total weight");
                        if let Some(mean) = load.interval {
                            // Exponential gaps: a Poisson stream of the given mean.
                            let u: f64 = rng.random_range(f64::EPSILON..1.0);
                            at += (-(mean as f64) * u.ln()).round() as u64;
                        }
                        let mut job = share_job(share, unit, q as u16, &mut rng);
                        job.tag = tag as u16;
                        let mut pj = PortJob::ending_well(job);
                        pj.arrival = load.interval.map(|_| at);
                        (share.kind, pj)
                    })
                    .collect()
            })
            .collect()
    }
}

/// A job of `share` on `unit` for queue `queue`.
fn share_job(share: &Share, unit: u16, queue: u16, rng: &mut SmallRng) -> Job {
    let blocks = share.bytes / share.block_size;
    let bs = share.block_size as u32;
    let mut extent = |half: u64| unit_address(unit, (half * EXTENTS + rng.random_range(0..EXTENTS)) * blocks, bs);
    let (op, src) = match share.kind {
        Kind::Clone => (JobOp::Copy, extent(0)),
        Kind::Zero => (JobOp::Zero, 0),
        Kind::Ats => (JobOp::CompareAndWrite, buffer_address(queue, 0)),
    };
    let dst = extent(1);
    Job { tag: 0, op, src, dst, blocks: blocks as u32, block_shift: share.block_size.trailing_zeros() as u8 }
}

impl Workload {
    /// The units the first `queues` queues' jobs run on: one per queue and the shared one after them,
    /// thin, each of its jobs' block size and the room they need; and each queue's staging buffer
    /// (slot, bytes): room for its largest ATS's compare and write data.
    pub fn units(&self, queues: usize) -> (Vec<UnitConfig>, Vec<(u16, usize)>) {
        let mut units =
            vec![UnitConfig { blocks: 1, block_size: 512, thin: true, ..UnitConfig::default() }; self.queues.len() + 1];
        let mut buffers = Vec::new();
        for (q, load) in self.queues.iter().enumerate().take(queues) {
            let unit = &mut units[if load.shared { self.queues.len() } else { q }];
            for s in &load.mix {
                unit.block_size = s.block_size as u32;
                unit.blocks = unit.blocks.max(2 * EXTENTS * (s.bytes / s.block_size));
            }
            let ats = load.mix.iter().filter(|s| s.kind == Kind::Ats).map(|s| 2 * s.bytes as usize).max();
            buffers.extend(ats.map(|bytes| (q as u16, bytes)));
        }
        (units, buffers)
    }
}
