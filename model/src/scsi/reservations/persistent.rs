//! PERSISTENT RESERVE IN (SPC-4 6.15) and OUT (SPC-4 6.16, 5.12).
//!
//! What this device server does not offer, as REPORT CAPABILITIES says: APTPL (PTPL_C=0 — the images do
//! not keep reservation state, so APTPL=1 is INVALID FIELD IN PARAMETER LIST), SPEC_I_PT (SIP_C=0: also
//! INVALID FIELD IN PARAMETER LIST) and REGISTER AND MOVE (INVALID FIELD IN CDB, from the command
//! table). ALL_TG_PT is accepted (ATP_C=1): the target has one target port. PREEMPT AND ABORT aborts
//! nothing, because the model completes each command before it takes the next: none is in flight.

use offload_scsi::reservation::{LU_SCOPE, PROUT_PARAMETER_LIST_LEN, PrIn, PrOut, ReservationType};
use offload_scsi::{Asc, Fields, Sense};

use super::super::checks::truncate;
use super::super::port_groups::RELATIVE_TARGET_PORT;
use super::super::{Ctx, Outcome, Refusal, TargetState, Verdict};
use super::{Attention, Persistent, Registration, UnitReservations};

/// REPORT CAPABILITIES byte 2: CRH (SPC-4 5.12.3 exceptions to RESERVE/RELEASE apply) and ATP_C.
const CAPABILITIES: u8 = 0x10 | 0x04;
/// REPORT CAPABILITIES byte 3: TMV (the type mask is valid); ALLOW COMMANDS 001b (TEST UNIT READY is
/// allowed through Write Exclusive and Exclusive Access, nothing said of the other commands SPC-4 names
/// there); PTPL_A 0.
const TYPE_MASK_VALID_TUR_ALLOWED: u8 = 0x80 | 0x10;

/// PERSISTENT RESERVE IN: the answer, truncated to ALLOCATION LENGTH (CDB bytes 7–8).
pub fn reserve_in(state: &TargetState, ctx: &Ctx, action: PrIn) -> Verdict {
    let unit = state.reservations.unit(ctx.lun).cloned().unwrap_or_default();
    let mut data = Vec::new();
    match action {
        PrIn::ReadKeys => {
            let keys: Vec<u8> = unit.registrations.iter().flat_map(|r| r.key.to_be_bytes()).collect();
            data.extend(unit.generation.to_be_bytes());
            data.extend((keys.len() as u32).to_be_bytes());
            data.extend(keys);
        }
        PrIn::ReadReservation => {
            data.extend(unit.generation.to_be_bytes());
            match &unit.persistent {
                None => data.extend(0u32.to_be_bytes()),
                Some(p) => {
                    data.extend(16u32.to_be_bytes());
                    data.extend(reservation_key(&unit, p).to_be_bytes());
                    data.extend([0, 0, 0, 0, 0, scope_type(p.kind), 0, 0]);
                }
            }
        }
        PrIn::ReportCapabilities => {
            let mask = ReservationType::ALL.iter().fold(0u16, |m, &t| m | type_mask_bit(t));
            data.extend(8u16.to_be_bytes());
            data.extend([CAPABILITIES, TYPE_MASK_VALID_TUR_ALLOWED]);
            data.extend(mask.to_be_bytes());
            data.extend([0, 0]);
        }
        PrIn::ReadFullStatus => {
            let descriptors: Vec<u8> = unit.registrations.iter().flat_map(|r| full_status(&unit, r)).collect();
            data.extend(unit.generation.to_be_bytes());
            data.extend((descriptors.len() as u32).to_be_bytes());
            data.extend(descriptors);
        }
    }
    Ok(Outcome::Done(truncate(data, usize::from(ctx.cdb.be16(7)))))
}

/// The RESERVATION KEY READ RESERVATION reports: the holder's, or zero under an all-registrants type
/// (SPC-4 6.15.3.2).
fn reservation_key(unit: &UnitReservations, p: &Persistent) -> u64 {
    if p.kind.all_registrants() { 0 } else { unit.registration(&p.holder).map_or(0, |r| r.key) }
}

/// SCOPE (LU_SCOPE) and TYPE in one byte.
fn scope_type(kind: ReservationType) -> u8 {
    (LU_SCOPE << 4) | kind as u8
}

