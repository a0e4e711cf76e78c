//! VERIFY and WRITE AND VERIFY (10)/(12)/(16), and ORWRITE (16) (SBC-4). The checks come in the reference
//! model's order; the data path runs over the whole range at once: VERIFY reads (a bad block fails it)
//! and compares with the data-out, WRITE AND VERIFY writes and its verification then reads back what it
//! wrote, ORWRITE ORs the data-out into the medium in place — uninterrupted, since nothing else runs
//! while the fast path executes a command.

use offload_scsi::durability::FUA;
use offload_scsi::{Limits, Sense, block_fields};

use crate::commands::{lba_range, no_protection, read_error, writable, write_error};
use crate::effects::{Effects, Hint};
use crate::media::{MAPPED, Unit, first_bad};
use crate::primitives::{first_difference, first_difference_from_block, or_into};
use crate::reply::{Outcome, Request};

/// BYTCHK (byte 1, bits 2–1).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteCheck {
    /// 00b: medium verification only.
    Medium,
    /// 01b: the data-out, block for block.
    Compare,
    /// 11b (VERIFY only): the data-out's one block against every block.
    CompareOneBlock,
}

/// BYTCHK pointer: byte 1, bit 2.
const BYTCHK_INVALID: Sense = Sense::invalid_cdb_field(1, Some(2));

fn byte_check(cdb: &[u8], one_block_allowed: bool) -> Result<ByteCheck, Sense> {
    match (cdb[1] >> 1) & 0b11 {
        0b00 => Ok(ByteCheck::Medium),
        0b01 => Ok(ByteCheck::Compare),
        0b11 if one_block_allowed => Ok(ByteCheck::CompareOneBlock),
        _ => Err(BYTCHK_INVALID),
    }
}

/// LBA, blocks and the count's CDB byte, after the checks every command here starts with: protection
/// (VRPROTECT, WRPROTECT, ORPROTECT), then BYTCHK where there is one, MAXIMUM TRANSFER LENGTH, range.
fn checks(
    unit: &Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    bytchk: impl FnOnce() -> Result<(), Sense>,
) -> Result<(u64, u64, u16), Sense> {
    let fields = block_fields(request.cdb);
    no_protection(request.cdb)?;
    bytchk()?;
    if fields.blocks > u64::from(limits.max_transfer_blocks) {
        return Err(Sense::invalid_cdb_field(fields.length_at(), None));
    }
    lba_range(unit, fields.lba, fields.blocks)?;
    Ok((fields.lba, fields.blocks, fields.length_at()))
}

pub(crate) fn verify(unit: &Unit<'_>, limits: &Limits, request: &Request<'_>) -> Outcome {
    let mut bytchk = ByteCheck::Medium;
    let read_bytchk = || byte_check(request.cdb, true).map(|b| bytchk = b);
    let (lba, blocks, length_at) = checks(unit, limits, request, read_bytchk)?;
    let block = unit.block_size as usize;
    let expected = match bytchk {
        ByteCheck::Compare => blocks as usize * block,
        ByteCheck::CompareOneBlock if blocks > 0 => block,
        ByteCheck::Medium | ByteCheck::CompareOneBlock => 0,
    };
    if request.data_out.len() != expected {
        let blame =
            if bytchk == ByteCheck::Compare { Sense::invalid_cdb_field(length_at, None) } else { BYTCHK_INVALID };
        return Err(blame.into());
    }
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + blocks;
    if let Some(bad) = first_bad(unit.bad_blocks, lba, end) {
        return Err(read_error(bad).into());
    }
    let medium = &unit.data[unit.bytes(lba, end)];
    let difference = match bytchk {
        ByteCheck::Medium => None,
        ByteCheck::Compare => first_difference(medium, request.data_out),
        ByteCheck::CompareOneBlock => first_difference_from_block(medium, request.data_out),
    };
    match difference {
        Some(at) => Err(Sense::miscompare(at as u64).into()),
        None => Ok(0),
    }
}

pub(crate) fn write_and_verify(
    unit: &mut Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    effects: &mut Effects<'_>,
) -> Outcome {
    let (lba, blocks, length_at) = checks(unit, limits, request, || byte_check(request.cdb, false).map(|_| ()))?;
    writable(unit)?;
    if request.data_out.len() as u64 != blocks * u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb_field(length_at, None).into());
    }
    // No FUA bit: the verification is of the medium, so what was written is durable before GOOD.
    effects.fua = true;
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + blocks;
    if let Some(bad) = first_bad(unit.bad_blocks, lba, end) {
        // The blocks before the bad one are written, as WRITE leaves them; the verification never runs.
        let good = unit.bytes(lba, bad).len();
        unit.write_at(lba, &request.data_out[..good]);
        effects.wrote(request.lun, lba, bad, Hint::Data);
        return Err(write_error(bad).into());
    }
    // Read back, what was just written is what the data-out holds: both verifications pass.
    unit.write_at(lba, request.data_out);
    effects.wrote(request.lun, lba, end, Hint::Data);
    Ok(0)
}

pub(crate) fn orwrite(
    unit: &mut Unit<'_>,
    limits: &Limits,
    request: &Request<'_>,
    effects: &mut Effects<'_>,
) -> Outcome {
    let (lba, blocks, length_at) = checks(unit, limits, request, || Ok(()))?;
    writable(unit)?;
    if request.data_out.len() as u64 != blocks * u64::from(unit.block_size) {
        return Err(Sense::invalid_cdb_field(length_at, None).into());
    }
    effects.fua = request.cdb[1] & FUA != 0;
    if blocks == 0 {
        return Ok(0);
    }
    let end = lba + blocks;
    // The read comes first: a bad block fails the command with nothing written.
    if let Some(bad) = first_bad(unit.bad_blocks, lba, end) {
        return Err(read_error(bad).into());
    }
    let range = unit.bytes(lba, end);
    or_into(&mut unit.data[range], request.data_out);
    unit.mark(lba, end, MAPPED);
    effects.wrote(request.lun, lba, end, Hint::Data);
    Ok(0)
}
