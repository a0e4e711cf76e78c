//! The player gets a write through R2T and a read back; the oracle passes it, and fails each tampered copy
//! of it (a data-out byte the stream did not carry, a short data-out, a missing Reject, a skipped StatSN).

use offload_iscsi::pdu::{self, Digests, Message};

use super::oracle::Violation;
use super::script::{Action, Cdb, Command, Data, Edtl, Framing, Login, LoginForm, Offer, Script, Step};
use super::transcript::TargetStream;
use super::*;

fn step(action: Action) -> Step {
    Step { action, framing: Framing::PLAIN }
}

fn offer(key: &str, value: &str) -> Offer {
    let k = script::KEYS.iter().position(|(k, _)| *k == key).expect("a listed key");
    let v = script::KEYS[k].1.iter().position(|v| *v == value).expect("a listed value");
    Offer { key: k as u8, pick: v as u8, text: String::new() }
}

fn command(itt: u8, cdb: Cdb, immediate_data: u16) -> Action {
    Action::Command(Command {
        itt,
        lun: 0,
        cdb,
        edtl: Edtl::IMPLIED,
        flags: 0,
        immediate_data,
        unsolicited: false,
        cmd_sn: 0,
    })
}

/// WRITE (10) of 12 blocks (6 KiB: 1 KiB immediate, then R2Ts of at most 8 KiB in 2 KiB segments),
/// a READ (10) of them, and a PDU of an unknown opcode, framed correctly, with header and data digests.
fn write_and_read(form: LoginForm) -> Script {
    let login = Login {
        form,
        discovery: false,
        initiator: 0,
        offers: vec![offer("HeaderDigest", "CRC32C"), offer("DataDigest", "CRC32C"), offer("InitialR2T", "Yes")],
        isid: 1,
        cmd_sn: 250,
        exp_stat_sn: 0xFFFF_FFFE,
        framing: Framing::PLAIN,
    };
    // A NOP-Out whose opcode byte becomes 0x5D: opcode 0x1D, which no initiator sends.
    let unknown = Step {
        action: Action::Nop { itt: 9, ttt: false, immediate: true, len: 0 },
        framing: Framing { quirk: 192, a: 0, b: 0x1D },
    };
    let steps = vec![
        step(command(1, Cdb::Write10 { lba: 2, blocks: 12 }, 1024)),
        step(Action::AnswerR2ts),
        step(Action::AnswerR2ts),
        step(command(2, Cdb::Read10 { lba: 2, blocks: 12 }, 0)),
        unknown,
    ];
    Script { login, steps }
}

fn encode(script: &Script) -> Session {
    let config = configuration(0);
    let input = Sink::default();
    let player = Player::new(script, &config, input.clone());
    let output = player.output();
    let executed = Arc::new(Mutex::new(Vec::new()));
    let inner =
        backend::build(BackendKind::Model, config.clone(), &Media::Memory, offload_iscsi::target::DEFAULT_TARGET_NAME)
            .unwrap();
    let recorder = Recorder { inner, input: input.clone(), output: output.clone(), executed: Arc::clone(&executed) };
    wire::serve(settings(), Box::new(recorder), player);
    let executed = executed.lock().unwrap().clone();
    Session { config, input: input.contents(), output: output.contents(), executed }
}

#[test]
fn a_write_through_r2ts_and_its_read_back_pass_the_oracle() {
    for form in [LoginForm::Operational, LoginForm::SecurityThenOperational, LoginForm::Continued] {
        let session = encode(&write_and_read(form));
        check(&session).unwrap_or_else(|v| panic!("{form:?}: {v}"));
        let (answers, negotiated) = TargetStream::decode_all(&session.output).unwrap();
        assert!(negotiated.complete && negotiated.digests() == Digests { header: true, data: true });
        let r2ts = answers.iter().filter(|a| matches!(a.message, Message::R2t(_))).count();
        // 6144 − 1024 immediate bytes, in bursts of at most MaxBurstLength 8192: one R2T.
        assert_eq!(r2ts, 1, "{form:?}");
        assert_eq!(session.executed.len(), 2);
        assert_eq!(session.executed[0].data_out.len(), 12 * 512);
        let read = answers.iter().find_map(|a| match &a.message {
            Message::DataIn(d) if d.status == Some(0) => Some(d.clone()),
            _ => None,
        });
        // The READ's one Data-In (12 blocks, 6 KiB) is cut at the initiator's 8 KiB MaxRecvDataSegmentLength:
        // the data is the written data from its offset on.
        let read = read.expect("the READ's status in its Data-In");
        assert_eq!(read.data[..], session.executed[0].data_out[read.buffer_offset as usize..]);
        assert!(
            answers
                .iter()
                .any(|a| matches!(&a.message, Message::Reject(r) if r.reason == pdu::reject::COMMAND_NOT_SUPPORTED))
        );
    }
}

