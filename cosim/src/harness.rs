//! The harness: one RTL instance, its memory slave and the scoreboard, stepped a cycle at a time.
//!
//! Per cycle: the job driver offers the next job of a free queue (one queue at a time: the job fields
//! are shared), the slave drives its registered outputs, the RTL evaluates with the clock low, the
//! cycle's handshakes are taken (job taken, completion accepted, AXI beats), and the clock rises.
//!
//! A queue runs one job at a time in the RTL (it takes its next job once the previous completion has
//! been accepted), so the driver offers a queue's next job only after that.

use std::collections::VecDeque;
use std::path::PathBuf;

use offload_model::engine::Job;
use offload_model::media::Memory;
use offload_model::timing::TimingParams;
use offload_model::timing::port::{HostDraws, HostTiming};

use crate::memory::{MemorySlave, SlaveConfig};
use crate::rtl::{Inputs, Outputs, QUEUES, Rtl, TraceError, Variant};
use crate::scoreboard::{Mismatch, Observed, Scoreboard};

/// Cycles without any completion or data beat, with work outstanding, after which the RTL is declared
/// hung (a long job alone may take longer than this between completions: its beats are progress).
const HANG_CYCLES: u64 = 1 << 20;

/// A waveform of cycles `from..=to` (VCD, 10 time units a cycle, rising edge at 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceWindow {
    pub path: PathBuf,
    pub from: u64,
    pub to: u64,
}

/// What to run and how.
#[derive(Clone, Debug)]
pub struct HarnessConfig {
    pub variant: Variant,
    pub slave: SlaveConfig,
    /// The model's parameters (its latencies should be the slave's when it is fixed).
    pub timing: TimingParams,
    /// Cycle errors beyond this are mismatches; applied only when the slave has the model's timing.
    pub cycle_tolerance_pct: Option<f64>,
    pub trace: Option<TraceWindow>,
}

impl HarnessConfig {
    /// The model's memory timing, cycles checked to ±2 %.
    pub fn model_timing(timing: TimingParams) -> Self {
        HarnessConfig {
            variant: Variant::Reference,
            slave: SlaveConfig::fixed(timing.read_latency, timing.write_latency),
            timing,
            cycle_tolerance_pct: Some(2.0),
            trace: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("the RTL has {QUEUES} queues; queue {0} does not exist")]
    NoQueue(u8),
}

#[derive(Default)]
struct QueueState {
    pending: VecDeque<Job>,
    /// The job in the RTL (offered or running), the cycle it was first offered and the cycle it was
    /// taken.
    current: Option<(Job, u64, Option<u64>)>,
    valid_since: Option<u64>,
}

/// The RTL, its memory, and the scoreboard.
pub struct Harness {
    rtl: Rtl,
    slave: MemorySlave,
    memory: Memory,
    scoreboard: Scoreboard,
    inputs: Inputs,
    queues: Vec<QueueState>,
    offering: Option<u8>,
    next_queue: u8,
    host: HostDraws,
    cycle: u64,
    last_progress: u64,
    completed: u64,
    trace: Option<TraceWindow>,
    idle: bool,
}

impl Harness {
    /// A fresh RTL instance out of reset, over `memory` (the model starts from a copy of it).
    pub fn new(config: HarnessConfig, memory: Memory) -> Result<Self, HarnessError> {
        let tolerance = config.cycle_tolerance_pct.filter(|_| config.slave.is_fixed());
        let mut rtl = Rtl::new(config.variant);
        if let Some(t) = &config.trace {
            rtl.open_trace(&t.path)?;
        }
        let host = Self::host_timing(&config.slave).draws();
        let mut h = Harness {
            rtl,
            slave: MemorySlave::new(config.slave),
            scoreboard: Scoreboard::new(memory.clone(), config.timing, tolerance),
            memory,
            inputs: Inputs { comp_ready: (1 << QUEUES) - 1, ..Inputs::default() },
            queues: (0..QUEUES).map(|_| QueueState::default()).collect(),
            offering: None,
            next_queue: 0,
            host,
            cycle: 0,
            last_progress: 0,
            completed: 0,
            trace: config.trace,
            idle: true,
        };
        // Reset: three cycles with rst_n low; cycle 0 is the first after it.
        for _ in 0..3 {
            h.rtl.eval(&h.inputs);
            h.rtl.posedge();
        }
        h.inputs.rst_n = 1;
        Ok(h)
    }

