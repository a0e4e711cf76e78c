//! Targets the tests run against.

use std::collections::BTreeSet;

use offload_model::config::{AccessMap, Limits, TargetConfig, UnitConfig};
use offload_model::scsi::Target;

use super::HOST;

/// The capacity of most test units, in blocks.
pub const BLOCKS: u64 = 4096;

pub fn unit(blocks: u64, block_size: u32, thin: bool) -> UnitConfig {
    UnitConfig { blocks, block_size, thin, ..UnitConfig::default() }
}

pub fn target(units: Vec<UnitConfig>, limits: Limits) -> Target {
    Target::new(TargetConfig { units, limits, ..TargetConfig::default() }).expect("valid config")
}

/// A target with `units` thin units of `blocks` blocks of `block_size` bytes.
pub fn target_with(units: usize, blocks: u64, block_size: u32) -> Target {
    target(vec![unit(blocks, block_size, true); units], Limits::default())
}

/// LUN 0 thin, LUN 1 thick, both 4096 blocks of 512 bytes, default limits.
pub fn thin_and_thick() -> Target {
    target(vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, false)], Limits::default())
}

/// One thin unit of 4096 × 512-byte blocks with `limits`.
pub fn thin_with(limits: Limits) -> Target {
    target(vec![unit(BLOCKS, 512, true)], limits)
}

/// Two thin units of 4096 × 512-byte blocks, MAXIMUM TRANSFER LENGTH 64.
pub fn rw_target() -> Target {
    let limits = Limits { max_transfer_blocks: 64, max_compare_and_write_blocks: 64, ..Limits::default() };
    target(vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, true)], limits)
}

/// One thin unit of 4096 × 512-byte blocks whose block 100 fails every read and write.
pub fn bad_block_target() -> Target {
    let u = UnitConfig { bad_blocks: BTreeSet::from([100]), ..unit(BLOCKS, 512, true) };
    target(vec![u], Limits::default())
}

/// HOST reaches only LUN 0 of two; every other initiator reaches both.
pub fn host_granted_lun0_only() -> Target {
    let mut access = AccessMap::default();
    access.grants.insert(HOST.to_owned(), BTreeSet::from([0]));
    Target::new(TargetConfig {
        units: vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, true)],
        access,
        ..TargetConfig::default()
    })
    .expect("valid config")
}
