//! The command table: every command the kit's device servers implement, described once by its operation
//! code, service action, CDB length and **CDB usage mask** — the bits the device server interprets.
//!
//! The mask is what REPORT SUPPORTED OPERATION CODES returns (SPC-4 6.35.3) and what every CDB is checked
//! against: a bit set outside the mask is a reserved bit, rejected with INVALID FIELD IN CDB pointing at
//! it ([`check_reserved`]; this also rejects NACA=1, since NORMACA=0). The table also says which commands
//! the software fast path executes ([`Command::in_fast_path`]).

use core::ops::Deref;

use crate::reservation::{PrIn, PrOut, ReservationClass};
use crate::sense::{Asc, Sense};

/// A command the device servers implement (one per operation code and service action).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    TestUnitReady,
    RequestSense,
    Read6,
    Write6,
    Inquiry,
    ModeSelect6,
    Reserve6,
    Release6,
    ModeSense6,
    StartStopUnit,
    ReadCapacity10,
    Read10,
    Write10,
    PreFetch10,
    WriteAndVerify10,
    Verify10,
    SynchronizeCache10,
    ReadDefectData10,
    WriteSame10,
    Unmap,
    ModeSelect10,
    Reserve10,
    Release10,
    ModeSense10,
    PersistentReserveIn(PrIn),
    PersistentReserveOut(PrOut),
    ExtendedCopy,
    ReceiveCopyStatus,
    ReceiveCopyOperatingParameters,
    ReceiveCopyFailureDetails,
    Read16,
    CompareAndWrite,
    Write16,
    PreFetch16,
    OrWrite16,
    WriteAndVerify16,
    Verify16,
    SynchronizeCache16,
    WriteSame16,
    WriteAtomic16,
    ReadCapacity16,
    GetLbaStatus,
    ReportLuns,
    ReportTargetPortGroups,
    ReportSupportedOperationCodes,
    Read12,
    Write12,
    ReadDefectData12,
    WriteAndVerify12,
    Verify12,
}

impl Command {
    /// The commands the software fast path executes; the rest are the reference model's alone.
    pub const fn in_fast_path(self) -> bool {
        matches!(
            self,
            Command::Read6
                | Command::Write6
                | Command::Read10
                | Command::Write10
                | Command::Read12
                | Command::Write12
                | Command::WriteAtomic16
                | Command::WriteAndVerify10
                | Command::Verify10
                | Command::WriteSame10
                | Command::Unmap
                | Command::ExtendedCopy
                | Command::Read16
                | Command::CompareAndWrite
                | Command::Write16
                | Command::OrWrite16
                | Command::WriteAndVerify16
                | Command::Verify16
                | Command::WriteSame16
                | Command::WriteAndVerify12
                | Command::Verify12
        )
    }

    /// Whether the command accesses the medium, so that a stopped unit refuses it (SBC-4 power conditions): the reads
    /// and writes, everything that reads or changes provisioning or capacity, SYNCHRONIZE CACHE and
    /// PRE-FETCH; TEST UNIT READY reports the state. Inquiries, mode pages, reports, READ DEFECT DATA
    /// (the list is the device server's, not the medium's), copy results and START STOP UNIT itself
    /// are answered.
    pub const fn accesses_medium(self) -> bool {
        // Everything the fast path executes moves block data.
        self.in_fast_path()
            || matches!(
                self,
                Command::TestUnitReady
                    | Command::ReadCapacity10
                    | Command::PreFetch10
                    | Command::SynchronizeCache10
                    | Command::PreFetch16
                    | Command::SynchronizeCache16
                    | Command::ReadCapacity16
                    | Command::GetLbaStatus
            )
    }

