//! The connection over memory (`offload_iscsi::wire`): a prepared initiator byte stream in, the target's
//! bytes out, decoded with the crate's codecs — login, a WRITE with immediate data and one R2T, a READ of
//! what was written, a Reject for a PDU of an unknown opcode, the end of the input ending the connection.

use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::pdu::{
    self, DataOut, Digests, LoginRequest, Message, RESERVED_TAG, ScsiCommand, encode_lun, reject,
};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, Settings};
use offload_iscsi::text;
use offload_iscsi::wire;
use offload_model::config::{TargetConfig, UnitConfig};
use offload_vectors::cdb::{read10, write10};

const INITIATOR: &str = "iqn.2026-11.org.offload:wire-test";

fn settings() -> Settings {
    Settings { verbosity: 0, ..Settings::default() }
}

fn backend() -> Box<dyn backend::Backend> {
    let unit = UnitConfig { blocks: 64, block_size: 512, ..UnitConfig::default() };
    let config = TargetConfig { units: vec![unit], ..TargetConfig::default() };
    backend::build(BackendKind::Model, config, &Media::Memory, DEFAULT_TARGET_NAME).unwrap()
}

/// A one-PDU login from the operational stage straight to full feature phase, with these extra keys.
fn login(keys: &[(&str, &str)]) -> Vec<u8> {
    let mut pairs = vec![("InitiatorName", INITIATOR), ("TargetName", DEFAULT_TARGET_NAME)];
    pairs.extend_from_slice(keys);
    let m = LoginRequest {
        transit: true,
        csg: 1,
        nsg: 3,
        isid: [0x80, 0, 0, 0, 0, 1],
        itt: 1,
        data: text::encode(&pairs),
        ..Default::default()
    };
    pdu::frame(&Message::LoginRequest(m).encode(), Digests::default())
}

fn frame(m: Message) -> Vec<u8> {
    pdu::frame(&m.encode(), Digests::default())
}

/// Every PDU of the target's output (no digests were negotiated).
fn decode_all(mut out: &[u8]) -> Vec<Message> {
    let mut messages = Vec::new();
    while !out.is_empty() {
        let raw = pdu::read_pdu(&mut out, Digests::default(), 1 << 24).unwrap();
        messages.push(Message::decode(raw).unwrap());
    }
    messages
}

#[test]
fn a_write_through_r2t_and_its_read_back_over_memory() {
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut input = login(&[("ImmediateData", "Yes"), ("InitialR2T", "Yes")]);
    // WRITE (10) of two blocks: the first 512 bytes as immediate data, the rest solicited.
    input.extend(frame(Message::ScsiCommand(ScsiCommand {
        final_: true,
        write: true,
        lun: encode_lun(0),
        itt: 10,
        edtl: 1024,
        cmd_sn: 0,
        cdb: write10(3, 2),
        data: data[..512].to_vec(),
        ..Default::default()
    })));
    let (messages, ttt) = {
        let out = wire::serve_bytes(settings(), backend(), &input);
        let messages = decode_all(&out);
        let Some(Message::R2t(r2t)) = messages.last() else { panic!("no R2T last: {messages:?}") };
        assert_eq!((r2t.itt, r2t.buffer_offset, r2t.desired_length), (10, 512, 512));
        // The target's tags are the same on every run: the next run, with the Data-Out, meets the same TTT.
        let ttt = r2t.ttt;
        (messages, ttt)
    };
    let Message::LoginResponse(login) = &messages[0] else { panic!("{messages:?}") };
    assert_eq!((login.status_class, login.nsg, login.transit), (0, 3, true));

    input.extend(frame(Message::DataOut(DataOut {
        final_: true,
        lun: encode_lun(0),
        itt: 10,
        ttt,
        data_sn: 0,
        buffer_offset: 512,
        data: data[512..].to_vec(),
        ..Default::default()
    })));
    input.extend(frame(Message::ScsiCommand(ScsiCommand {
        final_: true,
        read: true,
        lun: encode_lun(0),
        itt: 11,
        edtl: 1024,
        cmd_sn: 1,
        cdb: read10(3, 2),
        ..Default::default()
    })));
    // Opcode 0x1F is no initiator opcode: a Reject (COMMAND NOT SUPPORTED) carrying its header.
    let mut unknown = frame(Message::DataOut(DataOut { itt: 12, ttt: RESERVED_TAG, ..Default::default() }));
    unknown[0] = 0x1F;
    input.extend_from_slice(&unknown);

    let messages = decode_all(&wire::serve_bytes(settings(), backend(), &input));
    let kinds: Vec<_> = messages.iter().map(Message::opcode).collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
    let Message::ScsiResponse(written) = &messages[2] else { panic!("{kinds:?}") };
    assert_eq!((written.itt, written.status, written.response), (10, 0, 0));
    let Message::DataIn(read) = &messages[3] else { panic!("{kinds:?}") };
    assert_eq!((read.itt, read.status, &read.data), (11, Some(0), &data));
    let Message::Reject(rejected) = &messages[4] else { panic!("{kinds:?}") };
    assert_eq!(rejected.reason, reject::COMMAND_NOT_SUPPORTED);
    assert_eq!(rejected.data, unknown[..pdu::BHS_LEN]);
    // StatSN: the login response took the first (the login's ExpStatSN, 0), then one per status.
    let stat_sns: Vec<u32> = [&messages[2], &messages[3], &messages[4]]
        .iter()
        .map(|m| offload_scsi::Fields::be32(&m.encode().bhs[..], 24))
        .collect();
    assert_eq!(stat_sns, [1, 2, 3]);
}

