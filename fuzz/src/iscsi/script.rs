//! The structured input of `iscsi_wire`: what the initiator does, step by step, in typed fields that
//! libFuzzer's bytes fill through `arbitrary`. A script says *what* to send; the [player](super::player)
//! works out the fields that depend on the target's answers (CmdSN, ExpStatSN, the TTT and offset an R2T
//! asked for, the digests and data segment limits negotiated), so that most scripts get past login and
//! through R2T flows, while every field can still be got wrong on purpose: a [`Framing`] quirk per PDU,
//! deltas on offsets, lengths and sequence numbers, raw bytes.

use arbitrary::Arbitrary;

/// The most steps a script plays (the rest are ignored): enough for a few commands with their data, a
/// task management function and a logout, few enough that one input takes well under a millisecond.
pub const MAX_STEPS: usize = 40;

/// A whole connection: the login, then the full feature phase.
#[derive(Arbitrary, Clone, Debug)]
pub struct Script {
    pub login: Login,
    pub steps: Vec<Step>,
}

impl Default for Script {
    /// A login of one PDU with no offers, and no steps.
    fn default() -> Self {
        let login = Login {
            form: LoginForm::Operational,
            discovery: false,
            initiator: 0,
            offers: Vec::new(),
            isid: 0,
            cmd_sn: 0,
            exp_stat_sn: 0,
            framing: Framing::PLAIN,
        };
        Script { login, steps: Vec::new() }
    }
}

/// How the initiator logs in.
#[derive(Arbitrary, Clone, Debug)]
pub struct Login {
    pub form: LoginForm,
    /// A discovery session (SessionType=Discovery, no TargetName).
    pub discovery: bool,
    /// Which InitiatorName: the fuzz configurations' two initiators, or one the access map does not name.
    pub initiator: u8,
    /// Keys offered besides the names (in the operational stage where there is one).
    pub offers: Vec<Offer>,
    /// The ISID's last byte.
    pub isid: u8,
    /// The first CmdSN (small values and their wrap are what matter).
    pub cmd_sn: u8,
    /// The ExpStatSN of the first Login Request, which sets the target's first StatSN.
    pub exp_stat_sn: u32,
    /// How the first Login Request is framed.
    pub framing: Framing,
}

/// The Login Requests of a login.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginForm {
    /// One PDU from the operational stage to the full feature phase.
    Operational,
    /// The security stage (names, AuthMethod=None) to the operational stage, then to the full feature phase.
    SecurityThenOperational,
    /// One PDU from the security stage to the full feature phase, every key in it.
    Security,
    /// The operational stage, its text split over a C-bit continuation.
    Continued,
    /// The operational stage twice: once without transit, then to the full feature phase.
    OperationalTwice,
}

/// A `key=value` offered at login or in a Text Request.
#[derive(Arbitrary, Clone, Debug)]
pub struct Offer {
    /// Index into [`KEYS`].
    pub key: u8,
    /// Which of the key's listed values; 240 and above: `text` instead.
    pub pick: u8,
    pub text: String,
}

/// The keys offered, each with the values worth offering (valid, boundary, invalid).
pub const KEYS: &[(&str, &[&str])] = &[
    ("HeaderDigest", &["CRC32C", "None", "CRC32C,None", "None,CRC32C", "MD5"]),
    ("DataDigest", &["CRC32C", "None", "CRC32C,None", "None,CRC32C", "MD5"]),
    ("ImmediateData", &["Yes", "No", "Maybe"]),
    ("InitialR2T", &["No", "Yes", ""]),
    ("MaxBurstLength", &["1024", "4096", "512", "16777215", "511", "16777216", "0x1000"]),
    ("FirstBurstLength", &["1024", "512", "4096", "16777215", "511", "abc"]),
    ("MaxRecvDataSegmentLength", &["512", "1024", "8192", "262144", "511", "16777216"]),
    ("MaxOutstandingR2T", &["1", "4", "0"]),
    ("ErrorRecoveryLevel", &["0", "2", "3"]),
    ("DataPDUInOrder", &["Yes", "No"]),
    ("DataSequenceInOrder", &["Yes", "No"]),
    ("MaxConnections", &["1", "8", "0"]),
    ("DefaultTime2Wait", &["0", "2", "3601"]),
    ("DefaultTime2Retain", &["0", "20"]),
    ("AuthMethod", &["None", "CHAP,None", "CHAP"]),
    ("iSCSIProtocolLevel", &["1", "2"]),
    ("IFMarker", &["No", "Yes"]),
    ("OFMarkInt", &["2048"]),
    ("InitiatorAlias", &["fuzz"]),
    ("X-org.offload.unknown", &["1"]),
    ("SendTargets", &["All", "", "iqn.2026-11.org.offload:target", "iqn.2026-11.org.offload:other"]),
    ("TargetName", &["iqn.2026-11.org.offload:target", "iqn.2026-11.org.offload:other"]),
    ("SessionType", &["Normal", "Discovery", "Boot"]),
    ("InitiatorName", &["iqn.2026-11.org.offload:fuzz-a", ""]),
    ("TargetAlias", &["x"]),
];

