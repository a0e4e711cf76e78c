//! MODE SENSE (6)/(10) and MODE SELECT (6)/(10) (SPC-4 6.11–6.14) with the caching mode page (08h,
//! SBC-4 6.5.5) and the control mode page (0Ah).
//!
//! The changeable fields: the caching page's WCE (the write cache: with WCE=0 every writing command is
//! durable before GOOD, see [`super::synchronize_cache`]), and the control page's D_SENSE
//! (descriptor-format sense) and SWP (software write protect: every command that writes the medium
//! gets DATA PROTECT, LOGICAL UNIT SOFTWARE WRITE PROTECTED, see [`super::checks::writable`]). All are
//! per logical unit; their default (and power-on) values are the configuration's (SWP: 0). No
//! parameters are saved, so PC=11b (saved values) and SP=1 are refused. The header's WP bit says
//! whether the unit is write-protected, by its configuration or by SWP.
//!
//! WCE reports what the target does: an image-backed unit's writes reach the host's page cache, which
//! is volatile, so WCE=1 unless configured otherwise; a memory-only unit reports WCE=1 too — its whole
//! medium is volatile, and WCE=0 would promise that a GOOD write survives a power loss. DPOFUA=1 in the
//! header: FUA is honoured (the answer says the blocks must be durable) and DPO is accepted.

use super::checks::truncate;
use super::{Ctx, HandlerResult, Outcome, TargetState};
use crate::config::UnitConfig;
use offload_scsi::{Asc, Sense};
use offload_scsi::{Command, Fields};

const CACHING_PAGE: u8 = 0x08;
const CONTROL_PAGE: u8 = 0x0A;
const ALL_PAGES: u8 = 0x3F;
const D_SENSE: u8 = 0x04;
/// The control page's SWP bit (byte 4, bit 3).
const SWP: u8 = 0x08;
/// The caching page's WCE bit (byte 2, bit 2).
const WCE: u8 = 0x04;
/// Bytes of each page, header included.
const CACHING_LEN: usize = 20;
const CONTROL_LEN: usize = 12;
/// DEVICE-SPECIFIC PARAMETER: WP (bit 7) and DPOFUA (bit 4: DPO and FUA are accepted).
const DPOFUA: u8 = 0x10;

/// The control mode page as page control `pc` asks: current or default values (D_SENSE and SWP from
/// `settings`), or the changeable mask.
fn control_page(pc: u8, settings: Settings) -> [u8; CONTROL_LEN] {
    let mut p = [0u8; CONTROL_LEN];
    p[0] = CONTROL_PAGE;
    p[1] = (CONTROL_LEN - 2) as u8;
    match pc {
        1 => {
            p[2] = D_SENSE;
            p[4] = SWP;
        }
        _ => {
            p[2] = 0x02 | if settings.descriptor_sense { D_SENSE } else { 0 }; // GLTSD: no log parameters saved
            p[4] = if settings.software_write_protect { SWP } else { 0 };
        }
    }
    if pc != 1 {
        p[3] = 0x10; // QUEUE ALGORITHM MODIFIER 1: unrestricted reordering
        p[8..10].copy_from_slice(&0xFFFFu16.to_be_bytes()); // BUSY TIMEOUT PERIOD: unlimited
    }
    p
}

/// The caching mode page as page control `pc` asks: current or default values (with `write_cache` as
/// WCE), or the changeable mask. Read caching is on (RCD=0: reads are served from memory); the
/// retention priorities, pre-fetch controls and cache segment fields are 0 (not reported).
fn caching_page(pc: u8, write_cache: bool) -> [u8; CACHING_LEN] {
    let mut p = [0u8; CACHING_LEN];
    p[0] = CACHING_PAGE;
    p[1] = (CACHING_LEN - 2) as u8;
    p[2] = match pc {
        1 => WCE,
        _ if write_cache => WCE,
        _ => 0,
    };
    p
}

/// Where the caching-page field holding `bit` of page byte `byte` starts, for a field pointer.
fn caching_field_start(byte: usize, bit: u8) -> (usize, Option<u8>) {
    match byte {
        // DEMAND READ RETENTION PRIORITY (bits 7–4) and WRITE RETENTION PRIORITY (3–0).
        3 => (3, Some(if bit >= 4 { 7 } else { 3 })),
        // The two-byte pre-fetch fields and CACHE SEGMENT SIZE; the obsolete bytes 17–19.
        4..=11 | 14 | 15 => (byte & !1, None),
        17..=19 => (17, None),
        // Byte 12's vendor-specific bits 4–3.
        12 if (3..=4).contains(&bit) => (12, Some(4)),
        _ => (byte, Some(bit)),
    }
}

/// A mode page the unit has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Caching,
    Control,
}

impl Page {
    fn from_code(code: u8) -> Option<Page> {
        match code {
            CACHING_PAGE => Some(Page::Caching),
            CONTROL_PAGE => Some(Page::Control),
            _ => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Page::Caching => CACHING_LEN,
            Page::Control => CONTROL_LEN,
        }
    }

