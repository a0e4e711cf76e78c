//! READ CAPACITY (10) and (16) (SBC-4 5.20, 5.21).

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use offload_scsi::Fields;

/// RETURNED LOGICAL BLOCK ADDRESS is the last LBA; FFFFFFFFh tells the host to use READ CAPACITY (16).
pub fn read_capacity_10(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let unit = state.unit_config(ctx.lun);
    let last = u32::try_from(unit.blocks - 1).unwrap_or(u32::MAX);
    let mut d = last.to_be_bytes().to_vec();
    d.extend(unit.block_size.to_be_bytes());
    Ok(Outcome::Done(d))
}

/// 32 bytes: last LBA, block length, LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (byte 13, bits 3–0)
/// with LBA 0 the lowest aligned one (bytes 14–15, bits 13–0, zero), and LBPME/LBPRZ for thin units
/// (deallocated blocks read zeros).
pub fn read_capacity_16(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let unit = state.unit_config(ctx.lun);
    let mut d = vec![0u8; 32];
    d[0..8].copy_from_slice(&(unit.blocks - 1).to_be_bytes());
    d[8..12].copy_from_slice(&unit.block_size.to_be_bytes());
    d[13] = unit.logical_blocks_per_physical_block_exponent & 0x0F;
    if unit.thin {
        d[14] = 0x80 | 0x40;
    }
    Ok(Outcome::Done(truncate(d, ctx.cdb.be32(10) as usize)))
}
