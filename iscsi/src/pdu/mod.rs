//! The iSCSI PDU codec (RFC 7143 §11): framing on a byte stream ([`read_pdu`], [`write_pdu`]) and the
//! typed messages ([`Message`]) for every opcode the target and the test initiator use.
//!
//! A PDU on the wire is a 48-byte Basic Header Segment (BHS), `TotalAHSLength` × 4 bytes of Additional
//! Header Segments, an optional header digest, the data segment padded to a multiple of 4 bytes, and an
//! optional data digest over the padded data. [`RawPdu`] holds the BHS, the AHS bytes and the data
//! segment without padding or digests; each message type converts between it and the typed form in its
//! [`Codec`], and [`Message::decode`] and [`Message::encode`] dispatch on the opcode. Decoding checks
//! syntax only (lengths, AHS structure, opcode); what a PDU means in the state of a connection is the
//! connection's business.
//!
//! The modules depend downwards only: `bhs` (opcodes, header writers) under `framing` (the byte stream)
//! under `codec` (the trait) and `residual`, under one module per message or request/response pair, under
//! this one (the dispatch). `lun` stands apart.

mod async_message;
mod bhs;
mod codec;
mod data;
mod framing;
mod login;
mod logout;
mod lun;
mod nop;
mod r2t;
pub mod reject;
mod residual;
mod scsi_command;
mod scsi_response;
mod snack;
mod task_mgmt;
mod text;

pub use async_message::AsyncMessage;
pub use bhs::{BHS_LEN, Opcode, RESERVED_TAG, SequenceNumbers};
pub use codec::{Codec, DecodeError};
pub use data::{DataIn, DataOut};
pub use framing::{
    Digests, Envelope, MAX_DATA_SEGMENT, RawPdu, ReadError, data_length, frame, read_data_into, read_header, read_pdu,
    read_whole_pdu, write_all_vectored, write_parts, write_pdu,
};
pub use login::{LoginRequest, LoginResponse};
pub use logout::{LogoutRequest, LogoutResponse};
pub use lun::{decode_lun, encode_lun};
pub use nop::{NopIn, NopOut};
pub use r2t::R2t;
pub use reject::Reject;
pub use residual::Residual;
pub use scsi_command::{MAX_CDB_LEN, ScsiCommand};
pub use scsi_response::ScsiResponse;
pub use snack::SnackRequest;
pub use task_mgmt::{TaskMgmtRequest, TaskMgmtResponse};
pub use text::{TextRequest, TextResponse};

/// Declares [`Message`] with one variant per message type, each named as its [`Opcode`], and hands its
/// `opcode`, `decode` and `encode` to that type's [`Codec`].
macro_rules! messages {
    ($($name:ident),* $(,)?) => {
        /// Every PDU, typed.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Message {
            $($name($name),)*
        }

        impl Message {
            pub fn opcode(&self) -> Opcode {
                match self {
                    $(Message::$name(_) => $name::OPCODE,)*
                }
            }

            /// The typed form of a framed PDU.
            pub fn decode(pdu: RawPdu) -> Result<Message, DecodeError> {
                let opcode = pdu.opcode().ok_or(DecodeError::UnknownOpcode(pdu.opcode_bits()))?;
                if opcode != Opcode::ScsiCommand && !pdu.ahs.is_empty() {
                    return Err(DecodeError::Ahs("only SCSI Command PDUs carry AHS"));
                }
                Ok(match opcode {
                    $(Opcode::$name => Message::$name($name::decode(pdu)?),)*
                })
            }

            /// The framed form, TotalAHSLength and DataSegmentLength set.
            pub fn encode(&self) -> RawPdu {
                match self {
                    $(Message::$name(m) => m.encode(),)*
                }
            }
        }
    };
}

