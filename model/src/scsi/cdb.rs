//! The command table and CDB reading.
//!
//! Each supported command is described once, here, by its operation code, service action, CDB length and
//! **CDB usage mask** — the bits the target interprets. The same mask is what REPORT SUPPORTED OPERATION
//! CODES returns (with the service action code itself in a SERVICE ACTION field, as SPC-4 6.35.3 asks),
//! and what every CDB is checked against: a bit set outside the mask is a reserved bit, rejected with
//! INVALID FIELD IN CDB pointing at it (this also rejects NACA=1, since NORMACA=0).

use super::sense::{Asc, Sense};
use crate::config::UnitConfig;

/// Which handler runs a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    TestUnitReady,
    Inquiry,
    ModeSelect6,
    ModeSense6,
    ReadCapacity10,
    Read10,
    Write10,
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
    WriteSame16,
    ReadCapacity16,
    GetLbaStatus,
    ReportLuns,
    ReportSupportedOperationCodes,
}

/// One supported command.
#[derive(Debug)]
pub struct CommandSpec {
    pub op: Op,
    pub name: &'static str,
    pub opcode: u8,
    /// Service action (in CDB byte 1, bits 4–0) for opcodes that have them.
    pub service_action: Option<u8>,
    /// CDB USAGE DATA: byte 0 is the operation code, later bytes the bits the target interprets.
    pub usage: &'static [u8],
}

impl CommandSpec {
    pub fn cdb_len(&self) -> usize {
        self.usage.len()
    }
}

const fn spec(op: Op, name: &'static str, service_action: Option<u8>, usage: &'static [u8]) -> CommandSpec {
    CommandSpec { op, name, opcode: usage[0], service_action, usage }
}

