//! Writing the golden vectors: each case of the [`catalogue`] is run on a fresh target and recorded —
//! configuration, initial media, every command with the model's answer and the engine jobs it issued,
//! and the final media — in the schema of `offload_vectors::case`. [`coverage`] derives which bins the
//! cases reach.

pub mod catalogue;
pub mod coverage;

use offload_vectors::case::{
    AppliesTo, BlockRun, Case, Command, Event, Expected, FinalMedia, InitialMedia, ProvisioningRun, SCHEMA_VERSION,
    Step,
};
use offload_vectors::media::MediaDigest;

use crate::config::TargetConfig;
use crate::media::{Memory, UnitStore};
use crate::scsi::{Request, Target};

/// A case before it is run: what to set up and what to send.
#[derive(Clone, Debug)]
pub struct CaseSpec {
    pub name: String,
    pub description: String,
    pub bins: Vec<String>,
    pub config: TargetConfig,
    pub initial: InitialMedia,
    /// Arrivals; each is one request or several that arrive together, after its events.
    pub steps: Vec<StepSpec>,
}

/// One arrival before it is run.
#[derive(Clone, Debug, Default)]
pub struct StepSpec {
    pub events: Vec<Event>,
    pub requests: Vec<Request>,
}

impl From<Vec<Request>> for StepSpec {
    fn from(requests: Vec<Request>) -> Self {
        StepSpec { events: Vec::new(), requests }
    }
}

/// Makes `event` happen to the target.
pub fn apply(target: &mut Target, event: &Event) {
    match event {
        Event::LogicalUnitReset { initiator, lun } => target.logical_unit_reset(initiator, *lun),
        Event::TargetReset { initiator } => target.target_reset(initiator),
        Event::NexusLoss { initiator } => target.nexus_loss(initiator),
        Event::ResizeUnit { lun, blocks } => {
            target.resize_unit(*lun, *blocks).unwrap_or_else(|e| panic!("resize unit {lun}: {e}"))
        }
        Event::SetAccess { access } => target.set_access(access.clone()),
    }
}

/// Whether the software fast path executes the command `cdb` names (the shared command table says).
fn in_fast_path(cdb: &[u8]) -> bool {
    offload_scsi::command::lookup(cdb).is_ok_and(|spec| spec.command.in_fast_path())
}

/// Loads the initial media into a target's unit stores.
pub fn load_initial(initial: &InitialMedia, config: &TargetConfig, memory: &mut Memory) {
    initial.for_each_block(config, |lun, lba, data| memory.units[usize::from(lun)].load_block(lba, data));
}

/// Runs a case on the model and records it.
pub fn record(spec: &CaseSpec) -> Case {
    let mut target = Target::new(spec.config.clone()).unwrap_or_else(|e| panic!("case {}: {e}", spec.name));
    load_initial(&spec.initial, &spec.config, &mut target.memory);
    let before = target.memory.clone();
    let steps: Vec<Step> = spec
        .steps
        .iter()
        .map(|step| {
            for event in &step.events {
                apply(&mut target, event);
            }
            let responses = target.execute_concurrently(&step.requests);
            let commands = step
                .requests
                .iter()
                .zip(responses)
                .map(|(r, a)| Command {
                    initiator: r.initiator.clone(),
                    lun: r.lun,
                    cdb: r.cdb.clone(),
                    data_out: r.data_out.clone(),
                    expect: Expected { status: a.status, sense: a.sense, data_in: a.data_in },
                    jobs: a.jobs,
                })
                .collect();
            Step { events: step.events.clone(), commands }
        })
        .collect();
    // The fast path has no events: a case with some is the model's (and the iSCSI back ends' tests').
    let fastpath =
        spec.steps.iter().all(|s| s.events.is_empty() && s.requests.len() == 1 && in_fast_path(&s.requests[0].cdb));
    // The RTL's bench memory has the configured capacities: a case that resizes a unit is not replayed.
    let resized = spec.steps.iter().flat_map(|s| &s.events).any(|e| matches!(e, Event::ResizeUnit { .. }));
    let rtl = !resized && steps.iter().flat_map(|s| &s.commands).any(|c| !c.jobs.is_empty());
    Case {
        schema_version: SCHEMA_VERSION,
        name: spec.name.clone(),
        description: spec.description.clone(),
        bins: spec.bins.clone(),
        applies_to: AppliesTo { fastpath, rtl },
        config: spec.config.clone(),
        initial: spec.initial.clone(),
        steps,
        final_media: final_media(&before.units, &target.memory.units),
    }
}

