//! The initiator that plays a [`Script`]: a [`Transport`] whose reader writes the next request only when
//! the connection asks for more bytes — after the target has answered the last one — so each request can
//! carry what the target said: the StatSN to acknowledge, the CmdSN window, the TTT, offset and length of
//! an R2T, the digests and segment lengths the login settled, the TTT of a Text Response to continue.
//!
//! Reads never cross a PDU boundary — the bytes are handed out one PDU at a time, framed from each header
//! as the target frames it, whatever the move that made them (a raw move is many PDUs, a quirk may make
//! a header promise more or fewer bytes than its move made): when the connection acts on a PDU,
//! everything the player produced is that PDU and those before it — which is how the oracle knows what a command executed at that moment
//! can have received. Everything produced is logged (the initiator's stream for the oracle), and the
//! target's answers are read from the shared output.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read};

use offload_iscsi::crc32c::crc32c;
use offload_iscsi::pdu::{
    self, DataOut, LoginRequest, LogoutRequest, Message, NopOut, RESERVED_TAG, RawPdu, ScsiCommand, SnackRequest,
    TaskMgmtRequest, TextRequest, encode_lun,
};
use offload_iscsi::target::DEFAULT_TARGET_NAME;
use offload_iscsi::text;
use offload_iscsi::inline_io::Inline;
use offload_iscsi::transport::{Sink, Transport};
use offload_model::scsi::transfer::implied_data_out;
use offload_vectors::cdb;
use offload_vectors::config::{TargetConfig, naa_designator};

use super::script::{Action, Cdb, Command, Data, Framing, Login, LoginForm, MAX_STEPS, Quirk, Script, Tag};
use super::transcript::TargetStream;
use crate::configs::INITIATORS;
use crate::sequence::pseudo_random;

/// The connection's CID.
const CID: u16 = 1;
/// An InitiatorName the fuzz configurations' access maps do not name.
const STRANGER: &str = "iqn.2026-11.org.offload:fuzz-stranger";
/// Largest data segment a step sends (the target refuses more than it declared anyway).
const MAX_SEGMENT: usize = 64 * 1024;

/// What the player sends next.
enum Move {
    Login(LoginRequest, Framing),
    Step(Action, Framing),
}

/// A write the player has sent the command of and may still owe data to.
struct Task {
    lun: u64,
    /// The initiator's whole data-out buffer (EDTL bytes).
    data: Vec<u8>,
    /// Where unsolicited data goes on, its DataSN, and where it must stop.
    unsolicited_offset: u32,
    unsolicited_data_sn: u32,
    unsolicited_end: u32,
    /// The R2Ts not yet answered in full: (TTT, next offset, end, next DataSN).
    r2ts: VecDeque<Burst>,
}

#[derive(Clone, Copy, Debug)]
struct Burst {
    ttt: u32,
    offset: u32,
    end: u32,
    data_sn: u32,
}

/// The player's transport: its reader and the target's output.
pub struct Player {
    reader: Option<PlayerReader>,
    output: Sink,
}

impl Player {
    /// A player of `script` against a target configured as `config`; `input` logs what it sends.
    pub fn new(script: &Script, config: &TargetConfig, input: Sink) -> Player {
        let output = Sink::default();
        let reader = PlayerReader::new(script, config, output.clone(), input);
        Player { reader: Some(reader), output }
    }

    /// Plays raw bytes, as they are (a recorded session).
    pub fn raw(bytes: Vec<u8>, config: &TargetConfig, input: Sink) -> Player {
        let output = Sink::default();
        let mut reader = PlayerReader::new(&Script::default(), config, output.clone(), input);
        reader.moves = VecDeque::from([Move::Step(Action::Raw(bytes), Framing::PLAIN)]);
        Player { reader: Some(reader), output }
    }

    pub fn output(&self) -> Sink {
        self.output.clone()
    }
}

impl Transport for Player {
    type Reader = Inline<PlayerReader>;
    type Writer = Inline<Sink>;

    fn open(&mut self) -> io::Result<(Inline<PlayerReader>, Inline<Sink>)> {
        let reader = self.reader.take().ok_or_else(|| io::Error::other("a player opens once"))?;
        Ok((Inline(reader), Inline(self.output.clone())))
    }
}

