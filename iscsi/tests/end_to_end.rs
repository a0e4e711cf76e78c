//! The target on an ephemeral loopback port, driven by the crate's small initiator: login, INQUIRY,
//! WRITE and READ through R2T, COMPARE AND WRITE miscompare sense, logout — on both back ends — and the
//! protocol's error paths: malformed PDUs, bad lengths, login failures, task management, several
//! sessions at once, the access map.

use std::collections::BTreeSet;
use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::initiator::{Initiator, InitiatorError, LoginOptions};
use offload_iscsi::pdu::{self, DataOut, Message, NopOut, RESERVED_TAG, Residual, ScsiCommand, reject};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, RunningTarget, Settings, Target};
use offload_iscsi::text::Policy;
use offload_model::config::{AccessMap, TargetConfig, UnitConfig};
use offload_scsi::Fields;
use offload_scsi::sense::decode;

const BLOCKS: u64 = 4096;

fn config(access: AccessMap) -> TargetConfig {
    let thick = UnitConfig { blocks: BLOCKS, block_size: 512, thin: false, ..UnitConfig::default() };
    let thin = UnitConfig { thin: true, ..thick.clone() };
    TargetConfig { units: vec![thick, thin], access, ..TargetConfig::default() }
}

fn start_with(kind: BackendKind, policy: Policy, access: AccessMap) -> RunningTarget {
    let backend = backend::build(kind, config(access), &Media::Memory, DEFAULT_TARGET_NAME).unwrap();
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        policy,
        verbosity: 0,
        login_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

fn start(kind: BackendKind) -> RunningTarget {
    start_with(kind, Policy::default(), AccessMap::default())
}

/// A target that takes all write data through R2T, in small bursts and segments.
fn r2t_policy() -> Policy {
    Policy {
        initial_r2t: true,
        immediate_data: false,
        max_burst_length: 4096,
        first_burst_length: 4096,
        max_recv_data_segment_length: 1024,
        ..Policy::default()
    }
}

fn login(t: &RunningTarget, name: &str) -> Initiator {
    Initiator::connect(t.addr(), &LoginOptions::new(name, Some(DEFAULT_TARGET_NAME))).unwrap()
}

fn read10(lba: u32, blocks: u16) -> Vec<u8> {
    let l = lba.to_be_bytes();
    let n = blocks.to_be_bytes();
    vec![0x28, 0, l[0], l[1], l[2], l[3], 0, n[0], n[1], 0]
}

fn write10(lba: u32, blocks: u16) -> Vec<u8> {
    let mut cdb = read10(lba, blocks);
    cdb[0] = 0x2A;
    cdb
}

fn caw(lba: u64, blocks: u8) -> Vec<u8> {
    let mut cdb = vec![0x89, 0];
    cdb.extend_from_slice(&lba.to_be_bytes());
    cdb.extend_from_slice(&[0, 0, 0, blocks, 0, 0]);
    cdb
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// (sense key, ASC, ASCQ) of fixed-format sense.
/// Key, ASC and ASCQ of sense data, read by the shared vocabulary's decoder (malformed sense fails).
fn check(sense: &[u8]) -> (u8, u8, u8) {
    let s = decode(sense).unwrap_or_else(|e| panic!("malformed sense {sense:02x?}: {e}"));
    (s.key.0, s.asc.0, s.asc.1)
}

#[test]
fn login_inquiry_write_read_compare_and_write_logout_on_both_back_ends() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        for (policy, through_r2t) in [(r2t_policy(), true), (Policy::default(), false)] {
            let t = start_with(kind, policy, AccessMap::default());
            let options = LoginOptions::new("iqn.2026-11.test:host", Some(DEFAULT_TARGET_NAME))
                .key("MaxRecvDataSegmentLength", "4096");
            let mut i = Initiator::connect(t.addr(), &options).unwrap();
            assert_ne!(i.tsih, 0);
            assert_eq!(i.negotiated.get("TargetPortalGroupTag").map(String::as_str), Some("1"));

            let inquiry = i.command(0, &[0x12, 0, 0, 0, 96, 0], &[], 96).unwrap();
            assert_eq!(inquiry.status, 0, "{kind:?}");
            assert_eq!(inquiry.data_in.len(), 96);
            assert_eq!(inquiry.data_in[0], 0x00, "a direct-access block device");
            assert_ne!(inquiry.data_in[5] & 0x08, 0, "3PC: EXTENDED COPY is supported");
            assert!(inquiry.status_in_data_in, "GOOD status travels in the last Data-In");

            for lun in [0, 1] {
                let data = pattern(64 * 512, lun as u8);
                let w = i.command(lun, &write10(100, 64), &data, 0).unwrap();
                assert_eq!((w.response, w.status), (0, 0), "{kind:?} LUN {lun}: {:?}", w.sense);
                if through_r2t {
                    assert_eq!(w.r2ts, 8, "32 KiB in 4 KiB bursts");
                } else {
                    assert_eq!(w.r2ts, 0, "all of it immediate data");
                }
                let r = i.command(lun, &read10(100, 64), &[], 64 * 512).unwrap();
                assert_eq!(r.status, 0);
                assert_eq!(r.residual, Residual::None);
                assert_eq!(r.data_in, data, "{kind:?} LUN {lun}: what was written reads back");
                assert_eq!(r.data_in_pdus, 8, "4 KiB Data-In segments, as the initiator declared");

                // COMPARE AND WRITE: compare data that differs at byte 27 of block 100.
                let mut payload = data[..512].to_vec();
                payload[27] ^= 0xFF;
                payload.extend_from_slice(&[0xEE; 512]);
                let miss = i.command(lun, &caw(100, 1), &payload, 0).unwrap();
                assert_eq!(miss.status, 2, "CHECK CONDITION");
                assert_eq!(check(&miss.sense), (0x0E, 0x1D, 0x00), "MISCOMPARE DURING VERIFY OPERATION");
                assert_eq!(decode(&miss.sense).unwrap().information, Some(27), "offset of the difference");
                let unchanged = i.command(lun, &read10(100, 1), &[], 512).unwrap();
                assert_eq!(unchanged.data_in, data[..512], "a miscompare writes nothing");

                payload[27] ^= 0xFF;
                let hit = i.command(lun, &caw(100, 1), &payload, 0).unwrap();
                assert_eq!(hit.status, 0, "{:?}", hit.sense);
                let changed = i.command(lun, &read10(100, 1), &[], 512).unwrap();
                assert_eq!(changed.data_in, vec![0xEE; 512]);
            }
            assert_eq!(i.logout().unwrap(), 0);
            t.stop();
        }
    }
}

