//! SYNCHRONIZE CACHE (10)/(16) (SBC-4 5.24, 5.25), the caching mode page (SBC-4 6.5.5) and what an
//! answer says must be durable: SYNCHRONIZE CACHE's range, a FUA write's blocks, every write's blocks
//! under WCE=0.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};
use offload_model::scsi::{Response, Target};
use offload_scsi::Durable;

fn durable(lun: u16, lba: u64, blocks: u64) -> Durable {
    Durable { lun, lba, blocks }
}

/// `n` recognisable 512-byte blocks (salt `salt`) as if at `lba`.
fn data(lba: u64, n: u64, salt: u8) -> Vec<u8> {
    patterned(lba, n, 512, salt)
}

fn ok(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Response {
    let r = run(t, lun, cdb.clone(), data_out);
    assert_eq!(r.status, 0, "expected GOOD for {cdb:02x?}, got sense {:02x?}", r.sense);
    r
}

/// WRITE (10)/(16) or COMPARE AND WRITE with FUA (byte 1, bit 3) set.
fn with_fua(mut cdb: Vec<u8>) -> Vec<u8> {
    cdb[1] |= 0x08;
    cdb
}

/// The caching mode page (MODE SENSE (6), DBD=1, page control `pc`).
fn caching_page(t: &mut Target, lun: u16, pc: u8) -> Vec<u8> {
    let d = good(t, lun, vec![0x1A, 0x08, pc << 6 | 0x08, 0, 255, 0], vec![]);
    assert_eq!(d[3], 0, "no block descriptor");
    d[4..].to_vec()
}

/// MODE SELECT (6) of the caching page with WCE as given, the other fields as the unit reports them.
fn select_wce(t: &mut Target, lun: u16, wce: bool) -> Response {
    let mut page = vec![0x08, 0x12, if wce { 0x04 } else { 0 }];
    page.resize(20, 0);
    let mut list = vec![0, 0, 0, 0];
    list.extend(page);
    run(t, lun, vec![0x15, 0x10, 0, 0, list.len() as u8, 0], list)
}

#[test]
fn synchronize_cache_says_which_blocks_must_be_durable() {
    let mut t = thin_and_thick();
    let r = ok(&mut t, 0, synchronize_cache10(0, 100, 28), vec![]);
    assert_eq!(r.durable, [durable(0, 100, 28)]);
    assert!(r.data_in.is_empty() && r.jobs.is_empty(), "no engine work, no data");
    let r = ok(&mut t, 1, synchronize_cache16(0, 7, 9), vec![]);
    assert_eq!(r.durable, [durable(1, 7, 9)]);
}

#[test]
fn number_of_blocks_zero_means_through_the_last_lba() {
    let mut t = thin_and_thick();
    assert_eq!(ok(&mut t, 0, synchronize_cache10(0, 0, 0), vec![]).durable, [durable(0, 0, BLOCKS)]);
    assert_eq!(ok(&mut t, 0, synchronize_cache16(0, 10, 0), vec![]).durable, [durable(0, 10, BLOCKS - 10)]);
    assert_eq!(ok(&mut t, 0, synchronize_cache16(0, BLOCKS - 1, 0), vec![]).durable, [durable(0, BLOCKS - 1, 1)]);
}

#[test]
fn a_range_past_the_capacity_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    for cdb in [
        synchronize_cache10(0, BLOCKS as u32, 0),
        synchronize_cache10(0, BLOCKS as u32 - 1, 2),
        synchronize_cache16(0, BLOCKS, 1),
        synchronize_cache16(0, u64::MAX, 2), // wraps
        synchronize_cache16(0, u64::MAX, 0),
    ] {
        let r = run(&mut t, 0, cdb.clone(), vec![]);
        assert_eq!(r.status, 2, "{cdb:02x?}");
        assert_sense(&sense_of(&r), SenseKey::ILLEGAL_REQUEST, Asc::LBA_OUT_OF_RANGE);
        assert!(r.durable.is_empty());
    }
}

#[test]
fn immed_and_group_number_are_accepted_obsolete_bits_are_not() {
    let mut t = thin_and_thick();
    assert_eq!(ok(&mut t, 0, synchronize_cache10(0x02, 0, 8), vec![]).durable, [durable(0, 0, 8)], "IMMED");
    let mut grouped = synchronize_cache16(0, 0, 8);
    grouped[14] = 0x1F;
    ok(&mut t, 0, grouped, vec![]);
    // SBC-4 tables 199 and 201: byte 1 bit 2 (SYNC_NV) obsolete, bit 0 obsolete (10) / reserved (16).
    assert_invalid_cdb_field(&check(&mut t, 0, synchronize_cache10(0x04, 0, 0), vec![]), 1, Some(2));
    assert_invalid_cdb_field(&check(&mut t, 0, synchronize_cache10(0x01, 0, 0), vec![]), 1, Some(0));
    assert_invalid_cdb_field(&check(&mut t, 0, synchronize_cache16(0x01, 0, 0), vec![]), 1, Some(0));
    let mut reserved = synchronize_cache10(0, 0, 0);
    reserved[6] = 0x80;
    assert_invalid_cdb_field(&check(&mut t, 0, reserved, vec![]), 6, Some(7));
}

