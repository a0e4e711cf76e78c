//! READ and WRITE (6)/(10)/(12)/(16), WRITE ATOMIC (16), COMPARE AND WRITE, WRITE SAME (10)/(16) and
//! UNMAP (SBC-4 5.3, 5.15–5.16, 5.32, 5.39–5.40, 5.48–5.49, and the (6), (12) and WRITE ATOMIC clauses).
//! Each handler checks its fields in the reference model's order, then does the whole range at once.
//!
//! WRITE ATOMIC (16) is a WRITE here: a command has the blocks it touches to itself while it runs (one
//! command at a time over a unit, or over a window of it: [`crate::footprint`]), so every write is
//! all-or-nothing against every other command; its limits are the shared vocabulary's
//! ([`Limits::atomic`]).

use offload_scsi::durability::FUA;
use offload_scsi::{Asc, Command, Fields, Limits, Sense, SenseKey};

use crate::effects::{Effects, Hint};
use crate::media::{ANCHORED, DEALLOCATED, MAPPED, Unit, first_bad};
use crate::primitives::first_difference;
use crate::reply::{Outcome, Request, Stop};

/// LBA OUT OF RANGE unless `lba..lba + blocks` lies within the unit (wrap-around included).
pub(crate) fn lba_range(unit: &Unit<'_>, lba: u64, blocks: u64) -> Result<(), Sense> {
    match lba.checked_add(blocks) {
        Some(end) if end <= unit.capacity() => Ok(()),
        _ => Err(Sense::illegal(Asc::LBA_OUT_OF_RANGE)),
    }
}

/// DATA PROTECT: WRITE PROTECTED for a unit protected by its configuration, LOGICAL UNIT SOFTWARE WRITE
/// PROTECTED for one its control mode page's SWP protects.
pub(crate) fn writable(unit: &Unit<'_>) -> Result<(), Sense> {
    if unit.write_protected {
        Err(Sense::new(SenseKey::DATA_PROTECT, Asc::WRITE_PROTECTED))
    } else if unit.software_write_protected {
        Err(Sense::new(SenseKey::DATA_PROTECT, Asc::SOFTWARE_WRITE_PROTECTED))
    } else {
        Ok(())
    }
}

/// MEDIUM ERROR / UNRECOVERED READ ERROR at `lba`.
pub(crate) fn read_error(lba: u64) -> Sense {
    Sense::new(SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR).with_information(lba)
}

/// MEDIUM ERROR / WRITE ERROR at `lba`.
pub(crate) fn write_error(lba: u64) -> Sense {
    Sense::new(SenseKey::MEDIUM_ERROR, Asc::WRITE_ERROR).with_information(lba)
}

/// RDPROTECT / WRPROTECT (byte 1, bits 7–5) need protection information, which no unit has.
pub(crate) fn no_protection(cdb: &[u8]) -> Result<(), Sense> {
    if cdb[1] & 0xE0 != 0 { Err(Sense::invalid_cdb_field(1, Some(7))) } else { Ok(()) }
}

/// READ/WRITE fields: LBA, TRANSFER LENGTH, and the CDB byte TRANSFER LENGTH starts at.
pub(crate) fn transfer_fields(cdb: &[u8], sixteen: bool) -> (u64, u64, u16) {
    if sixteen { (cdb.be64(2), cdb.be32(10).into(), 10) } else { (cdb.be32(2).into(), cdb.be16(7).into(), 7) }
}

/// A READ's or WRITE's fields by its form: the (6) forms have a 21-bit LBA and a one-byte TRANSFER
/// LENGTH where 0 means 256 blocks; WRITE ATOMIC (16) a two-byte TRANSFER LENGTH at byte 12.
pub(crate) fn read_write_fields(cdb: &[u8], command: Command) -> (u64, u64, u16) {
    match command {
        Command::Read6 | Command::Write6 => {
            let lba = u64::from(cdb[1] & 0x1F) << 16 | u64::from(cdb.be16(2));
            (lba, if cdb[4] == 0 { 256 } else { cdb[4].into() }, 4)
        }
        Command::Read12 | Command::Write12 => (cdb.be32(2).into(), cdb.be32(6).into(), 6),
        Command::WriteAtomic16 => (cdb.be64(2), cdb.be16(12).into(), 12),
        Command::Read16 | Command::Write16 => transfer_fields(cdb, true),
        _ => transfer_fields(cdb, false),
    }
}

/// The (6) forms have no byte 1 of flags: its bits are the LBA's.
fn has_flags(command: Command) -> bool {
    !matches!(command, Command::Read6 | Command::Write6)
}

