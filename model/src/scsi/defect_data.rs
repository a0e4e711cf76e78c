//! READ DEFECT DATA (10) and (12) (SBC-4): the unit's defect lists.
//!
//! A unit has no manufacturer's (primary) defects; its grown defect list is its configured bad blocks
//! — the blocks that fail every read and write with a MEDIUM ERROR. The answer is the defect list
//! header, then the address descriptors of the lists asked for (REQ_PLIST, REQ_GLIST; neither: the
//! header alone), in ascending LBA order, cut to the ALLOCATION LENGTH:
//! - header (10): byte 1 PLISTV, GLISTV and the DEFECT LIST FORMAT returned; bytes 2–3 DEFECT LIST
//!   LENGTH. Header (12): the same byte 1, GENERATION CODE 0 (bytes 2–3: not reported, the list does
//!   not change while the target runs), bytes 4–7 DEFECT LIST LENGTH. PLISTV and GLISTV are set for
//!   the lists returned (the empty primary list is a valid one).
//! - formats: short block (000b, a 4-byte LBA each) and long block (011b, an 8-byte LBA each); the
//!   address descriptor formats in cylinder/head/sector or bytes-from-index terms describe a geometry
//!   the unit does not have.
//! - READ DEFECT DATA (12)'s ADDRESS DESCRIPTOR INDEX: the descriptors from that one on (none past the
//!   end); the DEFECT LIST LENGTH counts the bytes of those.
//! - (10)'s 16-bit DEFECT LIST LENGTH: the whole descriptors that fit in it.
//!
//! Deviation: SBC-4 asks a device server given a format it does not support to return the list in
//! another format followed by CHECK CONDITION, RECOVERED ERROR, DEFECT LIST NOT FOUND — data-in and a
//! check condition together, which the device server's answers do not carry. The command is refused
//! instead with INVALID FIELD IN CDB pointing at DEFECT LIST FORMAT (so is a short-format request for a
//! defect whose LBA needs more than 32 bits).

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use offload_scsi::{Command, Fields, Sense};

const REQ_PLIST: u8 = 0x10;
const REQ_GLIST: u8 = 0x08;
const SHORT_BLOCK: u8 = 0b000;
const LONG_BLOCK: u8 = 0b011;

pub fn read_defect_data(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let twelve = command == Command::ReadDefectData12;
    let flags_at: u16 = if twelve { 1 } else { 2 };
    let flags = ctx.cdb[usize::from(flags_at)];
    let format = flags & 0x07;
    let (index, allocation) =
        if twelve { (ctx.cdb.be32(2) as usize, ctx.cdb.be32(6) as usize) } else { (0, usize::from(ctx.cdb.be16(7))) };
    let invalid_format = || Sense::invalid_cdb_field(flags_at, Some(2));
    let width = match format {
        SHORT_BLOCK => 4,
        LONG_BLOCK => 8,
        _ => return Err(invalid_format()),
    };
    // The primary list is empty: the grown list is the whole answer when it is asked for.
    let grown: Vec<u64> = if flags & REQ_GLIST != 0 {
        state.unit_config(ctx.lun).bad_blocks.iter().copied().collect()
    } else {
        Vec::new()
    };
    let mut descriptors = Vec::new();
    for &lba in grown.iter().skip(index) {
        match width {
            4 => descriptors.extend(u32::try_from(lba).map_err(|_| invalid_format())?.to_be_bytes()),
            _ => descriptors.extend(lba.to_be_bytes()),
        }
    }
    if !twelve {
        descriptors.truncate(0xFFFF / width * width);
    }
    let mut d = vec![0, flags & (REQ_PLIST | REQ_GLIST) | format];
    if twelve {
        d.extend([0, 0]); // GENERATION CODE: not reported
        d.extend((descriptors.len() as u32).to_be_bytes());
    } else {
        d.extend((descriptors.len() as u16).to_be_bytes());
    }
    d.extend(descriptors);
    Ok(Outcome::Done(truncate(d, allocation)))
}