impl Offer {
    /// The pair as text.
    pub fn pair(&self) -> (String, String) {
        let (key, values) = KEYS[usize::from(self.key) % KEYS.len()];
        let value =
            if self.pick >= 240 { self.text.clone() } else { values[usize::from(self.pick) % values.len()].to_owned() };
        (key.to_owned(), value)
    }
}

/// One step of the full feature phase: what to send, and how to frame it.
#[derive(Arbitrary, Clone, Debug)]
pub struct Step {
    pub action: Action,
    pub framing: Framing,
}

/// A task's Initiator Task Tag: a few small tags (so that tags are reused and collide), the reserved tag
/// at 255.
pub type Tag = u8;

#[derive(Arbitrary, Clone, Debug)]
pub enum Action {
    /// A SCSI Command, with immediate data and unsolicited Data-Out as chosen.
    Command(Command),
    /// One Data-Out: for the latest outstanding R2T, else the latest command's unsolicited data.
    Data(Data),
    /// Every outstanding R2T answered in full, in PDUs the target's MaxRecvDataSegmentLength allows.
    AnswerR2ts,
    /// NOP-Out: a ping (with data), or with the reserved ITT.
    Nop {
        itt: Tag,
        ttt: bool,
        immediate: bool,
        len: u8,
    },
    /// A Text Request: negotiation, SendTargets, a continuation of a long response.
    Text {
        offers: Vec<Offer>,
        cont: bool,
        continue_response: bool,
        itt: Tag,
    },
    /// A task management function on a task of the script's.
    TaskMgmt {
        function: u8,
        referenced: Tag,
        lun: u8,
        immediate: bool,
        ref_cmd_sn: i8,
    },
    Logout {
        reason: u8,
        other_cid: bool,
    },
    /// A SNACK (refused at error recovery level 0).
    Snack {
        kind: u8,
        itt: Tag,
    },
    /// A Login Request in the full feature phase.
    Login,
    /// Bytes as they are.
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Clone, Debug)]
pub struct Command {
    pub itt: Tag,
    pub lun: u8,
    pub cdb: Cdb,
    pub edtl: Edtl,
    /// From 192 on, bit 0 inverts R, bit 1 W, bit 2 F (as the CDB and the data would set them); bit 3
    /// sets I; bits 4–5 choose the task attribute.
    pub flags: u8,
    /// How many bytes of the data-out go in the command PDU (up to what FirstBurstLength allows; bit 15:
    /// whatever it allows).
    pub immediate_data: u16,
    /// Unsolicited Data-Out follows the command (F=0), up to FirstBurstLength.
    pub unsolicited: bool,
    /// From 224 on, a CmdSN off by `cmd_sn - 240` (inside or outside the window).
    pub cmd_sn: u8,
}

impl Command {
    /// The flags' inversions of R, W, F, and the I bit.
    pub fn quirks(&self) -> (bool, bool, bool, bool) {
        let f = if self.flags >= 192 { self.flags } else { 0 };
        (f & 1 != 0, f & 2 != 0, f & 4 != 0, f & 8 != 0)
    }

    /// How far the CmdSN is off.
    pub fn cmd_sn_delta(&self) -> i32 {
        if self.cmd_sn >= 224 { i32::from(self.cmd_sn) - 240 } else { 0 }
    }
}