#[test]
fn discovery_reports_the_target_and_its_portal() {
    let t = start(BackendKind::Model);
    let mut d = Initiator::connect(t.addr(), &LoginOptions::new("iqn.2026-11.test:discover", None)).unwrap();
    let pairs = d.send_targets("All").unwrap();
    assert_eq!(
        pairs,
        vec![
            ("TargetName".to_owned(), DEFAULT_TARGET_NAME.to_owned()),
            ("TargetAddress".to_owned(), format!("{},1", t.addr())),
        ]
    );
    // SCSI commands have no place in a discovery session.
    match d.command(0, &[0, 0, 0, 0, 0, 0], &[], 0) {
        Err(InitiatorError::Rejected { reason, .. }) => assert_eq!(reason, reject::PROTOCOL_ERROR),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.logout().unwrap(), 0);
}

#[test]
fn residuals_follow_the_expected_data_transfer_length() {
    let t = start(BackendKind::Model);
    let mut i = login(&t, "iqn.2026-11.test:residuals");
    i.command(0, &write10(0, 8), &pattern(4096, 3), 0).unwrap();
    // The READ moves 4096 bytes: an EDTL of 1024 overflows, one of 8192 underflows.
    let short = i.command(0, &read10(0, 8), &[], 1024).unwrap();
    assert_eq!((short.status, short.residual), (0, Residual::Overflow(3072)));
    assert_eq!(short.data_in, pattern(4096, 3)[..1024]);
    let long = i.command(0, &read10(0, 8), &[], 8192).unwrap();
    assert_eq!((long.status, long.residual), (0, Residual::Underflow(4096)));
    assert_eq!(long.data_in.len(), 4096);
    // TEST UNIT READY moves nothing.
    let tur = i.command(0, &[0, 0, 0, 0, 0, 0], &[], 0).unwrap();
    assert_eq!((tur.status, tur.residual), (0, Residual::None));
    // A READ past the end: LOGICAL BLOCK ADDRESS OUT OF RANGE, nothing moved, all of it residual.
    let past = i.command(0, &read10(BLOCKS as u32, 1), &[], 512).unwrap();
    assert_eq!(past.status, 2);
    assert_eq!(check(&past.sense), (0x05, 0x21, 0x00));
    assert_eq!(past.residual, Residual::Underflow(512));
}