#[test]
fn the_oracle_fails_tampered_sessions() {
    let good = encode(&write_and_read(LoginForm::Operational));

    let mut forged = Session { executed: good.executed.clone(), ..encode(&write_and_read(LoginForm::Operational)) };
    forged.executed[0].data_out[700] ^= 0x55;
    assert!(matches!(check(&forged), Err(Violation::DataOut(why)) if why.contains("byte 700")));

    let mut short = Session { executed: good.executed.clone(), ..encode(&write_and_read(LoginForm::Operational)) };
    short.executed[0].data_out.truncate(512 * 11);
    assert!(matches!(check(&short), Err(Violation::DataOut(why)) if why.contains("due")));

    // Without the Reject (the last PDU), and with a StatSN skipped in the Reject.
    let (answers, _) = TargetStream::decode_all(&good.output).unwrap();
    let last = answers.last().unwrap();
    assert!(matches!(last.message, Message::Reject(_)));
    let mut unrejected =
        Session { output: good.output[..last.start].to_vec(), ..encode(&write_and_read(LoginForm::Operational)) };
    unrejected.executed = good.executed.clone();
    assert!(matches!(check(&unrejected), Err(Violation::NoReject { .. })));

    let Message::Reject(mut reject) = last.message.clone() else { unreachable!() };
    reject.numbers.stat_sn = reject.numbers.stat_sn.wrapping_add(1);
    let mut skipped = good.output[..last.start].to_vec();
    skipped.extend(pdu::frame(&Message::Reject(reject).encode(), Digests { header: true, data: true }));
    let skipped =
        Session { output: skipped, executed: good.executed.clone(), ..encode(&write_and_read(LoginForm::Operational)) };
    assert!(matches!(check(&skipped), Err(Violation::StatSn(_))));
}

#[test]
fn a_wrong_data_out_is_rejected_and_never_executed() {
    let mut script = write_and_read(LoginForm::Operational);
    // The R2T's burst answered from the wrong offset, then the right one.
    let wrong =
        Data { itt: None, flip_ttt: false, offset_delta: 4, length_delta: 0, data_sn_delta: 0, flip_final: false };
    script.steps.insert(1, step(Action::Data(wrong)));
    let session = encode(&script);
    check(&session).unwrap();
    let (answers, _) = TargetStream::decode_all(&session.output).unwrap();
    assert!(
        answers.iter().any(|a| matches!(&a.message, Message::Reject(r) if r.reason == pdu::reject::PROTOCOL_ERROR))
    );
    assert_eq!(session.executed[0].data_out.len(), 12 * 512);
}

#[test]
fn random_inputs_mostly_reach_the_full_feature_phase() {
    let mut complete = 0;
    let mut executed = 0;
    for seed in 0..300u64 {
        let bytes = offload_vectors::media::splitmix64(seed).to_le_bytes();
        let mut data = vec![bytes[0] & !RAW];
        for i in 0..64u64 {
            data.extend(offload_vectors::media::splitmix64(seed * 1000 + i).to_le_bytes());
        }
        let session = play(&data).unwrap();
        if let Err(v) = check(&session) {
            panic!("seed {seed}: {v}");
        }
        executions_are_at_pdu_ends(&session);
        let (_, negotiated) = TargetStream::decode_all(&session.output).unwrap();
        complete += usize::from(negotiated.complete);
        executed += session.executed.len();
    }
    println!("{complete} of 300 random scripts logged in; {executed} commands executed");
    assert!(complete > 100, "{complete} of 300 logins completed");
}

/// The recorded sessions (`fuzz/seeds/iscsi_wire/`, see its README) pass the oracle when replayed, and
/// those of normal sessions get their commands executed.
#[test]
fn the_recorded_sessions_replay_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/iscsi_wire");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("the recorded sessions") {
        let path = entry.unwrap().path();
        if path.extension().is_some() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[0], RAW, "{}: a raw input", path.display());
        let session = play(&bytes).unwrap();
        check(&session).unwrap_or_else(|v| panic!("{}: {v}", path.display()));
        let (_, negotiated) = TargetStream::decode_all(&session.output).unwrap();
        assert!(negotiated.complete, "{}: the login completes", path.display());
        let discovery = path.file_name().unwrap().to_string_lossy().starts_with("libiscsi-ls");
        assert_eq!(session.executed.is_empty(), discovery, "{}: {} commands", path.display(), session.executed.len());
        replayed += 1;
    }
    assert!(replayed >= 20, "{replayed} recordings");
}

