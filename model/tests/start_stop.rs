//! START STOP UNIT and the stopped state (SBC-4): START=0 stops the unit, and every medium access gets
//! NOT READY, LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED (2h/04h/02h) until START=1; the
//! commands that do not touch the medium keep answering.

mod common;
use common::*;

use offload_model::config::Limits;
use offload_model::scsi::{Response, Target};

const STOP: u8 = 0x00;
const START: u8 = 0x01;
const NO_FLUSH: u8 = 0x04;

fn assert_not_ready(s: &Sense) {
    assert_sense(s, SenseKey::NOT_READY, Asc(0x04, 0x02));
}

fn stopped_target() -> Target {
    let mut t = thin_and_thick();
    good(&mut t, 0, start_stop_unit(false, STOP | NO_FLUSH), vec![]);
    t
}

#[test]
fn a_stopped_unit_refuses_every_medium_access() {
    let mut t = stopped_target();
    let list = unmap_list(&[(0, 1)]);
    let medium: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (test_unit_ready(), vec![]),
        (read6(0, 1), vec![]),
        (read10(0, 1), vec![]),
        (read12(0, 1), vec![]),
        (read16(0, 1), vec![]),
        (write6(0, 1), vec![0; 512]),
        (write10(0, 1), vec![0; 512]),
        (write12(0, 1), vec![0; 512]),
        (write16(0, 1), vec![0; 512]),
        (write_atomic16(0, 0, 1), vec![0; 512]),
        (compare_and_write(0, 1), vec![0; 1024]),
        (write_same16(0, 0, 1), vec![0; 512]),
        (unmap(false, list.len() as u16), list),
        (read_capacity10(), vec![]),
        (read_capacity16(32), vec![]),
        (get_lba_status(0, 24), vec![]),
        (synchronize_cache10(0, 0, 0), vec![]),
        (pre_fetch10(0, 0, 1), vec![]),
        (pre_fetch16(0, 0, 1), vec![]),
        (extended_copy(0), vec![]),
    ];
    for (cdb, data) in medium {
        let r = run(&mut t, 0, cdb.clone(), data);
        assert_eq!(r.status, 2, "{cdb:02x?}");
        assert!(r.jobs.is_empty(), "nothing reached the engines: {cdb:02x?}");
        assert_not_ready(&sense_of(&r));
    }
    assert_eq!(good(&mut t, 1, read10(0, 1), vec![]).len(), 512, "only the stopped unit is stopped");
}

#[test]
fn a_stopped_unit_still_answers_what_does_not_touch_the_medium() {
    let mut t = stopped_target();
    good(&mut t, 0, inquiry(false, 0, 96), vec![]);
    good(&mut t, 0, inquiry(true, 0xB0, 255), vec![]);
    good(&mut t, 0, vec![0x1A, 0x08, 0x3F, 0, 255, 0], vec![]);
    good(&mut t, 0, vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0], vec![]);
    good(&mut t, 0, rsoc(false, 0, 0, 0, 4096), vec![]);
    good(&mut t, 0, read_defect_data10(0x08, 32), vec![]);
    good(&mut t, 0, receive_copy_results(3, 0, 64), vec![]);
}

#[test]
fn start_ends_the_stopped_state() {
    let mut t = stopped_target();
    good(&mut t, 0, start_stop_unit(false, START), vec![]);
    good(&mut t, 0, test_unit_ready(), vec![]);
    good(&mut t, 0, write10(0, 1), vec![5; 512]);
    assert_eq!(good(&mut t, 0, read10(0, 1), vec![]), vec![5; 512], "the medium kept its data");
    // START=1 on a started unit, START=0/1 with IMMED: all GOOD.
    good(&mut t, 0, start_stop_unit(true, START), vec![]);
    good(&mut t, 0, start_stop_unit(true, STOP), vec![]);
    assert_not_ready(&check(&mut t, 0, test_unit_ready(), vec![]));
    good(&mut t, 0, start_stop_unit(true, START), vec![]);
    good(&mut t, 0, test_unit_ready(), vec![]);
}

#[test]
fn the_stopped_state_is_the_units_not_the_nexus() {
    let mut t = stopped_target();
    let r = t.execute(&request_from(OTHER_HOST, 0, read10(0, 1), vec![]));
    assert_not_ready(&sense_of(&r));
    let r = t.execute(&request_from(OTHER_HOST, 0, start_stop_unit(false, START), vec![]));
    assert_eq!(r.status, 0);
    good(&mut t, 0, read10(0, 1), vec![]);
}

