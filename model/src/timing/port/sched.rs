//! The scheduler and the completion return (rtl/README.md, "Intake", "Range-lock unit", "Arbiter",
//! "Completion return").
//!
//! - **Intake** takes one job at a time from the shared job bus: offered in cycle `t`, it is in its
//!   queue's slot from `t + 4` (taken, `job_ready`, in `t + 3`).
//! - A slot is **presented** the cycle after it was written, its conflicts then known. Presented slots
//!   are ordered by age: earlier presented first, ties to the lower queue.
//! - **Grant**: at most one a cycle, to the oldest presented slot whose engine is idle, that conflicts
//!   with no running job, while fewer than `lock_entries` run. Each grant takes the next commit number.
//! - **Completion return**: the lowest engine that is done is shown on the completion port and stays
//!   there until its queue accepts it. Accepting frees the engine, its locks and the queue's slot
//!   from the next cycle.

use crate::engine::{Job, JobOp};

use super::{PortJob, Shape};

/// Cycles from a job's offer to the cycle it is taken.
const INTAKE_CYCLES: u64 = 3;

#[derive(Clone, Debug, Default)]
struct Slot {
    /// The job in the slot (an index into the run's jobs), its engine, and whether intake rejected it.
    job: Option<(usize, usize, bool)>,
    /// Written last cycle: its conflicts are not known yet.
    fresh: bool,
    running: bool,
    /// The cycle the slot was first presented.
    presented: Option<u64>,
}

/// A grant: the queue whose job starts, its engine, its commit number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Grant {
    pub queue: usize,
    pub engine: usize,
    pub job: usize,
    pub reject: bool,
    pub commit: u32,
}

/// True when intake rejects `job` as not runnable: a block size the engines do not take, an unaligned
/// address, or a range leaving its 2^48-byte region. It then completes as a write error, nothing done.
pub(super) fn rejects(job: &Job, shape: &Shape) -> bool {
    let shift = u32::from(job.block_shift);
    if shift < shape.burst_bytes().trailing_zeros() || shift > shape.block_bytes.trailing_zeros() {
        return true;
    }
    let mask = job.block_bytes() - 1;
    let fill = matches!(job.op, JobOp::Zero | JobOp::Deallocate | JobOp::Anchor);
    if job.dst & mask != 0 || (!fill && job.src & mask != 0) {
        return true;
    }
    let region = 1u64 << 48;
    let src_len = match job.op {
        JobOp::Copy | JobOp::Compare => job.bytes(),
        JobOp::Pattern => job.block_bytes(),
        JobOp::CompareAndWrite => 2 * job.bytes(),
        JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => 0,
    };
    (job.dst % region) + job.bytes() > region || (job.src % region) + src_len > region
}

