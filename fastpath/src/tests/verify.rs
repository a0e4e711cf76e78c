//! VERIFY, WRITE AND VERIFY and ORWRITE.

use super::*;

const MEDIUM: u8 = 0b00 << 1;
const COMPARE: u8 = 0b01 << 1;
const ONE_BLOCK: u8 = 0b11 << 1;

#[test]
fn verify_compares_with_the_data_out_and_reports_the_first_difference() {
    let mut r = Rig::small();
    r.fill(0, 10, 4, 5);
    let data = patterned(10, 4, 512, 5);
    for len in [10, 12, 16] {
        assert_eq!(r.good(0, &verify(len, MEDIUM, 10, 4), &[]), Vec::<u8>::new());
        r.good(0, &verify(len, COMPARE, 10, 4), &data);
        for (flips, first) in [(vec![0usize], 0u64), (vec![2047], 2047), (vec![1700, 600], 600)] {
            let mut d = data.clone();
            for f in flips {
                d[f] ^= 0x10;
            }
            let s = r.check(0, &verify(len, COMPARE, 10, 4), &d);
            assert_sense(&s, 0xE, 0x1D, 0);
            assert_eq!(s.information, Some(first));
        }
    }
    assert_eq!(r.media(0, 10, 4), data, "verification changes nothing");
}

#[test]
fn verify_bytchk_11b_compares_every_block_with_one() {
    let mut r = Rig::small();
    let x = pattern(0, 512, 9);
    r.good(0, &ws16(0, 30, 4), &x);
    r.good(0, &verify(16, ONE_BLOCK, 30, 4), &x);
    // Block 34 was never written (zeros): the difference is the first byte of the range's fifth block.
    let s = r.check(0, &verify(16, ONE_BLOCK, 30, 5), &x);
    assert_eq!((s.key.0, s.information), (0xE, Some(4 * 512)));
    assert_cdb_field(&r.check(0, &verify(10, 0b10 << 1, 30, 1), &[]), 1, Some(2));
    assert_cdb_field(&r.check(0, &verify(10, ONE_BLOCK, 30, 2), &[x.clone(), x].concat()), 1, Some(2));
}

#[test]
fn a_bad_block_fails_every_form_with_its_lba() {
    let mut r = Rig::small();
    r.units[0].2.bad_blocks = vec![100];
    let read_error = |s: &Sense| (s.key.0, s.asc.0, s.information);
    assert_eq!(read_error(&r.check(0, &verify(16, MEDIUM, 98, 4), &[])), (3, 0x11, Some(100)));
    assert_eq!(read_error(&r.check(0, &verify(16, COMPARE, 98, 4), &[0xFF; 2048])), (3, 0x11, Some(100)));
    assert_eq!(read_error(&r.check(0, &orwrite16(0, 99, 2), &[0xFF; 1024])), (3, 0x11, Some(100)));
    assert_eq!(r.media(0, 99, 1), vec![0; 512], "ORWRITE wrote nothing");
    let s = r.check(0, &write_and_verify(10, COMPARE, 98, 4), &patterned(98, 4, 512, 2));
    assert_eq!((s.key.0, s.asc.0, s.information), (3, 0x0C, Some(100)));
    assert_eq!(r.media(0, 98, 2), patterned(98, 2, 512, 2), "the blocks before it are written");
}

#[test]
fn write_and_verify_writes_and_is_durable() {
    let mut r = Rig::small();
    for (len, bytchk) in [(10, MEDIUM), (12, COMPARE), (16, COMPARE)] {
        let data = patterned(40, 3, 512, len as u8);
        let out = r.run(0, &write_and_verify(len, bytchk, 40, 3), &data);
        assert_eq!(out.status, 0);
        assert!(out.durable, "no FUA bit, and none needed: verified on the medium");
        assert_eq!(r.media(0, 40, 3), data);
    }
    assert_cdb_field(&r.check(0, &write_and_verify(16, ONE_BLOCK, 40, 1), &[0; 512]), 1, Some(2));
    assert!(!r.run(0, &write10(40, 1), &[0; 512]).durable, "WRITE without FUA under the write cache");
}

#[test]
fn orwrite_ors_into_the_medium() {
    let mut r = Rig::small();
    r.fill(0, 60, 2, 3);
    let before = r.media(0, 60, 4); // two written blocks, two never written
    let data: Vec<u8> = (0..2048).map(|i| (i % 7) as u8 * 0x21).collect();
    let out = r.run(0, &orwrite16(0, 60, 4), &data);
    assert_eq!((out.status, out.durable), (0, false));
    let expected: Vec<u8> = before.iter().zip(&data).map(|(m, d)| m | d).collect();
    assert_eq!(r.media(0, 60, 4), expected);
    assert_eq!(r.states(0, 60, 4), vec![Provisioning::Mapped; 4]);
    assert!(r.run(0, &orwrite16(0x08, 60, 1), &[1; 512]).durable, "FUA");
}
