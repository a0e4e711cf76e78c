//! WRITE SAME (10) and (16) (SBC-4 5.48–5.49): Block Zeroing. One block of data-out (none with NDOB)
//! written to a range — by the zero engine, which writes zeros without reading, fills a pattern it
//! reads once, or, with UNMAP on a thin unit and zero data, deallocates or anchors.

use super::checks::{block_shift, expect_data_out, jobs_succeeded, lba_range, no_protection, unit_address, writable};
use super::unmap::release_jobs;
use super::{Ctx, HandlerResult, Outcome, Plan, TargetState};
use crate::engine::{Job, JobOp};
use offload_scsi::Sense;
use offload_scsi::{Command, Fields};

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const NDOB: u8 = 0x01;

pub fn write_same(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let flags = ctx.cdb[1];
    let (lba, mut blocks, length_at) = match command {
        Command::WriteSame10 => (u64::from(ctx.cdb.be32(2)), u64::from(ctx.cdb.be16(7)), 7),
        _ => (ctx.cdb.be64(2), u64::from(ctx.cdb.be32(10)), 10),
    };
    let unit = state.unit_config(ctx.lun).clone();
    let limits = &state.config.limits;
    let bit = |b: u8| Sense::invalid_cdb_field(1, Some(b.trailing_zeros() as u8));
    // PBDATA and LBDATA (obsolete), and on a thick unit ANCHOR and UNMAP, are outside the usage mask.
    no_protection(ctx.cdb)?;
    if flags & ANCHOR != 0 && flags & UNMAP == 0 {
        return Err(bit(ANCHOR)); // ANCHOR needs UNMAP
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
    // Write protection before the Data-Out: a protected unit refuses the write whatever it carries
    // (SBC-4 orders neither; a host probing protection sends WRITE SAME without a buffer).
    writable(state, ctx.lun)?;
    if flags & NDOB != 0 {
        if !ctx.data_out.is_empty() {
            return Err(bit(NDOB));
        }
    } else {
        expect_data_out(ctx, unit.block_size.into(), length_at)?;
    }

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
        fua: false, // no FUA bit: durable at once only under WCE=0
    }))
}