    /// WRITE SAME (10) or (16).
    pub const fn is_write_same(self) -> bool {
        matches!(self, Command::WriteSame10 | Command::WriteSame16)
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct CommandSpec {
    pub command: Command,
    /// The name SPC-4 / SBC-4 give it.
    pub name: &'static str,
    pub opcode: u8,
    /// Service action (CDB byte 1, bits 4–0) for operation codes that have them.
    pub service_action: Option<u8>,
    /// CDB USAGE DATA: byte 0 is the operation code, later bytes the bits the device server interprets.
    pub usage: &'static [u8],
    /// How the command stands toward reservations held by other I_T nexuses.
    pub reservation: ReservationClass,
}

/// Bytes of the longest CDB in the table.
pub const MAX_CDB_LEN: usize = 16;

/// WRITE SAME's ANCHOR and UNMAP bits (CDB byte 1): meaningful only on a thin unit.
const WRITE_SAME_PROVISIONING_BITS: u8 = 0x18;

impl CommandSpec {
    pub fn cdb_len(&self) -> usize {
        self.usage.len()
    }

    /// Whether the command is supported on a unit: UNMAP needs a thin one (LBPU=0 on a fully provisioned
    /// unit).
    pub fn supported(&self, fully_provisioned: bool) -> bool {
        !(self.command == Command::Unmap && fully_provisioned)
    }

    /// The usage mask on a unit: on a fully provisioned unit WRITE SAME has no ANCHOR or UNMAP bit.
    pub fn usage(&self, fully_provisioned: bool) -> Usage {
        let mut usage = Usage { bytes: [0; MAX_CDB_LEN], len: self.usage.len() };
        usage.bytes[..self.usage.len()].copy_from_slice(self.usage);
        if self.command.is_write_same() && fully_provisioned {
            usage.bytes[1] &= !WRITE_SAME_PROVISIONING_BITS;
        }
        usage
    }
}

/// A CDB usage mask as it applies to one unit ([`CommandSpec::usage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    bytes: [u8; MAX_CDB_LEN],
    len: usize,
}

impl Deref for Usage {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

const fn spec(
    command: Command,
    name: &'static str,
    service_action: Option<u8>,
    reservation: ReservationClass,
    usage: &'static [u8],
) -> CommandSpec {
    CommandSpec { command, name, opcode: usage[0], service_action, usage, reservation }
}

use ReservationClass::{Allowed, CopyManager, Exclusive, Read, Spc2Conflict, Spc2Reservation};

/// RESERVE (10) / RELEASE (10) (SPC-2 7.21, 7.16): 3RDPTY, LONGID, THIRD-PARTY DEVICE ID and PARAMETER
/// LIST LENGTH are outside the mask — third-party reservations are not implemented, so any of them set
/// is INVALID FIELD IN CDB.
const RESERVE_RELEASE_10: [u8; 10] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// PERSISTENT RESERVE IN: SERVICE ACTION and ALLOCATION LENGTH (SPC-4 6.15.1).
const PRIN: [u8; 10] = [0x5E, 0x1F, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0];

/// PERSISTENT RESERVE OUT: SERVICE ACTION, SCOPE and TYPE, PARAMETER LIST LENGTH (SPC-4 6.16.1).
const PROUT: [u8; 10] = [0x5F, 0x1F, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0];

const fn with_opcode(opcode: u8, mut usage: [u8; 10]) -> [u8; 10] {
    usage[0] = opcode;
    usage
}

/// Operation codes whose SERVICE ACTION SPC-4 treats as a CDB field: an unsupported one is INVALID FIELD
/// IN CDB (SPC-4 6.15.1, 6.16.1), not an unknown command.
const SERVICE_ACTION_FIELD: [u8; 2] = [0x5E, 0x5F];

/// Every command, in operation-code (then service-action) order.
pub static COMMANDS: &[CommandSpec] = &[
    spec(Command::TestUnitReady, "TEST UNIT READY", None, Spc2Conflict, &[0x00, 0, 0, 0, 0, 0]),
    // DESC (byte 1, bit 0) and ALLOCATION LENGTH.
    spec(Command::RequestSense, "REQUEST SENSE", None, Allowed, &[0x03, 0x01, 0, 0, 0xFF, 0]),
    // LOGICAL BLOCK ADDRESS: byte 1 bits 4–0 and bytes 2–3 (21 bits); TRANSFER LENGTH byte 4 (0 = 256).
    spec(Command::Read6, "READ(6)", None, Read, &[0x08, 0x1F, 0xFF, 0xFF, 0xFF, 0]),
    spec(Command::Write6, "WRITE(6)", None, Exclusive, &[0x0A, 0x1F, 0xFF, 0xFF, 0xFF, 0]),
    spec(Command::Inquiry, "INQUIRY", None, Allowed, &[0x12, 0x01, 0xFF, 0xFF, 0xFF, 0]),
    spec(Command::ModeSelect6, "MODE SELECT(6)", None, Exclusive, &[0x15, 0x11, 0, 0, 0xFF, 0]),
    spec(Command::Reserve6, "RESERVE(6)", None, Spc2Reservation, &[0x16, 0, 0, 0, 0, 0]),
    spec(Command::Release6, "RELEASE(6)", None, Spc2Reservation, &[0x17, 0, 0, 0, 0, 0]),
    spec(Command::ModeSense6, "MODE SENSE(6)", None, Exclusive, &[0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0]),
    // IMMED; POWER CONDITION MODIFIER; POWER CONDITION, NO_FLUSH and START. LOEJ (byte 4, bit 1) is
    // reserved here: no unit has a removable medium.
    spec(Command::StartStopUnit, "START STOP UNIT", None, Exclusive, &[0x1B, 0x01, 0, 0x0F, 0xF5, 0]),
    spec(Command::ReadCapacity10, "READ CAPACITY(10)", None, Allowed, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    spec(Command::Read10, "READ(10)", None, Read, &[0x28, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    spec(Command::Write10, "WRITE(10)", None, Exclusive, &[0x2A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    // WRITE AND VERIFY and VERIFY, byte 1: WRPROTECT / VRPROTECT (bits 7–5), DPO (4), BYTCHK (2–1); bit 3 is
    // reserved and bit 0 obsolete (SBC-4 5.34–5.36, 5.45–5.47). Which BYTCHK values are defined is each
    // command's to check.
    spec(
        Command::WriteAndVerify10,
        "WRITE AND VERIFY(10)",
        None,
        Exclusive,
        &[0x2E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0],
    ),
    spec(Command::Verify10, "VERIFY(10)", None, Read, &[0x2F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    // IMMED (byte 1, bit 1), LBA, GROUP NUMBER, PREFETCH LENGTH.
    spec(Command::PreFetch10, "PRE-FETCH(10)", None, Read, &[0x34, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    // IMMED (byte 1, bit 1) only: SYNC_NV (bit 2) and RELADR (bit 0) are obsolete in SBC-4.
    spec(
        Command::SynchronizeCache10,
        "SYNCHRONIZE CACHE(10)",
        None,
        Exclusive,
        &[0x35, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0],
    ),
    // REQ_PLIST, REQ_GLIST and DEFECT LIST FORMAT in byte 2; ALLOCATION LENGTH.
    spec(Command::ReadDefectData10, "READ DEFECT DATA(10)", None, Read, &[0x37, 0, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(
        Command::WriteSame10,
        "WRITE SAME(10)",
        None,
        Exclusive,
        &[0x41, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0],
    ),
    spec(Command::Unmap, "UNMAP", None, Exclusive, &[0x42, 0x01, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, 0]),
    spec(Command::ModeSelect10, "MODE SELECT(10)", None, Exclusive, &[0x55, 0x11, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(Command::Reserve10, "RESERVE(10)", None, Spc2Reservation, &with_opcode(0x56, RESERVE_RELEASE_10)),
    spec(Command::Release10, "RELEASE(10)", None, Spc2Reservation, &with_opcode(0x57, RESERVE_RELEASE_10)),
    spec(Command::ModeSense10, "MODE SENSE(10)", None, Exclusive, &[0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(Command::PersistentReserveIn(PrIn::ReadKeys), "PERSISTENT RESERVE IN(READ KEYS)", Some(0x00), Allowed, &PRIN),
    spec(
        Command::PersistentReserveIn(PrIn::ReadReservation),
        "PERSISTENT RESERVE IN(READ RESERVATION)",
        Some(0x01),
        Allowed,
        &PRIN,
    ),
    spec(
        Command::PersistentReserveIn(PrIn::ReportCapabilities),
        "PERSISTENT RESERVE IN(REPORT CAPABILITIES)",
        Some(0x02),
        Allowed,
        &PRIN,
    ),
    spec(
        Command::PersistentReserveIn(PrIn::ReadFullStatus),
        "PERSISTENT RESERVE IN(READ FULL STATUS)",
        Some(0x03),
        Allowed,
        &PRIN,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::Register),
        "PERSISTENT RESERVE OUT(REGISTER)",
        Some(0x00),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::Reserve),
        "PERSISTENT RESERVE OUT(RESERVE)",
        Some(0x01),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::Release),
        "PERSISTENT RESERVE OUT(RELEASE)",
        Some(0x02),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::Clear),
        "PERSISTENT RESERVE OUT(CLEAR)",
        Some(0x03),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::Preempt),
        "PERSISTENT RESERVE OUT(PREEMPT)",
        Some(0x04),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::PreemptAndAbort),
        "PERSISTENT RESERVE OUT(PREEMPT AND ABORT)",
        Some(0x05),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::PersistentReserveOut(PrOut::RegisterAndIgnoreExistingKey),
        "PERSISTENT RESERVE OUT(REGISTER AND IGNORE EXISTING KEY)",
        Some(0x06),
        Spc2Conflict,
        &PROUT,
    ),
    spec(
        Command::ExtendedCopy,
        "EXTENDED COPY(LID1)",
        Some(0x00),
        CopyManager,
        &[0x83, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReceiveCopyStatus,
        "RECEIVE COPY STATUS(LID1)",
        Some(0x00),
        Exclusive,
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReceiveCopyOperatingParameters,
        "RECEIVE COPY OPERATING PARAMETERS",
        Some(0x03),
        Exclusive,
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReceiveCopyFailureDetails,
        "RECEIVE COPY FAILURE DETAILS(LID1)",
        Some(0x04),
        Exclusive,
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::Read16,
        "READ(16)",
        None,
        Read,
        &[0x88, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::CompareAndWrite,
        "COMPARE AND WRITE",
        None,
        Exclusive,
        &[0x89, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::Write16,
        "WRITE(16)",
        None,
        Exclusive,
        &[0x8A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    // ORPROTECT (bits 7–5), DPO, FUA; FUA_NV (bit 1) is obsolete. No BMOP field: the OR operation.
    spec(
        Command::OrWrite16,
        "ORWRITE(16)",
        None,
        Exclusive,
        &[0x8B, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::WriteAndVerify16,
        "WRITE AND VERIFY(16)",
        None,
        Exclusive,
        &[0x8E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::Verify16,
        "VERIFY(16)",
        None,
        Read,
        &[0x8F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::PreFetch16,
        "PRE-FETCH(16)",
        None,
        Read,
        &[0x90, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::SynchronizeCache16,
        "SYNCHRONIZE CACHE(16)",
        None,
        Exclusive,
        &[0x91, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::WriteSame16,
        "WRITE SAME(16)",
        None,
        Exclusive,
        &[0x93, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    // WRPROTECT, DPO, FUA; LBA; ATOMIC BOUNDARY (bytes 10–11); TRANSFER LENGTH (12–13); GROUP NUMBER.
    spec(
        Command::WriteAtomic16,
        "WRITE ATOMIC(16)",
        None,
        Exclusive,
        &[0x9C, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::ReadCapacity16,
        "READ CAPACITY(16)",
        Some(0x10),
        Allowed,
        &[0x9E, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::GetLbaStatus,
        "GET LBA STATUS",
        Some(0x12),
        Read,
        &[0x9E, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(Command::ReportLuns, "REPORT LUNS", None, Allowed, &[0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]),
    // Byte 1: PARAMETER DATA FORMAT (bits 7–5) takes 000b (length only) and 001b (extended header) —
    // bit 5 alone; the rest are reserved values.
    spec(
        Command::ReportTargetPortGroups,
        "REPORT TARGET PORT GROUPS",
        Some(0x0A),
        Allowed,
        &[0xA3, 0x3F, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReportSupportedOperationCodes,
        "REPORT SUPPORTED OPERATION CODES",
        Some(0x0C),
        Allowed,
        &[0xA3, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    // As READ/WRITE (10), with a 4-byte TRANSFER LENGTH at bytes 6–9; GROUP NUMBER in byte 10.
    spec(
        Command::Read12,
        "READ(12)",
        None,
        Read,
        &[0xA8, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::Write12,
        "WRITE(12)",
        None,
        Exclusive,
        &[0xAA, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::WriteAndVerify12,
        "WRITE AND VERIFY(12)",
        None,
        Exclusive,
        &[0xAE, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::Verify12,
        "VERIFY(12)",
        None,
        Read,
        &[0xAF, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    // REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT; ADDRESS DESCRIPTOR INDEX; ALLOCATION LENGTH.
    spec(
        Command::ReadDefectData12,
        "READ DEFECT DATA(12)",
        None,
        Read,
        &[0xB7, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
];

/// True when some command in the table uses service actions under `opcode`.
pub fn has_service_actions(opcode: u8) -> bool {
    COMMANDS.iter().any(|c| c.opcode == opcode && c.service_action.is_some())
}

/// The command a CDB names, or INVALID COMMAND OPERATION CODE. The service action is read only for the
/// operation codes that have one (an EXTENDED COPY without a byte 1 names no command); for PERSISTENT
/// RESERVE IN and OUT an unsupported one is INVALID FIELD IN CDB at byte 1.
pub fn lookup(cdb: &[u8]) -> Result<&'static CommandSpec, Sense> {
    let invalid = || Sense::illegal(Asc::INVALID_OPERATION_CODE);
    let &opcode = cdb.first().ok_or_else(invalid)?;
    let service_action = cdb.get(1).map(|b| b & 0x1F);
    let found = COMMANDS
        .iter()
        .find(|c| c.opcode == opcode && (c.service_action.is_none() || c.service_action == service_action));
    match found {
        Some(spec) => Ok(spec),
        None if SERVICE_ACTION_FIELD.contains(&opcode) && service_action.is_some() => {
            Err(Sense::invalid_cdb_field(1, Some(4)))
        }
        None => Err(invalid()),
    }
}

/// Checks a CDB's length and reserved bits against a usage mask. A CDB longer than the command (a
/// transport's 16-byte CDB field) is read for the command's length only; a shorter one is INVALID FIELD
/// IN CDB pointing at byte 0; a set bit outside the mask, INVALID FIELD IN CDB pointing at the highest
/// such bit of the first byte that has one.
pub fn check_reserved(usage: &[u8], cdb: &[u8]) -> Result<(), Sense> {
    if cdb.len() < usage.len() {
        return Err(Sense::invalid_cdb_field(0, None));
    }
    for (i, (&byte, &usage)) in cdb.iter().zip(usage).enumerate().skip(1) {
        let reserved = byte & !usage;
        if reserved != 0 {
            return Err(Sense::invalid_cdb_field(i as u16, Some(7 - reserved.leading_zeros() as u8)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_consistent() {
        for pair in COMMANDS.windows(2) {
            let key = |c: &CommandSpec| (c.opcode, c.service_action);
            assert!(key(&pair[0]) < key(&pair[1]), "{} before {}", pair[0].name, pair[1].name);
        }
        for c in COMMANDS {
            // SPC-4 CDB lengths by operation code group.
            let expected = match c.opcode >> 5 {
                0 => 6,
                1 | 2 => 10,
                4 => 16,
                5 => 12,
                _ => unreachable!("no vendor-specific opcodes"),
            };
            assert_eq!(c.cdb_len(), expected, "{}", c.name);
            assert!(c.cdb_len() <= MAX_CDB_LEN);
            if c.service_action.is_some() {
                assert_eq!(c.usage[1] & 0x1F, 0x1F, "{}: service action bits", c.name);
            }
        }
    }

    #[test]
    fn lookup_distinguishes_service_actions() {
        assert_eq!(lookup(&[0x9E, 0x10]).unwrap().command, Command::ReadCapacity16);
        assert_eq!(lookup(&[0x9E, 0x12]).unwrap().command, Command::GetLbaStatus);
        assert_eq!(lookup(&[0x9E, 0x11]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE);
        assert_eq!(lookup(&[0xA3, 0x0A]).unwrap().command, Command::ReportTargetPortGroups);
        assert_eq!(lookup(&[0xA3, 0x2A]).unwrap().command, Command::ReportTargetPortGroups, "extended header");
        assert_eq!(lookup(&[0xA3, 0x0C]).unwrap().command, Command::ReportSupportedOperationCodes);
        assert_eq!(lookup(&[0x83]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE, "no service action byte");
        assert_eq!(lookup(&[0x83, 0x01]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE, "LID4 is not implemented");
        assert_eq!(lookup(&[0xFF]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE);
        assert_eq!(lookup(&[]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE);
    }

    #[test]
    fn reserved_bits_point_at_the_highest_offending_bit() {
        let tur = lookup(&[0]).unwrap().usage;
        assert!(check_reserved(tur, &[0; 6]).is_ok());
        assert!(check_reserved(tur, &[0; 16]).is_ok(), "a padded CDB is fine");
        let err = check_reserved(tur, &[0, 0, 0, 0, 0, 0x04]).unwrap_err();
        assert_eq!(err, Sense::invalid_cdb_field(5, Some(2)), "NACA");
        let err = check_reserved(tur, &[0, 0x30, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(err, Sense::invalid_cdb_field(1, Some(5)));
        assert_eq!(check_reserved(tur, &[0; 5]).unwrap_err(), Sense::invalid_cdb_field(0, None));
    }

    #[test]
    fn write_same_and_unmap_on_a_fully_provisioned_unit() {
        let ws16 = lookup(&[0x93]).unwrap();
        assert_eq!(ws16.usage(false)[1], 0xF9);
        assert_eq!(ws16.usage(true)[1], 0xE1, "no ANCHOR or UNMAP");
        assert_eq!(&ws16.usage(true)[2..], &ws16.usage[2..]);
        let unmap = lookup(&[0x42]).unwrap();
        assert!(unmap.supported(false) && !unmap.supported(true));
        assert!(COMMANDS.iter().filter(|c| c.command != Command::Unmap).all(|c| c.supported(true)));
    }

    #[test]
    fn synchronize_cache_takes_immed_only_in_byte_1() {
        // SBC-4 tables 199 and 201: byte 1 bit 1 IMMED; bits 2 (SYNC_NV) and 0 obsolete or reserved.
        let sc10 = lookup(&[0x35]).unwrap();
        let sc16 = lookup(&[0x91]).unwrap();
        assert_eq!((sc10.command, sc16.command), (Command::SynchronizeCache10, Command::SynchronizeCache16));
        assert_eq!((sc10.usage[1], sc16.usage[1]), (0x02, 0x02));
        assert_eq!((sc10.usage[6], sc16.usage[14]), (0x1F, 0x1F), "GROUP NUMBER");
        let err = check_reserved(sc10.usage, &[0x35, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(err, Sense::invalid_cdb_field(1, Some(2)), "SYNC_NV");
        assert!(!sc10.command.in_fast_path() && !sc16.command.in_fast_path(), "the model serves it");
    }

    #[test]
    fn persistent_reserve_service_actions_are_a_cdb_field() {
        assert_eq!(lookup(&[0x5E, 0x03]).unwrap().command, Command::PersistentReserveIn(PrIn::ReadFullStatus));
        assert_eq!(
            lookup(&[0x5F, 0x06]).unwrap().command,
            Command::PersistentReserveOut(PrOut::RegisterAndIgnoreExistingKey)
        );
        // SPC-4 6.15.1 / 6.16.1: an unsupported service action is INVALID FIELD IN CDB at byte 1 bit 4.
        assert_eq!(lookup(&[0x5E, 0x04]).unwrap_err(), Sense::invalid_cdb_field(1, Some(4)));
        assert_eq!(lookup(&[0x5F, 0x07]).unwrap_err(), Sense::invalid_cdb_field(1, Some(4)), "REGISTER AND MOVE");
        assert_eq!(lookup(&[0x5F]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE, "no service action byte");
    }

    #[test]
    fn reservation_classes_follow_the_spc4_and_sbc4_tables() {
        let class = |cdb: &[u8]| lookup(cdb).unwrap().reservation;
        // SBC-4: reads shared under Write Exclusive; writes, SYNCHRONIZE CACHE, UNMAP exclusive.
        for read in [0x28, 0x88] {
            assert_eq!(class(&[read]), ReservationClass::Read);
        }
        assert_eq!(class(&[0x9E, 0x12]), ReservationClass::Read, "GET LBA STATUS");
        for write in [0x2A, 0x8A, 0x89, 0x41, 0x93, 0x42, 0x35, 0x91] {
            assert_eq!(class(&[write]), ReservationClass::Exclusive, "{write:#x}");
        }
        // SPC-4: MODE SENSE conflicts like a write; INQUIRY, REPORT LUNS, READ CAPACITY never.
        assert_eq!(class(&[0x1A]), ReservationClass::Exclusive);
        for allowed in [&[0x12][..], &[0xA0], &[0x25], &[0x9E, 0x10], &[0x5E, 0x00]] {
            assert_eq!(class(allowed), ReservationClass::Allowed, "{allowed:x?}");
        }
        assert_eq!(class(&[0x00]), ReservationClass::Spc2Conflict, "TEST UNIT READY");
        assert_eq!(class(&[0x83, 0x00]), ReservationClass::CopyManager);
        for reserve in [0x16, 0x17, 0x56, 0x57] {
            assert_eq!(class(&[reserve]), ReservationClass::Spc2Reservation);
        }
    }

    #[test]
    fn six_and_twelve_byte_reads_and_writes() {
        // SBC-4 READ (6) / WRITE (6) — 21-bit LBA, one-byte TRANSFER LENGTH, no flags.
        for (opcode, command) in [(0x08, Command::Read6), (0x0A, Command::Write6)] {
            let spec = lookup(&[opcode]).unwrap();
            assert_eq!((spec.command, spec.usage), (command, &[opcode, 0x1F, 0xFF, 0xFF, 0xFF, 0][..]));
        }
        // SBC-4 READ (12) / WRITE (12) — 4-byte LBA and TRANSFER LENGTH, the (10) flags.
        let read12 = lookup(&[0xA8]).unwrap();
        let write12 = lookup(&[0xAA]).unwrap();
        assert_eq!((read12.command, write12.command), (Command::Read12, Command::Write12));
        assert_eq!((read12.usage[1], write12.usage[1]), (0xFC, 0xF8));
        assert_eq!(&read12.usage[2..10], &[0xFF; 8]);
    }

    #[test]
    fn start_stop_unit_has_no_load_eject() {
        // SBC-4 START STOP UNIT: LOEJ is byte 4 bit 1; no unit is removable, so it is not interpreted.
        let ssu = lookup(&[0x1B]).unwrap();
        assert_eq!(ssu.command, Command::StartStopUnit);
        let err = check_reserved(ssu.usage, &[0x1B, 0, 0, 0, 0x02, 0]).unwrap_err();
        assert_eq!(err, Sense::invalid_cdb_field(4, Some(1)));
        assert!(check_reserved(ssu.usage, &[0x1B, 0x01, 0, 0, 0x15, 0]).is_ok(), "IMMED, ACTIVE, START");
    }

    #[test]
    fn medium_access_is_what_a_stopped_unit_refuses() {
        for c in COMMANDS {
            let informational = matches!(
                c.command,
                Command::Inquiry
                    | Command::RequestSense
                    | Command::Reserve6
                    | Command::Release6
                    | Command::Reserve10
                    | Command::Release10
                    | Command::PersistentReserveIn(_)
                    | Command::PersistentReserveOut(_)
                    | Command::ModeSelect6
                    | Command::ModeSense6
                    | Command::ModeSelect10
                    | Command::ModeSense10
                    | Command::StartStopUnit
                    | Command::ReadDefectData10
                    | Command::ReadDefectData12
                    | Command::ReceiveCopyStatus
                    | Command::ReceiveCopyOperatingParameters
                    | Command::ReceiveCopyFailureDetails
                    | Command::ReportLuns
                    | Command::ReportTargetPortGroups
                    | Command::ReportSupportedOperationCodes
            );
            assert_eq!(c.command.accesses_medium(), !informational, "{}", c.name);
        }
    }

    #[test]
    fn third_party_reserve_is_refused() {
        let reserve10 = lookup(&[0x56]).unwrap().usage;
        let err = check_reserved(reserve10, &[0x56, 0x10, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(err, Sense::invalid_cdb_field(1, Some(4)), "3RDPTY");
        let err = check_reserved(reserve10, &[0x56, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(err, Sense::invalid_cdb_field(1, Some(1)), "LONGID");
    }

    #[test]
    fn the_fast_path_executes_the_medium_commands() {
        let fast: [u8; 21] = [
            0x08, 0x0A, 0x28, 0x2A, 0x2E, 0x2F, 0x41, 0x42, 0x83, 0x88, 0x89, 0x8A, 0x8B, 0x8E, 0x8F, 0x93, 0x9C, 0xA8,
            0xAA, 0xAE, 0xAF,
        ];
        for c in COMMANDS {
            assert_eq!(c.command.in_fast_path(), fast.contains(&c.opcode), "{}", c.name);
        }
    }
}
