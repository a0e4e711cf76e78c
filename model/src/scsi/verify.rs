//! VERIFY and WRITE AND VERIFY (10)/(12)/(16) (SBC-4). The verification is engine work like every other
//! medium access: medium verification reads the range into the staging buffer (the data is discarded,
//! so a bad block fails it with MEDIUM ERROR and its LBA), and a byte-by-byte comparison is a compare
//! job on the compare-and-write unit's compare pass, which answers MISCOMPARE with the offset of the
//! first difference exactly as COMPARE AND WRITE does.

use super::checks::{block_shift, compared, expect_data_out, lba_range, no_protection, unit_address, writable};
use super::read_write::write_job;
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::config::UnitConfig;
use crate::engine::{Job, JobOp};
use offload_scsi::{Sense, block_fields};

/// What the verification checks: the BYTCHK field (byte 1, bits 2–1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ByteCheck {
    /// 00b: the medium is read, nothing compared.
    Medium,
    /// 01b: the medium is compared with the data-out, one block of it per block verified.
    Compare,
    /// 11b (VERIFY only): the medium's every block is compared with the data-out's one block.
    CompareOneBlock,
}

/// BYTCHK; 10b is reserved, and so is 11b for WRITE AND VERIFY (whose data-out is what it writes).
fn byte_check(cdb: &[u8], one_block_allowed: bool) -> Result<ByteCheck, Sense> {
    match (cdb[1] >> 1) & 0b11 {
        0b00 => Ok(ByteCheck::Medium),
        0b01 => Ok(ByteCheck::Compare),
        0b11 if one_block_allowed => Ok(ByteCheck::CompareOneBlock),
        _ => Err(Sense::invalid_cdb_field(1, Some(2))),
    }
}

/// The checks VERIFY and WRITE AND VERIFY share, in READ's and WRITE's order: protection (VRPROTECT /
/// WRPROTECT), BYTCHK, MAXIMUM TRANSFER LENGTH, range. Returns (LBA, blocks, the length field's byte,
/// BYTCHK).
fn check(state: &TargetState, ctx: &Ctx, one_block_allowed: bool) -> Result<(u64, u32, u16, ByteCheck), Sense> {
    let fields = block_fields(ctx.cdb);
    let (lba, blocks, length_at) = (fields.lba, fields.blocks, fields.length_at());
    no_protection(ctx.cdb)?;
    let bytchk = byte_check(ctx.cdb, one_block_allowed)?;
    if blocks > u64::from(state.config.limits.max_transfer_blocks) {
        return Err(Sense::invalid_cdb_field(length_at, None));
    }
    lba_range(state.unit_config(ctx.lun), lba, blocks)?;
    Ok((lba, blocks as u32, length_at, bytchk))
}

/// The verification of `blocks` at `lba`, with the staging buffer's byte `at`: medium verification
/// reads the range there (the data is discarded); a comparison compares the range with the data there.
fn verify_job(ctx: &Ctx, unit: &UnitConfig, lba: u64, blocks: u32, bytchk: ByteCheck, at: u64) -> Job {
    let medium = unit_address(unit, ctx.lun, lba);
    let (op, src, dst) = match bytchk {
        ByteCheck::Medium => (JobOp::Copy, medium, ctx.buffer(at)),
        ByteCheck::Compare | ByteCheck::CompareOneBlock => (JobOp::Compare, ctx.buffer(at), medium),
    };
    Job { tag: 0, op, src, dst, blocks, block_shift: block_shift(unit) }
}

pub fn verify(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let (lba, blocks, length_at, bytchk) = check(state, ctx, true)?;
    let unit = state.unit_config(ctx.lun).clone();
    let block = unit.block_size as usize;
    let bytes = blocks as usize * block;
    // The data-out is a block per block compared (01b), one block for them all (11b), else none; with a
    // VERIFICATION LENGTH of zero nothing is verified and nothing transferred.
    let expected = match bytchk {
        ByteCheck::Compare => bytes,
        ByteCheck::CompareOneBlock if blocks > 0 => block,
        ByteCheck::Medium | ByteCheck::CompareOneBlock => 0,
    };
    if ctx.data_out.len() != expected {
        // Blame the field that sized the data-out: VERIFICATION LENGTH for 01b, BYTCHK itself otherwise.
        return Err(match bytchk {
            ByteCheck::Compare => Sense::invalid_cdb_field(length_at, None),
            _ => Sense::invalid_cdb_field(1, Some(2)),
        });
    }
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let (buffer, jobs) = match bytchk {
        ByteCheck::Medium => (vec![0; bytes], vec![verify_job(ctx, &unit, lba, blocks, bytchk, 0)]),
        ByteCheck::Compare => (ctx.data_out.to_vec(), vec![verify_job(ctx, &unit, lba, blocks, bytchk, 0)]),
        // The one block replicated after itself by the zero engine's pattern job, then the same compare
        // job over the copies: its miscompare offset counts from the range's start.
        ByteCheck::CompareOneBlock => {
            let mut buffer = ctx.data_out.to_vec();
            buffer.resize(block + bytes, 0);
            let replicate = Job {
                tag: 0,
                op: JobOp::Pattern,
                src: ctx.buffer(0),
                dst: ctx.buffer(block as u64),
                blocks,
                block_shift: block_shift(&unit),
            };
            (buffer, vec![replicate, verify_job(ctx, &unit, lba, blocks, bytchk, block as u64)])
        }
    };
    Ok(Outcome::Engine(Plan {
        buffer,
        jobs,
        finish: Box::new(move |_, done| compared(&done.completions, &unit).map(|()| Vec::new())),
        fua: false,
    }))
}

/// WRITE AND VERIFY: the write, then the verification of what was written, as one batch. It has no FUA
/// bit because it needs none: the blocks are verified on the medium, so they must be durable before
/// GOOD whatever the write cache (the plan's `fua`).
pub fn write_and_verify(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let (lba, blocks, length_at, bytchk) = check(state, ctx, false)?;
    let unit = state.unit_config(ctx.lun).clone();
    writable(state, ctx.lun)?;
    let bytes = u64::from(blocks) * u64::from(unit.block_size);
    expect_data_out(ctx, bytes, length_at)?;
    if blocks == 0 {
        return Ok(Outcome::Done(Vec::new()));
    }
    let write = write_job(ctx, &unit, lba, blocks);
    // Medium verification reads back into the buffer after the data-out; a comparison compares with
    // the data-out itself.
    let mut buffer = ctx.data_out.to_vec();
    let at = match bytchk {
        ByteCheck::Medium => bytes,
        ByteCheck::Compare | ByteCheck::CompareOneBlock => 0,
    };
    buffer.resize((bytes + at) as usize, 0);
    Ok(Outcome::Engine(Plan {
        buffer,
        jobs: vec![write, verify_job(ctx, &unit, lba, blocks, bytchk, at)],
        finish: Box::new(move |_, done| compared(&done.completions, &unit).map(|()| Vec::new())),
        fua: true,
    }))
}
