//! Queues, arbitration and time: the part of the block that decides when each job runs.
//!
//! - A queue presents one job at a time. Work arrives in *batches* (one SCSI command's jobs): a batch's
//!   jobs run in order, the next one presented the cycle after the previous completes, and a job that
//!   fails ends its batch (the rest are never issued).
//! - Each engine (copy, zero, compare-and-write) runs one job at a time.
//! - Each cycle, at most one job is granted: among the presented jobs whose engine is idle and whose locks
//!   the range-lock unit can grant, the one presented first (ties: lowest queue). It runs for the cycles
//!   [`crate::timing`] predicts; its locks and its engine are free again the cycle after it completes.
//! - A job's memory effects are applied at its grant. Conflicting jobs never overlap in time, so this is
//!   the result of running all jobs serially in grant order — the commit order each completion carries.

use std::collections::VecDeque;

use super::execute::execute;
use super::range_lock::RangeLockUnit;
use super::{Completion, CompletionStatus, EngineKind, Job, engine_of};
use crate::media::Memory;
use crate::timing::{CycleModel, TimingParams};

/// One command's jobs: run in order, stopping at the first that fails.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobBatch {
    pub jobs: Vec<Job>,
}

/// The offload block: its queues, engines, range-lock unit and cycle counter.
#[derive(Clone, Debug)]
pub struct OffloadBlock {
    timing: TimingParams,
    locks: RangeLockUnit,
    /// The first cycle at which new work may be presented.
    now: u64,
    next_commit: u32,
}

struct QueueState {
    batches: VecDeque<Vec<Job>>,
    /// Index of the next job in the front batch.
    next_job: usize,
    /// Cycle from which the front job is presented.
    ready_at: u64,
    busy: bool,
    results: Vec<Vec<Completion>>,
}

struct InFlight {
    queue: usize,
    engine: EngineKind,
    completion: Completion,
}

impl OffloadBlock {
    pub fn new(timing: TimingParams) -> Self {
        let locks = RangeLockUnit::new(timing.lock_entries as usize);
        OffloadBlock { timing, locks, now: 0, next_commit: 0 }
    }

    /// The cycle counter: the first cycle at which the next run's work is presented.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Runs one batch alone on `queue` and returns its completions.
    pub fn run_batch(&mut self, memory: &mut Memory, queue: u8, batch: JobBatch) -> Vec<Completion> {
        let mut work: Vec<Vec<JobBatch>> = vec![Vec::new(); usize::from(queue) + 1];
        work[usize::from(queue)].push(batch);
        let mut results = self.run(memory, work);
        results.swap_remove(usize::from(queue)).pop().unwrap_or_default()
    }

    /// Runs every queue's batches to the end, all presented from the current cycle, and returns each
    /// queue's completions batch by batch. Queue `q` of `work` is queue `q` of the block.
    pub fn run(&mut self, memory: &mut Memory, work: Vec<Vec<JobBatch>>) -> Vec<Vec<Vec<Completion>>> {
        let mut queues: Vec<QueueState> = work
            .into_iter()
            .map(|batches| QueueState {
                batches: batches.into_iter().map(|b| b.jobs).collect(),
                next_job: 0,
                ready_at: self.now,
                busy: false,
                results: Vec::new(),
            })
            .collect();
        for q in &mut queues {
            q.skip_empty_batches();
        }
        let mut in_flight: Vec<InFlight> = Vec::new();
        let mut t = self.now;
        loop {
            // Retire what completed before this cycle: free its locks and engine, let its queue go on.
            in_flight.retain(|f| {
                if f.completion.completed_at >= t {
                    return true;
                }
                self.locks.release(f.completion.commit);
                let q = &mut queues[f.queue];
                q.busy = false;
                q.ready_at = f.completion.completed_at + 1;
                q.retire(f.completion.clone());
                false
            });

            let engine_idle = |kind: EngineKind| in_flight.iter().all(|f| f.engine != kind);
            let candidate = queues
                .iter()
                .enumerate()
                .filter_map(|(i, q)| Some((i, q, q.front_job()?)))
                .filter(|(_, q, job)| !q.busy && q.ready_at <= t && engine_idle(engine_of(job.op)))
                .filter(|(_, _, job)| self.locks.can_grant(job))
                .min_by_key(|(i, q, _)| (q.ready_at, *i))
                .map(|(i, _, _)| i);

            if let Some(i) = candidate {
                let job = queues[i].front_job().cloned().expect("candidate has a job");
                let completion = self.grant(memory, i, &job, t);
                queues[i].busy = true;
                in_flight.push(InFlight { queue: i, engine: engine_of(job.op), completion });
                t += 1;
                continue;
            }

            let next_completion = in_flight.iter().map(|f| f.completion.completed_at + 1).min();
            let next_presented = queues
                .iter()
                .filter(|q| !q.busy && q.front_job().is_some() && q.ready_at > t)
                .map(|q| q.ready_at)
                .min();
            match next_completion.into_iter().chain(next_presented).min() {
                Some(next) => t = next.max(t + 1),
                None => break,
            }
        }
        self.now = t;
        queues.into_iter().map(|q| q.results).collect()
    }

