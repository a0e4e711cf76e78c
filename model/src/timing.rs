//! Cycle-approximate timing: the parameter set shared with the RTL, and the cycles each job is predicted
//! to take from the cycle its locks are granted to the cycle its completion is valid.
//!
//! # The machine being predicted
//! One AXI4-style memory port: reads (AR/R) and writes (AW/W/B) are independent channels, in order, each
//! moving one beat of `bus_bytes` per cycle. Reads are issued in bursts of `burst_beats`, with at most
//! `max_outstanding_reads` bursts in flight; the first beat of a burst arrives `read_latency` cycles after
//! its address, and a write's response arrives `write_latency` cycles after its last data beat. The engines
//! wait for every write response before they complete.
//!
//! # Equations
//! For a stream of `n` beats, with `L = burst_beats`, `O = max_outstanding_reads`, `R = read_latency`:
//!
//! ```text
//! read rate         ρ = min(1, O·L / (R + L))           beats per cycle the read side sustains
//! read span      S(n) = R + ⌈n / ρ⌉                     first address to last data beat
//! copy           C(n) = D + S(n) + P + W + E
//! zero fill      Z(n) = D + A + n + W + E               (deallocate and anchor: the same, hinted writes)
//! pattern fill   F(n) = D + S(p) + P + n + W + E        p = beats of the one pattern block, read once
//! compare, match X(n) = D + S(2n) + P + S(n) + P + W + E  compare pass reads both sides, then the write pass
//! compare, miss  M(n) = D + S(2n) + P + E               the compare pass always runs to the end
//! ```
//! where `n` = blocks × block size / `bus_bytes`, `D` = [`DISPATCH_CYCLES`] (grant to first address),
//! `A` = [`ADDRESS_CYCLES`] (address to first write beat), `P` = [`PIPE_CYCLES`] (a beat through the data
//! FIFO or the comparator), `W` = `write_latency`, `E` = [`COMPLETE_CYCLES`] (last response to completion).
//!
//! A job that fails on a memory error is predicted with `n` cut to the blocks up to and including the
//! failing one (a compare-and-write failing in its write pass: the write pass so cut; a pattern fill whose
//! pattern cannot be read: `D + S(p) + E`). The compare pass never stops early, so a miscompare's timing does not reveal where the data
//! differed.
//!
//! Multi-queue runs share the port; the prediction is per job as if it ran alone, and the co-simulation
//! reports how far contention moves the real figures.

pub use offload_vectors::timing::TimingParams;

use crate::engine::{Job, JobOp};

/// Cycles from lock grant to the first memory address of a job.
pub const DISPATCH_CYCLES: u64 = 2;
/// Cycles from a write address to its first data beat.
pub const ADDRESS_CYCLES: u64 = 1;
/// Cycles a beat spends in the engine's data FIFO or comparator.
pub const PIPE_CYCLES: u64 = 1;
/// Cycles from the last memory response to the completion being valid.
pub const COMPLETE_CYCLES: u64 = 1;

/// The cycle equations above, for a parameter set.
pub trait CycleModel {
    /// S(n): cycles from the first read address to the last data beat of an `n`-beat read stream.
    fn read_span(&self, beats: u64) -> u64;
    /// Predicted cycles from grant to completion for `job`. `blocks` is the number of blocks the job
    /// touches before it stops (all of them, or up to and including a failing one); `write_pass` says
    /// whether a compare-and-write reached its write pass.
    fn job_cycles(&self, job: &Job, blocks: u64, write_pass: bool) -> u64;
}

/// Sustained read rate ρ as a fraction `(num, den)` in beats per cycle, at most 1.
fn read_rate(t: &TimingParams) -> (u64, u64) {
    let in_flight = u64::from(t.max_outstanding_reads) * u64::from(t.burst_beats);
    let round_trip = u64::from(t.read_latency) + u64::from(t.burst_beats);
    if in_flight >= round_trip { (1, 1) } else { (in_flight, round_trip) }
}

/// Beats a bus of `t.bus_bytes` needs for `blocks` blocks of `block_size` bytes.
fn beats(t: &TimingParams, blocks: u64, block_size: u64) -> u64 {
    (blocks * block_size).div_ceil(u64::from(t.bus_bytes))
}

impl CycleModel for TimingParams {
    fn read_span(&self, beats: u64) -> u64 {
        let (num, den) = read_rate(self);
        u64::from(self.read_latency) + (beats * den).div_ceil(num)
    }

    fn job_cycles(&self, job: &Job, blocks: u64, write_pass: bool) -> u64 {
        let bs = 1u64 << job.block_shift;
        let n = beats(self, blocks, bs);
        let w = u64::from(self.write_latency);
        let ends = DISPATCH_CYCLES + COMPLETE_CYCLES;
        ends + match job.op {
            JobOp::Copy => self.read_span(n) + PIPE_CYCLES + w,
            JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => ADDRESS_CYCLES + n + w,
            // A pattern that could not be read ends after the read: nothing was written.
            JobOp::Pattern if blocks == 0 => self.read_span(beats(self, 1, bs)),
            JobOp::Pattern => self.read_span(beats(self, 1, bs)) + PIPE_CYCLES + n + w,
            JobOp::CompareAndWrite => {
                let compare = self.read_span(2 * n) + PIPE_CYCLES;
                if write_pass { compare + self.read_span(n) + PIPE_CYCLES + w } else { compare }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(op: JobOp, blocks: u32) -> Job {
        Job { tag: 0, op, src: 0, dst: 0, blocks, block_shift: 9 }
    }

    #[test]
    fn full_rate_when_outstanding_reads_cover_latency() {
        let t = TimingParams::default();
        // O·L = 64 ≥ R + L = 32: one beat per cycle.
        assert_eq!(t.read_span(1000), 16 + 1000);
    }

    #[test]
    fn latency_bound_rate_when_too_few_reads_in_flight() {
        let t = TimingParams { max_outstanding_reads: 1, read_latency: 48, ..TimingParams::default() };
        // ρ = 16 / 64: four cycles a beat.
        assert_eq!(t.read_span(64), 48 + 256);
    }

    #[test]
    fn copy_of_64_kib_is_dominated_by_beats() {
        let t = TimingParams::default();
        let blocks = 128; // 64 KiB of 512-byte blocks = 8192 beats
        let cycles = t.job_cycles(&job(JobOp::Copy, blocks), blocks.into(), false);
        assert_eq!(cycles, 2 + 16 + 8192 + 1 + 8 + 1);
        let beats_per_cycle = 8192.0 / cycles as f64;
        assert!(beats_per_cycle > 0.99);
    }

    #[test]
    fn compare_and_write_reads_twice_then_writes() {
        let t = TimingParams::default();
        let n = 64; // one 512-byte block
        let hit = t.job_cycles(&job(JobOp::CompareAndWrite, 1), 1, true);
        let miss = t.job_cycles(&job(JobOp::CompareAndWrite, 1), 1, false);
        assert_eq!(miss, 2 + (16 + 2 * n) + 1 + 1);
        assert_eq!(hit, miss + (16 + n) + 1 + 8);
        let zero = t.job_cycles(&job(JobOp::Zero, 1), 1, false);
        assert_eq!(zero, 2 + 1 + n + 8 + 1);
    }
}
