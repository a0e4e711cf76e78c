//! READ and WRITE (10)/(16), COMPARE AND WRITE, WRITE SAME (10)/(16) and UNMAP (SBC-4 5.3, 5.15–5.16,
//! 5.32, 5.39–5.40, 5.48–5.49). Each handler checks its fields in the reference model's order, then does
//! the whole range at once.

use crate::config::{Limits, Unit};
use crate::media::{ANCHORED, DEALLOCATED, MAPPED, first_bad};
use crate::primitives::first_difference;
use crate::sense::{Sense, key};
use crate::{Ctx, Outcome, Stop, be16, be32, be64};

/// LBA OUT OF RANGE unless `lba..lba + blocks` lies within the unit (wrap-around included).
pub(crate) fn lba_range(unit: &Unit<'_>, lba: u64, blocks: u64) -> Result<(), Sense> {
    match lba.checked_add(blocks) {
        Some(end) if end <= unit.capacity() => Ok(()),
        _ => Err(Sense::illegal(0x21, 0x00)),
    }
}

/// DATA PROTECT / WRITE PROTECTED.
pub(crate) fn writable(unit: &Unit<'_>) -> Result<(), Sense> {
    if unit.write_protected { Err(Sense::new(key::DATA_PROTECT, 0x27, 0x00)) } else { Ok(()) }
}

/// MEDIUM ERROR / UNRECOVERED READ ERROR at `lba`.
pub(crate) fn read_error(lba: u64) -> Sense {
    Sense::new(key::MEDIUM_ERROR, 0x11, 0x00).with_information(lba)
}

/// MEDIUM ERROR / WRITE ERROR at `lba`.
pub(crate) fn write_error(lba: u64) -> Sense {
    Sense::new(key::MEDIUM_ERROR, 0x0C, 0x00).with_information(lba)
}

/// RDPROTECT / WRPROTECT (byte 1, bits 7–5) need protection information, which no unit has.
fn no_protection(cdb: &[u8]) -> Result<(), Sense> {
    if cdb[1] & 0xE0 != 0 { Err(Sense::invalid_cdb(1, Some(7))) } else { Ok(()) }
}

/// READ/WRITE fields: LBA, TRANSFER LENGTH, and the CDB byte TRANSFER LENGTH starts at.
fn transfer_fields(cdb: &[u8], sixteen: bool) -> (u64, u64, u16) {
    if sixteen { (be64(cdb, 2), be32(cdb, 10).into(), 10) } else { (be32(cdb, 2).into(), be16(cdb, 7).into(), 7) }
}

/// The checks READ and WRITE share: protection, MAXIMUM TRANSFER LENGTH, range.
fn transfer_checks(unit: &Unit<'_>, limits: &Limits, ctx: &Ctx<'_>, sixteen: bool) -> Result<(u64, u64, u16), Sense> {
    let (lba, blocks, length_at) = transfer_fields(ctx.cdb, sixteen);
    no_protection(ctx.cdb)?;
    if blocks > u64::from(limits.max_transfer_blocks) {
        return Err(Sense::invalid_cdb(length_at, None));
    }
    lba_range(unit, lba, blocks)?;
    Ok((lba, blocks, length_at))
}

pub(crate) fn read(unit: &Unit<'_>, limits: &Limits, ctx: &Ctx<'_>, sixteen: bool, data_in: &mut [u8]) -> Outcome {
    let (lba, blocks, _) = transfer_checks(unit, limits, ctx, sixteen)?;
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + blocks;
    if let Some(bad) = first_bad(unit.bad_blocks, lba, end) {
        return Err(read_error(bad).into());
    }
    let range = unit.bytes(lba, end);
    let Some(out) = data_in.get_mut(..range.len()) else {
        return Err(Stop::Unhandled); // the caller's data-in buffer cannot hold the transfer
    };
    out.copy_from_slice(&unit.data[range]);
    Ok(out.len())
}

