//! The shared port: every engine of the block running at once on one AXI4 memory port, cycle by
//! cycle, with the scheduler that grants them their jobs. Where the [cycle equations](super) say how
//! long a job takes alone, this says when each job of a multi-queue workload is granted and when it
//! completes while the others run beside it.
//!
//! It is built from the parts the RTL has, each written from rtl/README.md:
//! - [`sched`]: intake, slots, age order, range-lock conflicts, `lock_entries`, one grant a cycle,
//!   and the completion port;
//! - [`engine`]: each engine's read-address credit (outstanding bursts, FIFO room), its write bursts
//!   (data at hand, outstanding responses), its passes, and the drain after a memory error;
//! - [`mux`]: AR round robin, W owned for a burst, the route FIFOs for R and B;
//! - [`memory`]: the slave's latencies and backpressure;
//! - [`driver`]: the host offering one job per queue at a time.
//!
//! The state is the RTL's control state (counters and flags, no data). Every output is computed
//! from the registered state, the handshakes of the cycle from the outputs, and the next state from
//! the handshakes, as a clocked design does. A job's memory effect and where it stops (its
//! [`Outcome`]) come from [`crate::engine::execute`]; the port needs only where a failing job's
//! first error is.

mod driver;
mod engine;
mod memory;
mod mux;
mod sched;
mod skip;

pub use driver::{HostDraws, HostTiming};
pub use memory::{Draws, Latency, MemoryTiming};

use crate::engine::execute::Outcome;
use crate::engine::{EngineKind, Job, engine_of};

use super::{MAX_OUTSTANDING_WRITES, TimingParams};
use engine::{Engine, Requests, Responses};
use mux::Mux;
use sched::Scheduler;

/// Queues the host's bit masks hold.
const MAX_QUEUES: u32 = 64;

/// Cycles without a completion or a data beat, with work outstanding, after which a run is declared
/// hung (as the co-simulation's harness does).
const HANG_CYCLES: u64 = 1 << 20;

/// The engines, in the RTL's order: their index is their place in round robin and completion order.
const ENGINES: [EngineKind; 3] = [EngineKind::Copy, EngineKind::Zero, EngineKind::CompareAndWrite];

/// The sizes the engines are built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub bus_bytes: u32,
    pub block_bytes: u32,
    pub burst_beats: u32,
    pub max_reads: u32,
    pub max_writes: u32,
}

impl Shape {
    fn of(t: &TimingParams) -> Self {
        Shape {
            bus_bytes: t.bus_bytes,
            block_bytes: t.block_bytes,
            burst_beats: t.burst_beats,
            max_reads: t.max_outstanding_reads,
            max_writes: MAX_OUTSTANDING_WRITES as u32,
        }
    }

    pub fn burst_bytes(&self) -> u64 {
        u64::from(self.bus_bytes) * u64::from(self.burst_beats)
    }

    /// The data FIFO: room for every outstanding read burst, rounded up to a power of two.
    pub fn fifo_depth(&self) -> u32 {
        (self.max_reads * self.burst_beats).next_power_of_two()
    }

    /// The bits of the block counter a failing engine's walk back compares.
    pub fn walk_mask(&self) -> u32 {
        let bits = (self.max_reads + self.max_writes + 4).next_power_of_two().trailing_zeros() + 1;
        (1 << bits) - 1
    }
}

/// A job of a workload, and how it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortJob {
    pub job: Job,
    pub outcome: Outcome,
    /// The cycle the job arrives at its queue: it is offered once it has arrived and the queue's
    /// previous job has completed. None: as soon as the queue is free (a closed loop).
    pub arrival: Option<u64>,
}