/// Digest, changed blocks and provisioning of the units after a case.
pub fn final_media(before: &[UnitStore], after: &[UnitStore]) -> FinalMedia {
    let mut digest = MediaDigest::default();
    let mut changed: Vec<BlockRun> = Vec::new();
    let mut provisioning = Vec::new();
    for (lun, (old, new)) in before.iter().zip(after).enumerate() {
        let lun = lun as u16;
        for (lba, data) in new.nonzero_blocks() {
            digest.block(lun, lba, data);
        }
        let bs = new.block_size() as usize;
        let (mut was, mut now) = (vec![0u8; bs], vec![0u8; bs]);
        for lba in new.dirty_blocks() {
            let readable = old.read_block(lba, &mut was).is_ok() && new.read_block(lba, &mut now).is_ok();
            if !readable || was == now {
                continue;
            }
            match changed.last_mut() {
                Some(run) if run.lun == lun && run.lba + run.blocks == lba && run.block == now => run.blocks += 1,
                _ => changed.push(BlockRun { lun, lba, blocks: 1, block: now.clone() }),
            }
        }
        if new.is_thin() {
            let mut lba = 0;
            while lba < new.blocks() {
                let (state, run) = new.provisioning_run(lba, new.blocks() - lba);
                provisioning.push(ProvisioningRun { lun, lba, blocks: run, state });
                lba += run;
            }
        }
    }
    FinalMedia { digest: digest.finish(), changed, provisioning }
}

/// Why a case has no `$readmemh` export.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MemhSkip {
    #[error("no engine jobs")]
    NoJobs,
    #[error("the front end sets a staging buffer between jobs (a plan of rounds)")]
    FrontEndStaging,
    #[error("memory at {0:#x} lies outside the bench memory")]
    OutOfBench(u64),
}

