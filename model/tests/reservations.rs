//! Reservations end to end: SPC-2 RESERVE/RELEASE, PERSISTENT RESERVE IN/OUT, the conflict table on
//! every kind of command, EXTENDED COPY's copy targets, nexus loss and resets, and the unit attentions a
//! reservation change causes.
//!
//! Expected values come from SPC-4 (parameter data layouts, 5.12's rules) and SPC-2 7.16/7.21. The
//! property test at the end checks every command's admission against a literal transcription of the
//! SPC-4 and SBC-4 tables of commands allowed in the presence of various reservations, indexed by the
//! column the standard prints (not the model's classes).

mod common;
use common::*;

use offload_model::scsi::reservations::Attention;
use offload_model::scsi::{Response, Target};
use offload_scsi::{CHECK_CONDITION, Forwarded, GOOD, RESERVATION_CONFLICT};
use proptest::prelude::*;

const A: &str = "host-a";
const B: &str = "host-b";
const C: &str = "host-c";
const KEY_A: u64 = 0xAAAA_0000_0000_0001;
const KEY_B: u64 = 0xBBBB_0000_0000_0002;

// PERSISTENT RESERVE OUT service actions and reservation types (SPC-4 6.16.1, 6.15.3).
const REGISTER: u8 = 0;
const RESERVE: u8 = 1;
const RELEASE: u8 = 2;
const CLEAR: u8 = 3;
const PREEMPT: u8 = 4;
const PREEMPT_AND_ABORT: u8 = 5;
const REGISTER_IGNORE: u8 = 6;
const WE: u8 = 1;
const EA: u8 = 3;
const WE_RO: u8 = 5;
const EA_RO: u8 = 6;
const WE_AR: u8 = 7;
const EA_AR: u8 = 8;
const TYPES: [u8; 6] = [WE, EA, WE_RO, EA_RO, WE_AR, EA_AR];

fn two_units() -> Target {
    target(vec![unit(BLOCKS, 512, false), unit(BLOCKS, 512, true)], Default::default())
}

/// The unit attentions pending for A, B and C on either unit, in that order, taken with REQUEST SENSE
/// (which reports each and clears it): what reservation changes queued for the other nexuses.
fn pending_attentions(t: &mut Target) -> Vec<Attention> {
    let mut pending = Vec::new();
    for nexus in [A, B, C] {
        for lun in 0..2 {
            for _ in 0..8 {
                let sense = t.execute(&request_from(nexus, lun, vec![0x03, 0, 0, 0, 252, 0], vec![])).data_in;
                if sense[2] & 0x0F != 0x06 {
                    break;
                }
                pending.push(Attention { nexus: nexus.to_owned(), lun, asc: Asc(sense[12], sense[13]) });
            }
        }
    }
    pending
}

fn exec(t: &mut Target, who: &str, cdb: Vec<u8>, data_out: Vec<u8>) -> Response {
    t.execute(&request_from(who, 0, cdb, data_out))
}

fn prout(t: &mut Target, who: &str, action: u8, kind: u8, key: u64, sark: u64) -> Response {
    exec(t, who, persistent_reserve_out(action, kind), prout_list(key, sark, 0))
}

#[track_caller]
fn prout_good(t: &mut Target, who: &str, action: u8, kind: u8, key: u64, sark: u64) {
    let r = prout(t, who, action, kind, key, sark);
    assert_eq!(r.status, GOOD, "PR OUT {action} from {who}: sense {:02x?}", r.sense);
}

#[track_caller]
fn conflict(r: &Response) {
    assert_eq!((r.status, r.sense.len(), r.data_in.len()), (RESERVATION_CONFLICT, 0, 0), "{r:?}");
}

/// Like [`exec`], after taking the unit attentions pending for `who` on LUN 0 (with REQUEST SENSE): the
/// conflict table is about reservations, and a preempted nexus first hears 2A/03–05.
fn exec_settled(t: &mut Target, who: &str, cdb: Vec<u8>, data_out: Vec<u8>) -> Response {
    for _ in 0..8 {
        let sense = exec(t, who, vec![0x03, 0, 0, 0, 252, 0], vec![]).data_in;
        if sense[2] & 0x0F != 0x06 {
            break;
        }
    }
    exec(t, who, cdb, data_out)
}

