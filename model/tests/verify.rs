//! VERIFY, WRITE AND VERIFY and ORWRITE (SBC-4): the BYTCHK forms, the jobs each issues (a read job, a
//! compare job on the compare-and-write unit, an ORWRITE's read then compare-and-write), miscompare
//! offsets, bad blocks, durability, and ORWRITE's atomicity against the other writers of a concurrent
//! group — judged by an independent serial simulation in the commit order the engines report.

mod common;

use common::*;
use offload_model::address::{Region, decode};
use offload_model::config::{Limits, UnitConfig};
use offload_model::engine::{CompletionStatus, JobOp};
use offload_model::scsi::{Request, Response, Target};
use offload_scsi::Durable;
use proptest::prelude::*;

const BS: usize = 512;
const MEDIUM: u8 = 0b00 << 1;
const COMPARE: u8 = 0b01 << 1;
const ONE_BLOCK: u8 = 0b11 << 1;

fn seeded() -> Target {
    let mut t = rw_target();
    fill_pattern(&mut t, 0, 0, 64, BS, 7);
    t
}

fn ops(r: &Response) -> Vec<JobOp> {
    r.jobs.iter().map(|j| j.job.op).collect()
}

fn is_buffer(address: u64) -> bool {
    matches!(decode(address), Region::Buffer { .. })
}

#[track_caller]
fn assert_miscompare_at(r: &Response, offset: u64) {
    let s = sense_of(r);
    assert_sense(&s, SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY);
    assert_eq!(s.information, Some(offset), "INFORMATION: offset of the first difference");
}

#[test]
fn medium_verification_reads_the_range_into_the_staging_buffer_and_returns_nothing() {
    let mut t = seeded();
    for len in [10, 12, 16] {
        let r = run(&mut t, 0, verify(len, MEDIUM, 3, 5), vec![]);
        assert_eq!((r.status, r.data_in.len()), (0, 0));
        assert_eq!(ops(&r), [JobOp::Copy]);
        let job = &r.jobs[0].job;
        assert_eq!(decode(job.src), Region::Unit { unit: 0, offset: 3 * BS as u64 }, "reads the medium");
        assert!(is_buffer(job.dst), "into the staging buffer");
        assert_eq!(job.blocks, 5);
    }
}

#[test]
fn a_byte_check_is_a_compare_job_that_writes_nothing() {
    let mut t = seeded();
    let before = read_blocks(&mut t, 0, 0, 64);
    let r = run(&mut t, 0, verify(16, COMPARE, 8, 4), patterned(8, 4, BS, 7));
    assert_eq!(r.status, 0);
    assert_eq!(ops(&r), [JobOp::Compare]);
    assert_eq!(r.jobs[0].completion.blocks_done, 0, "a compare writes nothing");
    assert!(is_buffer(r.jobs[0].job.src));
    assert_eq!(decode(r.jobs[0].job.dst), Region::Unit { unit: 0, offset: 8 * BS as u64 });
    assert_eq!(read_blocks(&mut t, 0, 0, 64), before);
}

#[test]
fn a_miscompare_reports_the_offset_of_the_first_difference_from_the_data_out() {
    let mut t = seeded();
    // (offsets flipped, the first of them): the first byte, the last, inside a later block, two at once.
    let cases: [(&[usize], usize); 4] =
        [(&[0], 0), (&[4 * BS - 1], 4 * BS - 1), (&[2 * BS + 77], 2 * BS + 77), (&[3 * BS + 1, BS + 9], BS + 9)];
    for len in [10, 12, 16] {
        for (flips, first) in cases {
            let mut data = patterned(20, 4, BS, 7);
            for &at in flips {
                data[at] ^= 0x81;
            }
            let r = run(&mut t, 0, verify(len, COMPARE, 20, 4), data);
            assert_miscompare_at(&r, first as u64);
            assert_eq!(r.jobs[0].completion.status, CompletionStatus::Miscompare);
        }
    }
}

