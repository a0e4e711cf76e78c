//! The scoreboard: every completion the RTL delivers is held to the model.
//!
//! Completions arrive in completion order; the scoreboard takes them in commit order (the order the
//! RTL's lock unit granted the jobs, carried in each completion) and, for each:
//! - **locks**: from its cycle count the job's grant cycle is known, and it held its locks until its
//!   completion was accepted. Replaying grants and releases through the model's range-lock unit
//!   ([`offload_model::engine::range_lock::RangeLockUnit`]) checks that no two conflicting jobs ran at
//!   once and that grants came in commit order, one a cycle at most. Together with the next point this
//!   is linearizability: the RTL's result must be the serial execution in commit order.
//! - **result**: the model executes the job on its own copy of memory, in commit order
//!   ([`offload_model::engine::execute::execute`]); status, blocks done, miscompare offset and fault
//!   address must agree.
//! - **cycles**: the model's prediction ([`offload_model::timing::CycleModel::outcome_cycles`]) against the
//!   RTL's count; the relative error is recorded, and checked against a tolerance when the memory has
//!   the timing the model assumes.
//!
//! At the end, [`Scoreboard::compare_memory`] compares every unit and staging buffer the run touched.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use offload_model::engine::execute::{Outcome, execute};
use offload_model::engine::range_lock::RangeLockUnit;
use offload_model::engine::{CompletionStatus, Job, JobOp};
use offload_model::media::Memory;
use offload_model::timing::{CycleModel, TimingParams};

/// A completion as the RTL delivered it, with when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub job: Job,
    pub queue: u8,
    pub status: u8,
    pub tag: u16,
    pub blocks_done: u32,
    pub miscompare_offset: u32,
    pub commit: u32,
    pub fault_address: u64,
    /// The RTL's own count: grant to completion valid.
    pub cycles: u64,
    /// Cycle the job was first offered on the job port, and the cycle it was taken.
    pub offered_at: u64,
    pub taken_at: u64,
    /// First cycle the completion was valid.
    pub valid_at: u64,
    /// Cycle the completion was accepted (the job's locks are free from the next one).
    pub accepted_at: u64,
}

impl Observed {
    /// The grant cycle, from the RTL's own cycle count.
    pub fn granted_at(&self) -> Option<u64> {
        self.valid_at.checked_sub(self.cycles)
    }
}

/// A job named in a mismatch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRef {
    pub queue: u8,
    pub tag: u16,
    pub commit: u32,
    pub job: Job,
}

impl JobRef {
    pub fn of(o: &Observed) -> Box<Self> {
        Box::new(JobRef { queue: o.queue, tag: o.job.tag, commit: o.commit, job: o.job.clone() })
    }
}

/// The first disagreement between the RTL and the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Cycle it was found.
    pub cycle: u64,
    /// The job it concerns.
    pub job: Option<Box<JobRef>>,
    pub field: String,
    pub expected: String,
    pub got: String,
    /// The first cycle worth seeing in a waveform (the job's intake, or a little before the finding).
    pub since: u64,
}

impl Mismatch {
    pub fn new(cycle: u64, field: impl Into<String>, expected: impl fmt::Display, got: impl fmt::Display) -> Self {
        Mismatch {
            cycle,
            job: None,
            field: field.into(),
            expected: expected.to_string(),
            got: got.to_string(),
            since: cycle.saturating_sub(200),
        }
    }

    /// The same, about job `o` (the waveform starts at its intake).
    pub fn about(mut self, o: &Observed) -> Self {
        self.job = Some(JobRef::of(o));
        self.since = o.taken_at.saturating_sub(20);
        self
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "MISMATCH at cycle {}", self.cycle)?;
        if let Some(r) = &self.job {
            let (job, queue, tag, commit) = (&r.job, r.queue, r.tag, r.commit);
            writeln!(f, "  job       queue {queue}, tag {tag:#06x}, commit {commit}")?;
            writeln!(
                f,
                "            {:?} src {:#018x} dst {:#018x} blocks {} block size {}",
                job.op,
                job.src,
                job.dst,
                job.blocks,
                job.block_bytes()
            )?;
        }
        writeln!(f, "  field     {}", self.field)?;
        writeln!(f, "  expected  {}", self.expected)?;
        write!(f, "  got       {}", self.got)
    }
}

/// One checked job: the RTL's and the model's cycles, and what shaped them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleSample {
    pub predicted: u64,
    pub got: u64,
    pub op: JobOp,
    pub status: CompletionStatus,
    pub blocks: u32,
    /// Blocks the job touched before it stopped (the model's timing input).
    pub touched: u32,
    pub block_shift: u8,
}

impl CycleSample {
    /// Relative error of the RTL's count against the prediction, in percent.
    pub fn error_pct(&self) -> f64 {
        (self.got as f64 - self.predicted as f64) * 100.0 / self.predicted.max(1) as f64
    }
}

/// A staging-buffer write waiting for the jobs that completed before it to be applied.
struct BufferWrite {
    /// Applied once every commit up to this one is (None: at once).
    after: Option<u64>,
    slot: u16,
    data: Vec<u8>,
}