fn prin(t: &mut Target, who: &str, action: u8) -> Vec<u8> {
    let r = exec_settled(t, who, persistent_reserve_in(action, 8192), vec![]);
    assert_eq!(r.status, GOOD, "PR IN {action}: sense {:02x?}", r.sense);
    r.data_in
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().unwrap())
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b[..8].try_into().unwrap())
}

/// READ KEYS: (PRGENERATION, keys).
fn read_keys(t: &mut Target) -> (u32, Vec<u64>) {
    let d = prin(t, A, 0);
    let n = be32(&d[4..]) as usize;
    assert_eq!(d.len(), 8 + n);
    (be32(&d), d[8..].chunks(8).map(be64).collect())
}

/// READ RESERVATION: (key, type) of the reservation, if any.
fn read_reservation(t: &mut Target) -> Option<(u64, u8)> {
    let d = prin(t, A, 1);
    match be32(&d[4..]) {
        0 => None,
        16 => Some((be64(&d[8..]), d[21])),
        n => panic!("ADDITIONAL LENGTH {n}"),
    }
}

fn read10_cdb() -> Vec<u8> {
    read10(0, 1)
}

fn write10_cmd() -> (Vec<u8>, Vec<u8>) {
    (write10(0, 1), vec![0x5A; 512])
}

#[test]
fn register_reserve_and_release_with_every_type() {
    let mut t = two_units();
    assert_eq!(read_keys(&mut t), (0, vec![]));
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    assert_eq!(read_keys(&mut t), (1, vec![KEY_A]));
    for kind in TYPES {
        prout_good(&mut t, A, RESERVE, kind, KEY_A, 0);
        // SPC-4 6.15.3.2: an all-registrants reservation shows key zero.
        let key = if kind >= WE_AR { 0 } else { KEY_A };
        assert_eq!(read_reservation(&mut t), Some((key, kind)));
        prout_good(&mut t, A, RESERVE, kind, KEY_A, 0); // the holder again, same type
        let other = TYPES.iter().copied().find(|&k| k != kind).unwrap();
        conflict(&prout(&mut t, A, RESERVE, other, KEY_A, 0));
        let wrong = prout(&mut t, A, RELEASE, other, KEY_A, 0);
        assert_eq!(wrong.status, CHECK_CONDITION);
        assert_sense(&sense_of(&wrong), SenseKey::ILLEGAL_REQUEST, Asc(0x26, 0x04));
        prout_good(&mut t, A, RELEASE, kind, KEY_A, 0);
        assert_eq!(read_reservation(&mut t), None);
    }
    assert_eq!(read_keys(&mut t).0, 1, "RESERVE and RELEASE leave PRGENERATION alone");
}

#[test]
fn register_checks_the_key_and_ignore_existing_key_does_not() {
    let mut t = two_units();
    conflict(&prout(&mut t, A, REGISTER, 0, KEY_B, KEY_A)); // not registered, nonzero key
    prout_good(&mut t, A, REGISTER, 0, 0, 0); // no-op
    assert_eq!(read_keys(&mut t), (0, vec![]));
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    conflict(&prout(&mut t, A, REGISTER, 0, KEY_B, KEY_B)); // wrong key
    prout_good(&mut t, A, REGISTER_IGNORE, 0, 0x1234, KEY_B);
    assert_eq!(read_keys(&mut t), (2, vec![KEY_B]));
    prout_good(&mut t, A, REGISTER, 0, KEY_B, 0); // unregister
    assert_eq!(read_keys(&mut t), (3, vec![]));
    // Unregistered nexuses may not reserve, release, clear or preempt.
    for action in [RESERVE, RELEASE, CLEAR, PREEMPT] {
        conflict(&prout(&mut t, A, action, WE, 0, KEY_B));
    }
}