/// The initiator-to-target direction: requests made as they are read.
pub struct PlayerReader {
    moves: VecDeque<Move>,
    config: TargetConfig,
    output: Sink,
    input: Sink,
    target: TargetStream,
    /// Bytes made but not yet read (from `taken` on).
    made: Vec<u8>,
    taken: usize,
    /// How many bytes of the PDU being read are still to be read, as the target frames it.
    left_in_pdu: usize,
    cmd_sn: u32,
    exp_stat_sn: u32,
    tasks: BTreeMap<u32, Task>,
    /// The latest write task.
    latest: Option<u32>,
    /// A Text Response waiting to be continued: (ITT, TTT).
    text_pending: Option<(u32, u32)>,
    /// Tags for requests that are not tasks of the script (TMF, logout, login), so they collide with none.
    next_tag: u32,
    step: u64,
}

impl PlayerReader {
    fn new(script: &Script, config: &TargetConfig, output: Sink, input: Sink) -> PlayerReader {
        let mut moves: VecDeque<Move> = login_requests(&script.login).into();
        for step in script.steps.iter().take(MAX_STEPS) {
            moves.push_back(Move::Step(step.action.clone(), step.framing));
        }
        PlayerReader {
            moves,
            config: config.clone(),
            output,
            input,
            target: TargetStream::default(),
            made: Vec::new(),
            taken: 0,
            left_in_pdu: 0,
            cmd_sn: script.login.cmd_sn.into(),
            exp_stat_sn: script.login.exp_stat_sn,
            tasks: BTreeMap::new(),
            latest: None,
            text_pending: None,
            next_tag: 0x1_0000,
            step: 0,
        }
    }

    /// Reads what the target sent since the last look.
    fn observe(&mut self) {
        let output = self.output.contents();
        // A malformed target stream is the oracle's to report; the player stops following it.
        while let Ok(Some(pdu)) = self.target.next(&output) {
            self.answered(&pdu.message);
        }
    }

    fn answered(&mut self, m: &Message) {
        let numbers = match m {
            Message::LoginResponse(r) => Some(r.numbers),
            Message::ScsiResponse(r) => Some(r.numbers),
            Message::DataIn(r) if r.status.is_some() => Some(r.numbers),
            Message::NopIn(r) => Some(r.numbers),
            Message::TaskMgmtResponse(r) => Some(r.numbers),
            Message::TextResponse(r) => Some(r.numbers),
            Message::LogoutResponse(r) => Some(r.numbers),
            Message::Reject(r) => Some(r.numbers),
            _ => None,
        };
        if let Some(n) = numbers {
            self.exp_stat_sn = n.stat_sn.wrapping_add(1);
        }
        match m {
            Message::R2t(r) => {
                if let Some(task) = self.tasks.get_mut(&r.itt) {
                    let end = r.buffer_offset.saturating_add(r.desired_length);
                    task.r2ts.push_back(Burst { ttt: r.ttt, offset: r.buffer_offset, end, data_sn: 0 });
                }
            }
            Message::ScsiResponse(r) => {
                self.tasks.remove(&r.itt);
            }
            Message::DataIn(r) if r.status.is_some() => {
                self.tasks.remove(&r.itt);
            }
            Message::TextResponse(r) => {
                self.text_pending = (r.ttt != RESERVED_TAG).then_some((r.itt, r.ttt));
            }
            _ => {}
        }
    }

    fn tag(&mut self) -> u32 {
        self.next_tag += 1;
        self.next_tag
    }

    /// The CmdSN of a request; a non-immediate one takes it.
    fn take_cmd_sn(&mut self, immediate: bool) -> u32 {
        let sn = self.cmd_sn;
        if !immediate {
            self.cmd_sn = self.cmd_sn.wrapping_add(1);
        }
        sn
    }

    fn max_data(&self) -> usize {
        self.target.negotiated.target_max_data().clamp(1, MAX_SEGMENT)
    }

    /// The PDUs of one move.
    fn play(&mut self, m: Move) -> Vec<Vec<u8>> {
        self.step += 1;
        match m {
            Move::Login(mut request, framing) => {
                request.exp_stat_sn = if self.step == 1 { request.exp_stat_sn } else { self.exp_stat_sn };
                vec![self.frame(Message::LoginRequest(request), framing)]
            }
            Move::Step(action, framing) => self.action(action, framing),
        }
    }

