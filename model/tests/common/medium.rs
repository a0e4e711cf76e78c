//! What the tests write to the medium and how they read it back: block patterns, and the provisioning
//! state GET LBA STATUS reports.

use offload_model::scsi::Target;
use offload_scsi::Fields;

use super::{get_lba_status, good, read16, write16};

/// A deterministic block pattern: every byte a function of the LBA and offset.
pub fn pattern(lba: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (0..block_size).map(|i| (lba as u8).wrapping_mul(31).wrapping_add(i as u8).wrapping_add(salt) | 1).collect()
}

/// `n` blocks of `pattern`, starting at `lba`.
pub fn patterned(lba: u64, n: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (lba..lba + n).flat_map(|l| pattern(l, block_size, salt)).collect()
}

/// Writes `pattern` blocks `lba .. lba + n` of unit `lun` with WRITE(16).
pub fn fill_pattern(t: &mut Target, lun: u16, lba: u64, n: u32, block_size: usize, salt: u8) {
    good(t, lun, write16(lba, n), patterned(lba, n.into(), block_size, salt));
}

/// Reads blocks with READ(16).
pub fn read_blocks(t: &mut Target, lun: u16, lba: u64, n: u32) -> Vec<u8> {
    good(t, lun, read16(lba, n), vec![])
}

// PROVISIONING STATUS codes of a GET LBA STATUS descriptor.
pub const MAPPED: u8 = 0;
pub const DEALLOCATED: u8 = 1;
pub const ANCHORED: u8 = 2;

/// GET LBA STATUS descriptors from `lba`: (first LBA, blocks, provisioning status).
pub fn lba_status(t: &mut Target, lun: u16, lba: u64) -> Vec<(u64, u32, u8)> {
    let d = good(t, lun, get_lba_status(lba, 4096), vec![]);
    let length = d.be32(0) as usize;
    assert_eq!(length + 4, d.len(), "PARAMETER DATA LENGTH covers the descriptors");
    assert_eq!((d.len() - 8) % 16, 0, "whole descriptors");
    lba_status_descriptors(&d)
}

/// The (first LBA, blocks, provisioning status) of each 16-byte descriptor after the 8-byte header.
pub fn lba_status_descriptors(d: &[u8]) -> Vec<(u64, u32, u8)> {
    d[8..].chunks(16).map(|c| (c.be64(0), c.be32(8), c[12] & 0x0F)).collect()
}

/// The first extent from `lba`: (blocks, status).
pub fn extent_at(t: &mut Target, lun: u16, lba: u64) -> (u32, u8) {
    let d = lba_status(t, lun, lba);
    assert_eq!(d[0].0, lba, "the first descriptor starts at the starting LBA");
    (d[0].1, d[0].2)
}