#[test]
fn parameter_list_and_cdb_fields_are_checked() {
    let mut t = two_units();
    // APTPL=1 declined (PTPL_C=0), SPEC_I_PT=1 declined (SIP_C=0): byte 20 bits 0 and 3.
    let r = exec(&mut t, A, persistent_reserve_out(REGISTER, 0), prout_list(0, KEY_A, 0x01));
    assert_invalid_parameter_field(&sense_of(&r), 20, Some(0));
    let r = exec(&mut t, A, persistent_reserve_out(REGISTER, 0), prout_list(0, KEY_A, 0x08));
    assert_invalid_parameter_field(&sense_of(&r), 20, Some(3));
    // ALL_TG_PT accepted, and reported by READ FULL STATUS.
    let r = exec(&mut t, A, persistent_reserve_out(REGISTER, 0), prout_list(0, KEY_A, 0x04));
    assert_eq!(r.status, GOOD);
    let status = prin(&mut t, A, 3);
    assert_eq!(status[8 + 12] & 0x02, 0x02, "ALL_TG_PT");
    // PARAMETER LIST LENGTH other than 24.
    let mut cdb = persistent_reserve_out(REGISTER, 0);
    cdb[8] = 25;
    let r = exec(&mut t, A, cdb, vec![0; 25]);
    assert_parameter_list_length_error(&sense_of(&r));
    // A reserved type and a scope other than LU_SCOPE.
    let r = prout(&mut t, A, RESERVE, 0x2, KEY_A, 0);
    assert_invalid_cdb_field(&sense_of(&r), 2, Some(3));
    let mut cdb = persistent_reserve_out(RESERVE, WE);
    cdb[2] |= 0x20;
    let r = exec(&mut t, A, cdb, prout_list(KEY_A, 0, 0));
    assert_invalid_cdb_field(&sense_of(&r), 2, Some(7));
    // Service actions past the defined ones: INVALID FIELD IN CDB, not an unknown command.
    for sa in [4u8, 0x1F] {
        let r = exec(&mut t, A, persistent_reserve_in(sa, 100), vec![]);
        assert_invalid_cdb_field(&sense_of(&r), 1, Some(4));
    }
    let r = exec(&mut t, A, persistent_reserve_out(7, 0), prout_list(KEY_A, KEY_B, 0));
    assert_invalid_cdb_field(&sense_of(&r), 1, Some(4));
}

#[test]
fn report_capabilities_as_spc4_lays_it_out() {
    let mut t = two_units();
    let d = prin(&mut t, A, 2);
    // LENGTH 8; CRH | ATP_C (SIP_C=0, PTPL_C=0); TMV, ALLOW COMMANDS 001b, PTPL_A 0; every type.
    assert_eq!(d, [0, 8, 0x14, 0x90, 0xEA, 0x01, 0, 0]);
    let d = exec(&mut t, A, persistent_reserve_in(2, 4), vec![]).data_in;
    assert_eq!(d, [0, 8, 0x14, 0x90], "truncated to ALLOCATION LENGTH");
}

#[test]
fn read_full_status_names_each_registrant_with_its_transport_id() {
    let mut t = two_units();
    let port = "iqn.2026-11.test:host-a,i,0x23d000000001";
    prout_good(&mut t, port, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, B, REGISTER, 0, 0, KEY_B);
    prout_good(&mut t, port, RESERVE, WE_RO, KEY_A, 0);
    let d = prin(&mut t, A, 3);
    assert_eq!(be32(&d), 2, "PRGENERATION");
    let first = &d[8..];
    assert_eq!(be64(first), KEY_A);
    assert_eq!((first[12], first[13]), (0x01, WE_RO), "R_HOLDER, LU_SCOPE and type");
    assert_eq!(&first[18..20], &[0, 1], "RELATIVE TARGET PORT IDENTIFIER");
    // Format 01b iSCSI TransportID: the port name with ",i,0x<ISID>", null-terminated, padded to 4.
    let id_len = be32(&first[20..]) as usize;
    let id = &first[24..24 + id_len];
    let name_len = port.len() + 1;
    assert_eq!(id_len, 4 + name_len.next_multiple_of(4));
    assert_eq!(id[0], 0x45);
    assert_eq!(usize::from(u16::from_be_bytes([id[2], id[3]])), id_len - 4);
    assert_eq!(&id[4..4 + port.len()], port.as_bytes());
    assert!(id[4 + port.len()..].iter().all(|&b| b == 0));
    let second = &first[24 + id_len..];
    assert_eq!(be64(second), KEY_B);
    assert_eq!((second[12], second[13]), (0, 0), "not a holder");
    let id = &second[24..];
    assert_eq!(id[0], 0x05, "format 00b for a plain name");
    assert_eq!(&id[4..10], b"host-b");
    assert_eq!(be32(&d[4..]) as usize, d.len() - 8);
}

