//! WRITE SAME (10) and (16): every combination of the byte 1 flags on thin and thick units, provisioning
//! effects (UNMAP, ANCHOR, NDOB), zero NUMBER OF LOGICAL BLOCKS, and the limits.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};

// Byte 1 of both CDBs (SBC-4 5.48, 5.49).
const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const PBDATA: u8 = 0x04;
const LBDATA: u8 = 0x02;
const NDOB: u8 = 0x01;

/// INVALID FIELD IN CDB with some CDB field pointer (the standard names no particular field).
#[track_caller]
fn assert_invalid_cdb(d: &Sense) {
    assert_sense(d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_CDB);
    assert!(
        matches!(d.key_specific, Some(KeySpecific::Field { in_cdb: true, .. })),
        "expected a CDB field pointer: {d:?}"
    );
}

/// The bits of WRITE SAME byte 1 that make `flags` invalid (any of them may be the one reported), from
/// SBC-4 5.48/5.49 and the unit's VPD B2h: WRPROTECT needs protection information; PBDATA and LBDATA are
/// obsolete; ANCHOR needs UNMAP and ANC_SUP; UNMAP needs LBPWS/LBPWS10; WRITE SAME (10) has no NDOB.
fn write_same_offending_bits(ws16: bool, flags: u8, thin: bool) -> Vec<u8> {
    let mut bits = Vec::new();
    if flags & 0xE0 != 0 {
        bits.push(7);
    }
    if flags & ANCHOR != 0 && (flags & UNMAP == 0 || !thin) {
        bits.push(4);
    }
    if flags & UNMAP != 0 && !thin {
        bits.push(3);
    }
    if flags & PBDATA != 0 {
        bits.push(2);
    }
    if flags & LBDATA != 0 {
        bits.push(1);
    }
    if !ws16 && flags & NDOB != 0 {
        bits.push(0);
    }
    bits
}

#[test]
fn write_same_every_flag_combination_on_thin_and_thick_units() {
    const LBA: u64 = 16;
    const N: u32 = 8;
    const CAP: u64 = 256;
    let old = patterned(LBA, N.into(), 512, 0x21);
    let data_block = pattern(0, 512, 0x42);
    for ws16 in [false, true] {
        for thin in [true, false] {
            for flags in 0..=0xFFu8 {
                let ndob = ws16 && flags & NDOB != 0;
                let data_outs = if ndob { vec![vec![]] } else { vec![vec![0; 512], data_block.clone()] };
                for data in data_outs {
                    let what =
                        format!("WS{} flags {flags:02x} thin {thin} data {}", if ws16 { 16 } else { 10 }, data.len());
                    let mut t = target(vec![unit(CAP, 512, thin)], Limits::default());
                    good(&mut t, 0, write16(LBA, N), old.clone());
                    let cdb =
                        if ws16 { write_same16(flags, LBA, N) } else { write_same10(flags, LBA as u32, N as u16) };
                    let r = run(&mut t, 0, cdb, data.clone());
                    let offending = write_same_offending_bits(ws16, flags, thin);
                    if !offending.is_empty() {
                        assert_eq!(r.status, 2, "{what}: must fail");
                        let d = sense_of(&r);
                        assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_CDB);
                        match d.key_specific {
                            Some(KeySpecific::Field { in_cdb: true, byte: 1, bit: Some(bit) })
                                if offending.contains(&bit) => {}
                            other => panic!("{what}: pointer {other:?}, expected byte 1 bit in {offending:?}"),
                        }
                        assert_eq!(read_blocks(&mut t, 0, LBA, N), old, "{what}: nothing changed");
                        continue;
                    }
                    assert_eq!(r.status, 0, "{what}: must succeed, got {:02x?}", r.sense);
                    let zeros = data.iter().all(|&b| b == 0);
                    let expected_block = if data.is_empty() { vec![0; 512] } else { data.clone() };
                    assert_eq!(read_blocks(&mut t, 0, LBA, N), expected_block.repeat(N as usize), "{what}: contents");
                    assert_eq!(read_blocks(&mut t, 0, LBA + u64::from(N), 1), vec![0; 512], "{what}: stops at NLB");
                    let expected = match (thin, zeros && flags & UNMAP != 0, flags & ANCHOR != 0) {
                        (false, _, _) => (CAP - LBA, MAPPED),
                        (true, false, _) => (N.into(), MAPPED),
                        (true, true, false) => (CAP - LBA, DEALLOCATED),
                        (true, true, true) => (N.into(), ANCHORED),
                    };
                    let (blocks, status) = extent_at(&mut t, 0, LBA);
                    assert_eq!((u64::from(blocks), status), expected, "{what}: provisioning");
                }
            }
        }
    }
}

