//! Replaying the golden vectors (`vectors/data/*.jsonl`) on the RTL: each case's engine jobs, one at a
//! time in commit order, each on the queue its recorded completion names, over the case's units (as
//! configured, with their bad blocks) and staging buffers (command `k`'s data-out in slot `k`, and a
//! buffer the front end set for a later round loaded before that round's first job), with
//! the memory timing of the case's parameters. Every completion must equal the recorded one (its
//! cycles within the tolerance of the model's prediction), and the units must end on the recorded
//! final media.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use offload_model::address::{Region, decode};
use offload_model::media::{Memory, UnitStore};
use offload_model::vectors::{final_media, load_initial};
use offload_vectors::case::{Case, JobRecord, read_cases};

use crate::harness::{Harness, HarnessConfig, HarnessError};
use crate::scoreboard::Mismatch;

#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: offload_vectors::case::ReadError },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}: no vector files (*.jsonl)")]
    Empty(PathBuf),
}

/// Reads a vector file, or every `*.jsonl` in a directory (sorted by name).
pub fn load(path: &Path) -> Result<Vec<Case>, VectorError> {
    let io = |source| VectorError::Io { path: path.to_owned(), source };
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_owned()]
    };
    if files.is_empty() {
        return Err(VectorError::Empty(path.to_owned()));
    }
    let mut cases = Vec::new();
    for file in files {
        let f = File::open(&file).map_err(|source| VectorError::Io { path: file.clone(), source })?;
        cases.extend(read_cases(BufReader::new(f)).map_err(|source| VectorError::Read { path: file.clone(), source })?);
    }
    Ok(cases)
}

/// A case's jobs in commit order, and the memory they start from.
pub fn setup(case: &Case) -> (Memory, Vec<&JobRecord>) {
    let commands: Vec<_> = case.commands().collect();
    let mut records: Vec<&JobRecord> = commands.iter().flat_map(|c| &c.jobs).collect();
    records.sort_by_key(|r| r.completion.commit);
    let mut memory = Memory::new(case.config.units.iter().map(UnitStore::new).collect());
    load_initial(&case.initial, &case.config, &mut memory);
    // Each staging buffer as long as the furthest any job reaches into it.
    let mut reach = BTreeMap::<u16, u64>::new();
    for r in &records {
        for range in r.job.ranges() {
            if let Region::Buffer { slot, offset } = decode(range.start) {
                let end = reach.entry(slot).or_default();
                *end = (*end).max(offset + range.end - range.start);
            }
        }
    }
    for (slot, end) in reach {
        let mut data = commands.get(usize::from(slot)).map(|c| c.data_out.clone()).unwrap_or_default();
        data.resize(end as usize, 0);
        memory.set_buffer(slot, data);
    }
    (memory, records)
}

/// How a case went.
#[derive(Clone, Debug, Default)]
pub struct CaseResult {
    pub jobs: u64,
    pub cycles: u64,
    pub samples: Vec<crate::scoreboard::CycleSample>,
    /// The RTL's coverage counts (feature `coverage`).
    pub coverage: Vec<u32>,
}

/// Replays one case. `config` gives the variant and trace; its timing is replaced by the case's.
pub fn replay(case: &Case, mut config: HarnessConfig) -> Result<Result<CaseResult, Mismatch>, HarnessError> {
    let (memory, records) = setup(case);
    let before: Vec<UnitStore> = memory.units.clone();
    config.timing = case.config.timing.clone();
    config.slave.read_latency = crate::memory::Latency::Fixed(case.config.timing.read_latency);
    config.slave.write_latency = crate::memory::Latency::Fixed(case.config.timing.write_latency);
    let mut h = Harness::new(config, memory)?;
    Ok(run(case, &mut h, &records, &before))
}

fn run(case: &Case, h: &mut Harness, records: &[&JobRecord], before: &[UnitStore]) -> Result<CaseResult, Mismatch> {
    for (k, r) in records.iter().enumerate() {
        // A later round's staging buffer, as the front end set it after the earlier rounds.
        if let Some(staging) = &r.staging {
            h.set_buffer(staging.slot, staging.data.clone());
        }
        h.submit(r.completion.queue, r.job.clone())
            .map_err(|e| Mismatch::new(h.cycle(), "queue", "a queue of the RTL", e))?;
        h.run_until_idle()?;
        let got = h.scoreboard().last.clone().expect("a job was checked");
        let want = &r.completion;
        let fields: [(&str, u64, u64); 7] = [
            ("status", want.status as u64, got.status.into()),
            ("queue", want.queue.into(), got.queue.into()),
            ("tag", want.tag.into(), got.tag.into()),
            ("blocks_done", want.blocks_done.into(), got.blocks_done.into()),
            ("miscompare_offset", want.miscompare_offset.into(), got.miscompare_offset.into()),
            ("fault_address", want.fault_address, got.fault_address),
            ("commit", k as u64, got.commit.into()),
        ];
        for (field, w, g) in fields {
            if w != g {
                return Err(
                    Mismatch::new(got.accepted_at, format!("{field} (recorded in {})", case.name), w, g).about(&got)
                );
            }
        }
    }
    h.finish()?;
    let digest = final_media(before, &h.memory().units).digest;
    if digest != case.final_media.digest {
        return Err(Mismatch::new(
            h.cycle(),
            format!("final media digest of {}", case.name),
            &case.final_media.digest,
            digest,
        ));
    }
    Ok(CaseResult {
        jobs: records.len() as u64,
        cycles: h.cycle(),
        samples: h.scoreboard().samples.clone(),
        coverage: h.rtl_coverage(),
    })
}
