//! Cases for VERIFY, WRITE AND VERIFY and ORWRITE: every BYTCHK form, miscompare offsets (first byte,
//! last byte, a later block), bad blocks, lengths and flags, and ORWRITE racing other writers.

use offload_vectors::cdb::*;

use super::{
    BIG_BLOCKS, BIG_BLOCKS_CAPACITY, BLOCKS, CaseSpec, HOST, MAX_TRANSFER, OTHER, PROTECTED, THICK, THIN, block,
    blocks, bs, case, caw_data, current, with_byte,
};

/// BYTCHK (byte 1, bits 2–1) values.
const MEDIUM: u8 = 0b00 << 1;
const COMPARE: u8 = 0b01 << 1;
const RESERVED: u8 = 0b10 << 1;
const ONE_BLOCK: u8 = 0b11 << 1;
const DPO: u8 = 0x10;
const FUA: u8 = 0x08;

/// `data` with byte `at` flipped.
fn flipped(mut data: Vec<u8>, at: usize) -> Vec<u8> {
    data[at] ^= 0x5A;
    data
}

pub fn verify_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    for (lun, capacity) in [(THIN, BLOCKS), (BIG_BLOCKS, BIG_BLOCKS_CAPACITY)] {
        let size = bs(lun);
        v.push(
            case(&format!("verify/match-{size}"), "BYTCHK 00b and 01b, (10)/(12)/(16), at LBA 0 and the last LBA")
                .bins(&["LBA 0", "last LBA", "BYTCHK 00b", "BYTCHK 01b"])
                .cmd(lun, verify(10, MEDIUM, 0, 4), vec![])
                .cmd(lun, verify(12, MEDIUM, capacity - 1, 1), vec![])
                .cmd(lun, verify(16, MEDIUM, capacity - 8, 8), vec![])
                .cmd(lun, verify(10, COMPARE, 0, 2), current(lun, 0, 2))
                .cmd(lun, verify(12, COMPARE, 3, 3), current(lun, 3, 3))
                .cmd(lun, verify(16, COMPARE, capacity - 1, 1), vec![0; size]) // never written
                .done(),
        );
    }
    let four = current(THIN, 4, 4);
    let last = four.len() - 1;
    v.push(
        case("verify/miscompare", "BYTCHK 01b: MISCOMPARE E/1D/00, INFORMATION the offset of the first difference")
            .bins(&["miscompare at first byte", "miscompare at last byte", "miscompare in a later block"])
            .cmd(THIN, verify(10, COMPARE, 4, 4), flipped(four.clone(), 0))
            .cmd(THIN, verify(12, COMPARE, 4, 4), flipped(four.clone(), last))
            .cmd(THIN, verify(16, COMPARE, 4, 4), flipped(flipped(four.clone(), 3 * 512 + 100), 3 * 512 + 200))
            .cmd(BIG_BLOCKS, verify(16, COMPARE, 1, 2), flipped(current(BIG_BLOCKS, 1, 2), 4096 + 7))
            .done(),
    );
    let x = block(40, 512);
    v.push(
        case("verify/one-block", "BYTCHK 11b: one block of data-out against every block of the range")
            .bins(&["BYTCHK 11b", "miscompare in a later block"])
            .cmd(THIN, write_same16(0, 100, 8), x.clone())
            .cmd(THIN, verify(16, ONE_BLOCK, 100, 8), x.clone())
            .cmd(THIN, verify(10, ONE_BLOCK, 100, 9), x.clone())
            .cmd(THIN, verify(12, ONE_BLOCK, 99, 2), x.clone())
            .cmd(THIN, verify(16, ONE_BLOCK, 100, 4), flipped(x.clone(), 200))
            .cmd(THIN, verify(16, ONE_BLOCK, 100, 0), vec![])
            .done(),
    );
    v.push(
        case("verify/bytchk-and-data-out", "BYTCHK 10b is reserved; a data-out other than BYTCHK implies: 5/24/00")
            .cmd(THIN, verify(10, RESERVED, 0, 1), vec![])
            .cmd(THIN, verify(16, COMPARE, 0, 2), current(THIN, 0, 1))
            .cmd(THIN, verify(12, MEDIUM, 0, 1), current(THIN, 0, 1))
            .cmd(THIN, verify(16, ONE_BLOCK, 0, 2), current(THIN, 0, 2))
            .cmd(THIN, verify(16, ONE_BLOCK, 0, 2), vec![])
            .done(),
    );
    v.push(
        case("verify/lengths", "zero length (also at LBA = capacity), the maximum, one more; past the end; wrap")
            .bins(&["zero length", "maximum length", "maximum length + 1", "capacity + 1", "LBA wrap"])
            .cmd(THIN, verify(10, COMPARE, 0, 0), vec![])
            .cmd(THIN, verify(16, MEDIUM, BLOCKS, 0), vec![])
            .cmd(THIN, verify(12, MEDIUM, BLOCKS + 1, 0), vec![])
            .cmd(THIN, verify(16, MEDIUM, 0, MAX_TRANSFER), vec![])
            .cmd(THIN, verify(16, COMPARE, 0, MAX_TRANSFER), current(THIN, 0, MAX_TRANSFER.into()))
            .cmd(THIN, verify(10, MEDIUM, 0, MAX_TRANSFER + 1), vec![])
            .cmd(THIN, verify(16, MEDIUM, BLOCKS, 1), vec![])
            .cmd(THIN, verify(10, COMPARE, BLOCKS - 1, 2), vec![0; 1024])
            .cmd(THIN, verify(16, MEDIUM, u64::MAX, 1), vec![])
            .cmd(THIN, verify(12, MEDIUM, u64::from(u32::MAX), 1), vec![])
            .done(),
    );
    v.push(
        case(
            "verify/flags-and-units",
            "DPO accepted; VRPROTECT and reserved bits refused; thick and write-protected units",
        )
        .cmd(THIN, verify(10, DPO | COMPARE, 0, 1), current(THIN, 0, 1))
        .cmd(THIN, verify(10, 0x20 | COMPARE, 0, 1), current(THIN, 0, 1))
        .cmd(THIN, verify(16, 0xE0, 0, 1), vec![])
        .cmd(THIN, verify(12, 0x08, 0, 1), vec![])
        .cmd(THIN, verify(10, 0x01, 0, 1), vec![])
        .cmd(THIN, with_byte(verify(16, MEDIUM, 0, 1), 14, 0x20), vec![])
        .cmd(THICK, verify(16, COMPARE, 200, 1), vec![0; 512])
        .cmd(PROTECTED, verify(10, COMPARE, 0, 1), current(PROTECTED, 0, 1))
        .done(),
    );
    let mut differs_before_bad = current(THIN, 8, 4);
    differs_before_bad[10] ^= 0xFF;
    v.push(
        case("verify/medium-error", "a bad block: MEDIUM ERROR 3/11/00 with its LBA, whatever the compare found")
            .bins(&["medium error"])
            .config(|c| {
                c.units[usize::from(THIN)].bad_blocks.insert(10);
            })
            .cmd(THIN, verify(16, MEDIUM, 8, 4), vec![])
            .cmd(THIN, verify(10, COMPARE, 8, 4), differs_before_bad)
            .cmd(THIN, verify(12, ONE_BLOCK, 10, 1), block(41, 512))
            .cmd(THIN, verify(16, COMPARE, 8, 2), current(THIN, 8, 2))
            .done(),
    );
    v
}

