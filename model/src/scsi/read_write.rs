//! READ and WRITE (6), (10), (12) and (16), and WRITE ATOMIC (16) (SBC-4). Host data moves through the
//! command's staging buffer as a copy job, so ordinary reads and writes take range locks like every
//! engine job — which is what makes COMPARE AND WRITE atomic against them.
//!
//! WRITE ATOMIC (16) is the same single copy job: the range-lock unit holds its exclusive lock on the
//! whole destination range for the job's whole run, so no other command sees or writes a part of it —
//! all-or-nothing against any concurrent command. Its limits are the ones that statement implies
//! ([`offload_scsi::AtomicLimits`], advertised in VPD B0h): up to MAXIMUM ATOMIC TRANSFER LENGTH blocks,
//! any alignment and granularity (checked all the same, so that a configuration with other values
//! stays honest), no atomic boundaries — ATOMIC BOUNDARY must be 0.
//!
//! The (6) forms have a 21-bit LBA and a one-byte TRANSFER LENGTH where 0 means 256 blocks, and no
//! flags: byte 1's upper bits are not RDPROTECT/WRPROTECT there, and there is no FUA.

use super::checks::{block_shift, expect_data_out, jobs_succeeded, lba_range, no_protection, unit_address, writable};
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::config::UnitConfig;
use crate::engine::{Job, JobOp};
use offload_scsi::Sense;
use offload_scsi::durability::FUA;
use offload_scsi::{Command, Fields};

/// A read's or write's LBA and TRANSFER LENGTH, and the CDB byte where TRANSFER LENGTH starts.
struct Transfer {
    lba: u64,
    blocks: u64,
    length_at: u16,
}

fn fields(cdb: &[u8], command: Command) -> Transfer {
    let (lba, blocks, length_at) = match command {
        Command::Read6 | Command::Write6 => {
            let lba = u64::from(cdb[1] & 0x1F) << 16 | u64::from(cdb.be16(2));
            (lba, if cdb[4] == 0 { 256 } else { u64::from(cdb[4]) }, 4)
        }
        Command::Read10 | Command::Write10 => (cdb.be32(2).into(), cdb.be16(7).into(), 7),
        Command::Read12 | Command::Write12 => (cdb.be32(2).into(), cdb.be32(6).into(), 6),
        Command::WriteAtomic16 => (cdb.be64(2), cdb.be16(12).into(), 12),
        _ => (cdb.be64(2), cdb.be32(10).into(), 10),
    };
    Transfer { lba, blocks, length_at }
}

/// Whether the command has a byte 1 of flags (every form but (6)).
fn has_flags(command: Command) -> bool {
    !matches!(command, Command::Read6 | Command::Write6)
}

/// Checks common to READ and WRITE; returns (LBA, blocks).
fn check(state: &TargetState, ctx: &Ctx, command: Command) -> Result<(u64, u32), Sense> {
    let Transfer { lba, blocks, length_at } = fields(ctx.cdb, command);
    if has_flags(command) {
        no_protection(ctx.cdb)?;
    }
    if command == Command::WriteAtomic16 {
        state.config.limits.atomic().check(ctx.cdb.be16(10), lba, blocks)?;
    }
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

/// The copy job that writes `blocks` of the command's data-out, staged at the front of its buffer, to
/// `unit` at `lba`.
pub fn write_job(ctx: &Ctx, unit: &UnitConfig, lba: u64, blocks: u32) -> Job {
    Job {
        tag: 0,
        op: JobOp::Copy,
        src: ctx.buffer(0),
        dst: unit_address(unit, ctx.lun, lba),
        blocks,
        block_shift: block_shift(unit),
    }
}

pub fn write(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let (lba, blocks) = check(state, ctx, command)?;
    writable(state, ctx.lun)?;
    let unit = state.unit_config(ctx.lun).clone();
    let length_at = fields(ctx.cdb, command).length_at;
    expect_data_out(ctx, u64::from(blocks) * u64::from(unit.block_size), length_at)?;
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let job = write_job(ctx, &unit, lba, blocks);
    Ok(Outcome::Engine(Plan {
        buffer: ctx.data_out.to_vec(),
        jobs: vec![job],
        finish: Box::new(move |_, done| jobs_succeeded(&done.completions, &unit).map(|()| Vec::new())),
        fua: has_flags(command) && ctx.cdb[1] & FUA != 0,
    }))
}