messages! {
    NopOut,
    ScsiCommand,
    TaskMgmtRequest,
    LoginRequest,
    TextRequest,
    DataOut,
    LogoutRequest,
    SnackRequest,
    NopIn,
    ScsiResponse,
    TaskMgmtResponse,
    LoginResponse,
    TextResponse,
    DataIn,
    LogoutResponse,
    R2t,
    AsyncMessage,
    Reject,
}

#[cfg(test)]
mod tests {
    use offload_scsi::Fields;

    use super::*;

    fn sample_messages() -> Vec<Message> {
        let cdb16: Vec<u8> = (1..=16).collect();
        let mut cdb32: Vec<u8> = (1..=32).collect();
        cdb32[0] = 0x7F;
        vec![
            Message::NopOut(NopOut {
                immediate: true,
                lun: encode_lun(3),
                itt: 7,
                ttt: RESERVED_TAG,
                cmd_sn: 9,
                exp_stat_sn: 11,
                data: b"ping".to_vec(),
            }),
            Message::ScsiCommand(ScsiCommand {
                immediate: false,
                final_: true,
                read: true,
                write: false,
                attr: 1,
                lun: encode_lun(1),
                itt: 0x1234,
                edtl: 4096,
                cmd_sn: 5,
                exp_stat_sn: 6,
                cdb: cdb16,
                bidi_read_length: None,
                data: vec![],
            }),
            Message::ScsiCommand(ScsiCommand {
                immediate: false,
                final_: false,
                read: true,
                write: true,
                attr: 2,
                lun: encode_lun(300),
                itt: 1,
                edtl: 3,
                cmd_sn: 2,
                exp_stat_sn: 3,
                cdb: cdb32,
                bidi_read_length: Some(512),
                data: vec![1, 2, 3],
            }),
            Message::TaskMgmtRequest(TaskMgmtRequest {
                immediate: true,
                function: 1,
                lun: encode_lun(0),
                itt: 99,
                referenced_task_tag: 98,
                cmd_sn: 10,
                exp_stat_sn: 20,
                ref_cmd_sn: 9,
                exp_data_sn: 0,
            }),
            Message::LoginRequest(LoginRequest {
                transit: true,
                cont: false,
                csg: 1,
                nsg: 3,
                version_max: 0,
                version_min: 0,
                isid: [0x80, 1, 2, 3, 4, 5],
                tsih: 0,
                itt: 0,
                cid: 1,
                cmd_sn: 1,
                exp_stat_sn: 0,
                data: b"InitiatorName=iqn.x\0".to_vec(),
            }),
            Message::TextRequest(TextRequest {
                immediate: false,
                final_: true,
                cont: false,
                lun: 0,
                itt: 4,
                ttt: RESERVED_TAG,
                cmd_sn: 3,
                exp_stat_sn: 4,
                data: b"SendTargets=All\0".to_vec(),
            }),
            Message::DataOut(DataOut {
                final_: true,
                lun: encode_lun(0),
                itt: 5,
                ttt: 0x55,
                exp_stat_sn: 6,
                data_sn: 2,
                buffer_offset: 8192,
                data: vec![0xAB; 513],
            }),
            Message::LogoutRequest(LogoutRequest {
                immediate: true,
                reason: 0,
                itt: 8,
                cid: 1,
                cmd_sn: 12,
                exp_stat_sn: 13,
            }),
            Message::SnackRequest(SnackRequest {
                kind: 1,
                lun: 0,
                itt: 3,
                ttt: RESERVED_TAG,
                exp_stat_sn: 4,
                beg_run: 5,
                run_length: 6,
            }),
            Message::NopIn(NopIn {
                lun: 0,
                itt: RESERVED_TAG,
                ttt: 0x77,
                numbers: SequenceNumbers { stat_sn: 1, exp_cmd_sn: 2, max_cmd_sn: 65 },
                data: vec![],
            }),
            Message::ScsiResponse(ScsiResponse {
                bidi_residual: Residual::Overflow(3),
                residual: Residual::Underflow(100),
                response: 0,
                status: 2,
                itt: 42,
                snack_tag: 0,
                numbers: SequenceNumbers { stat_sn: 3, exp_cmd_sn: 4, max_cmd_sn: 67 },
                exp_data_sn: 1,
                data: ScsiResponse::sense_segment(&[0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0]),
            }),
            Message::TaskMgmtResponse(TaskMgmtResponse {
                response: 1,
                itt: 99,
                numbers: SequenceNumbers { stat_sn: 4, exp_cmd_sn: 5, max_cmd_sn: 68 },
            }),
            Message::LoginResponse(LoginResponse {
                transit: true,
                cont: false,
                csg: 1,
                nsg: 3,
                version_max: 0,
                version_active: 0,
                isid: [0x80, 1, 2, 3, 4, 5],
                tsih: 0x0101,
                itt: 0,
                numbers: SequenceNumbers { stat_sn: 1, exp_cmd_sn: 1, max_cmd_sn: 64 },
                status_class: 0,
                status_detail: 0,
                data: b"HeaderDigest=None\0".to_vec(),
            }),
            Message::TextResponse(TextResponse {
                final_: false,
                cont: true,
                lun: 0,
                itt: 4,
                ttt: 0x10,
                numbers: SequenceNumbers { stat_sn: 5, exp_cmd_sn: 6, max_cmd_sn: 69 },
                data: b"TargetName=iqn.t\0".to_vec(),
            }),
            Message::DataIn(DataIn {
                final_: true,
                ack: false,
                status: Some(0),
                residual: Residual::Overflow(512),
                lun: encode_lun(1),
                itt: 0x1234,
                ttt: RESERVED_TAG,
                numbers: SequenceNumbers { stat_sn: 7, exp_cmd_sn: 8, max_cmd_sn: 71 },
                data_sn: 3,
                buffer_offset: 1024,
                data: vec![9; 1024],
            }),
            Message::DataIn(DataIn {
                final_: false,
                ack: false,
                status: None,
                residual: Residual::None,
                lun: 0,
                itt: 1,
                ttt: RESERVED_TAG,
                numbers: SequenceNumbers { stat_sn: 0, exp_cmd_sn: 8, max_cmd_sn: 71 },
                data_sn: 0,
                buffer_offset: 0,
                data: vec![1; 7],
            }),
            Message::LogoutResponse(LogoutResponse {
                response: 0,
                itt: 8,
                numbers: SequenceNumbers { stat_sn: 9, exp_cmd_sn: 10, max_cmd_sn: 73 },
                time2wait: 2,
                time2retain: 0,
            }),
            Message::R2t(R2t {
                lun: encode_lun(0),
                itt: 5,
                ttt: 0x55,
                numbers: SequenceNumbers { stat_sn: 6, exp_cmd_sn: 7, max_cmd_sn: 70 },
                r2t_sn: 1,
                buffer_offset: 65536,
                desired_length: 262144,
            }),
            Message::AsyncMessage(AsyncMessage {
                lun: 0,
                numbers: SequenceNumbers { stat_sn: 3, exp_cmd_sn: 4, max_cmd_sn: 5 },
                event: 1,
                vcode: 0,
                parameters: [0, 2, 0],
                data: vec![],
            }),
            Message::Reject(Reject {
                reason: reject::PROTOCOL_ERROR,
                numbers: SequenceNumbers { stat_sn: 1, exp_cmd_sn: 2, max_cmd_sn: 3 },
                data_sn: 0,
                data: vec![0x05; BHS_LEN],
            }),
        ]
    }