#[test]
fn bytchk_11b_compares_every_block_with_the_one_block_of_data_out() {
    let mut t = seeded();
    let x = pattern(0, BS, 99);
    good(&mut t, 0, write_same16(0, 200, 6), x.clone());
    let r = run(&mut t, 0, verify(16, ONE_BLOCK, 200, 6), x.clone());
    assert_eq!(r.status, 0);
    assert_eq!(ops(&r), [JobOp::Pattern, JobOp::Compare], "replicated by the zero engine, then compared");
    // Block 203 differs at byte 17: the offset counts from the start of the range.
    let mut other = x.clone();
    other[17] ^= 1;
    good(&mut t, 0, write16(203, 1), other);
    assert_miscompare_at(&run(&mut t, 0, verify(10, ONE_BLOCK, 200, 6), x.clone()), (3 * BS + 17) as u64);
    // One block only, as the data-out.
    let s = check(&mut t, 0, verify(16, ONE_BLOCK, 200, 2), [x.clone(), x].concat());
    assert_invalid_cdb_field(&s, 1, Some(2));
}

#[test]
fn bytchk_10b_is_reserved_and_so_is_11b_for_write_and_verify() {
    let mut t = seeded();
    assert_invalid_cdb_field(&check(&mut t, 0, verify(10, 0b10 << 1, 0, 1), vec![]), 1, Some(2));
    for bytchk in [0b10 << 1, ONE_BLOCK] {
        let s = check(&mut t, 0, write_and_verify(16, bytchk, 0, 1), vec![0; BS]);
        assert_invalid_cdb_field(&s, 1, Some(2));
    }
}

#[test]
fn protection_fields_are_refused_without_protection_information() {
    // libiscsi test_verify10_vrprotect.c / test_writeverify10_wrprotect.c / test_orwrite_wrprotect.c: every
    // non-zero value, INVALID FIELD IN CDB.
    let mut t = seeded();
    for p in 1u8..8 {
        let flags = p << 5;
        assert_invalid_cdb_field(&check(&mut t, 0, verify(10, flags | COMPARE, 0, 1), vec![0; BS]), 1, Some(7));
        assert_invalid_cdb_field(&check(&mut t, 0, write_and_verify(12, flags, 0, 1), vec![0; BS]), 1, Some(7));
        assert_invalid_cdb_field(&check(&mut t, 0, orwrite16(flags, 0, 1), vec![0; BS]), 1, Some(7));
    }
}

#[test]
fn lengths_and_range() {
    let mut t = seeded();
    assert_eq!(good(&mut t, 0, verify(10, COMPARE, 0, 0), vec![]), Vec::<u8>::new());
    assert_lba_out_of_range(&check(&mut t, 0, verify(10, MEDIUM, BLOCKS + 1, 0), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, verify(16, MEDIUM, BLOCKS - 1, 2), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, verify(16, MEDIUM, u64::MAX, 1), vec![]));
    assert_invalid_cdb_field(&check(&mut t, 0, verify(12, MEDIUM, 0, 65), vec![]), 6, None);
    assert_invalid_cdb_field(&check(&mut t, 0, verify(16, COMPARE, 0, 2), vec![0; BS]), 10, None);
    assert_invalid_cdb_field(&check(&mut t, 0, write_and_verify(10, COMPARE, 0, 2), vec![0; BS]), 7, None);
    assert_invalid_cdb_field(&check(&mut t, 0, orwrite16(0, 0, 65), vec![0; 65 * BS]), 10, None);
    assert_lba_out_of_range(&check(&mut t, 0, orwrite16(0, BLOCKS, 1), vec![0; BS]));
    assert_eq!(run(&mut t, 0, orwrite16(0, 5, 0), vec![]).jobs.len(), 0, "zero length: nothing to do");
}

