//! A write's Expected Data Transfer Length (EDTL) against the data-out its CDB implies.
//!
//! The CDB decides how much is transferred (SAM-5); the initiator's EDTL only says how much it has.
//! When the two differ the target does not reject the command for it: it transfers what the command can
//! use, runs the command, and reports the difference in the SCSI Response (RFC 7143 §11.4.5.2) — O with
//! the bytes the command wanted beyond the EDTL, U with the EDTL bytes it did not use. What "can use"
//! means depends on the data ([`DataOutShape`], from the model's [`implied_data_out`]):
//!
//! | data-out | EDTL > CDB | EDTL < CDB |
//! |---|---|---|
//! | blocks (WRITE) | the CDB's blocks are written | the EDTL's whole blocks are written (the CDB's TRANSFER LENGTH lowered); a partial block fails the command with INVALID FIELD IN INFORMATION UNIT (5/0E/03), nothing written |
//! | parameter list | the list is read, the rest not solicited | the device server gets the short list (and rejects it) |
//! | exact (COMPARE AND WRITE, WRITE SAME) | the device server gets all of it (and rejects it) | the same |
//!
//! Nothing is padded: a write padded with zeros would overwrite blocks the initiator never sent.
//! The EDTL of a read is the allocation of the Data-In buffer and is handled where the data-in is sent.
//!
//! [`implied_data_out`]: offload_model::scsi::transfer::implied_data_out

use std::borrow::Cow;

use offload_model::scsi::transfer::{DataOutShape, ImpliedDataOut};
use offload_scsi::{Asc, Sense};

use crate::pdu::Residual;

/// How much data-out the target solicits for a write with Expected Data Transfer Length `edtl`.
pub fn solicit_length(edtl: u32, implied: Option<&ImpliedDataOut>) -> u32 {
    match implied {
        Some(ImpliedDataOut { bytes, shape: DataOutShape::Blocks { .. } | DataOutShape::ParameterList }) => {
            u32::try_from(*bytes).map_or(edtl, |bytes| bytes.min(edtl))
        }
        _ => edtl,
    }
}

/// What a write becomes once its data-out has arrived.
#[derive(Debug, PartialEq, Eq)]
pub struct WritePlan<'a> {
    /// The CDB the back end runs (with a lowered TRANSFER LENGTH for a short block write).
    pub cdb: Cow<'a, [u8]>,
    /// The data-out the back end sees.
    pub data_out: &'a [u8],
    /// The residual of the SCSI Response.
    pub residual: Residual,
    /// The command cannot run: CHECK CONDITION with this sense, nothing executed.
    pub refusal: Option<Sense>,
}

/// Plans a command that carried data-out: `received` is what arrived for it (immediate, unsolicited and
/// solicited data), `implied` what its CDB asks for (`None`: unknown to the model — passed on as is).
pub fn plan<'a>(cdb: &'a [u8], edtl: u32, received: &'a [u8], implied: Option<&ImpliedDataOut>) -> WritePlan<'a> {
    let Some(implied) = implied else {
        return WritePlan {
            cdb: Cow::Borrowed(cdb),
            data_out: received,
            residual: Residual::of(edtl, received.len() as u64),
            refusal: None,
        };
    };
    let wanted = implied.bytes;
    let residual = Residual::of(edtl, wanted);
    let mut plan = WritePlan { cdb: Cow::Borrowed(cdb), data_out: received, residual, refusal: None };
    let available = u64::from(edtl).min(received.len() as u64);
    match &implied.shape {
        DataOutShape::Exact => {}
        DataOutShape::ParameterList => plan.data_out = &received[..prefix(received, wanted)],
        DataOutShape::Blocks { .. } if available >= wanted => plan.data_out = &received[..prefix(received, wanted)],
        DataOutShape::Blocks { block_size, length_field } => {
            let block = u64::from(*block_size);
            if u64::from(edtl) % block != 0 {
                // The EDTL of the SCSI Command PDU — the command's information unit — ends inside a block.
                plan.refusal = Some(Sense::illegal(Asc::INVALID_FIELD_IN_INFORMATION_UNIT));
                plan.data_out = &[];
                return plan;
            }
            // EDTL < CDB: the whole blocks the initiator offered, as a command of that many blocks.
            let blocks = available / block;
            let mut lowered = cdb.to_vec();
            let field = &mut lowered[length_field.clone()];
            let width = field.len();
            field.copy_from_slice(&blocks.to_be_bytes()[8 - width..]);
            plan.cdb = Cow::Owned(lowered);
            plan.data_out = &received[..(blocks * block) as usize];
        }
    }
    plan
}

