//! READ and WRITE (10) and (16) (SBC-4 5.15–5.16, 5.39–5.40). Host data moves through the command's
//! staging buffer as a copy job, so ordinary reads and writes take range locks like every engine job —
//! which is what makes COMPARE AND WRITE atomic against them.

use super::checks::{block_shift, expect_data_out, jobs_succeeded, lba_range, no_protection, unit_address, writable};
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::engine::{Job, JobOp};
use offload_scsi::Sense;
use offload_scsi::durability::FUA;
use offload_scsi::{Command, Fields};

/// LBA, TRANSFER LENGTH, and the CDB byte where TRANSFER LENGTH starts.
fn fields(ctx: &Ctx, command: Command) -> (u64, u64, u16) {
    match command {
        Command::Read10 | Command::Write10 => (ctx.cdb.be32(2).into(), ctx.cdb.be16(7).into(), 7),
        _ => (ctx.cdb.be64(2), ctx.cdb.be32(10).into(), 10),
    }
}

/// Checks common to READ and WRITE; returns (LBA, blocks).
fn check(state: &TargetState, ctx: &Ctx, command: Command) -> Result<(u64, u32), Sense> {
    let (lba, blocks, length_at) = fields(ctx, command);
    no_protection(ctx.cdb)?;
    if blocks > u64::from(state.config.limits.max_transfer_blocks) {
        return Err(Sense::invalid_cdb_field(length_at, None));
    }
    lba_range(state.unit_config(ctx.lun), lba, blocks)?;
    Ok((lba, blocks as u32))
}

pub fn read(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let (lba, blocks) = check(state, ctx, command)?;
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let unit = state.unit_config(ctx.lun).clone();
    let job = Job {
        tag: 0,
        op: JobOp::Copy,
        src: unit_address(&unit, ctx.lun, lba),
        dst: ctx.buffer(0),
        blocks,
        block_shift: block_shift(&unit),
    };
    Ok(Outcome::Engine(Plan {
        buffer: vec![0; blocks as usize * unit.block_size as usize],
        jobs: vec![job],
        finish: Box::new(move |_, done| {
            jobs_succeeded(&done.completions, &unit)?;
            Ok(done.buffer)
        }),
        fua: false,
    }))
}

pub fn write(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let (lba, blocks) = check(state, ctx, command)?;
    let unit = state.unit_config(ctx.lun).clone();
    writable(&unit)?;
    let length_at = fields(ctx, command).2;
    expect_data_out(ctx, u64::from(blocks) * u64::from(unit.block_size), length_at)?;
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let job = Job {
        tag: 0,
        op: JobOp::Copy,
        src: ctx.buffer(0),
        dst: unit_address(&unit, ctx.lun, lba),
        blocks,
        block_shift: block_shift(&unit),
    };
    Ok(Outcome::Engine(Plan {
        buffer: ctx.data_out.to_vec(),
        jobs: vec![job],
        finish: Box::new(move |_, done| jobs_succeeded(&done.completions, &unit).map(|()| Vec::new())),
        fua: ctx.cdb[1] & FUA != 0,
    }))
}