#[test]
fn spc2_reserve_and_release() {
    let mut t = two_units();
    for (reserve, release) in [(reserve6(), release6()), (reserve10(), release10())] {
        assert_eq!(exec(&mut t, A, reserve.clone(), vec![]).status, GOOD);
        assert_eq!(exec(&mut t, A, reserve.clone(), vec![]).status, GOOD, "the holder again");
        conflict(&exec(&mut t, B, reserve.clone(), vec![]));
        conflict(&exec(&mut t, B, read10_cdb(), vec![]));
        conflict(&exec(&mut t, B, test_unit_ready(), vec![]));
        conflict(&prout(&mut t, B, REGISTER, 0, 0, KEY_B));
        assert_eq!(exec(&mut t, B, inquiry(false, 0, 36), vec![]).status, GOOD);
        assert_eq!(exec(&mut t, B, persistent_reserve_in(0, 8), vec![]).status, GOOD);
        assert_eq!(exec(&mut t, B, release.clone(), vec![]).status, GOOD, "a non-holder's RELEASE is GOOD");
        conflict(&exec(&mut t, B, read10_cdb(), vec![]));
        assert_eq!(exec(&mut t, A, read10_cdb(), vec![]).status, GOOD);
        // The other unit is not reserved.
        assert_eq!(t.execute(&request_from(B, 1, read10_cdb(), vec![])).status, GOOD);
        assert_eq!(exec(&mut t, A, release, vec![]).status, GOOD);
        assert_eq!(exec(&mut t, B, read10_cdb(), vec![]).status, GOOD);
    }
    // Third-party RESERVE (10) is refused by its reserved bits.
    let mut cdb = reserve10();
    cdb[1] = 0x10;
    assert_invalid_cdb_field(&sense_of(&exec(&mut t, A, cdb, vec![])), 1, Some(4));
}

#[test]
fn reserve_and_release_conflict_while_anyone_is_registered() {
    // SPC-4 5.12.3: with a registration present, RESERVE and RELEASE conflict from every nexus.
    let mut t = two_units();
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    for who in [A, B] {
        conflict(&exec(&mut t, who, reserve6(), vec![]));
        conflict(&exec(&mut t, who, release6(), vec![]));
    }
}

#[test]
fn nexus_loss_releases_spc2_reservations_and_keeps_registrations() {
    let mut t = two_units();
    assert_eq!(exec(&mut t, A, reserve6(), vec![]).status, GOOD);
    t.nexus_loss(A);
    assert_eq!(exec(&mut t, B, reserve6(), vec![]).status, GOOD, "A's reservation went with its nexus");
    t.logical_unit_reset(A, 0);
    pending_attentions(&mut t); // 29/03 for every nexus
    assert_eq!(exec(&mut t, A, reserve6(), vec![]).status, GOOD, "LOGICAL UNIT RESET released B's");
    t.target_reset(A);
    pending_attentions(&mut t); // 29/02 for every nexus
    assert_eq!(exec(&mut t, B, reserve6(), vec![]).status, GOOD, "TARGET RESET released A's");
    assert_eq!(exec(&mut t, B, release6(), vec![]).status, GOOD);

    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, A, RESERVE, EA, KEY_A, 0);
    t.nexus_loss(A);
    t.logical_unit_reset(A, 0);
    pending_attentions(&mut t); // 29/03 for every nexus
    t.target_reset(A);
    pending_attentions(&mut t); // 29/02 for every nexus
    assert_eq!(read_keys(&mut t).1, vec![KEY_A]);
    assert_eq!(read_reservation(&mut t), Some((KEY_A, EA)));
    conflict(&exec(&mut t, B, read10_cdb(), vec![]));
}