    /// The page's values: `pc` 0 current, 1 changeable, 2 default, from the unit's settings.
    fn values(self, pc: u8, settings: Settings) -> Vec<u8> {
        match self {
            Page::Caching => caching_page(pc, settings.write_cache).to_vec(),
            Page::Control => control_page(pc, settings).to_vec(),
        }
    }

    fn field_start(self, byte: usize, bit: u8) -> (usize, Option<u8>) {
        match self {
            Page::Caching => caching_field_start(byte, bit),
            Page::Control => control_field_start(byte, bit),
        }
    }

    /// The settings after `page` (checked against the changeable mask) is selected.
    fn select(self, page: &[u8], settings: Settings) -> Settings {
        match self {
            Page::Caching => Settings { write_cache: page[2] & WCE != 0, ..settings },
            Page::Control => Settings {
                descriptor_sense: page[2] & D_SENSE != 0,
                software_write_protect: page[4] & SWP != 0,
                ..settings
            },
        }
    }
}

/// The changeable mode parameters of a unit.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Settings {
    write_cache: bool,
    descriptor_sense: bool,
    software_write_protect: bool,
}

impl Settings {
    fn current(state: &TargetState, lun: u16) -> Settings {
        Settings {
            write_cache: state.write_cache(lun),
            descriptor_sense: state.descriptor_sense(lun),
            software_write_protect: state.software_write_protect(lun),
        }
    }

    /// The default (power-on) values: the configuration's.
    fn power_on(state: &TargetState, lun: u16) -> Settings {
        Settings {
            write_cache: state.unit_config(lun).write_cache,
            descriptor_sense: state.config.descriptor_sense,
            software_write_protect: false,
        }
    }
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
    let pages: &[Page] = match page {
        ALL_PAGES => &[Page::Caching, Page::Control], // in page-code order
        CACHING_PAGE => &[Page::Caching],
        CONTROL_PAGE => &[Page::Control],
        _ => return Err(Sense::invalid_cdb_field(2, Some(5))),
    };
    if subpage != 0 && !(page == ALL_PAGES && subpage == 0xFF) {
        return Err(Sense::invalid_cdb_field(3, None));
    }
    let unit = state.unit_config(ctx.lun);
    let mut descriptor = if dbd { Vec::new() } else { block_descriptor(unit, llbaa) };
    if pc == 1 {
        descriptor.fill(0); // changeable values: neither the capacity nor the block length can change
    }
    // Default values (PC=10b) are the power-on ones; current values what MODE SELECT last set.
    let settings = if pc == 2 { Settings::power_on(state, ctx.lun) } else { Settings::current(state, ctx.lun) };
    let pages: Vec<u8> = pages.iter().flat_map(|p| p.values(pc, settings)).collect();
    let write_protected = unit.write_protected || state.software_write_protect(ctx.lun);
    let device_specific = DPOFUA | if write_protected { 0x80 } else { 0 };
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

/// Accepts the caching page with any value of WCE, the control page with any values of D_SENSE and SWP
/// (a page given twice: the later one counts), and a block descriptor that restates the unit's
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
    let mut settings = Settings::current(state, ctx.lun);
    while at < list.len() {
        if list.len() < at + 2 {
            return Err(list_error());
        }
        if list[at] & 0x80 != 0 {
            return Err(invalid(at, Some(7))); // PS is reserved in MODE SELECT
        }
        if list[at] & 0x40 != 0 {
            return Err(invalid(at, Some(6))); // SPF: neither page has a subpage format here
        }
        let Some(kind) = Page::from_code(list[at] & 0x3F) else {
            return Err(invalid(at, Some(5)));
        };
        let len = kind.len();
        if usize::from(list[at + 1]) != len - 2 {
            return Err(invalid(at + 1, None));
        }
        if list.len() < at + len {
            return Err(list_error());
        }
        let page = &list[at..at + len];
        let current = kind.values(0, settings);
        let changeable = kind.values(1, settings);
        if let Some(i) = (2..len).find(|&i| (page[i] ^ current[i]) & !changeable[i] != 0) {
            let bit = 7 - ((page[i] ^ current[i]) & !changeable[i]).leading_zeros() as u8;
            let (byte, bit) = kind.field_start(i, bit);
            return Err(invalid(at + byte, bit));
        }
        settings = kind.select(page, settings);
        at += len;
    }
    let before = Settings::current(state, ctx.lun);
    state.set_descriptor_sense(ctx.lun, settings.descriptor_sense);
    state.set_write_cache(ctx.lun, settings.write_cache);
    state.set_software_write_protect(ctx.lun, settings.software_write_protect);
    if settings != before {
        // SPC-4 6.11: the other I_T nexuses are told the parameters they share changed.
        state.unit_attentions.establish_for_all(ctx.lun, Asc::MODE_PARAMETERS_CHANGED, Some(ctx.initiator));
    }
    Ok(Outcome::Done(Vec::new()))
}
