//! REPORT SUPPORTED OPERATION CODES: the command list, one-command queries with their usage data, and the
//! check that every bit outside the reported usage data is refused.

mod common;
use common::*;

use std::collections::BTreeMap;

use offload_model::scsi::Target;

/// The commands the target claims (SPC-4 / SBC-4 operation codes, service actions and CDB lengths).
const SUPPORTED: &[(u8, Option<u16>, u16)] = &[
    (0x00, None, 6),        // TEST UNIT READY
    (0x03, None, 6),        // REQUEST SENSE
    (0x08, None, 6),        // READ (6)
    (0x0A, None, 6),        // WRITE (6)
    (0x12, None, 6),        // INQUIRY
    (0x15, None, 6),        // MODE SELECT (6)
    (0x16, None, 6),        // RESERVE (6)
    (0x17, None, 6),        // RELEASE (6)
    (0x1A, None, 6),        // MODE SENSE (6)
    (0x1B, None, 6),        // START STOP UNIT
    (0x25, None, 10),       // READ CAPACITY (10)
    (0x28, None, 10),       // READ (10)
    (0x2A, None, 10),       // WRITE (10)
    (0x2E, None, 10),       // WRITE AND VERIFY (10)
    (0x2F, None, 10),       // VERIFY (10)
    (0x34, None, 10),       // PRE-FETCH (10)
    (0x35, None, 10),       // SYNCHRONIZE CACHE (10)
    (0x37, None, 10),       // READ DEFECT DATA (10)
    (0x41, None, 10),       // WRITE SAME (10)
    (0x42, None, 10),       // UNMAP
    (0x55, None, 10),       // MODE SELECT (10)
    (0x56, None, 10),       // RESERVE (10)
    (0x57, None, 10),       // RELEASE (10)
    (0x5A, None, 10),       // MODE SENSE (10)
    (0x5E, Some(0x00), 10), // PERSISTENT RESERVE IN: READ KEYS
    (0x5E, Some(0x01), 10), // READ RESERVATION
    (0x5E, Some(0x02), 10), // REPORT CAPABILITIES
    (0x5E, Some(0x03), 10), // READ FULL STATUS
    (0x5F, Some(0x00), 10), // PERSISTENT RESERVE OUT: REGISTER
    (0x5F, Some(0x01), 10), // RESERVE
    (0x5F, Some(0x02), 10), // RELEASE
    (0x5F, Some(0x03), 10), // CLEAR
    (0x5F, Some(0x04), 10), // PREEMPT
    (0x5F, Some(0x05), 10), // PREEMPT AND ABORT
    (0x5F, Some(0x06), 10), // REGISTER AND IGNORE EXISTING KEY
    (0x83, Some(0x00), 16), // EXTENDED COPY (LID1)
    (0x84, Some(0x00), 16), // RECEIVE COPY STATUS (LID1)
    (0x84, Some(0x03), 16), // RECEIVE COPY OPERATING PARAMETERS
    (0x84, Some(0x04), 16), // RECEIVE COPY FAILURE DETAILS (LID1)
    (0x88, None, 16),       // READ (16)
    (0x89, None, 16),       // COMPARE AND WRITE
    (0x8A, None, 16),       // WRITE (16)
    (0x8B, None, 16),       // ORWRITE (16)
    (0x8E, None, 16),       // WRITE AND VERIFY (16)
    (0x8F, None, 16),       // VERIFY (16)
    (0x90, None, 16),       // PRE-FETCH (16)
    (0x91, None, 16),       // SYNCHRONIZE CACHE (16)
    (0x93, None, 16),       // WRITE SAME (16)
    (0x9C, None, 16),       // WRITE ATOMIC (16)
    (0x9E, Some(0x10), 16), // READ CAPACITY (16)
    (0x9E, Some(0x12), 16), // GET LBA STATUS
    (0xA0, None, 12),       // REPORT LUNS
    (0xA3, Some(0x0A), 12), // REPORT TARGET PORT GROUPS
    (0xA3, Some(0x0C), 12), // REPORT SUPPORTED OPERATION CODES
    (0xA8, None, 12),       // READ (12)
    (0xAA, None, 12),       // WRITE (12)
    (0xAE, None, 12),       // WRITE AND VERIFY (12)
    (0xAF, None, 12),       // VERIFY (12)
    (0xB7, None, 12),       // READ DEFECT DATA (12)
];

