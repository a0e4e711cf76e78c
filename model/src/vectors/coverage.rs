//! Which case covers which bin — generated from the recorded cases, never kept by hand.
//!
//! Bins come from two places: the bins a case declares (boundaries, flags, situations), and the bins its
//! results reach, derived here: `COMMAND → outcome` for every command (outcome `GOOD` or the sense key /
//! ASC / ASCQ), `COMMAND @ N-byte blocks` for the unit it addressed, and `ORWRITE retried` for an ORWRITE
//! that had to issue its read and compare-and-write again. [`REQUIRED`] lists the bins the
//! catalogue must reach; a missing one fails `make vectors-check`.

use std::collections::BTreeMap;
use std::fmt::Write;

use offload_vectors::case::Case;

use crate::script::sense_summary;
use offload_scsi::{GOOD, RESERVATION_CONFLICT, command};

/// Bins the catalogue must reach: every command's success and error paths, and the boundaries.
pub const REQUIRED: &[&str] = &[
    "TEST UNIT READY → GOOD",
    "TEST UNIT READY → 5/25/00",
    "TEST UNIT READY → 5/24/00",
    "TEST UNIT READY → 2/04/02",
    "READ(6) → GOOD",
    "READ(6) → 5/21/00",
    "READ(6) → 5/24/00",
    "READ(6) → 3/11/00",
    "WRITE(6) → GOOD",
    "WRITE(6) → 5/21/00",
    "WRITE(6) → 5/24/00",
    "WRITE(6) → 7/27/00",
    "WRITE(6) → 7/27/02",
    "WRITE(6) → 3/0C/00",
    "READ(12) → GOOD",
    "READ(12) → 5/21/00",
    "READ(12) → 5/24/00",
    "READ(12) → 3/11/00",
    "WRITE(12) → GOOD",
    "WRITE(12) → 5/21/00",
    "WRITE(12) → 5/24/00",
    "WRITE(12) → 7/27/00",
    "WRITE ATOMIC(16) → GOOD",
    "WRITE ATOMIC(16) → 5/21/00",
    "WRITE ATOMIC(16) → 5/24/00",
    "WRITE ATOMIC(16) → 7/27/00",
    "WRITE ATOMIC(16) → 7/27/02",
    "PRE-FETCH(10) → CONDITION MET",
    "PRE-FETCH(10) → 5/21/00",
    "PRE-FETCH(10) → 2/04/02",
    "PRE-FETCH(16) → CONDITION MET",
    "PRE-FETCH(16) → 5/21/00",
    "PRE-FETCH(16) → 5/24/00",
    "START STOP UNIT → GOOD",
    "START STOP UNIT → 5/24/00",
    "READ(10) → 2/04/02",
    "WRITE(16) → 2/04/02",
    "WRITE(10) → 7/27/02",
    "COMPARE AND WRITE → 7/27/02",
    "WRITE SAME(16) → 7/27/02",
    "UNMAP → 7/27/02",
    "READ DEFECT DATA(10) → GOOD",
    "READ DEFECT DATA(10) → 5/24/00",
    "READ DEFECT DATA(12) → GOOD",
    "READ DEFECT DATA(12) → 5/24/00",
    "INQUIRY → GOOD",
    "INQUIRY → 5/24/00",
    "MODE SENSE(6) → GOOD",
    "MODE SENSE(6) → 5/24/00",
    "MODE SENSE(6) → 5/39/00",
    "MODE SENSE(10) → GOOD",
    "MODE SELECT(6) → GOOD",
    "MODE SELECT(6) → 5/24/00",
    "MODE SELECT(6) → 5/26/00",
    "MODE SELECT(6) → 5/1A/00",
    "MODE SELECT(10) → GOOD",
    "READ CAPACITY(10) → GOOD",
    "READ CAPACITY(16) → GOOD",
    "READ(10) → GOOD",
    "READ(10) → 5/21/00",
    "READ(16) → GOOD",
    "READ(16) → 5/21/00",
    "READ(16) → 5/24/00",
    "READ(16) → 5/25/00",
    "READ(16) → 3/11/00",
    "WRITE(10) → GOOD",
    "WRITE(10) → 5/24/00",
    "WRITE(16) → GOOD",
    "WRITE(16) → 5/21/00",
    "WRITE(16) → 5/24/00",
    "WRITE(16) → 7/27/00",
    "WRITE(16) → 3/0C/00",
    "COMPARE AND WRITE → GOOD",
    "COMPARE AND WRITE → E/1D/00",
    "COMPARE AND WRITE → 5/21/00",
    "COMPARE AND WRITE → 5/24/00",
    "COMPARE AND WRITE → 7/27/00",
    "VERIFY(10) → GOOD",
    "VERIFY(10) → E/1D/00",
    "VERIFY(10) → 3/11/00",
    "VERIFY(10) → 5/21/00",
    "VERIFY(10) → 5/24/00",
    "VERIFY(12) → GOOD",
    "VERIFY(12) → E/1D/00",
    "VERIFY(12) → 5/21/00",
    "VERIFY(12) → 5/24/00",
    "VERIFY(16) → GOOD",
    "VERIFY(16) → E/1D/00",
    "VERIFY(16) → 3/11/00",
    "VERIFY(16) → 5/21/00",
    "VERIFY(16) → 5/24/00",
    "WRITE AND VERIFY(10) → GOOD",
    "WRITE AND VERIFY(10) → 3/0C/00",
    "WRITE AND VERIFY(10) → 5/24/00",
    "WRITE AND VERIFY(10) → 7/27/00",
    "WRITE AND VERIFY(12) → GOOD",
    "WRITE AND VERIFY(12) → 5/24/00",
    "WRITE AND VERIFY(16) → GOOD",
    "WRITE AND VERIFY(16) → 3/0C/00",
    "WRITE AND VERIFY(16) → 5/21/00",
    "WRITE AND VERIFY(16) → 5/24/00",
    "ORWRITE(16) → GOOD",
    "ORWRITE(16) → 3/11/00",
    "ORWRITE(16) → 5/21/00",
    "ORWRITE(16) → 5/24/00",
    "ORWRITE(16) → 7/27/00",
    "SYNCHRONIZE CACHE(10) → GOOD",
    "SYNCHRONIZE CACHE(10) → 5/21/00",
    "SYNCHRONIZE CACHE(10) → 5/24/00",
    "SYNCHRONIZE CACHE(10) → 5/25/00",
    "SYNCHRONIZE CACHE(16) → GOOD",
    "SYNCHRONIZE CACHE(16) → 5/21/00",
    "SYNCHRONIZE CACHE(16) → 5/24/00",
    "WRITE SAME(10) → GOOD",
    "WRITE SAME(10) → 5/21/00",
    "WRITE SAME(10) → 5/24/00",
    "WRITE SAME(16) → GOOD",
    "WRITE SAME(16) → 5/21/00",
    "WRITE SAME(16) → 5/24/00",
    "WRITE SAME(16) → 7/27/00",
    "UNMAP → GOOD",
    "UNMAP → 5/20/00",
    "UNMAP → 5/1A/00",
    "UNMAP → 5/21/00",
    "UNMAP → 5/24/00",
    "UNMAP → 5/26/00",
    "UNMAP → 7/27/00",
    "GET LBA STATUS → GOOD",
    "GET LBA STATUS → 5/21/00",
    "EXTENDED COPY(LID1) → GOOD",
    "EXTENDED COPY(LID1) → 5/1A/00",
    "EXTENDED COPY(LID1) → 5/24/00",
    "EXTENDED COPY(LID1) → 5/26/00",
    "EXTENDED COPY(LID1) → 5/26/06",
    "EXTENDED COPY(LID1) → 5/26/07",
    "EXTENDED COPY(LID1) → 5/26/08",
    "EXTENDED COPY(LID1) → 5/26/09",
    "EXTENDED COPY(LID1) → A/0D/02",
    "EXTENDED COPY(LID1) → A/0D/03",
    "EXTENDED COPY(LID1) → A/00/00",
    "RECEIVE COPY STATUS(LID1) → GOOD",
    "RECEIVE COPY STATUS(LID1) → 5/24/00",
    "RECEIVE COPY OPERATING PARAMETERS → GOOD",
    "RECEIVE COPY FAILURE DETAILS(LID1) → GOOD",
    "REPORT LUNS → GOOD",
    "REPORT TARGET PORT GROUPS → GOOD",
    "REPORT TARGET PORT GROUPS → 5/24/00",
    "REPORT TARGET PORT GROUPS → 5/25/00",
    "REPORT SUPPORTED OPERATION CODES → GOOD",
    "REPORT SUPPORTED OPERATION CODES → 5/24/00",
    "(unsupported) → 5/20/00",
    "REQUEST SENSE → GOOD",
    "REQUEST SENSE → 5/24/00",
    "TEST UNIT READY → 6/29/00",
    "TEST UNIT READY → 6/29/02",
    "TEST UNIT READY → 6/29/03",
    "TEST UNIT READY → 6/29/07",
    "TEST UNIT READY → 6/2A/01",
    "READ CAPACITY(16) → 6/2A/09",
    "TEST UNIT READY → 6/3F/0E",
    "WRITE(16) → 6/29/03",
    "READ(10) → 6/29/00",
    "event logical_unit_reset",
    "event target_reset",
    "event nexus_loss",
    "event resize_unit",
    "event set_access",
    "power-on unit attention",
    "unit attention precedence",
    "unit attention superseded",
    "unit attention not queued twice",
    "INQUIRY under unit attention",
    "REPORT LUNS under unit attention",
    "REPORT LUNS clears 3F/0E",
    "unknown opcode under unit attention",
    "REQUEST SENSE reports the unit attention",
    "REQUEST SENSE DESC=1",
    "REQUEST SENSE DESC differs from D_SENSE",
    "REQUEST SENSE truncated",
    "REQUEST SENSE with nothing pending",
    "REQUEST SENSE to an unreachable LUN",
    "mode parameters changed: other nexuses only",
    "mode select without a change",
    "reset restores mode parameters",
    "RESERVE(6) → GOOD",
    "RESERVE(6) → RESERVATION CONFLICT",
    "RELEASE(6) → GOOD",
    "RELEASE(6) → RESERVATION CONFLICT",
    "RESERVE(10) → GOOD",
    "RESERVE(10) → RESERVATION CONFLICT",
    "RESERVE(10) → 5/24/00",
    "RELEASE(10) → GOOD",
    "PERSISTENT RESERVE IN(READ KEYS) → GOOD",
    "PERSISTENT RESERVE IN(READ RESERVATION) → GOOD",
    "PERSISTENT RESERVE IN(REPORT CAPABILITIES) → GOOD",
    "PERSISTENT RESERVE IN(READ FULL STATUS) → GOOD",
    "PERSISTENT RESERVE IN(READ KEYS) → 5/24/00",
    "PERSISTENT RESERVE OUT(REGISTER) → GOOD",
    "PERSISTENT RESERVE OUT(REGISTER) → RESERVATION CONFLICT",
    "PERSISTENT RESERVE OUT(REGISTER) → 5/26/00",
    "PERSISTENT RESERVE OUT(REGISTER) → 5/1A/00",
    "PERSISTENT RESERVE OUT(REGISTER AND IGNORE EXISTING KEY) → GOOD",
    "PERSISTENT RESERVE OUT(RESERVE) → GOOD",
    "PERSISTENT RESERVE OUT(RESERVE) → RESERVATION CONFLICT",
    "PERSISTENT RESERVE OUT(RESERVE) → 5/24/00",
    "PERSISTENT RESERVE OUT(RELEASE) → GOOD",
    "PERSISTENT RESERVE OUT(RELEASE) → 5/26/04",
    "PERSISTENT RESERVE OUT(CLEAR) → GOOD",
    "PERSISTENT RESERVE OUT(CLEAR) → RESERVATION CONFLICT",
    "PERSISTENT RESERVE OUT(PREEMPT) → GOOD",
    "PERSISTENT RESERVE OUT(PREEMPT) → RESERVATION CONFLICT",
    "PERSISTENT RESERVE OUT(PREEMPT) → 5/26/00",
    "PERSISTENT RESERVE OUT(PREEMPT AND ABORT) → GOOD",
    "READ(16) → RESERVATION CONFLICT",
    "WRITE(16) → RESERVATION CONFLICT",
    "MODE SENSE(6) → RESERVATION CONFLICT",
    "TEST UNIT READY → RESERVATION CONFLICT",
    "COMPARE AND WRITE → RESERVATION CONFLICT",
    "WRITE SAME(10) → RESERVATION CONFLICT",
    "WRITE SAME(16) → RESERVATION CONFLICT",
    "UNMAP → RESERVATION CONFLICT",
    "SYNCHRONIZE CACHE(16) → RESERVATION CONFLICT",
    "GET LBA STATUS → RESERVATION CONFLICT",
    "WE reservation × holder",
    "WE reservation × registrant",
    "WE reservation × unregistered",
    "EA reservation × unregistered",
    "WE-RO reservation × registrant",
    "WE-RO reservation × unregistered",
    "EA-RO reservation × unregistered",
    "WE-AR reservation × registrant",
    "EA-AR reservation × unregistered",
    "SPC-2 reservation × other",
    "copy source reserved",
    "copy destination reserved",
    "READ(16) @ 4096-byte blocks",
    "WRITE(16) @ 4096-byte blocks",
    "COMPARE AND WRITE @ 4096-byte blocks",
    "VERIFY(16) @ 4096-byte blocks",
    "WRITE AND VERIFY(16) @ 4096-byte blocks",
    "ORWRITE(16) @ 4096-byte blocks",
    "WRITE SAME(16) @ 4096-byte blocks",
    "UNMAP @ 4096-byte blocks",
    "EXTENDED COPY(LID1) @ 4096-byte blocks",
    "READ(6) @ 4096-byte blocks",
    "WRITE(12) @ 4096-byte blocks",
    "WRITE ATOMIC(16) @ 4096-byte blocks",
    "LBA 0",
    "last LBA",
    "capacity + 1",
    "LBA wrap",
    "zero length",
    "maximum length",
    "maximum length + 1",
    "forward overlap",
    "backward overlap",
    "across units",
    "access denied",
    "miscompare at first byte",
    "miscompare at last byte",
    "miscompare in a later block",
    "BYTCHK 00b",
    "BYTCHK 01b",
    "BYTCHK 11b",
    "ORWRITE retried",
    "medium error",
    "stopped unit",
    "software write protect",
    "atomic-write concurrency",
];