    /// The host side's timing (the job driver's and completion-ready backpressure): the memory's share,
    /// from a seed of its own.
    pub fn host_timing(slave: &SlaveConfig) -> HostTiming {
        HostTiming { backpressure_pct: slave.backpressure_pct, seed: slave.seed ^ 0x005e_ed0f_d21e }
    }

    /// How often each branch and block of the RTL ran so far (feature `coverage`; empty without it):
    /// see [`crate::rtl::write_coverage`].
    pub fn rtl_coverage(&self) -> Vec<u32> {
        self.rtl.coverage()
    }

    /// The RTL's memory (what the slave serves).
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    pub fn scoreboard(&self) -> &Scoreboard {
        &self.scoreboard
    }

    pub fn slave(&self) -> &MemorySlave {
        &self.slave
    }

    /// Cycles since reset.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Completions accepted so far.
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// Sets staging buffer `slot` in both memories. Only while no job in the RTL uses it.
    pub fn set_buffer(&mut self, slot: u16, data: Vec<u8>) {
        self.memory.set_buffer(slot, data.clone());
        self.scoreboard.set_buffer(slot, data);
    }

    /// Queues `job` on `queue`; the driver offers it once the queue is free.
    pub fn submit(&mut self, queue: u8, job: Job) -> Result<(), HarnessError> {
        let q = self.queues.get_mut(usize::from(queue)).ok_or(HarnessError::NoQueue(queue))?;
        q.pending.push_back(job);
        self.idle = false;
        Ok(())
    }

    /// True when `queue` has nothing queued and nothing in the RTL.
    pub fn queue_free(&self, queue: u8) -> bool {
        self.queues.get(usize::from(queue)).is_some_and(|q| q.pending.is_empty() && q.current.is_none())
    }

    /// Nothing queued, nothing in the RTL, nothing in the memory.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Steps until every submitted job has completed and the RTL and the memory are idle.
    pub fn run_until_idle(&mut self) -> Result<(), Mismatch> {
        while !self.idle {
            self.step()?;
        }
        Ok(())
    }

    /// Ends the run: the RTL idle, every job checked, memory equal to the model's.
    pub fn finish(&mut self) -> Result<(), Mismatch> {
        self.run_until_idle()?;
        // A few more cycles: nothing may happen once idle.
        for _ in 0..4 {
            self.step()?;
        }
        self.rtl.close_trace();
        self.scoreboard.finish(&self.memory, self.cycle)
    }

    /// One clock cycle.
    pub fn step(&mut self) -> Result<(), Mismatch> {
        self.offer();
        self.inputs.comp_ready = self.host.ready(QUEUES.into()) as u8;
        self.slave.drive(&mut self.inputs);
        let mut out = self.rtl.eval(&self.inputs);
        let wready = self.slave.wready_with(out.awvalid != 0);
        if wready != (self.inputs.wready != 0) {
            self.inputs.wready = wready.into();
            out = self.rtl.eval(&self.inputs);
        }
        let tracing = self.trace.as_ref().is_some_and(|t| (t.from..=t.to).contains(&self.cycle));
        if tracing {
            self.rtl.dump(10 * self.cycle);
        }
        let result = self.take_handshakes(&out);
        if (self.inputs.rvalid != 0 && out.rready != 0) || (out.wvalid != 0 && self.inputs.wready != 0) {
            self.last_progress = self.cycle;
        }
        let memory_result = self.slave.clock(&out, &self.inputs, &mut self.memory);
        self.rtl.posedge();
        if tracing {
            self.rtl.dump(10 * self.cycle + 5);
        }
        self.cycle += 1;
        result?;
        memory_result.map_err(|e| Mismatch::new(self.cycle - 1, "memory interface", "AXI4 rules", e.0))?;
        let busy = self.queues.iter().any(|q| !q.pending.is_empty() || q.current.is_some());
        self.idle = !busy && out.idle != 0 && self.slave.quiet();
        if busy && self.cycle - self.last_progress > HANG_CYCLES {
            return Err(Mismatch::new(
                self.cycle,
                "progress",
                "a completion or a data beat",
                format!("none for {HANG_CYCLES} cycles"),
            ));
        }
        Ok(())
    }