/// The model side of the co-simulation.
pub struct Scoreboard {
    reference: Memory,
    timing: TimingParams,
    /// Cycle errors beyond this percentage are mismatches (None: recorded only).
    tolerance_pct: Option<f64>,
    locks: RangeLockUnit,
    /// Jobs holding locks: commit and the cycle their completion was accepted.
    holding: Vec<(u64, u64)>,
    waiting: BTreeMap<u32, Observed>,
    /// Sequence number (unwrapped commit) of the next job to check.
    next: u64,
    /// Highest sequence number seen so far.
    seen: Option<u64>,
    last_grant: Option<u64>,
    buffer_writes: Vec<BufferWrite>,
    slots: BTreeSet<u16>,
    /// Every checked job's cycles, in commit order.
    pub samples: Vec<CycleSample>,
    /// Every checked job as the RTL ran it, with the model's outcome, in commit order: the workload
    /// the shared-port model replays ([`crate::contention`]).
    pub timeline: Vec<(Observed, Outcome)>,
    /// Jobs checked.
    pub checked: u64,
    /// The last job checked.
    pub last: Option<Observed>,
}

impl Scoreboard {
    pub fn new(reference: Memory, timing: TimingParams, tolerance_pct: Option<f64>) -> Self {
        let locks = RangeLockUnit::new(timing.lock_entries as usize);
        Scoreboard {
            reference,
            timing,
            tolerance_pct,
            locks,
            holding: Vec::new(),
            waiting: BTreeMap::new(),
            next: 0,
            seen: None,
            last_grant: None,
            buffer_writes: Vec::new(),
            slots: BTreeSet::new(),
            samples: Vec::new(),
            timeline: Vec::new(),
            checked: 0,
            last: None,
        }
    }

    /// The model's memory (as of the last checked job).
    pub fn reference(&self) -> &Memory {
        &self.reference
    }

    /// Jobs delivered but not yet checked (waiting for an earlier commit).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Sets a staging buffer in the model's memory, ordered after every job already delivered (the
    /// caller sets it in the RTL's memory now, while no job in flight uses it).
    pub fn set_buffer(&mut self, slot: u16, data: Vec<u8>) {
        self.slots.insert(slot);
        self.buffer_writes.push(BufferWrite { after: self.seen, slot, data });
        self.apply_buffer_writes();
    }

    fn apply_buffer_writes(&mut self) {
        let next = self.next;
        let (now, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.buffer_writes).into_iter().partition(|w| w.after.is_none_or(|a| a < next));
        for w in now {
            self.reference.set_buffer(w.slot, w.data);
        }
        self.buffer_writes = later;
    }

    /// Takes a delivered completion; checks it and every one now in commit order.
    pub fn observe(&mut self, o: Observed) -> Result<(), Mismatch> {
        let seq = self.sequence(o.commit);
        if self.waiting.contains_key(&o.commit) || seq < self.next {
            return Err(Mismatch::new(o.accepted_at, "commit", "a number not used before", o.commit).about(&o));
        }
        self.seen = Some(self.seen.map_or(seq, |s| s.max(seq)));
        self.waiting.insert(o.commit, o);
        while let Some(o) = self.waiting.remove(&(self.next as u32)) {
            self.check(&o)?;
            self.next += 1;
            self.apply_buffer_writes();
        }
        Ok(())
    }

    /// The unwrapped sequence number of a 32-bit commit number near the next expected one.
    fn sequence(&self, commit: u32) -> u64 {
        let delta = commit.wrapping_sub(self.next as u32);
        if delta < 1 << 31 {
            self.next + u64::from(delta)
        } else {
            self.next.saturating_sub(u64::from(delta.wrapping_neg()))
        }
    }