/// A parsed all_commands command descriptor.
#[derive(Debug)]
struct CommandDescriptor {
    opcode: u8,
    service_action: Option<u16>,
    cdb_len: u16,
    timeouts: Option<Vec<u8>>,
}

fn all_commands(t: &mut Target, rctd: bool) -> Vec<CommandDescriptor> {
    let d = good(t, 0, rsoc(rctd, 0, 0, 0, 0xFFFF), vec![]);
    assert_eq!(d.be32(0) as usize + 4, d.len(), "COMMAND DATA LENGTH");
    let mut out = Vec::new();
    let mut at = 4;
    while at < d.len() {
        let c = &d[at..];
        assert_eq!((c[1], c[4]), (0, 0), "reserved bytes");
        let servactv = c[5] & 1 != 0;
        let ctdp = c[5] & 2 != 0;
        assert_eq!(ctdp, rctd, "CTDP follows RCTD");
        if !servactv {
            assert_eq!(c.be16(2), 0, "SERVICE ACTION is zero when SERVACTV=0");
        }
        let len = if ctdp { 20 } else { 8 };
        out.push(CommandDescriptor {
            opcode: c[0],
            service_action: servactv.then(|| c.be16(2)),
            cdb_len: c.be16(6),
            timeouts: ctdp.then(|| c[8..20].to_vec()),
        });
        at += len;
    }
    assert_eq!(at, d.len(), "descriptors tile the data");
    out
}

/// The one_command answer: (SUPPORT, CTDP, usage data, timeouts descriptor).
fn one_command(t: &mut Target, rctd: bool, options: u8, opcode: u8, sa: u16) -> (u8, bool, Vec<u8>, Vec<u8>) {
    let d = good(t, 0, rsoc(rctd, options, opcode, sa, 0xFFFF), vec![]);
    let support = d[1] & 7;
    let ctdp = d[1] & 0x80 != 0;
    if support != 0b011 {
        return (support, ctdp, Vec::new(), Vec::new());
    }
    let size = usize::from(d.be16(2));
    let usage = d[4..4 + size].to_vec();
    let timeouts = d[4 + size..].to_vec();
    (support, ctdp, usage, timeouts)
}

#[test]
fn rsoc_all_commands_lists_every_supported_command() {
    let mut t = thin_and_thick();
    let listed: BTreeMap<(u8, Option<u16>), u16> =
        all_commands(&mut t, false).into_iter().map(|c| ((c.opcode, c.service_action), c.cdb_len)).collect();
    let expected: BTreeMap<(u8, Option<u16>), u16> = SUPPORTED.iter().map(|&(o, sa, len)| ((o, sa), len)).collect();
    assert_eq!(listed, expected);
}

#[test]
fn rsoc_all_commands_with_rctd_adds_command_timeouts_descriptors() {
    let mut t = thin_and_thick();
    let with = all_commands(&mut t, true);
    assert_eq!(with.len(), SUPPORTED.len());
    for c in &with {
        let timeouts = c.timeouts.as_ref().expect("CTDP=1 carries a timeouts descriptor");
        assert_eq!(timeouts.len(), 12);
        assert_eq!(timeouts.be16(0), 0x0A, "DESCRIPTOR LENGTH");
    }
    for c in all_commands(&mut t, false) {
        assert!(c.timeouts.is_none());
    }
}

#[test]
fn rsoc_allocation_length_truncates() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, rsoc(false, 0, 0, 0, 0xFFFF), vec![]);
    for allocation in [0u32, 1, 4, 10, 12, 100] {
        let d = good(&mut t, 0, rsoc(false, 0, 0, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(allocation as usize)]);
    }
}

#[test]
fn rsoc_one_command_by_operation_code() {
    let mut t = thin_and_thick();
    for &(opcode, _, len) in SUPPORTED.iter().filter(|c| c.1.is_none()) {
        let (support, ctdp, usage, timeouts) = one_command(&mut t, false, 0b001, opcode, 0);
        assert_eq!(support, 0b011, "{opcode:02x} supported per the standard");
        assert!(!ctdp && timeouts.is_empty());
        assert_eq!(usage.len(), usize::from(len), "{opcode:02x}: CDB SIZE");
        assert_eq!(usage[0], opcode, "usage data byte 0 is the operation code");
    }
    for opcode in [0x0Bu8, 0x3B, 0xFF] {
        let d = good(&mut t, 0, rsoc(false, 0b001, opcode, 0, 0xFFFF), vec![]);
        assert_eq!(d[1] & 7, 0b001, "{opcode:02x}: SUPPORT 001b, not supported");
    }
}

