//! ORWRITE (16) (SBC-4): the medium's blocks become themselves ORed with the data-out, as one
//! uninterrupted read-modify-write. ORWRITE (16) has no BMOP or PREVIOUS GENERATION PROCESSING field
//! (those are ORWRITE (32)'s): it is the plain OR operation, with no ORWgeneration code kept.
//!
//! The engines have no OR operation, and the compare-and-write unit cannot OR without a block-sized
//! buffer of its own, so the front end does it optimistically with jobs that exist: a read of the
//! range into the staging buffer, the OR of the data-out into a copy, then a COMPARE AND WRITE job that
//! writes the OR only if the medium still holds what was read. A miscompare means another command
//! changed the range in between; the read and the compare-and-write are then issued again. What is
//! written is always (the medium at the moment of the write) OR (the data-out), and the write is atomic
//! under the compare-and-write job's exclusive range lock — the uninterrupted series SBC-4 asks for.
//!
//! Retries are bounded: each miscompare is caused by a write another command of the concurrent group
//! committed between this command's read and its compare-and-write; commands outside ORWRITE finish in
//! the group's first round, and another ORWRITE commits once. So at most one retry per command in the
//! group is needed, and the plan allows one more attempt than that.

use super::checks::{block_shift, expect_data_out, jobs_succeeded, lba_range, no_protection, unit_address, writable};
use super::{Ctx, HandlerResult, Next, Outcome, Plan, TargetState};
use crate::config::UnitConfig;
use crate::engine::{CompletionStatus, Job, JobOp};
use offload_scsi::durability::FUA;
use offload_scsi::{Asc, Sense, SenseKey, block_fields};

pub fn orwrite(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let fields = block_fields(ctx.cdb);
    let (lba, blocks, length_at) = (fields.lba, fields.blocks, fields.length_at());
    no_protection(ctx.cdb)?; // ORPROTECT
    if blocks > u64::from(state.config.limits.max_transfer_blocks) {
        return Err(Sense::invalid_cdb_field(length_at, None));
    }
    let unit = state.unit_config(ctx.lun).clone();
    lba_range(&unit, lba, blocks)?;
    writable(state, ctx.lun)?;
    expect_data_out(ctx, blocks * u64::from(unit.block_size), length_at)?;
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let or = OrWrite {
        medium: unit_address(&unit, ctx.lun, lba),
        staging: ctx.buffer(0),
        blocks: blocks as u32,
        block_shift: block_shift(&unit),
        data: ctx.data_out.to_vec(),
        fua: ctx.cdb[1] & FUA != 0,
        attempts_left: ctx.group + 1,
        unit,
    };
    Ok(Outcome::Rounds(or.read()))
}

/// One ORWRITE in progress.
struct OrWrite {
    unit: UnitConfig,
    /// The range on the medium and the command's staging buffer.
    medium: u64,
    staging: u64,
    blocks: u32,
    block_shift: u8,
    data: Vec<u8>,
    fua: bool,
    attempts_left: usize,
}

impl OrWrite {
    fn job(&self, op: JobOp, src: u64, dst: u64) -> Job {
        Job { tag: 0, op, src, dst, blocks: self.blocks, block_shift: self.block_shift }
    }

    /// First round of an attempt: the range read into the staging buffer.
    fn read(self) -> Plan<Next> {
        Plan {
            buffer: vec![0; self.data.len()],
            jobs: vec![self.job(JobOp::Copy, self.medium, self.staging)],
            fua: self.fua,
            finish: Box::new(move |_, done| match jobs_succeeded(&done.completions, &self.unit) {
                Ok(()) => Next::More(self.write(done.buffer)),
                Err(sense) => Next::Done(Err(sense)),
            }),
        }
    }

    /// Second round: compare the range with what was read and, if it still holds it, write the OR.
    fn write(mut self, read: Vec<u8>) -> Plan<Next> {
        let ored: Vec<u8> = read.iter().zip(&self.data).map(|(m, d)| m | d).collect();
        let mut buffer = read;
        buffer.extend(ored);
        self.attempts_left -= 1;
        Plan {
            buffer,
            jobs: vec![self.job(JobOp::CompareAndWrite, self.staging, self.medium)],
            fua: self.fua,
            finish: Box::new(move |_, done| {
                let changed = done.completions.iter().any(|c| c.status == CompletionStatus::Miscompare);
                match (changed, self.attempts_left) {
                    (false, _) => Next::Done(jobs_succeeded(&done.completions, &self.unit).map(|()| Vec::new())),
                    (true, 0) => Next::Done(Err(Sense::new(SenseKey::ABORTED_COMMAND, Asc::NO_ADDITIONAL_SENSE))),
                    (true, _) => Next::More(self.read()),
                }
            }),
        }
    }
}
