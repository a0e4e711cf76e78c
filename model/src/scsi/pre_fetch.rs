//! PRE-FETCH (10) and (16) (SBC-4 5.11, 5.12): ask for a range of blocks to be brought into the cache.
//!
//! The decision on CONDITION MET against GOOD: SBC-4 answers CONDITION MET when the whole range fits in
//! the cache (with IMMED=1: would fit; with IMMED=0: was transferred there) and GOOD when it does not.
//! A unit's medium here is memory — every block is read at memory speed, the read cache is enabled
//! (caching page RCD=0) and holds the whole medium — so every range fits: a valid PRE-FETCH is always
//! CONDITION MET, with IMMED 0 or 1. Nothing is read (no block moves, so no engine job and no medium
//! error from a bad block: a medium error belongs to the command that reads it), which is why both
//! back ends answer it from the model alike.
//!
//! PREFETCH LENGTH 0 means "through the last LBA", from an LBA that exists; a range past the capacity
//! is LBA OUT OF RANGE. GROUP NUMBER is accepted and ignored.

use super::checks::lba_range;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use offload_scsi::{Command, Fields};

pub fn pre_fetch(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let (lba, blocks) = match command {
        Command::PreFetch10 => (u64::from(ctx.cdb.be32(2)), u64::from(ctx.cdb.be16(7))),
        _ => (ctx.cdb.be64(2), u64::from(ctx.cdb.be32(10))),
    };
    lba_range(state.unit_config(ctx.lun), lba, blocks.max(1))?;
    Ok(Outcome::ConditionMet)
}
