//! A small iSCSI initiator: login (with or without a security stage, CHAP one-way or mutual), SCSI commands with immediate,
//! unsolicited and solicited data, NOP, SendTargets, task management and logout — one command at a time.
//! It is the client of the integration tests and of anything in the kit that drives the target without
//! libiscsi; [`Initiator::send_raw`] and [`Initiator::recv`] let a test put any bytes on the wire.

use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::auth::{self, Account};
use crate::pdu::{
    self, DataOut, DecodeError, Digests, LoginRequest, LogoutRequest, Message, NopOut, RESERVED_TAG, ReadError,
    Residual, ScsiCommand, TaskMgmtRequest, TextRequest,
};
use crate::text;

#[derive(Debug, thiserror::Error)]
pub enum InitiatorError {
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Text(#[from] text::TextError),
    #[error("login failed with status {status:04x}")]
    Login { status: u16 },
    #[error("the target failed mutual CHAP: {0}")]
    TargetAuthentication(String),
    #[error("the target rejected a PDU (reason {reason:#04x})")]
    Rejected { reason: u8, header: Vec<u8> },
    #[error("unexpected PDU: {0}")]
    Unexpected(String),
}

/// The most unit attentions [`Initiator::clear_unit_attentions`] takes before it gives up (libiscsi's
/// connect allows as many).
pub const MAX_UNIT_ATTENTIONS: usize = 10;

/// How to log in.
#[derive(Clone, Debug)]
pub struct LoginOptions {
    pub initiator_name: String,
    /// `None`: a discovery session.
    pub target_name: Option<String>,
    pub isid: [u8; 6],
    /// Start in the security negotiation stage (AuthMethod=None, or CHAP,None with `chap`), as most
    /// initiators do.
    pub security_stage: bool,
    /// Authenticate with CHAP (in the security stage: without it, `chap` is not used): this initiator's
    /// CHAP_N and secret, and in `mutual` the CHAP_N and secret the target must answer this initiator's
    /// own challenge with.
    pub chap: Option<Account>,
    /// Operational keys offered, in order.
    pub keys: Vec<(String, String)>,
    pub timeout: Duration,
}

impl LoginOptions {
    pub fn new(initiator_name: &str, target_name: Option<&str>) -> Self {
        let keys = [
            ("HeaderDigest", "None"),
            ("DataDigest", "None"),
            ("InitialR2T", "No"),
            ("ImmediateData", "Yes"),
            ("MaxBurstLength", "262144"),
            ("FirstBurstLength", "65536"),
            ("MaxRecvDataSegmentLength", "65536"),
            ("MaxOutstandingR2T", "1"),
            ("MaxConnections", "1"),
            ("DataPDUInOrder", "Yes"),
            ("DataSequenceInOrder", "Yes"),
            ("DefaultTime2Wait", "2"),
            ("DefaultTime2Retain", "0"),
            ("ErrorRecoveryLevel", "0"),
        ];
        LoginOptions {
            initiator_name: initiator_name.to_owned(),
            target_name: target_name.map(str::to_owned),
            isid: [0x80, 0x12, 0x34, 0x56, 0x00, 0x01],
            security_stage: true,
            chap: None,
            keys: keys.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Authenticates with CHAP (in the security stage).
    pub fn chap(mut self, account: Account) -> Self {
        self.chap = Some(account);
        self.security_stage = true;
        self
    }

    /// Replaces (or adds) an offered key.
    pub fn key(mut self, key: &str, value: &str) -> Self {
        match self.keys.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value.to_owned(),
            None => self.keys.push((key.to_owned(), value.to_owned())),
        }
        self
    }
}

/// The outcome of one SCSI command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScsiResult {
    /// iSCSI response: 0 completed at target, 1 target failure.
    pub response: u8,
    pub status: u8,
    pub sense: Vec<u8>,
    pub data_in: Vec<u8>,
    pub residual: Residual,
    /// R2Ts the target sent for the command.
    pub r2ts: u32,
    /// Data-In PDUs received.
    pub data_in_pdus: u32,
    /// Whether the status came in the last Data-In (phase collapse).
    pub status_in_data_in: bool,
}

/// What one Login Response said.
struct LoginStep {
    transit: bool,
    nsg: u8,
    keys: Vec<(String, String)>,
}

impl LoginStep {
    fn value(&self, key: &str) -> Option<&str> {
        self.keys.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A logged-in connection.
pub struct Initiator {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    pub digests: Digests,
    itt: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub tsih: u16,
    /// Every key the target answered or declared during login.
    pub negotiated: HashMap<String, String>,
    initial_r2t: bool,
    immediate_data: bool,
    first_burst: u32,
    /// The target's MaxRecvDataSegmentLength: the longest data segment this side may send.
    pub target_max_recv: u32,
    own_max_recv: u32,
}

fn parse_u32(v: Option<&String>, default: u32) -> u32 {
    v.and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl Initiator {
    /// Connects and logs in.
    pub fn connect(addr: impl ToSocketAddrs, options: &LoginOptions) -> Result<Initiator, InitiatorError> {
        let addr: SocketAddr =
            addr.to_socket_addrs()?.next().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
        let stream = TcpStream::connect_timeout(&addr, options.timeout)?;
        stream.set_read_timeout(Some(options.timeout))?;
        stream.set_nodelay(true)?;
        let mut i = Initiator {
            reader: BufReader::with_capacity(256 * 1024, stream.try_clone()?),
            writer: stream,
            digests: Digests::default(),
            itt: 0x100,
            cmd_sn: 1,
            exp_stat_sn: 0,
            tsih: 0,
            negotiated: HashMap::new(),
            initial_r2t: true,
            immediate_data: true,
            first_burst: 65_536,
            target_max_recv: 8192,
            own_max_recv: 8192,
        };
        i.login(options)?;
        Ok(i)
    }

    /// The underlying socket.
    pub fn stream(&self) -> &TcpStream {
        &self.writer
    }

    pub fn next_itt(&mut self) -> u32 {
        self.itt = self.itt.wrapping_add(1);
        if self.itt == RESERVED_TAG {
            self.itt = 1;
        }
        self.itt
    }

    /// Sends a message as it is (sequence numbers are the caller's).
    pub fn send(&mut self, m: &Message) -> Result<(), InitiatorError> {
        pdu::write_pdu(&mut self.writer, &m.encode(), self.digests)?;
        Ok(())
    }

    /// Puts raw bytes on the wire.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), InitiatorError> {
        self.writer.write_all(bytes)?;
        Ok(())
    }

    /// Receives the next PDU.
    pub fn recv(&mut self) -> Result<Message, InitiatorError> {
        let raw = pdu::read_pdu(&mut self.reader, self.digests, self.own_max_recv.max(8192) as usize)?;
        let m = Message::decode(raw)?;
        Ok(m)
    }

    fn login_step(&mut self, req: LoginRequest) -> Result<LoginStep, InitiatorError> {
        self.send(&Message::LoginRequest(req))?;
        let Message::LoginResponse(r) = self.recv()? else {
            return Err(InitiatorError::Unexpected("a PDU other than Login Response during login".into()));
        };
        let status = (u16::from(r.status_class) << 8) | u16::from(r.status_detail);
        if status != 0 {
            return Err(InitiatorError::Login { status });
        }
        self.exp_stat_sn = r.numbers.stat_sn.wrapping_add(1);
        let keys = text::parse(&r.data)?;
        for (k, v) in &keys {
            if !k.starts_with("CHAP_") {
                self.negotiated.insert(k.clone(), v.clone());
            }
        }
        if r.transit && r.nsg == 3 {
            self.tsih = r.tsih;
        }
        Ok(LoginStep { transit: r.transit, nsg: r.nsg, keys })
    }

    /// The CHAP exchange after the target chose AuthMethod=CHAP (RFC 7143 §12.1.3): CHAP_A, then the
    /// response to the target's challenge, with a challenge of this initiator's own for mutual CHAP.
    /// Returns the target's answer to the response, the one that leaves the security stage.
    fn chap(
        &mut self,
        account: &Account,
        request: impl Fn(bool, u32, u32, Vec<u8>) -> LoginRequest,
    ) -> Result<LoginStep, InitiatorError> {
        let bad = |what: &str| InitiatorError::Unexpected(format!("CHAP: {what}"));
        let step = self.login_step(request(false, self.cmd_sn, self.exp_stat_sn, text::encode(&[("CHAP_A", "5")])))?;
        if step.value("CHAP_A") != Some("5") {
            return Err(bad("the target did not choose CHAP_A=5"));
        }
        let identifier = step.value("CHAP_I").and_then(text::parse_number).and_then(|i| u8::try_from(i).ok());
        let challenge = step.value("CHAP_C").and_then(|c| text::decode_binary(c).ok());
        let (Some(identifier), Some(challenge)) = (identifier, challenge) else {
            return Err(bad("no CHAP_I and CHAP_C from the target"));
        };
        let answer = auth::response(identifier, &account.secret, &challenge);
        let mut keys =
            vec![("CHAP_N".to_owned(), account.user.clone()), ("CHAP_R".to_owned(), text::encode_hex(&answer))];
        let mut ours = [0u8; 1 + auth::CHALLENGE_LEN];
        if account.mutual.is_some() {
            getrandom::fill(&mut ours).map_err(|e| bad(&format!("no random challenge: {e}")))?;
            keys.push(("CHAP_I".into(), ours[0].to_string()));
            keys.push(("CHAP_C".into(), text::encode_hex(&ours[1..])));
        }
        let step = self.login_step(request(true, self.cmd_sn, self.exp_stat_sn, text::encode(&keys)))?;
        if let Some(target) = &account.mutual {
            if step.value("CHAP_N") != Some(target.user.as_str()) {
                return Err(InitiatorError::TargetAuthentication(format!("CHAP_N {:?}", step.value("CHAP_N"))));
            }
            let expected = auth::response(ours[0], &target.secret, &ours[1..]);
            let answered = step.value("CHAP_R").and_then(|r| text::decode_binary(r).ok());
            if answered.as_deref() != Some(expected.as_slice()) {
                return Err(InitiatorError::TargetAuthentication("wrong CHAP_R".into()));
            }
        }
        Ok(step)
    }

    fn login(&mut self, o: &LoginOptions) -> Result<(), InitiatorError> {
        let mut leading = vec![("InitiatorName".to_owned(), o.initiator_name.clone())];
        match &o.target_name {
            Some(t) => {
                leading.push(("TargetName".into(), t.clone()));
                leading.push(("SessionType".into(), "Normal".into()));
            }
            None => leading.push(("SessionType".into(), "Discovery".into())),
        }
        let itt = self.next_itt();
        let request = |transit, csg, nsg, cmd_sn, exp_stat_sn, data| LoginRequest {
            transit,
            cont: false,
            csg,
            nsg,
            version_max: 0,
            version_min: 0,
            isid: o.isid,
            tsih: 0,
            itt,
            cid: 1,
            cmd_sn,
            exp_stat_sn,
            data,
        };
        let mut operational = o.keys.clone();
        if o.security_stage {
            leading.push(("AuthMethod".into(), if o.chap.is_some() { "CHAP,None" } else { "None" }.into()));
            let req = request(true, 0, 1, self.cmd_sn, self.exp_stat_sn, text::encode(&leading));
            let mut step = self.login_step(req)?;
            if let Some(account) = &o.chap {
                // An initiator that has a secret insists on using it (no silent fall-back to None).
                if step.value("AuthMethod") != Some("CHAP") {
                    return Err(InitiatorError::Unexpected("the target did not choose AuthMethod=CHAP".into()));
                }
                step = self.chap(account, |transit, cmd_sn, exp_stat_sn, data| {
                    request(transit, 0, 1, cmd_sn, exp_stat_sn, data)
                })?;
            }
            if !(step.transit && step.nsg == 1) {
                return Err(InitiatorError::Unexpected("the target did not move to operational negotiation".into()));
            }
        } else {
            leading.append(&mut operational);
            operational = leading;
        }
        let req = request(true, 1, 3, self.cmd_sn, self.exp_stat_sn, text::encode(&operational));
        let step = self.login_step(req)?;
        if !(step.transit && step.nsg == 3) {
            return Err(InitiatorError::Unexpected("the target did not move to the full feature phase".into()));
        }
        let offered = |key: &str| o.keys.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let result = |key: &str| self.negotiated.get(key).cloned().or_else(|| offered(key));
        self.digests = Digests {
            header: result("HeaderDigest").as_deref() == Some("CRC32C"),
            data: result("DataDigest").as_deref() == Some("CRC32C"),
        };
        self.initial_r2t = result("InitialR2T").as_deref() != Some("No");
        self.immediate_data = result("ImmediateData").as_deref() != Some("No");
        let max_burst = parse_u32(result("MaxBurstLength").as_ref(), 262_144);
        self.first_burst = parse_u32(result("FirstBurstLength").as_ref(), 65_536).min(max_burst);
        self.target_max_recv = parse_u32(self.negotiated.get("MaxRecvDataSegmentLength"), 8192);
        self.own_max_recv = parse_u32(offered("MaxRecvDataSegmentLength").as_ref(), 8192);
        Ok(())
    }

    fn note_status(&mut self, stat_sn: u32) {
        self.exp_stat_sn = stat_sn.wrapping_add(1);
    }

    fn send_data(
        &mut self,
        lun: u16,
        itt: u32,
        ttt: u32,
        data: &[u8],
        start: usize,
        end: usize,
    ) -> Result<(), InitiatorError> {
        let mut offset = start;
        let mut data_sn = 0;
        let step = self.target_max_recv.max(512) as usize;
        while offset < end {
            let stop = (offset + step).min(end);
            let m = DataOut {
                final_: stop == end,
                lun: pdu::encode_lun(lun),
                itt,
                ttt,
                exp_stat_sn: self.exp_stat_sn,
                data_sn,
                buffer_offset: offset as u32,
                data: data[offset..stop].to_vec(),
            };
            self.send(&Message::DataOut(m))?;
            data_sn += 1;
            offset = stop;
        }
        Ok(())
    }

    /// Runs one SCSI command: `data_out` is written (immediate data, unsolicited Data-Out and R2Ts as
    /// negotiated), `read_len` is the Expected Data Transfer Length of a read (0: no read).
    pub fn command(
        &mut self,
        lun: u16,
        cdb: &[u8],
        data_out: &[u8],
        read_len: u32,
    ) -> Result<ScsiResult, InitiatorError> {
        let itt = self.next_itt();
        let write = !data_out.is_empty();
        let len = data_out.len();
        let immediate = if write && self.immediate_data {
            len.min(self.first_burst as usize).min(self.target_max_recv as usize)
        } else {
            0
        };
        let unsolicited = if write && !self.initial_r2t { len.min(self.first_burst as usize) } else { immediate };
        let mut full_cdb = cdb.to_vec();
        if full_cdb.len() < 16 {
            full_cdb.resize(16, 0);
        }
        let cmd = ScsiCommand {
            immediate: false,
            final_: unsolicited == immediate,
            read: read_len > 0,
            write,
            attr: 1,
            lun: pdu::encode_lun(lun),
            itt,
            edtl: if write { len as u32 } else { read_len },
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            cdb: full_cdb,
            bidi_read_length: None,
            data: data_out[..immediate].to_vec(),
        };
        self.cmd_sn = self.cmd_sn.wrapping_add(1);
        self.send(&Message::ScsiCommand(cmd))?;
        self.send_data(lun, itt, RESERVED_TAG, data_out, immediate, unsolicited)?;
        let mut result = ScsiResult::default();
        loop {
            match self.recv()? {
                Message::R2t(r) if r.itt == itt => {
                    result.r2ts += 1;
                    let start = r.buffer_offset as usize;
                    let end = start + r.desired_length as usize;
                    if end > len {
                        return Err(InitiatorError::Unexpected(format!("R2T for bytes {start}..{end} of {len}")));
                    }
                    self.send_data(lun, itt, r.ttt, data_out, start, end)?;
                }
                Message::DataIn(d) if d.itt == itt => {
                    result.data_in_pdus += 1;
                    let end = d.buffer_offset as usize + d.data.len();
                    if result.data_in.len() < end {
                        result.data_in.resize(end, 0);
                    }
                    result.data_in[d.buffer_offset as usize..end].copy_from_slice(&d.data);
                    if let Some(status) = d.status {
                        self.note_status(d.numbers.stat_sn);
                        result.status = status;
                        result.residual = d.residual;
                        result.status_in_data_in = true;
                        return Ok(result);
                    }
                }
                Message::ScsiResponse(r) if r.itt == itt => {
                    self.note_status(r.numbers.stat_sn);
                    result.response = r.response;
                    result.status = r.status;
                    result.sense = r.sense().to_vec();
                    result.residual = r.residual;
                    return Ok(result);
                }
                Message::NopIn(n) if n.ttt != RESERVED_TAG => self.answer_ping(n.ttt, n.lun)?,
                Message::Reject(r) => return Err(InitiatorError::Rejected { reason: r.reason, header: r.data }),
                other => return Err(InitiatorError::Unexpected(format!("{other:?}"))),
            }
        }
    }

    fn answer_ping(&mut self, ttt: u32, lun: u64) -> Result<(), InitiatorError> {
        let m = NopOut {
            immediate: true,
            lun,
            itt: RESERVED_TAG,
            ttt,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            data: Vec::new(),
        };
        self.send(&Message::NopOut(m))
    }

    /// NOP-Out ping; returns the echoed data.
    pub fn nop(&mut self, data: &[u8]) -> Result<Vec<u8>, InitiatorError> {
        let itt = self.next_itt();
        let m = NopOut {
            immediate: false,
            lun: 0,
            itt,
            ttt: RESERVED_TAG,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            data: data.to_vec(),
        };
        self.cmd_sn = self.cmd_sn.wrapping_add(1);
        self.send(&Message::NopOut(m))?;
        match self.recv()? {
            Message::NopIn(n) if n.itt == itt => {
                self.note_status(n.numbers.stat_sn);
                Ok(n.data)
            }
            Message::Reject(r) => Err(InitiatorError::Rejected { reason: r.reason, header: r.data }),
            other => Err(InitiatorError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Text request SendTargets=`value`; returns the pairs of the (reassembled) response.
    pub fn send_targets(&mut self, value: &str) -> Result<Vec<(String, String)>, InitiatorError> {
        let itt = self.next_itt();
        let mut data = text::encode(&[("SendTargets", value)]);
        let mut ttt = RESERVED_TAG;
        let mut collected = Vec::new();
        loop {
            let m = TextRequest {
                immediate: false,
                final_: true,
                cont: false,
                lun: 0,
                itt,
                ttt,
                cmd_sn: self.cmd_sn,
                exp_stat_sn: self.exp_stat_sn,
                data: std::mem::take(&mut data),
            };
            self.cmd_sn = self.cmd_sn.wrapping_add(1);
            self.send(&Message::TextRequest(m))?;
            match self.recv()? {
                Message::TextResponse(r) if r.itt == itt => {
                    self.note_status(r.numbers.stat_sn);
                    collected.extend_from_slice(&r.data);
                    if r.final_ {
                        return Ok(text::parse(&collected)?);
                    }
                    ttt = r.ttt;
                }
                Message::Reject(r) => return Err(InitiatorError::Rejected { reason: r.reason, header: r.data }),
                other => return Err(InitiatorError::Unexpected(format!("{other:?}"))),
            }
        }
    }

    /// Clears the unit attentions pending for this session on `lun` as libiscsi does after login: TEST
    /// UNIT READY until it completes without UNIT ATTENTION (at most [`MAX_UNIT_ATTENTIONS`] of them).
    /// Returns the additional sense codes (ASC, ASCQ) reported, in order.
    pub fn clear_unit_attentions(&mut self, lun: u16) -> Result<Vec<(u8, u8)>, InitiatorError> {
        let mut reported = Vec::new();
        for _ in 0..=MAX_UNIT_ATTENTIONS {
            let r = self.command(lun, &[0; 6], &[], 0)?;
            match offload_scsi::sense::decode(&r.sense) {
                Ok(s)
                    if r.status == offload_scsi::CHECK_CONDITION && s.key == offload_scsi::SenseKey::UNIT_ATTENTION =>
                {
                    reported.push((s.asc.0, s.asc.1));
                }
                _ => return Ok(reported),
            }
        }
        Err(InitiatorError::Unexpected(format!("more than {MAX_UNIT_ATTENTIONS} unit attentions: {reported:02x?}")))
    }

    /// A task management function (immediate); returns the target's response code.
    pub fn task_management(
        &mut self,
        function: u8,
        lun: u16,
        referenced_task_tag: u32,
        ref_cmd_sn: u32,
    ) -> Result<u8, InitiatorError> {
        let itt = self.next_itt();
        let m = TaskMgmtRequest {
            immediate: true,
            function,
            lun: pdu::encode_lun(lun),
            itt,
            referenced_task_tag,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
            ref_cmd_sn,
            exp_data_sn: 0,
        };
        self.send(&Message::TaskMgmtRequest(m))?;
        match self.recv()? {
            Message::TaskMgmtResponse(r) if r.itt == itt => {
                self.note_status(r.numbers.stat_sn);
                Ok(r.response)
            }
            other => Err(InitiatorError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Logout (close the session); returns the target's response code.
    pub fn logout(&mut self) -> Result<u8, InitiatorError> {
        let itt = self.next_itt();
        let m = LogoutRequest {
            immediate: true,
            reason: 0,
            itt,
            cid: 1,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
        };
        self.send(&Message::LogoutRequest(m))?;
        match self.recv()? {
            Message::LogoutResponse(r) if r.itt == itt => {
                self.note_status(r.numbers.stat_sn);
                Ok(r.response)
            }
            other => Err(InitiatorError::Unexpected(format!("{other:?}"))),
        }
    }
}