/// RFC 7143 §11.4.5.2 residuals of writes whose EDTL differs from the CDB's TRANSFER LENGTH (the cases of
/// libiscsi's test_write10_residuals.c): the CDB decides what is written, the residual reports the rest.
#[test]
fn write_residuals_follow_the_cdb_and_report_the_difference() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let t = start(kind);
        let mut i = login(&t, "iqn.2026-11.test:write-residuals");
        // LUN 1: thin, for the UNMAP at the end.
        let reset = |i: &mut Initiator| assert_eq!(i.command(1, &write10(0, 2), &[b'a'; 1024], 0).unwrap().status, 0);
        let blocks = |i: &mut Initiator| i.command(1, &read10(0, 2), &[], 1024).unwrap().data_in;
        // One block, EDTL 10000: one block written, underflow 10000 − 512.
        reset(&mut i);
        let r = i.command(1, &write10(0, 1), &[b'b'; 10_000], 0).unwrap();
        assert_eq!((r.status, r.residual), (0, Residual::Underflow(10_000 - 512)), "{kind:?}");
        assert_eq!(blocks(&mut i), [[b'b'; 512], [b'a'; 512]].concat(), "{kind:?}: only the CDB's block");
        // Two blocks, EDTL one block: the offered block written, overflow 512.
        reset(&mut i);
        let r = i.command(1, &write10(0, 2), &[b'b'; 512], 0).unwrap();
        assert_eq!((r.status, r.residual), (0, Residual::Overflow(512)), "{kind:?}");
        assert_eq!(blocks(&mut i), [[b'b'; 512], [b'a'; 512]].concat(), "{kind:?}: only the offered block");
        // One block, EDTL 200: INVALID FIELD IN INFORMATION UNIT, overflow 312, nothing written.
        let r = i.command(1, &write10(0, 1), &[b'c'; 200], 0).unwrap();
        assert_eq!((r.status, check(&r.sense), r.residual), (2, (0x05, 0x0E, 0x03), Residual::Overflow(312)));
        assert_eq!(blocks(&mut i), [[b'b'; 512], [b'a'; 512]].concat(), "{kind:?}: nothing written");
        // One block, no data at all (EDTL 0): nothing written, overflow 512.
        let r = i.command(1, &write10(0, 1), &[], 0).unwrap();
        assert_eq!((r.status, r.residual), (0, Residual::Overflow(512)), "{kind:?}");
        assert_eq!(blocks(&mut i), [[b'b'; 512], [b'a'; 512]].concat(), "{kind:?}: nothing written");
        // UNMAP's 24-byte parameter list in a 40-byte Data-Out: the list is used, underflow 16.
        let mut list = vec![0, 22, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0];
        list.resize(40, 0xEE);
        let r = i.command(1, &[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], &list, 0).unwrap();
        assert_eq!((r.status, r.residual), (0, Residual::Underflow(16)), "{kind:?}: {:02x?}", r.sense);
        assert_eq!(blocks(&mut i)[512..], [0; 512], "{kind:?}: LBA 1 unmapped, reads zeros (LBPRZ)");
    }
}