/// The checks READ and WRITE share: protection, the atomic limits, MAXIMUM TRANSFER LENGTH, range.
fn transfer_checks(
    unit: &Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    command: Command,
) -> Result<(u64, u64, u16), Sense> {
    let (lba, blocks, length_at) = read_write_fields(request.cdb, command);
    if has_flags(command) {
        no_protection(request.cdb)?;
    }
    if command == Command::WriteAtomic16 {
        limits.atomic().check(request.cdb.be16(10), lba, blocks)?;
    }
    if blocks > u64::from(limits.max_transfer_blocks) {
        return Err(Sense::invalid_cdb_field(length_at, None));
    }
    lba_range(unit, lba, blocks)?;
    Ok((lba, blocks, length_at))
}

pub(crate) fn read(
    unit: &Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    command: Command,
    data_in: &mut [u8],
) -> Outcome {
    let (lba, blocks, _) = transfer_checks(unit, limits, request, command)?;
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

pub(crate) fn write(
    unit: &mut Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    command: Command,
    effects: &mut Effects<'_>,
) -> Outcome {
    let (lba, blocks, length_at) = transfer_checks(unit, limits, request, command)?;
    writable(unit)?;
    if request.data_out.len() as u64 != blocks * u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb_field(length_at, None).into());
    }
    effects.fua = has_flags(command) && request.cdb[1] & FUA != 0;
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + blocks;
    match first_bad(unit.bad_blocks, lba, end) {
        // The blocks before the bad one are written, as a block-by-block engine would leave them.
        Some(bad) => {
            let good = unit.bytes(lba, bad).len();
            unit.write_at(lba, &request.data_out[..good]);
            effects.wrote(request.lun, lba, bad, Hint::Data);
            Err(write_error(bad).into())
        }
        None => {
            unit.write_at(lba, request.data_out);
            effects.wrote(request.lun, lba, end, Hint::Data);
            Ok(0)
        }
    }
}

/// CDB byte of COMPARE AND WRITE's NUMBER OF LOGICAL BLOCKS.
pub(crate) const NOLB_AT: u16 = 13;

pub(crate) fn compare_and_write(
    unit: &mut Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    effects: &mut Effects<'_>,
) -> Outcome {
    let lba = request.cdb.be64(2);
    let blocks = request.cdb[usize::from(NOLB_AT)];
    no_protection(request.cdb)?;
    if blocks > limits.max_compare_and_write_blocks {
        return Err(Sense::invalid_cdb_field(NOLB_AT, None).into());
    }
    lba_range(unit, lba, blocks.into())?;
    if request.data_out.len() as u64 != 2 * u64::from(blocks) * u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb_field(NOLB_AT, None).into());
    }
    writable(unit)?;
    effects.fua = request.cdb[1] & FUA != 0;
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + u64::from(blocks);
    // The compare pass reads every block of the range: a bad one fails the command whatever else differs.
    if let Some(bad) = first_bad(unit.bad_blocks, lba, end) {
        return Err(read_error(bad).into());
    }
    let range = unit.bytes(lba, end);
    let (compare, data) = request.data_out.split_at(range.len());
    if let Some(at) = first_difference(&unit.data[range.clone()], compare) {
        return Err(Sense::new(SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY).with_information(at as u64).into());
    }
    unit.data[range].copy_from_slice(data);
    unit.mark(lba, end, MAPPED);
    effects.wrote(request.lun, lba, end, Hint::Data);
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

/// Where a released range stops, and what it records.
struct Release {
    /// A bad block: the range is released up to it.
    stop: u64,
    granularity: u32,
    anchor: bool,
}

/// Releases `start..end` of unit `lun` (stopping before `how.stop`): the part aligned to the granularity is
/// deallocated or anchored, the unaligned head and tail are written with zeros, so the whole range reads
/// back as zeros. The head, middle and tail are decided by the whole range, then cut at the stop.
fn release(unit: &mut Unit<'_>, lun: u16, start: u64, end: u64, how: &Release, effects: &mut Effects<'_>) {
    let g = u64::from(how.granularity.max(1));
    let aligned_start = start.next_multiple_of(g).min(end);
    let aligned_end = (end / g * g).max(aligned_start);
    let released = if how.anchor { (ANCHORED, Hint::Anchor) } else { (DEALLOCATED, Hint::Deallocate) };
    let zeros = (MAPPED, Hint::Zeros);
    for (from, to, (state, hint)) in
        [(start, aligned_start, zeros), (aligned_start, aligned_end, released), (aligned_end, end, zeros)]
    {
        let to = to.min(how.stop);
        if to > from {
            unit.zero(from, to, state);
            effects.wrote(lun, from, to, hint);
        }
    }
}

