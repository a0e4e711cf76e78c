//! What must hold of a finished connection, read from its two streams and from the commands the back end
//! was given ([`Executed`], recorded by the [`Recorder`](super::Recorder) around the real back end).
//!
//! - The target's stream is whole, well-formed PDUs of target opcodes ([`TargetStream::decode_all`]).
//! - Sequence numbers: every PDU that carries status takes the next StatSN (the first is the first Login
//!   Request's ExpStatSN); an R2T carries the StatSN the next status will take; ExpCmdSN never goes back,
//!   and MaxCmdSN is always ExpCmdSN + queue depth − 1 (RFC 7143 §4.2.2.1, §11.8.1).
//! - Tags: every answer carries the ITT of a request of its kind the initiator sent; a task gets at most
//!   one status for each SCSI Command PDU with its ITT; Data-In stays inside the command's read length,
//!   an R2T inside its Expected Data Transfer Length, one burst at most MaxBurstLength.
//! - Data-out: a command reaches the back end only with the data it fully received — its length what the
//!   Expected Data Transfer Length and the CDB demand, every byte one that immediate data or a Data-Out of
//!   that task carried at that offset. None without the W bit.
//! - Framed but wrong: every initiator PDU the target's decode path refuses (a data digest mismatch, a
//!   data segment longer than the target declared, an opcode or AHS the codec refuses), and every PDU
//!   RFC 7143 gives no place in the full feature phase at error recovery level 0 (a target opcode, a
//!   Login Request, a SNACK), gets a Reject that carries its header — unless the connection ended before
//!   it (a Logout, a TARGET COLD RESET).

use std::collections::HashMap;

use offload_iscsi::pdu::{self, Message, RESERVED_TAG, ScsiCommand, decode_lun};
use offload_model::scsi::transfer::{DataOutShape, implied_data_out};
use offload_vectors::config::TargetConfig;

use super::transcript::{BadOutput, InitiatorPdu, Negotiated, Received, TargetPdu, TargetStream, initiator_pdus};

/// A command as the back end received it, with where both streams stood then.
#[derive(Clone, Debug)]
pub struct Executed {
    pub lun: u16,
    pub cdb: Vec<u8>,
    pub data_out: Vec<u8>,
    /// Bytes of the initiator's stream produced by then (the command's PDU and those before it).
    pub input_at: usize,
    /// Bytes of the target's stream written by then (its answer comes after).
    pub output_at: usize,
}

/// A broken rule, with what shows it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error(transparent)]
    BadOutput(#[from] BadOutput),
    #[error("StatSN: {0}")]
    StatSn(String),
    #[error("CmdSN window: {0}")]
    CmdSnWindow(String),
    #[error("tags: {0}")]
    Tag(String),
    #[error("data-out: {0}")]
    DataOut(String),
    #[error("no Reject for a PDU framed but wrong ({why}): header {header}")]
    NoReject { why: String, header: String },
}

/// What the oracle needs to know of the target.
pub struct Target<'a> {
    pub config: &'a TargetConfig,
    pub queue_depth: u32,
    /// Commands expecting more data-out than this are executed with what arrived unsolicited.
    pub max_solicited_bytes: u32,
}

/// Checks a connection's streams and executions.
pub fn check(target: &Target<'_>, input: &[u8], output: &[u8], executed: &[Executed]) -> Result<(), Violation> {
    let (answers, negotiated) = TargetStream::decode_all(output)?;
    check_sequence_numbers(target, &answers)?;
    if !negotiated.complete {
        return if executed.is_empty() { Ok(()) } else { Err(Violation::DataOut("a command before login".into())) };
    }
    let requests = initiator_pdus(input, &negotiated);
    check_tags(&negotiated, &requests, &answers)?;
    for e in executed {
        check_execution(target, &requests, &answers, e)?;
    }
    check_rejects(&requests, &answers)
}

