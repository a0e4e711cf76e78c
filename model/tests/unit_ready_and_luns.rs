//! TEST UNIT READY and REPORT LUNS: which logical units there are, and which an initiator may see.

mod common;
use common::*;

use std::collections::BTreeSet;

use offload_model::config::{AccessMap, Limits, TargetConfig};
use offload_model::scsi::Target;

// ==== TEST UNIT READY ====

#[test]
fn test_unit_ready_is_good_on_every_configured_lun() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        assert_eq!(good(&mut t, lun, test_unit_ready(), vec![]), Vec::<u8>::new());
    }
}

#[test]
fn test_unit_ready_on_an_unconfigured_lun_is_logical_unit_not_supported() {
    let mut t = thin_and_thick();
    for lun in [2, 255, 0xFFFF] {
        assert_lun_not_supported(&check(&mut t, lun, test_unit_ready(), vec![]));
    }
}

#[test]
fn test_unit_ready_with_naca_is_invalid_field_at_control_byte() {
    let mut t = thin_and_thick();
    let d = check(&mut t, 0, vec![0, 0, 0, 0, 0, 0x04], vec![]);
    assert_invalid_cdb_field(&d, 5, Some(2));
}

#[test]
fn test_unit_ready_reserved_bytes_are_checked() {
    let mut t = thin_and_thick();
    for byte in 1..=4 {
        let mut cdb = test_unit_ready();
        cdb[byte] = 0x40;
        assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), byte, Some(6));
    }
}

// ==== REPORT LUNS ====

/// REPORT LUNS: byte 2 SELECT REPORT, bytes 6–9 ALLOCATION LENGTH.
fn report_luns(select: u8, allocation: u32) -> Vec<u8> {
    let mut c = vec![0xA0, 0, select, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    c[6..10].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// (LUN LIST LENGTH, LUNs) from REPORT LUNS data, each LUN in peripheral device addressing.
fn luns_of(d: &[u8]) -> (u32, Vec<u16>) {
    let list_length = d.be32(0);
    let luns = d[8..]
        .chunks(8)
        .map(|e| {
            assert_eq!(e[0] >> 6, 0, "peripheral device addressing");
            assert_eq!(&e[2..], &[0; 6], "single level");
            u16::from(e[0] & 0x3F) << 8 | u16::from(e[1])
        })
        .collect();
    (list_length, luns)
}

#[test]
fn report_luns_lists_every_configured_unit() {
    let mut t = target(vec![unit(64, 512, true); 3], Limits::default());
    let d = good(&mut t, 0, report_luns(0, 1024), vec![]);
    assert_eq!(luns_of(&d), (24, vec![0, 1, 2]));
    assert_eq!(d.len(), 8 + 24);
    let d2 = good(&mut t, 0, report_luns(2, 1024), vec![]);
    assert_eq!(d2, d, "SELECT REPORT 02h: the same units");
}

#[test]
fn report_luns_lists_only_the_units_the_initiator_may_access() {
    let mut access = AccessMap::default();
    access.grants.insert(HOST.to_owned(), BTreeSet::from([1, 3]));
    let mut t = Target::new(TargetConfig {
        units: vec![unit(64, 512, true); 4],
        access: access.clone(),
        ..TargetConfig::default()
    })
    .unwrap();
    let d = good(&mut t, 1, report_luns(0, 1024), vec![]);
    assert_eq!(luns_of(&d), (16, vec![1, 3]));
    let d = good(&mut t, 0, report_luns(0, 1024), vec![]);
    assert_eq!(luns_of(&d), (16, vec![1, 3]), "answered even when sent to an inaccessible LUN");
    let other = t.execute(&request_from(OTHER_HOST, 0, report_luns(0, 1024), vec![]));
    assert_eq!(luns_of(&other.data_in), (32, vec![0, 1, 2, 3]), "others see every unit");

    access.others_denied = true;
    access.grants.insert(OTHER_HOST.to_owned(), BTreeSet::from([2]));
    let mut t =
        Target::new(TargetConfig { units: vec![unit(64, 512, true); 4], access, ..TargetConfig::default() }).unwrap();
    let other = t.execute(&request_from(OTHER_HOST, 2, report_luns(0, 1024), vec![]));
    assert_eq!(luns_of(&other.data_in), (8, vec![2]));
}

#[test]
fn report_luns_allocation_length_truncates_but_keeps_the_list_length() {
    let mut t = target(vec![unit(64, 512, true); 3], Limits::default());
    let d = good(&mut t, 0, report_luns(0, 16), vec![]);
    assert_eq!(d.len(), 16);
    assert_eq!(d.be32(0), 24);
    assert_eq!(d[9], 0, "the first LUN");
}

#[test]
fn report_luns_well_known_units_only_is_an_empty_list() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, report_luns(1, 1024), vec![]);
    assert_eq!(luns_of(&d), (0, vec![]), "no well-known logical units");
}

#[test]
fn report_luns_reserved_select_report_is_invalid_field() {
    let mut t = thin_and_thick();
    for select in [0x03, 0x80, 0xFF] {
        assert_invalid_cdb_byte(&check(&mut t, 0, report_luns(select, 1024), vec![]), 2);
    }
}
