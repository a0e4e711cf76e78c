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
//! - READ and WRITE (10) (28h, 2Ah) and (16) (88h, 8Ah)
//!
//! Any other command is not handled ([`Reply::handled`] is false, no sense): the caller passes it on.
//!
//! Before a command runs, the front-end checks the model makes, in its order: the LUN must exist and be
//! reachable by the initiator (25h/00h), the CDB must be as long as the command (24h/00h at byte 0), and
//! no bit outside the command's CDB usage mask may be set (24h/00h pointing at the highest such bit).
//! Sense data is in the format the addressed unit's D_SENSE asks for ([`Unit::descriptor_sense`];
//! [`FastPath::descriptor_sense`] for a LUN with no unit).
//!
//! The data path works on whole ranges with the standard primitives: `copy_within` (memmove) inside a
//! unit, `copy_from_slice` between units, `fill(0)`, a pattern doubled with `copy_within`, chunked slice
//! equality for COMPARE AND WRITE ([`primitives`]); provisioning state is updated a byte (four blocks) at
//! a time.
//!
//! ```
//! use offload_fastpath::{AllowAll, FastPath, Limits, Unit};
//!
//! let mut data = [0u8; 64 * 512];
//! let mut units = [Unit::thick(&mut data, 512, [0x60; 16])];
//! let mut fp = FastPath::new(&mut units, Limits::default(), false, AllowAll).unwrap();
//! // WRITE SAME (16), NDOB: zero blocks 8..16.
//! let cdb = [0x93, 0x01, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0];
//! let reply = fp.execute(b"iqn.host", 0, &cdb, &[], &mut []);
//! assert!(reply.handled && reply.status == offload_fastpath::GOOD);
//! // READ (10) of a block past the end: CHECK CONDITION, ILLEGAL REQUEST, LBA OUT OF RANGE.
//! let reply = fp.execute(b"iqn.host", 0, &[0x28, 0, 0, 0, 0, 64, 0, 0, 1, 0], &[], &mut [0; 512]);
//! assert_eq!((reply.status, reply.sense()[2], reply.sense()[12]), (offload_fastpath::CHECK_CONDITION, 5, 0x21));
//! ```
#![no_std]

mod commands;
mod config;
mod media;
pub mod primitives;
mod sense;
mod xcopy;

pub use config::{Access, AllowAll, ConfigError, CopyLimits, Limits, Provisioning, Unit};
pub use sense::{SENSE_CAPACITY, SenseBuf};

use sense::{Forwarded, Sense};

/// SCSI status GOOD.
pub const GOOD: u8 = 0x00;
/// SCSI status CHECK CONDITION.
pub const CHECK_CONDITION: u8 = 0x02;

/// The answer to one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// [`GOOD`] or [`CHECK_CONDITION`].
    pub status: u8,
    /// Bytes of the caller's data-in buffer holding the data-in (READ only).
    pub data_in_len: usize,
    /// Sense data when the status is CHECK CONDITION, empty otherwise.
    pub sense: SenseBuf,
    /// False when the fast path did not execute the command and changed nothing: an operation code or
    /// service action it does not implement, a data-in buffer too small for a READ, or a unit whose
    /// memory does not satisfy [`Unit`]'s rules. The caller decides what to do with it.
    pub handled: bool,
}

impl Reply {
    fn unhandled() -> Self {
        Reply { status: GOOD, data_in_len: 0, sense: SenseBuf::empty(), handled: false }
    }

    /// The sense bytes (empty unless CHECK CONDITION).
    pub fn sense(&self) -> &[u8] {
        self.sense.as_slice()
    }
}

/// A CHECK CONDITION: the sense, and a copy target's forwarded sense for COPY ABORTED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub sense: Sense,
    pub forwarded: Option<Forwarded>,
}

/// Why a handler stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Check(Check),
    /// Not executed, nothing changed.
    Unhandled,
}

impl From<Sense> for Stop {
    fn from(sense: Sense) -> Self {
        Stop::Check(Check { sense, forwarded: None })
    }
}

/// A handler's result: the data-in length, or why it stopped.
pub(crate) type Outcome = Result<usize, Stop>;

/// The command in front of a handler.
pub(crate) struct Ctx<'c> {
    pub initiator: &'c [u8],
    pub lun: u16,
    pub cdb: &'c [u8],
    pub data_out: &'c [u8],
}

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
pub(crate) fn be64(b: &[u8], at: usize) -> u64 {
    let b = &b[at..at + 8];
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// The commands the fast path executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Read10,
    Write10,
    WriteSame10,
    Unmap,
    ExtendedCopy,
    Read16,
    CompareAndWrite,
    Write16,
    WriteSame16,
}

/// CDB usage masks (SBC-4 / SPC-4 CDB layouts; the bits the target interprets, as REPORT SUPPORTED
/// OPERATION CODES reports them). Byte 0 is the operation code; the length is the CDB length. WRITE SAME's
/// obsolete PBDATA and LBDATA are not interpreted, nor, on a fully provisioned unit, ANCHOR and UNMAP
/// ([`WRITE_SAME_PROVISIONING_BITS`]).
const READ10_USAGE: [u8; 10] = [0x28, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x00];
const WRITE10_USAGE: [u8; 10] = [0x2A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x00];
const WRITE_SAME10_USAGE: [u8; 10] = [0x41, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x00];
const UNMAP_USAGE: [u8; 10] = [0x42, 0x01, 0x00, 0x00, 0x00, 0x00, 0x1F, 0xFF, 0xFF, 0x00];
const EXTENDED_COPY_USAGE: [u8; 16] = [0x83, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00];
const READ16_USAGE: [u8; 16] =
    [0x88, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0];
