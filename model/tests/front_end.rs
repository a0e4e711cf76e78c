//! What every command meets before it runs: the LUN it is addressed to and the access map, the operation
//! code and service action, the CONTROL byte and the CDB length; and the shape of a CHECK CONDITION.

mod common;
use common::*;

use std::collections::BTreeSet;

use offload_model::config::{AccessMap, TargetConfig};
use offload_model::scsi::{Response, Target};

// ==== Logical units ====

#[test]
fn a_lun_outside_the_access_map_is_logical_unit_not_supported() {
    let mut t = host_granted_lun0_only();
    good(&mut t, 0, read10(0, 1), vec![]);
    for cdb in [read10(0, 1), read16(0, 1), test_unit_ready(), read_capacity10()] {
        assert_lun_not_supported(&check(&mut t, 1, cdb, vec![]));
    }
    assert_lun_not_supported(&check(&mut t, 1, write10(0, 1), vec![0x77; 512]));
    let other = t.execute(&request_from(OTHER_HOST, 1, read10(0, 1), vec![]));
    assert_eq!(other.status, 0, "an initiator without grants reaches every unit");

    let mut access = AccessMap { others_denied: true, ..AccessMap::default() };
    access.grants.insert(HOST.to_owned(), BTreeSet::from([1]));
    let mut t = Target::new(TargetConfig {
        units: vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, true)],
        access,
        ..TargetConfig::default()
    })
    .unwrap();
    good(&mut t, 1, read10(0, 1), vec![]);
    assert_lun_not_supported(&check(&mut t, 0, read10(0, 1), vec![]));
    let other = t.execute(&request_from(OTHER_HOST, 0, read10(0, 1), vec![]));
    assert_eq!(sense_of(&other).asc, Asc::LOGICAL_UNIT_NOT_SUPPORTED, "others are denied");
}

#[test]
fn an_unknown_lun_is_logical_unit_not_supported() {
    let mut t = rw_target();
    for lun in [2, 3, 255, 256, 0xFFFF] {
        assert_lun_not_supported(&check(&mut t, lun, read10(0, 1), vec![]));
        assert_lun_not_supported(&check(&mut t, lun, write16(0, 1), vec![0; 512]));
    }
}

// ==== Operation codes and CDBs ====

#[test]
fn an_unknown_operation_code_is_invalid_command_operation_code() {
    let mut t = rw_target();
    for opcode in [0x02u8, 0x0B, 0xC0, 0xFF] {
        let mut cdb = vec![0u8; 16];
        cdb[0] = opcode;
        assert_sense(&check(&mut t, 0, cdb, vec![]), SenseKey::ILLEGAL_REQUEST, Asc::INVALID_OPERATION_CODE);
    }
}

#[test]
fn an_unsupported_service_action_is_invalid_command_operation_code() {
    let mut t = rw_target();
    for sa in [0x00u8, 0x11, 0x13, 0x15, 0x1F] {
        let mut cdb = read_capacity16(32);
        cdb[1] = sa;
        assert_sense(&check(&mut t, 0, cdb, vec![]), SenseKey::ILLEGAL_REQUEST, Asc::INVALID_OPERATION_CODE);
    }
    let mut cdb = rsoc(false, 0, 0, 0, 1024);
    cdb[1] = 0x0D; // REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS
    assert_sense(&check(&mut t, 0, cdb, vec![]), SenseKey::ILLEGAL_REQUEST, Asc::INVALID_OPERATION_CODE);
}

#[test]
fn control_byte_reserved_bits_and_naca_are_invalid_field() {
    let mut t = rw_target();
    // CONTROL: bits 5–3 reserved, bit 2 NACA (unsupported: NORMACA=0), bits 1–0 obsolete.
    for bit in 0..=5u8 {
        let mut c = read10(0, 1);
        c[9] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![]), 9, Some(bit));
        let mut c = read16(0, 1);
        c[15] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![]), 15, Some(bit));
        let mut c = write10(0, 1);
        c[9] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![0; 512]), 9, Some(bit));
        let mut c = write16(0, 1);
        c[15] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![0; 512]), 15, Some(bit));
    }
}

#[test]
fn a_ten_byte_command_padded_to_sixteen_bytes_is_accepted() {
    let mut t = rw_target();
    let data = patterned(40, 2, 512, 4);
    let mut w = write10(40, 2);
    w.resize(16, 0);
    good(&mut t, 0, w, data.clone());
    let mut r = read10(40, 2);
    r.resize(16, 0);
    assert_eq!(good(&mut t, 0, r, vec![]), data);
    let mut tur = test_unit_ready();
    tur.resize(16, 0);
    good(&mut t, 0, tur, vec![]);
}

// ==== Responses ====

#[test]
fn check_condition_carries_no_data_in() {
    let mut t = thin_and_thick();
    let r: Response = run(&mut t, 0, read16(BLOCKS, 1), vec![]);
    assert_eq!(r.status, 2);
    assert!(r.data_in.is_empty());
    assert_eq!(r.sense.len(), 18, "fixed format, 18 bytes");
}