#[test]
fn preempt_takes_the_reservation_and_tells_the_preempted() {
    let mut t = two_units();
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, B, REGISTER, 0, 0, KEY_B);
    prout_good(&mut t, C, REGISTER, 0, 0, KEY_B); // C shares B's key
    prout_good(&mut t, B, RESERVE, WE, KEY_B, 0);
    assert!(pending_attentions(&mut t).is_empty());
    prout_good(&mut t, A, PREEMPT_AND_ABORT, EA, KEY_A, KEY_B);
    assert_eq!(read_reservation(&mut t), Some((KEY_A, EA)));
    assert_eq!(read_keys(&mut t).1, vec![KEY_A]);
    let preempted = |nexus: &str| Attention { nexus: nexus.to_owned(), lun: 0, asc: Asc(0x2A, 0x05) };
    assert_eq!(pending_attentions(&mut t), vec![preempted(B), preempted(C)]);
    conflict(&exec(&mut t, B, read10_cdb(), vec![]));
    // A key nobody holds: RESERVATION CONFLICT; key zero without an all-registrants reservation: invalid.
    conflict(&prout(&mut t, A, PREEMPT, EA, KEY_A, 0x77));
    let r = prout(&mut t, A, PREEMPT, EA, KEY_A, 0);
    assert_invalid_parameter_byte(&sense_of(&r), 8);
}

#[test]
fn preempt_with_key_zero_under_all_registrants_removes_every_other_registrant() {
    let mut t = two_units();
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, B, REGISTER, 0, 0, KEY_B);
    prout_good(&mut t, B, RESERVE, EA_AR, KEY_B, 0);
    prout_good(&mut t, A, PREEMPT, WE_RO, KEY_A, 0);
    assert_eq!(read_reservation(&mut t), Some((KEY_A, WE_RO)));
    assert_eq!(read_keys(&mut t).1, vec![KEY_A]);
    assert_eq!(pending_attentions(&mut t), vec![Attention { nexus: B.to_owned(), lun: 0, asc: Asc(0x2A, 0x05) }]);
}

#[test]
fn clear_and_release_tell_the_other_registrants() {
    let mut t = two_units();
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, B, REGISTER, 0, 0, KEY_B);
    prout_good(&mut t, A, RESERVE, WE_RO, KEY_A, 0);
    prout_good(&mut t, A, RELEASE, WE_RO, KEY_A, 0);
    assert_eq!(pending_attentions(&mut t), vec![Attention { nexus: B.to_owned(), lun: 0, asc: Asc(0x2A, 0x04) }]);
    prout_good(&mut t, A, RESERVE, WE, KEY_A, 0);
    prout_good(&mut t, A, RELEASE, WE, KEY_A, 0);
    assert!(pending_attentions(&mut t).is_empty(), "no attention for a Write Exclusive release");
    prout_good(&mut t, A, RESERVE, EA, KEY_A, 0);
    prout_good(&mut t, B, CLEAR, 0, KEY_B, 0);
    assert_eq!(pending_attentions(&mut t), vec![Attention { nexus: A.to_owned(), lun: 0, asc: Asc(0x2A, 0x03) }]);
    assert_eq!(read_keys(&mut t).1, Vec::<u64>::new());
    assert_eq!(read_reservation(&mut t), None);
}

#[test]
fn the_holder_unregistering_releases_its_reservation() {
    let mut t = two_units();
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, B, REGISTER, 0, 0, KEY_B);
    prout_good(&mut t, A, RESERVE, EA_RO, KEY_A, 0);
    prout_good(&mut t, A, REGISTER, 0, KEY_A, 0);
    assert_eq!(read_reservation(&mut t), None);
    assert_eq!(pending_attentions(&mut t), vec![Attention { nexus: B.to_owned(), lun: 0, asc: Asc(0x2A, 0x04) }]);
    // All registrants: the reservation lasts while anyone is registered.
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, B, RESERVE, WE_AR, KEY_B, 0);
    prout_good(&mut t, B, REGISTER, 0, KEY_B, 0);
    assert_eq!(read_reservation(&mut t), Some((0, WE_AR)));
    prout_good(&mut t, A, REGISTER, 0, KEY_A, 0);
    assert_eq!(read_reservation(&mut t), None);
}