/// Whether two slots' jobs may not run at once. A rejected job locks an empty range at its
/// destination (exclusive unless it is a compare) and nothing at its source.
fn conflict(a: (&Job, bool), b: (&Job, bool)) -> bool {
    if !a.1 && !b.1 {
        return a.0.conflicts_with(b.0);
    }
    let locks = |(job, reject): (&Job, bool)| {
        let op = if job.op == JobOp::Compare { JobOp::Compare } else { JobOp::Zero };
        if reject { Job { blocks: 0, op, src: job.dst, ..job.clone() } } else { job.clone() }
    };
    locks(a).conflicts_with(&locks(b))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Intake {
    Idle,
    /// Taking the job of this queue: cycles since its offer was seen.
    Busy {
        queue: usize,
        cycle: u64,
    },
}

/// The scheduler's registers, and the completion port's.
#[derive(Clone, Debug)]
pub(super) struct Scheduler {
    lock_entries: usize,
    /// Out of reset for a cycle: intake starts from the second cycle.
    awake: bool,
    intake: Intake,
    slots: Vec<Slot>,
    engine_busy: Vec<bool>,
    commit: u32,
    /// The engine whose completion is shown, held until accepted.
    shown: Option<usize>,
}

impl Scheduler {
    pub fn new(queues: usize, lock_entries: usize, engines: usize) -> Self {
        Scheduler {
            lock_entries,
            awake: false,
            intake: Intake::Idle,
            slots: vec![Slot::default(); queues],
            engine_busy: vec![false; engines],
            commit: 0,
            shown: None,
        }
    }

    /// The queue whose offered job is taken this cycle (`job_ready`).
    pub fn taken(&self) -> Option<usize> {
        match self.intake {
            Intake::Busy { queue, cycle } if cycle == INTAKE_CYCLES => Some(queue),
            _ => None,
        }
    }

    /// This cycle's grant, from the registered state. `jobs[j]`: job `j` and whether intake rejects it.
    pub fn grant(&self, now: u64, jobs: &[(&PortJob, bool)]) -> Option<Grant> {
        let waiting = |s: &Slot| s.job.is_some() && !s.running && !s.fresh;
        if !self.slots.iter().any(waiting) {
            return None;
        }
        let running = self.slots.iter().filter(|s| s.running);
        if running.clone().count() >= self.lock_entries {
            return None;
        }
        let locks = |j: usize| (&jobs[j].0.job, jobs[j].1);
        let mut best: Option<(u64, usize)> = None;
        for (q, s) in self.slots.iter().enumerate() {
            let Some((job, engine, _)) = s.job else { continue };
            if !waiting(s) || self.engine_busy[engine] {
                continue;
            }
            let free = running.clone().all(|r| !conflict(locks(job), locks(r.job.expect("running").0)));
            let age = s.presented.unwrap_or(now);
            if free && best.is_none_or(|(a, _)| age < a) {
                best = Some((age, q));
            }
        }
        best.map(|(_, queue)| {
            let (job, engine, reject) = self.slots[queue].job.expect("a waiting slot has a job");
            Grant { queue, engine, job, reject, commit: self.commit }
        })
    }

    /// The engine shown on the completion port this cycle, given which engines are done.
    pub fn shown(&self, done: &[bool]) -> Option<usize> {
        self.shown.or_else(|| done.iter().position(|&d| d))
    }

    /// The clock edge. `offer`: the queue offering a job and that job (held until taken); `grant`:
    /// this cycle's; `shown`/`accepted`: the completion port's engine and whether its queue took it.
    pub fn clock(
        &mut self,
        now: u64,
        offer: Option<(usize, usize, usize, bool)>,
        grant: Option<Grant>,
        shown: Option<usize>,
        accepted: bool,
    ) {
        // Presented for the first time this cycle: stamped with it.
        for s in &mut self.slots {
            if s.job.is_some() && !s.running && !s.fresh && s.presented.is_none() {
                s.presented = Some(now);
            }
            s.fresh = false;
        }
        self.intake = match self.intake {
            Intake::Idle => match offer {
                Some((queue, ..)) if self.awake && self.slots[queue].job.is_none() => Intake::Busy { queue, cycle: 1 },
                _ => Intake::Idle,
            },
            Intake::Busy { queue, cycle } if cycle == INTAKE_CYCLES => {
                let (_, job, engine, reject) = offer.expect("a job is held until taken");
                self.slots[queue] =
                    Slot { job: Some((job, engine, reject)), fresh: true, running: false, presented: None };
                Intake::Idle
            }
            Intake::Busy { queue, cycle } => Intake::Busy { queue, cycle: cycle + 1 },
        };
        self.awake = true;
        if let Some(g) = grant {
            self.slots[g.queue].running = true;
            self.engine_busy[g.engine] = true;
            self.commit = self.commit.wrapping_add(1);
        }
        if let (Some(e), true) = (shown, accepted) {
            for s in &mut self.slots {
                if s.running && s.job.is_some_and(|(_, engine, _)| engine == e) {
                    *s = Slot::default();
                }
            }
            self.engine_busy[e] = false;
        }
        self.shown = if accepted { None } else { shown };
    }
}

/// What a fast-forward ([`super::skip`]) needs of the scheduler.
impl Scheduler {
    /// Its registers; of the slots' presentation cycles, only their order.
    pub fn signature(&self, out: &mut Vec<u64>) {
        let intake = match self.intake {
            Intake::Idle => 0,
            Intake::Busy { queue, cycle } => (1 + queue as u64) << 8 | cycle,
        };
        out.extend([u64::from(self.awake), intake, u64::from(self.commit), self.shown.map_or(0, |e| e as u64 + 1)]);
        out.push(self.engine_busy.iter().fold(0, |m, &b| m << 1 | u64::from(b)));
        for (q, s) in self.slots.iter().enumerate() {
            let rank = s.presented.map_or(0, |p| {
                1 + self.slots.iter().enumerate().filter(|(r, o)| o.presented.is_some_and(|a| (a, *r) < (p, q))).count()
            });
            let (job, engine, reject) = s.job.map_or((0, 0, false), |(j, e, r)| (j as u64 + 1, e, r));
            out.extend([job, engine as u64, u64::from(reject) | u64::from(s.fresh) << 1 | u64::from(s.running) << 2]);
            out.push(rank as u64);
        }
    }
}
