//! One connection (and its session: MaxConnections is 1): the login phase with text negotiation, then
//! the full feature phase — SCSI commands with their Data-Out/R2T/Data-In exchanges, NOP, Text
//! (SendTargets), task management and logout.
//!
//! A connection is one async task: it waits only to read a PDU and to write what the PDU produced
//! (`outbox`: every answer framed, then one flush). A command executes inline, on the worker that read
//! it — the back end works at memory speed — unless it may wait for an image file.
//!
//! Error handling follows RFC 7143 at error recovery level 0:
//! - a PDU that cannot be framed (I/O error, header digest mismatch) ends the connection; tasks the
//!   connection was gathering data for are dropped, nothing half-received is executed;
//! - a PDU that is framed but wrong — unknown opcode, malformed AHS, a data segment longer than the
//!   target declared, a data digest mismatch, a Data-Out for no task or at the wrong offset, immediate or
//!   unsolicited data the negotiation did not allow — gets a Reject with the PDU's header and is
//!   otherwise ignored; the session goes on;
//! - a non-immediate command whose CmdSN is outside the window is ignored silently;
//! - during login, anything wrong ends the login with the Status-Class/Detail that names it.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use tokio::io::BufReader;

use crate::auth::ChapTarget;
use crate::backend::{Answer, Command};
use crate::counters::Event;
use crate::pdu::{
    self, DataIn, DataOut, Digests, LoginRequest, LoginResponse, LogoutRequest, LogoutResponse, Message, NopIn, NopOut,
    Opcode, R2t, RESERVED_TAG, RawPdu, ReadError, Reject, Residual, ScsiCommand, ScsiResponse, SequenceNumbers,
    TaskMgmtRequest, TaskMgmtResponse, TextRequest, TextResponse, read_whole_pdu, reject,
};
use crate::session::{Shared, TaskAttribute};
use crate::text::{self, AuthMethod, Negotiator, SessionParams};
use crate::transfer;
use crate::transport::Transport;
use offload_model::scsi::transfer::{ImpliedDataOut, implied_data_out};
use offload_scsi::Fields;
use outbox::Outbox;

mod outbox;

/// The longest data segment accepted during login (RFC 7143: MaxRecvDataSegmentLength's default of 8192
/// applies until the full feature phase).
const LOGIN_MAX_DATA: usize = 8192;
/// The most login text one login may accumulate over C-bit continuations.
const LOGIN_MAX_TEXT: usize = 64 * 1024;

/// How far the reader reads ahead of the PDU it decodes. Enough for many small PDUs a system call, yet
/// little of a large data segment: what the read-ahead holds of one is copied out of it, the rest goes
/// from the socket straight to its task's buffer.
const READ_AHEAD: usize = 16 * 1024;

/// A PDU's Basic Header Segment: what a Reject quotes.
type Bhs = [u8; pdu::BHS_LEN];

#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("login failed: {0}")]
    Login(String),
}

/// The current R2T of a task.
struct Solicit {
    ttt: u32,
    offset: u32,
    length: u32,
    next_data_sn: u32,
}

/// A SCSI command whose data-out is still arriving.
struct Task {
    itt: u32,
    lun_field: u64,
    lun: u16,
    cdb: Vec<u8>,
    read: bool,
    write: bool,
    edtl: u32,
    bidi_read_length: Option<u32>,
    /// The data-out the CDB asks for (`None`: a command the model does not know).
    implied: Option<ImpliedDataOut>,
    /// The data-out gathered so far, in a buffer reserved for all of it when the command arrived.
    data: Vec<u8>,
    /// That buffer's capacity then: larger later means it was regrown (a copy of what had arrived).
    reserved: usize,
    /// Unsolicited Data-Out may still come (the command had F=0 and no Data-Out with F=1 arrived yet).
    unsolicited_open: bool,
    /// DataSN the next unsolicited Data-Out must carry.
    unsolicited_data_sn: u32,
    /// How much data-out the target asks for (EDTL, or what arrived unsolicited when EDTL is too large).
    solicit_limit: u32,
    r2t: Option<Solicit>,
    r2t_sn: u32,
    epoch: (u64, u64),
    /// Its place in its unit's task set (SAM-5 task attribute).
    attribute: TaskAttribute,
}

/// Bytes of SCSI data this connection carried: the host link's share of every command (Data-Out with
/// immediate data, Data-In). An EXTENDED COPY moves its blocks without adding to either.
#[derive(Clone, Copy, Debug, Default)]
struct HostLink {
    data_out: u64,
    data_in: u64,
}

/// The rest of a Text Response that did not fit one PDU.
struct PendingText {
    itt: u32,
    ttt: u32,
    rest: Vec<u8>,
}

/// Serves one accepted connection to its end (the end of its input, a logout, or an error that ends it).
pub(crate) async fn serve<T: Transport>(shared: &Arc<Shared>, transport: T, id: u64) {
    let peer = transport.peer();
    let _ = transport.set_low_latency();
    let mut conn = match Connection::new(Arc::clone(shared), transport, id) {
        Ok(c) => c,
        Err(e) => {
            shared.log(1, format_args!("connection {id} from {peer}: {e}"));
            return;
        }
    };
    let result = conn.run().await;
    let _ = conn.flush().await;
    let HostLink { data_out, data_in } = conn.host_link;
    let beside = shared.ran_beside();
    let link = format!(
        "host link: Data-Out {data_out} bytes, Data-In {data_in} bytes; target: {beside} commands so far ran beside \
         another on their unit"
    );
    match result {
        Ok(()) => shared.log(1, format_args!("connection {id} from {peer} ({}): closed; {link}", conn.initiator)),
        Err(e) => shared.log(1, format_args!("connection {id} from {peer} ({}): {e}; {link}", conn.initiator)),
    }
    if !conn.tasks.is_empty() {
        shared.log(1, format_args!("connection {id}: {} unfinished tasks dropped", conn.tasks.len()));
    }
    if conn.full_feature && !conn.discovery {
        shared.nexus_lost(&conn.nexus);
    }
}