    fn check(&mut self, o: &Observed) -> Result<(), Mismatch> {
        let at = o.accepted_at;
        let Some(grant) = o.granted_at() else {
            return Err(Mismatch::new(
                at,
                "cycles",
                format!("at most {} (valid at cycle {})", o.valid_at, o.valid_at),
                o.cycles,
            )
            .about(o));
        };
        if grant <= o.taken_at {
            return Err(
                Mismatch::new(at, "grant cycle", format!("after intake (cycle {})", o.taken_at), grant).about(o)
            );
        }
        if let Some(last) = self.last_grant
            && grant <= last
        {
            return Err(Mismatch::new(
                at,
                "grant order",
                format!("granted after the previous commit (cycle {last})"),
                format!("granted in cycle {grant}"),
            )
            .about(o));
        }
        self.last_grant = Some(grant);
        // Locks: released the cycle after their completion was accepted.
        let released: Vec<u64> = self.holding.iter().filter(|(_, acc)| *acc < grant).map(|(c, _)| *c).collect();
        for c in released {
            self.locks.release(c as u32);
        }
        self.holding.retain(|(_, acc)| *acc >= grant);
        if !self.locks.can_grant(&o.job) {
            let holders: Vec<String> = self.holding.iter().map(|(c, _)| c.to_string()).collect();
            return Err(Mismatch::new(
                at,
                "range locks",
                "no conflict with a job holding locks (or a free lock entry)",
                format!("granted in cycle {grant} while commits {} held locks", holders.join(", ")),
            )
            .about(o));
        }
        self.locks.grant(o.commit, &o.job);
        self.holding.push((u64::from(o.commit), o.accepted_at));

        let outcome = execute(&o.job, &mut self.reference);
        self.checked += 1;
        let fields: [(&str, u64, u64); 4] = [
            ("status", outcome.status as u64, o.status.into()),
            ("blocks_done", outcome.blocks_done.into(), o.blocks_done.into()),
            ("miscompare_offset", outcome.miscompare_offset.into(), o.miscompare_offset.into()),
            ("fault_address", outcome.fault_address, o.fault_address),
        ];
        for (field, want, got) in fields {
            if want != got {
                let show = |v: u64| if field == "fault_address" { format!("{v:#018x}") } else { v.to_string() };
                return Err(Mismatch::new(at, field, show(want), show(got)).about(o));
            }
        }
        let predicted = self.timing.outcome_cycles(&o.job, &outcome);
        let sample = CycleSample {
            predicted,
            got: o.cycles,
            op: o.job.op,
            status: outcome.status,
            blocks: o.job.blocks,
            touched: outcome.blocks_touched,
            block_shift: o.job.block_shift,
        };
        self.samples.push(sample);
        self.timeline.push((o.clone(), outcome));
        if let Some(tol) = self.tolerance_pct
            && sample.error_pct().abs() > tol
        {
            return Err(Mismatch::new(
                at,
                "cycles",
                format!("{predicted} (model, ±{tol}%)"),
                format!("{} ({:+.2}%)", o.cycles, sample.error_pct()),
            )
            .about(o));
        }
        self.last = Some(o.clone());
        Ok(())
    }

    /// At the end of a run: every delivered job checked, and the RTL's memory equal to the model's.
    pub fn finish(&mut self, memory: &Memory, cycle: u64) -> Result<(), Mismatch> {
        if let Some((commit, o)) = self.waiting.iter().next() {
            return Err(Mismatch::new(
                cycle,
                "commit order",
                format!("commit {}", self.next),
                format!("commit {commit} next"),
            )
            .about(o));
        }
        self.apply_buffer_writes();
        compare_memory(&self.reference, memory, &self.slots).map_err(|(what, want, got)| Mismatch {
            since: cycle.saturating_sub(200),
            ..Mismatch::new(cycle, what, want, got)
        })
    }
}

/// Every unit block and provisioning state, and the staging buffers in `slots`: the first difference
/// as (where, model, RTL).
pub fn compare_memory(model: &Memory, rtl: &Memory, slots: &BTreeSet<u16>) -> Result<(), (String, String, String)> {
    for (unit, (m, r)) in model.units.iter().zip(&rtl.units).enumerate() {
        let (mut a, mut b) = (m.nonzero_blocks().peekable(), r.nonzero_blocks().peekable());
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) if x == y => {}
                (x, y) => {
                    let lba = match (x, y) {
                        (Some((la, da)), Some((lb, db))) if la == lb => {
                            let at = da.iter().zip(db).position(|(p, q)| p != q).unwrap_or(0);
                            return Err((
                                format!("memory: unit {unit} block {la}, byte {at}"),
                                format!("{:#04x}", da[at]),
                                format!("{:#04x}", db[at]),
                            ));
                        }
                        (Some((la, _)), Some((lb, _))) => la.min(lb),
                        (Some((l, _)), None) | (None, Some((l, _))) => l,
                        (None, None) => unreachable!(),
                    };
                    let describe = |mem: &Memory| {
                        let mut block = vec![0u8; mem.units[unit].block_size() as usize];
                        match mem.units[unit].read_block(lba, &mut block) {
                            Ok(()) if block.iter().all(|&x| x == 0) => "zeros".to_owned(),
                            Ok(()) => format!("data starting {:02x?}", &block[..8]),
                            Err(_) => "unreadable".to_owned(),
                        }
                    };
                    return Err((format!("memory: unit {unit} block {lba}"), describe(model), describe(rtl)));
                }
            }
        }
        if m.is_thin() {
            let mut lba = 0;
            while lba < m.blocks() {
                let (sm, nm) = m.provisioning_run(lba, m.blocks() - lba);
                let (sr, nr) = r.provisioning_run(lba, r.blocks() - lba);
                if (sm, nm) != (sr, nr) {
                    return Err((
                        format!("provisioning: unit {unit} from block {lba}"),
                        format!("{sm:?} for {nm} blocks"),
                        format!("{sr:?} for {nr} blocks"),
                    ));
                }
                lba += nm;
            }
        }
    }
    for &slot in slots {
        let (m, r) = (model.buffer(slot).unwrap_or_default(), rtl.buffer(slot).unwrap_or_default());
        if let Some(at) = m.iter().zip(r).position(|(p, q)| p != q) {
            return Err((
                format!("staging buffer {slot}, byte {at}"),
                format!("{:#04x}", m[at]),
                format!("{:#04x}", r[at]),
            ));
        }
    }
    Ok(())
}