    /// Offers the next job of a free queue, round robin (with backpressure, not every cycle).
    fn offer(&mut self) {
        if self.offering.is_some() {
            return;
        }
        self.inputs.job_valid = 0;
        if self.host.held() {
            return;
        }
        for k in 0..QUEUES {
            let q = (self.next_queue + k) % QUEUES;
            let state = &mut self.queues[usize::from(q)];
            if state.current.is_some() {
                continue;
            }
            let Some(job) = state.pending.pop_front() else { continue };
            let i = &mut self.inputs;
            i.job_valid = 1 << q;
            i.job_op = job.op as u8;
            i.job_block_shift = job.block_shift;
            i.job_tag = job.tag;
            i.job_blocks = job.blocks;
            i.job_src = job.src;
            i.job_dst = job.dst;
            state.current = Some((job, self.cycle, None));
            self.offering = Some(q);
            self.next_queue = (q + 1) % QUEUES;
            return;
        }
    }

    fn take_handshakes(&mut self, out: &Outputs) -> Result<(), Mismatch> {
        let cycle = self.cycle;
        let offered = self.offering.map_or(0u8, |q| 1 << q);
        if out.job_ready & !offered != 0 {
            return Err(Mismatch::new(
                cycle,
                "job_ready",
                format!("{offered:#06b} at most"),
                format!("{:#06b}", out.job_ready),
            ));
        }
        if let Some(q) = self.offering
            && out.job_ready & (1 << q) != 0
        {
            if let Some((_, _, taken)) = &mut self.queues[usize::from(q)].current {
                *taken = Some(cycle);
            }
            self.offering = None;
            self.inputs.job_valid = 0;
        }
        if out.comp_valid.count_ones() > 1 {
            return Err(Mismatch::new(cycle, "comp_valid", "at most one queue", format!("{:#06b}", out.comp_valid)));
        }
        if out.comp_valid == 0 {
            return Ok(());
        }
        let q = out.comp_valid.trailing_zeros() as u8;
        let state = &mut self.queues[usize::from(q)];
        let Some((job, offered_at, Some(taken_at))) = state.current.clone() else {
            return Err(Mismatch::new(
                cycle,
                "comp_valid",
                "no completion for a queue without a job",
                format!("queue {q}"),
            ));
        };
        let valid_at = *state.valid_since.get_or_insert(cycle);
        if self.inputs.comp_ready & (1 << q) == 0 {
            return Ok(());
        }
        state.current = None;
        state.valid_since = None;
        self.completed += 1;
        self.last_progress = cycle;
        let o = Observed {
            job,
            queue: out.comp_queue,
            status: out.comp_status,
            tag: out.comp_tag,
            blocks_done: out.comp_blocks_done,
            miscompare_offset: out.comp_miscompare_offset,
            commit: out.comp_commit,
            fault_address: out.comp_fault_address,
            cycles: out.comp_cycles,
            offered_at,
            taken_at,
            valid_at,
            accepted_at: cycle,
        };
        for (field, want, got) in
            [("queue", u64::from(q), u64::from(o.queue)), ("tag", u64::from(o.job.tag), u64::from(o.tag))]
        {
            if want != got {
                return Err(Mismatch::new(cycle, field, want, got).about(&o));
            }
        }
        self.scoreboard.observe(o)
    }
}