#[test]
fn crc32c_digests_protect_every_pdu() {
    let t = start(BackendKind::Model);
    let options = LoginOptions::new("iqn.2026-11.test:digests", Some(DEFAULT_TARGET_NAME))
        .key("HeaderDigest", "CRC32C,None")
        .key("DataDigest", "CRC32C,None");
    let mut i = Initiator::connect(t.addr(), &options).unwrap();
    assert!(i.digests.header && i.digests.data);
    let data = pattern(8 * 512, 9);
    assert_eq!(i.command(1, &write10(7, 8), &data, 0).unwrap().status, 0);
    assert_eq!(i.command(1, &read10(7, 8), &[], 4096).unwrap().data_in, data);
    assert_eq!(i.nop(b"ping").unwrap(), b"ping");

    // A corrupted data digest: Reject, and the session goes on.
    let mut bytes = pdu::frame(
        &Message::NopOut(NopOut {
            immediate: false,
            itt: 0x777,
            ttt: RESERVED_TAG,
            cmd_sn: i.cmd_sn,
            exp_stat_sn: i.exp_stat_sn,
            data: vec![1; 8],
            ..Default::default()
        })
        .encode(),
        i.digests,
    );
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    i.send_raw(&bytes).unwrap();
    match i.recv().unwrap() {
        Message::Reject(r) => assert_eq!(r.reason, reject::DATA_DIGEST_ERROR),
        other => panic!("{other:?}"),
    }
    assert_eq!(i.nop(b"still here").unwrap(), b"still here");

    // A corrupted header digest: the stream cannot be trusted, the connection ends.
    let mut bytes = pdu::frame(&Message::NopOut(NopOut { itt: 0x778, ..Default::default() }).encode(), i.digests);
    bytes[48] ^= 0xFF;
    i.send_raw(&bytes).unwrap();
    let mut rest = Vec::new();
    let _ = i.stream().try_clone().unwrap().read_to_end(&mut rest);
    assert!(rest.is_empty(), "closed without an answer");
}

