//! The command table: every command the kit's device servers implement, described once by its operation
//! code, service action, CDB length and **CDB usage mask** — the bits the device server interprets.
//!
//! The mask is what REPORT SUPPORTED OPERATION CODES returns (SPC-4 6.35.3) and what every CDB is checked
//! against: a bit set outside the mask is a reserved bit, rejected with INVALID FIELD IN CDB pointing at
//! it ([`check_reserved`]; this also rejects NACA=1, since NORMACA=0). The table also says which commands
//! the software fast path executes ([`Command::in_fast_path`]).

use core::ops::Deref;

use crate::sense::{Asc, Sense};

/// A command the device servers implement (one per operation code and service action).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    TestUnitReady,
    Inquiry,
    ModeSelect6,
    ModeSense6,
    ReadCapacity10,
    Read10,
    Write10,
    WriteAndVerify10,
    Verify10,
    SynchronizeCache10,
    WriteSame10,
    Unmap,
    ModeSelect10,
    ModeSense10,
    ExtendedCopy,
    ReceiveCopyStatus,
    ReceiveCopyOperatingParameters,
    ReceiveCopyFailureDetails,
    Read16,
    CompareAndWrite,
    Write16,
    OrWrite16,
    WriteAndVerify16,
    Verify16,
    SynchronizeCache16,
    WriteSame16,
    ReadCapacity16,
    GetLbaStatus,
    ReportLuns,
    ReportTargetPortGroups,
    ReportSupportedOperationCodes,
    WriteAndVerify12,
    Verify12,
}