pub(crate) fn write(unit: &mut Unit<'_>, limits: &Limits, ctx: &Ctx<'_>, sixteen: bool) -> Outcome {
    let (lba, blocks, length_at) = transfer_checks(unit, limits, ctx, sixteen)?;
    writable(unit)?;
    if ctx.data_out.len() as u64 != blocks * u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb(length_at, None).into());
    }
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + blocks;
    match first_bad(unit.bad_blocks, lba, end) {
        // The blocks before the bad one are written, as a block-by-block engine would leave them.
        Some(bad) => {
            let good = unit.bytes(lba, bad).len();
            unit.write_at(lba, &ctx.data_out[..good]);
            Err(write_error(bad).into())
        }
        None => {
            unit.write_at(lba, ctx.data_out);
            Ok(0)
        }
    }
}

/// CDB byte of COMPARE AND WRITE's NUMBER OF LOGICAL BLOCKS.
const NOLB_AT: u16 = 13;

pub(crate) fn compare_and_write(unit: &mut Unit<'_>, limits: &Limits, ctx: &Ctx<'_>) -> Outcome {
    let lba = be64(ctx.cdb, 2);
    let blocks = ctx.cdb[usize::from(NOLB_AT)];
    no_protection(ctx.cdb)?;
    if blocks > limits.max_compare_and_write_blocks {
        return Err(Sense::invalid_cdb(NOLB_AT, None).into());
    }
    lba_range(unit, lba, blocks.into())?;
    if ctx.data_out.len() as u64 != 2 * u64::from(blocks) * u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb(NOLB_AT, None).into());
    }
    writable(unit)?;
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + u64::from(blocks);
    // The compare pass reads every block of the range: a bad one fails the command whatever else differs.
    if let Some(bad) = first_bad(unit.bad_blocks, lba, end) {
        return Err(read_error(bad).into());
    }
    let range = unit.bytes(lba, end);
    let (compare, data) = ctx.data_out.split_at(range.len());
    if let Some(at) = first_difference(&unit.data[range.clone()], compare) {
        return Err(Sense::new(key::MISCOMPARE, 0x1D, 0x00).with_information(at as u64).into());
    }
    unit.data[range].copy_from_slice(data);
    unit.mark(lba, end, MAPPED);
    Ok(0)
}

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const NDOB: u8 = 0x01;

/// Zeros, as long as the largest block, for the all-zero test of WRITE SAME's data-out.
static ZERO_BLOCK: [u8; 4096] = [0; 4096];

fn all_zero(data: &[u8]) -> bool {
    data.chunks(ZERO_BLOCK.len()).all(|c| c == &ZERO_BLOCK[..c.len()])
}

/// Releases `start..end` (stopping before `stop`, a bad block): the part aligned to `granularity` is
/// deallocated or anchored, the unaligned head and tail are written with zeros, so the whole range reads
/// back as zeros. The head, middle and tail are decided by the whole range, then cut at `stop`.
fn release(unit: &mut Unit<'_>, start: u64, end: u64, stop: u64, granularity: u32, anchor: bool) {
    let g = u64::from(granularity.max(1));
    let aligned_start = start.next_multiple_of(g).min(end);
    let aligned_end = (end / g * g).max(aligned_start);
    let released = if anchor { ANCHORED } else { DEALLOCATED };
    for (from, to, state) in
        [(start, aligned_start, MAPPED), (aligned_start, aligned_end, released), (aligned_end, end, MAPPED)]
    {
        let to = to.min(stop);
        if to > from {
            unit.zero(from, to, state);
        }
    }
}

