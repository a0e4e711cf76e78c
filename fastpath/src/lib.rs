//! # offload-fastpath — the software fast path of the offload block
//!
//! What controller firmware runs when it does the offload work in software: `#![no_std]`, no allocation
//! at all, every buffer provided by the caller. An independent implementation of the commands below over
//! caller-provided memory per logical unit ([`Unit`]), giving the same status, sense data, data-in,
//! media contents and provisioning state as the reference model (`offload-model`), byte for byte — the
//! golden vectors check it (`tests/vectors.rs`).
//!
//! - COMPARE AND WRITE (89h)
//! - WRITE SAME (10) (41h) and (16) (93h): UNMAP, ANCHOR, NDOB; WRPROTECT, PBDATA and LBDATA refused, and
//!   UNMAP and ANCHOR on a fully provisioned unit
//! - UNMAP (42h)
//! - EXTENDED COPY (LID1) (83h/00h): E4h CSCD descriptors resolved among the units the initiator may
//!   access, 02h segments, CSCD ID FFFFh; COPY ABORTED reports as the model does
//! - READ and WRITE (6) (08h, 0Ah), (10) (28h, 2Ah), (12) (A8h, AAh) and (16) (88h, 8Ah), and WRITE
//!   ATOMIC (16) (9Ch) — atomic because a command has the blocks it touches to itself while it runs
//! - VERIFY (10)/(12)/(16) (2Fh, AFh, 8Fh) with BYTCHK 00b, 01b and 11b; WRITE AND VERIFY (10)/(12)/(16)
//!   (2Eh, AEh, 8Eh), durable before GOOD; ORWRITE (16) (8Bh)
//!
//! Any other command is not handled ([`Reply::handled`] is false, no sense): the caller passes it on.
//! Which commands these are, their CDB usage masks, the sense codes and the limits are the shared
//! vocabulary's (`offload-scsi`); the checks' order and the data path are the fast path's own.
//!
//! The [`Reply`] says what the command did: status, sense and data-in, the extents it wrote with the
//! provisioning it left there, whether they must be durable before the status goes back (FUA=1, or a
//! unit whose write cache is disabled: [`Unit::write_cache`]), and for EXTENDED COPY a [`CopySummary`]
//! ([`effects`]). SYNCHRONIZE CACHE is not the fast path's: it moves no data, and making blocks
//! durable is the caller's (the model answers it with the range).
//!
//! Before a command runs, the front-end checks the model makes, in its order: the LUN must exist and be
//! reachable by the initiator (25h/00h), the CDB must be as long as the command (24h/00h at byte 0), and
//! no bit outside the command's CDB usage mask may be set (24h/00h pointing at the highest such bit).
//! Sense data is in the format the addressed unit's D_SENSE asks for ([`Unit::descriptor_sense`];
//! [`FastPath::descriptor_sense`] for a LUN with no unit). State the device server keeps beyond the
//! units' media — the control page's SWP ([`Unit::software_write_protected`]), a stopped unit — is the
//! caller's to pass in or to check first: a stopped unit's commands are not the fast path's to run.
//!
//! A unit may be lent whole or as a window of its blocks ([`Window`]): a caller that runs commands on
//! one unit at once locks each command's [`footprint`] and lends it those blocks alone. A command whose
//! footprint the window does not hold is not handled, and touches nothing.
//!
//! The data path works on whole ranges with the standard primitives: `copy_within` (memmove) inside a
//! unit, `copy_from_slice` between units, `fill(0)`, a pattern doubled with `copy_within`, chunked slice
//! equality for COMPARE AND WRITE ([`primitives`]); provisioning state is updated a byte (four blocks) at
//! a time. Zeroing a thin unit's range writes only its mapped blocks (the others hold zeros already), so
//! memory the caller never wrote stays untouched however much is released — a lazily committed mapping
//! stays sparse.
//!
//! ```
//! use offload_fastpath::{AllowAll, Extent, FastPath, Hint, Limits, Request, Unit, max_extents};
//! use offload_scsi::{CHECK_CONDITION, GOOD};
//!
//! let mut data = [0u8; 64 * 512];
//! let mut units = [Unit::thick(&mut data, 512, [0x60; 16])];
//! let mut fp = FastPath::new(&mut units, Limits::default(), false, AllowAll).unwrap();
//! let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
//! // WRITE SAME (16), NDOB: zero blocks 8..16.
//! let cdb = [0x93, 0x01, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0];
//! let request = Request { initiator: b"iqn.host", lun: 0, cdb: &cdb, data_out: &[] };
//! let reply = fp.execute(&request, &mut [], &mut extents);
//! assert!(reply.handled && reply.status == GOOD);
//! assert_eq!(reply.written, &[Extent { lun: 0, lba: 8, blocks: 8, hint: Hint::Zeros }]);
//! // READ (10) of a block past the end: CHECK CONDITION, ILLEGAL REQUEST, LBA OUT OF RANGE.
//! let cdb = [0x28, 0, 0, 0, 0, 64, 0, 0, 1, 0];
//! let request = Request { initiator: b"iqn.host", lun: 0, cdb: &cdb, data_out: &[] };
//! let mut data_in = [0u8; 512];
//! let reply = fp.execute(&request, &mut data_in, &mut extents);
//! assert_eq!((reply.status, reply.sense()[2], reply.sense()[12]), (CHECK_CONDITION, 5, 0x21));
//! ```
#![no_std]