#[test]
fn malformed_pdus_are_rejected_without_harm_to_the_session_or_others() {
    let t = start_with(BackendKind::Model, r2t_policy(), AccessMap::default());
    let mut bystander = login(&t, "iqn.2026-11.test:bystander");
    let data = pattern(4096, 1);
    bystander.command(0, &write10(10, 8), &data, 0).unwrap();

    let mut i = login(&t, "iqn.2026-11.test:malformed");
    let expect_reject = |i: &mut Initiator, reason: u8| match i.recv().unwrap() {
        Message::Reject(r) => {
            assert_eq!(r.reason, reason);
            assert_eq!(r.data.len(), 48, "the rejected PDU's header comes back");
        }
        other => panic!("{other:?}"),
    };

    // An opcode no one defined.
    let mut raw = Message::NopOut(NopOut { itt: 1, ..Default::default() }).encode();
    raw.bhs[0] = 0x1C;
    i.send_raw(&pdu::frame(&raw, i.digests)).unwrap();
    expect_reject(&mut i, reject::COMMAND_NOT_SUPPORTED);

    // A Data-Out for a task that does not exist.
    let out = DataOut { final_: true, itt: 0xABC, ttt: 5, data: vec![0; 512], ..Default::default() };
    i.send(&Message::DataOut(out)).unwrap();
    expect_reject(&mut i, reject::INVALID_PDU_FIELD);

    // A data segment longer than the 1024 bytes the target declared.
    let ping = NopOut { itt: 2, ttt: RESERVED_TAG, cmd_sn: i.cmd_sn, data: vec![0; 2048], ..Default::default() };
    i.send(&Message::NopOut(ping)).unwrap();
    expect_reject(&mut i, reject::PROTOCOL_ERROR);

    // Immediate data although ImmediateData=No was negotiated.
    let mut cmd = ScsiCommand {
        final_: true,
        write: true,
        attr: 1,
        itt: 3,
        edtl: 512,
        cmd_sn: i.cmd_sn,
        exp_stat_sn: i.exp_stat_sn,
        cdb: [write10(0, 1), vec![0; 6]].concat(),
        data: vec![0; 512],
        ..Default::default()
    };
    i.send(&Message::ScsiCommand(cmd.clone())).unwrap();
    expect_reject(&mut i, reject::PROTOCOL_ERROR);

    // A malformed AHS.
    let mut raw = Message::ScsiCommand(ScsiCommand { itt: 4, cdb: vec![0; 16], ..Default::default() }).encode();
    raw.ahs = vec![0, 99, 1, 0];
    i.send_raw(&pdu::frame(&raw, i.digests)).unwrap();
    expect_reject(&mut i, reject::INVALID_PDU_FIELD);

    // A Data-Out at the wrong offset for a real R2T, then the right one.
    cmd.data.clear();
    cmd.itt = 5;
    i.send(&Message::ScsiCommand(cmd)).unwrap();
    i.cmd_sn += 1;
    let Message::R2t(r2t) = i.recv().unwrap() else { panic!("R2T expected") };
    assert_eq!((r2t.buffer_offset, r2t.desired_length), (0, 512));
    let mut out =
        DataOut { final_: true, itt: 5, ttt: r2t.ttt, buffer_offset: 512, data: vec![7; 512], ..Default::default() };
    i.send(&Message::DataOut(out.clone())).unwrap();
    expect_reject(&mut i, reject::PROTOCOL_ERROR);
    out.buffer_offset = 0;
    i.send(&Message::DataOut(out)).unwrap();
    match i.recv().unwrap() {
        Message::ScsiResponse(r) => assert_eq!((r.itt, r.status), (5, 0)),
        other => panic!("{other:?}"),
    }

    // A command beyond MaxCmdSN is ignored; the next in-window one is served.
    let far = NopOut { itt: 6, ttt: RESERVED_TAG, cmd_sn: i.cmd_sn.wrapping_add(100_000), ..Default::default() };
    i.send(&Message::NopOut(far)).unwrap();
    assert_eq!(i.nop(b"in window").unwrap(), b"in window");

    // Garbage instead of a login, and a connection cut inside a PDU header.
    let mut garbage = std::net::TcpStream::connect(t.addr()).unwrap();
    let mut header = [0u8; 48];
    header[0] = 0x55;
    std::io::Write::write_all(&mut garbage, &header).unwrap();
    let mut answer = Vec::new();
    garbage.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = garbage.read_to_end(&mut answer);
    assert_eq!(answer.len(), 48, "a Login Response refusing the login, then the close");
    assert_eq!((answer[0], answer[36], answer[37]), (0x23, 0x02, 0x0B), "initiator error: invalid during login");
    let mut cut = std::net::TcpStream::connect(t.addr()).unwrap();
    std::io::Write::write_all(&mut cut, &[0x43, 0x87, 0, 0]).unwrap();
    drop(cut);

    // The session and the bystander are unharmed, and nothing written before is lost.
    assert_eq!(i.command(0, &read10(0, 1), &[], 512).unwrap().data_in, vec![7; 512]);
    assert_eq!(bystander.command(0, &read10(10, 8), &[], 4096).unwrap().data_in, data);
    assert_eq!(i.logout().unwrap(), 0);
    assert_eq!(bystander.logout().unwrap(), 0);
}

/// Sends one Login Request on a fresh connection; returns the response's (Status-Class, Status-Detail).
fn raw_login(addr: SocketAddr, request: pdu::LoginRequest) -> (u8, u8) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    pdu::write_pdu(&mut s, &Message::LoginRequest(request).encode(), Default::default()).unwrap();
    let answer = pdu::read_pdu(&mut s, Default::default(), 8192).unwrap();
    assert_eq!(answer.opcode(), Some(pdu::Opcode::LoginResponse));
    (answer.bhs[36], answer.bhs[37])
}

fn leading_login(keys: &[(&str, &str)]) -> pdu::LoginRequest {
    pdu::LoginRequest {
        transit: true,
        csg: 0,
        nsg: 1,
        isid: [0x80, 0, 0, 0, 0, 9],
        itt: 1,
        data: offload_iscsi::text::encode(keys),
        ..Default::default()
    }
}