/// A SCSI Command with the ITT of a write still waiting for its R2T's data is rejected (task in
/// progress); the write then executes with its own data, and the oracle judges it against the write,
/// not the later command of the same tag (regression input
/// `a_command_rejected_for_the_itt_of_a_task_in_progress_is_not_that_task`).
#[test]
fn a_command_rejected_for_a_task_in_progress_is_not_that_task() {
    let steps = vec![
        step(command(5, Cdb::Write10 { lba: 0, blocks: 8 }, 0)),
        step(command(5, Cdb::Read10 { lba: 0, blocks: 2 }, 0)),
        step(Action::AnswerR2ts),
    ];
    let script = Script { steps, ..Script::default() };
    let session = encode(&script);
    let (answers, _) = TargetStream::decode_all(&session.output).unwrap();
    assert!(
        answers.iter().any(|a| matches!(&a.message, Message::Reject(r) if r.reason == pdu::reject::TASK_IN_PROGRESS))
    );
    assert_eq!(session.executed.len(), 1);
    assert_eq!(session.executed[0].cdb[0], 0x2A);
    check(&session).unwrap();
}

/// Raw bytes reach the connection one PDU at a time: a WRITE and then a READ with the same ITT (the tag
/// free again once the write completed) each execute when the stream has reached their own PDU, so the
/// oracle judges the write against the write (regression input `raw_bytes_are_read_one_pdu_at_a_time`).
#[test]
fn raw_bytes_are_read_one_pdu_at_a_time() {
    use offload_iscsi::pdu::{LoginRequest, ScsiCommand};
    let frame = |m: Message| pdu::frame(&m.encode(), Digests::default());
    let names =
        [("InitiatorName", crate::configs::INITIATORS[0]), ("TargetName", offload_iscsi::target::DEFAULT_TARGET_NAME)];
    let login = LoginRequest {
        transit: true,
        csg: 1,
        nsg: 3,
        itt: 9,
        data: offload_iscsi::text::encode(&names),
        ..Default::default()
    };
    let write = ScsiCommand {
        final_: true,
        write: true,
        itt: 1,
        edtl: 512,
        cdb: offload_vectors::cdb::write10(0, 1),
        data: vec![0x41; 512],
        ..Default::default()
    };
    let read = ScsiCommand {
        final_: true,
        read: true,
        itt: 1,
        edtl: 512,
        cmd_sn: 1,
        cdb: offload_vectors::cdb::read10(0, 1),
        ..Default::default()
    };
    let mut data = vec![RAW];
    for m in [Message::LoginRequest(login), Message::ScsiCommand(write), Message::ScsiCommand(read)] {
        data.extend(frame(m));
    }
    let session = play(&data).unwrap();
    let ends: Vec<usize> = session.executed.iter().map(|e| e.input_at).collect();
    let login_len = data.len() - 1 - 48 - 48 - 512;
    assert_eq!(ends, [login_len + 48 + 512, login_len + 48 + 512 + 48]);
    check(&session).unwrap();
}

/// Every command executed when the player had produced exactly the PDUs up to one's end, as the target
/// frames them: the oracle's premise.
fn executions_are_at_pdu_ends(session: &Session) {
    let (_, negotiated) = TargetStream::decode_all(&session.output).unwrap();
    let ends: Vec<usize> =
        super::transcript::initiator_pdus(&session.input, &negotiated).iter().map(|r| r.end).collect();
    for e in &session.executed {
        assert!(ends.contains(&e.input_at), "executed at input byte {}, not at a PDU's end: {ends:?}", e.input_at);
    }
}

/// A header whose DataSegmentLength says more or less than its move made: the player still hands out one
/// PDU at a time as the target frames it, so a command executes at its own PDU's end (regression input
/// `a_header_promising_other_than_its_move_made_is_read_as_the_target_frames_it`: the player had handed
/// out each move whole, and a later command of the same ITT seemed received before the execution).
#[test]
fn a_header_promising_other_than_its_move_made_is_read_as_the_target_frames_it() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions/iscsi_wire");
    let input =
        std::fs::read(dir.join("a_header_promising_other_than_its_move_made_is_read_as_the_target_frames_it")).unwrap();
    let session = play(&input).unwrap();
    assert!(!session.executed.is_empty());
    executions_are_at_pdu_ends(&session);
    check(&session).unwrap();
    // A NOP-Out whose header promises 8 bytes more than it carries takes the first 8 of the next PDU, a
    // WRITE whose own PDU then starts 8 bytes late; the WRITE after that executes at its own end.
    let nop = Step {
        action: Action::Nop { itt: 3, ttt: false, immediate: true, len: 16 },
        framing: Framing { quirk: 195, a: 8, b: 0 },
    };
    let steps = vec![
        nop,
        step(command(1, Cdb::Write10 { lba: 0, blocks: 1 }, 512)),
        step(command(2, Cdb::Write10 { lba: 1, blocks: 1 }, 512)),
    ];
    let session = encode(&Script { steps, ..Script::default() });
    executions_are_at_pdu_ends(&session);
    check(&session).unwrap();
}
