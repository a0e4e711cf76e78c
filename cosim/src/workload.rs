//! An `offload perf` workload run in the RTL: the jobs [`Workload::jobs`] draws, on the memory
//! [`Workload::units`] describes, each job submitted once it has arrived and its queue is free (the
//! model's host does the same). The shared-port model then predicts the run job by job
//! ([`crate::contention`]), which is what `offload perf --check` asks of a sweep point.

use std::time::Instant;

use offload_model::engine::CompletionStatus;
use offload_model::media::{Memory, UnitStore};
use offload_model::perf::Workload;
use offload_model::timing::TimingParams;

use crate::harness::{Harness, HarnessConfig};
use crate::memory::SlaveConfig;
use crate::report::Summary;
use crate::rtl::{QUEUES, Variant};
use crate::scoreboard::Mismatch;

/// A workload's first `queues` queues on RTL build `variant`, memory timed as `slave`.
#[derive(Clone, Debug)]
pub struct WorkloadRun {
    pub workload: Workload,
    pub queues: usize,
    pub variant: Variant,
    pub slave: SlaveConfig,
}

impl WorkloadRun {
    /// Runs it; `progress` is called with the jobs completed so far, every few thousand cycles.
    /// Returns the totals (the model's prediction in `contention`), the number of jobs that did not
    /// end well (the workload assumes they all do), and the first mismatch if there was one.
    pub fn run(&self, mut progress: impl FnMut(u64)) -> (Summary, usize, Result<(), Mismatch>) {
        let start = Instant::now();
        let queues = self.queues.min(usize::from(QUEUES)).min(self.workload.queues.len());
        let (units, buffers) = self.workload.units(queues);
        let memory = Memory::new(units.iter().map(UnitStore::new).collect());
        let timing = TimingParams {
            read_latency: self.slave.read_latency.fixed().unwrap_or(16),
            write_latency: self.slave.write_latency.fixed().unwrap_or(8),
            queues: QUEUES.into(),
            lock_entries: self.variant.lock_entries(),
            ..TimingParams::default()
        };
        let config = HarnessConfig {
            variant: self.variant,
            slave: self.slave.clone(),
            timing,
            cycle_tolerance_pct: None,
            trace: None,
        };
        let mut h = Harness::new(config, memory).expect("a valid harness configuration");
        for (slot, bytes) in buffers {
            h.set_buffer(slot, vec![0; bytes]);
        }
        let jobs = self.workload.jobs(queues);
        let mut next = vec![0usize; queues];
        let mut result = Ok(());
        while next.iter().zip(&jobs).any(|(n, j)| *n < j.len()) || !h.is_idle() {
            for (q, list) in jobs.iter().enumerate() {
                let Some((_, pj)) = list.get(next[q]) else { continue };
                if h.queue_free(q as u8) && pj.arrival.is_none_or(|at| at <= h.cycle()) {
                    h.submit(q as u8, pj.job.clone()).expect("queue exists");
                    next[q] += 1;
                }
            }
            if let Err(m) = h.step() {
                result = Err(m);
                break;
            }
            if h.cycle().is_multiple_of(65536) {
                progress(h.completed());
            }
        }
        let result = result.and_then(|()| h.finish());
        progress(h.completed());
        let mut s = crate::report::Summary::of(&h, result.is_err().into(), start.elapsed());
        let timeline = &h.scoreboard().timeline;
        let not_well = timeline.iter().filter(|(_, o)| o.status != CompletionStatus::Ok).count();
        if result.is_ok() {
            let arrivals: Vec<Vec<Option<u64>>> =
                jobs.iter().map(|list| list.iter().map(|(_, pj)| pj.arrival).collect()).collect();
            match crate::contention::predict(timeline, &arrivals, self.variant, &self.slave, s.elapsed) {
                Ok(c) => s.contention = Some(c),
                Err(e) => return (s, not_well, Err(Mismatch::new(h.cycle(), "shared-port model", "a prediction", e))),
            }
        }
        (s, not_well, result)
    }
}
