//! Seeded random jobs for the multi-queue regression: small, overlapping address windows so that the
//! lock unit has conflicts to resolve, bad blocks and unit ends so that every error path runs, and
//! compare-and-write and compare data that matches the destination more often than not.
//!
//! Units: 0 (512-byte blocks, thin), 1 (512-byte blocks, thick), 2 (4096-byte blocks, thin), each with
//! two bad blocks inside its window. Queue `q` uses staging buffer slot `q` for compare-and-write data
//! and for most compares' data (as VERIFY with BYTCHK issues them); the other compares compare two unit
//! ranges, so that two compares of one range share their locks.

use std::collections::BTreeSet;

use offload_model::address::{buffer_address, unit_address};
use offload_model::config::UnitConfig;
use offload_model::engine::{Job, JobOp};
use offload_model::media::{Memory, UnitStore};
use rand::rngs::SmallRng;
use rand::{Rng, RngExt, SeedableRng};

/// (block size, blocks, thin) of each unit.
const UNITS: [(u32, u64, bool); 3] = [(512, 1024, true), (512, 1024, false), (4096, 128, true)];
/// Blocks from the start of a unit that jobs aim at (and that start filled with data).
const WINDOW: [u64; 3] = [192, 192, 48];
/// Longest job, in blocks, per block size.
const MAX_BLOCKS_512: u32 = 24;
const MAX_BLOCKS_4096: u32 = 4;
/// Bytes of each queue's staging buffer: compare and write data of the longest job.
pub const BUFFER_BYTES: usize = 2 * 4096 * MAX_BLOCKS_4096 as usize;

/// The random memory a run starts from: units filled with random data in their windows.
pub fn memory(seed: u64) -> Memory {
    let mut rng = SmallRng::seed_from_u64(seed);
    let units = UNITS
        .iter()
        .zip(WINDOW)
        .map(|(&(block_size, blocks, thin), window)| {
            let bad: BTreeSet<u64> = (0..2).map(|_| rng.random_range(0..window)).collect();
            let cfg = UnitConfig { blocks, block_size, thin, bad_blocks: bad, ..UnitConfig::default() };
            let mut unit = UnitStore::new(&cfg);
            let mut block = vec![0u8; block_size as usize];
            for lba in 0..window {
                rng.fill_bytes(&mut block);
                unit.load_block(lba, &block);
            }
            unit
        })
        .collect();
    Memory::new(units)
}

/// The generator.
pub struct RandomJobs {
    rng: SmallRng,
    tags: Vec<u16>,
}

/// A job, and the staging buffer it needs set first.
pub struct Planned {
    pub job: Job,
    pub buffer: Option<(u16, Vec<u8>)>,
}

impl RandomJobs {
    pub fn new(seed: u64, queues: u8) -> Self {
        RandomJobs { rng: SmallRng::seed_from_u64(seed ^ 0x6a09_e667_f3bc_c908), tags: vec![0; queues.into()] }
    }

    /// The next job for `queue`; `memory` is the RTL's memory now (compare data is taken from it).
    pub fn next(&mut self, queue: u8, memory: &Memory) -> Planned {
        let rng = &mut self.rng;
        let op = match rng.random_range(0..100) {
            0..30 => JobOp::Copy,
            30..45 => JobOp::Zero,
            45..58 => JobOp::Pattern,
            58..66 => JobOp::Deallocate,
            66..72 => JobOp::Anchor,
            72..88 => JobOp::CompareAndWrite,
            _ => JobOp::Compare,
        };
        let big = rng.random_range(0..4) == 0;
        let (shift, max_blocks) = if big { (12u8, MAX_BLOCKS_4096) } else { (9, MAX_BLOCKS_512) };
        let block_size = 1u32 << shift;
        let same_size: Vec<u16> = (0..UNITS.len() as u16).filter(|&u| UNITS[usize::from(u)].0 == block_size).collect();
        let pick_unit = |rng: &mut SmallRng| same_size[rng.random_range(0..same_size.len())];
        let blocks = if rng.random_range(0..50) == 0 { 0 } else { rng.random_range(1..=max_blocks) };
        let at = |rng: &mut SmallRng, unit: u16| {
            let (_, capacity, _) = UNITS[usize::from(unit)];
            // Mostly inside the window; now and then across the unit's end.
            let lba = if rng.random_range(0..40) == 0 {
                capacity - rng.random_range(1..=u64::from(blocks.max(1)))
            } else {
                rng.random_range(0..WINDOW[usize::from(unit)])
            };
            unit_address(unit, lba, block_size)
        };
        let dst_unit = pick_unit(rng);
        let dst = at(rng, dst_unit);
        let tag = &mut self.tags[usize::from(queue)];
        *tag = tag.wrapping_add(1);
        let mut job = Job { tag: *tag, op, src: 0, dst, blocks, block_shift: shift };
        let mut buffer = None;
        match op {
            JobOp::Copy | JobOp::Pattern => {
                let src_unit = pick_unit(rng);
                job.src = at(rng, src_unit);
            }
            JobOp::CompareAndWrite => {
                let slot = u16::from(queue);
                job.src = buffer_address(slot, 0);
                let mut data = compare_data(rng, memory, &job);
                let bytes = job.bytes() as usize;
                rng.fill_bytes(&mut data[bytes..2 * bytes]);
                buffer = Some((slot, data));
            }
            JobOp::Compare if rng.random_range(0..3) == 0 => {
                let src_unit = pick_unit(rng);
                job.src = at(rng, src_unit);
            }
            JobOp::Compare => {
                let slot = u16::from(queue);
                job.src = buffer_address(slot, 0);
                buffer = Some((slot, compare_data(rng, memory, &job)));
            }
            JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => {}
        }
        Planned { job, buffer }
    }
}

