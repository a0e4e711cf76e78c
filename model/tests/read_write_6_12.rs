//! READ and WRITE (6) and (12), and WRITE ATOMIC (16): field layouts (SBC-4: the (6) forms' 21-bit LBA
//! and TRANSFER LENGTH 0 = 256 blocks, the (12) forms' 32-bit length, WRITE ATOMIC's ATOMIC BOUNDARY and
//! 16-bit TRANSFER LENGTH), the same engine job as READ/WRITE (10)/(16), and the atomic limits of VPD
//! B0h.

mod common;
use common::*;

use offload_model::config::{Limits, UnitConfig};

/// 2^21 + 64 blocks: past the (6) forms' reach, and 256-block transfers fit.
fn big_target() -> offload_model::scsi::Target {
    let limits = Limits { max_transfer_blocks: 256, ..Limits::default() };
    target(vec![unit((1 << 21) + 64, 512, true)], limits)
}

#[test]
fn write6_then_read6_round_trip_at_a_21_bit_lba() {
    let mut t = big_target();
    let lba = (1 << 21) - 3; // the largest 21-bit LBAs
    let data = patterned(lba, 3, 512, 4);
    good(&mut t, 0, write6(lba as u32, 3), data.clone());
    assert_eq!(good(&mut t, 0, read6(lba as u32, 3), vec![]), data);
    assert_eq!(good(&mut t, 0, read16(lba, 3), vec![]), data, "the same blocks as READ (16) reads");
}

#[test]
fn six_byte_transfer_length_zero_means_256_blocks() {
    let mut t = big_target();
    let data = patterned(10, 256, 512, 5);
    good(&mut t, 0, write6(10, 0), data.clone());
    assert_eq!(good(&mut t, 0, read6(10, 0), vec![]), data);
    let short = check(&mut t, 0, write6(10, 0), vec![0; 512]);
    assert_invalid_cdb_byte(&short, 4);
    // With MAXIMUM TRANSFER LENGTH below 256, length 0 is too long.
    let mut small = target(vec![unit(4096, 512, true)], Limits { max_transfer_blocks: 255, ..Limits::default() });
    assert_invalid_cdb_byte(&check(&mut small, 0, read6(0, 0), vec![]), 4);
    assert_eq!(good(&mut small, 0, read6(0, 255), vec![]).len(), 255 * 512);
}

#[test]
fn six_byte_forms_have_no_flags_their_byte_1_is_the_lba() {
    let mut t = big_target();
    // Byte 1 = 0xE0 would be RDPROTECT in READ (10); in READ (6) bits 7–5 are reserved.
    let mut cdb = read6(0, 1);
    cdb[1] = 0x20;
    assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), 1, Some(5));
    // Byte 1 bit 3 is an LBA bit (2^19), not FUA: a WRITE (6) there must not be reported durable.
    let lba = 1u32 << 19;
    let r = run(&mut t, 0, write6(lba, 1), vec![7; 512]);
    assert_eq!(r.status, 0);
    assert!(r.durable.is_empty(), "no FUA in a (6) CDB: {:?}", r.durable);
    assert_eq!(good(&mut t, 0, read16(lba.into(), 1), vec![]), vec![7; 512]);
}

#[test]
fn six_and_twelve_byte_ranges_are_checked() {
    let mut t = target(vec![unit(100, 512, true)], Limits::default());
    assert_lba_out_of_range(&check(&mut t, 0, read6(100, 1), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, read6(99, 2), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, read6(0x1F_FFFF, 1), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, write6(100, 1), vec![0; 512]));
    assert_lba_out_of_range(&check(&mut t, 0, read12(99, 2), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, read12(u32::MAX, 1), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, write12(100, 1), vec![0; 512]));
    assert!(good(&mut t, 0, read12(100, 0), vec![]).is_empty(), "length 0 at the capacity");
}

#[test]
fn write12_then_read12_round_trip_with_flags() {
    let mut t = rw_target();
    let data = patterned(300, 5, 512, 6);
    let mut cdb = write12(300, 5);
    cdb[1] = 0x18; // DPO, FUA
    let r = run(&mut t, 0, cdb, data.clone());
    assert_eq!(r.status, 0);
    assert_eq!(r.durable.len(), 1, "FUA=1: the blocks must be durable");
    assert_eq!((r.durable[0].lba, r.durable[0].blocks), (300, 5));
    let mut cdb = read12(300, 5);
    cdb[1] = 0x1C; // DPO, FUA, RARC
    assert_eq!(good(&mut t, 0, cdb, vec![]), data);
    let d = check(&mut t, 0, with_flags(read12(0, 1), 0x20), vec![]);
    assert_invalid_cdb_field(&d, 1, Some(7));
    // MAXIMUM TRANSFER LENGTH 64, and the 32-bit length field.
    assert_invalid_cdb_byte(&check(&mut t, 0, read12(0, 65), vec![]), 6);
    assert_invalid_cdb_byte(&check(&mut t, 0, read12(0, 1 << 24), vec![]), 6);
    assert_invalid_cdb_byte(&check(&mut t, 0, write12(0, 2), vec![0; 512]), 6);
}

