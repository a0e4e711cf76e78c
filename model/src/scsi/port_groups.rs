//! Target port groups (SPC-4 5.16, asymmetric logical unit access): the target has one target port,
//! in one target port group, through which every logical unit is active/optimized, and no state ever
//! changes — implicit ALUA (TPGS=01b in standard INQUIRY) with nothing to choose.
//!
//! Multipath hosts need the three to agree: Linux's ALUA handler attaches only when TPGS is non-zero,
//! then reads the RELATIVE TARGET PORT and TARGET PORT GROUP designators of VPD 83h and asks REPORT
//! TARGET PORT GROUPS for that group's state. [`super::inquiry`] reports the designators from the
//! constants here; [`report_target_port_groups`] answers the command.

use offload_scsi::Fields;

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome};

/// Standard INQUIRY TPGS field (byte 5, bits 5–4): implicit asymmetric access only — the states are
/// the target's, SET TARGET PORT GROUPS is not implemented.
pub const TPGS_IMPLICIT: u8 = 0b01;

/// The target port's RELATIVE TARGET PORT IDENTIFIER (SPC-4 7.8.6.6.7: 0 is reserved, 1 is port A).
pub const RELATIVE_TARGET_PORT: u16 = 1;

/// The one target port group's identifier.
pub const TARGET_PORT_GROUP: u16 = 1;

/// ASYMMETRIC ACCESS STATE 0h: active/optimized.
const ACTIVE_OPTIMIZED: u8 = 0x0;
/// AO_SUP: the only state the group supports.
const SUPPORTS_ACTIVE_OPTIMIZED: u8 = 0x01;

/// REPORT TARGET PORT GROUPS (SPC-4 6.36): one target port group descriptor naming one port, after
/// the length-only header (PARAMETER DATA FORMAT 000b) or the extended one (001b: FORMAT TYPE 001b,
/// IMPLICIT TRANSITION TIME 0 — there are no transitions).
pub fn report_target_port_groups(ctx: &Ctx) -> HandlerResult {
    // The command table's usage mask leaves only PARAMETER DATA FORMAT bit 5 (000b or 001b).
    let extended = ctx.cdb[1] & 0x20 != 0;
    let allocation = ctx.cdb.be32(6) as usize;
    let mut d = vec![0u8; 4];
    if extended {
        d.extend([0x10, 0x00, 0x00, 0x00]);
    }
    d.extend([ACTIVE_OPTIMIZED, SUPPORTS_ACTIVE_OPTIMIZED]);
    d.extend(TARGET_PORT_GROUP.to_be_bytes());
    d.extend([0x00, 0x00, 0x00, 0x01]); // reserved, STATUS CODE 0 (no status), vendor specific, 1 port
    d.extend([0x00, 0x00]);
    d.extend(RELATIVE_TARGET_PORT.to_be_bytes());
    // RETURN DATA LENGTH: the bytes after the field itself.
    let length = (d.len() - 4) as u32;
    d[0..4].copy_from_slice(&length.to_be_bytes());
    Ok(Outcome::Done(truncate(d, allocation)))
}