#[test]
fn login_failures_name_the_reason() {
    let t = start(BackendKind::Model);
    let a = ("InitiatorName", "iqn.2026-11.test:a");
    let target = ("TargetName", DEFAULT_TARGET_NAME);
    let unknown = Initiator::connect(t.addr(), &LoginOptions::new(a.1, Some("iqn.2026-11.org.offload:other")));
    assert!(matches!(unknown, Err(InitiatorError::Login { status: 0x0203 })), "target not found");
    assert_eq!(raw_login(t.addr(), leading_login(&[a, target, ("AuthMethod", "CHAP")])), (2, 1), "authentication");
    assert_eq!(raw_login(t.addr(), leading_login(&[a])), (2, 7), "missing TargetName");
    assert_eq!(raw_login(t.addr(), leading_login(&[target])), (2, 7), "missing InitiatorName");
    assert_eq!(raw_login(t.addr(), leading_login(&[a, ("SessionType", "Bogus")])), (2, 9), "session type");
    assert_eq!(raw_login(t.addr(), leading_login(&[a, target, a])), (2, 0), "a key offered twice");
    let version = pdu::LoginRequest { version_min: 1, version_max: 1, ..leading_login(&[a, target]) };
    assert_eq!(raw_login(t.addr(), version), (2, 5), "unsupported version");
    let joining = pdu::LoginRequest { tsih: 77, ..leading_login(&[a, target]) };
    assert_eq!(raw_login(t.addr(), joining), (2, 0x0A), "session does not exist");
    let leap = pdu::LoginRequest { csg: 3, nsg: 3, ..leading_login(&[a, target]) };
    assert_eq!(raw_login(t.addr(), leap), (2, 0), "no login starts in the full feature phase");
    let unterminated = pdu::LoginRequest { data: b"InitiatorName=iqn.x".to_vec(), ..leading_login(&[]) };
    assert_eq!(raw_login(t.addr(), unterminated), (2, 0), "malformed text");
    // And a good login still works.
    assert_eq!(login(&t, a.1).logout().unwrap(), 0);
}

#[test]
fn the_access_map_follows_the_initiator_name() {
    let mut access = AccessMap { others_denied: true, ..AccessMap::default() };
    access.grants.insert("iqn.2026-11.test:only1".into(), BTreeSet::from([1]));
    access.grants.insert("iqn.2026-11.test:both".into(), BTreeSet::from([0, 1]));
    let t = start_with(BackendKind::Model, Policy::default(), access);
    let stranger =
        Initiator::connect(t.addr(), &LoginOptions::new("iqn.2026-11.test:stranger", Some(DEFAULT_TARGET_NAME)));
    assert!(matches!(stranger, Err(InitiatorError::Login { status: 0x0202 })), "authorization failure");

    let report_luns = [0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0];
    let mut one = login(&t, "iqn.2026-11.test:only1");
    let luns = one.command(1, &report_luns, &[], 256).unwrap();
    assert_eq!(luns.data_in.be32(0), 8, "one LUN reported");
    let denied = one.command(0, &read10(0, 1), &[], 512).unwrap();
    assert_eq!(check(&denied.sense), (0x05, 0x25, 0x00), "LOGICAL UNIT NOT SUPPORTED");
    assert_eq!(one.command(1, &read10(0, 1), &[], 512).unwrap().status, 0);
    let mut both = login(&t, "iqn.2026-11.test:both");
    let luns = both.command(0, &report_luns, &[], 256).unwrap();
    assert_eq!(luns.data_in.be32(0), 16, "two LUNs reported");
}