    #[test]
    fn every_opcode_round_trips_through_the_wire_with_and_without_digests() {
        let messages = sample_messages();
        let mut seen = std::collections::HashSet::new();
        for digests in [
            Digests::default(),
            Digests { header: true, data: false },
            Digests { header: false, data: true },
            Digests { header: true, data: true },
        ] {
            for m in &messages {
                seen.insert(m.opcode());
                let raw = m.encode();
                assert_eq!(raw.opcode(), Some(m.opcode()));
                let bytes = frame(&raw, digests);
                assert_eq!(bytes.len() % 4, 0, "{m:?}: frames are whole words");
                let back = read_pdu(&mut &bytes[..], digests, MAX_DATA_SEGMENT).unwrap();
                assert_eq!(back, raw);
                assert_eq!(Message::decode(back).unwrap(), *m);
            }
        }
        assert_eq!(seen.len(), 18, "every opcode is exercised");
    }

    #[test]
    fn header_fields_sit_where_rfc_7143_puts_them() {
        let cmd = Message::ScsiCommand(ScsiCommand {
            final_: true,
            write: true,
            attr: 1,
            lun: encode_lun(2),
            itt: 0x0A0B0C0D,
            edtl: 0x200,
            cmd_sn: 0x11,
            exp_stat_sn: 0x22,
            cdb: vec![0x2A, 0, 0, 0, 0, 1, 0, 0, 1, 0],
            data: vec![0; 4],
            ..Default::default()
        })
        .encode();
        let b = &cmd.bhs;
        assert_eq!(b[0], 0x01);
        assert_eq!(b[1], 0xA1);
        assert_eq!(&b[5..8], &[0, 0, 4]);
        assert_eq!(&b[8..10], &[0, 2]);
        assert_eq!(&b[16..20], &[0x0A, 0x0B, 0x0C, 0x0D]);
        assert_eq!(b.be32(20), 0x200);
        assert_eq!(b[32], 0x2A);
        assert_eq!(b[37], 1);
        let login =
            Message::LoginRequest(LoginRequest { transit: true, csg: 1, nsg: 3, ..Default::default() }).encode();
        assert_eq!(login.bhs[0], 0x43, "login requests are immediate");
        assert_eq!(login.bhs[1], 0x87);
    }

