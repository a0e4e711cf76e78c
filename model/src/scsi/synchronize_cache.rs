//! SYNCHRONIZE CACHE (10) and (16) (SBC-4 5.24, 5.25): make a range of blocks durable.
//!
//! The answer is [`Outcome::Durable`]: GOOD once the range — NUMBER OF LOGICAL BLOCKS from LOGICAL
//! BLOCK ADDRESS, or through the last LBA when it is 0 — is durable, which the caller does (the model
//! keeps no cache of its own). The decisions:
//! - **IMMED=1** is accepted, and the status still comes after the sync. SBC-4 asks for status "as soon
//!   as the CDB has been validated" with IMMED=1, or INVALID FIELD IN CDB from a device server that does
//!   not support it; answering later is indistinguishable from a slow transport, and an initiator that
//!   sets IMMED gets more than it asked for. (LIO's file and block back ends answer at once and flush
//!   after; QEMU's TCMU export refuses IMMED=1 with INVALID FIELD IN CDB.)
//! - **SYNC_NV** and RELADR are obsolete in SBC-4: outside the usage mask, so 24/00 pointing at them.
//! - **GROUP NUMBER** is accepted and ignored: the unit has no grouping function.
//! - **Write protect** does not apply: SYNCHRONIZE CACHE writes no new data (a write-protected unit has
//!   nothing cached to write), and SBC-4 does not list it among the commands that write the medium.
//! - **Reservations**: the kit implements none, so there is no conflict to report. When it does, note
//!   that the reservation tables treat SYNCHRONIZE CACHE as a write (SPC-2 annex B: RESERVATION
//!   CONFLICT under Write Exclusive from another initiator), unlike the write-protect rule above.

use super::checks::lba_range;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use offload_scsi::{Command, Durable, Fields};

pub fn synchronize_cache(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let (lba, blocks) = match command {
        Command::SynchronizeCache10 => (u64::from(ctx.cdb.be32(2)), u64::from(ctx.cdb.be16(7))),
        _ => (ctx.cdb.be64(2), u64::from(ctx.cdb.be32(10))),
    };
    let unit = state.unit_config(ctx.lun);
    let blocks = if blocks == 0 {
        lba_range(unit, lba, 1)?; // zero means "through the last LBA", from an LBA that exists
        unit.blocks - lba
    } else {
        lba_range(unit, lba, blocks)?;
        blocks
    };
    Ok(Outcome::Durable(Durable { lun: ctx.lun, lba, blocks }))
}