pub fn write_and_verify_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    for (lun, capacity) in [(THIN, BLOCKS), (BIG_BLOCKS, BIG_BLOCKS_CAPACITY)] {
        let size = bs(lun);
        v.push(
            case(&format!("write_and_verify/round-trip-{size}"), "BYTCHK 00b and 01b, (10)/(12)/(16), then READ")
                .bins(&["LBA 0", "last LBA", "BYTCHK 00b", "BYTCHK 01b"])
                .cmd(lun, write_and_verify(10, MEDIUM, 0, 2), blocks(50, size, 2))
                .cmd(lun, write_and_verify(12, COMPARE, capacity - 1, 1), blocks(51, size, 1))
                .cmd(lun, write_and_verify(16, COMPARE, 2, 3), blocks(52, size, 3))
                .cmd(lun, read16(0, 5), vec![])
                .cmd(lun, read16(capacity - 1, 1), vec![])
                .done(),
        );
    }
    v.push(
        case(
            "write_and_verify/bytchk",
            "BYTCHK 10b and 11b are reserved for WRITE AND VERIFY: 5/24/00, nothing written",
        )
        .cmd(THIN, write_and_verify(10, RESERVED, 0, 1), blocks(53, 512, 1))
        .cmd(THIN, write_and_verify(16, ONE_BLOCK, 0, 1), blocks(53, 512, 1))
        .cmd(THIN, read16(0, 1), vec![])
        .done(),
    );
    v.push(
        case("write_and_verify/lengths", "zero length, the maximum, one more; past the end; wrap; data-out mismatch")
            .bins(&["zero length", "maximum length", "maximum length + 1", "capacity + 1", "LBA wrap"])
            .cmd(THIN, write_and_verify(10, COMPARE, 0, 0), vec![])
            .cmd(THIN, write_and_verify(16, COMPARE, 100, MAX_TRANSFER), blocks(54, 512, MAX_TRANSFER as usize))
            .cmd(THIN, write_and_verify(12, MEDIUM, 0, MAX_TRANSFER + 1), blocks(54, 512, MAX_TRANSFER as usize + 1))
            .cmd(THIN, write_and_verify(16, MEDIUM, BLOCKS, 1), blocks(54, 512, 1))
            .cmd(THIN, write_and_verify(16, MEDIUM, u64::MAX, 1), blocks(54, 512, 1))
            .cmd(THIN, write_and_verify(10, COMPARE, 0, 2), blocks(54, 512, 1))
            .cmd(THIN, write_and_verify(12, COMPARE, 0, 1), blocks(54, 512, 2))
            .done(),
    );
    v.push(
        case("write_and_verify/flags-and-units", "DPO accepted; WRPROTECT refused; thick; write-protected 7/27/00")
            .cmd(THIN, write_and_verify(10, DPO | COMPARE, 30, 1), blocks(55, 512, 1))
            .cmd(THIN, write_and_verify(16, 0x40 | COMPARE, 30, 1), blocks(55, 512, 1))
            .cmd(THIN, write_and_verify(12, FUA, 30, 1), blocks(55, 512, 1))
            .cmd(THICK, write_and_verify(16, COMPARE, 200, 2), blocks(56, 512, 2))
            .cmd(THICK, read16(200, 2), vec![])
            .cmd(PROTECTED, write_and_verify(10, COMPARE, 0, 1), blocks(57, 512, 1))
            .done(),
    );
    v.push(
        case("write_and_verify/medium-error", "a bad block: WRITE ERROR 3/0C/00 at it, the blocks before it written")
            .bins(&["medium error"])
            .config(|c| {
                c.units[usize::from(THIN)].bad_blocks.insert(10);
            })
            .cmd(THIN, write_and_verify(16, COMPARE, 8, 4), blocks(58, 512, 4))
            .cmd(THIN, write_and_verify(10, MEDIUM, 10, 1), blocks(58, 512, 1))
            .cmd(THIN, read16(8, 2), vec![])
            .done(),
    );
    v
}

