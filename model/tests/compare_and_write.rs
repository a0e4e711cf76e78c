//! COMPARE AND WRITE: the compare, the miscompare offset in INFORMATION, and the length and field checks.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};
use offload_model::scsi::Target;

/// One thin unit of 4096 × 512-byte blocks, MAXIMUM COMPARE AND WRITE LENGTH 4.
fn caw_target() -> Target {
    thin_with(Limits { max_compare_and_write_blocks: 4, ..Limits::default() })
}

#[test]
fn compare_and_write_on_a_match_writes() {
    let mut t = caw_target();
    let old = patterned(10, 2, 512, 1);
    let new = patterned(10, 2, 512, 2);
    good(&mut t, 0, write16(10, 2), old.clone());
    good(&mut t, 0, compare_and_write(10, 2), [old, new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 10, 2), new);
}

#[test]
fn compare_and_write_against_unwritten_blocks_compares_zeros() {
    let mut t = caw_target();
    let new = pattern(50, 512, 3);
    good(&mut t, 0, compare_and_write(50, 1), [vec![0; 512], new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 50, 1), new);
}

#[test]
fn compare_and_write_miscompare_at_the_first_byte() {
    let mut t = caw_target();
    let old = pattern(10, 512, 1);
    good(&mut t, 0, write16(10, 1), old.clone());
    let mut compare = old.clone();
    compare[0] ^= 0xFF;
    let d = check(&mut t, 0, compare_and_write(10, 1), [compare, vec![0xEE; 512]].concat());
    assert_sense(&d, SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY);
    assert_eq!(d.information, Some(0), "offset of the first differing byte");
    assert_eq!(read_blocks(&mut t, 0, 10, 1), old, "nothing written");
}

#[test]
fn compare_and_write_miscompare_at_the_last_byte() {
    let mut t = caw_target();
    let old = patterned(10, 2, 512, 1);
    good(&mut t, 0, write16(10, 2), old.clone());
    let mut compare = old.clone();
    compare[1023] ^= 0x01;
    let d = check(&mut t, 0, compare_and_write(10, 2), [compare, vec![0xEE; 1024]].concat());
    assert_sense(&d, SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY);
    assert_eq!(d.information, Some(1023));
    assert_eq!(read_blocks(&mut t, 0, 10, 2), old, "nothing written");
}

#[test]
fn compare_and_write_miscompare_in_the_second_block_reports_its_offset() {
    let mut t = caw_target();
    let old = patterned(20, 3, 512, 7);
    good(&mut t, 0, write16(20, 3), old.clone());
    let mut compare = old.clone();
    compare[512 + 100] ^= 0x80;
    compare[2 * 512 + 5] ^= 0x80; // a later difference does not matter
    let d = check(&mut t, 0, compare_and_write(20, 3), [compare, vec![0xEE; 3 * 512]].concat());
    assert_sense(&d, SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY);
    assert_eq!(d.information, Some(612));
    assert_eq!(read_blocks(&mut t, 0, 20, 3), old, "not even the matching first block is written");
}

#[test]
fn compare_and_write_miscompare_offset_anywhere_in_the_block() {
    let mut t = caw_target();
    let old = pattern(30, 512, 4);
    good(&mut t, 0, write16(30, 1), old.clone());
    for offset in [1usize, 27, 255, 256, 484, 510] {
        let mut compare = old.clone();
        compare[offset] = !compare[offset];
        let d = check(&mut t, 0, compare_and_write(30, 1), [compare, vec![0; 512]].concat());
        assert_eq!((d.key, d.information), (SenseKey::MISCOMPARE, Some(offset as u64)));
    }
}

#[test]
fn compare_and_write_with_zero_blocks_is_good_and_does_nothing() {
    let mut t = caw_target();
    good(&mut t, 0, compare_and_write(0, 0), vec![]);
    good(&mut t, 0, compare_and_write(BLOCKS, 0), vec![]);
}

#[test]
fn compare_and_write_up_to_the_maximum_length_and_one_more() {
    let mut t = caw_target();
    let old = patterned(100, 4, 512, 1);
    let new = patterned(100, 4, 512, 2);
    good(&mut t, 0, write16(100, 4), old.clone());
    good(&mut t, 0, compare_and_write(100, 4), [old, new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 100, 4), new);
    let d = check(&mut t, 0, compare_and_write(100, 5), [patterned(100, 5, 512, 2), vec![0; 5 * 512]].concat());
    assert_invalid_cdb_byte(&d, 13);
    assert_eq!(read_blocks(&mut t, 0, 100, 4), new);
}

#[test]
fn compare_and_write_past_the_end_is_lba_out_of_range() {
    let mut t = caw_target();
    for (lba, n) in [(BLOCKS, 1u8), (BLOCKS - 1, 2), (u64::MAX, 1), (1 << 63, 1)] {
        let d = check(&mut t, 0, compare_and_write(lba, n), vec![0; 2 * usize::from(n) * 512]);
        assert_lba_out_of_range(&d);
    }
    good(&mut t, 0, compare_and_write(BLOCKS - 1, 1), vec![0; 1024]);
}

#[test]
fn compare_and_write_with_the_wrong_data_out_size_is_invalid_field_at_nolb() {
    let mut t = caw_target();
    for (n, len) in [(1u8, 512usize), (1, 0), (1, 2048), (2, 1024), (2, 2047), (0, 512)] {
        let d = check(&mut t, 0, compare_and_write(10, n), vec![0; len]);
        assert_invalid_cdb_byte(&d, 13);
    }
}

#[test]
fn compare_and_write_with_4096_byte_blocks() {
    let mut t = target(vec![unit(256, 4096, true)], Limits::default());
    let old = patterned(3, 2, 4096, 1);
    let new = patterned(3, 2, 4096, 9);
    good(&mut t, 0, write16(3, 2), old.clone());
    good(&mut t, 0, compare_and_write(3, 2), [old.clone(), new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 3, 2), new);
    let mut compare = new.clone();
    compare[4096 + 4095] ^= 1;
    let d = check(&mut t, 0, compare_and_write(3, 2), [compare, old].concat());
    assert_eq!((d.key, d.asc, d.information), (SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY, Some(8191)));
    assert_eq!(read_blocks(&mut t, 0, 3, 2), new);
    let d = check(&mut t, 0, compare_and_write(3, 1), vec![0; 1024]);
    assert_invalid_cdb_byte(&d, 13);
}

#[test]
fn compare_and_write_wrprotect_is_invalid_field() {
    let mut t = caw_target();
    for protect in 1..=7u8 {
        let mut cdb = compare_and_write(0, 1);
        cdb[1] = protect << 5;
        assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![0; 1024]), 1, Some(7));
    }
}

#[test]
fn compare_and_write_accepts_dpo_and_fua() {
    let mut t = caw_target();
    for flags in [0x10u8, 0x08, 0x18] {
        let current = read_blocks(&mut t, 0, 0, 1);
        let next = vec![flags; 512];
        let mut cdb = compare_and_write(0, 1);
        cdb[1] = flags;
        good(&mut t, 0, cdb, [current, next.clone()].concat());
        assert_eq!(read_blocks(&mut t, 0, 0, 1), next);
    }
}

#[test]
fn compare_and_write_to_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    let d = check(&mut t, 0, compare_and_write(0, 1), vec![0; 1024]);
    assert_write_protected(&d);
}
