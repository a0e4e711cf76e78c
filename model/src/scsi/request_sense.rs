//! REQUEST SENSE (6) (SPC-4 6.39): the sense data of the condition pending for the I_T nexus — its next
//! unit attention, which is then cleared — or NO SENSE / NO ADDITIONAL SENSE INFORMATION when there is
//! none. The format is the CDB's DESC bit's (descriptor with DESC=1, fixed with DESC=0), not the control
//! mode page's D_SENSE; the data is truncated to ALLOCATION LENGTH (the condition is cleared all the
//! same). Sent to a logical unit the nexus cannot reach, it completes GOOD with LOGICAL UNIT NOT
//! SUPPORTED as its sense data.

use offload_scsi::{Asc, Sense, SenseFormat, SenseKey};

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};

pub fn request_sense(state: &mut TargetState, ctx: &Ctx, lun_reachable: bool) -> HandlerResult {
    let format = SenseFormat::from_d_sense(ctx.cdb[1] & 0x01 != 0);
    let sense = if !lun_reachable {
        Sense::illegal(Asc::LOGICAL_UNIT_NOT_SUPPORTED)
    } else {
        state
            .unit_attentions
            .take(ctx.initiator, ctx.lun)
            .unwrap_or(Sense::new(SenseKey::NO_SENSE, Asc::NO_ADDITIONAL_SENSE))
    };
    Ok(Outcome::Done(truncate(sense.encode(format).to_vec(), usize::from(ctx.cdb[4]))))
}