impl PortJob {
    /// A job that ends well: all its blocks done (a compare-and-write that matched, a compare that
    /// matched), offered as soon as its queue is free.
    pub fn ending_well(job: Job) -> Self {
        let outcome = Outcome {
            status: crate::engine::CompletionStatus::Ok,
            blocks_done: if job.op == crate::engine::JobOp::Compare { 0 } else { job.blocks },
            miscompare_offset: 0,
            fault_address: 0,
            blocks_touched: job.blocks,
            write_pass: job.op == crate::engine::JobOp::CompareAndWrite,
        };
        PortJob { job, outcome, arrival: None }
    }
}

/// When one job passed each point, in cycles from the end of reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobTimes {
    pub queue: usize,
    /// Its place in its queue.
    pub seq: usize,
    pub commit: u32,
    /// The cycle it arrived at its queue (its offer, in a closed loop).
    pub arrived: u64,
    /// First offered on the job bus, taken by intake, granted its locks, its completion first shown,
    /// and accepted.
    pub offered: u64,
    pub taken: u64,
    pub granted: u64,
    pub valid: u64,
    pub accepted: u64,
}

impl JobTimes {
    /// The block's own count: grant to completion shown.
    pub fn cycles(&self) -> u64 {
        self.valid - self.granted
    }
}

/// A whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortRun {
    /// Per queue, per job in order.
    pub jobs: Vec<Vec<JobTimes>>,
    /// Cycles from the end of reset to the cycle after the last completion was accepted.
    pub cycles: u64,
    pub read_beats: u64,
    pub write_beats: u64,
    /// Of `cycles`, those fast-forwarded over rather than stepped ([`Stepping::FastForward`]).
    pub fast_forwarded: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    #[error("no completion and no data beat for {HANG_CYCLES} cycles at cycle {0}: the model is stuck")]
    Hung(u64),
    #[error("timing parameters: {0}")]
    Params(String),
    #[error("{queues} queues of jobs for a block of {block} queues")]
    Queues { queues: usize, block: usize },
}

/// How a run is stepped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stepping {
    /// Every cycle.
    EveryCycle,
    /// Repeating periods skipped where the run is deterministic (see `skip.rs`): the same result.
    #[default]
    FastForward,
}

/// The block and its memory, to run workloads on.
#[derive(Clone, Debug)]
pub struct SharedPort {
    params: TimingParams,
    memory: MemoryTiming,
    host: HostTiming,
    stepping: Stepping,
}

impl SharedPort {
    /// A block with `params` (queues, lock entries, bus, bursts, outstanding reads) over `memory`,
    /// driven by a host with `host`'s backpressure.
    pub fn new(params: TimingParams, memory: MemoryTiming, host: HostTiming) -> Result<Self, PortError> {
        params.validate().map_err(PortError::Params)?;
        if params.queues > MAX_QUEUES {
            return Err(PortError::Params(format!("the shared-port model runs at most {MAX_QUEUES} queues")));
        }
        Ok(SharedPort { params, memory, host, stepping: Stepping::default() })
    }

    /// The same, stepped as `stepping` says.
    pub fn stepping(self, stepping: Stepping) -> Self {
        SharedPort { stepping, ..self }
    }

    /// Runs `queues[q]`, queue `q`'s jobs in order, to the end.
    pub fn run(&self, queues: &[Vec<PortJob>]) -> Result<PortRun, PortError> {
        let block = self.params.queues as usize;
        if queues.len() > block {
            return Err(PortError::Queues { queues: queues.len(), block });
        }
        Run::new(self, queues).finish()
    }
}

/// One run in progress.
struct Run<'a> {
    /// Queues with jobs.
    queues: usize,
    jobs: Vec<(&'a PortJob, bool)>,
    /// Per job: its queue and place in it, and its times so far.
    times: Vec<JobTimes>,
    driver: driver::Driver,
    sched: Scheduler,
    engines: Vec<Engine>,
    /// Per engine: the job it runs.
    running: Vec<Option<usize>>,
    mux: Mux,
    memory: memory::Memory,
    now: u64,
    last_progress: u64,
    fast_forward: Option<skip::FastForward>,
    fast_forwarded: u64,
}