fn with_flags(mut cdb: Vec<u8>, flags: u8) -> Vec<u8> {
    cdb[1] = flags;
    cdb
}

#[test]
fn reads_and_writes_of_every_size_are_one_engine_job() {
    let mut t = big_target();
    for (cdb, data) in [
        (write6(1, 2), vec![1; 1024]),
        (read6(1, 2), vec![]),
        (write12(1, 2), vec![1; 1024]),
        (read12(1, 2), vec![]),
        (write_atomic16(1, 0, 2), vec![1; 1024]),
    ] {
        let r = run(&mut t, 0, cdb.clone(), data);
        assert_eq!(r.status, 0, "{cdb:02x?}");
        assert_eq!(r.jobs.len(), 1, "one copy job: {cdb:02x?}");
        assert_eq!(r.jobs[0].job.blocks, 2);
    }
}

#[test]
fn block_limits_advertise_one_job_as_the_atomic_unit() {
    // VPD B0h bytes 44–63 (SBC-4 Block Limits): MAXIMUM ATOMIC TRANSFER LENGTH, ATOMIC ALIGNMENT,
    // ATOMIC TRANSFER LENGTH GRANULARITY, MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY, MAXIMUM
    // ATOMIC BOUNDARY SIZE.
    let mut t = rw_target();
    let page = good(&mut t, 0, inquiry(true, 0xB0, 255), vec![]);
    assert_eq!(page.len(), 64);
    assert_eq!(page.be32(8), 64, "MAXIMUM TRANSFER LENGTH");
    assert_eq!(page.be32(44), 64, "MAXIMUM ATOMIC TRANSFER LENGTH: what one job moves");
    assert_eq!((page.be32(48), page.be32(52)), (1, 1), "any alignment, any length");
    assert_eq!((page.be32(56), page.be32(60)), (0, 0), "no atomic boundaries");
}

#[test]
fn write_atomic_round_trip_and_limits() {
    let mut t = rw_target();
    let data = patterned(40, 64, 512, 7);
    good(&mut t, 0, write_atomic16(40, 0, 64), data.clone());
    assert_eq!(good(&mut t, 0, read16(40, 64), vec![]), data);
    // Over MAXIMUM ATOMIC TRANSFER LENGTH: INVALID FIELD IN CDB at TRANSFER LENGTH (byte 12).
    assert_invalid_cdb_byte(&check(&mut t, 0, write_atomic16(0, 0, 65), vec![0; 65 * 512]), 12);
    // An atomic boundary, where MAXIMUM ATOMIC BOUNDARY SIZE is 0: INVALID FIELD IN CDB at byte 10.
    assert_invalid_cdb_byte(&check(&mut t, 0, write_atomic16(0, 1, 2), vec![0; 1024]), 10);
    // WRPROTECT without protection information.
    let d = check(&mut t, 0, with_flags(write_atomic16(0, 0, 1), 0x20), vec![0; 512]);
    assert_invalid_cdb_field(&d, 1, Some(7));
    // DPO and FUA accepted; FUA makes it durable.
    let r = run(&mut t, 0, with_flags(write_atomic16(8, 0, 1), 0x18), vec![9; 512]);
    assert_eq!((r.status, r.durable.len()), (0, 1));
    // Range, zero length, data-out length, write protection.
    assert_lba_out_of_range(&check(&mut t, 0, write_atomic16(BLOCKS + 1, 0, 0), vec![]));
    assert!(good(&mut t, 0, write_atomic16(BLOCKS, 0, 0), vec![]).is_empty(), "length 0 at the capacity");
    assert_lba_out_of_range(&check(&mut t, 0, write_atomic16(BLOCKS - 1, 0, 2), vec![0; 1024]));
    assert_lba_out_of_range(&check(&mut t, 0, write_atomic16(u64::MAX, 0, 1), vec![0; 512]));
    assert!(good(&mut t, 0, write_atomic16(0, 0, 0), vec![]).is_empty());
    assert_invalid_cdb_byte(&check(&mut t, 0, write_atomic16(0, 0, 2), vec![0; 512]), 12);
    let protected = UnitConfig { write_protected: true, ..unit(64, 512, true) };
    let mut p = target(vec![protected], Limits::default());
    assert_write_protected(&check(&mut p, 0, write_atomic16(0, 0, 1), vec![0; 512]));
}

#[test]
fn six_twelve_and_atomic_writes_hit_bad_blocks_like_the_others() {
    let mut t = bad_block_target();
    let d = check(&mut t, 0, read12(98, 4), vec![]);
    assert_sense(&d, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
    assert_eq!(d.information, Some(100));
    let d = check(&mut t, 0, write6(99, 2), vec![1; 1024]);
    assert_sense(&d, SenseKey::MEDIUM_ERROR, Asc::WRITE_ERROR);
    assert_eq!(d.information, Some(100));
}