/// Executes `task` on the back end for the I_T nexus `nexus`: its answer and the residual of its
/// data-out, or why the back end failed it. A write whose EDTL and CDB disagree is refused here, as
/// [`transfer::plan`] decides, without reaching the back end.
fn run_task(shared: &Shared, nexus: &str, task: &Task) -> Result<(Answer, Residual), String> {
    // A command that carries data-out — or whose CDB asks for some — is planned against its EDTL.
    let implied_bytes = task.implied.as_ref().map_or(0, |i| i.bytes);
    let plan = if task.write || (!task.read && implied_bytes > 0) {
        transfer::plan(&task.cdb, task.edtl, &task.data, task.implied.as_ref())
    } else {
        transfer::WritePlan {
            cdb: task.cdb.as_slice().into(),
            data_out: &task.data,
            residual: Residual::None,
            refusal: None,
        }
    };
    if let Some(sense) = &plan.refusal {
        let answer = Answer {
            status: offload_scsi::CHECK_CONDITION,
            sense: sense.encode(shared.sense_format(task.lun)).to_vec(),
            data_in: Vec::new(),
        };
        return Ok((answer, plan.residual));
    }
    let command = Command { initiator: nexus, lun: task.lun, cdb: &plan.cdb, data_out: plan.data_out };
    shared.execute(&command, task.attribute).map(|answer| (answer, plan.residual))
}

/// The SCSI initiator port name of an iSCSI I_T nexus (RFC 7143: the initiator name, ",i,0x" and the
/// ISID as 12 lowercase hexadecimal digits): two sessions of one initiator with different ISIDs are two
/// nexuses, each with its own unit attentions, copy results and registrations.
pub(crate) fn initiator_port_name(initiator: &str, isid: [u8; 6]) -> String {
    format!("{initiator},i,0x{}", hex::encode(isid))
}

struct Connection<T: Transport> {
    shared: Arc<Shared>,
    id: u64,
    transport: T,
    reader: BufReader<T::Reader>,
    writer: T::Writer,
    /// The PDUs framed since the last flush.
    outbox: Outbox,
    params: SessionParams,
    digests: Digests,
    initiator: String,
    isid: [u8; 6],
    /// The I_T nexus's identity as the back end knows it: the SCSI initiator port name.
    nexus: String,
    cid: u16,
    discovery: bool,
    /// The login completed.
    full_feature: bool,
    stat_sn: u32,
    exp_cmd_sn: u32,
    tasks: HashMap<u32, Task>,
    next_ttt: u32,
    /// Text of a Text Request continued with the C bit.
    text_in: Vec<u8>,
    pending_text: Option<PendingText>,
    host_link: HostLink,
}

impl<T: Transport> Connection<T> {
    fn new(shared: Arc<Shared>, mut transport: T, id: u64) -> io::Result<Self> {
        let (reader, writer) = transport.open()?;
        let reader = BufReader::with_capacity(READ_AHEAD, reader);
        Ok(Connection {
            shared,
            id,
            transport,
            reader,
            writer,
            outbox: Outbox::default(),
            params: SessionParams::default(),
            digests: Digests::default(),
            initiator: String::new(),
            isid: [0; 6],
            nexus: String::new(),
            cid: 0,
            discovery: false,
            full_feature: false,
            stat_sn: 0,
            exp_cmd_sn: 0,
            tasks: HashMap::new(),
            next_ttt: 1,
            text_in: Vec::new(),
            pending_text: None,
            host_link: HostLink::default(),
        })
    }

    async fn run(&mut self) -> Result<(), ConnError> {
        self.login().await?;
        self.full_feature().await
    }

    /// Writes what was sent since the last flush.
    async fn flush(&mut self) -> io::Result<()> {
        self.outbox.flush(&mut self.writer).await
    }

    /// Frames `m` for the next flush.
    fn send(&mut self, m: Message) {
        if self.shared.settings.verbosity >= 2 {
            self.shared.log(2, format_args!("{} <- {m:?}", self.id));
        }
        self.outbox.push(&m.encode(), self.digests);
    }

    /// Frames a Data-In PDU whose data segment is `range` of the answer's data, lent to the outbox (the
    /// header `m` carries none): the data goes from the answer to the stream without a copy of its own.
    fn send_data_in(&mut self, m: DataIn, data: outbox::Lent, range: std::ops::Range<usize>) {
        if self.shared.settings.verbosity >= 2 {
            self.shared.log(2, format_args!("{} <- {m:?} with {} bytes of data", self.id, range.len()));
        }
        self.outbox.push_lent(&Message::DataIn(m).encode(), data, range, self.digests);
    }

    fn next_stat_sn(&mut self) -> u32 {
        let s = self.stat_sn;
        self.stat_sn = self.stat_sn.wrapping_add(1);
        s
    }

    /// The sequence numbers of a PDU carrying `stat_sn`.
    fn numbers(&self, stat_sn: u32) -> SequenceNumbers {
        SequenceNumbers { stat_sn, exp_cmd_sn: self.exp_cmd_sn, max_cmd_sn: self.max_cmd_sn() }
    }

    /// The sequence numbers of a PDU that carries status: it takes the next StatSN.
    fn next_numbers(&mut self) -> SequenceNumbers {
        let stat_sn = self.next_stat_sn();
        self.numbers(stat_sn)
    }

    fn max_cmd_sn(&self) -> u32 {
        self.exp_cmd_sn.wrapping_add(self.shared.settings.queue_depth.max(1) - 1)
    }

    fn new_ttt(&mut self) -> u32 {
        let t = self.next_ttt;
        self.next_ttt = self.next_ttt.wrapping_add(1);
        if self.next_ttt == RESERVED_TAG {
            self.next_ttt = 1;
        }
        t
    }

    // ----- login -----

    async fn login_reply(
        &mut self,
        req: &LoginRequest,
        nsg: Option<u8>,
        tsih: u16,
        status: u16,
        data: Vec<u8>,
    ) -> io::Result<()> {
        let m = LoginResponse {
            transit: nsg.is_some(),
            cont: false,
            csg: req.csg,
            nsg: nsg.unwrap_or(0),
            version_max: 0,
            version_active: 0,
            isid: req.isid,
            tsih,
            itt: req.itt,
            numbers: self.next_numbers(),
            status_class: (status >> 8) as u8,
            status_detail: status as u8,
            data,
        };
        self.send(Message::LoginResponse(m));
        self.flush().await
    }