    fn action(&mut self, action: Action, framing: Framing) -> Vec<Vec<u8>> {
        let exp_stat_sn = self.exp_stat_sn;
        let message = match action {
            Action::Command(c) => return self.command(&c, framing),
            Action::Data(d) => return self.data(&d, framing),
            Action::AnswerR2ts => return self.answer_r2ts(),
            Action::Nop { itt, ttt, immediate, len } => {
                let itt = tag(itt);
                let cmd_sn = if itt == RESERVED_TAG { self.cmd_sn } else { self.take_cmd_sn(immediate) };
                Message::NopOut(NopOut {
                    immediate,
                    lun: 0,
                    itt,
                    ttt: if ttt { 7 } else { RESERVED_TAG },
                    cmd_sn,
                    exp_stat_sn,
                    data: pseudo_random(self.step as u8, usize::from(len)),
                })
            }
            Action::Text { offers, cont, continue_response, itt } => {
                let (itt, ttt) = match self.text_pending.take() {
                    Some(pending) if continue_response => pending,
                    _ => (tag(itt), RESERVED_TAG),
                };
                let pairs: Vec<(String, String)> = offers.iter().take(8).map(|o| o.pair()).collect();
                Message::TextRequest(TextRequest {
                    immediate: true,
                    final_: !cont,
                    cont,
                    lun: 0,
                    itt,
                    ttt,
                    cmd_sn: self.cmd_sn,
                    exp_stat_sn,
                    data: if ttt == RESERVED_TAG { text::encode(&pairs) } else { Vec::new() },
                })
            }
            Action::TaskMgmt { function, referenced, lun, immediate, ref_cmd_sn } => {
                let itt = self.tag();
                let cmd_sn = self.take_cmd_sn(immediate);
                Message::TaskMgmtRequest(TaskMgmtRequest {
                    immediate,
                    function: function % 10,
                    lun: encode_lun(u16::from(lun % 4)),
                    itt,
                    referenced_task_tag: tag(referenced),
                    cmd_sn,
                    exp_stat_sn,
                    ref_cmd_sn: cmd_sn.wrapping_add_signed(ref_cmd_sn.into()),
                    exp_data_sn: 0,
                })
            }
            Action::Logout { reason, other_cid } => {
                let itt = self.tag();
                Message::LogoutRequest(LogoutRequest {
                    immediate: true,
                    reason: reason % 4,
                    itt,
                    cid: if other_cid { CID + 1 } else { CID },
                    cmd_sn: self.cmd_sn,
                    exp_stat_sn,
                })
            }
            Action::Snack { kind, itt } => Message::SnackRequest(SnackRequest {
                kind: kind % 4,
                lun: 0,
                itt: tag(itt),
                ttt: RESERVED_TAG,
                exp_stat_sn,
                beg_run: 0,
                run_length: 0,
            }),
            Action::Login => {
                let itt = self.tag();
                Message::LoginRequest(LoginRequest { itt, cid: CID, exp_stat_sn, ..Default::default() })
            }
            Action::Raw(bytes) => return vec![bytes],
        };
        vec![self.frame(message, framing)]
    }

