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
//! compare only   M(n)                                   `Compare`: the compare pass, match or not
//! ```
//! where `n` = blocks × block size / `bus_bytes`, `D` = [`DISPATCH_CYCLES`] (grant to first address),
//! `A` = [`ADDRESS_CYCLES`] (address to first write beat), `P` = [`PIPE_CYCLES`] (a beat through the data
//! FIFO or the comparator), `W` = `write_latency`, `E` = [`COMPLETE_CYCLES`] (last response to completion).
//!
//! A job of zero blocks completes in `D`. The compare pass never stops early, so a miscompare's timing
//! does not reveal where the data differed.
//!
//! # Memory errors
//! An engine learns of an error from the response of the failing block's first burst, then stops
//! issuing, waits for what it has in flight and completes `F` = [`FAIL_CYCLES`] after the last beat or
//! response it waited for. With `b` beats a block, the failing block the `t`-th (so `(t−1)·b` beats
//! went before it) and `r` the job's beats from the failing block on:
//!
//! ```text
//! reads in flight   d₁ = min(O·L, r)  when the error comes back (first block, or the compare pass)
//!                   d  = min((O−1)·L, r)  in a copy's steady state (one burst's room holds write data)
//! writes sent       m = min((2 + ⌊W/L⌋)·L, 4·L, r)   the failing burst's response takes L + W cycles
//! copy, read      D + S((t−1)·b + d) + P + F       (d₁ for t = 1)
//! copy, write     D + max(S((t−1)·b + m + min((O−1)·L, r − m)) + P,  S((t−1)·b + m) + P + W + E) + F
//! fill, write     D + A + (t−1)·b + m + W + E + F  (pattern: D + S(p) + P + … in place of D + A)
//! pattern, read   D + S(d₁) + F                    (r = p: the one pattern block)
//! compare, read   D + S(2·(t−1)·b + s + min(O·L, r − s)) + F   (r = 2 · blocks from t on: both sides;
//!                  s = 0 when the destination block fails, L when only the source block does; also `Compare`)
//! ```
//! (A compare-and-write failing in its write pass keeps the success equation with `n` cut to the
//! blocks through the failing one.)
//!
//! The equations are exact inside their domain: the read window more than covers the round trip
//! (`O·L > R + L`: a copy's FIFO room also holds the data waiting for its write) and write responses
//! never hold up a burst (`W < 3L`, with four responses outstanding at most). Outside it they
//! underestimate; [`port`] does not need the domain.
//!
//! These are the cycles of a job running alone. When queues share the block, engines share the one
//! memory port and jobs wait for their locks: [`port`] simulates that, the block's control state
//! cycle by cycle, and predicts when each job is granted and completes. Alone, a job takes there what
//! these equations say.

pub mod port;

pub use offload_vectors::timing::TimingParams;

use crate::engine::execute::Outcome;
use crate::engine::{CompletionStatus, Job, JobOp};

/// Cycles from lock grant to the first memory address of a job.
pub const DISPATCH_CYCLES: u64 = 2;
/// Cycles from a write address to its first data beat.
pub const ADDRESS_CYCLES: u64 = 1;
/// Cycles a beat spends in the engine's data FIFO or comparator.
pub const PIPE_CYCLES: u64 = 1;
/// Cycles from the last memory response to the completion being valid.
pub const COMPLETE_CYCLES: u64 = 1;
/// Cycles a failing engine takes, after the last beat or response it waits for, to complete.
pub const FAIL_CYCLES: u64 = 3;
/// Write bursts an engine has in flight at most (the RTL's `MaxOutstandingWrites`).
pub const MAX_OUTSTANDING_WRITES: u64 = 4;

