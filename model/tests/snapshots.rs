//! Snapshots of the payloads hosts parse (INQUIRY, VPD pages, RECEIVE COPY RESULTS, REPORT SUPPORTED
//! OPERATION CODES, MODE SENSE) and of the sense bytes for a table of malformed CDBs and parameter lists.
//!
//! The snapshots were checked field by field against SPC-4/SBC-4 (and decoded offline with sg3_utils'
//! `sg_vpd --inhex` and `sg_decode_sense`) when they were accepted; a change to any byte fails here and
//! must be reviewed the same way (`cargo insta review`).

mod common;

use std::fmt::Write;

use common::*;
use offload_model::config::{TargetConfig, UnitConfig};
use offload_model::scsi::Target;

/// 16 bytes a line: offset, hex.
fn hexdump(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(s, "{:04x}  {}", i * 16, hex.join(" ")).unwrap();
    }
    s
}

fn target() -> Target {
    let units = vec![
        UnitConfig { blocks: 1 << 21, block_size: 512, ..UnitConfig::default() },
        UnitConfig { blocks: 1 << 18, block_size: 4096, thin: false, ..UnitConfig::default() },
    ];
    Target::new(TargetConfig { units, ..TargetConfig::default() }).unwrap()
}

#[test]
fn inquiry_and_vpd_pages() {
    let mut t = target();
    let mut out = String::new();
    writeln!(out, "standard INQUIRY (LUN 0)\n{}", hexdump(&good(&mut t, 0, inquiry(false, 0, 255), vec![]))).unwrap();
    for lun in [0u16, 1] {
        for page in [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2] {
            let data = good(&mut t, lun, inquiry(true, page, 1024), vec![]);
            writeln!(out, "VPD {page:02X}h (LUN {lun})\n{}", hexdump(&data)).unwrap();
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn capacity_mode_and_supported_opcodes() {
    let mut t = target();
    let mut out = String::new();
    for lun in [0u16, 1] {
        writeln!(out, "READ CAPACITY(16) (LUN {lun})\n{}", hexdump(&good(&mut t, lun, read_capacity16(32), vec![])))
            .unwrap();
        let rc10 = good(&mut t, lun, vec![0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], vec![]);
        writeln!(out, "READ CAPACITY(10) (LUN {lun})\n{}", hexdump(&rc10)).unwrap();
    }
    let mode_sense10 = vec![0x5A, 0x00, 0x3F, 0x00, 0, 0, 0, 0x04, 0x00, 0];
    writeln!(out, "MODE SENSE(10) all pages (LUN 1)\n{}", hexdump(&good(&mut t, 1, mode_sense10, vec![]))).unwrap();
    let rsoc_all = vec![0xA3, 0x0C, 0x00, 0, 0, 0, 0, 0, 0x10, 0x00, 0, 0];
    writeln!(out, "REPORT SUPPORTED OPERATION CODES, all\n{}", hexdump(&good(&mut t, 0, rsoc_all, vec![]))).unwrap();
    let rsoc_caw = vec![0xA3, 0x0C, 0x01, 0x89, 0, 0, 0, 0, 0x01, 0x00, 0, 0];
    writeln!(
        out,
        "REPORT SUPPORTED OPERATION CODES, COMPARE AND WRITE\n{}",
        hexdump(&good(&mut t, 0, rsoc_caw, vec![]))
    )
    .unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn receive_copy_results_payloads() {
    let mut t = target();
    let mut out = String::new();
    let params = good(&mut t, 0, receive_copy_results(0x03, 0, 1024), vec![]);
    writeln!(out, "OPERATING PARAMETERS\n{}", hexdump(&params)).unwrap();

    let naa = naa_of(&mut t, 0);
    fill_pattern(&mut t, 0, 0, 8, 512, 3);
    let ok = copy_list(7, 0b00, &[cscd(&naa, 512)], &[segment(0, 0, 8, 0, 1000), segment(0, 0, 0, 0, 0)]);
    good(&mut t, 0, extended_copy(ok.len() as u32), ok);
    writeln!(
        out,
        "COPY STATUS, list 7 (two segments, 8 blocks)\n{}",
        hexdump(&good(&mut t, 0, receive_copy_results(0, 7, 1024), vec![]))
    )
    .unwrap();
    writeln!(
        out,
        "FAILED SEGMENT DETAILS, list 7 (succeeded)\n{}",
        hexdump(&good(&mut t, 0, receive_copy_results(4, 7, 1024), vec![]))
    )
    .unwrap();

    // Segment 1 runs past the end of the unit: segment 0 is done, segment 1 fails before moving data.
    let last = (1u64 << 21) - 4;
    let bad = copy_list(8, 0b00, &[cscd(&naa, 512)], &[segment(0, 0, 8, 0, 2000), segment(0, 0, 8, 0, last)]);
    let failed = run(&mut t, 0, extended_copy(bad.len() as u32), bad);
    writeln!(out, "EXTENDED COPY list 8 sense\n{}", hexdump(&failed.sense)).unwrap();
    writeln!(out, "COPY STATUS, list 8\n{}", hexdump(&good(&mut t, 0, receive_copy_results(0, 8, 1024), vec![])))
        .unwrap();
    writeln!(
        out,
        "FAILED SEGMENT DETAILS, list 8\n{}",
        hexdump(&good(&mut t, 0, receive_copy_results(4, 8, 1024), vec![]))
    )
    .unwrap();
    insta::assert_snapshot!(out);
}

/// One malformed command: what it is, where it is sent, and its bytes.
struct Case {
    name: &'static str,
    lun: u16,
    cdb: Vec<u8>,
    data: Vec<u8>,
}

fn case(name: &'static str, lun: u16, cdb: Vec<u8>, data: Vec<u8>) -> Case {
    Case { name, lun, cdb, data }
}

fn malformed(naa: &[u8]) -> Vec<Case> {
    let id = |n: &[u8]| cscd(n, 512);
    let seg = segment(0, 0, 1, 0, 10);
    let with_header = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut p = copy_list(1, 0, &[id(naa)], std::slice::from_ref(&seg));
        f(&mut p);
        p
    };
    let caw_short = vec![0u8; 512];
    vec![
        case("unknown operation code", 0, vec![0xFF, 0, 0, 0, 0, 0], vec![]),
        case("empty CDB", 0, vec![], vec![]),
        case("CDB shorter than its command", 0, vec![0x28, 0, 0], vec![]),
        case(
            "unsupported service action of 9Eh",
            0,
            vec![0x9E, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![],
        ),
        case("NACA set in the control byte", 0, vec![0x00, 0, 0, 0, 0, 0x04], vec![]),
        case("reserved bit in TEST UNIT READY", 0, vec![0x00, 0x01, 0, 0, 0, 0], vec![]),
        case("LUN out of range", 9, vec![0x00, 0, 0, 0, 0, 0], vec![]),
        case("INQUIRY EVPD=0 with a page code", 0, inquiry(false, 0x83, 255), vec![]),
        case("INQUIRY unsupported VPD page", 0, inquiry(true, 0xB3, 255), vec![]),
        case("READ(16) past the end", 0, read16((1 << 21) - 1, 2), vec![]),
        case("READ(16) LBA wrap", 0, read16(u64::MAX, 1), vec![]),
        case(
            "READ(10) RDPROTECT",
            0,
            {
                let mut c = read10(0, 1);
                c[1] = 0x20;
                c
            },
            vec![],
        ),
        case("READ(16) over MAXIMUM TRANSFER LENGTH", 0, read16(0, 8193), vec![]),
        case("WRITE(10) data-out shorter than the transfer", 0, write10(0, 2), vec![0; 512]),
        case("COMPARE AND WRITE NOLB over the maximum (16)", 1, compare_and_write(0, 17), vec![0; 2 * 17 * 4096]),
        case("COMPARE AND WRITE wrong data-out length", 0, compare_and_write(0, 1), caw_short),
        case("COMPARE AND WRITE past the end", 0, compare_and_write((1 << 21) - 1, 2), vec![0; 2048]),
        case("WRITE SAME(10) PBDATA", 0, write_same10(0x04, 0, 1), vec![0; 512]),
        case("WRITE SAME(10) LBDATA", 0, write_same10(0x02, 0, 1), vec![0; 512]),
        case("WRITE SAME(16) ANCHOR without UNMAP", 0, write_same16(0x10, 0, 1), vec![0; 512]),
        case("WRITE SAME(16) UNMAP on a thick unit", 1, write_same16(0x08, 0, 1), vec![0; 4096]),
        case("WRITE SAME(16) WRPROTECT", 0, write_same16(0x40, 0, 1), vec![0; 512]),
        case("WRITE SAME(16) zero blocks with WSNZ", 0, write_same16(0, 0, 0), vec![0; 512]),
        case("WRITE SAME(16) over MAXIMUM WRITE SAME LENGTH", 0, write_same16(0, 0, 65_537), vec![0; 512]),
        case("WRITE SAME(16) NDOB with data-out", 0, write_same16(0x01, 0, 1), vec![0; 512]),
        case("WRITE SAME(10) data-out not one block", 0, write_same10(0, 0, 1), vec![0; 100]),
        case("UNMAP on a thick unit", 1, unmap(false, 24), unmap_list(&[(0, 1)])),
        case("UNMAP parameter list shorter than its header", 0, unmap(false, 6), vec![0; 6]),
        case("UNMAP too many descriptors", 0, unmap(false, 8 + 65 * 16), unmap_list(&vec![(0, 1); 65])),
        case("UNMAP data-out shorter than its parameter list", 0, unmap(false, 40), unmap_list(&[(0, 1)])),
        case("UNMAP past the end", 0, unmap(false, 24), unmap_list(&[((1 << 21) - 1, 2)])),
        case("GET LBA STATUS past the end", 0, get_lba_status(1 << 21, 64), vec![]),
        case("MODE SENSE(6) saved values", 0, vec![0x1A, 0, 0xCA, 0, 255, 0], vec![]),
        case("MODE SENSE(6) unsupported page", 0, vec![0x1A, 0, 0x1C, 0, 255, 0], vec![]),
        case("RECEIVE COPY RESULTS unknown list", 0, receive_copy_results(0, 99, 1024), vec![]),
        case("EXTENDED COPY list shorter than its header", 0, extended_copy(8), vec![0; 8]),
        case("EXTENDED COPY LIST ID USAGE 01b", 0, extended_copy(76), with_header(&|p| p[1] = 0x08)),
        case("EXTENDED COPY inline data", 0, extended_copy(76), with_header(&|p| p[15] = 1)),
        case("EXTENDED COPY segment list cut short", 0, extended_copy(75), with_header(&|p| p.truncate(75))),
        case("EXTENDED COPY unsupported CSCD type", 0, extended_copy(76), with_header(&|p| p[16] = 0xE0)),
        case("EXTENDED COPY unsupported segment type", 0, extended_copy(76), with_header(&|p| p[48] = 0x03)),
        case("EXTENDED COPY designator type not NAA", 0, extended_copy(76), with_header(&|p| p[21] = 0x02)),
        case("EXTENDED COPY CSCD ID above 07FFh", 0, extended_copy(76), with_header(&|p| p[52] = 0x08)),
        case("EXTENDED COPY destination index beyond the list", 0, extended_copy(76), with_header(&|p| p[55] = 1)),
        case(
            "EXTENDED COPY destination past the end",
            0,
            extended_copy(76),
            with_header(&|p| p[68..76].copy_from_slice(&(1u64 << 21).to_be_bytes())),
        ),
    ]
}

#[test]
fn sense_for_malformed_commands() {
    let mut out = String::new();
    for descriptor_sense in [false, true] {
        let mut config = TargetConfig { descriptor_sense, ..TargetConfig::default() };
        config.units = vec![
            UnitConfig { blocks: 1 << 21, block_size: 512, ..UnitConfig::default() },
            UnitConfig { blocks: 1 << 18, block_size: 4096, thin: false, ..UnitConfig::default() },
        ];
        config.limits.max_compare_and_write_blocks = 16;
        let mut t = Target::new(config).unwrap();
        let naa = naa_of(&mut t, 0);
        writeln!(out, "=== {} format", if descriptor_sense { "descriptor" } else { "fixed" }).unwrap();
        for c in malformed(&naa) {
            let r = run(&mut t, c.lun, c.cdb, c.data);
            assert_eq!(r.status, 2, "{} must be rejected", c.name);
            let hex: String = r.sense.iter().map(|b| format!("{b:02x}")).collect();
            writeln!(out, "{:<50} {hex}", c.name).unwrap();
        }
    }
    insta::assert_snapshot!(out);
}