    fn command(&mut self, c: &Command, framing: Framing) -> Vec<Vec<u8>> {
        let lun = u16::from(c.lun % 4);
        let block_size = self.config.units.get(usize::from(lun)).map_or(512, |u| u.block_size);
        let (cdb, list, read_length) = build_cdb(&c.cdb, &self.config, block_size);
        let implied = implied_data_out(&cdb, block_size).map_or(0, |i| i.bytes);
        let writes = implied > 0 || list.is_some();
        let base = if writes { implied } else { read_length };
        let edtl = c.edtl.of(base);
        let n = &self.target.negotiated;
        let (immediate_data, initial_r2t) = (n.yes("ImmediateData", true), n.yes("InitialR2T", true));
        let first_burst = n.number("FirstBurstLength", 65_536).min(n.number("MaxBurstLength", 262_144));
        let (flip_read, flip_write, flip_final, immediate) = c.quirks();
        let write = writes ^ flip_write;
        let read = (read_length > 0 && !writes) ^ flip_read;
        // The initiator's buffer: the parameter list, else pattern bytes; EDTL long (within reason).
        let buffer_len = (edtl as usize).min(256 * 1024);
        let mut data = list.unwrap_or_default();
        data.resize(buffer_len, 0);
        if data.iter().all(|&b| b == 0) && !matches!(c.cdb, Cdb::Unmap { .. } | Cdb::ExtendedCopy { .. }) {
            data = pseudo_random(self.step as u8 ^ 0x5A, buffer_len);
        }
        let force = c.immediate_data & 0x8000 != 0;
        let immediate_len = if write && (immediate_data || force) {
            let wanted = u32::from(c.immediate_data & 0x7FFF);
            let cap = if force { u32::MAX } else { first_burst.min(edtl) };
            (wanted.min(cap) as usize).min(buffer_len).min(self.max_data())
        } else {
            0
        };
        let unsolicited_end = first_burst.min(edtl);
        let unsolicited = c.unsolicited && write && !initial_r2t && (immediate_len as u32) < unsolicited_end;
        let final_ = !unsolicited ^ flip_final;
        let cmd_sn = self.take_cmd_sn(immediate).wrapping_add_signed(c.cmd_sn_delta());
        let itt = tag(c.itt);
        let command = ScsiCommand {
            immediate,
            final_,
            read,
            write,
            attr: (c.flags >> 4) & 3,
            lun: encode_lun(lun),
            itt,
            edtl,
            cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            bidi_read_length: (read && write).then_some(read_length as u32),
            data: data[..immediate_len].to_vec(),
            cdb,
        };
        let mut pdus = vec![self.frame(Message::ScsiCommand(command), framing)];
        if write {
            let task = Task {
                lun: encode_lun(lun),
                data,
                unsolicited_offset: immediate_len as u32,
                unsolicited_data_sn: 0,
                unsolicited_end: if unsolicited { unsolicited_end } else { 0 },
                r2ts: VecDeque::new(),
            };
            self.tasks.insert(itt, task);
            self.latest = Some(itt);
            if unsolicited {
                pdus.extend(self.unsolicited(itt));
            }
        }
        pdus
    }

    /// The unsolicited Data-Out of task `itt`, all of it.
    fn unsolicited(&mut self, itt: u32) -> Vec<Vec<u8>> {
        let max = self.max_data() as u32;
        let exp_stat_sn = self.exp_stat_sn;
        let Some(task) = self.tasks.get_mut(&itt) else { return Vec::new() };
        let mut messages = Vec::new();
        while task.unsolicited_offset < task.unsolicited_end {
            let offset = task.unsolicited_offset;
            let len = (task.unsolicited_end - offset).min(max);
            let final_ = offset + len == task.unsolicited_end;
            messages.push(data_out(
                task,
                itt,
                RESERVED_TAG,
                exp_stat_sn,
                task.unsolicited_data_sn,
                offset,
                len,
                final_,
            ));
            task.unsolicited_offset += len;
            task.unsolicited_data_sn += 1;
        }
        let plain = Framing::PLAIN;
        messages.into_iter().map(|m| self.frame(m, plain)).collect()
    }

    /// One Data-Out for the latest outstanding R2T, else the latest task's unsolicited data.
    fn data(&mut self, d: &Data, framing: Framing) -> Vec<Vec<u8>> {
        let max = self.max_data() as u32;
        let exp_stat_sn = self.exp_stat_sn;
        let solicited = self.tasks.iter().rev().find(|(_, t)| !t.r2ts.is_empty()).map(|(itt, _)| *itt);
        let itt = solicited.or(self.latest);
        let Some(task) = itt.and_then(|itt| self.tasks.get_mut(&itt)) else {
            let m = DataOut { itt: d.itt.map_or(0, tag), ttt: RESERVED_TAG, data: vec![0; 512], ..Default::default() };
            return vec![self.frame(Message::DataOut(m), framing)];
        };
        let itt = itt.unwrap_or_default();
        let (ttt, offset, end, data_sn) = match task.r2ts.front() {
            Some(b) => (b.ttt, b.offset, b.end, b.data_sn),
            None => (RESERVED_TAG, task.unsolicited_offset, task.unsolicited_end, task.unsolicited_data_sn),
        };
        let due = end.saturating_sub(offset).min(max);
        let exact = d.offset_delta == 0 && d.length_delta == 0 && d.data_sn_delta == 0 && d.itt.is_none();
        let offset = offset.wrapping_add_signed(d.offset_delta.into());
        let len = due.saturating_add_signed(d.length_delta.into()).min(MAX_SEGMENT as u32);
        let final_ = (offset.saturating_add(len) >= end) ^ d.flip_final;
        let ttt = if d.flip_ttt { if ttt == RESERVED_TAG { 1 } else { RESERVED_TAG } } else { ttt };
        let data_sn = data_sn.wrapping_add_signed(d.data_sn_delta.into());
        let mut m = data_out(task, itt, ttt, exp_stat_sn, data_sn, offset, len, final_);
        if let (Some(other), Message::DataOut(out)) = (d.itt, &mut m) {
            out.itt = tag(other);
        }
        if exact && !d.flip_ttt && !d.flip_final && framing.quirk() == Quirk::None {
            // The target takes it: the player's view moves on.
            match task.r2ts.front_mut() {
                Some(b) => {
                    b.offset += len;
                    b.data_sn += 1;
                    if b.offset >= b.end {
                        task.r2ts.pop_front();
                    }
                }
                None => {
                    task.unsolicited_offset += len;
                    task.unsolicited_data_sn += 1;
                }
            }
        }
        vec![self.frame(m, framing)]
    }