#[test]
fn a_write_protected_unit_synchronizes() {
    let protected = UnitConfig { write_protected: true, ..unit(64, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    assert_eq!(ok(&mut t, 0, synchronize_cache10(0, 0, 0), vec![]).durable, [durable(0, 0, 64)]);
}

#[test]
fn fua_writes_must_be_durable_and_plain_ones_need_not() {
    let mut t = thin_and_thick();
    assert!(ok(&mut t, 0, write10(4, 2), data(4, 2, 1)).durable.is_empty(), "WCE=1, FUA=0");
    assert_eq!(ok(&mut t, 0, with_fua(write10(4, 2)), data(4, 2, 2)).durable, [durable(0, 4, 2)]);
    assert_eq!(ok(&mut t, 1, with_fua(write16(9, 3)), data(9, 3, 3)).durable, [durable(1, 9, 3)]);
    let caw = [data(4, 1, 2), data(4, 1, 4)].concat();
    assert_eq!(ok(&mut t, 0, with_fua(compare_and_write(4, 1)), caw.clone()).durable, [durable(0, 4, 1)]);
    // A miscompare writes nothing: nothing to make durable.
    let r = run(&mut t, 0, with_fua(compare_and_write(4, 1)), caw);
    assert_eq!(r.status, 2);
    assert!(r.durable.is_empty());
    // FUA on a READ asks nothing of durability.
    assert!(ok(&mut t, 0, with_fua(read10(4, 1)), vec![]).durable.is_empty());
    // WRITE SAME has no FUA bit: under WCE=1 it is not durable at once.
    assert!(ok(&mut t, 0, write_same16(0, 20, 4), vec![0; 512]).durable.is_empty());
}

#[test]
fn with_the_write_cache_disabled_every_write_is_durable() {
    let mut t = thin_and_thick();
    assert_eq!(select_wce(&mut t, 0, false).status, 0);
    assert_eq!(caching_page(&mut t, 0, 0)[2] & 0x04, 0, "WCE=0 now");
    assert_eq!(caching_page(&mut t, 0, 2)[2] & 0x04, 0x04, "the default is still WCE=1");
    assert_eq!(caching_page(&mut t, 1, 0)[2] & 0x04, 0x04, "mode pages are per logical unit");
    assert_eq!(ok(&mut t, 0, write10(4, 2), data(4, 2, 1)).durable, [durable(0, 4, 2)]);
    assert_eq!(ok(&mut t, 0, write_same16(0, 20, 4), data(20, 1, 2)).durable, [durable(0, 20, 4)]);
    let list = unmap_list(&[(40, 8)]);
    assert_eq!(ok(&mut t, 0, unmap(false, list.len() as u16), list).durable, [durable(0, 40, 8)]);
    assert!(ok(&mut t, 1, write10(4, 2), data(4, 2, 1)).durable.is_empty(), "LUN 1 keeps WCE=1");
    // A zero-length write writes nothing.
    assert!(ok(&mut t, 0, write10(4, 0), vec![]).durable.is_empty());
    assert_eq!(select_wce(&mut t, 0, true).status, 0);
    assert!(ok(&mut t, 0, write10(4, 2), data(4, 2, 1)).durable.is_empty());
}

#[test]
fn the_configured_write_cache_is_the_power_on_and_default_value() {
    let off = UnitConfig { write_cache: false, ..unit(64, 512, true) };
    let mut t = target(vec![off, unit(64, 512, true)], Limits::default());
    assert_eq!(caching_page(&mut t, 0, 0)[2] & 0x04, 0);
    assert_eq!(caching_page(&mut t, 0, 2)[2] & 0x04, 0);
    assert_eq!(caching_page(&mut t, 1, 0)[2] & 0x04, 0x04);
    assert_eq!(ok(&mut t, 0, write16(1, 1), data(1, 1, 5)).durable, [durable(0, 1, 1)]);
}

#[test]
fn the_caching_page_layout() {
    let mut t = thin_and_thick();
    let current = caching_page(&mut t, 0, 0);
    assert_eq!(current.len(), 20, "SBC-4 table: PAGE LENGTH 12h");
    assert_eq!(&current[..3], &[0x08, 0x12, 0x04], "PS=0 SPF=0, page 08h, WCE=1 RCD=0");
    assert!(current[3..].iter().all(|&b| b == 0));
    let changeable = caching_page(&mut t, 0, 1);
    assert_eq!(&changeable[2..], &[&[0x04u8][..], &[0; 17]].concat()[..], "only WCE is changeable");
    // The header's DEVICE-SPECIFIC PARAMETER: DPOFUA=1, FUA is honoured.
    let d = good(&mut t, 0, vec![0x1A, 0x08, 0x08, 0, 255, 0], vec![]);
    assert_eq!(d[2], 0x10);
    // All pages: the caching page (08h) comes before the control page (0Ah).
    let all = good(&mut t, 0, vec![0x1A, 0x08, 0x3F, 0, 255, 0], vec![]);
    assert_eq!((all[4], all[4 + 20]), (0x08, 0x0A));
    assert_eq!(all.len(), 4 + 20 + 12);
}

#[test]
fn mode_select_refuses_any_other_caching_bit_with_a_pointer() {
    let mut t = thin_and_thick();
    // (list byte, value, expected pointer byte, expected bit): RCD; WRITE RETENTION PRIORITY (bits 3–0);
    // MAXIMUM PRE-FETCH CEILING's second byte (the pointer names the first).
    for (at, value, byte, bit) in [(6, 0x05, 6, Some(0)), (7, 0x02, 7, Some(3)), (15, 0x01, 14, None)] {
        let mut list = vec![0, 0, 0, 0, 0x08, 0x12, 0x04];
        list.resize(24, 0);
        list[at] = value;
        let d = check(&mut t, 0, vec![0x15, 0x10, 0, 0, 24, 0], list);
        assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
        match bit {
            Some(bit) => assert_invalid_parameter_field(&d, byte, Some(bit)),
            None => assert_invalid_parameter_byte(&d, byte),
        }
    }
    assert_eq!(caching_page(&mut t, 0, 0)[2], 0x04, "nothing changed");
}