/// The PERSISTENT RESERVATION TYPE MASK bit of a type (SPC-4 6.15.4).
fn type_mask_bit(kind: ReservationType) -> u16 {
    match kind {
        ReservationType::WriteExclusiveAllRegistrants => 0x8000,
        ReservationType::ExclusiveAccessRegistrantsOnly => 0x4000,
        ReservationType::WriteExclusiveRegistrantsOnly => 0x2000,
        ReservationType::ExclusiveAccess => 0x0800,
        ReservationType::WriteExclusive => 0x0200,
        ReservationType::ExclusiveAccessAllRegistrants => 0x0001,
    }
}

/// One READ FULL STATUS descriptor (SPC-4 6.15.5).
fn full_status(unit: &UnitReservations, r: &Registration) -> Vec<u8> {
    let holder = unit.holds(&r.nexus);
    let mut d = Vec::new();
    d.extend(r.key.to_be_bytes());
    d.extend([0; 4]);
    d.push(u8::from(r.all_target_ports) << 1 | u8::from(holder));
    d.push(match (&unit.persistent, holder) {
        (Some(p), true) => scope_type(p.kind),
        _ => 0,
    });
    d.extend([0; 4]);
    d.extend(RELATIVE_TARGET_PORT.to_be_bytes());
    let id = transport_id(&r.nexus);
    d.extend((id.len() as u32).to_be_bytes());
    d.extend(id);
    d
}

/// iSCSI protocol identifier (SPC-4 7.6.1).
const ISCSI: u8 = 0x5;
/// FORMAT CODE 01b: initiator port name with the ISID.
const INITIATOR_PORT_FORMAT: u8 = 0x40;

/// An I_T nexus's initiator as an iSCSI TransportID (SPC-4 7.6.4.6): format 01b
/// (`<name>,i,0x<ISID>`) when the nexus is named so, else format 00b (the name); null-terminated and
/// padded to a multiple of four bytes.
pub fn transport_id(nexus: &str) -> Vec<u8> {
    let port_name = nexus.split_once(",i,0x").is_some_and(|(name, isid)| {
        !name.is_empty() && isid.len() == 12 && isid.bytes().all(|b| b.is_ascii_hexdigit())
    });
    let format = if port_name { INITIATOR_PORT_FORMAT } else { 0 };
    let mut name = nexus.as_bytes().to_vec();
    name.push(0);
    name.resize(name.len().next_multiple_of(4), 0);
    let mut id = vec![format | ISCSI, 0];
    id.extend((name.len() as u16).to_be_bytes());
    id.extend(name);
    id
}

/// The PERSISTENT RESERVE OUT parameter list's fields (SPC-4 6.16.3).
struct Parameters {
    key: u64,
    service_action_key: u64,
    all_target_ports: bool,
}

/// SPEC_I_PT, ALL_TG_PT and APTPL (parameter list byte 20).
const SPEC_I_PT: u8 = 0x08;
const ALL_TG_PT: u8 = 0x04;
const APTPL: u8 = 0x01;

fn parameters(ctx: &Ctx, action: PrOut) -> Result<Parameters, Sense> {
    let length = ctx.cdb.be32(5) as usize;
    if length != PROUT_PARAMETER_LIST_LEN {
        return Err(Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR));
    }
    let list = super::super::checks::parameter_list(ctx, length, 5)?;
    let flags = list[20];
    let registering = matches!(action, PrOut::Register | PrOut::RegisterAndIgnoreExistingKey);
    if flags & !(SPEC_I_PT | ALL_TG_PT | APTPL) != 0 {
        return Err(Sense::invalid_parameter_field(20, Some(7 - (flags & 0xF2).leading_zeros() as u8)));
    }
    if flags & SPEC_I_PT != 0 {
        return Err(Sense::invalid_parameter_field(20, Some(3))); // SIP_C=0
    }
    if registering && flags & APTPL != 0 {
        return Err(Sense::invalid_parameter_field(20, Some(0))); // PTPL_C=0
    }
    Ok(Parameters { key: list.be64(0), service_action_key: list.be64(8), all_target_ports: flags & ALL_TG_PT != 0 })
}