#[test]
fn a_bad_block_fails_verification_with_its_lba_and_write_and_verify_at_the_write() {
    let mut t = bad_block_target();
    for bytchk in [MEDIUM, COMPARE] {
        let data = if bytchk == MEDIUM { vec![] } else { vec![0; 4 * BS] };
        let s = sense_of(&run(&mut t, 0, verify(16, bytchk, 98, 4), data));
        assert_sense(&s, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
        assert_eq!(s.information, Some(100));
    }
    let s = sense_of(&run(&mut t, 0, write_and_verify(16, COMPARE, 98, 4), patterned(98, 4, BS, 3)));
    assert_sense(&s, SenseKey::MEDIUM_ERROR, Asc::WRITE_ERROR);
    assert_eq!(s.information, Some(100));
    assert_eq!(read_blocks(&mut t, 0, 98, 2), patterned(98, 2, BS, 3), "the blocks before it were written");
    let s = sense_of(&run(&mut t, 0, orwrite16(0, 99, 2), vec![0xFF; 2 * BS]));
    assert_sense(&s, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
    assert_eq!(s.information, Some(100));
    assert_eq!(read_blocks(&mut t, 0, 99, 1), patterned(99, 1, BS, 3), "ORWRITE wrote nothing");
}

fn with_write_cache(on: bool) -> Target {
    let u = UnitConfig { write_cache: on, ..unit(BLOCKS, BS as u32, true) };
    target(vec![u], Limits::default())
}

#[test]
fn write_and_verify_is_durable_before_good_whatever_the_write_cache() {
    for wce in [true, false] {
        let mut t = with_write_cache(wce);
        for (bytchk, ops_expected) in [(MEDIUM, [JobOp::Copy, JobOp::Copy]), (COMPARE, [JobOp::Copy, JobOp::Compare])] {
            let r = run(&mut t, 0, write_and_verify(10, bytchk, 40, 3), patterned(40, 3, BS, 1));
            assert_eq!(r.status, 0);
            assert_eq!(ops(&r), ops_expected, "the write, then its verification, in one batch");
            assert_eq!(r.durable, [Durable { lun: 0, lba: 40, blocks: 3 }], "WCE={wce}");
        }
        // A plain WRITE is durable at once only without the write cache: the contrast.
        let r = run(&mut t, 0, write10(40, 3), patterned(40, 3, BS, 1));
        assert_eq!(r.durable.is_empty(), wce);
    }
}

#[test]
fn verify_writes_nothing_so_nothing_must_be_durable() {
    let mut t = with_write_cache(false);
    good(&mut t, 0, write16(0, 4), patterned(0, 4, BS, 2));
    for (bytchk, data) in [(MEDIUM, vec![]), (COMPARE, patterned(0, 4, BS, 2))] {
        let r = run(&mut t, 0, verify(16, bytchk, 0, 4), data);
        assert_eq!((r.status, r.durable.len()), (0, 0));
    }
}

#[test]
fn orwrite_ors_the_data_out_into_the_medium() {
    let mut t = seeded();
    let data: Vec<u8> = (0..4 * BS).map(|i| (i * 13 % 251) as u8 & 0xA5).collect();
    let before = read_blocks(&mut t, 0, 62, 4); // two written blocks, two never written (zeros)
    let r = run(&mut t, 0, orwrite16(0, 62, 4), data.clone());
    assert_eq!(r.status, 0);
    assert_eq!(ops(&r), [JobOp::Copy, JobOp::CompareAndWrite], "read, then compare-and-write");
    let expected: Vec<u8> = before.iter().zip(&data).map(|(m, d)| m | d).collect();
    assert_eq!(read_blocks(&mut t, 0, 62, 4), expected);
    assert_eq!(lba_status(&mut t, 0, 64)[0].2, MAPPED, "the ORed blocks are mapped");
}

#[test]
fn orwrite_is_durable_with_fua_or_without_the_write_cache() {
    for (wce, fua, durable) in [(true, false, false), (true, true, true), (false, false, true)] {
        let mut t = with_write_cache(wce);
        let r = run(&mut t, 0, orwrite16(if fua { 0x08 } else { 0 }, 7, 2), vec![0x11; 2 * BS]);
        assert_eq!(r.status, 0);
        let expected = if durable { vec![Durable { lun: 0, lba: 7, blocks: 2 }] } else { vec![] };
        assert_eq!(r.durable, expected, "WCE={wce} FUA={fua}");
    }
}

// ==== ORWRITE against the other writers of its group ====

/// A writer of the region in a concurrent group.
#[derive(Clone, Debug)]
enum Writer {
    Or {
        lba: u64,
        blocks: u32,
        salt: u8,
    },
    Write {
        lba: u64,
        blocks: u32,
        salt: u8,
    },
    /// COMPARE AND WRITE whose compare data is the region's initial contents.
    Caw {
        lba: u64,
        salt: u8,
    },
}

const REGION: u64 = 12;

fn writer() -> impl Strategy<Value = Writer> {
    let range = (0..REGION - 1).prop_flat_map(|lba| (Just(lba), 1..=(REGION - lba).min(4) as u32));
    prop_oneof![
        (range.clone(), any::<u8>()).prop_map(|((lba, blocks), salt)| Writer::Or { lba, blocks, salt }),
        (range, any::<u8>()).prop_map(|((lba, blocks), salt)| Writer::Write { lba, blocks, salt }),
        (0..REGION, any::<u8>()).prop_map(|(lba, salt)| Writer::Caw { lba, salt }),
    ]
}

/// Sparse bits, so that an OR rarely leaves a block unchanged.
fn or_data(lba: u64, blocks: u32, salt: u8) -> Vec<u8> {
    patterned(lba, blocks.into(), BS, salt).iter().map(|b| b & 0x11).collect()
}

fn requests(writers: &[(u8, Writer)], initial: &[u8]) -> Vec<Request> {
    let hosts = ["iqn.t:a", "iqn.t:b", "iqn.t:c"];
    writers
        .iter()
        .map(|(host, w)| {
            let (cdb, data) = match *w {
                Writer::Or { lba, blocks, salt } => (orwrite16(0, lba, blocks), or_data(lba, blocks, salt)),
                Writer::Write { lba, blocks, salt } => (write16(lba, blocks), patterned(lba, blocks.into(), BS, salt)),
                Writer::Caw { lba, salt } => {
                    let at = lba as usize * BS;
                    (compare_and_write(lba, 1), [&initial[at..at + BS], &pattern(lba, BS, salt)[..]].concat())
                }
            };
            request_from(hosts[usize::from(*host) % 3], 0, cdb, data)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever the interleaving, the region ends as a serial execution of the group's writes in the
    /// order they took effect (the commit of each command's writing job): ORWRITE ORs into what the
    /// medium held at that moment — never into a stale read — and a COMPARE AND WRITE writes iff the
    /// medium matched then. Every ORWRITE succeeds, within its bound of attempts.
    #[test]
    fn orwrite_is_atomic_against_concurrent_writers(writers in prop::collection::vec((0u8..3, writer()), 2..6)) {
        let mut t = seeded();
        let initial = read_blocks(&mut t, 0, 0, REGION as u32);
        let group = requests(&writers, &initial);
        let responses = t.execute_concurrently(&group);

        // The independent judge: each command's effect, applied in the commit order of the job that had it.
        let mut effects: Vec<(u32, usize)> = Vec::new();
        for (i, r) in responses.iter().enumerate() {
            let last = r.jobs.last().expect("every writer issued jobs");
            effects.push((last.completion.commit, i));
        }
        effects.sort();
        let mut medium = initial.clone();
        for (_, i) in effects {
            let r = &responses[i];
            match writers[i].1 {
                Writer::Or { lba, blocks, salt } => {
                    prop_assert_eq!(r.status, 0, "ORWRITE never fails for a race");
                    prop_assert!(r.jobs.len() <= 2 * (group.len() + 1), "bounded attempts: {}", r.jobs.len());
                    let at = lba as usize * BS;
                    for (m, d) in medium[at..].iter_mut().zip(or_data(lba, blocks, salt)) {
                        *m |= d;
                    }
                }
                Writer::Write { lba, blocks, salt } => {
                    prop_assert_eq!(r.status, 0);
                    let at = lba as usize * BS;
                    medium[at..at + blocks as usize * BS].copy_from_slice(&patterned(lba, blocks.into(), BS, salt));
                }
                Writer::Caw { lba, salt } => {
                    let at = lba as usize * BS;
                    let matches = medium[at..at + BS] == initial[at..at + BS];
                    prop_assert_eq!(r.status == 0, matches, "COMPARE AND WRITE writes iff the medium matched");
                    if matches {
                        medium[at..at + BS].copy_from_slice(&pattern(lba, BS, salt));
                    }
                }
            }
        }
        prop_assert_eq!(read_blocks(&mut t, 0, 0, REGION as u32), medium);
    }
}

#[test]
fn racing_orwrites_retry_and_every_bit_survives() {
    let mut t = seeded();
    let initial = read_blocks(&mut t, 0, 30, 2);
    let data: Vec<Vec<u8>> = (0..3).map(|k| (0..2 * BS).map(|i| 1u8 << ((i + k) % 8)).collect()).collect();
    let group: Vec<Request> = ["iqn.t:a", "iqn.t:b", "iqn.t:c"]
        .iter()
        .zip(&data)
        .map(|(host, d)| request_from(host, 0, orwrite16(0, 30, 2), d.clone()))
        .collect();
    let responses = t.execute_concurrently(&group);
    assert!(responses.iter().all(|r| r.status == 0));
    let retried = responses.iter().filter(|r| r.jobs.len() > 2).count();
    assert!(retried >= 1, "reads of one range before any write: the later compare-and-writes miscompare");
    let expected: Vec<u8> = (0..2 * BS).map(|i| initial[i] | data[0][i] | data[1][i] | data[2][i]).collect();
    assert_eq!(read_blocks(&mut t, 0, 30, 2), expected);
}