#[test]
fn block_commands_under_exclusive_access() {
    // SBC-4's table: COMPARE AND WRITE, WRITE SAME, UNMAP, SYNCHRONIZE CACHE conflict like WRITE; GET
    // LBA STATUS like READ; READ CAPACITY never.
    let mut t = two_units();
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    let thin = 1;
    let prout_thin = |t: &mut Target, action, kind, key, sark| {
        t.execute(&request_from(A, thin, persistent_reserve_out(action, kind), prout_list(key, sark, 0)))
    };
    assert_eq!(prout_thin(&mut t, REGISTER, 0, 0, KEY_A).status, GOOD);
    for (kind, reads) in [(EA, false), (WE, true)] {
        assert_eq!(prout_thin(&mut t, RESERVE, kind, KEY_A, 0).status, GOOD);
        let writes: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (compare_and_write(0, 1), vec![0; 1024]),
            (write_same10(0, 0, 1), vec![0; 512]),
            (unmap(false, 24), unmap_list(&[(0, 1)])),
            (synchronize_cache10(0, 0, 0), vec![]),
            (write16(0, 1), vec![0; 512]),
        ];
        for (cdb, data) in writes {
            conflict(&t.execute(&request_from(B, thin, cdb.clone(), data.clone())));
            let r = t.execute(&request_from(A, thin, cdb.clone(), data));
            assert_ne!(r.status, RESERVATION_CONFLICT, "{cdb:02x?} from the holder");
        }
        let lba_status = t.execute(&request_from(B, thin, get_lba_status(0, 64), vec![]));
        assert_eq!(lba_status.status == GOOD, reads, "GET LBA STATUS under type {kind}");
        assert_eq!(t.execute(&request_from(B, thin, read_capacity16(32), vec![])).status, GOOD);
        assert_eq!(prout_thin(&mut t, RELEASE, kind, KEY_A, 0).status, GOOD);
    }
}

#[test]
fn extended_copy_checks_its_copy_targets_for_the_issuing_nexus() {
    // LUN 0 is reserved Exclusive Access by A: B may still copy between other units through LUN 0 as the
    // copy manager, but not read LUN 0 as a source nor write it as a destination.
    let mut t = two_units();
    let naa = [naa_of(&mut t, 0), naa_of(&mut t, 1)];
    prout_good(&mut t, A, REGISTER, 0, 0, KEY_A);
    prout_good(&mut t, A, RESERVE, EA, KEY_A, 0);
    let list = |src, dst| {
        let cscds = [cscd(&naa[0], 512), cscd(&naa[1], 512)];
        copy_list(0, 0, &cscds, &[segment(src, dst, 1, 0, 8)])
    };
    let copy = |t: &mut Target, who: &str, lun, src, dst| {
        let l = list(src, dst);
        t.execute(&request_from(who, lun, extended_copy(l.len() as u32), l))
    };
    assert_eq!(copy(&mut t, B, 0, 1, 1).status, GOOD, "LUN 0 as the copy manager only");
    assert_eq!(copy(&mut t, A, 1, 0, 1).status, GOOD, "the holder");
    for (src, dst, byte, from) in [(0, 1, 4, CopyTarget::Source), (1, 0, 6, CopyTarget::Destination)] {
        let r = copy(&mut t, B, 1, src, dst);
        let s = sense_of(&r);
        assert_sense(&s, SenseKey::COPY_ABORTED, Asc::NO_ADDITIONAL_SENSE);
        assert_eq!(s.command_specific, Some(0), "segment 0");
        assert_eq!(s.key_specific, Some(KeySpecific::Segment { in_segment: true, byte, bit: None }));
        assert_eq!(s.forwarded, Some(Forwarded::status_only(from, RESERVATION_CONFLICT)));
        assert!(r.jobs.is_empty(), "nothing moved");
    }
}

// ---- the property test ----

/// The column of the SPC-4 / SBC-4 tables that applies to a nexus, as the standard prints them
/// (plus the holder, and "no reservation", to which everything is allowed).
#[derive(Clone, Copy, Debug)]
enum Column {
    Spc2ReservedByAnother = 0,
    WriteExclusiveAny = 1,
    ExclusiveAccessAny = 2,
    RegisteredRegistrantsTypes = 3,
    UnregisteredWriteExclusiveRegistrantsTypes = 4,
    UnregisteredExclusiveAccessRegistrantsTypes = 5,
}

