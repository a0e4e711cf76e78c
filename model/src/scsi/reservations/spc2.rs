//! RESERVE (6)/(10) and RELEASE (6)/(10) (SPC-2 7.21, 7.16): a logical-unit reservation for one I_T
//! nexus, third-party reservations not implemented (their CDB bits are outside the usage mask).
//!
//! SPC-4 5.12.3: while any I_T nexus is registered for persistent reservations, both commands conflict,
//! whoever sends them.

use super::super::{Ctx, Outcome, Refusal, TargetState, Verdict};
use super::UnitReservations;

/// The addressed unit's reservations, or RESERVATION CONFLICT while any I_T nexus is registered.
fn spc2_unit<'s>(state: &'s mut TargetState, ctx: &Ctx) -> Result<&'s mut UnitReservations, Refusal> {
    let unit = state.reservations.unit_mut(ctx.lun).ok_or(Refusal::ReservationConflict)?;
    if unit.registrations.is_empty() { Ok(unit) } else { Err(Refusal::ReservationConflict) }
}

/// RESERVE: RESERVATION CONFLICT when another I_T nexus holds the reservation; the holder may reserve
/// again (SPC-2 7.21.2).
pub fn reserve(state: &mut TargetState, ctx: &Ctx) -> Verdict {
    let unit = spc2_unit(state, ctx)?;
    match &unit.spc2 {
        Some(holder) if holder != ctx.initiator => Err(Refusal::ReservationConflict),
        _ => {
            unit.spc2 = Some(ctx.initiator.to_owned());
            Ok(Outcome::Done(Vec::new()))
        }
    }
}

/// RELEASE: the holder's reservation ends; from any other I_T nexus it is GOOD and changes nothing
/// (SPC-2 7.16.1).
pub fn release(state: &mut TargetState, ctx: &Ctx) -> Verdict {
    let unit = spc2_unit(state, ctx)?;
    unit.release_spc2(Some(ctx.initiator));
    Ok(Outcome::Done(Vec::new()))
}