#[test]
fn task_management_functions_are_answered() {
    let t = start_with(BackendKind::Model, r2t_policy(), AccessMap::default());
    let mut i = login(&t, "iqn.2026-11.test:tmf");
    // A WRITE waiting for its data: ABORT TASK ends it.
    let cmd = ScsiCommand {
        final_: true,
        write: true,
        attr: 1,
        itt: 0x50,
        edtl: 1024,
        cmd_sn: i.cmd_sn,
        exp_stat_sn: i.exp_stat_sn,
        cdb: [write10(0, 2), vec![0; 6]].concat(),
        ..Default::default()
    };
    let aborted_cmd_sn = i.cmd_sn;
    i.send(&Message::ScsiCommand(cmd)).unwrap();
    i.cmd_sn += 1;
    let Message::R2t(r2t) = i.recv().unwrap() else { panic!("R2T expected") };
    assert_eq!(i.task_management(1, 0, 0x50, aborted_cmd_sn).unwrap(), 0, "function complete");
    let late = DataOut { final_: true, itt: 0x50, ttt: r2t.ttt, data: vec![0; 1024], ..Default::default() };
    i.send(&Message::DataOut(late)).unwrap();
    assert!(matches!(i.recv().unwrap(), Message::Reject(_)), "the aborted task takes no more data");
    // A task that was never sent; a completed one.
    assert_eq!(i.task_management(1, 0, 0x51, i.cmd_sn.wrapping_add(5)).unwrap(), 1, "task does not exist");
    assert_eq!(i.task_management(1, 0, 0x50, aborted_cmd_sn).unwrap(), 1, "aborted already: no such task");
    let done_cmd_sn = i.cmd_sn;
    assert_eq!(i.command(0, &[0, 0, 0, 0, 0, 0], &[], 0).unwrap().status, 0);
    assert_eq!(i.task_management(1, 0, i.cmd_sn - 1, done_cmd_sn).unwrap(), 1, "completed: no such task");
    assert_eq!(i.task_management(5, 0, RESERVED_TAG, 0).unwrap(), 0, "LOGICAL UNIT RESET");
    assert_eq!(i.task_management(5, 9, RESERVED_TAG, 0).unwrap(), 2, "no such LUN");
    assert_eq!(i.task_management(2, 1, RESERVED_TAG, 0).unwrap(), 0, "ABORT TASK SET");
    assert_eq!(i.task_management(3, 0, RESERVED_TAG, 0).unwrap(), 5, "CLEAR ACA: no ACA");
    assert_eq!(i.task_management(8, 0, 0x50, 0).unwrap(), 4, "TASK REASSIGN needs ERL 2");
    assert_eq!(i.task_management(6, 0, RESERVED_TAG, 0).unwrap(), 0, "TARGET WARM RESET");
    // The resets left their unit attentions on LUN 0 (the LU reset's first); then the session still works.
    assert_eq!(i.clear_unit_attentions(0).unwrap(), [(0x29, 0x03), (0x29, 0x02)]);
    assert_eq!(i.command(0, &write10(0, 2), &[3; 1024], 0).unwrap().status, 0);
    assert_eq!(i.logout().unwrap(), 0);
}

#[test]
fn several_sessions_run_at_once() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let t = start(kind);
        let addr = t.addr();
        let workers: Vec<_> = (0..4u8)
            .map(|n| {
                std::thread::spawn(move || {
                    let mut options =
                        LoginOptions::new(&format!("iqn.2026-11.test:worker{n}"), Some(DEFAULT_TARGET_NAME));
                    options.isid[5] = n;
                    let mut i = Initiator::connect(addr, &options).unwrap();
                    for round in 0..20u32 {
                        let lba = u32::from(n) * 256 + round * 8;
                        let data = pattern(4096, n.wrapping_add(round as u8));
                        let lun = u16::from(n % 2);
                        assert_eq!(i.command(lun, &write10(lba, 8), &data, 0).unwrap().status, 0);
                        assert_eq!(i.command(lun, &read10(lba, 8), &[], 4096).unwrap().data_in, data);
                    }
                    i.logout().unwrap()
                })
            })
            .collect();
        for w in workers {
            assert_eq!(w.join().unwrap(), 0);
        }
    }
}