    /// Reads a login PDU: it must arrive within the login timeout where the transport can wait for ever.
    async fn read_login_pdu(&mut self) -> Result<RawPdu, ReadError> {
        let read = read_whole_pdu(&mut self.reader, Digests::default(), LOGIN_MAX_DATA);
        if !self.transport.waits() {
            return read.await;
        }
        match tokio::time::timeout(self.shared.settings.login_timeout, read).await {
            Ok(read) => read,
            Err(_) => Err(ReadError::Io(io::ErrorKind::TimedOut.into())),
        }
    }

    /// Ends the login with a failure status (class and detail as one number, e.g. 0x0203).
    async fn login_fail(&mut self, req: &LoginRequest, status: u16, why: impl Into<String>) -> ConnError {
        let why = why.into();
        self.shared.counters.event(Event::LoginFailure);
        if let Err(e) = self.login_reply(req, None, 0, status, Vec::new()).await {
            return e.into();
        }
        ConnError::Login(format!("{why} (status {status:04x})"))
    }

    async fn login(&mut self) -> Result<(), ConnError> {
        // The CHAP exchange borrows the account and the challenge book from the shared state.
        let owner = Arc::clone(&self.shared);
        let shared: &Shared = &owner;
        let settings = &shared.settings;
        let mut negotiator = Negotiator::new(settings.policy.clone());
        let mut stage: Option<u8> = None;
        let mut text = Vec::new();
        let mut target_name: Option<String> = None;
        let mut session_type: Option<String> = None;
        let mut declared = false;
        let mut chap: Option<ChapTarget<'_>> = None;
        loop {
            let raw = match self.read_login_pdu().await {
                Ok(raw) => raw,
                Err(ReadError::DataTooLong { header, .. }) => {
                    let req = LoginRequest { itt: header.be32(16), ..Default::default() };
                    return Err(self.login_fail(&req, 0x0200, "login data segment longer than 8192 bytes").await);
                }
                Err(e) => return Err(e.into()),
            };
            let (itt, opcode_bits) = (raw.itt(), raw.opcode_bits());
            let req = match Message::decode(raw) {
                Ok(Message::LoginRequest(req)) => req,
                _ => {
                    let req = LoginRequest { itt, ..Default::default() };
                    return Err(self.login_fail(&req, 0x020B, format!("opcode {opcode_bits:#04x} during login")).await);
                }
            };
            if self.shared.settings.verbosity >= 2 {
                self.shared.log(2, format_args!("{} -> {req:?}", self.id));
            }
            if stage.is_none() {
                self.isid = req.isid;
                self.cid = req.cid;
                self.stat_sn = req.exp_stat_sn;
                self.exp_cmd_sn = req.cmd_sn;
                if req.version_min > 0 {
                    return Err(self.login_fail(&req, 0x0205, "unsupported version").await);
                }
                if req.tsih != 0 {
                    let (status, why) = if self.shared.session_exists(req.tsih) {
                        (0x0206, "a second connection to a session (MaxConnections is 1)")
                    } else {
                        (0x020A, "a connection to a session that does not exist")
                    };
                    return Err(self.login_fail(&req, status, why).await);
                }
                if req.csg > 1 {
                    return Err(self.login_fail(&req, 0x0200, "login must start in a negotiation stage").await);
                }
            } else if req.isid != self.isid || req.cid != self.cid || req.tsih != 0 {
                return Err(self.login_fail(&req, 0x0200, "ISID, TSIH or CID changed during login").await);
            } else if Some(req.csg) != stage {
                return Err(self.login_fail(&req, 0x0200, format!("CSG {} out of sequence", req.csg)).await);
            }
            if req.transit && !(req.nsg > req.csg && (req.nsg == 1 || req.nsg == 3)) {
                return Err(self
                    .login_fail(&req, 0x0200, format!("transit from stage {} to {}", req.csg, req.nsg))
                    .await);
            }
            if req.cont && req.transit {
                return Err(self.login_fail(&req, 0x0200, "C and T both set").await);
            }
            text.extend_from_slice(&req.data);
            if text.len() > LOGIN_MAX_TEXT {
                return Err(self.login_fail(&req, 0x0302, "login text too long").await);
            }
            stage = Some(req.csg);
            if req.cont {
                self.login_reply(&req, None, 0, 0, Vec::new()).await?;
                continue;
            }
            let pairs = match text::parse(&text) {
                Ok(p) => p,
                Err(e) => return Err(self.login_fail(&req, 0x0200, e.to_string()).await),
            };
            text.clear();
            let first_exchange = self.initiator.is_empty();
            let mut out: Vec<(String, String)> = Vec::new();
            let mut auth_offer: Option<&str> = None;
            let mut chap_keys: Vec<(String, String)> = Vec::new();
            for (key, value) in &pairs {
                match key.as_str() {
                    "InitiatorName" if value.is_empty() => {
                        return Err(self.login_fail(&req, 0x0200, "empty InitiatorName").await);
                    }
                    // The leading keys again, unchanged, are tolerated (RFC 7143 §6.2 would refuse them):
                    // libiscsi repeats them in its operational stage when it offered CHAP and the target
                    // chose None.
                    "InitiatorName" | "TargetName" | "SessionType" if !first_exchange => {
                        let first = match key.as_str() {
                            "InitiatorName" => Some(&self.initiator),
                            "TargetName" => target_name.as_ref(),
                            _ => session_type.as_ref(),
                        };
                        if first != Some(value) {
                            return Err(self.login_fail(&req, 0x0200, format!("{key} changed during login")).await);
                        }
                        continue;
                    }
                    "InitiatorName" => self.initiator = value.clone(),
                    "TargetName" => target_name = Some(value.clone()),
                    "SessionType" if value != "Normal" && value != "Discovery" => {
                        return Err(self.login_fail(&req, 0x0209, format!("session type {value}")).await);
                    }
                    "SessionType" => session_type = Some(value.clone()),
                    "AuthMethod" => auth_offer = Some(value),
                    k if k.starts_with("CHAP_") => {
                        chap_keys.push((key.clone(), value.clone()));
                        continue;
                    }
                    _ => {}
                }
                match negotiator.offer(key, value, true) {
                    Ok(Some(pair)) => out.push(pair),
                    Ok(None) => {}
                    Err(e) => return Err(self.login_fail(&req, 0x0200, e.to_string()).await),
                }
            }
            if first_exchange {
                if self.initiator.is_empty() {
                    return Err(self.login_fail(&req, 0x0207, "no InitiatorName").await);
                }
                self.discovery = session_type.as_deref() == Some("Discovery");
                if !self.discovery {
                    let s = &self.shared.settings;
                    match &target_name {
                        None => return Err(self.login_fail(&req, 0x0207, "no TargetName").await),
                        Some(t) if *t != s.target_name => {
                            return Err(self.login_fail(&req, 0x0203, format!("no target named {t}")).await);
                        }
                        Some(_) => {}
                    }
                    let initiator = self.initiator.clone();
                    let units = self.shared.config().units.len();
                    let any = (0..units).any(|lun| self.shared.reachable(&initiator, lun as u16));
                    if !any {
                        return Err(self
                            .login_fail(&req, 0x0202, format!("{initiator} may reach no logical unit"))
                            .await);
                    }
                    out.push(("TargetPortalGroupTag".into(), s.portal_group_tag.to_string()));
                    if let Some(alias) = &s.target_alias {
                        out.push(("TargetAlias".into(), alias.clone()));
                    }
                }
            }
            // Known now: who logs in, and to what.
            let transit = self.security(shared, &req, auth_offer, &chap_keys, &mut chap, &mut out).await?;
            if !declared && (req.csg == 1 || (transit && req.nsg == 3)) {
                let ours = negotiator.params.target_max_recv_data_segment_length;
                out.push(("MaxRecvDataSegmentLength".into(), ours.to_string()));
                declared = true;
            }
            let finishing = transit && req.nsg == 3;
            let tsih = if finishing {
                self.shared.open_session(self.id, &self.initiator, self.isid, self.transport.closer())
            } else {
                0
            };
            self.login_reply(&req, transit.then_some(req.nsg), tsih, 0, text::encode(&out)).await?;
            if transit {
                stage = Some(req.nsg);
            }
            if finishing {
                self.params = negotiator.params.clone();
                self.digests = Digests { header: self.params.header_digest, data: self.params.data_digest };
                self.full_feature = true;
                self.nexus = initiator_port_name(&self.initiator, self.isid);
                self.shared.counters.event(Event::Login);
                self.shared.log(
                    1,
                    format_args!(
                        "connection {}: {} session for {} (TSIH {tsih}, {}, MaxBurstLength {}, FirstBurstLength {}, \
                         InitialR2T {}, ImmediateData {}, digests {}/{})",
                        self.id,
                        if self.discovery { "discovery" } else { "normal" },
                        self.initiator,
                        if chap.is_some() { "CHAP" } else { "no authentication" },
                        self.params.max_burst_length,
                        self.params.first_burst_length,
                        self.params.initial_r2t,
                        self.params.immediate_data,
                        if self.digests.header { "CRC32C" } else { "None" },
                        if self.digests.data { "CRC32C" } else { "None" },
                    ),
                );
                return Ok(());
            }
        }
    }

