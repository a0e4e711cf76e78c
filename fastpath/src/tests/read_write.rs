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
