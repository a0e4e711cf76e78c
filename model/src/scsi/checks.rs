//! Checks and small helpers shared by the medium-access commands.

use super::{Ctx, TargetState, medium_error_sense};
use crate::address;
use crate::config::UnitConfig;
use crate::engine::{Completion, CompletionStatus};
use offload_scsi::{Asc, Sense, SenseKey};

/// LBA OUT OF RANGE unless `lba .. lba + blocks` lies within the unit (also catches wrap-around).
pub fn lba_range(unit: &UnitConfig, lba: u64, blocks: u64) -> Result<(), Sense> {
    match lba.checked_add(blocks) {
        Some(end) if end <= unit.blocks => Ok(()),
        _ => Err(Sense::illegal(Asc::LBA_OUT_OF_RANGE)),
    }
}

/// DATA PROTECT for a unit that may not be written: WRITE PROTECTED when its configuration protects it
/// (hardware write protection), LOGICAL UNIT SOFTWARE WRITE PROTECTED when its control mode page's SWP
/// bit does.
pub fn writable(state: &TargetState, lun: u16) -> Result<(), Sense> {
    if state.unit_config(lun).write_protected {
        Err(Sense::new(SenseKey::DATA_PROTECT, Asc::WRITE_PROTECTED))
    } else if state.software_write_protect(lun) {
        Err(Sense::new(SenseKey::DATA_PROTECT, Asc::SOFTWARE_WRITE_PROTECTED))
    } else {
        Ok(())
    }
}

/// RDPROTECT / WRPROTECT (CDB byte 1, bits 7–5) must be zero: no protection information.
pub fn no_protection(cdb: &[u8]) -> Result<(), Sense> {
    if cdb[1] & 0xE0 != 0 { Err(Sense::invalid_cdb_field(1, Some(7))) } else { Ok(()) }
}

/// Truncates `data` to the CDB's ALLOCATION LENGTH.
pub fn truncate(mut data: Vec<u8>, allocation_length: usize) -> Vec<u8> {
    data.truncate(allocation_length);
    data
}

/// The job's block-size shift for a unit.
pub fn block_shift(unit: &UnitConfig) -> u8 {
    unit.block_size.trailing_zeros() as u8
}

/// The data-out must be exactly `expected` bytes; otherwise INVALID FIELD IN CDB pointing at the
/// length field that implied it (`field_at`).
pub fn expect_data_out(ctx: &Ctx, expected: u64, field_at: u16) -> Result<(), Sense> {
    if ctx.data_out.len() as u64 == expected { Ok(()) } else { Err(Sense::invalid_cdb_field(field_at, None)) }
}

/// The parameter list: the data-out, which must be exactly the CDB's PARAMETER LIST LENGTH (`length`,
/// at CDB byte `field_at`) long.
pub fn parameter_list<'a>(ctx: &'a Ctx, length: usize, field_at: u16) -> Result<&'a [u8], Sense> {
    expect_data_out(ctx, length as u64, field_at)?;
    Ok(ctx.data_out)
}

/// GOOD if every job completed; MISCOMPARE with its offset for a compare that found a difference;
/// otherwise the medium error of the first job that failed.
pub fn compared(completions: &[Completion], unit: &UnitConfig) -> Result<(), Sense> {
    match completions.iter().find(|c| c.status == CompletionStatus::Miscompare) {
        Some(miss) => Err(Sense::miscompare(miss.miscompare_offset.into())),
        None => jobs_succeeded(completions, unit),
    }
}

/// GOOD if every job completed; otherwise the medium error of the first that failed.
pub fn jobs_succeeded(completions: &[Completion], unit: &UnitConfig) -> Result<(), Sense> {
    match completions.iter().find(|c| c.status != CompletionStatus::Ok) {
        Some(failed) => Err(medium_error_sense(failed, unit)),
        None => Ok(()),
    }
}

/// Address of `lba` on unit `lun`.
pub fn unit_address(unit: &UnitConfig, lun: u16, lba: u64) -> u64 {
    address::unit_address(lun, lba, unit.block_size)
}