/// A staging buffer whose first `job.bytes()` are the compare data: `job`'s destination as it is now,
/// mostly; else with one bit changed.
fn compare_data(rng: &mut SmallRng, memory: &Memory, job: &Job) -> Vec<u8> {
    let block_size = job.block_bytes() as usize;
    let bytes = job.bytes() as usize;
    let mut data = vec![0u8; BUFFER_BYTES];
    for (i, block) in data[..bytes].chunks_mut(block_size).enumerate() {
        let _ = memory.read(job.dst + (i * block_size) as u64, block);
    }
    if bytes > 0 && rng.random_range(0..3) == 0 {
        let k = rng.random_range(0..bytes);
        data[k] ^= 1 << rng.random_range(0..8);
    }
    data
}

/// A seeded random regression.
#[derive(Clone, Debug)]
pub struct RandomRun {
    pub seed: u64,
    pub jobs: u64,
    pub queues: u8,
    pub slave: crate::memory::SlaveConfig,
    pub variant: crate::rtl::Variant,
    /// Cycle error (percent) beyond which a job is a mismatch: single-queue runs on the model's timing.
    pub tolerance: f64,
    pub trace: Option<crate::harness::TraceWindow>,
}

impl RandomRun {
    /// Runs the regression; `progress` is called with the jobs completed so far, every few thousand
    /// cycles. Returns the totals, and the first mismatch if there was one.
    pub fn run(
        &self,
        mut progress: impl FnMut(u64),
    ) -> (crate::report::Summary, Result<(), crate::scoreboard::Mismatch>) {
        use crate::harness::{Harness, HarnessConfig};
        let start = std::time::Instant::now();
        let memory = memory(self.seed);
        let timing = offload_model::timing::TimingParams {
            read_latency: self.slave.read_latency.fixed().unwrap_or(16),
            write_latency: self.slave.write_latency.fixed().unwrap_or(8),
            queues: self.queues.into(),
            lock_entries: self.variant.lock_entries(),
            ..Default::default()
        };
        // Contention moves the cycles of multi-queue runs: checked only with one queue.
        let tolerance = (self.queues == 1).then_some(self.tolerance);
        let config = HarnessConfig {
            variant: self.variant,
            slave: self.slave.clone(),
            timing,
            cycle_tolerance_pct: tolerance,
            trace: self.trace.clone(),
        };
        let mut h = Harness::new(config, memory).expect("a valid harness configuration");
        let mut jobs = RandomJobs::new(self.seed, self.queues);
        let mut submitted = 0;
        let mut result = Ok(());
        while submitted < self.jobs || !h.is_idle() {
            for q in 0..self.queues {
                if submitted < self.jobs && h.queue_free(q) {
                    let planned = jobs.next(q, h.memory());
                    if let Some((slot, data)) = planned.buffer {
                        h.set_buffer(slot, data);
                    }
                    h.submit(q, planned.job).expect("queue exists");
                    submitted += 1;
                }
            }
            if let Err(m) = h.step() {
                result = Err(m);
                break;
            }
            if h.cycle().is_multiple_of(4096) {
                progress(h.completed());
            }
        }
        let result = result.and_then(|()| h.finish());
        progress(h.completed());
        let mut s = crate::report::Summary::of(&h, result.is_err().into(), start.elapsed());
        if result.is_ok() {
            // The model's prediction of the whole run (a model that hangs is a mismatch too).
            match crate::contention::predict(&h.scoreboard().timeline, &[], self.variant, &self.slave, s.elapsed) {
                Ok(c) => s.contention = Some(c),
                Err(e) => {
                    let m = crate::scoreboard::Mismatch::new(h.cycle(), "shared-port model", "a prediction", e);
                    return (s, Err(m));
                }
            }
        }
        (s, result)
    }
}