const CAW_USAGE: [u8; 16] = [0x89, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0x1F, 0];
const WRITE16_USAGE: [u8; 16] =
    [0x8A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0];
const WRITE_SAME16_USAGE: [u8; 16] =
    [0x93, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0];

/// WRITE SAME's ANCHOR and UNMAP (byte 1): outside the usage mask on a fully provisioned unit.
const WRITE_SAME_PROVISIONING_BITS: u8 = 0x18;

/// The command a CDB names and its usage mask, if the fast path executes it.
fn lookup(cdb: &[u8]) -> Option<(Command, &'static [u8])> {
    Some(match *cdb.first()? {
        0x28 => (Command::Read10, &READ10_USAGE),
        0x2A => (Command::Write10, &WRITE10_USAGE),
        0x41 => (Command::WriteSame10, &WRITE_SAME10_USAGE),
        0x42 => (Command::Unmap, &UNMAP_USAGE),
        // Service action 00h (LID1) only; byte 1 must be there to tell.
        0x83 if cdb.get(1).is_some_and(|b| b & 0x1F == 0x00) => (Command::ExtendedCopy, &EXTENDED_COPY_USAGE),
        0x88 => (Command::Read16, &READ16_USAGE),
        0x89 => (Command::CompareAndWrite, &CAW_USAGE),
        0x8A => (Command::Write16, &WRITE16_USAGE),
        0x93 => (Command::WriteSame16, &WRITE_SAME16_USAGE),
        _ => return None,
    })
}

/// The CDB must be as long as the command (a longer one is read for the command's length only), with no
/// bit set outside the usage mask (less `not_byte1` in byte 1): INVALID FIELD IN CDB pointing at byte 0, or
/// at the highest such bit.
fn check_reserved(usage: &[u8], not_byte1: u8, cdb: &[u8]) -> Result<(), Sense> {
    let Some(cdb) = cdb.get(..usage.len()) else { return Err(Sense::invalid_cdb(0, None)) };
    for i in 1..usage.len() {
        let allowed = if i == 1 { usage[1] & !not_byte1 } else { usage[i] };
        let reserved = cdb[i] & !allowed;
        if reserved != 0 {
            return Err(Sense::invalid_cdb(i as u16, Some(7 - reserved.leading_zeros() as u8)));
        }
    }
    Ok(())
}

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
    /// (block sizes 512 or 4096, at least one block, enough provisioning state, ascending bad blocks, no
    /// zero limit). The fields stay public; a unit changed into one that breaks the rules later is not
    /// executed on ([`Reply::handled`] false).
    pub fn new(
        units: &'u mut [Unit<'a>],
        limits: Limits,
        descriptor_sense: bool,
        access: A,
    ) -> Result<Self, ConfigError> {
        config::validate(units, &limits)?;
        Ok(FastPath { units, limits, descriptor_sense, access })
    }

    /// Executes one command: `initiator` (its name, e.g. an iSCSI name) sends `cdb` to `lun` with
    /// `data_out`; READ's data-in is written to the front of `data_in`.
    pub fn execute(&mut self, initiator: &[u8], lun: u16, cdb: &[u8], data_out: &[u8], data_in: &mut [u8]) -> Reply {
        let Some((command, usage)) = lookup(cdb) else { return Reply::unhandled() };
        let ctx = Ctx { initiator, lun, cdb, data_out };
        // Built in place: the reply is returned without copying its sense buffer around.
        let mut reply = Reply { status: GOOD, data_in_len: 0, sense: SenseBuf::empty(), handled: true };
        match self.dispatch(command, usage, &ctx, data_in) {
            Ok(len) => reply.data_in_len = len,
            Err(Stop::Unhandled) => reply.handled = false,
            Err(Stop::Check(check)) => {
                let descriptor = self.units.get(usize::from(lun)).map_or(self.descriptor_sense, |u| u.descriptor_sense);
                reply.status = CHECK_CONDITION;
                check.sense.render_into(&mut reply.sense, check.forwarded.as_ref(), descriptor);
            }
        }
        reply
    }

    fn dispatch(&mut self, command: Command, usage: &[u8], ctx: &Ctx<'_>, data_in: &mut [u8]) -> Outcome {
        let index = usize::from(ctx.lun);
        if index >= self.units.len() || !self.access.allows(ctx.initiator, ctx.lun) {
            return Err(Sense::illegal(0x25, 0x00).into()); // LOGICAL UNIT NOT SUPPORTED
        }
        if !self.units[index].usable() {
            return Err(Stop::Unhandled);
        }
        let write_same = matches!(command, Command::WriteSame10 | Command::WriteSame16);
        let not_interpreted = if write_same && !self.units[index].is_thin() { WRITE_SAME_PROVISIONING_BITS } else { 0 };
        check_reserved(usage, not_interpreted, ctx.cdb)?;
        let limits = &self.limits;
        let unit = &mut self.units[index];
        match command {
            Command::Read10 => commands::read(unit, limits, ctx, false, data_in),
            Command::Read16 => commands::read(unit, limits, ctx, true, data_in),
            Command::Write10 => commands::write(unit, limits, ctx, false),
            Command::Write16 => commands::write(unit, limits, ctx, true),
            Command::CompareAndWrite => commands::compare_and_write(unit, limits, ctx),
            Command::WriteSame10 => commands::write_same(unit, limits, ctx, false),
            Command::WriteSame16 => commands::write_same(unit, limits, ctx, true),
            Command::Unmap => commands::unmap(unit, limits, ctx),
            Command::ExtendedCopy => xcopy::extended_copy(self.units, limits, &self.access, ctx),
        }
    }
}

#[cfg(test)]
mod tests;
