//! READ and WRITE (10)/(16).

use super::*;

#[test]
fn write_then_read_round_trips_in_both_sizes_and_block_lengths() {
    let mut r = Rig::new(&[(4096, 512, true), (256, 4096, false)]);
    let a = patterned(10, 4, 512, 1);
    r.good(0, &write10(10, 4), &a);
    assert_eq!(r.good(0, &read10(10, 4), &[]), a);
    assert_eq!(r.good(0, &read16(10, 4), &[]), a);
    let b = patterned(3, 5, 4096, 9);
    r.good(1, &write16(3, 5), &b);
    assert_eq!(r.good(1, &read16(3, 5), &[]), b);
    assert_eq!(r.media(1, 3, 5), b);
    // First and last LBA.
    r.good(1, &write16(255, 1), &pattern(255, 4096, 2));
    assert_eq!(r.good(1, &read10(255, 1), &[]), pattern(255, 4096, 2));
    assert_eq!(r.good(0, &read16(4095, 1), &[]), vec![0; 512], "unwritten blocks read zeros");
}

#[test]
fn a_write_maps_blocks_on_a_thin_unit_even_zeros() {
    let mut r = Rig::small();
    assert_eq!(r.states(0, 0, 4), vec![Provisioning::Deallocated; 4]);
    r.good(0, &write10(1, 2), &[0; 1024]);
    assert_eq!(
        r.states(0, 0, 4),
        [Provisioning::Deallocated, Provisioning::Mapped, Provisioning::Mapped, Provisioning::Deallocated]
    );
}

#[test]
fn zero_transfer_length_is_good_and_transfers_nothing() {
    let mut r = Rig::small();
    assert!(r.good(0, &read10(0, 0), &[]).is_empty());
    assert!(r.good(0, &read16(4096, 0), &[]).is_empty(), "LBA = capacity with no blocks is in range");
    r.good(0, &write16(4096, 0), &[]);
    assert_eq!(r.state(0, 0), Provisioning::Deallocated);
    assert_lba_out_of_range(&r.check(0, &read16(4097, 0), &[]));
}

#[test]
fn out_of_range_and_wrap_around_are_lba_out_of_range() {
    let mut r = Rig::small();
    for cdb in [read16(4096, 1), read16(4095, 2), read16(u64::MAX, 1), read16(1 << 63, 1), read10(u32::MAX, 1)] {
        assert_lba_out_of_range(&r.check(0, &cdb, &[]));
    }
    assert_lba_out_of_range(&r.check(0, &write16(u64::MAX - 1, 4), &[0; 2048]));
}

#[test]
fn maximum_transfer_length_and_one_more() {
    let mut r = Rig::small();
    r.limits.max_transfer_blocks = 64;
    r.limits.max_compare_and_write_blocks = 64;
    assert_eq!(r.good(0, &read10(0, 64), &[]).len(), 64 * 512);
    assert_cdb_field(&r.check(0, &read10(0, 65), &[]), 7, None);
    assert_cdb_field(&r.check(0, &read16(0, 65), &[]), 10, None);
    assert_cdb_field(&r.check(0, &write16(0, 65), &[0; 65 * 512]), 10, None);
    // The length is checked before the range.
    assert_cdb_field(&r.check(0, &read16(u64::MAX, 65), &[]), 10, None);
}

#[test]
fn protection_fields_are_invalid_field_at_byte_1_bit_7() {
    let mut r = Rig::small();
    for p in 1..=7u8 {
        let mut c = read16(0, 1);
        c[1] = p << 5;
        assert_cdb_field(&r.check(0, &c, &[]), 1, Some(7));
        let mut c = write10(0, 1);
        c[1] = p << 5;
        assert_cdb_field(&r.check(0, &c, &[0; 512]), 1, Some(7));
    }
}

#[test]
fn write_data_out_length_and_write_protect() {
    let mut r = Rig::small();
    for len in [0usize, 511, 1023, 1025] {
        assert_cdb_field(&r.check(0, &write10(0, 2), &vec![0; len]), 7, None);
        assert_cdb_field(&r.check(0, &write16(0, 2), &vec![0; len]), 10, None);
    }
    assert_cdb_field(&r.check(0, &write16(0, 0), &[0; 512]), 10, None);
    r.units[0].2.write_protected = true;
    let d = r.check(0, &write16(0, 1), &[1; 512]);
    assert_sense(&d, 7, 0x27, 0);
    // Write protection is checked before the data-out length.
    assert_sense(&r.check(0, &write16(0, 1), &[]), 7, 0x27, 0);
    assert_eq!(r.media(0, 0, 1), vec![0; 512]);
    // Reads are fine.
    r.good(0, &read16(0, 1), &[]);
}