/// The cycle equations above, for a parameter set.
pub trait CycleModel {
    /// S(n): cycles from the first read address to the last data beat of an `n`-beat read stream.
    fn read_span(&self, beats: u64) -> u64;
    /// Predicted cycles from grant to completion for `job`. `blocks` is the number of blocks the job
    /// touches before it stops (all of them, or up to and including a failing one); `write_pass` says
    /// whether a compare-and-write reached its write pass (a compare has none).
    fn job_cycles(&self, job: &Job, blocks: u64, write_pass: bool) -> u64;
    /// Predicted cycles for `job` ending as `outcome` says: [`CycleModel::job_cycles`], or the memory
    /// error equations.
    fn outcome_cycles(&self, job: &Job, outcome: &Outcome) -> u64;
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
        if job.blocks == 0 {
            return DISPATCH_CYCLES;
        }
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
            JobOp::CompareAndWrite | JobOp::Compare => {
                let compare = self.read_span(2 * n) + PIPE_CYCLES;
                if write_pass { compare + self.read_span(n) + PIPE_CYCLES + w } else { compare }
            }
        }
    }

    fn outcome_cycles(&self, job: &Job, outcome: &Outcome) -> u64 {
        let touched = u64::from(outcome.blocks_touched);
        let read_error = outcome.status == CompletionStatus::ReadError;
        let write_error = outcome.status == CompletionStatus::WriteError;
        if job.blocks == 0 || !(read_error || write_error) || (job.op == JobOp::CompareAndWrite && outcome.write_pass) {
            return self.job_cycles(job, touched, outcome.write_pass);
        }
        let bs = 1u64 << job.block_shift;
        let b = beats(self, 1, bs);
        let (l, o, w) =
            (u64::from(self.burst_beats), u64::from(self.max_outstanding_reads), u64::from(self.write_latency));
        // Beats before the failing block, and from it to the end of the job.
        let before = touched.saturating_sub(1) * b;
        let rest = (u64::from(job.blocks) + 1).saturating_sub(touched) * b;
        let first_reads = (o * l).min(rest);
        let steady_reads = ((o - 1) * l).min(rest);
        let sent = ((2 + w / l) * l).min(MAX_OUTSTANDING_WRITES * l).min(rest);
        let fill_write_error = before + sent + w + COMPLETE_CYCLES + FAIL_CYCLES;
        DISPATCH_CYCLES
            + match (job.op, read_error) {
                (JobOp::Copy, true) => {
                    let in_flight = if touched <= 1 { first_reads } else { steady_reads };
                    self.read_span(before + in_flight) + PIPE_CYCLES + FAIL_CYCLES
                }
                (JobOp::Copy, false) => {
                    // The reads in flight drain, and the failing burst's response comes back.
                    let in_flight = ((o - 1) * l).min(rest - sent);
                    let reads = self.read_span(before + sent + in_flight) + PIPE_CYCLES;
                    let writes = self.read_span(before + sent) + PIPE_CYCLES + w + COMPLETE_CYCLES;
                    reads.max(writes) + FAIL_CYCLES
                }
                (JobOp::Pattern, true) => self.read_span((o * l).min(b)) + FAIL_CYCLES,
                (JobOp::Pattern, false) => self.read_span(b) + PIPE_CYCLES + fill_write_error,
                (JobOp::CompareAndWrite | JobOp::Compare, _) => {
                    // Block by block, each dst burst goes out before its src burst: a failing source
                    // block is learned of a burst later than a failing destination block.
                    let dst_block = job.dst + touched.saturating_sub(1) * bs;
                    let skew = if outcome.fault_address == dst_block { 0 } else { l };
                    self.read_span(2 * before + skew + (o * l).min(2 * rest - skew)) + FAIL_CYCLES
                }
                (JobOp::Zero | JobOp::Deallocate | JobOp::Anchor, _) => ADDRESS_CYCLES + fill_write_error,
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
    fn a_failing_copy_stops_after_what_it_has_in_flight() {
        use crate::engine::execute::Outcome;
        let t = TimingParams::default();
        let failed = |status, touched| Outcome {
            status,
            blocks_done: touched - 1,
            miscompare_offset: 0,
            fault_address: 0,
            blocks_touched: touched,
            write_pass: false,
        };
        // Third of eight 512-byte blocks unreadable: two blocks (128 beats) read, then three bursts in
        // flight drain: D + R + 128 + 48 + P + F.
        let copy = job(JobOp::Copy, 8);
        assert_eq!(t.outcome_cycles(&copy, &failed(CompletionStatus::ReadError, 3)), 2 + 16 + 128 + 48 + 1 + 3);
        // The first block unwritable: two bursts sent (the error takes L + W = 24 cycles to come back),
        // three read bursts drain after them: D + R + 32 + 48 + P + F.
        assert_eq!(t.outcome_cycles(&copy, &failed(CompletionStatus::WriteError, 1)), 2 + 16 + 32 + 48 + 1 + 3);
        // A zero fill failing on its second block: D + A + 64 + 32 + W + E + F.
        let zero = job(JobOp::Zero, 4);
        assert_eq!(t.outcome_cycles(&zero, &failed(CompletionStatus::WriteError, 2)), 2 + 1 + 64 + 32 + 8 + 1 + 3);
        // Nothing to do.
        assert_eq!(t.job_cycles(&job(JobOp::Copy, 0), 0, false), DISPATCH_CYCLES);
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

    #[test]
    fn a_compare_takes_the_compare_pass_match_or_not() {
        use crate::engine::execute::Outcome;
        let t = TimingParams::default();
        let compare = job(JobOp::Compare, 4);
        let ended = |status, touched| Outcome {
            status,
            blocks_done: 0,
            miscompare_offset: 0,
            fault_address: 0,
            blocks_touched: touched,
            write_pass: false,
        };
        // Four 512-byte blocks, both sides: 512 beats, D + R + 512 + P + E either way.
        let pass = 2 + 16 + 512 + 1 + 1;
        assert_eq!(t.outcome_cycles(&compare, &ended(CompletionStatus::Ok, 4)), pass);
        assert_eq!(t.outcome_cycles(&compare, &ended(CompletionStatus::Miscompare, 4)), pass);
        // The third destination block unreadable: 2 · 2 blocks (256 beats) read, then the 4 bursts in
        // flight (64 beats) drain: D + R + 256 + 64 + F — as for a compare-and-write's compare pass.
        let dst_error = Outcome { fault_address: 2 * 512, ..ended(CompletionStatus::ReadError, 3) };
        assert_eq!(t.outcome_cycles(&compare, &dst_error), 2 + 16 + 256 + 64 + 3);
        let caw = job(JobOp::CompareAndWrite, 4);
        assert_eq!(t.outcome_cycles(&compare, &dst_error), t.outcome_cycles(&caw, &dst_error));
        // Only the third source block unreadable (src at 1 MiB): its first burst follows the destination
        // block's first burst, so the error comes back one burst (16 beats) later.
        let src_job = Job { src: 1 << 20, ..compare.clone() };
        let src_error = Outcome { fault_address: (1 << 20) + 2 * 512, ..dst_error.clone() };
        assert_eq!(t.outcome_cycles(&src_job, &src_error), 2 + 16 + 256 + 16 + 64 + 3);
        assert_eq!(
            t.outcome_cycles(&src_job, &src_error),
            t.outcome_cycles(&Job { op: JobOp::CompareAndWrite, ..src_job.clone() }, &src_error)
        );
        assert_eq!(t.job_cycles(&job(JobOp::Compare, 0), 0, false), DISPATCH_CYCLES);
    }
}