    /// Grants `job` at cycle `t`: takes its locks, applies it to memory, stamps commit order and cycles.
    fn grant(&mut self, memory: &mut Memory, queue: usize, job: &Job, t: u64) -> Completion {
        let commit = self.next_commit;
        // A 32-bit counter, as in the RTL: it wraps, and only its order among jobs in flight matters.
        self.next_commit = self.next_commit.wrapping_add(1);
        self.locks.grant(commit, job);
        let outcome = execute(job, memory);
        let cycles = self.timing.outcome_cycles(job, &outcome);
        Completion {
            queue: queue as u8,
            tag: job.tag,
            status: outcome.status,
            blocks_done: outcome.blocks_done,
            miscompare_offset: outcome.miscompare_offset,
            fault_address: outcome.fault_address,
            commit,
            granted_at: t,
            completed_at: t + cycles,
        }
    }
}

impl QueueState {
    fn front_job(&self) -> Option<&Job> {
        self.batches.front().and_then(|b| b.get(self.next_job))
    }

    /// Records a completion; a failure or the batch's last job moves on to the next batch.
    fn retire(&mut self, completion: Completion) {
        if self.next_job == 0 {
            self.results.push(Vec::new());
        }
        let failed = completion.status != CompletionStatus::Ok;
        self.results.last_mut().expect("batch started").push(completion);
        self.next_job += 1;
        let batch_len = self.batches.front().map_or(0, Vec::len);
        if failed || self.next_job >= batch_len {
            self.batches.pop_front();
            self.next_job = 0;
            self.skip_empty_batches();
        }
    }

    /// Empty batches complete at once with no completions.
    fn skip_empty_batches(&mut self) {
        while self.batches.front().is_some_and(Vec::is_empty) {
            self.batches.pop_front();
            self.results.push(Vec::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::unit_address;
    use crate::config::UnitConfig;
    use crate::engine::JobOp;
    use crate::media::{UnitStore, WriteHint};

    fn memory() -> Memory {
        let mut unit = UnitStore::new(&UnitConfig { blocks: 64, ..UnitConfig::default() });
        for lba in 0..64 {
            unit.write_block(lba, &[lba as u8; 512], WriteHint::Data).unwrap();
        }
        Memory::new(vec![unit])
    }

    fn job(tag: u16, op: JobOp, src: u64, dst: u64, blocks: u32) -> Job {
        Job { tag, op, src: unit_address(0, src, 512), dst: unit_address(0, dst, 512), blocks, block_shift: 9 }
    }

    #[test]
    fn a_lone_job_takes_its_predicted_cycles() {
        let mut block = OffloadBlock::new(TimingParams::default());
        let mut m = memory();
        let j = job(1, JobOp::Copy, 0, 32, 4);
        let done = block.run_batch(&mut m, 0, JobBatch { jobs: vec![j.clone()] });
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].cycles(), TimingParams::default().job_cycles(&j, 4, false));
        assert_eq!(done[0].granted_at, 0);
        assert_eq!(block.now(), done[0].completed_at + 1);
    }

    #[test]
    fn a_failing_job_ends_its_batch() {
        let mut block = OffloadBlock::new(TimingParams::default());
        let mut m = memory();
        let bad = Job { dst: unit_address(0, 64, 512), ..job(1, JobOp::Zero, 0, 0, 1) };
        let jobs = vec![job(0, JobOp::Zero, 0, 0, 1), bad, job(2, JobOp::Zero, 0, 5, 1)];
        let done = block.run_batch(&mut m, 0, JobBatch { jobs });
        assert_eq!(
            done.iter().map(|c| (c.tag, c.status)).collect::<Vec<_>>(),
            vec![(0, CompletionStatus::Ok), (1, CompletionStatus::WriteError)]
        );
    }

    #[test]
    fn conflicting_jobs_on_two_queues_serialise_and_independent_ones_overlap() {
        let mut block = OffloadBlock::new(TimingParams::default());
        let mut m = memory();
        // Queue 0 zeroes 0..8; queue 1 copies from 4..6 (conflict) and then fills 40..41 (no conflict).
        let work = vec![
            vec![JobBatch { jobs: vec![job(0, JobOp::Zero, 0, 0, 8)] }],
            vec![JobBatch { jobs: vec![job(1, JobOp::Copy, 4, 20, 2)] }],
        ];
        let done = block.run(&mut m, work);
        let (a, b) = (&done[0][0][0], &done[1][0][0]);
        assert_eq!((a.commit, b.commit), (0, 1), "equal arrival: lowest queue first");
        assert!(b.granted_at > a.completed_at, "the copy waited for the zero fill's lock");
        // Serial order zero-then-copy: the copied blocks are zeros.
        let mut out = [1u8; 512];
        m.units[0].read_block(20, &mut out).unwrap();
        assert_eq!(out, [0; 512]);

        let work = vec![
            vec![JobBatch { jobs: vec![job(0, JobOp::Zero, 0, 0, 8)] }],
            vec![JobBatch { jobs: vec![job(1, JobOp::Copy, 30, 40, 2)] }],
        ];
        let done = block.run(&mut m, work);
        let (a, b) = (&done[0][0][0], &done[1][0][0]);
        assert_eq!(b.granted_at, a.granted_at + 1, "different engines, no conflict: granted back to back");
    }
}
