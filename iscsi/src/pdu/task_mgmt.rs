//! Task Management Function Request and Response (RFC 7143 §11.5, §11.6): aborts and resets.

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

/// Task management function request (11.5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskMgmtRequest {
    pub immediate: bool,
    /// 1 ABORT TASK, 2 ABORT TASK SET, 3 CLEAR ACA, 4 CLEAR TASK SET, 5 LOGICAL UNIT RESET, 6 TARGET WARM
    /// RESET, 7 TARGET COLD RESET, 8 TASK REASSIGN.
    pub function: u8,
    pub lun: u64,
    pub itt: u32,
    pub referenced_task_tag: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub ref_cmd_sn: u32,
    pub exp_data_sn: u32,
}

impl Codec for TaskMgmtRequest {
    const OPCODE: Opcode = Opcode::TaskMgmtRequest;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(TaskMgmtRequest {
            immediate: pdu.immediate(),
            function: b[1] & 0x7F,
            lun: b.be64(8),
            itt: b.be32(16),
            referenced_task_tag: b.be32(20),
            cmd_sn: b.be32(24),
            exp_stat_sn: b.be32(28),
            ref_cmd_sn: b.be32(32),
            exp_data_sn: b.be32(36),
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, self.immediate);
        b[1] = 0x80 | (self.function & 0x7F);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.referenced_task_tag);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        put32(&mut b, 32, self.ref_cmd_sn);
        put32(&mut b, 36, self.exp_data_sn);
        RawPdu::new(b, Vec::new())
    }
}

/// Task management function response (11.6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskMgmtResponse {
    /// 0 function complete, 1 task does not exist, 2 LUN does not exist, 3 task still allegiant, 4 task
    /// allegiance reassignment not supported, 5 function not supported, 6 authorization failed, 255
    /// function rejected.
    pub response: u8,
    pub itt: u32,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
}

impl Codec for TaskMgmtResponse {
    const OPCODE: Opcode = Opcode::TaskMgmtResponse;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(TaskMgmtResponse { response: b[2], itt: b.be32(16), numbers: SequenceNumbers::read(b) })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80;
        b[2] = self.response;
        put32(&mut b, 16, self.itt);
        self.numbers.write(&mut b);
        RawPdu::new(b, Vec::new())
    }
}
