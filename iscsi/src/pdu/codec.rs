//! What a message type is to the codec: its opcode, and the conversion between it and a framed PDU.

use super::bhs::Opcode;
use super::framing::RawPdu;

/// One iSCSI message: decoded from and encoded to a [`RawPdu`] in one place, side by side.
pub trait Codec: Sized {
    /// The opcode of the PDUs that carry this message.
    const OPCODE: Opcode;

    /// The message in a framed PDU whose opcode is [`Codec::OPCODE`]; it takes over the PDU's data segment
    /// (never copied). Syntax only: what the message means in the state of a connection is the
    /// connection's business. (That only a SCSI Command carries AHS is checked before, by
    /// `Message::decode`.)
    fn decode(pdu: RawPdu) -> Result<Self, DecodeError>;

    /// The framed form, TotalAHSLength and DataSegmentLength set.
    fn encode(&self) -> RawPdu;
}

/// Why a framed PDU is not a valid message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown opcode {0:#04x}")]
    UnknownOpcode(u8),
    #[error("malformed additional header segment: {0}")]
    Ahs(&'static str),
    #[error("invalid field: {0}")]
    Field(&'static str),
}