/// Every bin a case reaches: declared and derived.
pub fn bins_of(case: &Case) -> Vec<String> {
    let mut bins = case.bins.clone();
    bins.extend(case.events().map(|e| format!("event {}", e.kind())));
    for c in case.commands() {
        let name = command::lookup(&c.cdb).map_or("(unsupported)", |s| s.name);
        let outcome = match c.expect.status {
            GOOD => "GOOD".to_owned(),
            RESERVATION_CONFLICT => "RESERVATION CONFLICT".to_owned(),
            offload_scsi::CONDITION_MET => "CONDITION MET".to_owned(),
            _ => sense_summary(&c.expect.sense),
        };
        bins.push(format!("{name} → {outcome}"));
        // ORWRITE's read and compare-and-write issued again: another writer changed the range in between.
        if name == "ORWRITE(16)" && c.jobs.len() > 2 {
            bins.push("ORWRITE retried".to_owned());
        }
        if let Some(unit) = case.config.units.get(usize::from(c.lun)) {
            bins.push(format!("{name} @ {}-byte blocks", unit.block_size));
        }
    }
    bins.sort();
    bins.dedup();
    bins
}

/// The coverage table: every bin with the cases that reach it; required bins no case reaches are listed
/// as missing.
pub struct Coverage {
    pub bins: BTreeMap<String, Vec<String>>,
    pub missing: Vec<&'static str>,
}