impl Command {
    /// The commands the software fast path executes; the rest are the reference model's alone.
    pub const fn in_fast_path(self) -> bool {
        matches!(
            self,
            Command::Read10
                | Command::Write10
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

const fn spec(command: Command, name: &'static str, service_action: Option<u8>, usage: &'static [u8]) -> CommandSpec {
    CommandSpec { command, name, opcode: usage[0], service_action, usage }
}

/// Every command, in operation-code (then service-action) order.
pub static COMMANDS: &[CommandSpec] = &[
    spec(Command::TestUnitReady, "TEST UNIT READY", None, &[0x00, 0, 0, 0, 0, 0]),
    spec(Command::Inquiry, "INQUIRY", None, &[0x12, 0x01, 0xFF, 0xFF, 0xFF, 0]),
    spec(Command::ModeSelect6, "MODE SELECT(6)", None, &[0x15, 0x11, 0, 0, 0xFF, 0]),
    spec(Command::ModeSense6, "MODE SENSE(6)", None, &[0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0]),
    spec(Command::ReadCapacity10, "READ CAPACITY(10)", None, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    spec(Command::Read10, "READ(10)", None, &[0x28, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    spec(Command::Write10, "WRITE(10)", None, &[0x2A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    // WRITE AND VERIFY and VERIFY, byte 1: WRPROTECT / VRPROTECT (bits 7–5), DPO (4), BYTCHK (2–1); bit 3 is
    // reserved and bit 0 obsolete (SBC-4 5.34–5.36, 5.45–5.47). Which BYTCHK values are defined is each
    // command's to check.
    spec(
        Command::WriteAndVerify10,
        "WRITE AND VERIFY(10)",
        None,
        &[0x2E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0],
    ),
    spec(Command::Verify10, "VERIFY(10)", None, &[0x2F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    // IMMED (byte 1, bit 1) only: SYNC_NV (bit 2) and RELADR (bit 0) are obsolete in SBC-4.
    spec(
        Command::SynchronizeCache10,
        "SYNCHRONIZE CACHE(10)",
        None,
        &[0x35, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0],
    ),
    spec(Command::WriteSame10, "WRITE SAME(10)", None, &[0x41, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    spec(Command::Unmap, "UNMAP", None, &[0x42, 0x01, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, 0]),
    spec(Command::ModeSelect10, "MODE SELECT(10)", None, &[0x55, 0x11, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(Command::ModeSense10, "MODE SENSE(10)", None, &[0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(
        Command::ExtendedCopy,
        "EXTENDED COPY(LID1)",
        Some(0x00),
        &[0x83, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReceiveCopyStatus,
        "RECEIVE COPY STATUS(LID1)",
        Some(0x00),
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReceiveCopyOperatingParameters,
        "RECEIVE COPY OPERATING PARAMETERS",
        Some(0x03),
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReceiveCopyFailureDetails,
        "RECEIVE COPY FAILURE DETAILS(LID1)",
        Some(0x04),
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::Read16,
        "READ(16)",
        None,
        &[0x88, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::CompareAndWrite,
        "COMPARE AND WRITE",
        None,
        &[0x89, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::Write16,
        "WRITE(16)",
        None,
        &[0x8A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    // ORPROTECT (bits 7–5), DPO, FUA; FUA_NV (bit 1) is obsolete. No BMOP field: the OR operation.
    spec(
        Command::OrWrite16,
        "ORWRITE(16)",
        None,
        &[0x8B, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::WriteAndVerify16,
        "WRITE AND VERIFY(16)",
        None,
        &[0x8E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::Verify16,
        "VERIFY(16)",
        None,
        &[0x8F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::SynchronizeCache16,
        "SYNCHRONIZE CACHE(16)",
        None,
        &[0x91, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::WriteSame16,
        "WRITE SAME(16)",
        None,
        &[0x93, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Command::ReadCapacity16,
        "READ CAPACITY(16)",
        Some(0x10),
        &[0x9E, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::GetLbaStatus,
        "GET LBA STATUS",
        Some(0x12),
        &[0x9E, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(Command::ReportLuns, "REPORT LUNS", None, &[0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]),
    // Byte 1: PARAMETER DATA FORMAT (bits 7–5) takes 000b (length only) and 001b (extended header) —
    // bit 5 alone; the rest are reserved values.
    spec(
        Command::ReportTargetPortGroups,
        "REPORT TARGET PORT GROUPS",
        Some(0x0A),
        &[0xA3, 0x3F, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::ReportSupportedOperationCodes,
        "REPORT SUPPORTED OPERATION CODES",
        Some(0x0C),
        &[0xA3, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Command::WriteAndVerify12,
        "WRITE AND VERIFY(12)",
        None,
        &[0xAE, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(Command::Verify12, "VERIFY(12)", None, &[0xAF, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0]),
];

/// True when some command in the table uses service actions under `opcode`.
pub fn has_service_actions(opcode: u8) -> bool {
    COMMANDS.iter().any(|c| c.opcode == opcode && c.service_action.is_some())
}

/// The command a CDB names, or INVALID COMMAND OPERATION CODE. The service action is read only for the
/// operation codes that have one (an EXTENDED COPY without a byte 1 names no command).
pub fn lookup(cdb: &[u8]) -> Result<&'static CommandSpec, Sense> {
    let invalid = || Sense::illegal(Asc::INVALID_OPERATION_CODE);
    let &opcode = cdb.first().ok_or_else(invalid)?;
    let service_action = cdb.get(1).map(|b| b & 0x1F);
    COMMANDS
        .iter()
        .find(|c| c.opcode == opcode && (c.service_action.is_none() || c.service_action == service_action))
        .ok_or_else(invalid)
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
    fn the_fast_path_executes_the_medium_commands() {
        let fast: [u8; 16] =
            [0x28, 0x2A, 0x2E, 0x2F, 0x41, 0x42, 0x83, 0x88, 0x89, 0x8A, 0x8B, 0x8E, 0x8F, 0x93, 0xAE, 0xAF];
        for c in COMMANDS {
            assert_eq!(c.command.in_fast_path(), fast.contains(&c.opcode), "{}", c.name);
        }
    }
}