/// A command of the sequence that the table judges, and its row.
#[derive(Clone, Copy, Debug)]
enum Probe {
    Read10,
    Write10,
    ModeSense6,
    TestUnitReady,
    Inquiry,
    ReadCapacity10,
    GetLbaStatus,
    SynchronizeCache10,
    /// EXTENDED COPY of LUN 0 onto itself (CSCD ID FFFFh): READ for its source, WRITE for its destination.
    CopyWithin,
}

const ALLOWED: bool = true;
const CONFLICT: bool = false;

/// READ (SBC-4), columns in [`Column`] order.
const READ: [bool; 6] = [CONFLICT, ALLOWED, CONFLICT, ALLOWED, ALLOWED, CONFLICT];
/// WRITE (SBC-4); SYNCHRONIZE CACHE (SBC-4) and MODE SENSE (SPC-4) print the same row.
const WRITE: [bool; 6] = [CONFLICT, CONFLICT, CONFLICT, ALLOWED, CONFLICT, CONFLICT];
/// TEST UNIT READY (SPC-4).
const TUR: [bool; 6] = [CONFLICT, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED];

/// The rows as the tables print them; EXTENDED COPY's copy targets are judged as a READ (source) and a
/// WRITE (destination).
fn row(probe: Probe) -> [bool; 6] {
    match probe {
        Probe::Read10 | Probe::GetLbaStatus => READ,
        Probe::Write10 | Probe::SynchronizeCache10 | Probe::ModeSense6 => WRITE,
        Probe::TestUnitReady => TUR,
        Probe::Inquiry | Probe::ReadCapacity10 => [ALLOWED; 6],
        Probe::CopyWithin => [ALLOWED; 6],
    }
}

/// What the reference knows: the SPC-2 holder (from the RESERVE/RELEASE statuses it saw) and, read back
/// through READ FULL STATUS, the registrants, the holders and the persistent reservation's type.
struct Observed {
    spc2: Option<&'static str>,
    registered: Vec<String>,
    holders: Vec<String>,
    kind: Option<u8>,
}

fn observe(t: &mut Target, spc2: Option<&'static str>) -> Observed {
    let d = prin(t, A, 3);
    let mut at = 8;
    let (mut registered, mut holders, mut kind) = (Vec::new(), Vec::new(), None);
    while at < d.len() {
        let desc = &d[at..];
        let id_len = be32(&desc[20..]) as usize;
        let name: Vec<u8> = desc[28..24 + id_len].iter().copied().take_while(|&b| b != 0).collect();
        let name = String::from_utf8(name).unwrap();
        if desc[12] & 1 != 0 {
            holders.push(name.clone());
            kind = Some(desc[13] & 0x0F);
        }
        registered.push(name);
        at += 24 + id_len;
    }
    Observed { spc2, registered, holders, kind }
}

/// The reference's verdict: whether `who` may run a command of `probe`'s row.
fn reference_allows(o: &Observed, who: &str, row: [bool; 6]) -> bool {
    if let Some(holder) = o.spc2 {
        return holder == who || row[Column::Spc2ReservedByAnother as usize];
    }
    let Some(kind) = o.kind else { return true };
    if o.holders.iter().any(|h| h == who) {
        return true;
    }
    let registered = o.registered.iter().any(|r| r == who);
    let column = match (kind, registered) {
        (WE, _) => Column::WriteExclusiveAny,
        (EA, _) => Column::ExclusiveAccessAny,
        (_, true) => Column::RegisteredRegistrantsTypes,
        (WE_RO | WE_AR, false) => Column::UnregisteredWriteExclusiveRegistrantsTypes,
        (_, false) => Column::UnregisteredExclusiveAccessRegistrantsTypes,
    };
    row[column as usize]
}

#[derive(Clone, Debug)]
enum Step {
    Prout { who: usize, action: u8, kind: u8, key: usize, sark: usize },
    Reserve6(usize),
    Release6(usize),
    Probe(usize, Probe),
}

const NEXUSES: [&str; 3] = [A, B, C];
const KEYS: [u64; 3] = [0, KEY_A, KEY_B];

