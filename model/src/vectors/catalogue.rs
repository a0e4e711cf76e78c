//! The catalogue of golden-vector cases: every supported command, its error paths and its boundaries.
//!
//! All cases share one small target ([`base_config`]) whose limits are low, so that "maximum" and
//! "maximum + 1" cost little, and whose units are small, so that the memory images a test bench loads
//! stay small. Each case lists the bins it was written for; the command × outcome bins are derived from
//! what the model answered (see [`super::coverage`]).

use offload_vectors::case::{BlockData, Event, Extent, InitialMedia};
use offload_vectors::cdb::*;

use super::{CaseSpec, StepSpec};
use crate::config::naa_designator;
use crate::config::{CopyLimits, Limits, TargetConfig, UnitConfig};
use crate::scsi::Request;

pub const HOST: &str = "iqn.2026-11.vectors:host-a";
pub const OTHER: &str = "iqn.2026-11.vectors:host-b";
/// May reach LUN 0 only.
pub const RESTRICTED: &str = "iqn.2026-11.vectors:restricted";

/// Thin 512-byte units 0 and 1 (256 blocks), thin 4096-byte unit 2 (64 blocks), thick unit 3, and a
/// write-protected unit 4.
pub const THIN: u16 = 0;
pub const THIN_B: u16 = 1;
pub const BIG_BLOCKS: u16 = 2;
pub const THICK: u16 = 3;
pub const PROTECTED: u16 = 4;
pub const BLOCKS: u64 = 256;
pub const BIG_BLOCKS_CAPACITY: u64 = 64;
pub const PROTECTED_CAPACITY: u64 = 64;

pub const MAX_TRANSFER: u32 = 64;
pub const MAX_CAW: u8 = 8;
pub const MAX_WRITE_SAME: u32 = 32;
pub const MAX_UNMAP_BLOCKS: u32 = 64;
pub const MAX_UNMAP_DESCRIPTORS: u32 = 4;
pub const MAX_TARGETS: u16 = 4;
pub const MAX_SEGMENTS: u16 = 4;
pub const MAX_SEGMENT_BYTES: u32 = 32 * 1024;

/// Blocks of each unit the generator fills before every case.
const FILLED: u64 = 64;

pub fn base_config() -> TargetConfig {
    let thin = |blocks, block_size| UnitConfig { blocks, block_size, ..UnitConfig::default() };
    let mut config = TargetConfig {
        units: vec![
            thin(BLOCKS, 512),
            thin(BLOCKS, 512),
            thin(BIG_BLOCKS_CAPACITY, 4096),
            UnitConfig { thin: false, ..thin(BLOCKS, 512) },
            UnitConfig { write_protected: true, ..thin(PROTECTED_CAPACITY, 512) },
        ],
        limits: Limits {
            max_transfer_blocks: MAX_TRANSFER,
            max_compare_and_write_blocks: MAX_CAW,
            max_write_same_blocks: MAX_WRITE_SAME.into(),
            write_same_non_zero: true,
            max_unmap_blocks: MAX_UNMAP_BLOCKS,
            max_unmap_descriptors: MAX_UNMAP_DESCRIPTORS,
            unmap_granularity: 1,
            copy: CopyLimits {
                max_target_descriptors: MAX_TARGETS,
                max_segment_descriptors: MAX_SEGMENTS,
                max_descriptor_list_bytes: u32::from(MAX_TARGETS) * 32 + u32::from(MAX_SEGMENTS) * 28,
                max_segment_bytes: MAX_SEGMENT_BYTES,
                concurrent_copies: 4,
            },
        },
        ..TargetConfig::default()
    };
    config.access.grants.insert(RESTRICTED.to_owned(), [THIN].into());
    config
}

fn base_initial() -> InitialMedia {
    let filled = [(THIN, FILLED), (THIN_B, FILLED), (BIG_BLOCKS, 16), (THICK, FILLED), (PROTECTED, FILLED)]
        .into_iter()
        .map(|(lun, blocks)| Extent { lun, lba: 0, blocks })
        .collect();
    InitialMedia { seed: 0x00FF_10AD, filled, blocks: Vec::new() }
}

/// Block size of a LUN in the base configuration.
fn bs(lun: u16) -> usize {
    base_config().units[usize::from(lun)].block_size as usize
}

/// The NAA designator of a unit of the base configuration.
fn naa(lun: u16) -> Vec<u8> {
    naa_designator(&base_config().units[usize::from(lun)], lun).to_vec()
}

/// A recognisable block: every byte derived from `salt` and its offset, never all zeros.
fn block(salt: u8, size: usize) -> Vec<u8> {
    (0..size).map(|i| salt.wrapping_mul(37).wrapping_add(i as u8) | 0x01).collect()
}

fn blocks(salt: u8, size: usize, n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| block(salt.wrapping_add(i as u8), size)).collect()
}

/// Builds a case.
struct Case {
    spec: CaseSpec,
    /// Events for the next step.
    events: Vec<Event>,
}

fn case(name: &str, description: &str) -> Case {
    Case {
        spec: CaseSpec {
            name: name.to_owned(),
            description: description.to_owned(),
            bins: Vec::new(),
            config: base_config(),
            initial: base_initial(),
            steps: Vec::new(),
        },
        events: Vec::new(),
    }
}

impl Case {
    fn bins(mut self, bins: &[&str]) -> Self {
        self.spec.bins.extend(bins.iter().map(|b| (*b).to_owned()));
        self
    }

    fn config(mut self, change: impl FnOnce(&mut TargetConfig)) -> Self {
        change(&mut self.spec.config);
        self
    }

    fn block(mut self, lun: u16, lba: u64, data: Vec<u8>) -> Self {
        self.spec.initial.blocks.push(BlockData { lun, lba, data });
        self
    }

    fn cmd(self, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Self {
        self.cmd_as(HOST, lun, cdb, data_out)
    }

    fn cmd_as(mut self, initiator: &str, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Self {
        let requests = vec![Request { initiator: initiator.to_owned(), lun, cdb, data_out }];
        self.spec.steps.push(StepSpec { events: std::mem::take(&mut self.events), requests });
        self
    }

    /// EXTENDED COPY of `list` with PARAMETER LIST LENGTH the list's length.
    fn xcopy(self, lun: u16, list: Vec<u8>) -> Self {
        self.xcopy_as(HOST, lun, list)
    }

    fn xcopy_as(self, initiator: &str, lun: u16, list: Vec<u8>) -> Self {
        self.cmd_as(initiator, lun, extended_copy(list.len() as u32), list)
    }

    fn together(mut self, requests: Vec<(&str, u16, Vec<u8>, Vec<u8>)>) -> Self {
        let step: Vec<Request> = requests
            .into_iter()
            .map(|(i, lun, cdb, data_out)| Request { initiator: i.to_owned(), lun, cdb, data_out })
            .collect();
        self.spec.steps.push(StepSpec { events: std::mem::take(&mut self.events), requests: step });
        self
    }

    /// `event` happens before the next step.
    fn event(mut self, event: Event) -> Self {
        self.events.push(event);
        self
    }

    fn done(self) -> CaseSpec {
        assert!(self.events.is_empty(), "case {}: events after the last step", self.spec.name);
        self.spec
    }
}

mod verify;

/// Every case, in a stable order.
pub fn catalogue() -> Vec<CaseSpec> {
    let mut all = Vec::new();
    all.extend(generic_cases());
    all.extend(inquiry_cases());
    all.extend(read_write_cases());
    all.extend(six_and_twelve_byte_cases());
    all.extend(write_atomic_cases());
    all.extend(pre_fetch_cases());
    all.extend(start_stop_cases());
    all.extend(software_write_protect_cases());
    all.extend(defect_data_cases());
    all.extend(compare_and_write_cases());
    all.extend(verify::verify_cases());
    all.extend(verify::write_and_verify_cases());
    all.extend(verify::orwrite_cases());
    all.extend(synchronize_cache_cases());
    all.extend(write_same_cases());
    all.extend(unmap_cases());
    all.extend(lba_status_cases());
    all.extend(extended_copy_cases());
    all.push(xcopy_byte_offset_segment_case());
    all.extend(copy_results_cases());
    all.extend(concurrency_cases());
    all.extend(unit_attention_cases());
    all.extend(reservation_cases());
    all.extend(verify::orwrite_concurrency_cases());
    all
}

fn generic_cases() -> Vec<CaseSpec> {
    vec![
        case("generic/test-unit-ready", "TEST UNIT READY on every unit")
            .cmd(THIN, vec![0; 6], vec![])
            .cmd(BIG_BLOCKS, vec![0; 6], vec![])
            .cmd(THICK, vec![0; 6], vec![])
            .done(),
        case("generic/unknown-opcode", "an unsupported operation code and service action: 5/20/00")
            .cmd(THIN, vec![0xFF, 0, 0, 0, 0, 0], vec![])
            .cmd(THIN, vec![0x9E, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], vec![])
            .done(),
        case("generic/lun-not-reachable", "an unknown LUN and a LUN outside the initiator's access map: 5/25/00")
            .bins(&["access denied"])
            .cmd(9, vec![0; 6], vec![])
            .cmd_as(RESTRICTED, THIN_B, read16(0, 1), vec![])
            .cmd_as(RESTRICTED, THIN, read16(0, 1), vec![])
            .done(),
        case("generic/reserved-bits", "reserved CDB bits, NACA, a CDB shorter than its command: 5/24/00")
            .cmd(THIN, vec![0, 0x01, 0, 0, 0, 0], vec![])
            .cmd(THIN, vec![0, 0, 0, 0, 0, 0x04], vec![])
            .cmd(THIN, vec![0x28, 0, 0], vec![])
            .cmd(THIN, with_byte(read16(0, 1), 14, 0x80), vec![])
            .done(),
        case("generic/descriptor-sense", "MODE SELECT sets D_SENSE: later errors in descriptor format")
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 16, 0], mode_select6_control(true))
            .cmd(THIN, read16(BLOCKS, 1), vec![])
            .cmd(THIN, write_same16(0x10, 0, 1), vec![0; 512])
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 16, 0], mode_select6_control(false))
            .cmd(THIN, read16(BLOCKS, 1), vec![])
            .done(),
    ]
}

/// A MODE SELECT (6) parameter list with the control page and D_SENSE as given.
fn mode_select6_control(d_sense: bool) -> Vec<u8> {
    vec![0, 0, 0, 0, 0x0A, 0x0A, 0x02 | if d_sense { 0x04 } else { 0 }, 0x10, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0]
}

/// A MODE SELECT (6) parameter list with the caching page and WCE as given.
fn mode_select6_caching(wce: bool) -> Vec<u8> {
    let mut p = vec![0, 0, 0, 0, 0x08, 0x12];
    p.extend([0u8; 18]);
    p[6] = if wce { 0x04 } else { 0 };
    p
}

