//! The catalogue of golden-vector cases: every supported command, its error paths and its boundaries.
//!
//! All cases share one small target ([`base_config`]) whose limits are low, so that "maximum" and
//! "maximum + 1" cost little, and whose units are small, so that the memory images a test bench loads
//! stay small. Each case lists the bins it was written for; the command × outcome bins are derived from
//! what the model answered (see [`super::coverage`]).

use offload_vectors::case::{BlockData, Extent, InitialMedia};
use offload_vectors::cdb::*;

use super::CaseSpec;
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
        self.spec.steps.push(vec![Request { initiator: initiator.to_owned(), lun, cdb, data_out }]);
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
        let step = requests
            .into_iter()
            .map(|(i, lun, cdb, data_out)| Request { initiator: i.to_owned(), lun, cdb, data_out })
            .collect();
        self.spec.steps.push(step);
        self
    }

    fn done(self) -> CaseSpec {
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
    all.extend(compare_and_write_cases());
    all.extend(verify::verify_cases());
    all.extend(verify::write_and_verify_cases());
    all.extend(verify::orwrite_cases());
    all.extend(synchronize_cache_cases());
    all.extend(write_same_cases());
    all.extend(unmap_cases());
    all.extend(lba_status_cases());
    all.extend(extended_copy_cases());
    all.extend(copy_results_cases());
    all.extend(concurrency_cases());
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
    ]
}