pub fn coverage(cases: &[Case]) -> Coverage {
    let mut bins: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in cases {
        for bin in bins_of(case) {
            bins.entry(bin).or_default().push(case.name.clone());
        }
    }
    let missing = REQUIRED.iter().copied().filter(|r| !bins.contains_key(*r)).collect();
    Coverage { bins, missing }
}

impl Coverage {
    /// The markdown table `vectors/COVERAGE.md` holds.
    pub fn to_markdown(&self, cases: &[Case]) -> String {
        let fastpath = cases.iter().filter(|c| c.applies_to.fastpath).count();
        let rtl = cases.iter().filter(|c| c.applies_to.rtl).count();
        let commands: usize = cases.iter().map(|c| c.commands().count()).sum();
        let jobs: usize = cases.iter().flat_map(|c| c.commands()).map(|c| c.jobs.len()).sum();
        let required_hit = REQUIRED.len() - self.missing.len();
        let mut s = String::new();
        writeln!(s, "# Vector coverage\n").unwrap();
        writeln!(s, "Generated by `make vectors` from the cases in `data/`; do not edit.\n").unwrap();
        writeln!(s, "| total | |\n|---|---:|").unwrap();
        writeln!(s, "| cases | {} |", cases.len()).unwrap();
        writeln!(s, "| cases for the fast path | {fastpath} |").unwrap();
        writeln!(s, "| cases with engine jobs (RTL) | {rtl} |").unwrap();
        writeln!(s, "| commands | {commands} |").unwrap();
        writeln!(s, "| engine jobs | {jobs} |").unwrap();
        writeln!(s, "| bins reached | {} |", self.bins.len()).unwrap();
        writeln!(s, "| required bins reached | {required_hit} of {} |\n", REQUIRED.len()).unwrap();
        if !self.missing.is_empty() {
            writeln!(s, "Missing required bins: {}\n", self.missing.join(", ")).unwrap();
        }
        writeln!(s, "| bin | required | cases | reached by |\n|---|:-:|---:|---|").unwrap();
        for (bin, names) in &self.bins {
            let required = if REQUIRED.contains(&bin.as_str()) { "✓" } else { "" };
            let shown: Vec<&str> = names.iter().take(4).map(String::as_str).collect();
            let more = if names.len() > 4 { format!(" and {} more", names.len() - 4) } else { String::new() };
            writeln!(s, "| {bin} | {required} | {} | {}{more} |", names.len(), shown.join(", ")).unwrap();
        }
        s
    }
}