impl<'a> Run<'a> {
    fn new(port: &SharedPort, queues: &'a [Vec<PortJob>]) -> Self {
        let shape = Shape::of(&port.params);
        let block_queues = port.params.queues as usize;
        let mut jobs = Vec::new();
        let mut times = Vec::new();
        let mut lists = vec![Vec::new(); block_queues];
        for (q, list) in queues.iter().enumerate() {
            for (seq, j) in list.iter().enumerate() {
                lists[q].push((jobs.len(), j.arrival));
                jobs.push((j, sched::rejects(&j.job, &shape)));
                times.push(JobTimes { queue: q, seq, ..JobTimes::default() });
            }
        }
        Run {
            queues: queues.len(),
            jobs,
            times,
            driver: driver::Driver::new(&port.host, lists),
            sched: Scheduler::new(block_queues, port.params.lock_entries as usize, ENGINES.len()),
            engines: ENGINES.iter().map(|&k| Engine::new(k, shape)).collect(),
            running: vec![None; ENGINES.len()],
            mux: Mux::new(ENGINES.len()),
            memory: memory::Memory::new(&port.memory, shape.burst_beats),
            now: 0,
            last_progress: 0,
            fast_forward: (port.stepping == Stepping::FastForward).then(skip::FastForward::default),
            fast_forwarded: 0,
        }
    }

    fn finish(mut self) -> Result<PortRun, PortError> {
        while !self.driver.finished() {
            let (event, burst_end) = self.cycle();
            if event {
                if let Some(ff) = &mut self.fast_forward {
                    ff.forget();
                }
            } else if burst_end {
                self.fast_forward();
            }
            if self.now - self.last_progress > HANG_CYCLES {
                return Err(PortError::Hung(self.now));
            }
        }
        let mut jobs = vec![Vec::new(); self.queues];
        for t in &self.times {
            jobs[t.queue].push(*t);
        }
        Ok(PortRun {
            jobs,
            cycles: self.now,
            read_beats: self.memory.read_beats,
            write_beats: self.memory.write_beats,
            fast_forwarded: self.fast_forwarded,
        })
    }

    /// Samples the state for [`skip::FastForward`], and jumps when it repeats.
    fn fast_forward(&mut self) {
        let Some(mut ff) = self.fast_forward.take() else { return };
        let sig = ff.scratch();
        let room: Option<Vec<[u32; 4]>> = self.engines.iter().map(Engine::room).collect();
        if let (Some(room), Some(())) = (room, self.signature(sig)) {
            let sample = skip::Sample {
                now: self.now,
                blocks: self.engines.iter().map(Engine::blocks).collect(),
                beats: self.memory.beats(),
            };
            let until = self.driver.next_arrival().map(|a| a.saturating_sub(self.now));
            if let Some(jump) = ff.sample(sample, &room, until) {
                for (engine, by) in self.engines.iter_mut().zip(&jump.blocks) {
                    engine.advance(*by);
                }
                self.memory.advance(jump.cycles, jump.beats);
                self.now += jump.cycles;
                self.fast_forwarded += jump.cycles;
                self.last_progress = self.now;
            }
        }
        self.fast_forward = Some(ff);
    }

    /// Every register of the block, the memory and the host but the engines' block counters, times
    /// relative to now. None where the run is not to be fast-forwarded.
    fn signature(&self, out: &mut Vec<u64>) -> Option<()> {
        for e in &self.engines {
            e.signature(out);
        }
        out.extend(self.running.iter().map(|j| j.map_or(0, |j| j as u64 + 1)));
        self.mux.signature(out)?;
        self.memory.signature(self.now, out)?;
        self.sched.signature(out);
        self.driver.signature(out)
    }

