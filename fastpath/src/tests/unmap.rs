//! UNMAP.

use super::*;

fn unmap_rig() -> Rig {
    let mut r = Rig::new(&[(4096, 512, true), (4096, 512, false)]);
    r.limits.max_unmap_descriptors = 4;
    r.limits.max_unmap_blocks = 100;
    r
}

fn unmap_good(r: &mut Rig, anchor: bool, ranges: &[(u64, u32)]) {
    let list = unmap_list(ranges);
    r.good(0, &unmap_cdb(anchor, list.len() as u16), &list);
}

#[test]
fn unmap_deallocates_or_anchors_and_the_blocks_read_zeros() {
    let mut r = unmap_rig();
    r.fill(0, 0, 64, 5);
    unmap_good(&mut r, false, &[(8, 8), (40, 4)]);
    assert_eq!(r.states(0, 8, 8), vec![Provisioning::Deallocated; 8]);
    assert_eq!(r.states(0, 40, 4), vec![Provisioning::Deallocated; 4]);
    assert_eq!(r.media(0, 8, 8), vec![0; 8 * 512]);
    assert_eq!(r.media(0, 7, 1), pattern(7, 512, 5));
    assert_eq!(r.media(0, 16, 1), pattern(16, 512, 5));
    unmap_good(&mut r, true, &[(4, 8)]);
    assert_eq!(r.states(0, 4, 8), vec![Provisioning::Anchored; 8]);
    assert_eq!(r.media(0, 4, 8), vec![0; 8 * 512]);
}

#[test]
fn unmap_parameter_list_checks() {
    let mut r = unmap_rig();
    r.fill(0, 0, 256, 1);
    r.good(0, &unmap_cdb(false, 0), &[]);
    for length in 1..=7u16 {
        assert_sense(&r.check(0, &unmap_cdb(false, length), &vec![0; usize::from(length)]), 5, 0x1A, 0);
    }
    unmap_good(&mut r, false, &[]);
    let list = unmap_list(&[(0, 1); 5]);
    assert_param_field(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 0x26, 0, 2, None);
    let list = unmap_list(&[(100, 101)]);
    assert_param_field(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 0x26, 0, 16, None);
    let list = unmap_list(&[(100, 60), (200, 41)]);
    assert_param_field(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 0x26, 0, 32, None);
    // The data-out must be exactly the PARAMETER LIST LENGTH.
    let list = unmap_list(&[(0, 1)]);
    assert_cdb_field(&r.check(0, &unmap_cdb(false, 40), &list), 7, None);
    assert_cdb_field(&r.check(0, &unmap_cdb(false, 8), &list), 7, None);
    assert_eq!(r.media(0, 0, 256), patterned(0, 256, 512, 1), "nothing unmapped");
    assert_eq!(r.states(0, 0, 256), vec![Provisioning::Mapped; 256]);
}

#[test]
fn unmap_ranges_and_unit_checks() {
    let mut r = unmap_rig();
    for ranges in [vec![(4096u64, 1u32)], vec![(4095, 2)], vec![(0, 1), (u64::MAX, 2)], vec![(1 << 63, 1)]] {
        let list = unmap_list(&ranges);
        assert_lba_out_of_range(&r.check(0, &unmap_cdb(false, list.len() as u16), &list));
    }
    unmap_good(&mut r, false, &[(4095, 1)]);
    unmap_good(&mut r, false, &[(0, 0), (4096, 0), (5, 0)]);
    let list = unmap_list(&[(0, 1)]);
    assert_sense(&r.check(1, &unmap_cdb(false, list.len() as u16), &list), 5, 0x20, 0);
    assert_sense(&r.check(1, &unmap_cdb(false, 0), &[]), 5, 0x20, 0);
    r.units[0].2.write_protected = true;
    assert_sense(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 7, 0x27, 0);
    // The list is checked before write protection.
    let list = unmap_list(&[(4096, 1)]);
    assert_lba_out_of_range(&r.check(0, &unmap_cdb(false, list.len() as u16), &list));
}

#[test]
fn unmap_ignores_a_truncated_descriptor() {
    let mut r = unmap_rig();
    r.fill(0, 0, 16, 1);
    let mut list = unmap_list(&[(2, 2), (u64::MAX, 0xFFFF)]);
    list[2..4].copy_from_slice(&24u16.to_be_bytes());
    r.good(0, &unmap_cdb(false, list.len() as u16), &list);
    assert_eq!(
        r.states(0, 1, 4),
        [Provisioning::Mapped, Provisioning::Deallocated, Provisioning::Deallocated, Provisioning::Mapped]
    );
    let list = unmap_list(&[(6, 2), (u64::MAX, 0xFFFF)]);
    r.good(0, &unmap_cdb(false, 8 + 16 + 10), &list[..8 + 16 + 10]);
    assert_eq!(r.states(0, 6, 3), [Provisioning::Deallocated, Provisioning::Deallocated, Provisioning::Mapped]);
}

#[test]
fn unmap_of_unaligned_ranges_zeroes_the_head_and_tail() {
    let mut r = Rig::new(&[(4096, 512, true)]);
    r.limits.unmap_granularity = 8;
    r.fill(0, 0, 48, 6);
    unmap_good(&mut r, false, &[(3, 32), (41, 3)]);
    assert_eq!(r.media(0, 0, 3), patterned(0, 3, 512, 6));
    assert_eq!(r.media(0, 3, 32), vec![0; 32 * 512]);
    assert_eq!(r.media(0, 35, 6), patterned(35, 6, 512, 6));
    assert_eq!(r.media(0, 41, 3), vec![0; 3 * 512]);
    assert_eq!(r.media(0, 44, 4), patterned(44, 4, 512, 6));
    let states = r.states(0, 0, 48);
    assert!(states[3..8].iter().chain(&states[32..35]).chain(&states[41..44]).all(|&s| s == Provisioning::Mapped));
    assert!(states[8..32].iter().all(|&s| s == Provisioning::Deallocated));
}

#[test]
fn unmap_stops_at_a_bad_block_in_descriptor_order() {
    let mut r = unmap_rig();
    r.units[0].2.bad_blocks = vec![50];
    r.fill(0, 0, 49, 1);
    r.fill(0, 51, 49, 1);
    let list = unmap_list(&[(60, 4), (45, 10), (0, 4)]);
    let d = r.check(0, &unmap_cdb(false, list.len() as u16), &list);
    assert_sense(&d, 3, 0x0C, 0);
    assert_eq!(d.information, Some(50));
    assert_eq!(r.states(0, 60, 4), vec![Provisioning::Deallocated; 4]);
    assert_eq!(r.states(0, 45, 4), vec![Provisioning::Deallocated; 4]);
    assert_eq!(r.states(0, 51, 4), vec![Provisioning::Mapped; 4]);
    assert_eq!(r.states(0, 0, 4), vec![Provisioning::Mapped; 4], "later descriptors not processed");
}