#[test]
fn medium_errors_name_the_first_bad_lba() {
    let mut r = Rig::small();
    r.units[0].2.bad_blocks = vec![100, 102];
    for cdb in [read10(98, 5), read16(100, 1), read16(96, 8)] {
        let d = r.check(0, &cdb, &[]);
        assert_sense(&d, 3, 0x11, 0);
        assert_eq!(d.information, Some(100));
    }
    r.good(0, &read16(90, 10), &[]);
    r.good(0, &read16(101, 1), &[]);
    // A write stops at the bad block: the blocks before it are written and mapped.
    let data = patterned(97, 5, 512, 4);
    let d = r.check(0, &write16(97, 5), &data);
    assert_sense(&d, 3, 0x0C, 0);
    assert_eq!(d.information, Some(100));
    assert_eq!(r.media(0, 97, 3), data[..3 * 512]);
    assert_eq!(r.media(0, 101, 1), vec![0; 512]);
    assert_eq!(
        r.states(0, 96, 6)[..],
        [
            Provisioning::Deallocated,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Deallocated,
            Provisioning::Deallocated
        ]
    );
}

#[test]
fn a_read_larger_than_the_data_in_buffer_is_not_handled() {
    let mut data = vec![0u8; 16 * 512];
    let mut units = [Unit::thick(&mut data, 512, naa(0))];
    let mut fp = FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).unwrap();
    let mut small = [0u8; 1024];
    let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
    let r =
        fp.execute(&Request { initiator: b"i", lun: 0, cdb: &read10(0, 3), data_out: &[] }, &mut small, &mut extents);
    assert!(!r.handled);
    let r =
        fp.execute(&Request { initiator: b"i", lun: 0, cdb: &read10(0, 2), data_out: &[] }, &mut small, &mut extents);
    assert!(r.handled && r.data_in.len() == 1024);
    // Errors are still answered.
    let r =
        fp.execute(&Request { initiator: b"i", lun: 0, cdb: &read10(16, 3), data_out: &[] }, &mut small, &mut extents);
    assert!(r.handled && r.status == 2);
}

// ---- the (6) and (12) forms and WRITE ATOMIC (16) ----

#[test]
fn six_byte_forms_reach_21_bit_lbas_and_length_zero_is_256_blocks() {
    let mut r = Rig::new(&[((1 << 21) + 8, 512, true)]);
    r.limits.max_transfer_blocks = 256;
    let lba = (1u64 << 21) - 2;
    let a = patterned(lba, 2, 512, 3);
    r.good(0, &write6(lba as u32, 2), &a);
    assert_eq!(r.good(0, &read6(lba as u32, 2), &[]), a);
    assert_eq!(r.media(0, lba, 2), a);
    let b = patterned(10, 256, 512, 4);
    r.good(0, &write6(10, 0), &b);
    assert_eq!(r.good(0, &read6(10, 0), &[]), b, "TRANSFER LENGTH 0: 256 blocks");
    assert_cdb_field(&r.check(0, &write6(10, 0), &b[..512]), 4, None);
    r.limits.max_transfer_blocks = 255;
    assert_cdb_field(&r.check(0, &read6(0, 0), &[]), 4, None);
}

#[test]
fn six_byte_forms_have_no_flags() {
    let mut r = Rig::new(&[((1 << 21) + 8, 512, true)]);
    // Bits 7–5 of byte 1 are reserved in READ (6), not RDPROTECT.
    let mut cdb = read6(0, 1);
    cdb[1] = 0x20;
    assert_cdb_field(&r.check(0, &cdb, &[]), 1, Some(5));
    // Byte 1 bit 3 is LBA bit 19, not FUA.
    let out = r.run(0, &write6(1 << 19, 1), &[7; 512]);
    assert!(out.status == 0 && !out.durable, "no FUA in WRITE (6)");
    assert_eq!(r.media(0, 1 << 19, 1), vec![7; 512]);
}

