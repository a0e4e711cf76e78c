//! COMPARE AND WRITE.

use super::*;

fn caw_rig() -> Rig {
    let mut r = Rig::new(&[(4096, 512, true)]);
    r.limits.max_compare_and_write_blocks = 4;
    r
}

#[test]
fn compare_and_write_on_a_match_writes_and_maps() {
    let mut r = caw_rig();
    let (old, new) = (patterned(10, 2, 512, 1), patterned(10, 2, 512, 2));
    r.good(0, &write16(10, 2), &old);
    r.good(0, &caw(10, 2), &[old, new.clone()].concat());
    assert_eq!(r.media(0, 10, 2), new);
    // Against unwritten blocks: compares zeros, and maps what it writes.
    r.good(0, &caw(50, 1), &[vec![0; 512], pattern(50, 512, 3)].concat());
    assert_eq!(r.media(0, 50, 1), pattern(50, 512, 3));
    assert_eq!(r.state(0, 50), Provisioning::Mapped);
    // DPO and FUA are accepted.
    let mut c = caw(50, 1);
    c[1] = 0x18;
    r.good(0, &c, &[pattern(50, 512, 3), vec![7; 512]].concat());
}

#[test]
fn compare_and_write_miscompare_reports_the_first_differing_byte_and_writes_nothing() {
    let mut r = caw_rig();
    let old = patterned(20, 3, 512, 7);
    r.good(0, &write16(20, 3), &old);
    for (flips, expected) in [(vec![0usize], 0u64), (vec![1535], 1535), (vec![612, 1029], 612), (vec![511, 3], 3)] {
        let mut compare = old.clone();
        for f in flips {
            compare[f] ^= 0x80;
        }
        let out = r.run(0, &caw(20, 3), &[compare, vec![0xEE; 1536]].concat());
        let d = decode(&out.sense);
        assert_sense(&d, 0xE, 0x1D, 0);
        assert_eq!(d.information, Some(expected));
        assert_eq!(d.key_specific, None);
        assert_eq!(r.media(0, 20, 3), old, "nothing written");
    }
    let mut compare = old[..512].to_vec();
    compare[0] ^= 1;
    let out = r.run(0, &caw(20, 1), &[compare, vec![0; 512]].concat());
    assert_eq!(hex(&out.sense), "f0000e000000000a000000001d0000000000");
}

#[test]
fn compare_and_write_field_checks_in_order() {
    let mut r = caw_rig();
    r.good(0, &caw(0, 0), &[]);
    r.good(0, &caw(4096, 0), &[]);
    r.good(0, &caw(4095, 1), &[0; 1024]);
    assert_cdb_field(&r.check(0, &caw(100, 5), &[0; 5 * 1024]), 13, None);
    for (lba, n) in [(4096u64, 1u8), (4095, 2), (u64::MAX, 1), (1 << 63, 1)] {
        assert_lba_out_of_range(&r.check(0, &caw(lba, n), &vec![0; 2 * usize::from(n) * 512]));
    }
    for (n, len) in [(1u8, 512usize), (1, 0), (1, 2048), (2, 1024), (2, 2047), (0, 512)] {
        assert_cdb_field(&r.check(0, &caw(10, n), &vec![0; len]), 13, None);
    }
    for p in 1..=7u8 {
        let mut c = caw(0, 1);
        c[1] = p << 5;
        assert_cdb_field(&r.check(0, &c, &[0; 1024]), 1, Some(7));
    }
    // Order: NOLB limit before the range, the range before the data-out length, that before protection.
    assert_cdb_field(&r.check(0, &caw(u64::MAX, 5), &[]), 13, None);
    assert_lba_out_of_range(&r.check(0, &caw(u64::MAX, 1), &[]));
    r.units[0].2.write_protected = true;
    assert_cdb_field(&r.check(0, &caw(0, 1), &[]), 13, None);
    assert_sense(&r.check(0, &caw(0, 1), &[0; 1024]), 7, 0x27, 0);
    assert_sense(&r.check(0, &caw(0, 0), &[]), 7, 0x27, 0);
}

#[test]
fn compare_and_write_with_4096_byte_blocks() {
    let mut r = Rig::new(&[(256, 4096, false)]);
    let (old, new) = (patterned(3, 2, 4096, 1), patterned(3, 2, 4096, 9));
    r.good(0, &write16(3, 2), &old);
    r.good(0, &caw(3, 2), &[old.clone(), new.clone()].concat());
    let mut compare = new.clone();
    compare[8191] ^= 1;
    let d = r.check(0, &caw(3, 2), &[compare, old].concat());
    assert_eq!((d.key, d.asc, d.information), (SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY, Some(8191)));
    assert_eq!(r.media(0, 3, 2), new);
}

#[test]
fn compare_and_write_over_a_bad_block_is_a_read_error_even_after_a_difference() {
    let mut r = caw_rig();
    r.units[0].2.bad_blocks = vec![12];
    let mut compare = vec![0u8; 4 * 512];
    compare[0] = 1; // differs in block 10, before the bad block
    let d = r.check(0, &caw(10, 4), &[compare, vec![9; 4 * 512]].concat());
    assert_sense(&d, 3, 0x11, 0);
    assert_eq!(d.information, Some(12));
    assert_eq!(r.media(0, 10, 4), vec![0; 4 * 512]);
}
