//! The blocks a command may touch, decided from its CDB alone: what a caller that runs commands on one
//! unit at once locks, and lends the fast path as a window ([`crate::Window`]) — two commands whose
//! footprints do not overlap touch disjoint memory, and may run side by side.
//!
//! A footprint covers every block the command reads or writes whatever its outcome (a command that
//! fails its checks touches less). Where the blocks are named only in the parameter list — UNMAP's
//! descriptors, EXTENDED COPY's segments and copy targets — it is the whole unit, or every unit; for
//! EXTENDED COPY, [`crate::FastPath::copy_footprint`] narrows it to the blocks its segments name.

use offload_scsi::command::{self, Command};
use offload_scsi::{Fields, block_fields};

use crate::commands::{NOLB_AT, read_write_fields, transfer_fields};

/// What a command may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Footprint {
    /// Blocks `start..end` of the addressed unit, clamped to its capacity. Empty for a command that
    /// touches no medium: one the fast path does not implement, a CDB too short, a range past the end.
    Blocks { start: u64, end: u64 },
    /// All of the addressed unit: UNMAP, whose ranges are in its parameter list.
    Unit,
    /// Every unit: EXTENDED COPY, whose copy targets and ranges are named in its parameter list —
    /// [`crate::FastPath::copy_footprint`] reads them, for a caller to lend the copy just those blocks.
    Every,
}

/// The footprint of the command `cdb` on a unit of `capacity` blocks.
pub fn footprint(cdb: &[u8], capacity: u64) -> Footprint {
    match command::lookup(cdb) {
        Ok(spec) if spec.command.in_fast_path() && cdb.len() >= spec.cdb_len() => of(spec.command, cdb, capacity),
        _ => Footprint::Blocks { start: 0, end: 0 },
    }
}

/// The most data-in the command `cdb` returns on a unit of `capacity` blocks of `block_size` bytes:
/// a READ's blocks, as far as its footprint goes; nothing for any other command the fast path runs. A
/// caller sizes the data-in buffer it lends [`crate::FastPath::execute`] by it (bounded by the limits'
/// MAXIMUM TRANSFER LENGTH, beyond which a READ is refused before it reads).
pub fn data_in_bytes(cdb: &[u8], capacity: u64, block_size: u32) -> u64 {
    let Ok(spec) = command::lookup(cdb) else { return 0 };
    let read = matches!(spec.command, Command::Read6 | Command::Read10 | Command::Read12 | Command::Read16);
    if !read || cdb.len() < spec.cdb_len() {
        return 0;
    }
    match of(spec.command, cdb, capacity) {
        Footprint::Blocks { start, end } => (end - start) * u64::from(block_size),
        Footprint::Unit | Footprint::Every => 0,
    }
}

/// The footprint of `command`, whose CDB `cdb` is as long as the command.
pub(crate) fn of(command: Command, cdb: &[u8], capacity: u64) -> Footprint {
    let (lba, blocks) = match command {
        Command::Unmap => return Footprint::Unit,
        Command::ExtendedCopy => return Footprint::Every,
        Command::CompareAndWrite => (cdb.be64(2), cdb[usize::from(NOLB_AT)].into()),
        Command::WriteSame10 | Command::WriteSame16 => {
            let (lba, blocks, _) = transfer_fields(cdb, command == Command::WriteSame16);
            // NUMBER OF LOGICAL BLOCKS 0: to the last LBA.
            (lba, if blocks == 0 { capacity.saturating_sub(lba) } else { blocks })
        }
        Command::Verify10
        | Command::Verify12
        | Command::Verify16
        | Command::WriteAndVerify10
        | Command::WriteAndVerify12
        | Command::WriteAndVerify16
        | Command::OrWrite16 => {
            let fields = block_fields(cdb);
            (fields.lba, fields.blocks)
        }
        Command::Read6
        | Command::Read10
        | Command::Read12
        | Command::Read16
        | Command::Write6
        | Command::Write10
        | Command::Write12
        | Command::Write16
        | Command::WriteAtomic16 => {
            let (lba, blocks, _) = read_write_fields(cdb, command);
            (lba, blocks)
        }
        // Not the fast path's (`Command::in_fast_path`): it touches nothing.
        _ => (0, 0),
    };
    Footprint::Blocks { start: lba.min(capacity), end: lba.saturating_add(blocks).min(capacity) }
}
