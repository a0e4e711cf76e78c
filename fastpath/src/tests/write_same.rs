//! WRITE SAME (10)/(16): zeros, patterns, UNMAP and ANCHOR, NDOB.

use super::*;

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const PBDATA: u8 = 0x04;
const LBDATA: u8 = 0x02;
const NDOB: u8 = 0x01;

/// The bit a rejected WRITE SAME flag combination reports. First the usage mask: PBDATA and LBDATA are
/// obsolete, WRITE SAME (10) has no NDOB, and a fully provisioned unit has no ANCHOR or UNMAP (LBPWS=0,
/// ANC_SUP=0); the highest such bit is reported. Then WRPROTECT (no protection information) and ANCHOR
/// without UNMAP.
fn write_same_rejected_bit(sixteen: bool, flags: u8, thin: bool) -> Option<u8> {
    let mut not_interpreted = PBDATA | LBDATA | if sixteen { 0 } else { NDOB };
    if !thin {
        not_interpreted |= ANCHOR | UNMAP;
    }
    let reserved = flags & not_interpreted;
    if reserved != 0 {
        Some(7 - reserved.leading_zeros() as u8)
    } else if flags & 0xE0 != 0 {
        Some(7)
    } else if flags & ANCHOR != 0 && flags & UNMAP == 0 {
        Some(4)
    } else {
        None
    }
}

#[test]
fn write_same_every_flag_combination_on_thin_and_thick_units() {
    const LBA: u64 = 16;
    const N: u64 = 8;
    let old = patterned(LBA, N, 512, 0x21);
    let block = pattern(0, 512, 0x42);
    for sixteen in [false, true] {
        for thin in [true, false] {
            for flags in 0..=0xFFu8 {
                let ndob = sixteen && flags & NDOB != 0;
                let data_outs = if ndob { vec![vec![]] } else { vec![vec![0u8; 512], block.clone()] };
                for data in data_outs {
                    let what = format!(
                        "WS{} flags {flags:02x} thin {thin} data {}",
                        if sixteen { 16 } else { 10 },
                        data.len()
                    );
                    let mut r = Rig::new(&[(64, 512, thin)]);
                    r.good(0, &write16(LBA, N as u32), &old);
                    let cdb = if sixteen { ws16(flags, LBA, N as u32) } else { ws10(flags, LBA as u32, N as u16) };
                    let out = r.run(0, &cdb, &data);
                    if let Some(bit) = write_same_rejected_bit(sixteen, flags, thin) {
                        assert_eq!(out.status, 2, "{what}");
                        assert_cdb_field(&decode(&out.sense), 1, Some(bit));
                        assert_eq!(r.media(0, LBA, N), old, "{what}: nothing changed");
                        continue;
                    }
                    assert_eq!(out.status, 0, "{what}: {}", hex(&out.sense));
                    let zeros = data.iter().all(|&b| b == 0);
                    let expected = if data.is_empty() { vec![0; 512] } else { data.clone() };
                    assert_eq!(r.media(0, LBA, N), expected.repeat(N as usize), "{what}");
                    assert_eq!(r.media(0, LBA + N, 1), vec![0; 512], "{what}: stops at NUMBER OF LOGICAL BLOCKS");
                    let state = match (thin, zeros && flags & UNMAP != 0, flags & ANCHOR != 0) {
                        (false, _, _) | (true, false, _) => Provisioning::Mapped,
                        (true, true, false) => Provisioning::Deallocated,
                        (true, true, true) => Provisioning::Anchored,
                    };
                    assert_eq!(r.states(0, LBA, N), vec![state; N as usize], "{what}");
                    let neighbour = if thin { Provisioning::Deallocated } else { Provisioning::Mapped };
                    assert_eq!(r.state(0, LBA - 1), neighbour, "{what}: neighbour");
                }
            }
        }
    }
}

#[test]
fn write_same_data_out_must_be_one_block() {
    let mut r = Rig::new(&[(4096, 512, true), (256, 4096, true)]);
    for len in [0usize, 1, 511, 513, 1024] {
        assert_cdb_field(&r.check(0, &ws10(0, 0, 8), &vec![0x5A; len]), 7, None);
        assert_cdb_field(&r.check(0, &ws16(UNMAP, 0, 8), &vec![0; len]), 10, None);
    }
    assert_cdb_field(&r.check(0, &ws16(NDOB, 0, 8), &[0; 512]), 1, Some(0));
    assert_cdb_field(&r.check(1, &ws10(0, 0, 8), &[0x5A; 512]), 7, None);
    r.good(1, &ws10(0, 0, 8), &[0x5A; 4096]);
    assert_eq!(r.media(1, 0, 8), vec![0x5A; 8 * 4096]);
}