fn prefix(received: &[u8], wanted: u64) -> usize {
    usize::try_from(wanted).map_or(received.len(), |w| w.min(received.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_model::scsi::transfer::implied_data_out;
    use offload_vectors::cdb;

    const BS: usize = 512;

    fn plan_of<'a>(cdb: &'a [u8], edtl: usize, received: &'a [u8]) -> WritePlan<'a> {
        let implied = implied_data_out(cdb, BS as u32);
        plan(cdb, edtl as u32, received, implied.as_ref())
    }

    #[test]
    fn matching_lengths_pass_through_without_residual() {
        let c = cdb::write10(4, 2);
        let data = vec![7; 2 * BS];
        let p = plan_of(&c, 2 * BS, &data);
        assert_eq!(
            p,
            WritePlan { cdb: Cow::Borrowed(&c[..]), data_out: &data[..], residual: Residual::None, refusal: None }
        );
        assert_eq!(solicit_length(2 * BS as u32, implied_data_out(&c, 512).as_ref()), 2 * BS as u32);
    }

    #[test]
    fn write_with_a_larger_edtl_writes_the_cdb_blocks_and_underflows() {
        // libiscsi test_write10_residuals.c: one block, EDTL 10000 → GOOD, underflow 10000 − 512.
        let c = cdb::write10(0, 1);
        let data = vec![0x62; 10_000];
        let p = plan_of(&c, 10_000, &data);
        assert_eq!(p.residual, Residual::Underflow(10_000 - BS as u32));
        assert_eq!(p.data_out.len(), BS);
        assert_eq!(&*p.cdb, &c[..]);
        assert_eq!(p.refusal, None);
        assert_eq!(solicit_length(10_000, implied_data_out(&c, 512).as_ref()), BS as u32, "no R2T beyond the CDB");
    }

    #[test]
    fn write_with_a_smaller_edtl_writes_the_offered_blocks_and_overflows() {
        // Two blocks, EDTL one block → a one-block write, overflow 512.
        let c = cdb::write16(8, 2);
        let data = vec![0x62; BS];
        let p = plan_of(&c, BS, &data);
        assert_eq!(p.residual, Residual::Overflow(BS as u32));
        assert_eq!(&*p.cdb, &cdb::write16(8, 1)[..], "TRANSFER LENGTH lowered to one block");
        assert_eq!(p.data_out, &data[..]);
        // EDTL 0: a write of no blocks.
        let p = plan_of(&c, 0, &[]);
        assert_eq!(p.residual, Residual::Overflow(2 * BS as u32));
        assert_eq!(&*p.cdb, &cdb::write16(8, 0)[..]);
        assert!(p.data_out.is_empty() && p.refusal.is_none());
    }

    #[test]
    fn write_ending_inside_a_block_is_refused_with_the_overflow() {
        let c = cdb::write10(0, 1);
        let data = vec![1; 200];
        let p = plan_of(&c, 200, &data);
        assert_eq!(p.residual, Residual::Overflow(BS as u32 - 200));
        let sense = p.refusal.expect("refused");
        assert_eq!(
            sense.encode(offload_scsi::SenseFormat::Fixed)[12..14],
            [0x0E, 0x03],
            "INVALID FIELD IN INFORMATION UNIT"
        );
        assert_eq!(sense.encode(offload_scsi::SenseFormat::Fixed)[2] & 0x0F, 5, "ILLEGAL REQUEST");
        assert!(p.data_out.is_empty());
    }

    #[test]
    fn exact_data_goes_to_the_device_server_whole() {
        // COMPARE AND WRITE of one block wants 1024 bytes; 2048 offered: all of it goes on, to be rejected.
        let c = cdb::compare_and_write(0, 1);
        let data = vec![0xA6; 4 * BS];
        let p = plan_of(&c, 4 * BS, &data);
        assert_eq!(p.data_out.len(), 4 * BS);
        assert_eq!(p.residual, Residual::Underflow(2 * BS as u32));
        assert_eq!(solicit_length(4 * BS as u32, implied_data_out(&c, 512).as_ref()), 4 * BS as u32);
        let ws = cdb::write_same10(0, 0, 8);
        let p = plan_of(&ws, BS / 2, &data[..BS / 2]);
        assert_eq!((p.data_out.len(), p.residual), (BS / 2, Residual::Overflow(BS as u32 / 2)));
    }

    #[test]
    fn parameter_lists_are_cut_to_their_length() {
        let c = cdb::unmap(false, 24);
        let data = vec![0; 40];
        let p = plan_of(&c, 40, &data);
        assert_eq!((p.data_out.len(), p.residual), (24, Residual::Underflow(16)));
        let p = plan_of(&c, 16, &data[..16]);
        assert_eq!((p.data_out.len(), p.residual), (16, Residual::Overflow(8)));
    }

    #[test]
    fn unknown_commands_pass_through() {
        let c = [0xC0, 0, 0, 0, 0, 0];
        let data = [1u8; 10];
        let p = plan_of(&c, 12, &data);
        assert_eq!((p.data_out, p.residual), (&data[..], Residual::Underflow(2)));
    }
}