    /// Every outstanding R2T answered in full.
    fn answer_r2ts(&mut self) -> Vec<Vec<u8>> {
        let max = self.max_data() as u32;
        let exp_stat_sn = self.exp_stat_sn;
        let mut messages = Vec::new();
        for (itt, task) in &mut self.tasks {
            while let Some(mut b) = task.r2ts.pop_front() {
                while b.offset < b.end && messages.len() < MAX_STEPS * 4 {
                    let len = (b.end - b.offset).min(max);
                    let final_ = b.offset + len == b.end;
                    messages.push(data_out(task, *itt, b.ttt, exp_stat_sn, b.data_sn, b.offset, len, final_));
                    b.offset += len;
                    b.data_sn += 1;
                }
            }
        }
        let plain = Framing::PLAIN;
        messages.into_iter().map(|m| self.frame(m, plain)).collect()
    }

    /// How long the PDU starting `bytes` is on the wire, as the target reads it now (all of `bytes` if
    /// its header is not all there).
    fn pdu_length(&self, bytes: &[u8]) -> usize {
        let Some(bhs) = bytes.get(..pdu::BHS_LEN) else { return bytes.len() };
        let digests = self.digests();
        let data = usize::from(bhs[5]) << 16 | usize::from(bhs[6]) << 8 | usize::from(bhs[7]);
        let digest = |on: bool| if on { 4 } else { 0 };
        pdu::BHS_LEN
            + usize::from(bhs[4]) * 4
            + digest(digests.header)
            + data.next_multiple_of(4)
            + digest(digests.data && data > 0)
    }

    /// The digests in force: none until the login is complete.
    fn digests(&self) -> pdu::Digests {
        if self.target.negotiated.complete { self.target.negotiated.digests() } else { pdu::Digests::default() }
    }

    /// A PDU on the wire, with the digests in force and the framing's quirk.
    fn frame(&self, m: Message, framing: Framing) -> Vec<u8> {
        let digests = self.digests();
        let RawPdu { mut bhs, mut ahs, data } = m.encode();
        let quirk = framing.quirk();
        if let Quirk::Ahs { words, fill } = quirk {
            let mut extra = vec![fill; usize::from(words) * 4];
            extra[..2].copy_from_slice(&(u16::from(words) * 4 - 3).to_be_bytes());
            ahs.extend(extra);
        }
        bhs[4] = (ahs.len() / 4) as u8;
        let length = match quirk {
            Quirk::DataLength(d) => (data.len() as i64 + i64::from(d)).clamp(0, pdu::MAX_DATA_SEGMENT as i64) as usize,
            _ => data.len(),
        };
        bhs[5..8].copy_from_slice(&(length as u32).to_be_bytes()[1..]);
        if let Quirk::FlipHeaderByte { at, xor } = quirk {
            bhs[usize::from(at)] ^= xor;
        }
        let mut out = bhs.to_vec();
        out.extend_from_slice(&ahs);
        if digests.header {
            let digest = crc32c(&out) ^ u32::from(quirk == Quirk::BadHeaderDigest);
            out.extend_from_slice(&digest.to_le_bytes());
        }
        if !data.is_empty() {
            let start = out.len();
            let pad = if let Quirk::DirtyPadding(b) = quirk { b } else { 0 };
            out.extend_from_slice(&data);
            out.resize(out.len() + (4 - data.len() % 4) % 4, pad);
            if digests.data {
                let digest = crc32c(&out[start..]) ^ u32::from(quirk == Quirk::BadDataDigest);
                out.extend_from_slice(&digest.to_le_bytes());
            }
        }
        if let Quirk::Truncate(n) = quirk {
            out.truncate(usize::from(n));
        }
        out
    }
}