#[test]
fn twelve_byte_forms_round_trip_with_their_flags_and_limits() {
    let mut r = Rig::small();
    r.limits = Limits { max_transfer_blocks: 64, max_compare_and_write_blocks: 64, ..Limits::default() };
    let a = patterned(100, 64, 512, 5);
    let mut cdb = write12(100, 64);
    cdb[1] = 0x08; // FUA
    let out = r.run(0, &cdb, &a);
    assert!(out.status == 0 && out.durable);
    assert_eq!(r.good(0, &read12(100, 64), &[]), a);
    assert_cdb_field(&r.check(0, &read12(0, 65), &[]), 6, None);
    assert_cdb_field(&r.check(0, &write12(0, 2), &a[..512]), 6, None);
    assert_lba_out_of_range(&r.check(0, &read12(4095, 2), &[]));
    assert_lba_out_of_range(&r.check(0, &write12(u32::MAX, 1), &a[..512]));
    let mut cdb = read12(0, 1);
    cdb[1] = 0x20;
    assert_cdb_field(&r.check(0, &cdb, &[]), 1, Some(7));
}

#[test]
fn write_atomic_writes_like_write_within_the_atomic_limits() {
    let mut r = Rig::small();
    r.limits = Limits { max_transfer_blocks: 64, max_compare_and_write_blocks: 64, ..Limits::default() };
    let a = patterned(7, 64, 512, 6);
    r.good(0, &write_atomic16(7, 0, 64), &a);
    assert_eq!(r.media(0, 7, 64), a);
    assert_cdb_field(&r.check(0, &write_atomic16(0, 0, 65), &[0; 65 * 512]), 12, None);
    assert_cdb_field(&r.check(0, &write_atomic16(0, 1, 1), &[0; 512]), 10, None);
    assert_cdb_field(&r.check(0, &write_atomic16(0, 0, 2), &[0; 512]), 12, None);
    assert_lba_out_of_range(&r.check(0, &write_atomic16(4097, 0, 0), &[]));
    assert_lba_out_of_range(&r.check(0, &write_atomic16(4095, 0, 2), &[0; 1024]));
    assert!(r.good(0, &write_atomic16(4096, 0, 0), &[]).is_empty());
    let mut cdb = write_atomic16(0, 0, 1);
    cdb[1] = 0x18; // DPO, FUA
    let out = r.run(0, &cdb, &[1; 512]);
    assert!(out.status == 0 && out.durable);
}

#[test]
fn software_write_protect_refuses_every_write_with_27_02() {
    let mut r = Rig::small();
    r.units[0].2.software_write_protected = true;
    r.good(0, &read10(0, 1), &[]);
    let list = unmap_list(&[(0, 1)]);
    for (cdb, data) in [
        (write6(0, 1), vec![1; 512]),
        (write10(0, 1), vec![1; 512]),
        (write12(0, 1), vec![1; 512]),
        (write16(0, 1), vec![1; 512]),
        (write_atomic16(0, 0, 1), vec![1; 512]),
        (ws16(0, 0, 1), vec![1; 512]),
        (caw(0, 1), vec![0; 1024]),
        (unmap_cdb(false, list.len() as u16), list),
    ] {
        assert_sense(&r.check(0, &cdb, &data), 7, 0x27, 0x02);
    }
    r.good(1, &write10(0, 1), &[1; 512]);
    // The configured write protection answers first.
    r.units[0].2.write_protected = true;
    assert_sense(&r.check(0, &write10(0, 1), &[1; 512]), 7, 0x27, 0x00);
    // EXTENDED COPY into a software write-protected unit: COPY ABORTED with the destination's sense.
    r.units[0].2.write_protected = false;
    let list = copy_list(0, 0, &[cscd(&naa(1), 512), cscd(&naa(0), 512)], &[segment(0, 1, 1, 0, 0)]);
    let d = r.check(1, &xcopy_cdb(list.len() as u32), &list);
    let forwarded = d.forwarded.expect("the destination's sense");
    assert_eq!((d.key, forwarded.key, forwarded.asc), (SenseKey(0x0A), SenseKey(7), Asc(0x27, 0x02)));
}

#[test]
fn pre_fetch_and_start_stop_unit_are_not_the_fast_paths() {
    let mut r = Rig::small();
    assert!(!r.run(0, &pre_fetch10(0, 0, 1), &[]).handled);
    assert!(!r.run(0, &start_stop_unit(false, 0), &[]).handled);
}
