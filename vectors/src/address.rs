//! The engines' address map: one flat 64-bit byte address space over every logical unit and the
//! staging buffers that hold each command's host data.
//!
//! ```text
//!  63            48 47                                        0
//! +----------------+-------------------------------------------+
//! |  region        |  byte offset                              |
//! +----------------+-------------------------------------------+
//!   0x0000..=0x00FF  logical unit N: offset = LBA × block size
//!   0xFFFF           staging buffers: offset = slot << 32 | byte
//! ```
//!
//! Because a unit's blocks are a contiguous address range, the range-lock unit compares plain address
//! intervals and never needs to know about units; and the RTL's memory master needs no translation.

/// Bits of byte offset under the region number.
pub const UNIT_SHIFT: u32 = 48;
/// Region number of the staging buffers, where host data-out and data-in are held during a command.
pub const BUFFER_REGION: u16 = 0xFFFF;
/// Bits of byte offset within one staging buffer.
pub const BUFFER_SLOT_SHIFT: u32 = 32;

const OFFSET_MASK: u64 = (1 << UNIT_SHIFT) - 1;

/// What an engine address points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Logical unit (by index) at a byte offset.
    Unit { unit: u16, offset: u64 },
    /// A staging buffer (by slot) at a byte offset.
    Buffer { slot: u16, offset: u64 },
}

/// Address of byte `lba × block_size` of `unit`.
pub fn unit_address(unit: u16, lba: u64, block_size: u32) -> u64 {
    (u64::from(unit) << UNIT_SHIFT) | (lba * u64::from(block_size))
}

/// Address of byte `offset` of staging buffer `slot`.
pub fn buffer_address(slot: u16, offset: u64) -> u64 {
    (u64::from(BUFFER_REGION) << UNIT_SHIFT) | (u64::from(slot) << BUFFER_SLOT_SHIFT) | offset
}

/// Splits an engine address into its region and offset.
pub fn decode(address: u64) -> Region {
    let region = (address >> UNIT_SHIFT) as u16;
    let offset = address & OFFSET_MASK;
    if region == BUFFER_REGION {
        Region::Buffer { slot: (offset >> BUFFER_SLOT_SHIFT) as u16, offset: offset & ((1 << BUFFER_SLOT_SHIFT) - 1) }
    } else {
        Region::Unit { unit: region, offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        assert_eq!(decode(unit_address(3, 10, 512)), Region::Unit { unit: 3, offset: 5120 });
        assert_eq!(decode(buffer_address(1, 4096)), Region::Buffer { slot: 1, offset: 4096 });
        assert_eq!(unit_address(1, 0, 4096), 1 << 48);
    }
}
