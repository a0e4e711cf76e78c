//! REPORT LUNS (SPC-4 6.33) and REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), both generated from
//! the configuration and the command table.

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use offload_scsi::Fields;
use offload_scsi::command::{self, COMMANDS, CommandSpec};
use offload_scsi::{Asc, Sense};

/// The LUNs this initiator may reach, in peripheral-device addressing (single level, LUN < 256). The
/// nexus has now seen the inventory: its REPORTED LUNS DATA HAS CHANGED conditions are cleared on every
/// unit (SPC-4 6.33).
pub fn report_luns(state: &mut TargetState, ctx: &Ctx) -> HandlerResult {
    let select = ctx.cdb[2];
    if !matches!(select, 0x00..=0x02) {
        return Err(Sense::invalid_cdb_field(2, None));
    }
    let allocation = ctx.cdb.be32(6) as usize;
    if allocation < 16 {
        return Err(Sense::invalid_cdb_field(6, None));
    }
    // SELECT REPORT 01h asks for well-known logical units only, and there are none: an empty list.
    let luns: Vec<u16> = (0..state.config.units.len() as u16)
        .filter(|&lun| select != 0x01 && state.config.access.allows(ctx.initiator, lun))
        .collect();
    state.unit_attentions.clear(ctx.initiator, Asc::REPORTED_LUNS_DATA_CHANGED);
    let mut d = vec![0u8; 8];
    d[0..4].copy_from_slice(&((luns.len() * 8) as u32).to_be_bytes());
    for lun in luns {
        let mut entry = [0u8; 8];
        entry[1] = lun as u8;
        d.extend(entry);
    }
    Ok(Outcome::Done(truncate(d, allocation)))
}

/// Reporting options 000b (all commands), 001b (by operation code), 010b (by code and service action)
/// and 011b (either). RCTD=1 adds a command timeouts descriptor (no timeouts reported: zeros).
/// Reported for the addressed unit: UNMAP, and WRITE SAME's ANCHOR and UNMAP bits, only where supported.
pub fn supported_operation_codes(state: &TargetState, ctx: &Ctx) -> HandlerResult {
    let fully_provisioned = !state.unit_config(ctx.lun).thin;
    let cdb = ctx.cdb;
    let rctd = cdb[2] & 0x80 != 0;
    let option = cdb[2] & 0x07;
    let opcode = cdb[3];
    let service_action = cdb.be16(4);
    let allocation = cdb.be32(6) as usize;
    let timeouts = |d: &mut Vec<u8>| {
        if rctd {
            d.extend([0x00, 0x0A]);
            d.extend([0u8; 10]);
        }
    };
    let data = match option {
        0 => {
            let mut d = vec![0u8; 4];
            for c in COMMANDS.iter().filter(|c| c.supported(fully_provisioned)) {
                d.push(c.opcode);
                d.push(0);
                d.extend(u16::from(c.service_action.unwrap_or(0)).to_be_bytes());
                d.push(0);
                d.push(u8::from(rctd) << 1 | u8::from(c.service_action.is_some()));
                d.extend((c.cdb_len() as u16).to_be_bytes());
                timeouts(&mut d);
            }
            let len = (d.len() - 4) as u32;
            d[0..4].copy_from_slice(&len.to_be_bytes());
            d
        }
        1..=3 => {
            let with_actions = command::has_service_actions(opcode);
            let found: Option<&CommandSpec> = match (option, with_actions) {
                (1, true) => return Err(Sense::invalid_cdb_field(2, Some(2))),
                (2, false) => return Err(Sense::invalid_cdb_field(4, None)),
                (_, true) if service_action > 0x1F => None,
                (_, true) => {
                    COMMANDS.iter().find(|c| c.opcode == opcode && c.service_action == Some(service_action as u8))
                }
                (_, false) => COMMANDS.iter().find(|c| c.opcode == opcode && c.service_action.is_none()),
            };
            match found.filter(|c| c.supported(fully_provisioned)) {
                None => vec![0x00, 0x01, 0x00, 0x00],
                Some(c) => {
                    let mut d = vec![0x00, u8::from(rctd) << 7 | 0x03];
                    d.extend((c.cdb_len() as u16).to_be_bytes());
                    let mut usage = c.usage(fully_provisioned).to_vec();
                    // SPC-4 6.35.3: the SERVICE ACTION field of the usage data holds the service action code.
                    if let Some(sa) = c.service_action {
                        usage[1] = usage[1] & !0x1F | sa;
                    }
                    d.extend(usage);
                    timeouts(&mut d);
                    d
                }
            }
        }
        _ => return Err(Sense::invalid_cdb_field(2, Some(2))),
    };
    Ok(Outcome::Done(truncate(data, allocation)))
}
