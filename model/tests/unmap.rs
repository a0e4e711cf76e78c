//! UNMAP: deallocation and anchoring, parameter-list checks, limits and unaligned ranges.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};
use offload_model::scsi::Target;

/// One thin unit, at most 4 descriptors and 100 blocks per UNMAP, and a thick unit.
fn unmap_target() -> Target {
    let limits = Limits { max_unmap_descriptors: 4, max_unmap_blocks: 100, ..Limits::default() };
    target(vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, false)], limits)
}

fn unmap_good(t: &mut Target, anchor: bool, ranges: &[(u64, u32)]) {
    let list = unmap_list(ranges);
    good(t, 0, unmap(anchor, list.len() as u16), list);
}

#[test]
fn unmap_deallocates_and_the_blocks_read_zeros() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 64, 512, 5);
    unmap_good(&mut t, false, &[(8, 8), (40, 4)]);
    assert_eq!(extent_at(&mut t, 0, 8), (8, DEALLOCATED));
    assert_eq!(extent_at(&mut t, 0, 40), (4, DEALLOCATED));
    assert_eq!(read_blocks(&mut t, 0, 8, 8), vec![0; 8 * 512]);
    assert_eq!(read_blocks(&mut t, 0, 16, 1), pattern(16, 512, 5), "neighbours untouched");
    assert_eq!(read_blocks(&mut t, 0, 7, 1), pattern(7, 512, 5));
}

#[test]
fn unmap_with_anchor_anchors() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 32, 512, 5);
    unmap_good(&mut t, true, &[(4, 8)]);
    assert_eq!(extent_at(&mut t, 0, 4), (8, ANCHORED));
    assert_eq!(read_blocks(&mut t, 0, 4, 8), vec![0; 8 * 512]);
}

#[test]
fn unmap_on_a_thick_unit_is_invalid_command_operation_code() {
    let mut t = unmap_target();
    let list = unmap_list(&[(0, 1)]);
    let d = check(&mut t, 1, unmap(false, list.len() as u16), list.clone());
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_OPERATION_CODE);
    assert_sense(&check(&mut t, 1, unmap(false, 0), vec![]), SenseKey::ILLEGAL_REQUEST, Asc::INVALID_OPERATION_CODE);
}

#[test]
fn unmap_with_parameter_list_length_zero_is_good() {
    let mut t = unmap_target();
    good(&mut t, 0, unmap(false, 0), vec![]);
}

#[test]
fn unmap_with_a_parameter_list_shorter_than_its_header_is_parameter_list_length_error() {
    let mut t = unmap_target();
    for length in 1..=7u16 {
        let d = check(&mut t, 0, unmap(false, length), vec![0; usize::from(length)]);
        assert_parameter_list_length_error(&d);
    }
}

#[test]
fn unmap_with_no_descriptors_is_good() {
    let mut t = unmap_target();
    let list = unmap_list(&[]);
    good(&mut t, 0, unmap(false, list.len() as u16), list);
}

#[test]
fn unmap_with_more_descriptors_than_the_limit_is_invalid_parameter() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 8, 512, 1);
    unmap_good(&mut t, false, &[(0, 1), (1, 1), (2, 1), (3, 1)]);
    let list = unmap_list(&[(4, 1), (5, 1), (6, 1), (7, 1), (8, 1)]);
    let d = check(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    // The pointer names the descriptor data length, or the first descriptor past the limit.
    match d.key_specific {
        Some(KeySpecific::Field { in_cdb: false, byte: 2 | 72, .. }) => {}
        other => panic!("pointer {other:?}"),
    }
    assert_eq!(read_blocks(&mut t, 0, 4, 1), pattern(4, 512, 1), "nothing unmapped");
}

#[test]
fn unmap_of_more_blocks_in_total_than_the_limit_is_invalid_parameter() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 256, 512, 1);
    unmap_good(&mut t, false, &[(0, 100)]);
    let list = unmap_list(&[(100, 101)]);
    let d = check(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_invalid_parameter_byte(&d, 8 + 8);
    let list = unmap_list(&[(100, 60), (200, 41)]);
    let d = check(&mut t, 0, unmap(false, list.len() as u16), list);
    // The pointer names the count that takes the total past the limit.
    assert_invalid_parameter_byte(&d, 24 + 8);
    assert_eq!(read_blocks(&mut t, 0, 100, 1), pattern(100, 512, 1), "nothing unmapped");
}

#[test]
fn unmap_past_the_end_is_lba_out_of_range() {
    let mut t = unmap_target();
    for ranges in [vec![(BLOCKS, 1)], vec![(BLOCKS - 1, 2)], vec![(0, 1), (u64::MAX, 2)], vec![(1 << 63, 1)]] {
        let list = unmap_list(&ranges);
        assert_lba_out_of_range(&check(&mut t, 0, unmap(false, list.len() as u16), list));
    }
    unmap_good(&mut t, false, &[(BLOCKS - 1, 1)]);
}

#[test]
fn unmap_zero_block_descriptors_are_fine_even_at_capacity() {
    let mut t = unmap_target();
    unmap_good(&mut t, false, &[(BLOCKS, 0)]);
    unmap_good(&mut t, false, &[(0, 0), (BLOCKS, 0), (5, 0)]);
}

#[test]
fn unmap_ignores_a_truncated_descriptor() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 16, 512, 1);
    // BLOCK DESCRIPTOR DATA LENGTH covers a descriptor and a half: the half (out of range) is ignored.
    let mut list = unmap_list(&[(2, 2), (u64::MAX, 0xFFFF)]);
    list[2..4].copy_from_slice(&24u16.to_be_bytes());
    good(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_eq!(extent_at(&mut t, 0, 2), (2, DEALLOCATED));
    // PARAMETER LIST LENGTH cuts the second descriptor short.
    let list = unmap_list(&[(6, 2), (u64::MAX, 0xFFFF)]);
    good(&mut t, 0, unmap(false, 8 + 16 + 10), list[..8 + 16 + 10].to_vec());
    assert_eq!(extent_at(&mut t, 0, 6), (2, DEALLOCATED));
    assert_eq!(extent_at(&mut t, 0, 8), (8, MAPPED));
}

#[test]
fn unmap_of_unaligned_ranges_reads_zeros_and_deallocates_the_aligned_middle() {
    let limits = Limits { unmap_granularity: 8, ..Limits::default() };
    let mut t = thin_with(limits);
    fill_pattern(&mut t, 0, 0, 48, 512, 6);
    unmap_good(&mut t, false, &[(3, 32)]); // 3..35: aligned middle 8..32
    assert_eq!(read_blocks(&mut t, 0, 0, 3), patterned(0, 3, 512, 6), "before the range");
    assert_eq!(read_blocks(&mut t, 0, 3, 32), vec![0; 32 * 512], "the whole range reads zeros");
    assert_eq!(read_blocks(&mut t, 0, 35, 13), patterned(35, 13, 512, 6), "after the range");
    let (blocks, status) = extent_at(&mut t, 0, 8);
    assert_eq!(status, DEALLOCATED);
    assert!(blocks >= 24, "8..32 deallocated, got {blocks}");
    // A range inside one granule still reads zeros.
    unmap_good(&mut t, false, &[(41, 3)]);
    assert_eq!(read_blocks(&mut t, 0, 40, 5), [pattern(40, 512, 6), vec![0; 3 * 512], pattern(44, 512, 6)].concat());
}

#[test]
fn unmap_of_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    let list = unmap_list(&[(0, 1)]);
    assert_write_protected(&check(&mut t, 0, unmap(false, list.len() as u16), list));
}