/// The worker pool is an event loop per core: a connection waiting for the rest of a PDU holds no thread.
/// More sessions than the machine has cores stop in the middle of a command's header and of its data
/// segment; another session is still served, and so are the stalled ones once they finish their PDUs.
#[test]
fn sessions_stalled_mid_pdu_hold_no_worker() {
    let t = start(BackendKind::FastPath);
    let stalled_count = 2 * std::thread::available_parallelism().map_or(1, |n| n.get()) + 1;
    let mut stalled: Vec<(Initiator, Vec<u8>, usize)> = (0..stalled_count)
        .map(|n| {
            let mut options = LoginOptions::new(&format!("iqn.2026-12.test:stalled{n}"), Some(DEFAULT_TARGET_NAME));
            options.isid[5] = n as u8;
            let mut i = Initiator::connect(t.addr(), &options).unwrap();
            let data = pattern(512, n as u8);
            let m = Message::ScsiCommand(ScsiCommand {
                final_: true,
                write: true,
                lun: pdu::encode_lun(0),
                itt: i.next_itt(),
                edtl: 512,
                cmd_sn: i.cmd_sn,
                cdb: write10(n as u32, 1),
                data: data.clone(),
                ..Default::default()
            });
            i.cmd_sn += 1;
            let bytes = pdu::frame(&m.encode(), Default::default());
            // Half of them stop inside the header, half inside the immediate data.
            let cut = if n % 2 == 0 { 20 } else { pdu::BHS_LEN + 100 };
            i.send_raw(&bytes[..cut]).unwrap();
            (i, bytes, cut)
        })
        .collect();
    let mut other = login(&t, "iqn.2026-12.test:unhindered");
    let data = pattern(4096, 9);
    assert_eq!(other.command(1, &write10(0, 8), &data, 0).unwrap().status, 0);
    assert_eq!(other.command(1, &read10(0, 8), &[], 4096).unwrap().data_in, data);
    for (n, (i, bytes, cut)) in stalled.iter_mut().enumerate() {
        i.send_raw(&bytes[*cut..]).unwrap();
        match i.recv().unwrap() {
            Message::ScsiResponse(r) => assert_eq!(r.status, 0, "stalled session {n}"),
            m => panic!("stalled session {n}: {m:?}"),
        }
        let back = i.command(0, &read10(n as u32, 1), &[], 512).unwrap().data_in;
        assert_eq!(back, pattern(512, n as u8), "stalled session {n}");
    }
}

#[test]
fn a_second_login_with_the_same_isid_reinstates_the_session() {
    let t = start(BackendKind::Model);
    let options = LoginOptions::new("iqn.2026-11.test:same", Some(DEFAULT_TARGET_NAME));
    let mut first = Initiator::connect(t.addr(), &options).unwrap();
    let mut second = Initiator::connect(t.addr(), &options).unwrap();
    assert!(first.nop(b"x").is_err(), "the old session was closed");
    assert_eq!(second.nop(b"y").unwrap(), b"y");
    assert_eq!(t.sessions(), 1);
}

/// What libiscsi's InvalidDataOutSize tests check (on a thin unit with LBPPBE ≥ 1): COMPARE AND WRITE
/// or WRITE SAME with a Data-Out that is not what the CDB implies is refused with ILLEGAL REQUEST, and
/// nothing is written.
#[test]
fn a_data_out_of_the_wrong_size_is_refused() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let t = start(kind);
        let mut i = login(&t, "iqn.2026-11.test:sizes");
        assert_eq!(i.command(1, &write10(40, 4), &[0x3C; 2048], 0).unwrap().status, 0);
        for blocks in [1u8, 3] {
            // COMPARE AND WRITE of `blocks` blocks with 4 blocks of Data-Out (2 × blocks expected).
            let r = i.command(1, &caw(40, blocks), &[0x3C; 2048], 0).unwrap();
            assert_eq!((r.status, check(&r.sense).0), (2, 0x05), "{kind:?}: CAW of {blocks} with 4 blocks");
        }
        for len in [256usize, 1024] {
            // WRITE SAME (10) with UNMAP and half a block or two blocks of Data-Out.
            let r = i.command(1, &[0x41, 0x08, 0, 0, 0, 40, 0, 0, 4, 0], &vec![0; len], 0).unwrap();
            assert_eq!((r.status, check(&r.sense).0), (2, 0x05), "{kind:?}: WRITE SAME with {len} bytes");
        }
        assert_eq!(i.command(1, &read10(40, 4), &[], 2048).unwrap().data_in, vec![0x3C; 2048], "nothing written");
    }
}