#[test]
fn rsoc_one_command_by_operation_code_for_a_service_action_opcode_is_invalid_field() {
    let mut t = thin_and_thick();
    for opcode in [0x9Eu8, 0xA3, 0x83, 0x84] {
        let d = check(&mut t, 0, rsoc(false, 0b001, opcode, 0, 0xFFFF), vec![]);
        assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_CDB);
        let Some(KeySpecific::Field { in_cdb, byte, .. }) = d.key_specific else { panic!("a field pointer: {d:?}") };
        assert!(in_cdb && byte != 1, "a pointer not at byte 1, or hosts read it as 'unsupported': {d:?}");
        assert_eq!(byte, 2, "REPORTING OPTIONS");
    }
}

#[test]
fn rsoc_one_command_by_service_action() {
    let mut t = thin_and_thick();
    for &(opcode, sa, len) in SUPPORTED.iter().filter(|c| c.1.is_some()) {
        let sa = sa.unwrap();
        let (support, _, usage, _) = one_command(&mut t, false, 0b010, opcode, sa);
        assert_eq!(support, 0b011, "{opcode:02x}/{sa:02x}");
        assert_eq!(usage.len(), usize::from(len));
        assert_eq!(usage[0], opcode);
    }
    for (opcode, sa) in [(0x9Eu8, 0x11u16), (0x9E, 0x00), (0xA3, 0x0D), (0x84, 0x01), (0x9E, 0x0110)] {
        let d = good(&mut t, 0, rsoc(false, 0b010, opcode, sa, 0xFFFF), vec![]);
        assert_eq!(d[1] & 7, 0b001, "{opcode:02x}/{sa:04x} not supported");
    }
    for opcode in [0x28u8, 0x00, 0x12] {
        let d = check(&mut t, 0, rsoc(false, 0b010, opcode, 0, 0xFFFF), vec![]);
        assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_CDB);
        let Some(KeySpecific::Field { in_cdb, byte, .. }) = d.key_specific else { panic!("a field pointer: {d:?}") };
        assert!(in_cdb && byte != 1, "{opcode:02x}: pointer must not be byte 1: {d:?}");
    }
}

#[test]
fn rsoc_one_command_by_either() {
    let mut t = thin_and_thick();
    let (support, _, usage, _) = one_command(&mut t, false, 0b011, 0x28, 0x0005);
    assert_eq!((support, usage[0]), (0b011, 0x28), "no service actions: the field is ignored");
    let (support, _, usage, _) = one_command(&mut t, false, 0b011, 0x9E, 0x12);
    assert_eq!((support, usage[0]), (0b011, 0x9E));
    for (opcode, sa) in [(0x9Eu8, 0x11u16), (0x9E, 0x0112), (0x0B, 0)] {
        let d = good(&mut t, 0, rsoc(false, 0b011, opcode, sa, 0xFFFF), vec![]);
        assert_eq!(d[1] & 7, 0b001, "{opcode:02x}/{sa:04x} not supported");
    }
}

#[test]
fn rsoc_usage_data_of_a_service_action_command_holds_its_service_action() {
    // SPC-4 6.35.3: the service action code is placed in the CDB USAGE DATA where the SERVICE ACTION field is.
    let mut t = thin_and_thick();
    for &(opcode, sa, _) in SUPPORTED.iter().filter(|c| c.1.is_some()) {
        let sa = sa.unwrap();
        let (_, _, usage, _) = one_command(&mut t, false, 0b010, opcode, sa);
        assert_eq!(u16::from(usage[1] & 0x1F), sa, "{opcode:02x}/{sa:02x} usage byte 1 = {:02x}", usage[1]);
    }
}

