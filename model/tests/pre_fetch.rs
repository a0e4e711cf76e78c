//! PRE-FETCH (10) and (16) (SBC-4): CONDITION MET (04h) for every valid range — the whole medium is the
//! cache — with no engine job; LBA OUT OF RANGE past the capacity; PREFETCH LENGTH 0 through the last
//! LBA.

mod common;
use common::*;

use offload_model::config::Limits;

const CONDITION_MET: u8 = 0x04;

#[test]
fn a_valid_range_is_condition_met_without_moving_data() {
    let mut t = target(vec![unit(300, 512, true), unit(40, 4096, false)], Limits::default());
    for (lun, capacity) in [(0u16, 300u64), (1, 40)] {
        for cdb in [
            pre_fetch10(0, 0, 1),
            pre_fetch10(0x02, 0, 1), // IMMED
            pre_fetch10(0, 0, capacity as u16),
            pre_fetch10(0, (capacity - 1) as u32, 1),
            pre_fetch10(0, (capacity - 1) as u32, 0), // through the last LBA
            pre_fetch16(0, 0, 0),
            pre_fetch16(0x02, capacity - 4, 4),
            with_group(pre_fetch10(0, 0, 1), 6, 3),
            with_group(pre_fetch16(0, 0, 1), 14, 3),
        ] {
            let r = run(&mut t, lun, cdb.clone(), vec![]);
            assert_eq!((r.status, r.sense.len(), r.data_in.len()), (CONDITION_MET, 0, 0), "{cdb:02x?}");
            assert!(r.jobs.is_empty() && r.durable.is_empty());
        }
    }
}

fn with_group(mut cdb: Vec<u8>, at: usize, group: u8) -> Vec<u8> {
    cdb[at] = group;
    cdb
}

#[test]
fn past_the_capacity_is_lba_out_of_range() {
    let mut t = target(vec![unit(300, 512, true)], Limits::default());
    for cdb in [
        pre_fetch10(0, 300, 1),
        pre_fetch10(0, 299, 2),
        pre_fetch10(0, 300, 0),
        pre_fetch10(0, 301, 0),
        pre_fetch10(0, u32::MAX, 1),
        pre_fetch16(0, 300, 0),
        pre_fetch16(0, u64::MAX, 2),
        pre_fetch16(0, 1 << 63, 1),
    ] {
        assert_lba_out_of_range(&check(&mut t, 0, cdb, vec![]));
    }
}

#[test]
fn a_bad_block_is_not_read_so_not_reported() {
    let mut t = bad_block_target();
    assert_eq!(run(&mut t, 0, pre_fetch16(0, 96, 8), vec![]).status, CONDITION_MET);
}

#[test]
fn reserved_bits_are_invalid_field() {
    let mut t = thin_and_thick();
    let d = check(&mut t, 0, pre_fetch10(0x01, 0, 1), vec![]);
    assert_invalid_cdb_field(&d, 1, Some(0));
    let d = check(&mut t, 0, pre_fetch16(0x20, 0, 1), vec![]);
    assert_invalid_cdb_field(&d, 1, Some(5));
}
