//! Durability: which blocks a command needs on non-volatile media before its status goes back.
//!
//! A unit with its write cache enabled (caching mode page WCE=1, SBC-4 6.5.5) may hold written blocks
//! in volatile storage; they become durable by SYNCHRONIZE CACHE (SBC-4 5.24, 5.25), by a write with
//! FUA=1 (SBC-4 4.15: "force unit access"), or at the cache's leisure. With WCE=0 every write is
//! durable before its GOOD status. The device servers say what must be durable as typed output
//! ([`Durable`]); what makes it durable (fdatasync of an image file, a cache flush in firmware) is the
//! caller's.

/// FUA (byte 1, bit 3) of WRITE (10)/(16), COMPARE AND WRITE and ORWRITE. WRITE SAME, UNMAP and EXTENDED
/// COPY have no FUA bit (SBC-4 5.48–5.49, 5.32; SPC-4 6.4): they are durable at once only under WCE=0.
/// WRITE AND VERIFY has none either, but verifies what it wrote on the medium: it behaves as FUA=1.
pub const FUA: u8 = 0x08;

/// Whether a writing command's blocks must be durable before its status: FUA=1, or the unit's write
/// cache is disabled (WCE=0).
pub const fn must_be_durable(fua: bool, write_cache: bool) -> bool {
    fua || !write_cache
}

/// Blocks `lba..lba + blocks` of unit `lun` must be on non-volatile media before the command's status
/// is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Durable {
    pub lun: u16,
    pub lba: u64,
    pub blocks: u64,
}