impl PlayerReader {
    /// Makes the next move's bytes; false when the script is over.
    fn make_more(&mut self) -> bool {
        self.observe();
        let Some(m) = self.moves.pop_front() else { return false };
        self.made.drain(..self.taken);
        self.taken = 0;
        for pdu in self.play(m) {
            self.made.extend(pdu);
        }
        true
    }

    fn available(&self) -> usize {
        self.made.len() - self.taken
    }
}

impl Read for PlayerReader {
    /// Hands out the bytes made, never past the end of the PDU the target is reading — framed from its
    /// header as the target frames it, whatever the move meant (a quirk may make a header promise more
    /// or less than the move made; raw bytes are many PDUs).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left_in_pdu == 0 {
            // A new PDU: its header, framed with what the target has settled by now.
            while self.available() < pdu::BHS_LEN && self.make_more() {}
            if self.available() == 0 {
                return Ok(0);
            }
            self.observe();
            self.left_in_pdu = self.pdu_length(&self.made[self.taken..]);
        }
        while self.available() == 0 {
            if !self.make_more() {
                return Ok(0);
            }
        }
        let n = self.left_in_pdu.min(self.available()).min(buf.len());
        buf[..n].copy_from_slice(&self.made[self.taken..self.taken + n]);
        io::Write::write_all(&mut self.input, &buf[..n])?;
        self.taken += n;
        self.left_in_pdu -= n;
        Ok(n)
    }
}

/// A Data-Out of `len` bytes of the task's buffer from `offset` (pattern bytes past its end).
#[allow(clippy::too_many_arguments)]
fn data_out(
    task: &Task,
    itt: u32,
    ttt: u32,
    exp_stat_sn: u32,
    data_sn: u32,
    offset: u32,
    len: u32,
    final_: bool,
) -> Message {
    let start = (offset as usize).min(task.data.len());
    let end = (offset as usize).saturating_add(len as usize).min(task.data.len());
    let mut data = task.data[start..end].to_vec();
    data.resize(len as usize, 0xA5);
    Message::DataOut(DataOut { final_, lun: task.lun, itt, ttt, exp_stat_sn, data_sn, buffer_offset: offset, data })
}

/// A script's tag: small, so that tags repeat; 255 the reserved tag.
fn tag(t: Tag) -> u32 {
    if t == 255 { RESERVED_TAG } else { u32::from(t) }
}

