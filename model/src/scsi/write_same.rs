//! WRITE SAME (10) and (16) (SBC-4 5.48–5.49): Block Zeroing. One block of data-out (none with NDOB)
//! written to a range — by the zero engine, which writes zeros without reading, fills a pattern it
//! reads once, or, with UNMAP on a thin unit and zero data, deallocates or anchors.

use super::cdb::{Fields, Op};
use super::checks::{block_shift, jobs_succeeded, lba_range, unit_address, writable};
use super::sense::Sense;
use super::unmap::release_jobs;
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::engine::{Job, JobOp};

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const PBDATA: u8 = 0x04;
const LBDATA: u8 = 0x02;
const NDOB: u8 = 0x01;

pub fn write_same(state: &TargetState, ctx: &Ctx, op: Op) -> HandlerResult {
    let flags = ctx.cdb[1];
    let (lba, mut blocks, length_at) = match op {
        Op::WriteSame10 => (u64::from(ctx.cdb.be32(2)), u64::from(ctx.cdb.be16(7)), 7),
        _ => (ctx.cdb.be64(2), u64::from(ctx.cdb.be32(10)), 10),
    };
    let unit = state.unit_config(ctx.lun).clone();
    let limits = &state.config.limits;
    let bit = |b: u8| Sense::invalid_cdb_field(1, Some(b.trailing_zeros() as u8));
    if flags & 0xE0 != 0 {
        return Err(Sense::invalid_cdb_field(1, Some(7))); // WRPROTECT: no protection information
    }
    if flags & PBDATA != 0 {
        return Err(bit(PBDATA)); // obsolete in SBC-4
    }
    if flags & LBDATA != 0 {
        return Err(bit(LBDATA));
    }
    if flags & ANCHOR != 0 && (flags & UNMAP == 0 || !unit.thin) {
        return Err(bit(ANCHOR)); // ANCHOR needs UNMAP and ANC_SUP
    }
    if flags & UNMAP != 0 && !unit.thin {
        return Err(bit(UNMAP)); // LBPWS / LBPWS10 are zero on a fully provisioned unit
    }
    if blocks == 0 {
        if limits.write_same_non_zero {
            return Err(Sense::invalid_cdb_field(length_at, None));
        }
        lba_range(&unit, lba, 1)?;
        blocks = unit.blocks - lba; // zero means "to the last LBA"
    }
    if blocks > limits.max_write_same_blocks {
        return Err(Sense::invalid_cdb_field(length_at, None));
    }
    lba_range(&unit, lba, blocks)?;
    let no_data_out = flags & NDOB != 0;
    let expected = if no_data_out { 0 } else { unit.block_size as usize };
    if ctx.data_out.len() != expected {
        return Err(if no_data_out { bit(NDOB) } else { Sense::invalid_cdb_field(0, None) });
    }
    writable(&unit)?;

    let zeros = ctx.data_out.iter().all(|&b| b == 0);
    let shift = block_shift(&unit);
    let dst = unit_address(&unit, ctx.lun, lba);
    let jobs = if zeros && flags & UNMAP != 0 {
        release_jobs(&unit, ctx.lun, lba, blocks, limits.unmap_granularity, flags & ANCHOR != 0)
    } else if zeros {
        vec![Job { tag: 0, op: JobOp::Zero, src: 0, dst, blocks: blocks as u32, block_shift: shift }]
    } else {
        // Non-zero data with UNMAP: deallocated blocks would not read back as this data, so write it.
        vec![Job { tag: 0, op: JobOp::Pattern, src: ctx.buffer(0), dst, blocks: blocks as u32, block_shift: shift }]
    };
    Ok(Outcome::Engine(Plan {
        buffer: if zeros { Vec::new() } else { ctx.data_out.to_vec() },
        jobs,
        finish: Box::new(move |_, done| jobs_succeeded(&done.completions, &unit).map(|()| Vec::new())),
    }))
}
