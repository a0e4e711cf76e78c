//! Seed corpora from the golden vectors: every CDB, every EXTENDED COPY and UNMAP parameter list, and
//! every fast-path case as a command sequence. Seeds start the fuzzer at inputs that already pass the
//! decoders' first checks, so that coverage grows from deep inside the commands.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use offload_vectors::address::{Region, decode};
use offload_vectors::case::{Case, JobRecord, ReadError, read_cases};
use offload_vectors::job::{CompletionStatus, JobOp};
use sha2::{Digest, Sha256};

use crate::configs::INITIATORS;
use crate::sequence::{Command, DataOut, Sequence, implied_length};

/// The fuzz targets, each with the seeds built for it.
pub type Corpora = BTreeMap<&'static str, Vec<Vec<u8>>>;

/// Literal data-out up to this many bytes goes into a sequence seed as it is; longer data-out of the
/// length the CDB implies is regenerated from a fill byte (keeps seeds small).
const LITERAL_LIMIT: usize = 4096;

/// Reads every `*.jsonl` case file in `dir`, in name order.
pub fn read_vectors(dir: &Path) -> Result<Vec<Case>, ReadError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<io::Result<_>>()?;
    files.retain(|p| p.extension().is_some_and(|x| x == "jsonl"));
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        cases.extend(read_cases(io::BufReader::new(std::fs::File::open(file)?))?);
    }
    Ok(cases)
}

/// A fast-path case as a command sequence on the fuzz configuration closest to the case's (the
/// configurations differ from the cases', so the seed is a starting shape, not a replay).
fn sequence_of(case: &Case) -> Sequence {
    let configuration = u8::from(case.config.descriptor_sense);
    let commands = case
        .commands()
        .map(|c| {
            let restricted = case.config.access.grants.contains_key(&c.initiator);
            let block_size = case.config.units.get(usize::from(c.lun)).map_or(512, |u| u.block_size);
            let implied = implied_length(&c.cdb, block_size) == c.data_out.len() as u64;
            let data_out = if c.data_out.len() > LITERAL_LIMIT && implied {
                DataOut::Implied { adjust: 0, fill: c.data_out[0].max(1) }
            } else {
                DataOut::Literal(c.data_out.clone())
            };
            Command { initiator: u8::from(restricted), lun: c.lun.min(3) as u8, cdb: c.cdb.clone(), data_out }
        })
        .collect();
    Sequence { configuration, commands }
}

/// A case's engine jobs as an `engine_jobs_rtl` input (layout in `rtl_jobs`): one queue per queue the
/// case used (at most four), the model's memory latencies (16 and 8 cycles), no backpressure; each job
/// with its operation, block size, block count (cut to the target's longest), units and LBAs (low byte),
/// and a flipped compare byte where the model found a miscompare.
fn rtl_seed(case: &Case) -> Vec<u8> {
    let jobs: Vec<&JobRecord> = case.commands().flat_map(|c| &c.jobs).collect();
    let queues = jobs.iter().map(|r| r.completion.queue).max().map_or(1, |q| q.min(3) + 1);
    let mut out = vec![queues - 1, 15, 0, 7, 0, 0, 0];
    let place = |address: u64, shift: u8| match decode(address) {
        Region::Unit { unit, offset } => [unit as u8 & 0x7F, (offset >> shift) as u8],
        Region::Buffer { .. } => [0, 0],
    };
    for r in jobs {
        let job = &r.job;
        let big = job.block_shift == 12;
        let blocks = job.blocks.min(if big { 4 } else { 24 }) as u8;
        out.extend([r.completion.queue % queues, job.op as u8, u8::from(big) << 7 | blocks]);
        out.extend(place(job.dst, job.block_shift));
        match job.op {
            JobOp::Copy | JobOp::Pattern => out.extend(place(job.src, job.block_shift)),
            JobOp::CompareAndWrite | JobOp::Compare if r.completion.status == CompletionStatus::Miscompare => {
                out.extend([1, 0])
            }
            JobOp::CompareAndWrite | JobOp::Compare => out.push(0),
            JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => {}
        }
    }
    out
}

/// The seed corpora for every target.
pub fn corpora(cases: &[Case]) -> Corpora {
    let mut corpora = Corpora::new();
    let commands = || cases.iter().flat_map(Case::commands);
    let cdbs: Vec<Vec<u8>> = commands().map(|c| c.cdb.clone()).collect();
    corpora.insert("cdb_model", cdbs.clone());
    corpora.insert("cdb_fastpath", cdbs);
    let lists = |opcode: u8| -> Vec<Vec<u8>> {
        commands()
            .filter(|c| c.cdb.first() == Some(&opcode) && c.cdb.get(1).is_some_and(|b| b & 0x1F == 0))
            .map(|c| c.data_out.clone())
            .collect()
    };
    corpora.insert("xcopy_list", lists(0x83));
    corpora.insert("unmap_list", lists(0x42));
    corpora.insert(
        "command_sequence",
        cases.iter().filter(|c| c.applies_to.fastpath).map(|c| sequence_of(c).encode()).collect(),
    );
    corpora.insert("engine_jobs_rtl", cases.iter().filter(|c| c.applies_to.rtl).map(rtl_seed).collect());
    debug_assert!(INITIATORS.len() == 2, "the sequence layout has one initiator bit");
    corpora
}

/// The recorded sessions in `dir` (`iscsi_wire`'s seeds: every file but the README).
pub fn recorded_sessions(dir: &Path) -> io::Result<Vec<Vec<u8>>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<io::Result<_>>()?;
    paths.retain(|p| p.extension().is_none());
    paths.sort();
    paths.iter().map(std::fs::read).collect()
}

/// Writes each target's seeds to `dir/<target>/<sha-256 prefix>` (libFuzzer's corpus layout; equal
/// seeds collapse into one file). Returns the number of distinct seeds per target.
pub fn write_corpora(dir: &Path, corpora: &Corpora) -> io::Result<Vec<(&'static str, usize)>> {
    let mut counts = Vec::new();
    for (target, seeds) in corpora {
        let target_dir = dir.join(target);
        std::fs::create_dir_all(&target_dir)?;
        let mut names: Vec<String> = seeds.iter().map(|s| hex::encode(&Sha256::digest(s)[..20])).collect();
        for (name, seed) in names.iter().zip(seeds) {
            std::fs::write(target_dir.join(name), seed)?;
        }
        names.sort();
        names.dedup();
        counts.push((*target, names.len()));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> Vec<Case> {
        read_vectors(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/data")).expect("the golden vectors")
    }

    #[test]
    fn every_target_gets_seeds_from_the_vectors() {
        let cases = vectors();
        let corpora = corpora(&cases);
        for (target, seeds) in &corpora {
            assert!(!seeds.is_empty(), "{target} has no seeds");
        }
        let fast_cases = cases.iter().filter(|c| c.applies_to.fastpath).count();
        assert_eq!(corpora["command_sequence"].len(), fast_cases);
        assert_eq!(corpora["engine_jobs_rtl"].len(), cases.iter().filter(|c| c.applies_to.rtl).count());
    }

    #[test]
    fn every_seed_passes_its_target() {
        // The seeds are the vectors' inputs: the model and the fast path must agree on all of them. (The RTL
        // target's seeds run in make fuzz-smoke, which builds the RTL.)
        let corpora = corpora(&vectors());
        for (target, seeds) in corpora.iter().filter(|(t, _)| **t != "engine_jobs_rtl") {
            for seed in seeds {
                crate::targets::run(target, seed)
                    .unwrap_or_else(|e| panic!("{target} seed {}: {e}", hex::encode(seed)));
            }
        }
    }
}
