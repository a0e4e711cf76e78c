//! START STOP UNIT (SBC-4): stop a logical unit's medium, or start it again.
//!
//! The stopped state is per logical unit, shared by every I_T nexus, and obeyed by every medium access
//! ([`super::readiness`]). The decisions:
//! - **POWER CONDITION** 0h (START_VALID) applies START: 0 stops, 1 starts. 1h (ACTIVE) starts the unit
//!   — active is the power condition a started unit is in. 7h (LU_CONTROL) hands power control back to
//!   the logical unit, which has no timers of its own: nothing changes. IDLE, STANDBY and their FORCE_*_0
//!   forms (2h, 3h, Ah, Bh) name power conditions the unit does not have (there is no power condition
//!   mode page), and the other values are reserved: INVALID FIELD IN CDB pointing at the field. START is
//!   ignored with a POWER CONDITION other than 0h, as SBC-4 says.
//! - **POWER CONDITION MODIFIER** qualifies IDLE and STANDBY only: any other value than 0 is an invalid
//!   field.
//! - **NO_FLUSH=0** when stopping: the write cache is flushed first — the answer says the whole unit
//!   must be durable before GOOD, as SYNCHRONIZE CACHE over every block would.
//! - **LOEJ** (load/eject) is for removable media, which no unit has: it is outside the usage mask, so
//!   LOEJ=1 is INVALID FIELD IN CDB pointing at it.
//! - **IMMED** is accepted: the operation completes before the status either way.

use super::{Ctx, HandlerResult, Outcome, TargetState};
use offload_scsi::{Durable, Sense};

const START: u8 = 0x01;
const NO_FLUSH: u8 = 0x04;

/// POWER CONDITION values the unit acts on.
const START_VALID: u8 = 0x0;
const ACTIVE: u8 = 0x1;
const LU_CONTROL: u8 = 0x7;

pub fn start_stop_unit(state: &mut TargetState, ctx: &Ctx) -> HandlerResult {
    let power_condition = ctx.cdb[4] >> 4;
    let modifier = ctx.cdb[3] & 0x0F;
    if !matches!(power_condition, START_VALID | ACTIVE | LU_CONTROL) {
        return Err(Sense::invalid_cdb_field(4, Some(7)));
    }
    if modifier != 0 {
        return Err(Sense::invalid_cdb_field(3, Some(3)));
    }
    let start = match power_condition {
        START_VALID => ctx.cdb[4] & START != 0,
        ACTIVE => true,
        _ => return Ok(Outcome::Done(Vec::new())),
    };
    state.set_stopped(ctx.lun, !start);
    if !start && ctx.cdb[4] & NO_FLUSH == 0 {
        let blocks = state.unit_config(ctx.lun).blocks;
        return Ok(Outcome::Durable(Durable { lun: ctx.lun, lba: 0, blocks }));
    }
    Ok(Outcome::Done(Vec::new()))
}
