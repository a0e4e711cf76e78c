//! GET LBA STATUS (SBC-4 5.6): the provisioning state of the extents from a starting LBA.

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use crate::media::Memory;
use offload_scsi::Fields;
use offload_scsi::{Asc, Sense};

const DESCRIPTOR: usize = 16;

/// As many extent descriptors as the allocation length holds, from STARTING LBA to the last LBA.
pub fn get_lba_status(state: &TargetState, memory: &Memory, ctx: &Ctx) -> HandlerResult {
    let start = ctx.cdb.be64(2);
    let allocation = ctx.cdb.be32(10) as usize;
    let unit = state.unit_config(ctx.lun);
    if start >= unit.blocks {
        return Err(Sense::illegal(Asc::LBA_OUT_OF_RANGE));
    }
    let store = &memory.units[usize::from(ctx.lun)];
    let room = allocation.saturating_sub(8) / DESCRIPTOR;
    let mut d = vec![0u8; 8];
    let mut lba = start;
    // At least one descriptor is built so that PARAMETER DATA LENGTH is meaningful even when truncated.
    for _ in 0..room.max(1) {
        if lba >= unit.blocks {
            break;
        }
        let (provisioning, run) = store.provisioning_run(lba, u64::from(u32::MAX));
        d.extend(lba.to_be_bytes());
        d.extend((run as u32).to_be_bytes());
        d.extend([provisioning as u8, 0, 0, 0]);
        lba += run;
    }
    let len = (d.len() - 4) as u32;
    d[0..4].copy_from_slice(&len.to_be_bytes());
    Ok(Outcome::Done(truncate(d, allocation)))
}