fn step() -> impl Strategy<Value = Step> {
    let probe = prop_oneof![
        Just(Probe::Read10),
        Just(Probe::Write10),
        Just(Probe::ModeSense6),
        Just(Probe::TestUnitReady),
        Just(Probe::Inquiry),
        Just(Probe::ReadCapacity10),
        Just(Probe::GetLbaStatus),
        Just(Probe::SynchronizeCache10),
        Just(Probe::CopyWithin),
    ];
    let action = prop_oneof![
        Just(REGISTER),
        Just(REGISTER_IGNORE),
        Just(RESERVE),
        Just(RELEASE),
        Just(CLEAR),
        Just(PREEMPT),
        Just(PREEMPT_AND_ABORT)
    ];
    prop_oneof![
        4 => (0..3usize, action, proptest::sample::select(TYPES.to_vec()), 0..3usize, 0..3usize)
            .prop_map(|(who, action, kind, key, sark)| Step::Prout { who, action, kind, key, sark }),
        1 => (0..3usize).prop_map(Step::Reserve6),
        1 => (0..3usize).prop_map(Step::Release6),
        6 => (0..3usize, probe).prop_map(|(who, p)| Step::Probe(who, p)),
    ]
}

fn probe_command(probe: Probe) -> (Vec<u8>, Vec<u8>) {
    match probe {
        Probe::Read10 => (read10_cdb(), vec![]),
        Probe::Write10 => write10_cmd(),
        Probe::ModeSense6 => (vec![0x1A, 0, 0x3F, 0, 255, 0], vec![]),
        Probe::TestUnitReady => (test_unit_ready(), vec![]),
        Probe::Inquiry => (inquiry(false, 0, 36), vec![]),
        Probe::ReadCapacity10 => (read_capacity10(), vec![]),
        Probe::GetLbaStatus => (get_lba_status(0, 64), vec![]),
        Probe::SynchronizeCache10 => (synchronize_cache10(0, 0, 0), vec![]),
        Probe::CopyWithin => {
            let list = copy_list(0, 0, &[], &[segment(0xFFFF, 0xFFFF, 1, 0, 8)]);
            (extended_copy(list.len() as u32), list)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_command_is_admitted_as_the_tables_say(steps in proptest::collection::vec(step(), 1..40)) {
        let mut t = target(vec![unit(BLOCKS, 512, true)], Default::default());
        let mut spc2: Option<&'static str> = None;
        for step in steps {
            match step {
                Step::Prout { who, action, kind, key, sark } => {
                    let r = prout(&mut t, NEXUSES[who], action, kind, KEYS[key], KEYS[sark]);
                    prop_assert!(r.status != RESERVATION_CONFLICT || r.sense.is_empty());
                }
                Step::Reserve6(who) => {
                    if exec_settled(&mut t, NEXUSES[who], reserve6(), vec![]).status == GOOD {
                        spc2 = Some(NEXUSES[who]);
                    }
                }
                Step::Release6(who) => {
                    let r = exec_settled(&mut t, NEXUSES[who], release6(), vec![]);
                    if r.status == GOOD && spc2 == Some(NEXUSES[who]) {
                        spc2 = None;
                    }
                }
                Step::Probe(who, probe) => {
                    let observed = observe(&mut t, spc2);
                    let nexus = NEXUSES[who];
                    let (cdb, data) = probe_command(probe);
                    let r = exec_settled(&mut t, nexus, cdb, data);
                    if let Probe::CopyWithin = probe {
                        let blocked = if !reference_allows(&observed, nexus, READ) {
                            Some(CopyTarget::Source)
                        } else if !reference_allows(&observed, nexus, WRITE) {
                            Some(CopyTarget::Destination)
                        } else {
                            None
                        };
                        match blocked {
                            None => prop_assert_eq!(r.status, GOOD, "{:?}", r.sense),
                            Some(from) => {
                                prop_assert_eq!(r.status, CHECK_CONDITION);
                                let s = sense_of(&r);
                                prop_assert_eq!(s.forwarded, Some(Forwarded::status_only(from, RESERVATION_CONFLICT)));
                            }
                        }
                    } else {
                        let allowed = reference_allows(&observed, nexus, row(probe));
                        prop_assert_eq!(r.status != RESERVATION_CONFLICT, allowed, "{:?} from {}", probe, nexus);
                        if allowed {
                            prop_assert_eq!(r.status, GOOD, "{:?}: {:02x?}", probe, r.sense);
                        }
                    }
                }
            }
        }
    }
}