fn inquiry_cases() -> Vec<CaseSpec> {
    let mut inquiries = case("inquiry/standard-and-vpd", "standard INQUIRY and every VPD page, thin and thick");
    for lun in [THIN, THICK, BIG_BLOCKS] {
        inquiries = inquiries.cmd(lun, inquiry(false, 0, 96), vec![]);
        for page in [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2] {
            inquiries = inquiries.cmd(lun, inquiry(true, page, 255), vec![]);
        }
    }
    vec![
        inquiries.done(),
        case("inquiry/errors", "EVPD=0 with a page, an unsupported page, truncation to the allocation length")
            .cmd(THIN, inquiry(false, 0x83, 255), vec![])
            .cmd(THIN, inquiry(true, 0xB1, 255), vec![])
            .cmd(THIN, inquiry(false, 0, 5), vec![])
            .cmd_as(RESTRICTED, THIN_B, inquiry(false, 0, 96), vec![])
            .done(),
        case("capacity/read-capacity", "READ CAPACITY (10) and (16) on 512- and 4096-byte and thick units")
            .cmd(THIN, vec![0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], vec![])
            .cmd(THIN, read_capacity16(32), vec![])
            .cmd(BIG_BLOCKS, read_capacity16(32), vec![])
            .cmd(THICK, read_capacity16(32), vec![])
            .cmd(THICK, read_capacity16(12), vec![])
            .done(),
        case("mode/sense", "MODE SENSE (6)/(10): current, changeable, all pages; saved values and unknown page fail")
            .cmd(THIN, vec![0x1A, 0, 0x0A, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x1A, 0, 0x4A, 0, 255, 0], vec![])
            .cmd(PROTECTED, vec![0x1A, 0x08, 0x3F, 0, 255, 0], vec![])
            .cmd(BIG_BLOCKS, vec![0x5A, 0x10, 0x3F, 0, 0, 0, 0, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x1A, 0, 0xCA, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x1A, 0, 0x1C, 0, 255, 0], vec![])
            .done(),
        case("mode/caching", "the caching page: WCE current, changeable, default; MODE SELECT clears and sets it")
            .cmd(THIN, vec![0x1A, 0, 0x08, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x1A, 0x08, 0x48, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 24, 0], mode_select6_caching(false))
            .cmd(THIN, vec![0x1A, 0x08, 0x08, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x1A, 0x08, 0x88, 0, 255, 0], vec![])
            .cmd(THIN_B, vec![0x1A, 0x08, 0x08, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x55, 0x10, 0, 0, 0, 0, 0, 0, 40, 0], {
                let mut p = vec![0u8; 8];
                p.extend(&mode_select6_caching(true)[4..]);
                p.extend(&mode_select6_control(false)[4..]);
                p
            })
            .cmd(THIN, vec![0x5A, 0x08, 0x3F, 0, 0, 0, 0, 0, 255, 0], vec![])
            .done(),
        case("mode/caching-errors", "the caching page: any bit but WCE, a wrong page length: 5/26/00")
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 24, 0], {
                let mut p = mode_select6_caching(false);
                p[6] |= 0x01; // RCD
                p
            })
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 24, 0], {
                let mut p = mode_select6_caching(false);
                p[7] = 0x20; // DEMAND READ RETENTION PRIORITY
                p
            })
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 24, 0], {
                let mut p = mode_select6_caching(false);
                p[13] = 0x01; // MAXIMUM PRE-FETCH, low byte
                p
            })
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 24, 0], {
                let mut p = mode_select6_caching(false);
                p[5] = 0x0A;
                p
            })
            .cmd(THIN, vec![0x1A, 0x08, 0x08, 0, 255, 0], vec![])
            .done(),
        case("mode/select-errors", "MODE SELECT: PF=0, SP=1, an unchangeable field, a short list")
            .cmd(THIN, vec![0x15, 0x00, 0, 0, 16, 0], mode_select6_control(true))
            .cmd(THIN, vec![0x15, 0x11, 0, 0, 16, 0], mode_select6_control(true))
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 16, 0], {
                let mut p = mode_select6_control(true);
                p[7] = 0;
                p
            })
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 3, 0], vec![0; 3])
            .cmd(THIN, vec![0x55, 0x10, 0, 0, 0, 0, 0, 0, 20, 0], {
                let mut p = vec![0u8; 8];
                p.extend(&mode_select6_control(false)[4..]);
                p
            })
            .done(),
        case("report/luns-and-opcodes", "REPORT LUNS per initiator; REPORT SUPPORTED OPERATION CODES")
            .cmd(THIN, vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
            .cmd_as(RESTRICTED, THIN, vec![0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
            .cmd(THIN, vec![0xA3, 0x0C, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0], vec![])
            .cmd(THIN, vec![0xA3, 0x0C, 0x01, 0x89, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
            .cmd(THIN, vec![0xA3, 0x0C, 0x02, 0x83, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
            .cmd(THIN, vec![0xA3, 0x0C, 0x01, 0x9E, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
            .done(),
        case(
            "report/target-port-groups",
            "REPORT TARGET PORT GROUPS, both header formats, truncated, a reserved format, a LUN denied; its usage data",
        )
        .bins(&["access denied"])
        .cmd(THIN, vec![0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
        .cmd(THICK, vec![0xA3, 0x2A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
        .cmd(THIN, vec![0xA3, 0x2A, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0], vec![])
        .cmd(THIN, vec![0xA3, 0x4A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
        .cmd_as(RESTRICTED, THIN_B, vec![0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], vec![])
        .cmd(THIN, vec![0xA3, 0x0C, 0x02, 0xA3, 0, 0x0A, 0, 0, 1, 0, 0, 0], vec![])
        .done(),
    ]
}

fn read_write_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    for (lun, capacity) in [(THIN, BLOCKS), (BIG_BLOCKS, BIG_BLOCKS_CAPACITY)] {
        let size = bs(lun);
        let tag = format!("{size}");
        v.push(
            case(&format!("read_write/round-trip-{tag}"), "WRITE then READ (10) and (16) at LBA 0 and the last LBA")
                .bins(&["LBA 0", "last LBA"])
                .cmd(lun, write10(0, 2), blocks(1, size, 2))
                .cmd(lun, read10(0, 2), vec![])
                .cmd(lun, write16(capacity - 1, 1), blocks(2, size, 1))
                .cmd(lun, read16(capacity - 1, 1), vec![])
                .cmd(lun, read16(capacity - 3, 3), vec![])
                .done(),
        );
        v.push(
            case(&format!("read_write/out-of-range-{tag}"), "capacity + 1, past the end, LBA wrap: 5/21/00")
                .bins(&["capacity + 1", "LBA wrap"])
                .cmd(lun, read16(capacity, 1), vec![])
                .cmd(lun, read16(capacity - 1, 2), vec![])
                .cmd(lun, write16(capacity, 1), blocks(3, size, 1))
                .cmd(lun, read16(u64::MAX, 1), vec![])
                .cmd(lun, read10(u32::MAX, 1), vec![])
                .cmd(lun, read16(capacity + 1, 0), vec![])
                .done(),
        );
    }
    v.push(
        case("read_write/zero-length", "transfer length 0: GOOD and nothing moves, also at LBA = capacity")
            .bins(&["zero length"])
            .cmd(THIN, read16(0, 0), vec![])
            .cmd(THIN, write10(5, 0), vec![])
            .cmd(THIN, read16(BLOCKS, 0), vec![])
            .done(),
    );
    v.push(
        case("read_write/maximum-length", "MAXIMUM TRANSFER LENGTH is fine, one more is 5/24/00")
            .bins(&["maximum length", "maximum length + 1"])
            .cmd(THIN, read16(0, MAX_TRANSFER), vec![])
            .cmd(THIN, write16(100, MAX_TRANSFER), blocks(4, 512, MAX_TRANSFER as usize))
            .cmd(THIN, read16(0, MAX_TRANSFER + 1), vec![])
            .cmd(THIN, write16(0, MAX_TRANSFER + 1), blocks(4, 512, MAX_TRANSFER as usize + 1))
            .done(),
    );
    v.push(
        case("read_write/flags", "DPO and FUA are accepted; RDPROTECT/WRPROTECT are not; data-out must fit")
            .cmd(THIN, with_byte(read10(0, 1), 1, 0x18), vec![])
            .cmd(THIN, with_byte(write16(3, 1), 1, 0x08), blocks(5, 512, 1))
            .cmd(THIN, with_byte(read16(0, 1), 1, 0x20), vec![])
            .cmd(THIN, with_byte(write10(0, 1), 1, 0xE0), blocks(5, 512, 1))
            .cmd(THIN, write10(0, 2), blocks(5, 512, 1))
            .done(),
    );
    v.push(
        case("read_write/thick-and-protected", "a thick unit reads and writes; a write-protected one refuses writes")
            .cmd(THICK, write16(200, 4), blocks(6, 512, 4))
            .cmd(THICK, read16(198, 8), vec![])
            .cmd(PROTECTED, read16(0, 1), vec![])
            .cmd(PROTECTED, write16(0, 1), blocks(6, 512, 1))
            .done(),
    );
    v.push(
        case("read_write/medium-errors", "a bad block: MEDIUM ERROR with the LBA, reads 3/11/00 and writes 3/0C/00")
            .bins(&["medium error"])
            .config(|c| {
                c.units[usize::from(THIN)].bad_blocks.insert(10);
            })
            .cmd(THIN, read16(8, 4), vec![])
            .cmd(THIN, write16(9, 3), blocks(7, 512, 3))
            .cmd(THIN, read16(11, 1), vec![])
            .done(),
    );
    v
}

fn six_and_twelve_byte_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    for (lun, capacity) in [(THIN, BLOCKS), (BIG_BLOCKS, BIG_BLOCKS_CAPACITY)] {
        let size = bs(lun);
        let last = (capacity - 1) as u32;
        v.push(
            case(&format!("read_write/six-byte-{size}"), "WRITE then READ (6) at LBA 0 and the last LBA; the range")
                .bins(&["LBA 0", "last LBA", "capacity + 1"])
                .cmd(lun, write6(0, 2), blocks(8, size, 2))
                .cmd(lun, read6(0, 2), vec![])
                .cmd(lun, write6(last, 1), blocks(9, size, 1))
                .cmd(lun, read6(last - 2, 3), vec![])
                .cmd(lun, read6(capacity as u32, 1), vec![])
                .cmd(lun, read6(last, 2), vec![])
                .cmd(lun, write6(0x1F_FFFF, 1), blocks(9, size, 1))
                .done(),
        );
        v.push(
            case(
                &format!("read_write/twelve-byte-{size}"),
                "WRITE then READ (12) at LBA 0 and the last LBA; the range",
            )
            .bins(&["LBA 0", "last LBA", "capacity + 1", "LBA wrap"])
            .cmd(lun, write12(0, 3), blocks(10, size, 3))
            .cmd(lun, read12(0, 3), vec![])
            .cmd(lun, write12(last, 1), blocks(11, size, 1))
            .cmd(lun, read12(last, 1), vec![])
            .cmd(lun, read12(capacity as u32, 1), vec![])
            .cmd(lun, write12(last, 2), blocks(11, size, 2))
            .cmd(lun, read12(u32::MAX, 2), vec![])
            .done(),
        );
    }
    v.push(
        case(
            "read_write/six-byte-length-zero",
            "READ/WRITE (6) TRANSFER LENGTH 0 means 256 blocks: over MAXIMUM TRANSFER LENGTH 64, 5/24/00",
        )
        .bins(&["maximum length + 1"])
        .cmd(THIN, read6(0, 0), vec![])
        .cmd(THIN, write6(0, 0), blocks(12, 512, 256))
        .cmd(THIN, read6(0, MAX_TRANSFER as u8), vec![])
        .done(),
    );
    v.push(
        case("read_write/six-byte-fields", "READ/WRITE (6): byte 1 bits 7–5 reserved, bit 3 an LBA bit (no FUA)")
            .cmd(THIN, with_byte(read6(0, 1), 1, 0x20), vec![])
            .cmd(THIN, with_byte(write6(0, 1), 1, 0x80), blocks(13, 512, 1))
            .cmd(THIN, write6(0, 1), blocks(13, 512, 2))
            .cmd(PROTECTED, write6(0, 1), blocks(13, 512, 1))
            .done(),
    );
    v.push(
        case(
            "read_write/twelve-byte-fields",
            "READ/WRITE (12): the maximum, one more, zero length, DPO/FUA, RDPROTECT, data-out mismatch, protected",
        )
        .bins(&["maximum length", "maximum length + 1", "zero length"])
        .cmd(THIN, read12(0, MAX_TRANSFER), vec![])
        .cmd(THIN, write12(64, MAX_TRANSFER), blocks(14, 512, MAX_TRANSFER as usize))
        .cmd(THIN, read12(0, MAX_TRANSFER + 1), vec![])
        .cmd(THIN, read12(BLOCKS as u32, 0), vec![])
        .cmd(THIN, with_byte(write12(3, 1), 1, 0x18), blocks(15, 512, 1))
        .cmd(THIN, with_byte(read12(3, 1), 1, 0x1C), vec![])
        .cmd(THIN, with_byte(read12(0, 1), 1, 0x40), vec![])
        .cmd(THIN, write12(0, 2), blocks(15, 512, 1))
        .cmd(PROTECTED, write12(0, 1), blocks(15, 512, 1))
        .done(),
    );
    v.push(
        case("read_write/six-and-twelve-medium-errors", "a bad block under READ (12) and WRITE (6)")
            .bins(&["medium error"])
            .config(|c| {
                c.units[usize::from(THIN)].bad_blocks.insert(10);
            })
            .cmd(THIN, read12(8, 4), vec![])
            .cmd(THIN, write6(9, 3), blocks(16, 512, 3))
            .cmd(THIN, read6(10, 1), vec![])
            .done(),
    );
    v
}

fn write_atomic_cases() -> Vec<CaseSpec> {
    vec![
        case("write_atomic/round-trip", "WRITE ATOMIC (16) at LBA 0, the last LBA, the maximum; on 4096-byte blocks")
            .bins(&["LBA 0", "last LBA", "maximum length"])
            .cmd(THIN, write_atomic16(0, 0, 4), blocks(30, 512, 4))
            .cmd(THIN, read16(0, 4), vec![])
            .cmd(THIN, write_atomic16(BLOCKS - 1, 0, 1), blocks(31, 512, 1))
            .cmd(THIN, write_atomic16(100, 0, MAX_TRANSFER as u16), blocks(32, 512, MAX_TRANSFER as usize))
            .cmd(BIG_BLOCKS, write_atomic16(BIG_BLOCKS_CAPACITY - 2, 0, 2), blocks(33, 4096, 2))
            .cmd(BIG_BLOCKS, read16(BIG_BLOCKS_CAPACITY - 2, 2), vec![])
            .cmd(THICK, with_byte(write_atomic16(5, 0, 1), 1, 0x18), blocks(34, 512, 1))
            .done(),
        case(
            "write_atomic/limits",
            "WRITE ATOMIC (16): over MAXIMUM ATOMIC TRANSFER LENGTH, an ATOMIC BOUNDARY, WRPROTECT, data-out mismatch",
        )
        .bins(&["maximum length + 1"])
        .cmd(THIN, write_atomic16(0, 0, MAX_TRANSFER as u16 + 1), blocks(35, 512, MAX_TRANSFER as usize + 1))
        .cmd(THIN, write_atomic16(0, 1, 1), blocks(35, 512, 1))
        .cmd(THIN, with_byte(write_atomic16(0, 0, 1), 1, 0x20), blocks(35, 512, 1))
        .cmd(THIN, write_atomic16(0, 0, 2), blocks(35, 512, 1))
        .cmd(THIN, with_byte(write_atomic16(0, 0, 1), 14, 0x40), blocks(35, 512, 1))
        .done(),
        case("write_atomic/range", "WRITE ATOMIC (16): zero length, capacity + 1, past the end, LBA wrap, protected")
            .bins(&["zero length", "capacity + 1", "LBA wrap"])
            .cmd(THIN, write_atomic16(0, 0, 0), vec![])
            .cmd(THIN, write_atomic16(BLOCKS, 0, 0), vec![])
            .cmd(THIN, write_atomic16(BLOCKS + 1, 0, 0), vec![])
            .cmd(THIN, write_atomic16(BLOCKS - 1, 0, 2), blocks(36, 512, 2))
            .cmd(THIN, write_atomic16(u64::MAX, 0, 1), blocks(36, 512, 1))
            .cmd(PROTECTED, write_atomic16(0, 0, 1), blocks(36, 512, 1))
            .done(),
    ]
}

fn pre_fetch_cases() -> Vec<CaseSpec> {
    vec![
        case("pre_fetch/condition-met", "PRE-FETCH (10)/(16): CONDITION MET for any valid range, IMMED or not")
            .bins(&["LBA 0", "last LBA", "zero length"])
            .cmd(THIN, pre_fetch10(0, 0, 1), vec![])
            .cmd(THIN, pre_fetch10(0x02, BLOCKS as u32 - 1, 1), vec![])
            .cmd(THIN, pre_fetch10(0, 10, 0), vec![])
            .cmd(BIG_BLOCKS, pre_fetch16(0, 0, BIG_BLOCKS_CAPACITY as u32), vec![])
            .cmd(THICK, pre_fetch16(0x02, 0, 0), vec![])
            .done(),
        case("pre_fetch/errors", "PRE-FETCH: past the capacity, LBA wrap, zero length past the end, reserved bit")
            .bins(&["capacity + 1", "LBA wrap"])
            .cmd(THIN, pre_fetch10(0, BLOCKS as u32, 1), vec![])
            .cmd(THIN, pre_fetch10(0, BLOCKS as u32 - 1, 2), vec![])
            .cmd(THIN, pre_fetch10(0, BLOCKS as u32, 0), vec![])
            .cmd(THIN, pre_fetch16(0, u64::MAX, 2), vec![])
            .cmd(THIN, pre_fetch16(0, BLOCKS, 0), vec![])
            .cmd(THIN, pre_fetch16(0x01, 0, 1), vec![])
            .done(),
    ]
}

fn start_stop_cases() -> Vec<CaseSpec> {
    let list = unmap_list(&[(0, 1)]);
    vec![
        case("start_stop/stopped-unit", "START=0 stops the unit: medium access is 2/04/02 until START=1")
            .bins(&["stopped unit"])
            .cmd(THIN, start_stop_unit(false, 0x04), vec![])
            .cmd(THIN, vec![0; 6], vec![])
            .cmd(THIN, read10(0, 1), vec![])
            .cmd(THIN, write16(0, 1), blocks(40, 512, 1))
            .cmd(THIN, write_same16(0, 0, 1), vec![0; 512])
            .cmd(THIN, unmap(false, list.len() as u16), list)
            .cmd(THIN, read_capacity16(32), vec![])
            .cmd(THIN, pre_fetch10(0, 0, 1), vec![])
            .cmd(THIN, inquiry(false, 0, 96), vec![])
            .cmd(THIN, vec![0x1A, 0x08, 0x0A, 0, 255, 0], vec![])
            .cmd(THIN_B, read10(0, 1), vec![])
            .cmd_as(OTHER, THIN, read16(0, 1), vec![])
            .cmd(THIN, start_stop_unit(true, 0x01), vec![])
            .cmd(THIN, vec![0; 6], vec![])
            .cmd(THIN, read10(0, 1), vec![])
            .done(),
        case("start_stop/flush-and-power-conditions", "stop with and without NO_FLUSH, ACTIVE, LU_CONTROL, IDLE")
            .cmd(THIN, start_stop_unit(false, 0x00), vec![])
            .cmd(THIN, start_stop_unit(false, 0x10), vec![])
            .cmd(THIN, vec![0; 6], vec![])
            .cmd(THIN, start_stop_unit(false, 0x70), vec![])
            .cmd(THIN, start_stop_unit(false, 0x20), vec![])
            .cmd(THIN, start_stop_unit(false, 0xB0), vec![])
            .cmd(THIN, with_byte(start_stop_unit(false, 0x01), 3, 0x01), vec![])
            .cmd(THIN, start_stop_unit(false, 0x02), vec![])
            .cmd(THIN, vec![0; 6], vec![])
            .done(),
    ]
}

/// A MODE SELECT (6) parameter list with the control page and SWP as given.
fn mode_select6_swp(swp: bool) -> Vec<u8> {
    let mut p = mode_select6_control(false);
    p[8] = if swp { 0x08 } else { 0 };
    p
}

fn software_write_protect_cases() -> Vec<CaseSpec> {
    let list = unmap_list(&[(0, 1)]);
    let copy = copy_list(0, 0, &[cscd(&naa(THIN_B), 512), cscd(&naa(THIN), 512)], &[segment(0, 1, 1, 0, 0)]);
    vec![
        case("mode/software-write-protect", "SWP set by MODE SELECT: writes 7/27/02, reads fine, WP in the header")
            .bins(&["software write protect"])
            .cmd(THIN, vec![0x1A, 0x08, 0x4A, 0, 255, 0], vec![])
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 16, 0], mode_select6_swp(true))
            .cmd(THIN, vec![0x1A, 0x08, 0x0A, 0, 255, 0], vec![])
            .cmd(THIN, read16(0, 1), vec![])
            .cmd(THIN, write10(0, 1), blocks(50, 512, 1))
            .cmd(THIN, write6(0, 1), blocks(50, 512, 1))
            .cmd(THIN, write_atomic16(0, 0, 1), blocks(50, 512, 1))
            .cmd(THIN, compare_and_write(0, 1), caw_data(current(THIN, 0, 1), blocks(50, 512, 1)))
            .cmd(THIN, write_same16(0, 0, 1), vec![0; 512])
            .cmd(THIN, unmap(false, list.len() as u16), list)
            .xcopy(THIN_B, copy)
            .cmd(THIN_B, write10(0, 1), blocks(51, 512, 1))
            .cmd(THIN, vec![0x15, 0x10, 0, 0, 16, 0], mode_select6_swp(false))
            .cmd(THIN, write10(0, 1), blocks(52, 512, 1))
            .cmd(PROTECTED, vec![0x15, 0x10, 0, 0, 16, 0], mode_select6_swp(true))
            .cmd(PROTECTED, write10(0, 1), blocks(52, 512, 1))
            .done(),
    ]
}

fn defect_data_cases() -> Vec<CaseSpec> {
    vec![
        case(
            "defect_data/grown-list",
            "READ DEFECT DATA (10)/(12): the bad blocks as the grown list, short and long formats, index, truncation",
        )
        .config(|c| {
            c.units[usize::from(THIN)].bad_blocks.extend([3, 70, 200]);
        })
        .cmd(THIN, read_defect_data10(0x08, 64), vec![])
        .cmd(THIN, read_defect_data10(0x18 | 0x03, 64), vec![])
        .cmd(THIN, read_defect_data10(0x00, 64), vec![])
        .cmd(THIN, read_defect_data10(0x08, 6), vec![])
        .cmd(THIN, read_defect_data12(0x08 | 0x03, 1, 64), vec![])
        .cmd(THIN, read_defect_data12(0x10, 0, 64), vec![])
        .cmd(THIN_B, read_defect_data12(0x08, 0, 64), vec![])
        .cmd(THIN, read_defect_data10(0x08 | 0x05, 64), vec![])
        .cmd(THIN, read_defect_data12(0x08 | 0x04, 0, 64), vec![])
        .done(),
    ]
}

/// Compare data equal to what the base initial media holds at `lba` of `lun` (the generator's blocks).
fn current(lun: u16, lba: u64, n: u64) -> Vec<u8> {
    let mut data = Vec::new();
    let mut block = vec![0u8; bs(lun)];
    for l in lba..lba + n {
        if l < FILLED {
            offload_vectors::media::generate_block(base_initial().seed, lun, l, &mut block);
        } else {
            block.fill(0);
        }
        data.extend(&block);
    }
    data
}

/// `cdb` with byte `index` set to `value`: a flag or reserved bit on top of a builder's CDB.
fn with_byte(mut cdb: Vec<u8>, index: usize, value: u8) -> Vec<u8> {
    cdb[index] = value;
    cdb
}

fn caw_data(compare: Vec<u8>, write: Vec<u8>) -> Vec<u8> {
    let mut d = compare;
    d.extend(write);
    d
}

fn synchronize_cache_cases() -> Vec<CaseSpec> {
    vec![
        case("synchronize_cache/range", "SYNCHRONIZE CACHE (10)/(16): whole unit, a range, to the last LBA, IMMED")
            .bins(&["LBA 0", "last LBA", "zero length"])
            .cmd(THIN, synchronize_cache10(0, 0, 0), vec![])
            .cmd(THIN, synchronize_cache10(0, 10, 20), vec![])
            .cmd(THIN, synchronize_cache16(0, BLOCKS - 1, 1), vec![])
            .cmd(THIN, synchronize_cache16(0, BLOCKS - 1, 0), vec![])
            .cmd(BIG_BLOCKS, synchronize_cache16(0, 0, BIG_BLOCKS_CAPACITY as u32), vec![])
            .cmd(THICK, synchronize_cache10(0x02, 0, 0), vec![])
            .cmd(THIN, synchronize_cache16(0x02, 5, 5), vec![])
            .cmd(
                THIN,
                // GROUP NUMBER: accepted, no grouping function.
                with_byte(synchronize_cache16(0, 0, 1), 14, 0x1F),
                vec![],
            )
            .cmd(PROTECTED, synchronize_cache10(0, 0, 0), vec![])
            .done(),
        case("synchronize_cache/errors", "past the capacity, LBA wrap, obsolete and reserved bits, LUN access")
            .bins(&["capacity + 1", "LBA wrap", "access denied"])
            .cmd(THIN, synchronize_cache10(0, BLOCKS as u32, 0), vec![])
            .cmd(THIN, synchronize_cache10(0, BLOCKS as u32 - 1, 2), vec![])
            .cmd(THIN, synchronize_cache16(0, BLOCKS, 1), vec![])
            .cmd(THIN, synchronize_cache16(0, u64::MAX, 2), vec![])
            .cmd(THIN, synchronize_cache16(0, u64::MAX, 0), vec![])
            .cmd(THIN, synchronize_cache10(0x04, 0, 0), vec![]) // SYNC_NV
            .cmd(THIN, synchronize_cache10(0x01, 0, 0), vec![]) // RELADR
            .cmd(THIN, synchronize_cache16(0x01, 0, 0), vec![])
            .cmd(
                THIN,
                // A reserved bit above GROUP NUMBER.
                with_byte(synchronize_cache10(0, 0, 0), 6, 0x20),
                vec![],
            )
            .cmd_as(RESTRICTED, THIN_B, synchronize_cache10(0, 0, 0), vec![])
            .done(),
        case("synchronize_cache/fua-writes", "WRITE (10)/(16) and COMPARE AND WRITE with FUA=1 (and DPO)")
            .cmd(THIN, with_byte(write10(1, 1), 1, 0x08), blocks(30, 512, 1))
            .cmd(THIN, with_byte(write16(2, 2), 1, 0x18), blocks(31, 512, 2))
            .cmd(THIN, with_byte(compare_and_write(1, 1), 1, 0x08), caw_data(blocks(30, 512, 1), blocks(32, 512, 1)))
            .cmd(THIN, read16(1, 3), vec![])
            .done(),
    ]
}

fn compare_and_write_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    for (lun, capacity) in [(THIN, BLOCKS), (BIG_BLOCKS, BIG_BLOCKS_CAPACITY)] {
        let size = bs(lun);
        v.push(
            case(&format!("compare_and_write/match-{size}"), "a match writes: at LBA 0, at the last LBA, multi-block")
                .bins(&["LBA 0", "last LBA"])
                .cmd(lun, compare_and_write(0, 1), caw_data(current(lun, 0, 1), blocks(8, size, 1)))
                .cmd(lun, read16(0, 1), vec![])
                .cmd(lun, compare_and_write(capacity - 1, 1), caw_data(vec![0; size], blocks(9, size, 1)))
                .cmd(lun, compare_and_write(2, 3), caw_data(current(lun, 2, 3), blocks(10, size, 3)))
                .done(),
        );
    }
    let mut first = current(THIN, 4, 2);
    first[0] ^= 0xFF;
    let mut last = current(THIN, 4, 2);
    let end = last.len() - 1;
    last[end] ^= 0x01;
    let mut second = current(THIN, 4, 2);
    second[512 + 100] ^= 0x40;
    v.push(
        case("compare_and_write/miscompare", "MISCOMPARE E/1D/00 with the offset of the first differing byte")
            .bins(&["miscompare at first byte", "miscompare at last byte"])
            .cmd(THIN, compare_and_write(4, 2), caw_data(first, blocks(11, 512, 2)))
            .cmd(THIN, compare_and_write(4, 2), caw_data(last, blocks(11, 512, 2)))
            .cmd(THIN, compare_and_write(4, 2), caw_data(second, blocks(11, 512, 2)))
            .cmd(THIN, read16(4, 2), vec![])
            .done(),
    );
    v.push(
        case("compare_and_write/lengths", "NOLB 0, the maximum, one more; past the end; wrong data-out size")
            .bins(&["zero length", "maximum length", "maximum length + 1", "capacity + 1"])
            .cmd(THIN, compare_and_write(0, 0), vec![])
            .cmd(
                THIN,
                compare_and_write(8, MAX_CAW),
                caw_data(current(THIN, 8, MAX_CAW.into()), blocks(12, 512, MAX_CAW.into())),
            )
            .cmd(THIN, compare_and_write(8, MAX_CAW + 1), vec![0; 2 * 512 * (usize::from(MAX_CAW) + 1)])
            .cmd(THIN, compare_and_write(BLOCKS, 1), vec![0; 1024])
            .cmd(THIN, compare_and_write(BLOCKS - 1, 2), vec![0; 2048])
            .cmd(THIN, compare_and_write(0, 1), vec![0; 512])
            .done(),
    );
    v.push(
        case("compare_and_write/flags-and-protection", "DPO/FUA accepted, WRPROTECT refused, write-protected unit")
            .cmd(THIN, with_byte(compare_and_write(20, 1), 1, 0x18), caw_data(current(THIN, 20, 1), blocks(13, 512, 1)))
            .cmd(THIN, with_byte(compare_and_write(20, 1), 1, 0x20), vec![0; 1024])
            .cmd(PROTECTED, compare_and_write(0, 1), caw_data(current(PROTECTED, 0, 1), blocks(13, 512, 1)))
            .cmd(THICK, compare_and_write(100, 1), caw_data(vec![0; 512], blocks(14, 512, 1)))
            .done(),
    );
    v
}

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const PBDATA: u8 = 0x04;
const LBDATA: u8 = 0x02;
const NDOB: u8 = 0x01;

fn write_same_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    // Every combination of the flag bits (WRPROTECT as 000b or 001b), for each command, with zero and
    // non-zero data on a thin and a thick unit.
    for sixteen in [false, true] {
        let flag_bits: &[u8] =
            if sixteen { &[ANCHOR, UNMAP, PBDATA, LBDATA, NDOB] } else { &[ANCHOR, UNMAP, PBDATA, LBDATA] };
        for combo in 0..(1u32 << (flag_bits.len() + 1)) {
            let mut flags = 0u8;
            for (i, bit) in flag_bits.iter().enumerate() {
                if combo & (1 << i) != 0 {
                    flags |= bit;
                }
            }
            if combo & (1 << flag_bits.len()) != 0 {
                flags |= 0x20; // WRPROTECT 001b
            }
            let name = format!("write_same/ws{}-flags-{flags:02x}", if sixteen { 16 } else { 10 });
            let bin = format!("WRITE SAME({}) flags {flags:02x}", if sixteen { 16 } else { 10 });
            let mut c = case(&name, "one flag combination with zero and non-zero data on a thin and a thick unit")
                .bins(&[bin.as_str()]);
            for (lun, lba) in [(THIN, 40u64), (THICK, 40)] {
                for (data, at) in [(vec![0u8; 512], lba), (block(15, 512), lba + 8)] {
                    let data = if flags & NDOB != 0 { Vec::new() } else { data };
                    let cdb = if sixteen { write_same16(flags, at, 4) } else { write_same10(flags, at as u32, 4) };
                    c = c.cmd(lun, cdb, data);
                }
            }
            v.push(c.done());
        }
    }
    v.push(
        case("write_same/lengths", "NLB 0 with WSNZ, the maximum, one more, past the end, LBA wrap, data-out size")
            .bins(&["zero length", "maximum length", "maximum length + 1", "capacity + 1", "last LBA", "LBA wrap"])
            .cmd(THIN, write_same16(0, 0, 0), vec![0; 512])
            .cmd(THIN, write_same16(0, 0, MAX_WRITE_SAME), block(16, 512))
            .cmd(THIN, write_same16(0, 0, MAX_WRITE_SAME + 1), block(16, 512))
            .cmd(THIN, write_same10(0, (BLOCKS - 1) as u32, 1), block(17, 512))
            .cmd(THIN, write_same10(0, (BLOCKS - 1) as u32, 2), block(17, 512))
            .cmd(THIN, write_same16(0, BLOCKS, 1), block(17, 512))
            .cmd(THIN, write_same16(0, u64::MAX, 2), block(17, 512))
            .cmd(THIN, write_same10(0, 0, 1), vec![0; 100])
            .cmd(THIN, write_same16(NDOB, 0, 1), vec![0; 512])
            .cmd(BIG_BLOCKS, write_same16(UNMAP, 0, 4), vec![0; 4096])
            .cmd(BIG_BLOCKS, write_same16(0, 8, 4), block(18, 4096))
            .cmd(PROTECTED, write_same16(0, 0, 1), vec![0; 512])
            .done(),
    );
    v.push(
        case("write_same/to-the-end", "WSNZ=0: NLB 0 writes from the LBA to the last block")
            .config(|c| {
                c.limits.write_same_non_zero = false;
                c.limits.max_write_same_blocks = BLOCKS;
            })
            .cmd(THIN, write_same16(0, BLOCKS - 6, 0), block(19, 512))
            .cmd(THIN, write_same10(UNMAP, (BLOCKS - 3) as u32, 0), vec![0; 512])
            .cmd(THIN, write_same16(0, BLOCKS, 0), block(19, 512))
            .done(),
    );
    v.push(
        case("write_same/unmap-granularity", "unaligned WRITE SAME with UNMAP: ends zeroed, aligned middle released")
            .config(|c| c.limits.unmap_granularity = 8)
            .cmd(THIN, write_same16(UNMAP, 3, 20), vec![0; 512])
            .cmd(THIN, write_same16(UNMAP | ANCHOR, 33, 6), vec![0; 512])
            .done(),
    );
    v.push(
        case(
            "write_same/protected-without-data-out",
            "a write-protected unit: 7/27/00 before the Data-Out is looked at (none, or the wrong size)",
        )
        .cmd(PROTECTED, write_same10(UNMAP, 0, 1), vec![])
        .cmd(PROTECTED, write_same16(UNMAP, 0, 1), vec![])
        .cmd(PROTECTED, write_same16(0, 0, 1), vec![0; 100])
        .done(),
    );
    v
}

fn unmap_cases() -> Vec<CaseSpec> {
    let list = |ranges: &[(u64, u32)]| unmap_list(ranges);
    let cdb = |anchor: bool, p: &Vec<u8>| unmap(anchor, p.len() as u16);
    let one = list(&[(4, 8)]);
    let four = list(&[(0, 2), (10, 2), (20, 2), (BLOCKS - 2, 2)]);
    let five = list(&[(0, 1), (2, 1), (4, 1), (6, 1), (8, 1)]);
    let max_total = list(&[(0, MAX_UNMAP_BLOCKS / 2), (100, MAX_UNMAP_BLOCKS / 2)]);
    let over_total = list(&[(0, MAX_UNMAP_BLOCKS / 2), (100, MAX_UNMAP_BLOCKS / 2 + 1)]);
    let past_end = list(&[(BLOCKS - 1, 2)]);
    let zero_at_end = list(&[(BLOCKS, 0), (3, 0)]);
    let mut truncated = list(&[(30, 2)]);
    truncated.extend([0u8; 10]); // a partial descriptor that the descriptor length does not cover
    vec![
        case("unmap/deallocate", "UNMAP: one descriptor, the maximum count, the maximum total, zero-block descriptors")
            .bins(&["maximum length", "zero length", "last LBA"])
            .cmd(THIN, cdb(false, &one), one.clone())
            .cmd(THIN, cdb(false, &four), four.clone())
            .cmd(THIN_B, cdb(false, &max_total), max_total.clone())
            .cmd(THIN, cdb(false, &zero_at_end), zero_at_end.clone())
            .cmd(THIN, cdb(false, &truncated), truncated.clone())
            .cmd(THIN, read16(4, 2), vec![])
            .done(),
        case("unmap/anchor", "UNMAP with ANCHOR anchors the blocks").cmd(THIN, cdb(true, &one), one.clone()).done(),
        case("unmap/errors", "UNMAP errors: limits + 1, past the end, short list, size mismatch, thick, protected")
            .bins(&["maximum length + 1", "capacity + 1"])
            .cmd(THIN, cdb(false, &five), five.clone())
            .cmd(THIN, cdb(false, &over_total), over_total.clone())
            .cmd(THIN, cdb(false, &past_end), past_end.clone())
            .cmd(THIN, unmap(false, 6), vec![0; 6])
            .cmd(THIN, unmap(false, 0), vec![])
            .cmd(THIN, unmap(false, 40), one.clone())
            .cmd(THICK, cdb(false, &one), one.clone())
            .cmd(PROTECTED, cdb(false, &one), one.clone())
            .done(),
        case("unmap/granularity", "unaligned UNMAP with a granularity of 8: ends zeroed, aligned middle released")
            .config(|c| c.limits.unmap_granularity = 8)
            .cmd(THIN, cdb(false, &list(&[(5, 20)])), list(&[(5, 20)]))
            .cmd(BIG_BLOCKS, unmap(false, 24), list(&[(1, 3)]))
            .done(),
    ]
}

fn lba_status_cases() -> Vec<CaseSpec> {
    vec![
        case("lba_status/extents", "GET LBA STATUS after writes and unmaps; past the end fails")
            .cmd(THIN, unmap(false, 24), unmap_list(&[(8, 8)]))
            .cmd(THIN, get_lba_status(0, 8 + 4 * 16), vec![])
            .cmd(THIN, get_lba_status(12, 24), vec![])
            .cmd(THICK, get_lba_status(0, 24), vec![])
            .cmd(THIN, get_lba_status(BLOCKS - 1, 24), vec![])
            .cmd(THIN, get_lba_status(BLOCKS, 24), vec![])
            .done(),
    ]
}

fn extended_copy_cases() -> Vec<CaseSpec> {
    let id = |lun: u16| cscd(&naa(lun), bs(lun) as u32);
    let list = |cscds: &[Vec<u8>], segs: &[Vec<u8>]| copy_list(1, 0b00, cscds, segs);
    let two = [id(THIN), id(THIN_B)];
    let mut v = Vec::new();
    let good = |name: &str, description: &str, bins: &[&str], l: Vec<u8>| {
        case(name, description).bins(bins).xcopy(THIN, l).done()
    };
    v.push(good(
        "extended_copy/within-unit",
        "one segment within a unit",
        &[],
        list(&[id(THIN)], &[segment(0, 0, 8, 0, 100)]),
    ));
    v.push(good(
        "extended_copy/across-units",
        "one segment from LUN 0 to LUN 1",
        &["across units"],
        list(&two, &[segment(0, 1, 16, 0, 200)]),
    ));
    v.push(good(
        "extended_copy/forward-overlap",
        "destination before the source, overlapping",
        &["forward overlap"],
        list(&[id(THIN)], &[segment(0, 0, 16, 8, 4)]),
    ));
    v.push(good(
        "extended_copy/backward-overlap",
        "destination inside the source: the result is as if the whole source were read first",
        &["backward overlap"],
        list(&[id(THIN)], &[segment(0, 0, 16, 4, 8)]),
    ));
    v.push(good(
        "extended_copy/segments-in-order",
        "several segments; the second reads what the first wrote; FFFFh names the addressed unit",
        &["maximum length"],
        list(
            &two,
            &[
                segment(0, 1, 4, 0, 50),
                segment(1, 0xFFFF, 4, 50, 120),
                segment(0xFFFF, 1, 0, 0, 0),
                segment(1, 1, 2, 50, 60),
            ],
        ),
    ));
    v.push(
        case("extended_copy/big-blocks", "4096-byte units, the maximum segment length, sent to the unit itself")
            .bins(&["maximum length"])
            .xcopy(
                BIG_BLOCKS,
                copy_list(2, 0b10, &[id(BIG_BLOCKS)], &[segment(0, 0, (MAX_SEGMENT_BYTES / 4096) as u16, 0, 32)]),
            )
            .done(),
    );
    v.push(
        case("extended_copy/last-lba", "copies that end at the last LBA, and zero-length segments")
            .bins(&["last LBA", "zero length", "LBA 0"])
            .xcopy(THIN, list(&two, &[segment(0, 1, 4, 0, BLOCKS - 4)]))
            .cmd(THIN, extended_copy(0), vec![])
            .done(),
    );
    // Parameter-list errors: ILLEGAL REQUEST, nothing moves.
    let base = list(&[id(THIN)], &[segment(0, 0, 1, 0, 10)]);
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut l = base.clone();
        f(&mut l);
        l
    };
    let too_many_targets: Vec<Vec<u8>> = (0..=MAX_TARGETS).map(|_| id(THIN)).collect();
    let too_many_segments: Vec<Vec<u8>> = (0..=MAX_SEGMENTS).map(|i| segment(0, 0, 1, 0, 10 + u64::from(i))).collect();
    let errors: Vec<(&str, Vec<u8>)> = vec![
        ("list shorter than its header", base[..8].to_vec()),
        ("LIST ID USAGE 01b", edit(&|l| l[1] = 0x08)),
        ("LIST ID USAGE 11b with a list identifier", edit(&|l| l[1] = 0x18)),
        ("inline data", edit(&|l| l[15] = 1)),
        ("descriptor lists longer than the parameter list", edit(&|l| l.truncate(l.len() - 1))),
        ("target list not a multiple of 32", edit(&|l| l[3] = 31)),
        ("unsupported CSCD type", edit(&|l| l[16] = 0xE0)),
        ("unsupported segment type", edit(&|l| l[48] = 0x03)),
        ("segment descriptor length", edit(&|l| l[51] = 0x10)),
        ("code set not binary", edit(&|l| l[20] = 0x02)),
        ("association not the logical unit", edit(&|l| l[21] = 0x13)),
        ("designator type not NAA", edit(&|l| l[21] = 0x02)),
        ("designator length not 16", edit(&|l| l[23] = 8)),
        ("DISK BLOCK LENGTH mismatch", edit(&|l| l[46] = 0x10)),
        ("CSCD ID above 07FFh", edit(&|l| l[52] = 0x08)),
        ("too many CSCD descriptors", list(&too_many_targets, &[segment(0, 0, 1, 0, 10)])),
        ("too many segment descriptors", list(&[id(THIN)], &too_many_segments)),
        ("descriptor lists over the maximum length", list(&too_many_targets, &too_many_segments)),
        (
            "segment over MAXIMUM SEGMENT LENGTH",
            list(&[id(THIN)], &[segment(0, 0, (MAX_SEGMENT_BYTES / 512 + 1) as u16, 0, 100)]),
        ),
    ];
    let mut c =
        case("extended_copy/parameter-list-errors", "malformed parameter lists: ILLEGAL REQUEST with a field pointer")
            .bins(&["maximum length + 1"]);
    for (_, l) in &errors {
        c = c.xcopy(THIN, l.clone());
    }
    c = c.cmd(THIN, extended_copy(40), base.clone());
    c = c.xcopy(THIN, edit(&|l| l[17] = 0x80)); // reserved LU ID TYPE: accepted
    v.push(c.done());
    // Processing errors: COPY ABORTED.
    let unknown = {
        let mut n = naa(THIN);
        n[15] ^= 0x55;
        cscd(&n, 512)
    };
    let nul = {
        let mut d = id(THIN_B);
        d[1] |= 0x20;
        d
    };
    v.push(
        case("extended_copy/unreachable", "CSCD index beyond the list, unknown NAA, NUL, access denied: A/0D/02")
            .bins(&["access denied"])
            .xcopy(THIN, list(&[id(THIN)], &[segment(0, 1, 1, 0, 10)]))
            .xcopy(THIN, list(&[id(THIN), unknown], &[segment(1, 0, 1, 0, 10)]))
            .xcopy(THIN, list(&[id(THIN), nul], &[segment(0, 1, 1, 0, 10)]))
            .xcopy_as(RESTRICTED, THIN, list(&two, &[segment(1, 0, 4, 0, 100)]))
            .xcopy_as(RESTRICTED, THIN, list(&two, &[segment(0, 1, 4, 0, 100)]))
            .done(),
    );
    // Two targets: this one's units named after its target name, and a default-configured one whose
    // index-derived designators this target must not take for its own (issue 13: a copy onto itself).
    let named = |config: &mut TargetConfig| config.name_designators("iqn.2026-11.vectors:named");
    let named_config = {
        let mut c = base_config();
        named(&mut c);
        c
    };
    let named_id = |lun: u16| cscd(&naa_designator(&named_config.units[usize::from(lun)], lun), bs(lun) as u32);
    v.push(
        case(
            "extended_copy/other-target",
            "units named after the target: their own designators copy, another target's LU 0 designator is A/0D/02",
        )
        .config(named)
        .xcopy(THIN, list(&[id(THIN), named_id(THIN_B)], &[segment(0, 1, 4, 0, 100)]))
        .xcopy(THIN, list(&[named_id(THIN), named_id(THIN_B)], &[segment(0, 1, 4, 0, 100)]))
        .done(),
    );
    let mixed = [id(THIN), id(BIG_BLOCKS)];
    let protected = [id(THIN), id(PROTECTED)];
    let later_fails = list(&two, &[segment(0, 1, 4, 0, 10), segment(0, 1, 4, 0, BLOCKS - 2)]);
    v.push(
        case(
            "extended_copy/copy-target-errors",
            "past the end, block sizes differ, a protected destination, a later segment failing",
        )
        .bins(&["capacity + 1"])
        .xcopy(THIN, list(&two, &[segment(0, 1, 4, BLOCKS - 2, 0)]))
        .xcopy(THIN, list(&two, &[segment(0, 1, 4, 0, BLOCKS)]))
        .xcopy(THIN, list(&mixed, &[segment(0, 1, 8, 0, 0)]))
        .xcopy(THIN, list(&protected, &[segment(0, 1, 1, 0, 0)]))
        .xcopy(THIN, later_fails.clone())
        .cmd(THIN, receive_copy_results(0, 1, 64), vec![])
        .cmd(THIN, receive_copy_results(4, 1, 255), vec![])
        .done(),
    );
    v.push(
        case(
            "extended_copy/descriptor-sense",
            "COPY ABORTED in descriptor format, with the forwarded sense descriptor",
        )
        .config(|c| c.descriptor_sense = true)
        .xcopy(THIN, list(&two, &[segment(0, 1, 4, 0, BLOCKS)]))
        .xcopy(THIN, errors[6].1.clone())
        .done(),
    );
    let mid = list(&two, &[segment(0, 1, 8, 0, 20), segment(0, 1, 8, 8, 40)]);
    let backward = list(&[id(THIN)], &[segment(0, 0, 8, 4, 8)]);
    v.push(
        case("extended_copy/medium-error", "a bad source block part way: the residual and the forwarded MEDIUM ERROR")
            .bins(&["medium error"])
            .config(|c| {
                c.units[usize::from(THIN)].bad_blocks.insert(12);
            })
            .xcopy(THIN, mid.clone())
            .xcopy(THIN, backward.clone())
            .cmd(THIN, receive_copy_results(0, 1, 64), vec![])
            .done(),
    );
    v
}

/// Segment descriptor 0Ah (block → block with byte offsets) is not implemented: the engines move whole,
/// block-aligned blocks.
fn xcopy_byte_offset_segment_case() -> CaseSpec {
    let mut offset = vec![0u8; 32];
    offset[0] = 0x0A;
    offset[3] = 0x1C; // DESCRIPTOR LENGTH
    offset[7] = 1; // DESTINATION CSCD DESCRIPTOR ID
    offset[8..12].copy_from_slice(&700u32.to_be_bytes()); // NUMBER OF BYTES
    offset[29] = 3; // SOURCE BYTE OFFSET
    let cscds = [cscd(&naa(THIN), 512), cscd(&naa(THIN_B), 512)];
    case("extended_copy/byte-offset-segment", "segment descriptor 0Ah is refused: 5/26/09, nothing copied")
        .xcopy(THIN, copy_list(0, 0b11, &cscds, &[offset]))
        .done()
}

fn copy_results_cases() -> Vec<CaseSpec> {
    let id = cscd(&naa(THIN), 512);
    let held = copy_list(7, 0b00, std::slice::from_ref(&id), &[segment(0, 0, 8, 0, 100), segment(0, 0, 0, 0, 0)]);
    let discard = copy_list(8, 0b10, std::slice::from_ref(&id), &[segment(0, 0, 2, 0, 150)]);
    let none = copy_list(0, 0b11, std::slice::from_ref(&id), &[segment(0, 0, 2, 0, 160)]);
    vec![
        case("copy_results/status-and-parameters", "RECEIVE COPY RESULTS: COPY STATUS, OPERATING PARAMETERS, details")
            .cmd(THIN, receive_copy_results(3, 0, 255), vec![])
            .cmd(THIN, receive_copy_results(0, 7, 64), vec![])
            .xcopy(THIN, held.clone())
            .cmd(THIN, receive_copy_results(0, 7, 64), vec![])
            .cmd(THIN, receive_copy_results(4, 7, 64), vec![])
            .xcopy(THIN, discard.clone())
            .cmd(THIN, receive_copy_results(0, 8, 64), vec![])
            .xcopy(THIN, none.clone())
            .cmd(THIN, receive_copy_results(0, 0, 64), vec![])
            .cmd_as(OTHER, THIN, receive_copy_results(0, 7, 64), vec![])
            .cmd(THIN, receive_copy_results(1, 7, 64), vec![])
            .done(),
    ]
}

fn concurrency_cases() -> Vec<CaseSpec> {
    let lock = block(20, 512);
    let mut mine = lock.clone();
    mine.extend(block(21, 512));
    let mut theirs = lock.clone();
    theirs.extend(block(22, 512));
    let copy = copy_list(0, 0b11, &[cscd(&naa(THIN), 512)], &[segment(0, 0, 8, 8, 100)]);
    vec![
        case("concurrency/ats-race", "two hosts race COMPARE AND WRITE on one lock block: commit order decides")
            .block(THIN, 50, lock.clone())
            .together(vec![
                (HOST, THIN, compare_and_write(50, 1), mine),
                (OTHER, THIN, compare_and_write(50, 1), theirs),
            ])
            .cmd(THIN, read16(50, 1), vec![])
            .done(),
        case("concurrency/overlapping-engines", "zero fill, copy and a write from two hosts over one range")
            .together(vec![
                (HOST, THIN, write_same16(0, 0, 16), vec![0; 512]),
                (OTHER, THIN, extended_copy(copy.len() as u32), copy.clone()),
                (OTHER, THIN, write16(4, 8), blocks(23, 512, 8)),
            ])
            .cmd(THIN, read16(0, 16), vec![])
            .cmd(THIN, read16(100, 8), vec![])
            .done(),
        case(
            "concurrency/atomic-write",
            "WRITE ATOMIC over a range other hosts read, write and COMPARE AND WRITE: all-old or all-new",
        )
        .bins(&["atomic-write concurrency"])
        .together(vec![
            (OTHER, THIN, read16(0, 16), vec![]),
            (HOST, THIN, write_atomic16(0, 0, 16), blocks(60, 512, 16)),
            (OTHER, THIN, read16(8, 16), vec![]),
            (RESTRICTED, THIN, write16(12, 8), blocks(61, 512, 8)),
            (OTHER, THIN, compare_and_write(4, 1), caw_data(current(THIN, 4, 1), blocks(62, 512, 1))),
            (OTHER, THIN, read16(0, 24), vec![]),
        ])
        .cmd(THIN, read16(0, 24), vec![])
        .done(),
    ]
}

fn lu_reset(initiator: &str, lun: u16) -> Event {
    Event::LogicalUnitReset { initiator: initiator.to_owned(), lun }
}

/// MODE SELECT (6) of `list` (PF=1).
fn mode_select6(list: &[u8]) -> Vec<u8> {
    vec![0x15, 0x10, 0, 0, list.len() as u8, 0]
}

/// Unit attention conditions (SAM-5 5.14) and REQUEST SENSE (SPC-4 6.39). HOST and OTHER are met by a
/// TEST UNIT READY first where a case needs both to exist before an event.
fn unit_attention_cases() -> Vec<CaseSpec> {
    let tur = test_unit_ready;
    let power_on = |c: &mut TargetConfig| c.power_on_unit_attention = true;
    let grown = |lun, blocks| Event::ResizeUnit { lun, blocks };
    vec![
        case("unit-attention/power-on", "a new nexus finds 29/00 on each unit; INQUIRY and REPORT LUNS leave it")
            .bins(&["power-on unit attention", "INQUIRY under unit attention", "REPORT LUNS under unit attention"])
            .config(power_on)
            .cmd(THIN, inquiry(false, 0, 36), vec![])
            .cmd(THIN, report_luns(64), vec![])
            .cmd(THIN, tur(), vec![])
            .cmd(THIN, tur(), vec![])
            .cmd(THIN_B, read10(0, 1), vec![])
            .cmd(THIN_B, read10(0, 1), vec![])
            .cmd_as(OTHER, THIN, request_sense(false, 18), vec![])
            .cmd_as(OTHER, THIN, request_sense(false, 18), vec![])
            .done(),
        case(
            "unit-attention/logical-unit-reset",
            "LOGICAL UNIT RESET: 29/03 on that unit for every nexus, the resetting one too",
        )
        .cmd(THIN, tur(), vec![])
        .cmd_as(OTHER, THIN, tur(), vec![])
        .event(lu_reset(HOST, THIN))
        .cmd(THIN_B, tur(), vec![])
        .cmd(THIN, tur(), vec![])
        .cmd_as(OTHER, THIN, tur(), vec![])
        .cmd_as(OTHER, THIN, tur(), vec![])
        .done(),
        case("unit-attention/target-reset", "a target reset: 29/02 on every unit for every nexus")
            .cmd(THIN, tur(), vec![])
            .cmd_as(OTHER, THIN, tur(), vec![])
            .event(Event::TargetReset { initiator: OTHER.to_owned() })
            .cmd(THIN, tur(), vec![])
            .cmd(THICK, tur(), vec![])
            .cmd_as(OTHER, BIG_BLOCKS, tur(), vec![])
            .cmd_as(OTHER, BIG_BLOCKS, tur(), vec![])
            .done(),
        case("unit-attention/nexus-loss", "a nexus that was lost finds 29/07 when it comes back; the others nothing")
            .cmd(THIN, tur(), vec![])
            .cmd_as(OTHER, THIN, tur(), vec![])
            .event(Event::NexusLoss { initiator: HOST.to_owned() })
            .cmd_as(OTHER, THIN, tur(), vec![])
            .cmd(THIN, tur(), vec![])
            .cmd(THIN, tur(), vec![])
            .done(),
        case("unit-attention/fast-path-command", "a WRITE (16) under a pending 29/03 is refused before it writes")
            .cmd(THIN, tur(), vec![])
            .event(lu_reset(OTHER, THIN))
            .cmd(THIN, write16(1, 1), block(0x51, 512))
            .cmd(THIN, read16(1, 1), vec![])
            .done(),
        case("unit-attention/precedence", "conditions come highest precedence first, in order within one; never twice")
            .bins(&["unit attention precedence", "unit attention not queued twice"])
            .cmd(THIN, tur(), vec![])
            .cmd_as(OTHER, THIN, tur(), vec![])
            .cmd_as(OTHER, THIN, mode_select6(&mode_select6_caching(false)), mode_select6_caching(false))
            .event(grown(THIN, BLOCKS + 64))
            .event(grown(THIN, BLOCKS))
            .cmd_as(OTHER, THIN, read_capacity16(32), vec![])
            .cmd_as(OTHER, THIN, read_capacity16(32), vec![])
            .cmd(THIN, tur(), vec![])
            .cmd(THIN, read_capacity16(32), vec![])
            .cmd(THIN, tur(), vec![])
            .event(Event::NexusLoss { initiator: HOST.to_owned() })
            .cmd_as(OTHER, THIN, mode_select6(&mode_select6_caching(true)), mode_select6_caching(true))
            .cmd(THIN, tur(), vec![])
            .cmd(THIN, tur(), vec![])
            .cmd(THIN, tur(), vec![])
            .done(),
        case("unit-attention/superseded", "a reset clears the lower-precedence conditions queued before it")
            .bins(&["unit attention superseded"])
            .cmd(THIN, tur(), vec![])
            .cmd_as(OTHER, THIN, mode_select6(&mode_select6_caching(false)), mode_select6_caching(false))
            .event(grown(THIN, BLOCKS + 8))
            .event(Event::NexusLoss { initiator: HOST.to_owned() })
            .event(lu_reset(OTHER, THIN))
            .cmd(THIN, tur(), vec![])
            .cmd(THIN, tur(), vec![])
            .done(),
        case(
            "unit-attention/mode-select",
            "MODE SELECT that changes a page: 2A/01 on that unit for the other nexuses only",
        )
        .bins(&["mode parameters changed: other nexuses only", "mode select without a change"])
        .cmd(THIN, tur(), vec![])
        .cmd_as(RESTRICTED, THIN, tur(), vec![])
        .cmd_as(OTHER, THIN, mode_select6(&mode_select6_caching(true)), mode_select6_caching(true))
        .cmd(THIN, tur(), vec![])
        .cmd_as(OTHER, THIN, mode_select6(&mode_select6_caching(false)), mode_select6_caching(false))
        .cmd_as(OTHER, THIN, tur(), vec![])
        .cmd(THIN_B, tur(), vec![])
        .cmd(THIN, tur(), vec![])
        .cmd_as(RESTRICTED, THIN, tur(), vec![])
        .cmd(THIN, tur(), vec![])
        .done(),
        case(
            "unit-attention/reset-restores-mode",
            "a LOGICAL UNIT RESET returns D_SENSE to its default: the 29/03 is fixed format",
        )
        .bins(&["reset restores mode parameters"])
        .cmd(THIN, mode_select6(&mode_select6_control(true)), mode_select6_control(true))
        .event(lu_reset(HOST, THIN))
        .cmd(THIN, tur(), vec![])
        .cmd(THIN, vec![0x1A, 0, 0x0A, 0, 255, 0], vec![])
        .done(),
        case("unit-attention/capacity", "a unit grows and shrinks: 2A/09, then READ CAPACITY reports the new size")
            .cmd(THIN, tur(), vec![])
            .event(grown(THIN_B, BLOCKS * 2))
            .cmd(THIN_B, read_capacity16(32), vec![])
            .cmd(THIN_B, read_capacity16(32), vec![])
            .event(grown(THIN_B, BLOCKS / 2))
            .cmd(THIN_B, read16(BLOCKS / 2, 1), vec![])
            .cmd(THIN_B, read16(BLOCKS / 2, 1), vec![])
            .cmd(THIN_B, read_capacity16(32), vec![])
            .done(),
        case(
            "unit-attention/reported-luns",
            "an access-map change: 3F/0E where a nexus's inventory changed; REPORT LUNS clears it",
        )
        .bins(&["REPORT LUNS clears 3F/0E", "INQUIRY under unit attention"])
        .cmd(THIN, tur(), vec![])
        .cmd_as(RESTRICTED, THIN, tur(), vec![])
        .event(Event::SetAccess {
            access: {
                let mut access = base_config().access;
                access.grants.insert(RESTRICTED.to_owned(), [THIN, THIN_B].into());
                access
            },
        })
        .cmd(THIN, tur(), vec![])
        .cmd_as(RESTRICTED, THIN_B, inquiry(false, 0, 36), vec![])
        .cmd_as(RESTRICTED, THIN_B, tur(), vec![])
        .cmd_as(RESTRICTED, THIN, report_luns(64), vec![])
        .cmd_as(RESTRICTED, THIN, tur(), vec![])
        .done(),
        case(
            "unit-attention/unknown-opcode",
            "an unknown operation code is refused 5/20/00 and leaves the condition pending",
        )
        .bins(&["unknown opcode under unit attention"])
        .config(power_on)
        .cmd(THIN, vec![0xFF, 0, 0, 0, 0, 0], vec![])
        .cmd(THIN, tur(), vec![])
        .done(),
        case(
            "request-sense/forms",
            "REQUEST SENSE: the pending condition in the DESC bit's format, cleared; then NO SENSE",
        )
        .bins(&[
            "REQUEST SENSE reports the unit attention",
            "REQUEST SENSE DESC=1",
            "REQUEST SENSE DESC differs from D_SENSE",
            "REQUEST SENSE truncated",
            "REQUEST SENSE with nothing pending",
            "REQUEST SENSE to an unreachable LUN",
            "zero length",
        ])
        .config(power_on)
        .cmd(THIN, request_sense(true, 252), vec![])
        .cmd(THIN, request_sense(true, 252), vec![])
        .cmd(THIN, request_sense(false, 8), vec![])
        .cmd(THIN_B, request_sense(false, 0), vec![])
        .cmd(THIN_B, tur(), vec![])
        .cmd(THICK, tur(), vec![])
        .cmd(THICK, mode_select6(&mode_select6_control(true)), mode_select6_control(true))
        .cmd(THICK, request_sense(false, 18), vec![])
        .cmd(9, request_sense(false, 18), vec![])
        .cmd_as(RESTRICTED, THIN_B, request_sense(true, 252), vec![])
        .cmd(THIN, with_byte(request_sense(false, 18), 1, 0x02), vec![])
        .done(),
    ]
}

/// A third initiator for the reservation cases: registered, never the holder.
pub const REGISTRANT: &str = "iqn.2026-11.vectors:host-r";
/// An iSCSI initiator port name (format 01b TransportID in READ FULL STATUS).
pub const PORT: &str = "iqn.2026-11.vectors:host-p,i,0x23d000000001";

const KEY: u64 = 0x0123_4567_89AB_CDEF;
const REGISTRANT_KEY: u64 = 0x0000_0000_0000_0BBB;

/// PERSISTENT RESERVE OUT service actions and types (SPC-4 tables 175 and 170) as the cases name them.
mod pr {
    pub const REGISTER: u8 = 0;
    pub const RESERVE: u8 = 1;
    pub const RELEASE: u8 = 2;
    pub const CLEAR: u8 = 3;
    pub const PREEMPT: u8 = 4;
    pub const PREEMPT_AND_ABORT: u8 = 5;
    pub const REGISTER_IGNORE: u8 = 6;
    pub const READ_KEYS: u8 = 0;
    pub const READ_RESERVATION: u8 = 1;
    pub const REPORT_CAPABILITIES: u8 = 2;
    pub const READ_FULL_STATUS: u8 = 3;
    /// (type code, short name) for every type.
    pub const TYPES: [(u8, &str); 6] = [(1, "WE"), (3, "EA"), (5, "WE-RO"), (6, "EA-RO"), (7, "WE-AR"), (8, "EA-AR")];
}

impl Case {
    fn prout(self, who: &str, lun: u16, action: u8, kind: u8, key: u64, sark: u64) -> Self {
        self.cmd_as(who, lun, persistent_reserve_out(action, kind), prout_list(key, sark, 0))
    }

    fn prin(self, who: &str, lun: u16, action: u8) -> Self {
        self.cmd_as(who, lun, persistent_reserve_in(action, 1024), vec![])
    }

    /// HOST registers KEY and REGISTRANT its own key on `lun`; HOST reserves it with `kind`.
    fn reserved(self, lun: u16, kind: u8) -> Self {
        self.prout(HOST, lun, pr::REGISTER, 0, 0, KEY).prout(REGISTRANT, lun, pr::REGISTER, 0, 0, REGISTRANT_KEY).prout(
            HOST,
            lun,
            pr::RESERVE,
            kind,
            KEY,
            0,
        )
    }
}

fn reservation_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    // The conflict matrix: each type × holder / registrant / unregistered nexus × a read, a write and
    // commands of the other rows (MODE SENSE, TEST UNIT READY, READ CAPACITY).
    for (kind, name) in pr::TYPES {
        let mut c = case(
            &format!("reservations/conflict-matrix/{name}"),
            &format!("{name} reservation: READ, WRITE, MODE SENSE, TUR, READ CAPACITY from holder, registrant, other"),
        )
        .reserved(THIN, kind);
        for who in [HOST, REGISTRANT, OTHER] {
            c = c
                .cmd_as(who, THIN, read16(0, 1), vec![])
                .cmd_as(who, THIN, write16(8, 1), blocks(kind, 512, 1))
                .cmd_as(who, THIN, vec![0x1A, 0, 0x3F, 0, 255, 0], vec![])
                .cmd_as(who, THIN, vec![0; 6], vec![])
                .cmd_as(who, THIN, read_capacity16(32), vec![]);
        }
        let bins: Vec<String> =
            ["holder", "registrant", "unregistered"].iter().map(|w| format!("{name} reservation × {w}")).collect();
        let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
        v.push(c.bins(&bins).prin(OTHER, THIN, pr::READ_RESERVATION).done());
    }
    let spc2 = case("reservations/conflict-matrix/spc2", "RESERVE (6) by HOST: what another nexus may still do")
        .bins(&["SPC-2 reservation × holder", "SPC-2 reservation × other"])
        .cmd(THIN, reserve6(), vec![])
        .cmd(THIN, read16(0, 1), vec![])
        .cmd_as(OTHER, THIN, read16(0, 1), vec![])
        .cmd_as(OTHER, THIN, write16(8, 1), blocks(3, 512, 1))
        .cmd_as(OTHER, THIN, vec![0x1A, 0, 0x3F, 0, 255, 0], vec![])
        .cmd_as(OTHER, THIN, vec![0; 6], vec![])
        .cmd_as(OTHER, THIN, inquiry(false, 0, 36), vec![])
        .cmd_as(OTHER, THIN, read_capacity16(32), vec![])
        .prin(OTHER, THIN, pr::READ_KEYS)
        .prout(OTHER, THIN, pr::REGISTER, 0, 0, KEY)
        .cmd_as(OTHER, THIN, reserve6(), vec![])
        .cmd_as(OTHER, THIN, release6(), vec![])
        .cmd_as(OTHER, THIN_B, read16(0, 1), vec![])
        .cmd(THIN, release6(), vec![])
        .cmd_as(OTHER, THIN, read16(0, 1), vec![]);
    v.push(spc2.done());
    v.push(
        case("reservations/spc2-reserve-release", "RESERVE/RELEASE (6) and (10), third-party bits, with registrations")
            .cmd(THIN, reserve10(), vec![])
            .cmd(THIN, reserve10(), vec![])
            .cmd_as(OTHER, THIN, reserve10(), vec![])
            .cmd(THIN, release10(), vec![])
            .cmd_as(OTHER, THIN, reserve10(), vec![])
            .cmd_as(OTHER, THIN, release10(), vec![])
            .cmd(THIN, with_byte(reserve10(), 1, 0x10), vec![])
            .cmd(THIN, with_byte(release10(), 1, 0x02), vec![])
            .prout(HOST, THIN, pr::REGISTER, 0, 0, KEY)
            .cmd(THIN, reserve6(), vec![])
            .cmd_as(OTHER, THIN, release6(), vec![])
            .done(),
    );
    v.push(
        case("reservations/prin", "READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL STATUS; bad SA")
            .prin(HOST, THIN, pr::READ_KEYS)
            .prin(HOST, THIN, pr::READ_RESERVATION)
            .prin(HOST, THIN, pr::REPORT_CAPABILITIES)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .prout(PORT, THIN, pr::REGISTER, 0, 0, KEY)
            .prout(REGISTRANT, THIN, pr::REGISTER_IGNORE, 0, 0, REGISTRANT_KEY)
            .prout(PORT, THIN, pr::RESERVE, 5, KEY, 0)
            .prin(HOST, THIN, pr::READ_KEYS)
            .prin(HOST, THIN, pr::READ_RESERVATION)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .cmd(THIN, persistent_reserve_in(pr::READ_FULL_STATUS, 20), vec![])
            .cmd(THIN, persistent_reserve_in(4, 1024), vec![])
            .cmd(THIN, persistent_reserve_in(0x1F, 1024), vec![])
            .cmd(THIN, with_byte(persistent_reserve_in(0, 1024), 2, 0x01), vec![])
            .done(),
    );
    v.push(
        case("reservations/register", "REGISTER, REGISTER AND IGNORE EXISTING KEY, unregister; APTPL, SPEC_I_PT")
            .prout(HOST, THIN, pr::REGISTER, 0, KEY, KEY)
            .prout(HOST, THIN, pr::REGISTER, 0, 0, 0)
            .prout(HOST, THIN, pr::REGISTER, 0, 0, KEY)
            .prout(HOST, THIN, pr::REGISTER, 0, REGISTRANT_KEY, KEY)
            .prout(HOST, THIN, pr::REGISTER_IGNORE, 0, 0x99, REGISTRANT_KEY)
            .prin(HOST, THIN, pr::READ_KEYS)
            .prout(HOST, THIN, pr::REGISTER, 0, REGISTRANT_KEY, 0)
            .prin(HOST, THIN, pr::READ_KEYS)
            .cmd(THIN, persistent_reserve_out(pr::REGISTER, 0), prout_list(0, KEY, 0x01))
            .cmd(THIN, persistent_reserve_out(pr::REGISTER, 0), prout_list(0, KEY, 0x08))
            .cmd(THIN, persistent_reserve_out(pr::REGISTER, 0), prout_list(0, KEY, 0x04))
            .cmd(THIN, with_byte(persistent_reserve_out(pr::REGISTER, 0), 8, 23), vec![0; 23])
            .cmd(THIN, persistent_reserve_out(7, 0), prout_list(KEY, 0, 0))
            .prout(OTHER, THIN, pr::RESERVE, 1, 0, 0)
            .prout(HOST, THIN, pr::RESERVE, 2, KEY, 0)
            .prout(HOST, THIN, pr::RESERVE, 1, KEY, 0)
            .prout(HOST, THIN, pr::RESERVE, 3, KEY, 0)
            .prout(HOST, THIN, pr::RELEASE, 3, KEY, 0)
            .prout(OTHER, THIN, pr::RELEASE, 1, 0, 0)
            .prout(HOST, THIN, pr::RELEASE, 1, KEY, 0)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .done(),
    );
    v.push(
        case("reservations/preempt-and-clear", "PREEMPT, PREEMPT AND ABORT, CLEAR; unknown keys and key zero")
            .bins(&["PREEMPT of the holder", "PREEMPT of all registrants"])
            .reserved(THIN, 1)
            .prout(OTHER, THIN, pr::REGISTER, 0, 0, REGISTRANT_KEY)
            .prout(REGISTRANT, THIN, pr::PREEMPT, 3, REGISTRANT_KEY, KEY)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .prout(REGISTRANT, THIN, pr::PREEMPT, 3, REGISTRANT_KEY, 0x77)
            .prout(REGISTRANT, THIN, pr::PREEMPT, 3, REGISTRANT_KEY, 0)
            .prout(HOST, THIN, pr::REGISTER, 0, 0, KEY)
            .prout(HOST, THIN, pr::PREEMPT_AND_ABORT, 8, KEY, REGISTRANT_KEY)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .prout(OTHER, THIN, pr::REGISTER, 0, 0, REGISTRANT_KEY)
            .prout(OTHER, THIN, pr::PREEMPT, 5, REGISTRANT_KEY, 0)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .prout(HOST, THIN, pr::CLEAR, 0, KEY, 0)
            .prout(OTHER, THIN, pr::CLEAR, 0, REGISTRANT_KEY, 0)
            .prin(HOST, THIN, pr::READ_FULL_STATUS)
            .done(),
    );
    let id = |lun: u16| cscd(&naa(lun), bs(lun) as u32);
    let list = |src, dst| copy_list(1, 0b00, &[id(THIN), id(THIN_B)], &[segment(src, dst, 4, 0, 100)]);
    v.push(
        case("reservations/xcopy", "EXTENDED COPY with an Exclusive Access source or destination LU")
            .bins(&["copy source reserved", "copy destination reserved"])
            .reserved(THIN_B, 3)
            .xcopy_as(OTHER, THIN, list(0, 0))
            .xcopy_as(OTHER, THIN, list(1, 0))
            .xcopy_as(OTHER, THIN, list(0, 1))
            .xcopy_as(HOST, THIN, list(1, 0))
            .xcopy_as(HOST, THIN, list(0, 1))
            .xcopy_as(REGISTRANT, THIN_B, list(0, 0))
            .cmd_as(OTHER, THIN, receive_copy_results(0x04, 1, 255), vec![])
            .done(),
    );
    v.push(
        case("reservations/block-commands", "COMPARE AND WRITE, WRITE SAME, UNMAP, SYNCHRONIZE CACHE, GET LBA STATUS")
            .reserved(THIN, 1)
            .cmd_as(OTHER, THIN, compare_and_write(0, 1), caw_data(current(THIN, 0, 1), blocks(9, 512, 1)))
            .cmd_as(OTHER, THIN, write_same16(0, 0, 4), blocks(9, 512, 1))
            .cmd_as(OTHER, THIN, write_same10(0, 0, 4), blocks(9, 512, 1))
            .cmd_as(OTHER, THIN, unmap(false, 24), unmap_list(&[(0, 4)]))
            .cmd_as(OTHER, THIN, synchronize_cache16(0, 0, 0), vec![])
            .cmd_as(OTHER, THIN, get_lba_status(0, 64), vec![])
            .cmd_as(HOST, THIN, compare_and_write(0, 1), caw_data(current(THIN, 0, 1), blocks(9, 512, 1)))
            .cmd_as(HOST, THIN, unmap(false, 24), unmap_list(&[(0, 4)]))
            .prout(HOST, THIN, pr::RELEASE, 1, KEY, 0)
            .prout(HOST, THIN, pr::RESERVE, 3, KEY, 0)
            .cmd_as(OTHER, THIN, get_lba_status(0, 64), vec![])
            .cmd_as(REGISTRANT, THIN, write_same16(0, 0, 4), blocks(9, 512, 1))
            .done(),
    );
    v
}
