//! MODE SENSE (6)/(10) and MODE SELECT (6)/(10) (SPC-4 6.11–6.14) with the control mode page (0Ah).
//!
//! The control page's D_SENSE bit is the one changeable field: it selects descriptor-format sense.
//! No parameters are saved, so PC=11b (saved values) and SP=1 are refused.

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use crate::config::UnitConfig;
use offload_scsi::{Asc, Sense};
use offload_scsi::{Command, Fields};

const CONTROL_PAGE: u8 = 0x0A;
const ALL_PAGES: u8 = 0x3F;
const D_SENSE: u8 = 0x04;
/// DEVICE-SPECIFIC PARAMETER: WP (bit 7) and DPOFUA (bit 4: DPO and FUA are accepted).
const DPOFUA: u8 = 0x10;

/// The control mode page as page control `pc` asks: current or default values (with `descriptor_sense`
/// as the D_SENSE value), or the changeable mask.
fn control_page(pc: u8, descriptor_sense: bool) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[0] = CONTROL_PAGE;
    p[1] = 0x0A;
    match pc {
        1 => p[2] = D_SENSE,
        _ => p[2] = 0x02 | if descriptor_sense { D_SENSE } else { 0 }, // GLTSD: no log parameters saved
    }
    if pc != 1 {
        p[3] = 0x10; // QUEUE ALGORITHM MODIFIER 1: unrestricted reordering
        p[8..10].copy_from_slice(&0xFFFFu16.to_be_bytes()); // BUSY TIMEOUT PERIOD: unlimited
    }
    p
}

/// Where the control-page field holding `bit` of page byte `byte` starts, for a field pointer: the first
/// byte of a multi-byte field (no bit pointer), the left-most bit of a multi-bit one (SPC-4 4.5.2.4.2).
fn control_field_start(byte: usize, bit: u8) -> (usize, Option<u8>) {
    // TST, QUEUE ALGORITHM MODIFIER, QERR, UA_INTLCK_CTRL, AUTOLOAD MODE: (byte, left-most, right-most bit).
    const MULTI_BIT: [(usize, u8, u8); 5] = [(2, 7, 5), (3, 7, 4), (3, 2, 1), (4, 5, 4), (5, 2, 0)];
    match byte {
        8 | 9 => (8, None),    // BUSY TIMEOUT PERIOD
        10 | 11 => (10, None), // EXTENDED SELF-TEST COMPLETION TIME
        _ => {
            let field = MULTI_BIT.iter().find(|&&(b, hi, lo)| b == byte && (lo..=hi).contains(&bit));
            (byte, Some(field.map_or(bit, |&(_, hi, _)| hi)))
        }
    }
}

fn block_descriptor(unit: &UnitConfig, long: bool) -> Vec<u8> {
    if long {
        let mut d = vec![0u8; 16];
        d[0..8].copy_from_slice(&unit.blocks.to_be_bytes());
        d[12..16].copy_from_slice(&unit.block_size.to_be_bytes());
        d
    } else {
        let mut d = vec![0u8; 8];
        d[0..4].copy_from_slice(&u32::try_from(unit.blocks).unwrap_or(u32::MAX).to_be_bytes());
        d[5..8].copy_from_slice(&unit.block_size.to_be_bytes()[1..]);
        d
    }
}

pub fn mode_sense(state: &TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let ten = command == Command::ModeSense10;
    let cdb = ctx.cdb;
    let dbd = cdb[1] & 0x08 != 0;
    let llbaa = ten && cdb[1] & 0x10 != 0;
    let pc = cdb[2] >> 6;
    let page = cdb[2] & 0x3F;
    let subpage = cdb[3];
    let allocation = if ten { usize::from(cdb.be16(7)) } else { usize::from(cdb[4]) };
    if pc == 3 {
        return Err(Sense::illegal(Asc::SAVING_PARAMETERS_NOT_SUPPORTED).pointing(offload_scsi::KeySpecific::Field {
            in_cdb: true,
            byte: 2,
            bit: Some(7),
        }));
    }
    if page != CONTROL_PAGE && page != ALL_PAGES {
        return Err(Sense::invalid_cdb_field(2, Some(5)));
    }
    if subpage != 0 && !(page == ALL_PAGES && subpage == 0xFF) {
        return Err(Sense::invalid_cdb_field(3, None));
    }
    let unit = state.unit_config(ctx.lun);
    let mut descriptor = if dbd { Vec::new() } else { block_descriptor(unit, llbaa) };
    if pc == 1 {
        descriptor.fill(0); // changeable values: neither the capacity nor the block length can change
    }
    // Default values (PC=10b) are the power-on ones; current values what MODE SELECT last set.
    let d_sense = if pc == 2 { state.config.descriptor_sense } else { state.descriptor_sense(ctx.lun) };
    let pages = control_page(pc, d_sense);
    let device_specific = DPOFUA | if unit.write_protected { 0x80 } else { 0 };
    let mut d = if ten {
        let mut h = vec![0u8; 8];
        h[3] = device_specific;
        h[4] = u8::from(llbaa && !dbd);
        h[6..8].copy_from_slice(&(descriptor.len() as u16).to_be_bytes());
        h
    } else {
        vec![0, 0, device_specific, descriptor.len() as u8]
    };
    d.extend(descriptor);
    d.extend(pages);
    if ten {
        let len = (d.len() - 2) as u16;
        d[0..2].copy_from_slice(&len.to_be_bytes());
    } else {
        d[0] = (d.len() - 1) as u8;
    }
    Ok(Outcome::Done(truncate(d, allocation)))
}