/// Every command the target supports, in operation-code order.
pub static COMMANDS: &[CommandSpec] = &[
    spec(Op::TestUnitReady, "TEST UNIT READY", None, &[0x00, 0, 0, 0, 0, 0]),
    spec(Op::Inquiry, "INQUIRY", None, &[0x12, 0x01, 0xFF, 0xFF, 0xFF, 0]),
    spec(Op::ModeSelect6, "MODE SELECT(6)", None, &[0x15, 0x11, 0, 0, 0xFF, 0]),
    spec(Op::ModeSense6, "MODE SENSE(6)", None, &[0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0]),
    spec(Op::ReadCapacity10, "READ CAPACITY(10)", None, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    spec(Op::Read10, "READ(10)", None, &[0x28, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    spec(Op::Write10, "WRITE(10)", None, &[0x2A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    spec(Op::WriteSame10, "WRITE SAME(10)", None, &[0x41, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0]),
    spec(Op::Unmap, "UNMAP", None, &[0x42, 0x01, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, 0]),
    spec(Op::ModeSelect10, "MODE SELECT(10)", None, &[0x55, 0x11, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(Op::ModeSense10, "MODE SENSE(10)", None, &[0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0]),
    spec(
        Op::ExtendedCopy,
        "EXTENDED COPY(LID1)",
        Some(0x00),
        &[0x83, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Op::ReceiveCopyStatus,
        "RECEIVE COPY STATUS(LID1)",
        Some(0x00),
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Op::ReceiveCopyOperatingParameters,
        "RECEIVE COPY OPERATING PARAMETERS",
        Some(0x03),
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Op::ReceiveCopyFailureDetails,
        "RECEIVE COPY FAILURE DETAILS(LID1)",
        Some(0x04),
        &[0x84, 0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Op::Read16,
        "READ(16)",
        None,
        &[0x88, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Op::CompareAndWrite,
        "COMPARE AND WRITE",
        None,
        &[0x89, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0x1F, 0],
    ),
    spec(
        Op::Write16,
        "WRITE(16)",
        None,
        &[0x8A, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Op::WriteSame16,
        "WRITE SAME(16)",
        None,
        &[0x93, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0],
    ),
    spec(
        Op::ReadCapacity16,
        "READ CAPACITY(16)",
        Some(0x10),
        &[0x9E, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(
        Op::GetLbaStatus,
        "GET LBA STATUS",
        Some(0x12),
        &[0x9E, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
    spec(Op::ReportLuns, "REPORT LUNS", None, &[0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0]),
    spec(
        Op::ReportSupportedOperationCodes,
        "REPORT SUPPORTED OPERATION CODES",
        Some(0x0C),
        &[0xA3, 0x1F, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0],
    ),
];

/// WRITE SAME's ANCHOR and UNMAP bits (CDB byte 1): meaningful only on a thin unit.
const WRITE_SAME_PROVISIONING_BITS: u8 = 0x18;

/// Whether `spec` is supported on `unit`: UNMAP needs a thin unit (LBPU=0 on a thick one).
pub fn supported_on(spec: &CommandSpec, unit: Option<&UnitConfig>) -> bool {
    spec.op != Op::Unmap || unit.is_none_or(|u| u.thin)
}

/// The usage mask of `spec` on `unit` (`None`: a LUN that is not reachable): on a fully provisioned unit
/// WRITE SAME has no ANCHOR or UNMAP bit.
pub fn usage_on(spec: &CommandSpec, unit: Option<&UnitConfig>) -> Vec<u8> {
    let mut usage = spec.usage.to_vec();
    if matches!(spec.op, Op::WriteSame10 | Op::WriteSame16) && unit.is_some_and(|u| !u.thin) {
        usage[1] &= !WRITE_SAME_PROVISIONING_BITS;
    }
    usage
}

/// True when some supported command uses service actions under `opcode`.
pub fn has_service_actions(opcode: u8) -> bool {
    COMMANDS.iter().any(|c| c.opcode == opcode && c.service_action.is_some())
}

/// The command a CDB names, or INVALID COMMAND OPERATION CODE.
pub fn lookup(cdb: &[u8]) -> Result<&'static CommandSpec, Sense> {
    let invalid = || Sense::illegal(Asc::INVALID_OPERATION_CODE);
    let &opcode = cdb.first().ok_or_else(invalid)?;
    let service_action = cdb.get(1).map(|b| b & 0x1F);
    COMMANDS
        .iter()
        .find(|c| c.opcode == opcode && (c.service_action.is_none() || c.service_action == service_action))
        .ok_or_else(invalid)
}

/// Checks a CDB's length and reserved bits against a usage mask (see [`usage_on`]). A CDB longer than the
/// command (a transport's 16-byte CDB field) is read for the command's length only.
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

/// Big-endian field readers over a CDB or parameter list, for offsets the caller has length-checked.
pub trait Fields {
    fn be16(&self, at: usize) -> u16;
    fn be24(&self, at: usize) -> u32;
    fn be32(&self, at: usize) -> u32;
    fn be64(&self, at: usize) -> u64;
}

impl Fields for [u8] {
    fn be16(&self, at: usize) -> u16 {
        u16::from_be_bytes([self[at], self[at + 1]])
    }
    fn be24(&self, at: usize) -> u32 {
        u32::from_be_bytes([0, self[at], self[at + 1], self[at + 2]])
    }
    fn be32(&self, at: usize) -> u32 {
        u32::from_be_bytes(self[at..at + 4].try_into().expect("four bytes"))
    }
    fn be64(&self, at: usize) -> u64 {
        u64::from_be_bytes(self[at..at + 8].try_into().expect("eight bytes"))
    }
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
            if c.service_action.is_some() {
                assert_eq!(c.usage[1] & 0x1F, 0x1F, "{}: service action bits", c.name);
            }
        }
    }

    #[test]
    fn lookup_distinguishes_service_actions() {
        assert_eq!(lookup(&[0x9E, 0x10]).unwrap().op, Op::ReadCapacity16);
        assert_eq!(lookup(&[0x9E, 0x12]).unwrap().op, Op::GetLbaStatus);
        assert_eq!(lookup(&[0x9E, 0x11]).unwrap_err().asc, Asc::INVALID_OPERATION_CODE);
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
}