pub(crate) fn write_same(unit: &mut Unit<'_>, limits: &Limits, ctx: &Ctx<'_>, sixteen: bool) -> Outcome {
    // PBDATA and LBDATA (obsolete), NDOB in the 10-byte CDB, and ANCHOR and UNMAP on a fully provisioned
    // unit are outside the usage mask: the front end has refused them.
    let flags = ctx.cdb[1];
    let (lba, mut blocks, length_at) = transfer_fields(ctx.cdb, sixteen);
    no_protection(ctx.cdb)?;
    if flags & ANCHOR != 0 && flags & UNMAP == 0 {
        return Err(Sense::invalid_cdb(1, Some(4)).into()); // ANCHOR needs UNMAP
    }
    if blocks == 0 {
        if limits.write_same_non_zero {
            return Err(Sense::invalid_cdb(length_at, None).into());
        }
        lba_range(unit, lba, 1)?;
        blocks = unit.capacity() - lba; // to the last LBA
    }
    if blocks > limits.max_write_same_blocks {
        return Err(Sense::invalid_cdb(length_at, None).into());
    }
    lba_range(unit, lba, blocks)?;
    if flags & NDOB != 0 {
        if !ctx.data_out.is_empty() {
            return Err(Sense::invalid_cdb(1, Some(0)).into());
        }
    } else if ctx.data_out.len() as u64 != u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb(length_at, None).into());
    }
    writable(unit)?;

    let end = lba + blocks;
    let bad = first_bad(unit.bad_blocks, lba, end);
    let stop = bad.unwrap_or(end);
    if all_zero(ctx.data_out) {
        if flags & UNMAP != 0 {
            release(unit, lba, end, stop, limits.unmap_granularity, flags & ANCHOR != 0);
        } else if stop > lba {
            unit.zero(lba, stop, MAPPED);
        }
    } else if stop > lba {
        // Non-zero data, UNMAP or not: deallocated blocks would not read back as it, so it is written.
        unit.pattern(lba, stop, ctx.data_out);
    }
    match bad {
        Some(lba) => Err(write_error(lba).into()),
        None => Ok(0),
    }
}

const UNMAP_HEADER: usize = 8;
const UNMAP_DESCRIPTOR: usize = 16;

pub(crate) fn unmap(unit: &mut Unit<'_>, limits: &Limits, ctx: &Ctx<'_>) -> Outcome {
    if !unit.is_thin() {
        return Err(Sense::illegal(0x20, 0x00).into()); // LBPU=0: UNMAP is not supported here
    }
    let anchor = ctx.cdb[1] & 0x01 != 0;
    let list = ctx.data_out;
    if list.len() != usize::from(be16(ctx.cdb, 7)) {
        return Err(Sense::invalid_cdb(7, None).into());
    }
    if list.is_empty() {
        return Ok(0);
    }
    if list.len() < UNMAP_HEADER {
        return Err(Sense::illegal(0x1A, 0x00).into());
    }
    // A descriptor cut short by either length is ignored.
    let descriptor_bytes = usize::from(be16(list, 2)).min(list.len() - UNMAP_HEADER);
    let count = descriptor_bytes / UNMAP_DESCRIPTOR;
    if count as u64 > u64::from(limits.max_unmap_descriptors) {
        return Err(Sense::invalid_parameter(2, None).into());
    }
    let descriptor = |i: usize| {
        let at = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
        (at, be64(list, at), u64::from(be32(list, at + 8)))
    };
    let mut total = 0u64;
    for i in 0..count {
        let (at, lba, blocks) = descriptor(i);
        total += blocks;
        if total > u64::from(limits.max_unmap_blocks) {
            return Err(Sense::invalid_parameter(at + 8, None).into());
        }
        lba_range(unit, lba, blocks)?;
    }
    writable(unit)?;
    for i in 0..count {
        let (_, lba, blocks) = descriptor(i);
        let end = lba + blocks;
        let bad = first_bad(unit.bad_blocks, lba, end);
        release(unit, lba, end, bad.unwrap_or(end), limits.unmap_granularity, anchor);
        if let Some(bad) = bad {
            return Err(write_error(bad).into());
        }
    }
    Ok(0)
}