    /// One clock cycle. Returns whether a job event happened (an offer, a job taken, a grant, an
    /// accepted completion) and whether a burst ended on R or W.
    fn cycle(&mut self) -> (bool, bool) {
        let now = self.now;
        // The host's side.
        let offer = self.driver.offer(now);
        let mut event = false;
        if let Some((_, j, true)) = offer {
            self.times[j].offered = now;
            self.times[j].arrived = self.jobs[j].0.arrival.unwrap_or(now);
            event = true;
        }
        let offer = offer.map(|(q, j, _)| (q, j));
        let ready = self.driver.ready();

        // Outputs from the registered state.
        let req: [Requests; ENGINES.len()] = std::array::from_fn(|e| self.engines[e].requests());
        let picks = self.mux.picks(&req);
        let arready = self.memory.arready();
        let awready = self.memory.awready() && !self.mux.aw_done();
        let ar_fire = picks.ar.is_some() && arready;
        let aw_fire = picks.aw_valid && awready;
        let wready = self.memory.wready(picks.aw_valid);
        let w_fire = picks.w_valid && wready;
        let r = self.memory.r();
        let r_owner = self.mux.r_owner();
        let b = self.mux.b();
        let done: [bool; ENGINES.len()] = std::array::from_fn(|e| req[e].done);
        let shown = self.sched.shown(&done);
        let shown_queue = shown.map(|e| self.times[self.running[e].expect("a done engine has a job")].queue);
        let accepted = shown_queue.is_some_and(|q| ready & (1 << q) != 0);
        let grant = self.sched.grant(now, &self.jobs);

        // The engines' edges.
        if let Some(g) = grant {
            event = true;
            let (pj, reject) = self.jobs[g.job];
            self.engines[g.engine].load(&pj.job, &pj.outcome, reject);
            self.running[g.engine] = Some(g.job);
            self.times[g.job].granted = now;
            self.times[g.job].commit = g.commit;
        }
        if let Some(e) = shown {
            let t = &mut self.times[self.running[e].expect("shown")];
            // (No completion is shown before cycle 2: 0 is "not yet".)
            if t.valid == 0 {
                t.valid = now;
            }
        }
        for (e, engine) in self.engines.iter_mut().enumerate() {
            let mine = |o: Option<usize>| o == Some(e);
            engine.clock(
                &req[e],
                &Responses {
                    start: grant.is_some_and(|g| g.engine == e),
                    ar_ready: mine(picks.ar) && arready,
                    r: r.filter(|_| mine(r_owner)).map(|(err, last)| (last, err)),
                    aw_ready: mine(picks.w) && awready,
                    w_ready: mine(picks.w) && wready,
                    b: b.filter(|&(o, _)| o == e).map(|(_, err)| err),
                    ack: accepted && mine(shown),
                },
            );
        }
        if r.is_some() || w_fire {
            self.last_progress = now;
        }
        let r_last = r.is_some_and(|(_, last)| last);
        let w_end = w_fire && picks.w_last;
        self.mux.clock(&picks, ar_fire, aw_fire, w_fire, r_last, self.memory.b());
        let ar_err = picks.ar.filter(|_| ar_fire).map(|e| req[e].ar_err);
        let aw_err = picks.w.filter(|_| aw_fire).map(|e| req[e].aw_err);
        self.memory.clock(now, ar_err, aw_err, w_fire);

        // The scheduler's edge, and the host's.
        let taken = self.sched.taken();
        let offered = offer.map(|(q, j)| {
            let engine = ENGINES.iter().position(|&k| k == engine_of(self.jobs[j].0.job.op)).expect("an engine");
            (q, j, engine, self.jobs[j].1)
        });
        self.sched.clock(now, offered, grant, shown, accepted);
        if taken.is_some() {
            event = true;
            let (_, j) = offer.expect("a taken job was offered");
            self.times[j].taken = now;
            self.driver.taken();
        }
        if let (Some(e), true) = (shown, accepted) {
            let j = self.running[e].take().expect("shown");
            self.times[j].accepted = now;
            self.driver.accepted(self.times[j].queue);
            self.last_progress = now;
            event = true;
        }
        self.now += 1;
        (event, r_last || w_end)
    }
}