#[test]
fn the_connection_ends_when_the_input_ends_inside_a_pdu() {
    let mut input = login(&[]);
    let command = frame(Message::ScsiCommand(ScsiCommand {
        final_: true,
        read: true,
        itt: 3,
        edtl: 512,
        cdb: read10(0, 1),
        ..Default::default()
    }));
    input.extend_from_slice(&command[..30]);
    let out = wire::serve_bytes(settings(), backend(), &input);
    let messages = decode_all(&out);
    assert_eq!(messages.len(), 1, "only the login response: {messages:?}");
}

/// Every PDU of the target's output when the login negotiated `digests`: the Login Response goes without
/// them, everything after with them.
fn decode_after_login(mut out: &[u8], digests: Digests) -> Vec<Message> {
    let mut messages = Vec::new();
    while !out.is_empty() {
        let now = if messages.is_empty() { Digests::default() } else { digests };
        let raw = pdu::read_pdu(&mut out, now, 1 << 24).unwrap();
        messages.push(Message::decode(raw).unwrap());
    }
    messages
}

/// A WRITE (10) of 16 blocks whose data-out arrives as 509 bytes of immediate data, then over four R2Ts
/// (MaxBurstLength 2048) in Data-Out PDUs of 1 to 7 bytes and more — every padding, 0 to 3 — with digests
/// and without; with digests, one Data-Out arrives with its data corrupted first (a Reject, nothing
/// kept) and again intact. The READ (10) of the same blocks returns what was sent, and the task's buffer
/// was never regrown (the target's counters).
#[test]
fn a_write_in_many_odd_data_out_pdus_over_many_r2ts_reads_back_with_and_without_digests() {
    const TOTAL: usize = 16 * 512;
    const IMMEDIATE: usize = 509;
    const BURST: usize = 2048;
    let data: Vec<u8> = (0..TOTAL).map(|i| (i * 31 % 253) as u8).collect();
    for digests in [Digests::default(), Digests { header: true, data: true }] {
        let crc = |on: bool| if on { "CRC32C" } else { "None" };
        let mut input = login(&[
            ("ImmediateData", "Yes"),
            ("InitialR2T", "Yes"),
            ("MaxBurstLength", "2048"),
            ("FirstBurstLength", "512"),
            ("HeaderDigest", crc(digests.header)),
            ("DataDigest", crc(digests.data)),
        ]);
        let frame = |m: Message| pdu::frame(&m.encode(), digests);
        input.extend(frame(Message::ScsiCommand(ScsiCommand {
            final_: true,
            write: true,
            lun: encode_lun(0),
            itt: 20,
            edtl: TOTAL as u32,
            cmd_sn: 0,
            cdb: write10(0, 16),
            data: data[..IMMEDIATE].to_vec(),
            ..Default::default()
        })));
        // The R2Ts the target is to send (RFC 7143 §11.8: from what has arrived, at most MaxBurstLength),
        // its TTTs counting from 1; each burst answered in PDUs of these lengths in turn.
        let sizes = [1, 2, 3, 4, 5, 6, 7, 97, 130, 511];
        let mut expected_r2ts = Vec::new();
        let mut offset = IMMEDIATE;
        let mut corrupted = false;
        let mut rejects = 0;
        while offset < TOTAL {
            let (ttt, length) = (expected_r2ts.len() as u32 + 1, BURST.min(TOTAL - offset));
            expected_r2ts.push((ttt, offset as u32, length as u32));
            let end = offset + length;
            let mut data_sn = 0;
            while offset < end {
                let n = sizes[(data_sn as usize + offset) % sizes.len()].min(end - offset);
                let bytes = frame(Message::DataOut(DataOut {
                    final_: offset + n == end,
                    lun: encode_lun(0),
                    itt: 20,
                    ttt,
                    data_sn,
                    buffer_offset: offset as u32,
                    data: data[offset..offset + n].to_vec(),
                    ..Default::default()
                }));
                if digests.data && !corrupted && n > 4 {
                    // The data segment starts after the header and its digest.
                    let mut bad = bytes.clone();
                    bad[pdu::BHS_LEN + 4] ^= 0x5A;
                    input.extend(bad);
                    corrupted = true;
                    rejects += 1;
                }
                input.extend(bytes);
                offset += n;
                data_sn += 1;
            }
        }
        input.extend(frame(Message::ScsiCommand(ScsiCommand {
            final_: true,
            read: true,
            lun: encode_lun(0),
            itt: 21,
            edtl: TOTAL as u32,
            cmd_sn: 1,
            cdb: read10(0, 16),
            ..Default::default()
        })));

        let dir = std::env::temp_dir().join(format!("offload-wire-{}-{}", std::process::id(), digests.data));
        std::fs::create_dir_all(&dir).unwrap();
        let counters_file = dir.join("counters.json");
        let settings = Settings { counters_file: Some(counters_file.clone()), ..settings() };
        let messages = decode_after_login(&wire::serve_bytes(settings, backend(), &input), digests);
        let kinds: Vec<_> = messages.iter().map(Message::opcode).collect();

        let r2ts: Vec<_> = messages
            .iter()
            .filter_map(|m| match m {
                Message::R2t(r) => Some((r.ttt, r.buffer_offset, r.desired_length)),
                _ => None,
            })
            .collect();
        assert_eq!(r2ts, expected_r2ts, "{digests:?}: {kinds:?}");
        assert_eq!(r2ts.len(), 4);
        let digest_rejects = messages
            .iter()
            .filter(|m| matches!(m, Message::Reject(r) if r.reason == reject::DATA_DIGEST_ERROR))
            .count();
        assert_eq!(digest_rejects, rejects, "{kinds:?}");
        assert_eq!(rejects, usize::from(digests.data));
        let Some(Message::ScsiResponse(written)) = messages.iter().find(|m| matches!(m, Message::ScsiResponse(_)))
        else {
            panic!("no SCSI Response: {kinds:?}")
        };
        assert_eq!((written.itt, written.status, written.response), (20, 0, 0));
        let read: Vec<u8> = messages
            .iter()
            .filter_map(|m| match m {
                Message::DataIn(d) if d.itt == 21 => Some(d.data.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert!(read == data, "{digests:?}: the READ returned other bytes than the WRITE sent");

        let counts: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&counters_file).unwrap()).unwrap();
        assert_eq!(counts["data_out_bytes"], TOTAL);
        assert_eq!(counts["data_out_regrowths"], 0, "the task's buffer was regrown");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