mod commands;
mod config;
pub mod effects;
mod footprint;
mod media;
pub mod primitives;
mod reply;
mod verify;
mod xcopy;

pub use config::{Access, AllowAll, ConfigError};
pub use effects::{CopySummary, Extent, Hint, max_extents};
pub use footprint::{Footprint, data_in_bytes, footprint};
pub use media::{Unit, Window};
pub use offload_scsi::{CopyLimits, Limits, Provisioning, SenseBuf};
pub use reply::{Reply, Request};

use offload_scsi::command::{self, Command, CommandSpec};
use offload_scsi::durability::must_be_durable;
use offload_scsi::{Asc, CHECK_CONDITION, Sense, SenseFormat};

use effects::Effects;
use reply::{Outcome, Stop};

/// The fast path over a set of logical units (LUN = index in `units`).
pub struct FastPath<'u, 'a, A = AllowAll> {
    pub units: &'u mut [Unit<'a>],
    pub limits: Limits,
    /// The power-on D_SENSE: the sense format for a LUN with no unit (a unit's own
    /// [`Unit::descriptor_sense`] decides for commands addressed to it).
    pub descriptor_sense: bool,
    /// Who may reach which unit: checked for the addressed LUN and for every EXTENDED COPY CSCD.
    pub access: A,
}

