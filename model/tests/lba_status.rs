//! GET LBA STATUS: provisioning extents of thin and thick units.

mod common;
use common::*;

#[test]
fn get_lba_status_of_a_fresh_thin_unit_is_one_deallocated_extent() {
    let mut t = thin_and_thick();
    assert_eq!(lba_status(&mut t, 0, 0), vec![(0, BLOCKS as u32, DEALLOCATED)]);
    assert_eq!(lba_status(&mut t, 0, 1000), vec![(1000, (BLOCKS - 1000) as u32, DEALLOCATED)]);
    assert_eq!(lba_status(&mut t, 0, BLOCKS - 1), vec![(BLOCKS - 1, 1, DEALLOCATED)]);
}

#[test]
fn get_lba_status_of_a_thick_unit_is_one_mapped_extent() {
    let mut t = thin_and_thick();
    assert_eq!(lba_status(&mut t, 1, 0), vec![(0, BLOCKS as u32, MAPPED)]);
}

#[test]
fn get_lba_status_reports_mapped_and_deallocated_runs() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 10, 10, 512, 1);
    fill_pattern(&mut t, 0, 100, 1, 512, 1);
    fill_pattern(&mut t, 0, BLOCKS - 2, 2, 512, 1);
    let expected = vec![
        (0, 10, DEALLOCATED),
        (10, 10, MAPPED),
        (20, 80, DEALLOCATED),
        (100, 1, MAPPED),
        (101, (BLOCKS - 2 - 101) as u32, DEALLOCATED),
        (BLOCKS - 2, 2, MAPPED),
    ];
    assert_eq!(lba_status(&mut t, 0, 0), expected);
    assert_eq!(lba_status(&mut t, 0, 15)[0], (15, 5, MAPPED), "the first extent starts at the starting LBA");
    assert_eq!(lba_status(&mut t, 0, 15).len(), 5);
}

#[test]
fn get_lba_status_at_or_beyond_capacity_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    for lba in [BLOCKS, BLOCKS + 1, 1 << 63, u64::MAX] {
        assert_lba_out_of_range(&check(&mut t, 0, get_lba_status(lba, 4096), vec![]));
        assert_lba_out_of_range(&check(&mut t, 1, get_lba_status(lba, 4096), vec![]));
    }
}

#[test]
fn get_lba_status_allocation_length_limits_the_descriptors() {
    let mut t = thin_and_thick();
    for lba in [4u64, 8, 12] {
        fill_pattern(&mut t, 0, lba, 2, 512, 1);
    }
    let all = lba_status(&mut t, 0, 0);
    assert_eq!(all.len(), 7);
    for count in 1..=7usize {
        let allocation = (8 + 16 * count) as u32;
        let d = good(&mut t, 0, get_lba_status(0, allocation), vec![]);
        assert_eq!(d.len(), allocation as usize, "{count} descriptors fit");
        assert_eq!(d.be32(0) as usize + 4, d.len(), "PARAMETER DATA LENGTH of what is returned");
        let got = lba_status_descriptors(&d);
        assert_eq!(got, all[..count]);
    }
    let d = good(&mut t, 0, get_lba_status(0, 16), vec![]);
    assert_eq!(d.len(), 16, "truncated to the allocation length");
    assert_eq!(d.be64(8), 0, "the partial descriptor starts at the starting LBA");
    assert!(good(&mut t, 0, get_lba_status(0, 0), vec![]).is_empty());
}