    /// The security side of one login exchange, once the initiator, the session type and this PDU's keys
    /// are known: answers AuthMethod (CHAP for an initiator with an account, None for one without), runs
    /// the CHAP exchange, and refuses (0201h) an initiator with an account that has not authenticated by
    /// the time it leaves the security stage. Returns whether the target may transit as asked: not while
    /// CHAP is still under way.
    async fn security<'c>(
        &mut self,
        shared: &'c Shared,
        req: &LoginRequest,
        auth_offer: Option<&str>,
        chap_keys: &[(String, String)],
        chap: &mut Option<ChapTarget<'c>>,
        out: &mut Vec<(String, String)>,
    ) -> Result<bool, ConnError> {
        let account = shared.settings.auth.account(&self.initiator, self.discovery);
        let mut just_chosen = false;
        if let Some(offer) = auth_offer {
            let acceptable: &[AuthMethod] = match account {
                Some(_) if req.csg == 0 => &[AuthMethod::Chap],
                Some(_) => &[],
                None => &[AuthMethod::None],
            };
            match (text::select_auth_method(offer, acceptable), account) {
                (Some(AuthMethod::Chap), Some(account)) => {
                    *chap = Some(ChapTarget::new(account, &shared.challenges));
                    just_chosen = true;
                    out.push(("AuthMethod".into(), AuthMethod::Chap.name().into()));
                }
                (Some(method), _) => out.push(("AuthMethod".into(), method.name().into())),
                (None, _) => {
                    let why = match account {
                        Some(_) => format!("AuthMethod={offer}: CHAP is required of {}", self.initiator),
                        None => format!("AuthMethod={offer}: only None is offered to {}", self.initiator),
                    };
                    return Err(self.login_fail(req, 0x0201, why).await);
                }
            }
        }
        let under_way = chap.as_ref().is_some_and(|c| !c.authenticated());
        if !chap_keys.is_empty() || (under_way && !just_chosen) {
            let Some(exchange) = chap.as_mut().filter(|_| req.csg == 0) else {
                return Err(self.login_fail(req, 0x0201, "CHAP keys outside a CHAP exchange").await);
            };
            match exchange.step(chap_keys) {
                Ok(reply) => out.extend(reply),
                Err(e) => return Err(self.login_fail(req, 0x0201, format!("CHAP for {}: {e}", self.initiator)).await),
            }
        }
        let authenticated = account.is_none() || chap.as_ref().is_some_and(ChapTarget::authenticated);
        let under_way = chap.as_ref().is_some_and(|c| !c.authenticated());
        if !authenticated && (req.csg != 0 || (req.transit && !under_way)) {
            let why = format!("{} must authenticate with CHAP before leaving the security stage", self.initiator);
            return Err(self.login_fail(req, 0x0201, why).await);
        }
        Ok(req.transit && authenticated)
    }

    // ----- full feature phase -----

    async fn full_feature(&mut self) -> Result<(), ConnError> {
        loop {
            let mut raw = match pdu::read_header(&mut self.reader, self.digests).await {
                Ok(raw) => raw,
                Err(ReadError::Closed) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let bhs = raw.bhs;
            let read = self.read_data_segment(&mut raw).await;
            let data_out_length = match read {
                Ok(length) => length,
                Err(ReadError::DataDigest { header }) => {
                    self.reject(reject::DATA_DIGEST_ERROR, &header[..], "data digest mismatch");
                    self.flush().await?;
                    continue;
                }
                Err(ReadError::DataTooLong { header, length, max }) => {
                    self.reject(
                        reject::PROTOCOL_ERROR,
                        &header[..],
                        &format!("{length}-byte data segment, {max} declared"),
                    );
                    self.flush().await?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(length) = data_out_length {
                self.data_out(&bhs, length).await?;
                self.flush().await?;
                continue;
            }
            let message = match Message::decode(raw) {
                Ok(m) => m,
                Err(e @ pdu::DecodeError::UnknownOpcode(_)) => {
                    self.reject(reject::COMMAND_NOT_SUPPORTED, &bhs, &e.to_string());
                    self.flush().await?;
                    continue;
                }
                Err(e) => {
                    self.reject(reject::INVALID_PDU_FIELD, &bhs, &e.to_string());
                    self.flush().await?;
                    continue;
                }
            };
            if self.shared.settings.verbosity >= 2 {
                self.shared.log(2, format_args!("{} -> {message:?}", self.id));
            }
            let end = match message {
                Message::ScsiCommand(m) => {
                    self.scsi_command(m, &bhs).await?;
                    false
                }
                Message::TaskMgmtRequest(m) => self.task_management(m, &bhs).await?,
                Message::LogoutRequest(m) => self.logout(m, &bhs),
                Message::NopOut(m) => {
                    self.nop_out(m, &bhs);
                    false
                }
                Message::TextRequest(m) => {
                    self.text_request(m, &bhs);
                    false
                }
                Message::SnackRequest(_) => {
                    self.reject(reject::SNACK_REJECT, &bhs, "SNACK at error recovery level 0");
                    false
                }
                Message::LoginRequest(_) => {
                    self.reject(reject::PROTOCOL_ERROR, &bhs, "Login Request in full feature phase");
                    false
                }
                other => {
                    let why = format!("target opcode {:?} from the initiator", other.opcode());
                    self.reject(reject::PROTOCOL_ERROR, &bhs, &why);
                    false
                }
            };
            self.flush().await?;
            if end {
                return Ok(());
            }
        }
    }

    /// Reads the data segment of the PDU whose header is `raw`. A Data-Out's is left on the stream, its
    /// length returned: [`Connection::data_out`] reads it into its task's buffer. Any other PDU's goes into
    /// `raw.data` — a SCSI Command's reserved for all the data-out its task may gather, so that the task
    /// keeps that buffer.
    async fn read_data_segment(&mut self, raw: &mut RawPdu) -> Result<Option<usize>, ReadError> {
        let max = self.params.target_max_recv_data_segment_length as usize;
        let length = pdu::data_length(&mut self.reader, &raw.bhs, self.digests, max).await?;
        if raw.opcode() == Some(Opcode::DataOut) && raw.ahs.is_empty() {
            return Ok(Some(length));
        }
        let capacity = if raw.opcode() == Some(Opcode::ScsiCommand) { self.gather_capacity(&raw.bhs) } else { 0 };
        let mut data = Vec::new();
        // Reserved, not touched: a capacity the allocator refuses only costs the regrowth.
        if data.try_reserve_exact(capacity.max(length)).is_err() {
            data.reserve_exact(length);
        }
        pdu::read_data_into(&mut self.reader, &raw.bhs, self.digests, length, &mut data).await?;
        raw.data = data;
        Ok(None)
    }

    /// The most data-out the task of SCSI Command header `bhs` can gather, whatever its CDB: immediate and
    /// unsolicited data up to FirstBurstLength, solicited data up to the solicit limit — never beyond the
    /// EDTL, and never beyond what the settings let one command solicit, whatever EDTL a hostile
    /// initiator states.
    fn gather_capacity(&self, bhs: &Bhs) -> usize {
        let write = bhs[1] & 0x20 != 0;
        if !write {
            return 0;
        }
        let bound = self.params.effective_first_burst().max(self.shared.settings.max_solicited_bytes);
        bhs.be32(20).min(bound) as usize
    }

    fn reject(&mut self, reason: u8, header: &[u8], why: &str) {
        self.shared.log(1, format_args!("connection {}: Reject {reason:#04x}: {why}", self.id));
        let m = Reject {
            reason,
            numbers: self.next_numbers(),
            data_sn: 0,
            data: header[..pdu::BHS_LEN.min(header.len())].to_vec(),
        };
        self.send(Message::Reject(m))
    }

    /// Checks a command's CmdSN against the window; `false`: ignore the command (RFC 7143 §4.2.2.1).
    fn accept_cmd_sn(&mut self, immediate: bool, cmd_sn: u32) -> bool {
        if immediate {
            return true;
        }
        let ahead = cmd_sn.wrapping_sub(self.exp_cmd_sn);
        if ahead >= self.shared.settings.queue_depth.max(1) {
            self.shared.log(
                1,
                format_args!(
                    "connection {}: CmdSN {cmd_sn} outside [{}, {}]: ignored",
                    self.id,
                    self.exp_cmd_sn,
                    self.max_cmd_sn()
                ),
            );
            return false;
        }
        // One connection delivers in order; a gap (ahead > 0) cannot fill later, so execution goes on.
        self.exp_cmd_sn = cmd_sn.wrapping_add(1);
        true
    }

    fn nop_out(&mut self, m: NopOut, bhs: &Bhs) {
        if m.itt == RESERVED_TAG {
            // A reply to our NOP-In, or a ping that wants no answer.
            if !m.immediate {
                return self.reject(reject::PROTOCOL_ERROR, bhs, "NOP-Out with ITT FFFFFFFFh must be immediate");
            }
            return;
        }
        if m.ttt != RESERVED_TAG {
            return self.reject(reject::PROTOCOL_ERROR, bhs, "NOP-Out ping with a TTT");
        }
        if !self.accept_cmd_sn(m.immediate, m.cmd_sn) {
            return;
        }
        let mut data = m.data;
        data.truncate(self.params.initiator_max_recv_data_segment_length as usize);
        let reply = NopIn { lun: m.lun, itt: m.itt, ttt: RESERVED_TAG, numbers: self.next_numbers(), data };
        self.send(Message::NopIn(reply))
    }

    async fn scsi_command(&mut self, m: ScsiCommand, bhs: &Bhs) -> io::Result<()> {
        if self.discovery {
            self.reject(reject::PROTOCOL_ERROR, bhs, "SCSI command in a discovery session");
            return Ok(());
        }
        if self.tasks.contains_key(&m.itt) || m.itt == RESERVED_TAG {
            self.reject(reject::TASK_IN_PROGRESS, bhs, "ITT of a task in progress");
            return Ok(());
        }
        let first_burst = self.params.effective_first_burst();
        let immediate_len = m.data.len() as u32;
        let violation = if !m.data.is_empty() && !m.write {
            Some("data segment on a command that writes nothing")
        } else if !m.data.is_empty() && !self.params.immediate_data {
            Some("immediate data, but ImmediateData=No")
        } else if immediate_len > m.edtl {
            Some("immediate data beyond the Expected Data Transfer Length")
        } else if immediate_len > first_burst {
            Some("immediate data beyond FirstBurstLength")
        } else if !m.final_ && (!m.write || self.params.initial_r2t) {
            Some("F=0 announces unsolicited data, which is not allowed here")
        } else if !m.final_ && (immediate_len >= m.edtl || immediate_len >= first_burst) {
            Some("F=0 but no unsolicited data can follow")
        } else {
            None
        };
        if let Some(why) = violation {
            self.reject(reject::PROTOCOL_ERROR, bhs, why);
            return Ok(());
        }
        if !self.accept_cmd_sn(m.immediate, m.cmd_sn) {
            return Ok(());
        }
        self.host_link.data_out += m.data.len() as u64;
        let lun = pdu::decode_lun(m.lun).unwrap_or(u16::MAX);
        let implied =
            self.shared.config().units.get(usize::from(lun)).and_then(|u| implied_data_out(&m.cdb, u.block_size));
        let wanted = transfer::solicit_length(m.edtl, implied.as_ref());
        let solicit_limit = if !m.write {
            0
        } else if wanted <= self.shared.settings.max_solicited_bytes {
            wanted
        } else {
            self.shared
                .log(1, format_args!("connection {}: {wanted} bytes to solicit, beyond the limit: no R2T", self.id));
            0
        };
        let task = Task {
            itt: m.itt,
            lun_field: m.lun,
            lun,
            cdb: m.cdb,
            read: m.read,
            write: m.write,
            edtl: m.edtl,
            bidi_read_length: m.bidi_read_length,
            implied,
            reserved: m.data.capacity(),
            data: m.data,
            unsolicited_open: !m.final_,
            unsolicited_data_sn: 0,
            solicit_limit,
            r2t: None,
            r2t_sn: 0,
            epoch: self.shared.epoch(lun),
            attribute: TaskAttribute::from_field(m.attr),
        };
        self.advance(task).await
    }

    /// Next step of a task: wait for data, solicit more, or execute.
    async fn advance(&mut self, mut task: Task) -> io::Result<()> {
        if task.unsolicited_open || task.r2t.is_some() {
            self.tasks.insert(task.itt, task);
            return Ok(());
        }
        let received = task.data.len() as u32;
        if received < task.solicit_limit {
            let length = (task.solicit_limit - received).min(self.params.max_burst_length);
            let ttt = self.new_ttt();
            task.r2t = Some(Solicit { ttt, offset: received, length, next_data_sn: 0 });
            let r2t = R2t {
                lun: task.lun_field,
                itt: task.itt,
                ttt,
                numbers: self.numbers(self.stat_sn),
                r2t_sn: task.r2t_sn,
                buffer_offset: received,
                desired_length: length,
            };
            task.r2t_sn += 1;
            self.tasks.insert(task.itt, task);
            self.send(Message::R2t(r2t));
            return Ok(());
        }
        self.execute(task).await
    }

    /// A Data-Out of header `bhs` whose `length`-byte data segment is still on the stream. One in order
    /// for its task is read into the task's buffer at its offset; any other is read, checked against its
    /// digest (a digest error is reported first, as for every PDU) and rejected.
    async fn data_out(&mut self, bhs: &Bhs, length: usize) -> Result<(), ConnError> {
        let m = DataOut::from_header(bhs);
        let verdict = self.data_out_verdict(&m, length);
        // A rejected Data-Out's data is read all the same (into a buffer of its own, then dropped): the stream
        // stays in step, and its digest is checked.
        let mut discarded = Vec::new();
        let dest = match (&verdict, self.tasks.get_mut(&m.itt)) {
            (Ok(()), Some(task)) => &mut task.data,
            _ => &mut discarded,
        };
        let read = pdu::read_data_into(&mut self.reader, bhs, self.digests, length, dest).await;
        match read {
            Ok(()) => {}
            Err(ReadError::DataDigest { header }) => {
                self.reject(reject::DATA_DIGEST_ERROR, &header[..], "data digest mismatch");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        if self.shared.settings.verbosity >= 2 {
            self.shared.log(2, format_args!("{} -> {m:?} with {length} bytes of data", self.id));
        }
        if let Err((reason, why)) = verdict {
            self.reject(reason, bhs, why);
            return Ok(());
        }
        // The verdict found the task, and nothing since has removed it.
        let Some(mut task) = self.tasks.remove(&m.itt) else {
            self.reject(reject::INVALID_PDU_FIELD, bhs, "Data-Out for no task awaiting data");
            return Ok(());
        };
        self.host_link.data_out += length as u64;
        if m.ttt == RESERVED_TAG {
            task.unsolicited_data_sn += 1;
            if m.final_ {
                task.unsolicited_open = false;
            }
        } else if let Some(r) = &mut task.r2t {
            r.next_data_sn += 1;
            let burst_done = task.data.len() as u64 == u64::from(r.offset) + u64::from(r.length);
            if burst_done || m.final_ {
                if m.final_ != burst_done {
                    self.shared
                        .log(1, format_args!("connection {}: F bit and the end of the R2T's burst disagree", self.id));
                }
                // A burst ended short is solicited again from where it stopped.
                task.r2t = None;
            }
        }
        Ok(self.advance(task).await?)
    }

    /// Whether Data-Out `m`, with a data segment of `length` bytes, belongs where it says: to a task awaiting
    /// data, at the offset and in the sequence that task expects. `Err`: the Reject reason and why.
    fn data_out_verdict(&self, m: &DataOut, length: usize) -> Result<(), (u8, &'static str)> {
        let Some(task) = self.tasks.get(&m.itt) else {
            return Err((reject::INVALID_PDU_FIELD, "Data-Out for no task awaiting data"));
        };
        let offset = task.data.len() as u32;
        let len = length as u32;
        let violation = if m.ttt == RESERVED_TAG {
            let limit = task.edtl.min(self.params.effective_first_burst());
            if !task.unsolicited_open {
                Some("unsolicited Data-Out after the unsolicited sequence ended")
            } else if m.data_sn != task.unsolicited_data_sn {
                Some("unsolicited Data-Out with the wrong DataSN")
            } else if m.buffer_offset != offset {
                Some("Data-Out out of order (DataPDUInOrder=Yes)")
            } else if u64::from(offset) + u64::from(len) > u64::from(limit) {
                Some("unsolicited data beyond FirstBurstLength or the Expected Data Transfer Length")
            } else {
                None
            }
        } else {
            match &task.r2t {
                Some(r) if r.ttt == m.ttt => {
                    if m.data_sn != r.next_data_sn {
                        Some("solicited Data-Out with the wrong DataSN")
                    } else if m.buffer_offset != offset {
                        Some("Data-Out out of order (DataPDUInOrder=Yes)")
                    } else if u64::from(offset) + u64::from(len) > u64::from(r.offset) + u64::from(r.length) {
                        Some("Data-Out beyond the R2T's Desired Data Transfer Length")
                    } else {
                        None
                    }
                }
                _ => Some("Data-Out with a Target Transfer Tag of no outstanding R2T"),
            }
        };
        violation.map_or(Ok(()), |why| Err((reject::PROTOCOL_ERROR, why)))
    }

    async fn execute(&mut self, task: Task) -> io::Result<()> {
        if task.data.capacity() > task.reserved {
            self.shared.counters.event(Event::DataOutRegrown);
        }
        if task.epoch != self.shared.epoch(task.lun) {
            self.shared.log(1, format_args!("connection {}: task {:#x} aborted by a reset", self.id, task.itt));
            return Ok(());
        }
        // A command that may wait for a file runs on a thread of its own (when there is a runtime to give
        // it one), so that the event loop goes on serving its other connections meanwhile.
        let (task, outcome) = if self.shared.on_file(task.lun) && tokio::runtime::Handle::try_current().is_ok() {
            let (shared, nexus) = (Arc::clone(&self.shared), self.nexus.clone());
            let run = tokio::task::spawn_blocking(move || {
                let outcome = run_task(&shared, &nexus, &task);
                (task, outcome)
            });
            run.await.map_err(|e| io::Error::other(format!("a command's thread failed: {e}")))?
        } else {
            let outcome = run_task(&self.shared, &self.nexus, &task);
            (task, outcome)
        };
        match outcome {
            Ok((answer, residual)) => self.respond(&task, answer, residual),
            Err(why) => {
                self.shared.log(1, format_args!("connection {}: target failure: {why}", self.id));
                let m = ScsiResponse {
                    response: 1,
                    itt: task.itt,
                    numbers: self.next_numbers(),
                    exp_data_sn: task.r2t_sn,
                    ..Default::default()
                };
                self.send(Message::ScsiResponse(m));
            }
        }
        Ok(())
    }

    /// Data-In (with the status collapsed into the last one when GOOD without sense), or a SCSI Response.
    /// `written` is the residual of the data-out (see [`transfer`]).
    fn respond(&mut self, task: &Task, answer: Answer, written: Residual) {
        let read_expected = match (task.read, task.write) {
            (true, false) => task.edtl,
            (true, true) => task.bidi_read_length.unwrap_or(0),
            _ => 0,
        };
        let Answer { status, sense, data_in } = answer;
        let produced = data_in.len();
        let send = produced.min(read_expected as usize);
        let read_residual = Residual::of(read_expected, produced as u64);
        let (residual, bidi_residual) = match (task.read, task.write) {
            (true, true) => (written, read_residual),
            (false, true) => (written, Residual::None),
            (false, false) if written != Residual::None => (written, Residual::None),
            _ => (read_residual, Residual::None),
        };
        self.host_link.data_in += send as u64;
        let collapse = status == offload_scsi::GOOD && sense.is_empty() && send > 0 && !task.write;
        let mrdsl = (self.params.initiator_max_recv_data_segment_length as usize).max(512);
        let burst = (self.params.max_burst_length as usize).max(512);
        let data_in = self.outbox.lend(data_in);
        let mut data_sn = 0;
        let mut offset = 0;
        while offset < send {
            let sequence_end = (offset / burst + 1) * burst;
            let end = (offset + mrdsl).min(send).min(sequence_end);
            let last = end == send;
            let collapsed = (last && collapse).then_some(status);
            let stat_sn = if collapsed.is_some() { self.next_stat_sn() } else { 0 };
            let m = DataIn {
                final_: last || end == sequence_end,
                ack: false,
                status: collapsed,
                residual: if collapsed.is_some() { residual } else { Residual::None },
                lun: task.lun_field,
                itt: task.itt,
                ttt: RESERVED_TAG,
                numbers: self.numbers(stat_sn),
                data_sn,
                buffer_offset: offset as u32,
                data: Vec::new(),
            };
            self.send_data_in(m, data_in, offset..end);
            data_sn += 1;
            offset = end;
        }
        if collapse {
            return;
        }
        let m = ScsiResponse {
            bidi_residual,
            residual,
            response: 0,
            status,
            itt: task.itt,
            snack_tag: 0,
            numbers: self.next_numbers(),
            exp_data_sn: data_sn + task.r2t_sn,
            data: ScsiResponse::sense_segment(&sense),
        };
        self.send(Message::ScsiResponse(m))
    }

    /// Returns true when the connection is to close (TARGET COLD RESET).
    async fn task_management(&mut self, m: TaskMgmtRequest, bhs: &Bhs) -> io::Result<bool> {
        if self.discovery {
            self.reject(reject::PROTOCOL_ERROR, bhs, "task management in a discovery session");
            return Ok(false);
        }
        if !self.accept_cmd_sn(m.immediate, m.cmd_sn) {
            return Ok(false);
        }
        let lun = pdu::decode_lun(m.lun).unwrap_or(u16::MAX);
        let lun_known = self.shared.reachable(&self.nexus, lun);
        let response = match m.function {
            // ABORT TASK
            1 => {
                // RFC 7143 §11.6.1: a task still here is aborted ("function complete"); a RefCmdSN inside the
                // CmdSN window and before the request's own CmdSN is a command that never arrived, to be
                // considered received — and so aborted ("function complete"); anything else, a task that
                // completed included, "task does not exist".
                let window = self.shared.settings.queue_depth.max(1);
                let in_window = m.ref_cmd_sn.wrapping_sub(self.exp_cmd_sn) < window;
                let before_request = (m.ref_cmd_sn.wrapping_sub(m.cmd_sn) as i32) < 0;
                if self.tasks.remove(&m.referenced_task_tag).is_some() || (in_window && before_request) { 0 } else { 1 }
            }
            // ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET
            2 | 4 | 5 if !lun_known => 2,
            2 => {
                self.tasks.retain(|_, t| t.lun != lun);
                0
            }
            4 => {
                self.tasks.retain(|_, t| t.lun != lun);
                self.shared.reset_lun(lun);
                0
            }
            5 => {
                self.tasks.retain(|_, t| t.lun != lun);
                self.shared.reset_lun(lun);
                self.shared.logical_unit_reset(&self.nexus, lun);
                0
            }
            // CLEAR ACA: NORMACA is 0, there is never an ACA condition
            3 => 5,
            // TARGET WARM RESET, TARGET COLD RESET
            6 | 7 => {
                self.tasks.clear();
                self.shared.reset_target();
                self.shared.target_reset(&self.nexus);
                0
            }
            // TASK REASSIGN: needs error recovery level 2
            8 => 4,
            _ => 255,
        };
        self.shared.log(
            1,
            format_args!(
                "connection {}: task management function {} on LUN {lun}: response {response}",
                self.id, m.function
            ),
        );
        let reply = TaskMgmtResponse { response, itt: m.itt, numbers: self.next_numbers() };
        self.send(Message::TaskMgmtResponse(reply));
        if m.function == 7 && response == 0 {
            self.flush().await?;
            self.shared.drop_all_connections();
            return Ok(true);
        }
        Ok(false)
    }

    fn send_targets(&self, value: &str) -> Vec<(String, String)> {
        let s = &self.shared.settings;
        let wanted = match value {
            "All" => true,
            "" => !self.discovery,
            name => name == s.target_name,
        };
        if !wanted {
            return Vec::new();
        }
        let address = match self.transport.local_addr() {
            Some(std::net::SocketAddr::V6(a)) => format!("[{}]:{}", a.ip(), a.port()),
            Some(a) => a.to_string(),
            None => s.listen.to_string(),
        };
        vec![
            ("TargetName".into(), s.target_name.clone()),
            ("TargetAddress".into(), format!("{address},{}", s.portal_group_tag)),
        ]
    }

    fn text_request(&mut self, m: TextRequest, bhs: &Bhs) {
        if !self.accept_cmd_sn(m.immediate, m.cmd_sn) {
            return;
        }
        let mrdsl = (self.params.initiator_max_recv_data_segment_length as usize).max(512);
        if m.ttt != RESERVED_TAG {
            // The initiator asks for the next part of a long response.
            let Some(mut pending) = self.pending_text.take().filter(|p| p.ttt == m.ttt && p.itt == m.itt) else {
                return self.reject(reject::PROTOCOL_ERROR, bhs, "Text Request with an unknown TTT");
            };
            let rest = pending.rest.split_off(mrdsl.min(pending.rest.len()));
            let chunk = std::mem::replace(&mut pending.rest, rest);
            let done = pending.rest.is_empty();
            let ttt = if done { RESERVED_TAG } else { pending.ttt };
            if !done {
                self.pending_text = Some(pending);
            }
            return self.text_reply(m.itt, m.lun, ttt, done, chunk);
        }
        self.pending_text = None;
        self.text_in.extend_from_slice(&m.data);
        if self.text_in.len() > LOGIN_MAX_TEXT {
            self.text_in.clear();
            return self.reject(reject::PROTOCOL_ERROR, bhs, "Text Request too long");
        }
        if m.cont {
            let ttt = self.new_ttt();
            return self.text_reply(m.itt, m.lun, ttt, false, Vec::new());
        }
        let text = std::mem::take(&mut self.text_in);
        let pairs = match text::parse(&text) {
            Ok(p) => p,
            Err(e) => return self.reject(reject::PROTOCOL_ERROR, bhs, &e.to_string()),
        };
        let mut negotiator = Negotiator::new(self.shared.settings.policy.clone());
        negotiator.params = self.params.clone();
        let mut out = Vec::new();
        for (key, value) in &pairs {
            if key == "SendTargets" {
                out.extend(self.send_targets(value));
                continue;
            }
            match negotiator.offer(key, value, false) {
                Ok(Some(pair)) => out.push(pair),
                Ok(None) => {}
                Err(e) => return self.reject(reject::PROTOCOL_ERROR, bhs, &e.to_string()),
            }
        }
        self.params.initiator_max_recv_data_segment_length = negotiator.params.initiator_max_recv_data_segment_length;
        let mut data = text::encode(&out);
        if data.len() <= mrdsl {
            return self.text_reply(m.itt, m.lun, RESERVED_TAG, true, data);
        }
        let rest = data.split_off(mrdsl);
        let ttt = self.new_ttt();
        self.pending_text = Some(PendingText { itt: m.itt, ttt, rest });
        self.text_reply(m.itt, m.lun, ttt, false, data)
    }

    fn text_reply(&mut self, itt: u32, lun: u64, ttt: u32, final_: bool, data: Vec<u8>) {
        let m = TextResponse {
            final_,
            cont: !final_ && !data.is_empty(),
            lun,
            itt,
            ttt,
            numbers: self.next_numbers(),
            data,
        };
        self.send(Message::TextResponse(m))
    }

    /// Returns true when the connection is to close.
    fn logout(&mut self, m: LogoutRequest, bhs: &Bhs) -> bool {
        let response = match m.reason {
            0 => 0,
            1 if m.cid == self.cid => 0,
            1 => 1,
            2 => 2,
            _ => {
                self.reject(reject::INVALID_PDU_FIELD, bhs, "unknown logout reason");
                return false;
            }
        };
        self.accept_cmd_sn(m.immediate, m.cmd_sn);
        let reply = LogoutResponse { response, itt: m.itt, numbers: self.next_numbers(), time2wait: 0, time2retain: 0 };
        self.send(Message::LogoutResponse(reply));
        if response == 0 {
            self.shared.log(1, format_args!("connection {}: logout ({})", self.id, self.initiator));
            self.tasks.clear();
        }
        response == 0
    }
}