#[test]
fn write_same_without_unmap_writes_the_block_everywhere() {
    let mut t = thin_and_thick();
    let block = pattern(1, 512, 0x13);
    good(&mut t, 0, write_same10(0, 100, 20), block.clone());
    assert_eq!(read_blocks(&mut t, 0, 100, 20), block.repeat(20));
    good(&mut t, 1, write_same16(0, 200, 30), block.clone());
    assert_eq!(read_blocks(&mut t, 1, 200, 30), block.repeat(30));
    assert_eq!(read_blocks(&mut t, 1, 199, 1), vec![0; 512]);
    assert_eq!(read_blocks(&mut t, 1, 230, 1), vec![0; 512]);
}

#[test]
fn write_same_unmap_with_zero_data_deallocates() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 0, 64, 512, 1);
    for (cdb, lba) in [(write_same10(UNMAP, 8, 8), 8u64), (write_same16(UNMAP, 32, 8), 32)] {
        good(&mut t, 0, cdb, vec![0; 512]);
        assert_eq!(extent_at(&mut t, 0, lba), (8, DEALLOCATED));
        assert_eq!(read_blocks(&mut t, 0, lba, 8), vec![0; 8 * 512], "deallocated blocks read zeros (LBPRZ)");
    }
    assert_eq!(extent_at(&mut t, 0, 16), (16, MAPPED), "blocks between are untouched");
}

#[test]
fn write_same_unmap_with_nonzero_data_writes_the_data() {
    let mut t = thin_and_thick();
    let block = pattern(9, 512, 0x77);
    good(&mut t, 0, write_same10(UNMAP, 8, 8), block.clone());
    assert_eq!(read_blocks(&mut t, 0, 8, 8), block.repeat(8));
    assert_eq!(extent_at(&mut t, 0, 8), (8, MAPPED));
    good(&mut t, 0, write_same16(UNMAP | ANCHOR, 40, 4), block.clone());
    assert_eq!(read_blocks(&mut t, 0, 40, 4), block.repeat(4));
    assert_eq!(extent_at(&mut t, 0, 40), (4, MAPPED));
}

#[test]
fn write_same_anchor_with_unmap_anchors() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 0, 32, 512, 1);
    good(&mut t, 0, write_same10(ANCHOR | UNMAP, 4, 8), vec![0; 512]);
    assert_eq!(extent_at(&mut t, 0, 4), (8, ANCHORED));
    assert_eq!(read_blocks(&mut t, 0, 4, 8), vec![0; 8 * 512]);
    good(&mut t, 0, write_same16(ANCHOR | UNMAP | NDOB, 20, 4), vec![]);
    assert_eq!(extent_at(&mut t, 0, 20), (4, ANCHORED));
}

#[test]
fn write_same16_ndob_writes_zeros_and_with_unmap_deallocates() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 0, 32, 512, 1);
    good(&mut t, 0, write_same16(NDOB, 0, 8), vec![]);
    assert_eq!(read_blocks(&mut t, 0, 0, 8), vec![0; 8 * 512]);
    assert_eq!(extent_at(&mut t, 0, 0), (32, MAPPED), "written zeros stay mapped");
    good(&mut t, 0, write_same16(NDOB | UNMAP, 8, 8), vec![]);
    assert_eq!(extent_at(&mut t, 0, 8), (8, DEALLOCATED));
    good(&mut t, 1, write_same16(NDOB, 0, 8), vec![]);
    assert_eq!(read_blocks(&mut t, 1, 0, 8), vec![0; 8 * 512]);
}

#[test]
fn write_same16_ndob_with_data_out_is_invalid_field() {
    let mut t = thin_and_thick();
    let d = check(&mut t, 0, write_same16(NDOB, 0, 8), vec![0; 512]);
    assert_invalid_cdb_field(&d, 1, Some(0));
}

#[test]
fn write_same_with_data_out_not_one_block_is_invalid_field() {
    let mut t = thin_and_thick();
    for len in [0usize, 1, 256, 511, 513, 1024] {
        assert_invalid_cdb(&check(&mut t, 0, write_same10(0, 0, 8), vec![0x5A; len]));
        assert_invalid_cdb(&check(&mut t, 0, write_same16(0, 0, 8), vec![0x5A; len]));
        assert_invalid_cdb(&check(&mut t, 0, write_same16(UNMAP, 0, 8), vec![0; len]));
    }
    let mut t = target(vec![unit(256, 4096, true)], Limits::default());
    assert_invalid_cdb(&check(&mut t, 0, write_same10(0, 0, 8), vec![0x5A; 512]));
    good(&mut t, 0, write_same10(0, 0, 8), vec![0x5A; 4096]);
}

#[test]
fn write_same_zero_blocks_with_wsnz_is_invalid_field() {
    let mut t = thin_with(Limits { write_same_non_zero: true, ..Limits::default() });
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same10(0, 0, 0), vec![0; 512]), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(0, 0, 0), vec![0; 512]), 10);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(UNMAP, 0, 0), vec![0; 512]), 10);
}