#[test]
fn write_same_number_of_blocks_limits() {
    let mut r = Rig::small();
    r.limits.max_write_same_blocks = 32;
    assert_cdb_field(&r.check(0, &ws10(0, 0, 0), &[0; 512]), 7, None);
    assert_cdb_field(&r.check(0, &ws16(UNMAP, 0, 0), &[0; 512]), 10, None);
    r.good(0, &ws10(0, 0, 32), &[3; 512]);
    assert_cdb_field(&r.check(0, &ws10(0, 200, 33), &[3; 512]), 7, None);
    assert_cdb_field(&r.check(0, &ws16(UNMAP, 200, 33), &[0; 512]), 10, None);
    // Without WSNZ, zero blocks means "to the last LBA", still within the maximum.
    r.limits.write_same_non_zero = false;
    assert_cdb_field(&r.check(0, &ws16(0, 4096 - 33, 0), &[0x11; 512]), 10, None);
    r.good(0, &ws16(0, 4096 - 32, 0), &[0x11; 512]);
    assert_eq!(r.media(0, 4096 - 32, 32), vec![0x11; 32 * 512]);
    assert_eq!(r.media(0, 4096 - 33, 1), vec![0; 512]);
    r.good(0, &ws10(UNMAP, 4096 - 10, 0), &[0; 512]);
    assert_eq!(r.states(0, 4096 - 10, 10), vec![Provisioning::Deallocated; 10]);
    for lba in [4096u64, 1 << 63, u64::MAX] {
        assert_lba_out_of_range(&r.check(0, &ws16(0, lba, 0), &[1; 512]));
    }
}

#[test]
fn write_same_range_and_write_protect() {
    let mut r = Rig::small();
    for (lba, n) in [(4096u64, 1u32), (4095, 2), (4086, 11)] {
        assert_lba_out_of_range(&r.check(0, &ws10(0, lba as u32, n as u16), &[9; 512]));
        assert_lba_out_of_range(&r.check(0, &ws16(NDOB | UNMAP, lba, n), &[]));
    }
    for (lba, n) in [(u64::MAX, 1u32), (u64::MAX - 3, 8), (1 << 63, 1)] {
        assert_lba_out_of_range(&r.check(0, &ws16(0, lba, n), &[9; 512]));
    }
    r.good(0, &ws16(0, 4086, 10), &[9; 512]);
    r.units[0].2.write_protected = true;
    assert_sense(&r.check(0, &ws10(0, 0, 1), &[1; 512]), 7, 0x27, 0);
    assert_sense(&r.check(0, &ws16(NDOB, 0, 1), &[]), 7, 0x27, 0);
    // Write protection is checked before the data-out: a protected unit refuses even a missing block.
    assert_sense(&r.check(0, &ws16(0, 0, 1), &[]), 7, 0x27, 0);
    r.units[0].2.write_protected = false;
    assert_cdb_field(&r.check(0, &ws16(0, 0, 1), &[]), 10, None);
}

#[test]
fn write_same_unmap_releases_only_the_aligned_middle() {
    let mut r = Rig::new(&[(256, 512, true)]);
    r.limits.unmap_granularity = 8;
    r.fill(0, 0, 64, 6);
    r.good(0, &ws16(UNMAP | ANCHOR, 3, 32), &[0; 512]); // 3..35: middle 8..32
    assert_eq!(r.media(0, 3, 32), vec![0; 32 * 512]);
    assert_eq!(r.media(0, 0, 3), patterned(0, 3, 512, 6));
    assert_eq!(r.media(0, 35, 29), patterned(35, 29, 512, 6));
    let states = r.states(0, 3, 32);
    assert_eq!(states[..5], [Provisioning::Mapped; 5]);
    assert_eq!(states[5..29], [Provisioning::Anchored; 24]);
    assert_eq!(states[29..], [Provisioning::Mapped; 3]);
    // A range inside one granule is all written zeros.
    r.good(0, &ws10(UNMAP, 41, 3), &[0; 512]);
    assert_eq!(r.states(0, 40, 5), vec![Provisioning::Mapped; 5]);
    assert_eq!(r.media(0, 41, 3), vec![0; 3 * 512]);
}

#[test]
fn write_same_stops_at_a_bad_block() {
    let mut r = Rig::new(&[(256, 512, true)]);
    r.units[0].2.bad_blocks = vec![20];
    r.limits.unmap_granularity = 4;
    r.fill(0, 0, 20, 1);
    let d = r.check(0, &ws16(0, 10, 20), &[0xAB; 512]);
    assert_sense(&d, 3, 0x0C, 0);
    assert_eq!(d.information, Some(20));
    assert_eq!(r.media(0, 10, 10), vec![0xAB; 10 * 512]);
    assert_eq!(r.media(0, 21, 1), vec![0; 512]);
    assert_eq!(r.state(0, 21), Provisioning::Deallocated);
    // Released: head 5..8 written zeros, middle 8..20 deallocated up to the bad block.
    let d = r.check(0, &ws16(NDOB | UNMAP, 5, 30), &[]);
    assert_eq!(d.information, Some(20));
    assert_eq!(r.states(0, 5, 3), vec![Provisioning::Mapped; 3]);
    assert_eq!(r.states(0, 8, 12), vec![Provisioning::Deallocated; 12]);
    assert_eq!(r.media(0, 5, 15), vec![0; 15 * 512]);
}