impl<'u, 'a, A: Access> FastPath<'u, 'a, A> {
    /// A fast path over `units`, after checking them and the limits as the model checks its configuration
    /// (block sizes 512 or 4096, at least one block, enough provisioning state, ascending bad blocks, the
    /// limits' own rules). The fields stay public; a unit changed into one that breaks the rules later is
    /// not executed on ([`Reply::handled`] false).
    pub fn new(
        units: &'u mut [Unit<'a>],
        limits: Limits,
        descriptor_sense: bool,
        access: A,
    ) -> Result<Self, ConfigError> {
        config::validate(units, &limits)?;
        Ok(FastPath { units, limits, descriptor_sense, access })
    }

    /// Executes one command. READ's data-in is written to the front of `data_in`; the extents the command
    /// writes are recorded at the front of `extents`, which must hold [`max_extents`] of them.
    pub fn execute<'o>(
        &mut self,
        request: &Request<'_>,
        data_in: &'o mut [u8],
        extents: &'o mut [Extent],
    ) -> Reply<'o> {
        let Some(spec) = command::lookup(request.cdb).ok().filter(|spec| spec.command.in_fast_path()) else {
            return Reply::unhandled();
        };
        if extents.len() < max_extents(&self.limits) {
            return Reply::unhandled();
        }
        let mut effects = Effects::new(extents);
        let outcome = self.dispatch(spec, request, data_in, &mut effects);
        let (written, copy, fua) = effects.finish();
        // Built in place: the reply is returned without copying its sense buffer around.
        let mut reply = Reply { written, copy, handled: true, ..Reply::unhandled() };
        match outcome {
            Ok(len) => {
                reply.data_in = &data_in[..len];
                reply.durable = written.iter().any(|e| {
                    let write_cache = self.units.get(usize::from(e.lun)).is_none_or(|u| u.write_cache);
                    must_be_durable(fua, write_cache)
                });
            }
            Err(Stop::Unhandled) => return Reply::unhandled(),
            Err(Stop::Check(sense)) => {
                let unit = self.units.get(usize::from(request.lun));
                let descriptor = unit.map_or(self.descriptor_sense, |u| u.descriptor_sense);
                reply.status = CHECK_CONDITION;
                sense.encode_into(SenseFormat::from_d_sense(descriptor), &mut reply.sense);
            }
        }
        reply
    }

    /// The front-end checks the model makes, in its order, then the command's handler.
    fn dispatch(
        &mut self,
        spec: &CommandSpec,
        request: &Request<'_>,
        data_in: &mut [u8],
        effects: &mut Effects<'_>,
    ) -> Outcome {
        let index = usize::from(request.lun);
        if index >= self.units.len() || !self.access.allows(request.initiator, request.lun) {
            return Err(Sense::illegal(Asc::LOGICAL_UNIT_NOT_SUPPORTED).into());
        }
        if !self.units[index].usable() {
            return Err(Stop::Unhandled);
        }
        command::check_reserved(&spec.usage(!self.units[index].is_thin()), request.cdb)?;
        if !self.holds(index, footprint::of(spec.command, request.cdb, self.units[index].capacity())) {
            return Err(Stop::Unhandled); // a window lent without the blocks the command may touch
        }
        let limits = &self.limits;
        let unit = &mut self.units[index];
        match spec.command {
            Command::Read6 | Command::Read10 | Command::Read12 | Command::Read16 => {
                commands::read(unit, limits, request, spec.command, data_in)
            }
            Command::Write6 | Command::Write10 | Command::Write12 | Command::Write16 | Command::WriteAtomic16 => {
                commands::write(unit, limits, request, spec.command, effects)
            }
            Command::CompareAndWrite => commands::compare_and_write(unit, limits, request, effects),
            Command::Verify10 | Command::Verify12 | Command::Verify16 => verify::verify(unit, limits, request),
            Command::WriteAndVerify10 | Command::WriteAndVerify12 | Command::WriteAndVerify16 => {
                verify::write_and_verify(unit, limits, request, effects)
            }
            Command::OrWrite16 => verify::orwrite(unit, limits, request, effects),
            Command::WriteSame10 => commands::write_same(unit, limits, request, false, effects),
            Command::WriteSame16 => commands::write_same(unit, limits, request, true, effects),
            Command::Unmap => commands::unmap(unit, limits, request, effects),
            Command::ExtendedCopy => xcopy::extended_copy(self.units, limits, &self.access, request, effects),
            // Not in the fast path's set (`Command::in_fast_path`): filtered out before the checks.
            _ => Err(Stop::Unhandled),
        }
    }

    /// The blocks an EXTENDED COPY `request` may touch on each unit, for a caller to lend the copy just
    /// those: `hulls[i]` becomes the smallest range of unit `i`'s blocks that holds every segment's
    /// source and destination there (clamped to its capacity), or `0..0` — for every unit when the
    /// request is not an EXTENDED COPY the fast path runs, or its list does not parse (nothing moves).
    /// The units' windows may hold nothing: only their designators and capacities are read. `hulls`
    /// has a range per unit (any beyond are left empty).
    pub fn copy_footprint(&mut self, request: &Request<'_>, hulls: &mut [core::ops::Range<u64>]) {
        // Every unit: only EXTENDED COPY's footprint is (and only when its CDB is whole).
        let copy = footprint(request.cdb, 0) == Footprint::Every;
        let index = usize::from(request.lun);
        if !copy || index >= self.units.len() || !self.access.allows(request.initiator, request.lun) {
            hulls.iter_mut().for_each(|h| *h = 0..0);
            return;
        }
        xcopy::copy_footprint(self.units, &self.limits, &self.access, request, hulls);
    }

    /// Whether the units hold all of `footprint` of a command addressed to unit `index`.
    fn holds(&self, index: usize, footprint: Footprint) -> bool {
        match footprint {
            Footprint::Blocks { start, end } => self.units[index].holds(start, end),
            Footprint::Unit => self.units[index].window.is_none(),
            // The copy checks each segment's blocks once its list is parsed.
            Footprint::Every => true,
        }
    }
}

#[cfg(test)]
mod tests;