/// The `$readmemh` files of a case (see `offload_vectors::memh`): its jobs replayed alone in commit
/// order with the engines' semantics on the initial memory — units as set up, staging buffers holding
/// each command's data-out — give the expected completions and the final image. The replay must end on
/// the case's final media; a case whose jobs ran concurrently replays to the same result because commit
/// order is a serial order.
pub fn memh_files(case: &offload_vectors::case::Case) -> Result<Vec<(&'static str, String)>, MemhSkip> {
    use offload_vectors::memh::{encode_completion, encode_job, image, word_hex};

    let commands: Vec<_> = case.commands().collect();
    let mut records: Vec<_> = commands.iter().flat_map(|c| &c.jobs).collect();
    if records.is_empty() {
        return Err(MemhSkip::NoJobs);
    }
    // The images load once, before the first job: a buffer the front end sets later has no place in them.
    if records.iter().any(|r| r.staging.is_some()) {
        return Err(MemhSkip::FrontEndStaging);
    }
    records.sort_by_key(|r| r.completion.commit);

    let mut memory = Memory::new(case.config.units.iter().map(UnitStore::new).collect());
    load_initial(&case.initial, &case.config, &mut memory);
    // Command k took staging-buffer slot k; a buffer is as large as the jobs that reach into it.
    let mut buffer_len = std::collections::BTreeMap::<u16, u64>::new();
    for r in &records {
        for range in r.job.ranges() {
            if let crate::address::Region::Buffer { slot, offset } = crate::address::decode(range.start) {
                let len = buffer_len.entry(slot).or_default();
                *len = (*len).max(offset + (range.end - range.start));
            }
        }
    }
    let initial_buffer = |slot: u16, len: u64| {
        let mut b = commands.get(usize::from(slot)).map_or_else(Vec::new, |c| c.data_out.clone());
        b.resize(len as usize, 0);
        b
    };
    for (&slot, &len) in &buffer_len {
        memory.set_buffer(slot, initial_buffer(slot, len));
    }
    // The images hold what the jobs touch: every block of every job's ranges, and the buffers.
    let mut touched = std::collections::BTreeSet::<(u16, u64, u32)>::new();
    for r in &records {
        for range in r.job.ranges() {
            if let crate::address::Region::Unit { unit, offset } = crate::address::decode(range.start) {
                let bs = case.config.units.get(usize::from(unit)).map_or(512, |u| u.block_size);
                let first = offset / u64::from(bs);
                for lba in first..first + (range.end - range.start).div_ceil(u64::from(bs)) {
                    touched.insert((unit, lba, bs));
                }
            }
        }
    }
    let snapshot = |memory: &Memory| -> Result<String, MemhSkip> {
        let mut pieces: Vec<(u64, Vec<u8>)> = Vec::new();
        for &(unit, lba, bs) in &touched {
            let mut block = vec![0u8; bs as usize];
            let store = memory.units.get(usize::from(unit));
            if store.is_some_and(|u| u.read_block(lba, &mut block).is_ok()) {
                pieces.push((crate::address::unit_address(unit, lba, bs), block));
            }
        }
        for &slot in buffer_len.keys() {
            let contents = memory.buffer(slot).unwrap_or_default().to_vec();
            pieces.push((crate::address::buffer_address(slot, 0), contents));
        }
        let refs: Vec<(u64, &[u8])> = pieces.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        image(&refs).ok_or_else(|| {
            let outside = pieces.iter().find(|(a, d)| image(&[(*a, d)]).is_none()).map_or(0, |(a, _)| *a);
            MemhSkip::OutOfBench(outside)
        })
    };
    let init = snapshot(&memory)?;
    let mut jobs = String::new();
    let mut completions = String::new();
    for r in &records {
        let outcome = crate::engine::execute::execute(&r.job, &mut memory);
        assert_eq!(
            (outcome.status, outcome.blocks_done, outcome.miscompare_offset),
            (r.completion.status, r.completion.blocks_done, r.completion.miscompare_offset),
            "case {}: a job replayed alone in commit order must complete as recorded",
            case.name
        );
        jobs.push_str(&word_hex(&encode_job(&r.job)));
        jobs.push('\n');
        completions.push_str(&word_hex(&encode_completion(&r.completion)));
        completions.push('\n');
    }
    let before: Vec<UnitStore> = case.config.units.iter().map(UnitStore::new).collect();
    assert_eq!(
        final_media(&before, &memory.units).digest,
        case.final_media.digest,
        "case {}: the serial replay ends on the recorded final media",
        case.name
    );
    let end = snapshot(&memory)?;
    let mut files =
        vec![("jobs.memh", jobs), ("completions.memh", completions), ("init.memh", init), ("final.memh", end)];
    // Blocks whose every access fails: the bench's memory answers them with an error response.
    let mut faults = String::new();
    for (lun, unit) in case.config.units.iter().enumerate() {
        for &lba in &unit.bad_blocks {
            let first = crate::address::unit_address(lun as u16, lba, unit.block_size);
            let word = offload_vectors::memh::bench_word(first).ok_or(MemhSkip::OutOfBench(first))?;
            faults.push_str(&format!("{word:x}\n"));
        }
    }
    if !faults.is_empty() {
        files.push(("faults.memh", faults));
    }
    Ok(files)
}