/// Accepts the control page with any value of D_SENSE, and a block descriptor that restates the unit's
/// block size (its NUMBER OF LOGICAL BLOCKS is ignored: the capacity cannot be changed, SBC-4 6.5.2);
/// anything else that differs from the current values is refused.
pub fn mode_select(state: &mut TargetState, ctx: &Ctx, command: Command) -> HandlerResult {
    let ten = command == Command::ModeSelect10;
    let cdb = ctx.cdb;
    let length = if ten { usize::from(cdb.be16(7)) } else { usize::from(cdb[4]) };
    if cdb[1] & 0x10 == 0 {
        return Err(Sense::invalid_cdb_field(1, Some(4))); // PF=0: vendor-specific pages
    }
    if cdb[1] & 0x01 != 0 {
        return Err(Sense::invalid_cdb_field(1, Some(0))); // SP=1: nothing can be saved
    }
    let list = super::checks::parameter_list(ctx, length, if ten { 7 } else { 4 })?;
    if list.is_empty() {
        return Ok(Outcome::Done(Vec::new()));
    }
    let header_len = if ten { 8 } else { 4 };
    let list_error = || Sense::illegal(Asc::PARAMETER_LIST_LENGTH_ERROR);
    if list.len() < header_len {
        return Err(list_error());
    }
    let descriptor_len = if ten { usize::from(list.be16(6)) } else { usize::from(list[3]) };
    let long = ten && list[4] & 1 != 0;
    let invalid =
        |byte: usize, bit: Option<u8>| Sense::parameter_field(Asc::INVALID_FIELD_IN_PARAMETER_LIST, byte as u16, bit);
    let unit = state.unit_config(ctx.lun);
    let expected_descriptor = block_descriptor(unit, long);
    let pages_at = header_len + descriptor_len;
    if list.len() < pages_at {
        return Err(list_error());
    }
    if descriptor_len != 0 {
        if descriptor_len != expected_descriptor.len() {
            return Err(invalid(if ten { 6 } else { 3 }, None));
        }
        // Past NUMBER OF LOGICAL BLOCKS: a reserved byte, or LOGICAL BLOCK LENGTH (pointed at its first byte).
        let (count_len, length_at) = if long { (8, 12) } else { (4, 5) };
        if let Some(i) = (count_len..descriptor_len).find(|&i| list[header_len + i] != expected_descriptor[i]) {
            return Err(invalid(header_len + i.min(length_at), None));
        }
    }
    let mut at = pages_at;
    let mut new_descriptor_sense = state.descriptor_sense(ctx.lun);
    while at < list.len() {
        if list.len() < at + 2 {
            return Err(list_error());
        }
        if list[at] & 0x80 != 0 {
            return Err(invalid(at, Some(7))); // PS is reserved in MODE SELECT
        }
        if list[at] & 0x40 != 0 {
            return Err(invalid(at, Some(6))); // SPF: the control page has no subpage format here
        }
        if list[at] & 0x3F != CONTROL_PAGE {
            return Err(invalid(at, Some(5)));
        }
        if list[at + 1] != 0x0A {
            return Err(invalid(at + 1, None));
        }
        if list.len() < at + 12 {
            return Err(list_error());
        }
        let page = &list[at..at + 12];
        let current = control_page(0, new_descriptor_sense);
        let changeable = control_page(1, false);
        if let Some(i) = (2..12).find(|&i| (page[i] ^ current[i]) & !changeable[i] != 0) {
            let bit = 7 - ((page[i] ^ current[i]) & !changeable[i]).leading_zeros() as u8;
            let (byte, bit) = control_field_start(i, bit);
            return Err(invalid(at + byte, bit));
        }
        new_descriptor_sense = page[2] & D_SENSE != 0;
        at += 12;
    }
    state.set_descriptor_sense(ctx.lun, new_descriptor_sense);
    Ok(Outcome::Done(Vec::new()))
}
