//! READ and WRITE (10) and (16): data round trips, the LBA range, transfer-length limits, CDB fields,
//! write protection and medium errors.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};

#[test]
fn write10_then_read10_round_trip() {
    let mut t = rw_target();
    let data = patterned(100, 8, 512, 3);
    good(&mut t, 0, write10(100, 8), data.clone());
    assert_eq!(good(&mut t, 0, read10(100, 8), vec![]), data);
    assert_eq!(good(&mut t, 0, read10(104, 2), vec![]), data[4 * 512..6 * 512], "a sub-range");
    assert_eq!(good(&mut t, 1, read10(100, 8), vec![]), vec![0; 8 * 512], "the other unit is untouched");
}

#[test]
fn write16_then_read16_round_trip() {
    let mut t = rw_target();
    let data = patterned(2000, 16, 512, 9);
    good(&mut t, 1, write16(2000, 16), data.clone());
    assert_eq!(good(&mut t, 1, read16(2000, 16), vec![]), data);
    assert_eq!(good(&mut t, 1, read10(2000, 16), vec![]), data, "READ (10) sees the same blocks");
}

#[test]
fn read_write_round_trip_with_4096_byte_blocks() {
    let mut t = target(vec![unit(512, 4096, true)], Limits::default());
    let data = patterned(7, 3, 4096, 1);
    good(&mut t, 0, write10(7, 3), data.clone());
    assert_eq!(good(&mut t, 0, read16(7, 3), vec![]), data);
    assert_eq!(good(&mut t, 0, read16(6, 1), vec![]), vec![0; 4096]);
    let d = check(&mut t, 0, write16(7, 1), vec![0; 512]);
    assert_invalid_cdb_byte(&d, 10);
}

#[test]
fn unwritten_blocks_read_zeros() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        assert_eq!(good(&mut t, lun, read16(0, 4), vec![]), vec![0; 4 * 512]);
    }
}