/// Every file `make vectors` writes under `vectors/`, by path relative to it: the cases grouped into
/// `data/<group>.jsonl`, `COVERAGE.md`, and `memh/<case>/*.memh` with `memh/INDEX.md`. Fails with the
/// required bins no case reaches.
pub fn files() -> Result<std::collections::BTreeMap<String, String>, Vec<&'static str>> {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    let cases: Vec<Case> = catalogue::catalogue().iter().map(record).collect();
    let coverage = coverage::coverage(&cases);
    if !coverage.missing.is_empty() {
        return Err(coverage.missing);
    }
    let mut files = BTreeMap::new();
    let mut groups: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for case in &cases {
        let group = case.name.split('/').next().expect("a name");
        groups.entry(group).or_default().push(case);
    }
    for (group, members) in groups {
        let mut text = Vec::new();
        offload_vectors::case::write_cases(&mut text, members).expect("writing to memory");
        files.insert(format!("data/{group}.jsonl"), String::from_utf8(text).expect("JSON is UTF-8"));
    }
    files.insert("COVERAGE.md".to_owned(), coverage.to_markdown(&cases));
    let mut index = String::from("# `$readmemh` exports\n\nGenerated by `make vectors`; see `vectors/README.md`.\n\n");
    index.push_str("| case | jobs | export |\n|---|---:|---|\n");
    for case in cases.iter().filter(|c| c.applies_to.rtl) {
        let dir = case.name.replace('/', "__");
        let jobs: usize = case.commands().map(|c| c.jobs.len()).sum();
        match memh_files(case) {
            Ok(memh) => {
                for (name, text) in memh {
                    files.insert(format!("memh/{dir}/{name}"), text);
                }
                writeln!(index, "| {} | {jobs} | `memh/{dir}/` |", case.name).expect("string");
            }
            Err(skip) => writeln!(index, "| {} | {jobs} | not exported: {skip} |", case.name).expect("string"),
        }
    }
    files.insert("memh/INDEX.md".to_owned(), index);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_scsi::Provisioning;
    use offload_vectors::case::{Extent, read_cases, write_cases};
    use offload_vectors::cdb::{read16, write16};
    use offload_vectors::media::generate_block;

    fn spec(steps: Vec<Vec<Request>>) -> CaseSpec {
        let steps = steps.into_iter().map(StepSpec::from).collect();
        let mut config = catalogue::base_config();
        config.units.truncate(1);
        CaseSpec {
            name: "test/one".into(),
            description: String::new(),
            bins: vec![],
            config,
            initial: InitialMedia { seed: 5, filled: vec![Extent { lun: 0, lba: 0, blocks: 4 }], blocks: vec![] },
            steps,
        }
    }

    fn request(cdb: Vec<u8>, data_out: Vec<u8>) -> Request {
        Request { initiator: "i".into(), lun: 0, cdb, data_out }
    }

    #[test]
    fn a_recorded_write_changes_one_block_and_the_digest() {
        let case = record(&spec(vec![vec![request(write16(2, 1), vec![7; 512])], vec![request(read16(0, 1), vec![])]]));
        // Independent expectation: blocks 0, 1, 3 from the generator, block 2 all sevens.
        let mut expected = MediaDigest::default();
        let mut block = vec![0u8; 512];
        for lba in 0..4 {
            if lba == 2 {
                block.fill(7);
            } else {
                generate_block(5, 0, lba, &mut block);
            }
            expected.block(0, lba, &block);
        }
        assert_eq!(case.final_media.digest, expected.finish());
        assert_eq!(case.final_media.changed.len(), 1);
        assert_eq!((case.final_media.changed[0].lba, case.final_media.changed[0].blocks), (2, 1));
        generate_block(5, 0, 0, &mut block);
        assert_eq!(case.steps[1].commands[0].expect.data_in, block);
        assert!(case.applies_to.fastpath && case.applies_to.rtl);
        // The provisioning map covers the whole unit: 4 mapped blocks, the rest deallocated.
        let runs: Vec<(u64, Provisioning)> =
            case.final_media.provisioning.iter().map(|r| (r.blocks, r.state)).collect();
        assert_eq!(runs, vec![(4, Provisioning::Mapped), (catalogue::BLOCKS - 4, Provisioning::Deallocated)]);
        // And the case survives the file format.
        let mut text = Vec::new();
        write_cases(&mut text, [&case]).unwrap();
        assert_eq!(read_cases(text.as_slice()).unwrap(), vec![case]);
    }

    #[test]
    fn memh_replay_ends_on_the_recorded_media() {
        let case = record(&spec(vec![vec![request(write16(1, 2), vec![9; 1024])]]));
        let files = memh_files(&case).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["jobs.memh", "completions.memh", "init.memh", "final.memh"]);
        assert_eq!(files[0].1.lines().count(), 1, "one copy job");
        // The final image holds the written blocks: 0x0909... words.
        assert!(files[3].1.lines().any(|l| l == "0909090909090909"));
    }

    #[test]
    fn the_catalogue_reaches_every_required_bin() {
        assert!(files().is_ok());
    }
}