/// The StatSN of a PDU that carries status, and the numbers every target PDU carries.
fn numbers(m: &Message) -> Option<(Option<u32>, pdu::SequenceNumbers)> {
    Some(match m {
        Message::LoginResponse(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::ScsiResponse(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::DataIn(r) => (r.status.map(|_| r.numbers.stat_sn), r.numbers),
        Message::NopIn(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::TaskMgmtResponse(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::TextResponse(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::LogoutResponse(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::Reject(r) => (Some(r.numbers.stat_sn), r.numbers),
        Message::R2t(r) => (None, r.numbers),
        _ => return None,
    })
}

fn check_sequence_numbers(target: &Target<'_>, answers: &[TargetPdu]) -> Result<(), Violation> {
    let mut next_stat_sn: Option<u32> = None;
    let mut exp_cmd_sn: Option<u32> = None;
    for a in answers {
        let Some((stat_sn, n)) = numbers(&a.message) else { continue };
        if let Some(s) = stat_sn {
            if next_stat_sn.is_some_and(|next| next != s) {
                return Err(Violation::StatSn(format!(
                    "{:?} at byte {} has {s}, not {next_stat_sn:?}",
                    a.message.opcode(),
                    a.start
                )));
            }
            next_stat_sn = Some(s.wrapping_add(1));
        } else if let (Message::R2t(_), Some(next)) = (&a.message, next_stat_sn)
            && n.stat_sn != next
        {
            return Err(Violation::StatSn(format!("R2T at byte {} has {}, the next is {next}", a.start, n.stat_sn)));
        }
        if exp_cmd_sn.is_some_and(|e| (n.exp_cmd_sn.wrapping_sub(e) as i32) < 0) {
            return Err(Violation::CmdSnWindow(format!("ExpCmdSN went back to {} at byte {}", n.exp_cmd_sn, a.start)));
        }
        exp_cmd_sn = Some(n.exp_cmd_sn);
        if n.max_cmd_sn != n.exp_cmd_sn.wrapping_add(target.queue_depth - 1) {
            return Err(Violation::CmdSnWindow(format!(
                "MaxCmdSN {} for ExpCmdSN {} (queue depth {}) at byte {}",
                n.max_cmd_sn, n.exp_cmd_sn, target.queue_depth, a.start
            )));
        }
    }
    Ok(())
}

fn check_tags(negotiated: &Negotiated, requests: &[InitiatorPdu], answers: &[TargetPdu]) -> Result<(), Violation> {
    let mut commands: HashMap<u32, Vec<&ScsiCommand>> = HashMap::new();
    let mut asked: HashMap<pdu::Opcode, Vec<u32>> = HashMap::new();
    for r in requests {
        let Received::Message(m) = &r.received else { continue };
        if let Message::ScsiCommand(c) = m {
            commands.entry(c.itt).or_default().push(c);
        }
        asked.entry(m.opcode()).or_default().push(r.itt());
    }
    let sent = |op: pdu::Opcode, itt: u32| asked.get(&op).is_some_and(|v| v.contains(&itt));
    let max_burst = negotiated.number("MaxBurstLength", 262_144);
    let mut statuses: HashMap<u32, usize> = HashMap::new();
    for a in answers.iter().filter(|a| a.full_feature) {
        let tag_error =
            |what: &str, itt: u32| Err(Violation::Tag(format!("{what} at byte {} for ITT {itt:#x}", a.start)));
        match &a.message {
            Message::ScsiResponse(r) => {
                if !commands.contains_key(&r.itt) {
                    return tag_error("a SCSI Response of no command", r.itt);
                }
                *statuses.entry(r.itt).or_default() += 1;
            }
            Message::DataIn(d) => {
                let Some(cs) = commands.get(&d.itt) else { return tag_error("Data-In of no command", d.itt) };
                let end = u64::from(d.buffer_offset) + d.data.len() as u64;
                let read_length = |c: &&ScsiCommand| match (c.read, c.write) {
                    (true, false) => c.edtl,
                    (true, true) => c.bidi_read_length.unwrap_or(0),
                    _ => 0,
                };
                let room = cs.iter().map(read_length).max();
                if room.is_none_or(|room| end > u64::from(room)) {
                    return tag_error(&format!("Data-In up to byte {end}, beyond the command's read length"), d.itt);
                }
                if d.status.is_some() {
                    *statuses.entry(d.itt).or_default() += 1;
                }
            }
            Message::R2t(r) => {
                let Some(cs) = commands.get(&r.itt) else { return tag_error("an R2T of no command", r.itt) };
                let end = u64::from(r.buffer_offset) + u64::from(r.desired_length);
                let edtl = cs.iter().filter(|c| c.write).map(|c| c.edtl).max();
                if edtl.is_none_or(|edtl| end > u64::from(edtl)) || r.desired_length == 0 {
                    return tag_error(&format!("an R2T for bytes up to {end}, beyond the write's EDTL"), r.itt);
                }
                if r.desired_length > max_burst {
                    return tag_error(
                        &format!("an R2T of {} bytes, MaxBurstLength {max_burst}", r.desired_length),
                        r.itt,
                    );
                }
                if r.ttt == RESERVED_TAG {
                    return tag_error("an R2T with the reserved TTT", r.itt);
                }
            }
            Message::NopIn(n) if !sent(pdu::Opcode::NopOut, n.itt) => return tag_error("a NOP-In of no ping", n.itt),
            Message::TaskMgmtResponse(t) if !sent(pdu::Opcode::TaskMgmtRequest, t.itt) => {
                return tag_error("a task management response of no request", t.itt);
            }
            Message::TextResponse(t) if !sent(pdu::Opcode::TextRequest, t.itt) => {
                return tag_error("a Text Response of no request", t.itt);
            }
            Message::LogoutResponse(l) if !sent(pdu::Opcode::LogoutRequest, l.itt) => {
                return tag_error("a Logout Response of no request", l.itt);
            }
            _ => {}
        }
    }
    for (itt, n) in statuses {
        let sent = commands.get(&itt).map_or(0, Vec::len);
        if n > sent {
            return Err(Violation::Tag(format!("{n} statuses for ITT {itt:#x}, {sent} commands")));
        }
    }
    Ok(())
}

/// The answer to an executed command: the first status after the moment it was executed.
fn status_itt(answers: &[TargetPdu], output_at: usize) -> Option<u32> {
    answers.iter().filter(|a| a.start >= output_at).find_map(|a| match &a.message {
        Message::ScsiResponse(r) => Some(r.itt),
        Message::DataIn(d) if d.status.is_some() => Some(d.itt),
        _ => None,
    })
}

fn check_execution(
    target: &Target<'_>,
    requests: &[InitiatorPdu],
    answers: &[TargetPdu],
    e: &Executed,
) -> Result<(), Violation> {
    let fail = |why: String| {
        Err(Violation::DataOut(format!("{why} (CDB {}, at input byte {})", hex::encode(&e.cdb), e.input_at)))
    };
    let Some(itt) = status_itt(answers, e.output_at) else { return fail("an executed command got no status".into()) };
    // The command PDU: the last with that ITT the target had received and not rejected. (A SCSI Command
    // with the ITT of a task in progress is rejected; one rejected for a field is rejected whatever the
    // state, so the rejected ones of equal headers are the later ones.)
    let received: Vec<&InitiatorPdu> = requests.iter().filter(|r| r.end <= e.input_at).collect();
    let mut rejected = rejected_headers(answers.iter().filter(|a| a.start < e.output_at));
    let opened = received.iter().rposition(|r| {
        if !matches!(&r.received, Received::Message(Message::ScsiCommand(c)) if c.itt == itt) {
            return false;
        }
        match rejected.get_mut(&r.bhs[..]) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        }
    });
    let Some(at) = opened else {
        return fail(format!("executed for ITT {itt:#x}, which no SCSI Command carried"));
    };
    let Received::Message(Message::ScsiCommand(command)) = &received[at].received else { unreachable!() };
    if decode_lun(command.lun).unwrap_or(u16::MAX) != e.lun
        || command.cdb.first() != e.cdb.first()
        || command.cdb.len() != e.cdb.len()
    {
        return fail(format!("executed for ITT {itt:#x}, whose command has CDB {}", hex::encode(&command.cdb)));
    }
    if !command.write {
        return if e.data_out.is_empty() {
            Ok(())
        } else {
            fail(format!("{} bytes of data-out without W", e.data_out.len()))
        };
    }
    // How much the command must have: what the CDB transfers, within the EDTL (SAM-5: the CDB decides,
    // the EDTL bounds what the initiator has).
    let unit = target.config.units.get(usize::from(e.lun));
    let implied = unit.and_then(|u| implied_data_out(&command.cdb, u.block_size));
    let edtl = u64::from(command.edtl);
    let due = match &implied {
        Some(i) if matches!(i.shape, DataOutShape::Blocks { .. } | DataOutShape::ParameterList) => i.bytes.min(edtl),
        _ => edtl,
    };
    if due <= u64::from(target.max_solicited_bytes) && e.data_out.len() as u64 != due {
        return fail(format!("{} bytes of data-out, {due} due (EDTL {edtl})", e.data_out.len()));
    }
    // Every byte from the stream: immediate data at offset 0, and each Data-Out of the task at its offset.
    let mut segments: Vec<(usize, &[u8])> = vec![(0, &command.data)];
    for r in &received[at + 1..] {
        if let Received::Message(Message::DataOut(d)) = &r.received
            && d.itt == itt
        {
            segments.push((d.buffer_offset as usize, &d.data));
        }
    }
    let mut carried = vec![false; e.data_out.len()];
    for (offset, bytes) in segments {
        for (i, b) in bytes.iter().enumerate() {
            if let Some(c) = carried.get_mut(offset + i)
                && e.data_out[offset + i] == *b
            {
                *c = true;
            }
        }
    }
    if let Some(i) = carried.iter().position(|c| !c) {
        return fail(format!("data-out byte {i} ({:#04x}) was carried by no PDU of ITT {itt:#x}", e.data_out[i]));
    }
    Ok(())
}

/// How many Rejects carry each header.
fn rejected_headers<'a>(answers: impl Iterator<Item = &'a TargetPdu>) -> HashMap<Vec<u8>, usize> {
    let mut rejected: HashMap<Vec<u8>, usize> = HashMap::new();
    for a in answers {
        if let Message::Reject(r) = &a.message {
            *rejected.entry(r.data.clone()).or_default() += 1;
        }
    }
    rejected
}

/// The PDUs the target must reject, as long as the connection goes on.
fn check_rejects(requests: &[InitiatorPdu], answers: &[TargetPdu]) -> Result<(), Violation> {
    let mut rejected = rejected_headers(answers.iter());
    for r in requests {
        let why = match &r.received {
            Received::Wrong(why) => why.clone(),
            Received::Message(m) => {
                let out_of_place = match m {
                    Message::LogoutRequest(_) => return Ok(()),
                    Message::TaskMgmtRequest(t) if t.function == 7 => return Ok(()),
                    Message::LoginRequest(_) | Message::SnackRequest(_) => true,
                    m => !m.opcode().from_initiator(),
                };
                if !out_of_place {
                    continue;
                }
                format!("{:?} in the full feature phase", m.opcode())
            }
        };
        match rejected.get_mut(&r.bhs[..]) {
            Some(n) if *n > 0 => *n -= 1,
            _ => return Err(Violation::NoReject { why, header: hex::encode(r.bhs) }),
        }
    }
    Ok(())
}