#[test]
fn write_same_zero_blocks_without_wsnz_writes_to_the_end_of_the_medium() {
    let mut t = thin_with(Limits { write_same_non_zero: false, ..Limits::default() });
    let block = pattern(3, 512, 0x31);
    good(&mut t, 0, write_same16(0, BLOCKS - 100, 0), block.clone());
    assert_eq!(read_blocks(&mut t, 0, BLOCKS - 100, 100), block.repeat(100));
    assert_eq!(read_blocks(&mut t, 0, BLOCKS - 101, 1), vec![0; 512]);
    good(&mut t, 0, write_same10(UNMAP, (BLOCKS - 50) as u32, 0), vec![0; 512]);
    assert_eq!(extent_at(&mut t, 0, BLOCKS - 50), (50, DEALLOCATED));
    assert_eq!(extent_at(&mut t, 0, BLOCKS - 100), (50, MAPPED));
    // The LBA is still checked.
    assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, BLOCKS, 0), block.clone()));
    assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, 1 << 63, 0), block.clone()));
    assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, u64::MAX, 0), block));
}

#[test]
fn write_same_zero_blocks_beyond_the_maximum_length_is_invalid_field() {
    let limits = Limits { write_same_non_zero: false, max_write_same_blocks: 32, ..Limits::default() };
    let mut t = thin_with(limits);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(0, BLOCKS - 33, 0), vec![0x11; 512]), 10);
    good(&mut t, 0, write_same16(0, BLOCKS - 32, 0), vec![0x11; 512]);
}

#[test]
fn write_same_at_the_maximum_length_is_good_and_one_more_is_invalid_field() {
    let mut t = thin_with(Limits { max_write_same_blocks: 32, ..Limits::default() });
    let block = pattern(0, 512, 0x55);
    good(&mut t, 0, write_same10(0, 0, 32), block.clone());
    good(&mut t, 0, write_same16(UNMAP, 100, 32), vec![0; 512]);
    assert_eq!(read_blocks(&mut t, 0, 0, 32), block.repeat(32));
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same10(0, 200, 33), block.clone()), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(0, 200, 33), block.clone()), 10);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(UNMAP, 200, 33), vec![0; 512]), 10);
    assert_eq!(read_blocks(&mut t, 0, 200, 1), vec![0; 512]);
}

#[test]
fn write_same_past_the_end_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    let block = vec![0x99; 512];
    for (lba, n) in [(BLOCKS, 1u32), (BLOCKS - 1, 2), (BLOCKS - 10, 11)] {
        assert_lba_out_of_range(&check(&mut t, 0, write_same10(0, lba as u32, n as u16), block.clone()));
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, lba, n), block.clone()));
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(UNMAP, lba, n), vec![0; 512]));
    }
    good(&mut t, 0, write_same16(0, BLOCKS - 10, 10), block.clone());
    assert_lba_out_of_range(&check(&mut t, 0, write_same10(0, 1 << 31, 1), block.clone()));
}

#[test]
fn write_same_lba_wrap_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    for (lba, n) in [(u64::MAX, 1u32), (u64::MAX, 2), (u64::MAX - 3, 8), (1 << 63, 1)] {
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, lba, n), vec![0x99; 512]));
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(NDOB | UNMAP, lba, n), vec![]));
    }
}

#[test]
fn write_same_to_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    assert_write_protected(&check(&mut t, 0, write_same10(0, 0, 1), vec![1; 512]));
    assert_write_protected(&check(&mut t, 0, write_same16(UNMAP, 0, 1), vec![0; 512]));
    assert_write_protected(&check(&mut t, 0, write_same16(NDOB, 0, 1), vec![]));
}

#[test]
fn unaligned_write_same_unmap_on_a_512e_unit_succeeds_and_reads_back() {
    // SBC-4 5.49: WRITE SAME with UNMAP=1 over part of a physical block — whatever the device server
    // deallocates, every LBA reads back as the Data-Out block (zeros here, LBPRZ=1).
    let mut t = target(
        vec![UnitConfig { logical_blocks_per_physical_block_exponent: 3, ..unit(4096, 512, true) }],
        Limits::default(),
    );
    let pattern = vec![0xA6; 16 * 512];
    for first in 1..8u32 {
        good(&mut t, 0, write10(0, 16), pattern.clone());
        good(&mut t, 0, write_same10(UNMAP, first, (8 - first) as u16), vec![0; 512]);
        let d = good(&mut t, 0, read10(0, 16), vec![]);
        assert!(d[..first as usize * 512].iter().all(|&b| b == 0xA6), "blocks before {first} untouched");
        assert!(d[first as usize * 512..8 * 512].iter().all(|&b| b == 0), "blocks {first}..8 read zeros");
        assert_eq!(&d[8 * 512..], &pattern[8 * 512..], "the next physical block untouched");
    }
}