/// SCOPE and TYPE (CDB byte 2) for the service actions that use them: LU_SCOPE and a defined type.
fn scope_and_type(ctx: &Ctx) -> Result<ReservationType, Sense> {
    if ctx.cdb[2] >> 4 != LU_SCOPE {
        return Err(Sense::invalid_cdb_field(2, Some(7)));
    }
    ReservationType::from_code(ctx.cdb[2] & 0x0F).ok_or(Sense::invalid_cdb_field(2, Some(3)))
}

/// PERSISTENT RESERVE OUT: the parameter list and CDB fields, then the service action.
pub fn reserve_out(state: &mut TargetState, ctx: &Ctx, action: PrOut) -> Verdict {
    let p = parameters(ctx, action)?;
    let (unit, attentions) =
        state.reservations.split(ctx.lun).ok_or(Sense::illegal(Asc::LOGICAL_UNIT_NOT_SUPPORTED))?;
    let mut out = Changes { unit, attentions, lun: ctx.lun, nexus: ctx.initiator };
    match action {
        PrOut::Register => out.register(&p, true),
        PrOut::RegisterAndIgnoreExistingKey => out.register(&p, false),
        PrOut::Clear => out.registered(&p).and_then(|()| out.clear()),
        PrOut::Reserve => {
            let kind = scope_and_type(ctx)?;
            out.registered(&p).and_then(|()| out.reserve(kind))
        }
        PrOut::Release => {
            let kind = scope_and_type(ctx)?;
            out.registered(&p).and_then(|()| out.release(kind))
        }
        // PREEMPT AND ABORT would also abort the preempted nexuses' tasks: the model has none in flight.
        PrOut::Preempt | PrOut::PreemptAndAbort => {
            let kind = scope_and_type(ctx)?;
            out.registered(&p).and_then(|()| out.preempt(kind, p.service_action_key))
        }
    }?;
    Ok(Outcome::Done(Vec::new()))
}

/// A PERSISTENT RESERVE OUT's changes to one unit's reservations, from one I_T nexus.
struct Changes<'r> {
    unit: &'r mut UnitReservations,
    attentions: &'r mut Vec<Attention>,
    lun: u16,
    nexus: &'r str,
}

