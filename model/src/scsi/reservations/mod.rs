//! Reservations (SPC-2 RESERVE/RELEASE, SPC-4 5.12 persistent reservations): each logical unit's
//! reservation state, and the one admission rule every command obeys — the SPC-4 / SBC-4 tables of
//! commands allowed in the presence of reservations, applied through the command table's
//! [`ReservationClass`] column.
//!
//! State is keyed by I_T nexus: the request's initiator string (an iSCSI initiator port name
//! `<iqn>,i,0x<ISID>`, or a plain name in the vectors). Registrations and persistent reservations survive
//! I_T nexus loss and resets; they are not kept across a restart (APTPL is declined, [`persistent`]).
//! An SPC-2 reservation is released by its holder's nexus loss, a LOGICAL UNIT RESET and a TARGET RESET
//! (SPC-2 5.5.1).
//!
//! The unit attentions reservations cause (2A/03, 2A/04, 2A/05) are collected as [`Attention`]s for the
//! unit-attention queue to establish ([`Reservations::take_attentions`]).
//!
//! - [`spc2`]: RESERVE (6)/(10), RELEASE (6)/(10);
//! - [`persistent`]: PERSISTENT RESERVE IN and OUT.

pub mod persistent;
pub mod spc2;

use offload_scsi::Asc;
use offload_scsi::reservation::{ReservationClass, ReservationType};

use super::{Refusal, TargetState};

/// A registered I_T nexus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub nexus: String,
    pub key: u64,
    /// Registered with ALL_TG_PT=1 (the target has one port: reported back, nothing else).
    pub all_target_ports: bool,
}

/// A persistent reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Persistent {
    pub kind: ReservationType,
    /// The I_T nexus that holds it; under an all-registrants type every registrant holds it.
    pub holder: String,
}

/// One logical unit's reservations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitReservations {
    /// The I_T nexus holding an SPC-2 reservation.
    pub spc2: Option<String>,
    /// Registrations in the order they were made (READ KEYS lists them so).
    pub registrations: Vec<Registration>,
    pub persistent: Option<Persistent>,
    /// PRGENERATION (SPC-4 6.15.2): counts the PERSISTENT RESERVE OUT commands that changed registrations.
    pub generation: u32,
}

impl UnitReservations {
    pub fn registration(&self, nexus: &str) -> Option<&Registration> {
        self.registrations.iter().find(|r| r.nexus == nexus)
    }

    /// Whether `nexus` holds the persistent reservation.
    pub fn holds(&self, nexus: &str) -> bool {
        self.persistent.as_ref().is_some_and(|p| {
            if p.kind.all_registrants() { self.registration(nexus).is_some() } else { p.holder == nexus }
        })
    }

    /// Whether a command of `class` from `nexus` is admitted (the SPC-4 and SBC-4 tables of commands allowed in the presence of various reservations;
    /// SPC-2 5.5.1 for an SPC-2 reservation).
    pub fn admits(&self, nexus: &str, class: ReservationClass) -> bool {
        use ReservationClass::*;
        if matches!(class, Allowed | Spc2Reservation | CopyManager) {
            return true;
        }
        if let Some(holder) = &self.spc2 {
            return holder == nexus;
        }
        let Some(reservation) = &self.persistent else { return true };
        if class == Spc2Conflict || self.holds(nexus) {
            return true;
        }
        if reservation.kind.registrants_share() && self.registration(nexus).is_some() {
            return true;
        }
        class == Read && reservation.kind.reads_shared()
    }

    /// Releases an SPC-2 reservation (its holder's nexus loss, or a reset).
    fn release_spc2(&mut self, holder: Option<&str>) {
        if holder.is_none_or(|h| self.spc2.as_deref() == Some(h)) {
            self.spc2 = None;
        }
    }
}

/// A unit attention a reservation change causes, for the unit-attention queue to establish on `nexus`
/// for `lun`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attention {
    pub nexus: String,
    pub lun: u16,
    pub asc: Asc,
}

/// Every logical unit's reservations, and the unit attentions they caused not yet taken.
#[derive(Clone, Debug, Default)]
pub struct Reservations {
    units: Vec<UnitReservations>,
    attentions: Vec<Attention>,
}

impl Reservations {
    pub fn new(units: usize) -> Self {
        Reservations { units: vec![UnitReservations::default(); units], attentions: Vec::new() }
    }

    /// `lun`'s reservations (a LUN with no unit has none).
    pub fn unit(&self, lun: u16) -> Option<&UnitReservations> {
        self.units.get(usize::from(lun))
    }

    fn unit_mut(&mut self, lun: u16) -> Option<&mut UnitReservations> {
        self.units.get_mut(usize::from(lun))
    }

    /// `lun`'s reservations and the attentions queue, to change both.
    fn split(&mut self, lun: u16) -> Option<(&mut UnitReservations, &mut Vec<Attention>)> {
        Some((self.units.get_mut(usize::from(lun))?, &mut self.attentions))
    }

    /// Whether `nexus` may run a command of `class` on `lun` (the copy manager asks this for each
    /// segment's source and destination too).
    pub fn admits(&self, nexus: &str, lun: u16, class: ReservationClass) -> bool {
        self.unit(lun).is_none_or(|u| u.admits(nexus, class))
    }

    /// The unit attentions established since the last call, oldest first.
    pub fn take_attentions(&mut self) -> Vec<Attention> {
        std::mem::take(&mut self.attentions)
    }

    /// I_T nexus loss: the nexus's SPC-2 reservations are released; its registrations stay (SPC-4 5.12.2).
    pub fn nexus_loss(&mut self, nexus: &str) {
        for unit in &mut self.units {
            unit.release_spc2(Some(nexus));
        }
    }

    /// LOGICAL UNIT RESET: the unit's SPC-2 reservation is released; persistent reservations stay.
    pub fn logical_unit_reset(&mut self, lun: u16) {
        if let Some(unit) = self.unit_mut(lun) {
            unit.release_spc2(None);
        }
    }

    /// TARGET RESET (or a power on): every SPC-2 reservation is released.
    pub fn target_reset(&mut self) {
        for unit in &mut self.units {
            unit.release_spc2(None);
        }
    }
}

/// The reservation check every command passes before its handler: RESERVATION CONFLICT unless the
/// addressed unit's reservations admit the command's class for the issuing I_T nexus.
pub fn admit(state: &TargetState, nexus: &str, lun: u16, class: ReservationClass) -> Result<(), Refusal> {
    if state.reservations.admits(nexus, lun, class) { Ok(()) } else { Err(Refusal::ReservationConflict) }
}