pub(crate) fn write_same(
    unit: &mut Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    sixteen: bool,
    effects: &mut Effects<'_>,
) -> Outcome {
    // PBDATA and LBDATA (obsolete), NDOB in the 10-byte CDB, and ANCHOR and UNMAP on a fully provisioned
    // unit are outside the usage mask: the front end has refused them.
    let flags = request.cdb[1];
    let (lba, mut blocks, length_at) = transfer_fields(request.cdb, sixteen);
    no_protection(request.cdb)?;
    if flags & ANCHOR != 0 && flags & UNMAP == 0 {
        return Err(Sense::invalid_cdb_field(1, Some(4)).into()); // ANCHOR needs UNMAP
    }
    if blocks == 0 {
        if limits.write_same_non_zero {
            return Err(Sense::invalid_cdb_field(length_at, None).into());
        }
        lba_range(unit, lba, 1)?;
        blocks = unit.capacity() - lba; // to the last LBA
    }
    if blocks > limits.max_write_same_blocks {
        return Err(Sense::invalid_cdb_field(length_at, None).into());
    }
    lba_range(unit, lba, blocks)?;
    writable(unit)?; // before the Data-Out, as the model checks
    if flags & NDOB != 0 {
        if !request.data_out.is_empty() {
            return Err(Sense::invalid_cdb_field(1, Some(0)).into());
        }
    } else if request.data_out.len() as u64 != u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb_field(length_at, None).into());
    }

    let end = lba + blocks;
    let bad = first_bad(unit.bad_blocks, lba, end);
    let stop = bad.unwrap_or(end);
    if all_zero(request.data_out) {
        if flags & UNMAP != 0 {
            let how = Release { stop, granularity: limits.unmap_granularity, anchor: flags & ANCHOR != 0 };
            release(unit, request.lun, lba, end, &how, effects);
        } else if stop > lba {
            unit.zero(lba, stop, MAPPED);
            effects.wrote(request.lun, lba, stop, Hint::Zeros);
        }
    } else if stop > lba {
        // Non-zero data, UNMAP or not: deallocated blocks would not read back as it, so it is written.
        unit.pattern(lba, stop, request.data_out);
        effects.wrote(request.lun, lba, stop, Hint::Data);
    }
    match bad {
        Some(lba) => Err(write_error(lba).into()),
        None => Ok(0),
    }
}

const UNMAP_HEADER: usize = 8;
const UNMAP_DESCRIPTOR: usize = 16;

pub(crate) fn unmap(unit: &mut Unit<'_>, limits: &Limits, request: &Request<'_>, effects: &mut Effects<'_>) -> Outcome {
    if !unit.is_thin() {
        return Err(Sense::illegal(Asc::INVALID_OPERATION_CODE).into()); // LBPU=0: no UNMAP here
    }
    let anchor = request.cdb[1] & 0x01 != 0;
    let list = request.data_out;
    if list.len() != usize::from(request.cdb.be16(7)) {
        return Err(Sense::invalid_cdb_field(7, None).into());
    }
    if list.is_empty() {
        return Ok(0);
    }
    if list.len() < UNMAP_HEADER {
        return Err(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR).into());
    }
    // A descriptor cut short by either length is ignored.
    let descriptor_bytes = usize::from(list.be16(2)).min(list.len() - UNMAP_HEADER);
    let count = descriptor_bytes / UNMAP_DESCRIPTOR;
    if count as u64 > u64::from(limits.max_unmap_descriptors) {
        return Err(Sense::invalid_parameter_field(2, None).into());
    }
    let descriptor = |i: usize| {
        let at = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
        (at, list.be64(at), u64::from(list.be32(at + 8)))
    };
    let mut total = 0u64;
    for i in 0..count {
        let (at, lba, blocks) = descriptor(i);
        total += blocks;
        if total > u64::from(limits.max_unmap_blocks) {
            return Err(Sense::invalid_parameter_field((at + 8) as u16, None).into());
        }
        lba_range(unit, lba, blocks)?;
    }
    writable(unit)?;
    for i in 0..count {
        let (_, lba, blocks) = descriptor(i);
        let end = lba + blocks;
        let bad = first_bad(unit.bad_blocks, lba, end);
        let how = Release { stop: bad.unwrap_or(end), granularity: limits.unmap_granularity, anchor };
        release(unit, request.lun, lba, end, &how, effects);
        if let Some(bad) = bad {
            return Err(write_error(bad).into());
        }
    }
    Ok(0)
}