impl Changes<'_> {
    /// RESERVATION CONFLICT unless the nexus is registered with RESERVATION KEY (SPC-4 5.12.11.1).
    fn registered(&mut self, p: &Parameters) -> Result<(), Refusal> {
        match self.unit.registration(self.nexus) {
            Some(r) if r.key == p.key => Ok(()),
            _ => Err(Refusal::ReservationConflict),
        }
    }

    /// Establishes `asc` on `nexus`.
    fn attend(&mut self, nexus: String, asc: Asc) {
        self.attentions.push(Attention { nexus, lun: self.lun, asc });
    }

    /// Establishes `asc` on every registered nexus but this one.
    fn attend_registrants(&mut self, asc: Asc) {
        let others: Vec<String> =
            self.unit.registrations.iter().map(|r| r.nexus.clone()).filter(|n| n != self.nexus).collect();
        for nexus in others {
            self.attend(nexus, asc);
        }
    }

    /// REGISTER (`check_key`) and REGISTER AND IGNORE EXISTING KEY (SPC-4 5.12.7).
    fn register(&mut self, p: &Parameters, check_key: bool) -> Result<(), Refusal> {
        let nexus = self.nexus.to_owned();
        let unit = &mut *self.unit;
        let Some(at) = unit.registrations.iter().position(|r| r.nexus == nexus) else {
            if check_key && p.key != 0 {
                return Err(Refusal::ReservationConflict);
            }
            if p.service_action_key != 0 {
                let r = Registration { nexus, key: p.service_action_key, all_target_ports: p.all_target_ports };
                unit.registrations.push(r);
                unit.generation = unit.generation.wrapping_add(1);
            }
            return Ok(());
        };
        if check_key && unit.registrations[at].key != p.key {
            return Err(Refusal::ReservationConflict);
        }
        unit.generation = unit.generation.wrapping_add(1);
        if p.service_action_key != 0 {
            unit.registrations[at].key = p.service_action_key;
            return Ok(());
        }
        self.unregister();
        Ok(())
    }

    /// Removes this nexus's registration; a reservation it held alone is released (SPC-4 5.12.11.2.3).
    fn unregister(&mut self) {
        let nexus = self.nexus;
        let holder = self.unit.holds(nexus);
        let unit = &mut *self.unit;
        unit.registrations.retain(|r| r.nexus != nexus);
        let Some(p) = unit.persistent.clone() else { return };
        let released = holder && (!p.kind.all_registrants() || unit.registrations.is_empty());
        if released {
            unit.persistent = None;
            if matches!(
                p.kind,
                ReservationType::WriteExclusiveRegistrantsOnly | ReservationType::ExclusiveAccessRegistrantsOnly
            ) {
                self.attend_registrants(Asc::RESERVATIONS_RELEASED);
            }
        }
    }

    /// RESERVE (SPC-4 5.12.9): the holder reserving again with the same type is GOOD; anything else
    /// against an existing reservation conflicts.
    fn reserve(&mut self, kind: ReservationType) -> Result<(), Refusal> {
        let nexus = self.nexus;
        let unit = &mut *self.unit;
        match &unit.persistent {
            None => {
                unit.persistent = Some(Persistent { kind, holder: nexus.to_owned() });
                Ok(())
            }
            Some(p) if p.kind == kind && unit.holds(nexus) => Ok(()),
            Some(_) => Err(Refusal::ReservationConflict),
        }
    }

    /// RELEASE (SPC-4 5.12.11.2.2): GOOD without effect from a non-holder; the holder must name the
    /// reservation's type.
    fn release(&mut self, kind: ReservationType) -> Result<(), Refusal> {
        let nexus = self.nexus;
        let unit = &mut *self.unit;
        let Some(p) = unit.persistent.clone() else { return Ok(()) };
        if !unit.holds(nexus) {
            return Ok(());
        }
        if p.kind != kind {
            return Err(Sense::illegal(Asc::INVALID_RELEASE_OF_PERSISTENT_RESERVATION).into());
        }
        unit.persistent = None;
        if p.kind.registrants_share() {
            self.attend_registrants(Asc::RESERVATIONS_RELEASED);
        }
        Ok(())
    }

    /// CLEAR (SPC-4 5.12.11.2.6): every registration and the reservation go; the other registrants get
    /// RESERVATIONS PREEMPTED.
    fn clear(&mut self) -> Result<(), Refusal> {
        self.attend_registrants(Asc::RESERVATIONS_PREEMPTED);
        let unit = &mut *self.unit;
        unit.registrations.clear();
        unit.persistent = None;
        unit.generation = unit.generation.wrapping_add(1);
        Ok(())
    }

    /// PREEMPT (SPC-4 5.12.11.4): removes the registrations with SERVICE ACTION RESERVATION KEY (other
    /// than this nexus's) and, when they include the reservation's holder (or the key is zero under an
    /// all-registrants type), takes the reservation with `kind`.
    fn preempt(&mut self, kind: ReservationType, key: u64) -> Result<(), Refusal> {
        let nexus = self.nexus;
        let unit = &mut *self.unit;
        let takes = match &unit.persistent {
            Some(p) if p.kind.all_registrants() => key == 0,
            Some(p) => unit.registration(&p.holder).is_some_and(|r| r.key == key),
            None => false,
        };
        let all_others = takes && key == 0;
        if key == 0 && !all_others {
            return Err(Sense::invalid_parameter_field(8, None).into());
        }
        let removed: Vec<String> = unit
            .registrations
            .iter()
            .filter(|r| r.nexus != nexus && (all_others || r.key == key))
            .map(|r| r.nexus.clone())
            .collect();
        if removed.is_empty() && !takes {
            return Err(Refusal::ReservationConflict);
        }
        unit.registrations.retain(|r| !removed.contains(&r.nexus));
        unit.generation = unit.generation.wrapping_add(1);
        let changed = takes && unit.persistent.as_ref().is_some_and(|p| p.kind != kind);
        if takes {
            unit.persistent = Some(Persistent { kind, holder: nexus.to_owned() });
        }
        for preempted in removed {
            self.attend(preempted, Asc::REGISTRATIONS_PREEMPTED);
        }
        if changed {
            self.attend_registrants(Asc::RESERVATIONS_RELEASED);
        }
        Ok(())
    }
}