pub fn orwrite_cases() -> Vec<CaseSpec> {
    let mut v = Vec::new();
    for (lun, capacity) in [(THIN, BLOCKS), (BIG_BLOCKS, BIG_BLOCKS_CAPACITY)] {
        let size = bs(lun);
        v.push(
            case(&format!("orwrite/or-{size}"), "the medium ORed with the data-out: written data, zeros, the last LBA")
                .bins(&["LBA 0", "last LBA"])
                .cmd(lun, orwrite16(0, 0, 3), blocks(60, size, 3))
                .cmd(lun, read16(0, 3), vec![])
                .cmd(lun, orwrite16(0, capacity - 1, 1), blocks(61, size, 1))
                .cmd(lun, orwrite16(0, capacity - 1, 1), blocks(62, size, 1))
                .cmd(lun, read16(capacity - 1, 1), vec![])
                .done(),
        );
    }
    v.push(
        case("orwrite/all-ones-and-zeros", "OR with zeros changes nothing; OR with ones sets every bit")
            .cmd(THIN, orwrite16(0, 5, 2), vec![0; 1024])
            .cmd(THIN, orwrite16(0, 7, 1), vec![0xFF; 512])
            .cmd(THIN, read16(5, 3), vec![])
            .done(),
    );
    v.push(
        case("orwrite/lengths", "zero length, the maximum, one more; past the end; wrap; data-out mismatch")
            .bins(&["zero length", "maximum length", "maximum length + 1", "capacity + 1", "LBA wrap"])
            .cmd(THIN, orwrite16(0, 0, 0), vec![])
            .cmd(THIN, orwrite16(0, 0, MAX_TRANSFER), blocks(63, 512, MAX_TRANSFER as usize))
            .cmd(THIN, orwrite16(0, 0, MAX_TRANSFER + 1), blocks(63, 512, MAX_TRANSFER as usize + 1))
            .cmd(THIN, orwrite16(0, BLOCKS, 1), blocks(63, 512, 1))
            .cmd(THIN, orwrite16(0, BLOCKS - 1, 2), blocks(63, 512, 2))
            .cmd(THIN, orwrite16(0, u64::MAX, 1), blocks(63, 512, 1))
            .cmd(THIN, orwrite16(0, 0, 2), blocks(63, 512, 1))
            .done(),
    );
    v.push(
        case(
            "orwrite/flags-and-units",
            "DPO/FUA accepted; ORPROTECT, FUA_NV and reserved bits refused; thick; write-protected",
        )
        .cmd(THIN, orwrite16(DPO | FUA, 20, 1), blocks(64, 512, 1))
        .cmd(THIN, orwrite16(0x20, 20, 1), blocks(64, 512, 1))
        .cmd(THIN, orwrite16(0x02, 20, 1), blocks(64, 512, 1))
        .cmd(THIN, orwrite16(0x04, 20, 1), blocks(64, 512, 1))
        .cmd(THIN, with_byte(orwrite16(0, 20, 1), 14, 0x40), blocks(64, 512, 1))
        .cmd(THICK, orwrite16(0, 100, 2), blocks(65, 512, 2))
        .cmd(THICK, read16(100, 2), vec![])
        .cmd(PROTECTED, orwrite16(0, 0, 1), blocks(66, 512, 1))
        .done(),
    );
    v.push(
        case("orwrite/medium-error", "a bad block: the read fails, MEDIUM ERROR 3/11/00 at it, nothing written")
            .bins(&["medium error"])
            .config(|c| {
                c.units[usize::from(THIN)].bad_blocks.insert(10);
            })
            .cmd(THIN, orwrite16(0, 8, 4), blocks(67, 512, 4))
            .cmd(THIN, read16(8, 2), vec![])
            .done(),
    );
    v
}

/// ORWRITE arriving with other writers of the same blocks, in one concurrent group.
pub fn orwrite_concurrency_cases() -> Vec<CaseSpec> {
    let third = "iqn.2026-11.vectors:host-c";
    vec![
        case("concurrency/orwrite-race", "three ORWRITEs of one range from three hosts: the result is the OR of all")
            .together(vec![
                (HOST, THIN, orwrite16(0, 40, 4), blocks(70, 512, 4)),
                (OTHER, THIN, orwrite16(0, 40, 4), blocks(71, 512, 4)),
                (third, THIN, orwrite16(0, 41, 2), blocks(72, 512, 2)),
            ])
            .cmd(THIN, read16(40, 4), vec![])
            .done(),
        case("concurrency/orwrite-with-writes", "ORWRITE with a WRITE and a COMPARE AND WRITE over its blocks")
            .together(vec![
                (HOST, THIN, orwrite16(0, 30, 4), blocks(73, 512, 4)),
                (OTHER, THIN, write16(32, 4), blocks(74, 512, 4)),
                (OTHER, THIN, compare_and_write(30, 1), caw_data(current(THIN, 30, 1), blocks(75, 512, 1))),
            ])
            .cmd(THIN, read16(30, 6), vec![])
            .done(),
    ]
}