/// The Login Requests of a login.
fn login_requests(login: &Login) -> Vec<Move> {
    let initiator = match login.initiator % 3 {
        0 => INITIATORS[0],
        1 => INITIATORS[1],
        _ => STRANGER,
    };
    let mut names = vec![("InitiatorName".to_owned(), initiator.to_owned())];
    if login.discovery {
        names.push(("SessionType".into(), "Discovery".into()));
    } else {
        names.push(("TargetName".into(), DEFAULT_TARGET_NAME.into()));
    }
    let offers: Vec<(String, String)> = login.offers.iter().take(16).map(|o| o.pair()).collect();
    let request = |transit: bool, cont: bool, csg: u8, nsg: u8, pairs: &[(String, String)]| LoginRequest {
        transit,
        cont,
        csg,
        nsg,
        isid: [0x80, 0, 0, 0, 0, login.isid],
        itt: 0x7000,
        cid: CID,
        cmd_sn: login.cmd_sn.into(),
        exp_stat_sn: login.exp_stat_sn,
        data: text::encode(pairs),
        ..Default::default()
    };
    let all: Vec<(String, String)> = names.iter().chain(&offers).cloned().collect();
    let security: Vec<(String, String)> =
        names.iter().cloned().chain([("AuthMethod".to_owned(), "None".to_owned())]).collect();
    let requests = match login.form {
        LoginForm::Operational => vec![request(true, false, 1, 3, &all)],
        LoginForm::SecurityThenOperational => {
            vec![request(true, false, 0, 1, &security), request(true, false, 1, 3, &offers)]
        }
        LoginForm::Security => {
            let every: Vec<_> = security.iter().chain(&offers).cloned().collect();
            vec![request(true, false, 0, 3, &every)]
        }
        LoginForm::Continued => {
            let text = text::encode(&all);
            let (first, second) = text.split_at(text.len() / 2);
            let mut a = request(false, true, 1, 0, &[]);
            a.data = first.to_vec();
            let mut b = request(true, false, 1, 3, &[]);
            b.data = second.to_vec();
            vec![a, b]
        }
        LoginForm::OperationalTwice => {
            let (first, second) = offers.split_at(offers.len() / 2);
            let first: Vec<_> = names.iter().chain(first).cloned().collect();
            vec![request(false, false, 1, 0, &first), request(true, false, 1, 3, second)]
        }
    };
    let plain = Framing::PLAIN;
    requests.into_iter().enumerate().map(|(i, r)| Move::Login(r, if i == 0 { login.framing } else { plain })).collect()
}

/// A CDB, its parameter list (UNMAP, EXTENDED COPY) and the data-in it asks for.
fn build_cdb(c: &Cdb, config: &TargetConfig, block_size: u32) -> (Vec<u8>, Option<Vec<u8>>, u64) {
    let bs = u64::from(block_size);
    let blocks = |b: u8| u64::from(b % 24);
    match *c {
        Cdb::Read10 { lba, blocks: b } => (cdb::read10(lba.into(), (b % 24).into()), None, blocks(b) * bs),
        Cdb::Write10 { lba, blocks: b } => (cdb::write10(lba.into(), (b % 24).into()), None, 0),
        Cdb::Read16 { lba, blocks: b } => (cdb::read16(lba.into(), (b % 24).into()), None, blocks(b) * bs),
        Cdb::Write16 { lba, blocks: b } => (cdb::write16(lba.into(), (b % 24).into()), None, 0),
        Cdb::CompareAndWrite { lba, blocks: b } => (cdb::compare_and_write(lba.into(), b % 6), None, 0),
        Cdb::WriteSame10 { flags, lba, blocks: b } => (cdb::write_same10(flags, lba.into(), b.into()), None, 0),
        Cdb::WriteSame16 { flags, lba, blocks: b } => (cdb::write_same16(flags, lba.into(), b.into()), None, 0),
        Cdb::Unmap { ref ranges } => {
            let ranges: Vec<(u64, u32)> = ranges.iter().take(8).map(|&(l, n)| (l.into(), n.into())).collect();
            let list = cdb::unmap_list(&ranges);
            (cdb::unmap(false, list.len() as u16), Some(list), 0)
        }
        Cdb::ExtendedCopy { source, destination, blocks: b, source_lba, destination_lba } => {
            let unit = |i: u8| {
                let lun = usize::from(i) % config.units.len().max(1);
                config.units.get(lun).map(|u| cdb::cscd(&naa_designator(u, lun as u16), u.block_size))
            };
            let cscds: Vec<Vec<u8>> = [unit(source), unit(destination)].into_iter().flatten().collect();
            let segment = cdb::segment(0, 1, (b % 16).into(), source_lba.into(), destination_lba.into());
            let list = cdb::copy_list(1, 0, &cscds, &[segment]);
            (cdb::extended_copy(list.len() as u32), Some(list), 0)
        }
        Cdb::Inquiry { evpd, page, allocation } => (cdb::inquiry(evpd, page, allocation), None, allocation.into()),
        Cdb::ReadCapacity16 => (cdb::read_capacity16(32), None, 32),
        Cdb::TestUnitReady => (vec![0; 6], None, 0),
        Cdb::ReportLuns => (vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0], None, 64),
        Cdb::GetLbaStatus { lba } => (cdb::get_lba_status(lba.into(), 24), None, 24),
        Cdb::Raw(ref bytes) => {
            let mut raw = bytes.clone();
            raw.truncate(pdu::MAX_CDB_LEN);
            (raw, None, 512)
        }
    }
}