    #[test]
    fn unknown_opcodes_and_bad_ahs_are_decode_errors() {
        let mut raw = Message::NopOut(NopOut::default()).encode();
        raw.bhs[0] = 0x1C;
        assert_eq!(Message::decode(raw.clone()), Err(DecodeError::UnknownOpcode(0x1C)));
        let mut raw = Message::ScsiCommand(ScsiCommand { cdb: vec![0; 16], ..Default::default() }).encode();
        raw.ahs = vec![0, 9, 1, 0];
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Ahs(_))));
        raw.ahs = vec![0, 1, 7, 0];
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Ahs(_))), "unknown AHS type");
        raw.ahs = vec![0, 0, 1, 0];
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Ahs(_))), "zero AHSLength");
        raw.ahs = vec![0, 2, 2, 0];
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Ahs(_))), "short bidi AHS");
        let mut raw = Message::NopOut(NopOut::default()).encode();
        raw.ahs = vec![0, 1, 1, 0];
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Ahs(_))), "AHS on a NOP-Out");
        let mut raw = Message::ScsiResponse(ScsiResponse::default()).encode();
        raw.bhs[1] |= 0x06;
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Field(_))), "overflow and underflow");
        let mut raw = Message::DataIn(DataIn::default()).encode();
        raw.bhs[1] = 0x01;
        assert!(matches!(Message::decode(raw.clone()), Err(DecodeError::Field(_))), "S without F");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_headers_never_panic(bhs in proptest::collection::vec(proptest::num::u8::ANY, BHS_LEN),
                                         ahs in proptest::collection::vec(proptest::num::u8::ANY, 0..12),
                                         data in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let mut raw = RawPdu { bhs: bhs.try_into().unwrap(), ahs, data };
            raw.ahs.truncate(raw.ahs.len() / 4 * 4);
            if let Ok(m) = Message::decode(raw.clone()) {
                // Whatever decodes re-encodes to something that decodes the same.
                let again = Message::decode(m.encode()).unwrap();
                proptest::prop_assert_eq!(again, m);
            }
        }
    }
}