#[test]
fn stopping_flushes_the_write_cache_unless_no_flush() {
    // With NO_FLUSH=0 the cached writes are made durable before GOOD: the whole unit.
    let mut t = target(vec![unit(100, 512, true)], Limits::default());
    let r = run(&mut t, 0, start_stop_unit(false, STOP), vec![]);
    assert_eq!(r.status, 0);
    assert_eq!(r.durable.len(), 1);
    assert_eq!((r.durable[0].lun, r.durable[0].lba, r.durable[0].blocks), (0, 0, 100));
    good(&mut t, 0, start_stop_unit(false, START), vec![]);
    let r = run(&mut t, 0, start_stop_unit(false, STOP | NO_FLUSH), vec![]);
    assert!(r.status == 0 && r.durable.is_empty());
}

#[test]
fn power_conditions() {
    let mut t = thin_and_thick();
    // ACTIVE (1h) starts a stopped unit, START ignored.
    good(&mut t, 0, start_stop_unit(false, STOP | NO_FLUSH), vec![]);
    good(&mut t, 0, start_stop_unit(false, 0x10), vec![]);
    good(&mut t, 0, test_unit_ready(), vec![]);
    // LU_CONTROL (7h) changes nothing.
    good(&mut t, 0, start_stop_unit(false, 0x70 | START), vec![]);
    good(&mut t, 0, test_unit_ready(), vec![]);
    good(&mut t, 0, start_stop_unit(false, STOP | NO_FLUSH), vec![]);
    good(&mut t, 0, start_stop_unit(false, 0x70 | START), vec![]);
    assert_not_ready(&check(&mut t, 0, test_unit_ready(), vec![]));
    good(&mut t, 0, start_stop_unit(false, START), vec![]);
    // IDLE, STANDBY, FORCE_IDLE_0, FORCE_STANDBY_0 and the reserved values: INVALID FIELD IN CDB at
    // POWER CONDITION (byte 4, bit 7), and nothing changes.
    for pc in [2u8, 3, 4, 5, 6, 8, 9, 0xA, 0xB, 0xC, 0xD, 0xE, 0xF] {
        let d = check(&mut t, 0, start_stop_unit(false, pc << 4), vec![]);
        assert_invalid_cdb_field(&d, 4, Some(7));
    }
    good(&mut t, 0, test_unit_ready(), vec![]);
    // POWER CONDITION MODIFIER (byte 3, bits 3–0) qualifies only IDLE and STANDBY.
    let mut cdb = start_stop_unit(false, START);
    cdb[3] = 0x01;
    assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), 3, Some(3));
}

#[test]
fn load_eject_on_a_non_removable_unit_is_invalid_field() {
    let mut t = thin_and_thick();
    for byte4 in [0x02, 0x03] {
        let d = check(&mut t, 0, start_stop_unit(false, byte4), vec![]);
        assert_invalid_cdb_field(&d, 4, Some(1));
    }
    good(&mut t, 0, test_unit_ready(), vec![]);
    assert_eq!(good(&mut t, 0, inquiry(false, 0, 96), vec![])[1] & 0x80, 0, "RMB=0: not removable");
}

#[test]
fn admit_gives_the_models_answer_for_a_stopped_unit() {
    let mut t = stopped_target();
    let stopped = admit(&mut t, 0, read10(0, 1)).expect("refused");
    assert_eq!(stopped, t.execute(&request(0, read10(0, 1), vec![])), "byte for byte the model's answer");
    assert!(admit(&mut t, 1, read10(0, 1)).is_none(), "a started unit");
    assert!(admit(&mut t, 0, inquiry(false, 0, 96)).is_none(), "no medium access");
    assert!(admit(&mut t, 9, read10(0, 1)).is_none(), "front-end errors are the executor's");
    assert!(admit(&mut t, 0, with_reserved(read10(0, 1))).is_none(), "front-end errors first");
}

/// The model's gates alone ([`Target::admit`]), as the fast-path back end asks them.
fn admit(t: &mut Target, lun: u16, cdb: Vec<u8>) -> Option<Response> {
    let r = request(lun, cdb, vec![]);
    t.admit(&r.initiator, r.lun, &r.cdb)
}

fn with_reserved(mut cdb: Vec<u8>) -> Vec<u8> {
    cdb[9] = 0x04; // NACA
    cdb
}
