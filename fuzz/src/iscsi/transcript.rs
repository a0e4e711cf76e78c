//! The two byte streams of a connection, decoded with the crate's PDU codecs: the target's (which must
//! decode whole) and the initiator's (which may hold anything; what the target's own decode path makes of
//! each PDU is what the oracle expects an answer to).
//!
//! Both streams change framing at the same point: the login is over with the Login Response that moves to
//! the full feature phase, and from then on the digests the login negotiated apply in both directions, and
//! the initiator's data segments may be as long as the target declared (its MaxRecvDataSegmentLength). A
//! login is a strict exchange — one response for every request — so the initiator's login PDUs are as many
//! as the target's Login Responses.

use std::collections::HashMap;

use offload_iscsi::pdu::{self, Digests, LoginResponse, Message, RawPdu, ReadError};
use offload_iscsi::text;

/// RFC 7143 §13: the values in force where the login did not negotiate them.
const DEFAULT_MAX_RECV_DATA_SEGMENT: usize = 8192;

/// The longest segment either side could declare (the 24-bit DataSegmentLength).
const ANY_LENGTH: usize = pdu::MAX_DATA_SEGMENT;

/// What the target's Login Responses said.
#[derive(Clone, Debug, Default)]
pub struct Negotiated {
    /// The keys the target answered or declared, last answer winning.
    pub keys: HashMap<String, String>,
    /// The login reached the full feature phase.
    pub complete: bool,
    /// How many Login Responses (and so Login Requests) the login took.
    pub exchanges: usize,
}

impl Negotiated {
    /// Takes in one Login Response.
    pub fn add(&mut self, response: &LoginResponse) {
        self.exchanges += 1;
        if let Ok(pairs) = text::parse(&response.data) {
            self.keys.extend(pairs);
        }
        if response.status_class == 0 && response.transit && response.nsg == 3 {
            self.complete = true;
        }
    }

    pub fn digests(&self) -> Digests {
        let on = |key: &str| self.keys.get(key).is_some_and(|v| v == "CRC32C");
        Digests { header: on("HeaderDigest"), data: on("DataDigest") }
    }

    /// A numeric key's value, or its default.
    pub fn number(&self, key: &str, default: u32) -> u32 {
        self.keys.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// A Yes/No key's value, or its default.
    pub fn yes(&self, key: &str, default: bool) -> bool {
        self.keys.get(key).map_or(default, |v| v == "Yes")
    }

    /// The longest data segment the target accepts.
    pub fn target_max_data(&self) -> usize {
        self.keys.get("MaxRecvDataSegmentLength").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MAX_RECV_DATA_SEGMENT)
    }
}

/// A PDU of the target's stream, with where it starts.
#[derive(Clone, Debug)]
pub struct TargetPdu {
    pub start: usize,
    pub message: Message,
    /// It came after the login was complete.
    pub full_feature: bool,
}

/// Why the target's stream is not a sequence of well-formed PDUs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the target's stream at byte {at}: {why}")]
pub struct BadOutput {
    pub at: usize,
    pub why: String,
}

/// Incremental decoder of the target's stream (the player decodes as bytes arrive, the oracle at the end).
#[derive(Clone, Debug, Default)]
pub struct TargetStream {
    pub negotiated: Negotiated,
    /// Bytes decoded so far.
    pub consumed: usize,
}

impl TargetStream {
    /// The next whole PDU in `bytes` (the whole stream so far) after what was decoded; `Ok(None)` when
    /// the stream ends there or inside a PDU (more may come).
    pub fn next(&mut self, bytes: &[u8]) -> Result<Option<TargetPdu>, BadOutput> {
        let start = self.consumed;
        let mut rest = &bytes[start..];
        if rest.is_empty() {
            return Ok(None);
        }
        let full_feature = self.negotiated.complete;
        let digests = if full_feature { self.negotiated.digests() } else { Digests::default() };
        let raw = match pdu::read_pdu(&mut rest, digests, ANY_LENGTH) {
            Ok(raw) => raw,
            Err(ReadError::Io(_)) => return Ok(None),
            Err(e) => return Err(BadOutput { at: start, why: e.to_string() }),
        };
        let message = Message::decode(raw).map_err(|e| BadOutput { at: start, why: e.to_string() })?;
        if message.opcode().from_initiator() {
            return Err(BadOutput { at: start, why: format!("initiator opcode {:?}", message.opcode()) });
        }
        self.consumed = bytes.len() - rest.len();
        if let Message::LoginResponse(r) = &message {
            if full_feature {
                return Err(BadOutput { at: start, why: "a Login Response in the full feature phase".into() });
            }
            self.negotiated.add(r);
        }
        Ok(Some(TargetPdu { start, message, full_feature }))
    }

    /// Every PDU of a finished stream, which must end at a PDU boundary.
    pub fn decode_all(bytes: &[u8]) -> Result<(Vec<TargetPdu>, Negotiated), BadOutput> {
        let mut stream = TargetStream::default();
        let mut pdus = Vec::new();
        while let Some(p) = stream.next(bytes)? {
            pdus.push(p);
        }
        if stream.consumed != bytes.len() {
            return Err(BadOutput { at: stream.consumed, why: "a PDU cut short".into() });
        }
        Ok((pdus, stream.negotiated))
    }
}

/// What the target's decode path makes of one initiator PDU of the full feature phase.
#[derive(Clone, Debug)]
pub enum Received {
    /// Framed and decoded.
    Message(Message),
    /// Framed, but wrong: the target must answer with a Reject carrying its header (data digest
    /// mismatch, data segment too long, an opcode or AHS the codec refuses).
    Wrong(String),
}

/// An initiator PDU of the full feature phase: its header as sent, what it is, where it ends.
#[derive(Clone, Debug)]
pub struct InitiatorPdu {
    pub bhs: [u8; pdu::BHS_LEN],
    pub received: Received,
    pub end: usize,
}

impl InitiatorPdu {
    /// The Initiator Task Tag field.
    pub fn itt(&self) -> u32 {
        u32::from_be_bytes([self.bhs[16], self.bhs[17], self.bhs[18], self.bhs[19]])
    }
}

/// The initiator's stream after its `login_pdus` login PDUs, decoded as the target's connection decodes
/// it, up to where the connection must end (a PDU that cannot be framed, or the end of the input).
pub fn initiator_pdus(bytes: &[u8], negotiated: &Negotiated) -> Vec<InitiatorPdu> {
    let mut rest = bytes;
    for _ in 0..negotiated.exchanges {
        if pdu::read_pdu(&mut rest, Digests::default(), ANY_LENGTH).is_err() {
            return Vec::new();
        }
    }
    let digests = negotiated.digests();
    let max = negotiated.target_max_data();
    let mut pdus = Vec::new();
    loop {
        let (bhs, received) = match pdu::read_pdu(&mut rest, digests, max) {
            Ok(raw) => (raw.bhs, decoded(raw)),
            Err(ReadError::DataDigest { header }) => (*header, Received::Wrong("data digest".into())),
            Err(ReadError::DataTooLong { header, length, .. }) => {
                (*header, Received::Wrong(format!("{length}-byte data segment")))
            }
            // The end of the input, or a header digest mismatch: the connection ends here.
            Err(_) => return pdus,
        };
        pdus.push(InitiatorPdu { bhs, received, end: bytes.len() - rest.len() });
    }
}

fn decoded(raw: RawPdu) -> Received {
    match Message::decode(raw) {
        Ok(m) => Received::Message(m),
        Err(e) => Received::Wrong(e.to_string()),
    }
}