#[test]
fn zero_transfer_length_is_good_and_transfers_nothing() {
    let mut t = rw_target();
    assert!(good(&mut t, 0, read10(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, read16(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, write10(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, write16(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, read16(BLOCKS - 1, 0), vec![]).is_empty());
}

#[test]
fn read_write_at_lba_zero_and_at_the_last_lba() {
    let mut t = rw_target();
    for lba in [0, BLOCKS - 1] {
        let data = pattern(lba, 512, 5);
        good(&mut t, 0, write10(lba as u32, 1), data.clone());
        assert_eq!(good(&mut t, 0, read10(lba as u32, 1), vec![]), data);
        good(&mut t, 1, write16(lba, 1), data.clone());
        assert_eq!(good(&mut t, 1, read16(lba, 1), vec![]), data);
    }
    let tail = patterned(BLOCKS - 4, 4, 512, 8);
    good(&mut t, 0, write16(BLOCKS - 4, 4), tail.clone());
    assert_eq!(good(&mut t, 0, read16(BLOCKS - 4, 4), vec![]), tail, "a range ending at the last LBA");
}

#[test]
fn access_at_or_past_capacity_is_lba_out_of_range() {
    let mut t = rw_target();
    let cap = BLOCKS;
    for (lba, blocks) in [(cap, 1), (cap - 1, 2), (cap + 1, 0), (cap + 1, 1), (cap - 4, 8)] {
        assert_lba_out_of_range(&check(&mut t, 0, read10(lba as u32, blocks), vec![]));
        assert_lba_out_of_range(&check(&mut t, 0, read16(lba, blocks.into()), vec![]));
        let data = vec![0x11; usize::from(blocks) * 512];
        assert_lba_out_of_range(&check(&mut t, 0, write10(lba as u32, blocks), data.clone()));
        assert_lba_out_of_range(&check(&mut t, 0, write16(lba, blocks.into()), data));
    }
    assert_eq!(good(&mut t, 0, read16(cap - 4, 4), vec![]), vec![0; 4 * 512], "nothing was written");
}

#[test]
fn lba_wrap_around_is_lba_out_of_range() {
    let mut t = rw_target();
    for (lba, blocks) in [(u64::MAX, 1u32), (u64::MAX, 2), (u64::MAX - 1, 4), (1 << 63, 1), (u64::MAX, 0)] {
        assert_lba_out_of_range(&check(&mut t, 0, read16(lba, blocks), vec![]));
        let data = vec![0x22; blocks as usize * 512];
        assert_lba_out_of_range(&check(&mut t, 0, write16(lba, blocks), data));
    }
    assert_lba_out_of_range(&check(&mut t, 0, read10(u32::MAX, 1), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, read10(1 << 31, 1), vec![]));
}

#[test]
fn transfer_length_at_the_maximum_is_good_and_one_more_is_invalid_field() {
    let mut t = rw_target();
    let max = 64u16;
    let data = patterned(10, max.into(), 512, 2);
    good(&mut t, 0, write10(10, max), data.clone());
    assert_eq!(good(&mut t, 0, read10(10, max), vec![]), data);
    good(&mut t, 0, write16(10, max.into()), data.clone());
    assert_eq!(good(&mut t, 0, read16(10, max.into()), vec![]), data);

    let over = vec![0x33; usize::from(max + 1) * 512];
    assert_invalid_cdb_byte(&check(&mut t, 0, read10(10, max + 1), vec![]), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, read16(10, u32::from(max) + 1), vec![]), 10);
    assert_invalid_cdb_byte(&check(&mut t, 0, write10(10, max + 1), over.clone()), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, write16(10, u32::from(max) + 1), over), 10);
    assert_eq!(good(&mut t, 0, read10(10, max), vec![]), data, "the refused writes changed nothing");
}

#[test]
fn rdprotect_and_wrprotect_without_protection_information_are_invalid_field() {
    let mut t = rw_target();
    for protect in 1..=7u8 {
        for (mut cdb, data) in [
            (read10(0, 1), vec![]),
            (read16(0, 1), vec![]),
            (write10(0, 1), vec![0x44; 512]),
            (write16(0, 1), vec![0x44; 512]),
        ] {
            cdb[1] = protect << 5;
            let d = check(&mut t, 0, cdb, data);
            assert_invalid_cdb_field(&d, 1, Some(7));
        }
    }
    assert_eq!(good(&mut t, 0, read10(0, 1), vec![]), vec![0; 512], "nothing was written");
}

#[test]
fn dpo_and_fua_are_accepted() {
    let mut t = rw_target();
    for flags in [0x10, 0x08, 0x18] {
        let data = pattern(u64::from(flags), 512, flags);
        let mut w10 = write10(20, 1);
        w10[1] = flags;
        good(&mut t, 0, w10, data.clone());
        let mut r10 = read10(20, 1);
        r10[1] = flags;
        assert_eq!(good(&mut t, 0, r10, vec![]), data);
        let mut w16 = write16(21, 1);
        w16[1] = flags;
        good(&mut t, 0, w16, data.clone());
        let mut r16 = read16(21, 1);
        r16[1] = flags;
        assert_eq!(good(&mut t, 0, r16, vec![]), data);
    }
}

#[test]
fn rarc_is_accepted_on_reads() {
    let mut t = rw_target();
    let mut cdb = read10(0, 1);
    cdb[1] = 0x04;
    good(&mut t, 0, cdb, vec![]);
}

#[test]
fn write_with_the_wrong_data_out_length_is_invalid_field_at_transfer_length() {
    let mut t = rw_target();
    for len in [0, 1, 511, 513, 1024] {
        assert_invalid_cdb_byte(&check(&mut t, 0, write10(30, 1), vec![0x55; len]), 7);
        assert_invalid_cdb_byte(&check(&mut t, 0, write16(30, 1), vec![0x55; len]), 10);
    }
    assert_invalid_cdb_byte(&check(&mut t, 0, write10(30, 0), vec![0x55; 512]), 7);
    assert_eq!(good(&mut t, 0, read10(30, 2), vec![]), vec![0; 1024], "nothing was written");
}

#[test]
fn write_to_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    assert_write_protected(&check(&mut t, 0, write10(0, 1), vec![0x66; 512]));
    assert_write_protected(&check(&mut t, 0, write16(0, 1), vec![0x66; 512]));
    assert_eq!(good(&mut t, 0, read16(0, 1), vec![]), vec![0; 512], "reads still work; nothing written");
}

#[test]
fn reserved_bits_in_read_and_write_cdbs_are_invalid_field() {
    let mut t = rw_target();
    // READ (10): byte 1 bit 1 obsolete (FUA_NV), bit 0 reserved; byte 6 bits 7–5 reserved.
    for (byte, bit) in [(1usize, 1u8), (1, 0), (6, 7), (6, 5)] {
        let mut c = read10(0, 1);
        c[byte] |= 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![]), byte, Some(bit));
    }
    // WRITE (16): byte 1 bit 2 reserved; byte 14 bit 6 reserved.
    for (byte, bit) in [(1usize, 2u8), (14, 6)] {
        let mut c = write16(0, 1);
        c[byte] |= 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![0; 512]), byte, Some(bit));
    }
    // GROUP NUMBER is accepted.
    let mut c = read10(0, 1);
    c[6] = 0x1F;
    good(&mut t, 0, c, vec![]);
}

#[test]
fn reading_a_bad_block_is_unrecovered_read_error_at_its_lba() {
    let mut t = bad_block_target();
    for cdb in [read10(98, 5), read16(100, 1), read16(96, 8)] {
        let d = check(&mut t, 0, cdb, vec![]);
        assert_sense(&d, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
        assert_eq!(d.information, Some(100), "INFORMATION is the first LBA in error");
    }
    good(&mut t, 0, read16(90, 10), vec![]);
    good(&mut t, 0, read16(101, 10), vec![]);
}

#[test]
fn writing_a_bad_block_is_write_error_at_its_lba() {
    let mut t = bad_block_target();
    for (cdb, n) in [(write10(98, 5), 5usize), (write16(100, 1), 1)] {
        let d = check(&mut t, 0, cdb, vec![0x5A; n * 512]);
        assert_sense(&d, SenseKey::MEDIUM_ERROR, Asc::WRITE_ERROR);
        assert_eq!(d.information, Some(100), "INFORMATION is the first LBA in error");
    }
    good(&mut t, 0, write16(101, 2), vec![0x5A; 1024]);
}