/// The Expected Data Transfer Length: below 160 what the CDB implies (its data-out, or for a read its
/// data-in); below 224 that plus `delta`; from 224 on `literal`.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct Edtl {
    pub pick: u8,
    pub delta: i16,
    pub literal: u32,
}

impl Edtl {
    pub const IMPLIED: Edtl = Edtl { pick: 0, delta: 0, literal: 0 };

    pub fn of(&self, implied: u64) -> u32 {
        let implied = u32::try_from(implied).unwrap_or(u32::MAX);
        match self.pick {
            0..160 => implied,
            160..224 => implied.saturating_add_signed(self.delta.into()),
            _ => self.literal,
        }
    }
}

/// A CDB: the commands the back ends implement, with their fields in the units' ranges, or raw bytes.
#[derive(Arbitrary, Clone, Debug)]
pub enum Cdb {
    Read10 {
        lba: u8,
        blocks: u8,
    },
    Write10 {
        lba: u8,
        blocks: u8,
    },
    Read16 {
        lba: u8,
        blocks: u8,
    },
    Write16 {
        lba: u8,
        blocks: u8,
    },
    CompareAndWrite {
        lba: u8,
        blocks: u8,
    },
    WriteSame10 {
        flags: u8,
        lba: u8,
        blocks: u8,
    },
    WriteSame16 {
        flags: u8,
        lba: u8,
        blocks: u8,
    },
    Unmap {
        ranges: Vec<(u8, u8)>,
    },
    /// One block-to-block segment between two units of the configuration.
    ExtendedCopy {
        source: u8,
        destination: u8,
        blocks: u8,
        source_lba: u8,
        destination_lba: u8,
    },
    Inquiry {
        evpd: bool,
        page: u8,
        allocation: u16,
    },
    ReadCapacity16,
    TestUnitReady,
    ReportLuns,
    GetLbaStatus {
        lba: u8,
    },
    Raw(Vec<u8>),
}

/// One Data-Out, each field as the target expects it unless told otherwise.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct Data {
    /// Use this ITT instead of the task's.
    pub itt: Option<Tag>,
    /// The reserved TTT (unsolicited) even when an R2T is outstanding, or the R2T's when there is none.
    pub flip_ttt: bool,
    pub offset_delta: i16,
    /// The segment's length: what is due (capped by MaxRecvDataSegmentLength) plus this.
    pub length_delta: i16,
    pub data_sn_delta: i8,
    /// Inverts the F bit.
    pub flip_final: bool,
}

/// How a PDU is put on the wire: mostly as it should be; one in four quirks one thing.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct Framing {
    pub quirk: u8,
    pub a: u8,
    pub b: u8,
}

/// A [`Framing`]'s quirk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quirk {
    None,
    /// BHS byte `a % 48` XOR `b`.
    FlipHeaderByte {
        at: u8,
        xor: u8,
    },
    /// The header digest (when negotiated) wrong.
    BadHeaderDigest,
    /// The data digest (when negotiated and the PDU has data) wrong.
    BadDataDigest,
    /// DataSegmentLength changed by this much (the bytes sent stay the same).
    DataLength(i8),
    /// `a % 4 + 1` words of AHS added.
    Ahs {
        words: u8,
        fill: u8,
    },
    /// The PDU cut after `a` bytes.
    Truncate(u8),
    /// The padding bytes non-zero.
    DirtyPadding(u8),
}

impl Framing {
    /// As it should be.
    pub const PLAIN: Framing = Framing { quirk: 0, a: 0, b: 0 };

    pub fn quirk(&self) -> Quirk {
        if self.quirk < 192 {
            return Quirk::None;
        }
        match self.quirk % 8 {
            0 => Quirk::FlipHeaderByte { at: self.a % 48, xor: self.b.max(1) },
            1 => Quirk::BadHeaderDigest,
            2 => Quirk::BadDataDigest,
            3 => Quirk::DataLength(self.a as i8),
            4 => Quirk::Ahs { words: self.a % 4 + 1, fill: self.b },
            5 => Quirk::Truncate(self.a),
            6 => Quirk::DirtyPadding(self.a.max(1)),
            _ => Quirk::None,
        }
    }
}