#[test]
fn rsoc_one_command_with_rctd_adds_a_timeouts_descriptor() {
    let mut t = thin_and_thick();
    let (support, ctdp, usage, timeouts) = one_command(&mut t, true, 0b001, 0x2A, 0);
    assert_eq!(support, 0b011);
    assert!(ctdp, "CTDP");
    assert_eq!(usage.len(), 10);
    assert_eq!(timeouts.len(), 12);
    assert_eq!(timeouts.be16(0), 0x0A);
}

#[test]
fn rsoc_reserved_reporting_options_are_invalid_field() {
    let mut t = thin_and_thick();
    for options in 4..=7u8 {
        let d = check(&mut t, 0, rsoc(false, options, 0x28, 0, 0xFFFF), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(2));
    }
}

#[test]
fn rsoc_usage_of_reads_and_writes_advertises_dpo_and_fua() {
    let mut t = thin_and_thick();
    for opcode in [0x28u8, 0x2A, 0x88, 0x8A, 0x89] {
        let (_, _, usage, _) = one_command(&mut t, false, 0b001, opcode, 0);
        assert_eq!(usage[1] & 0x18, 0x18, "{opcode:02x}: DPO and FUA evaluated");
    }
}

/// A CDB for `opcode` that is otherwise valid, with the data-out it needs.
fn base_command(opcode: u8, service_action: Option<u16>, len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut cdb = vec![0u8; len];
    cdb[0] = opcode;
    if let Some(sa) = service_action {
        cdb[1] = sa as u8;
    }
    let mut data = Vec::new();
    match opcode {
        0x15 | 0x55 => cdb[1] |= 0x10, // PF=1
        0x1A | 0x5A => cdb[2] = 0x0A,  // the control mode page
        0x41 => {
            cdb[8] = 1;
            data = vec![0; 512];
        }
        0x93 => {
            cdb[13] = 1;
            data = vec![0; 512];
        }
        0xA0 => cdb[9] = 16,
        0x5F => {
            cdb[8] = 24; // a parameter list of zeros: REGISTER of key zero does nothing
            data = vec![0; 24];
        }
        0x0A => {
            cdb[4] = 1; // TRANSFER LENGTH 0 would be 256 blocks
            data = vec![0; 512];
        }
        0x1B => cdb[4] = 0x01, // START: a stopped unit would refuse the commands after it
        _ => {}
    }
    (cdb, data)
}

#[test]
fn every_bit_outside_the_reported_usage_mask_is_invalid_field_at_that_bit() {
    let mut t = thin_and_thick();
    for c in all_commands(&mut t, false) {
        let (support, _, usage, _) = one_command(&mut t, false, 0b011, c.opcode, c.service_action.unwrap_or(0));
        assert_eq!(support, 0b011);
        assert_eq!(usage.len(), usize::from(c.cdb_len));
        assert_eq!(usage[0], c.opcode);
        let (base, data) = base_command(c.opcode, c.service_action, usage.len());
        let r = run(&mut t, 0, base.clone(), data.clone());
        // Copy-results service actions 00h/04h name a list that does not exist, and PERSISTENT RESERVE
        // OUT other than a register needs a registration; any other base is valid.
        let needs_state = (c.opcode == 0x84 && c.service_action != Some(0x03))
            || (c.opcode == 0x5F && !matches!(c.service_action, Some(0x00 | 0x06)));
        if !needs_state {
            // PRE-FETCH's GOOD is CONDITION MET.
            let good = if matches!(c.opcode, 0x34 | 0x90) { 0x04 } else { 0 };
            assert_eq!(r.status, good, "base CDB {base:02x?} accepted");
        }
        for (byte, &mask) in usage.iter().enumerate().skip(1) {
            for bit in 0..8u8 {
                let in_service_action = c.service_action.is_some() && byte == 1 && bit < 5;
                if mask & (1 << bit) != 0 || in_service_action {
                    continue;
                }
                let mut cdb = base.clone();
                cdb[byte] |= 1 << bit;
                let d = check(&mut t, 0, cdb, data.clone());
                assert_eq!(
                    (d.key, d.asc, d.key_specific),
                    (
                        SenseKey::ILLEGAL_REQUEST,
                        Asc::INVALID_FIELD_IN_CDB,
                        Some(KeySpecific::Field { in_cdb: true, byte: byte as u16, bit: Some(bit) })
                    ),
                    "{:02x}/{:?}: byte {byte} bit {bit}",
                    c.opcode,
                    c.service_action
                );
            }
        }
    }
}
