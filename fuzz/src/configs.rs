//! The targets the fuzzers run on.
//!
//! Every configuration is one the fast path supports (the commands it implements run on it exactly as on
//! the model), and small: the fast path keeps each unit's medium in memory and the differential targets
//! compare every byte of it after each input, so small units mean more executions per second. The limits
//! are scaled down with the units so that the fuzzer reaches their boundaries.

use offload_vectors::case::{Extent, InitialMedia};
use offload_vectors::config::{AccessMap, CopyLimits, Limits, TargetConfig, UnitConfig};

/// The initiators commands come from: the first reaches every unit, the second only LUN 0.
pub const INITIATORS: [&str; 2] = ["iqn.2026-11.org.offload:fuzz-a", "iqn.2026-11.org.offload:fuzz-b"];

/// How many configurations [`configuration`] chooses among.
pub const CONFIGURATIONS: u8 = 3;

/// The limits the fuzz targets advertise: small enough for the fuzzer to cross every one of them.
fn limits(unmap_granularity: u32, write_same_non_zero: bool) -> Limits {
    Limits {
        max_transfer_blocks: 16,
        max_compare_and_write_blocks: 4,
        max_write_same_blocks: 48,
        write_same_non_zero,
        max_unmap_blocks: 48,
        max_unmap_descriptors: 6,
        unmap_granularity,
        copy: CopyLimits {
            max_target_descriptors: 4,
            max_segment_descriptors: 6,
            max_descriptor_list_bytes: 4 * 32 + 6 * 28,
            max_segment_bytes: 32 * 1024,
            concurrent_copies: 4,
        },
    }
}

fn unit(blocks: u64, block_size: u32, thin: bool) -> UnitConfig {
    UnitConfig { blocks, block_size, thin, ..UnitConfig::default() }
}

/// Configuration `selector % CONFIGURATIONS`:
/// - 0: a thin 512-byte unit (64 blocks), a thick 4096-byte unit (8 blocks) with a bad block, a
///   write-protected thick 512-byte unit (32 blocks); fixed-format sense, WSNZ, unmap granularity 1.
/// - 1: the same units; descriptor-format sense, WRITE SAME of zero blocks allowed, unmap granularity 4.
/// - 2: two thin units (512 and 4096 bytes) with bad blocks and a thick 512-byte unit, of the same
///   capacities; fixed sense.
pub fn configuration(selector: u8) -> TargetConfig {
    let mut access = AccessMap::default();
    access.grants.insert(INITIATORS[1].to_owned(), [0].into());
    let (units, descriptor_sense, granularity, wsnz) = match selector % CONFIGURATIONS {
        0 | 1 => {
            let thick_4k = UnitConfig { bad_blocks: [5].into(), ..unit(8, 4096, false) };
            let protected = UnitConfig { write_protected: true, ..unit(32, 512, false) };
            let first = selector.is_multiple_of(CONFIGURATIONS);
            (vec![unit(64, 512, true), thick_4k, protected], !first, if first { 1 } else { 4 }, first)
        }
        _ => {
            let thin_512 = UnitConfig { bad_blocks: [5, 37].into(), ..unit(64, 512, true) };
            let thin_4k = UnitConfig { bad_blocks: [3].into(), ..unit(8, 4096, true) };
            (vec![thin_512, thin_4k, unit(32, 512, false)], false, 1, true)
        }
    };
    TargetConfig { units, access, limits: limits(granularity, wsnz), descriptor_sense, ..TargetConfig::default() }
}

/// The media before the first command: a stretch of each unit filled by the vectors' generator, so that
/// copies, reads and compares see data that is neither zeros nor the same from block to block.
pub fn initial_media(config: &TargetConfig) -> InitialMedia {
    let filled = config
        .units
        .iter()
        .enumerate()
        .map(|(lun, u)| Extent { lun: lun as u16, lba: u.blocks / 8, blocks: (u.blocks / 4).min(12) })
        .collect();
    InitialMedia { seed: 0x0FF1_0AD0, filled, blocks: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configuration_is_valid_and_has_initial_data() {
        for selector in 0..CONFIGURATIONS {
            let config = configuration(selector);
            assert_eq!(config.validate(), Ok(()), "configuration {selector}");
            let mut blocks = 0;
            initial_media(&config).for_each_block(&config, |_, _, _| blocks += 1);
            assert!(blocks > 0);
        }
    }

    #[test]
    fn the_second_initiator_reaches_only_lun_0() {
        let config = configuration(0);
        assert!(config.access.allows(INITIATORS[1], 0));
        assert!(!config.access.allows(INITIATORS[1], 1));
        assert!(config.access.allows(INITIATORS[0], 2));
    }
}
