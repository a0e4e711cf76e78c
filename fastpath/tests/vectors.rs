//! Every golden vector for the fast path, byte for byte: status, sense and data-in of every command, the
//! final media (digest, changed blocks, provisioning map) — and what the fast path says it did: the
//! extents it wrote against the destination ranges of the engine jobs the model issued for the command,
//! and an EXTENDED COPY's summary against the model's copy jobs and sense. The fast path agrees with the
//! model on 100 % of them or this test fails, listing each disagreement.

use std::path::PathBuf;

use offload_fastpath::{CopySummary, Extent, FastPath, Hint, Provisioning, Reply, Request, Unit, max_extents};
use offload_scsi::xcopy::{ListIdUsage, SEGMENT_LEN};
use offload_scsi::{Fields, SenseKey};
use offload_vectors::case::{Case, Command, ProvisioningRun, read_cases};
use offload_vectors::config::{TargetConfig, naa_designator};
use offload_vectors::job::JobOp;
use offload_vectors::media::MediaDigest;

fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| read_cases(std::io::BufReader::new(std::fs::File::open(f).unwrap())).unwrap()).collect()
}

/// The blocks each of the model's engine jobs wrote on a unit, in issue order, with what the job left
/// there: what the fast path's extents must be.
fn expected_extents(command: &Command) -> Vec<Extent> {
    let hint = |op: JobOp| match op {
        // (A compare writes nothing: `written` is None for it.)
        JobOp::Copy | JobOp::Pattern | JobOp::CompareAndWrite | JobOp::Compare => Hint::Data,
        JobOp::Zero => Hint::Zeros,
        JobOp::Deallocate => Hint::Deallocate,
        JobOp::Anchor => Hint::Anchor,
    };
    let written = command.jobs.iter().filter_map(|r| Some((r.job.written(&r.completion)?, r.job.op)));
    written.map(|(w, op)| Extent { lun: w.unit, lba: w.lba, blocks: w.blocks, hint: hint(op) }).collect()
}

/// An EXTENDED COPY's summary as the vector implies it: none unless it ran its segments (GOOD, or COPY
/// ABORTED naming the failed segment in COMMAND-SPECIFIC INFORMATION); the bytes its copy jobs moved.
fn expected_copy(command: &Command) -> Option<CopySummary> {
    let list = &command.data_out;
    if command.cdb[0] != 0x83 || list.is_empty() {
        return None;
    }
    let failed_segment = match command.expect.status {
        0 => None,
        _ => {
            let sense = offload_scsi::sense::decode(&command.expect.sense).expect("the model's sense decodes");
            if sense.key != SenseKey::COPY_ABORTED {
                return None; // refused before any segment ran
            }
            Some(sense.command_specific.expect("COPY ABORTED names its segment") as u16)
        }
    };
    let segments = list.be32(8) as usize / SEGMENT_LEN;
    let usage = ListIdUsage::from_header(list[1]).expect("an accepted list has a valid usage");
    Some(CopySummary {
        list_id: (usage != ListIdUsage::None).then_some(list[0]),
        usage,
        segments_processed: failed_segment.map_or(segments as u16, |s| s + 1),
        bytes_moved: command.jobs.iter().map(|r| u64::from(r.completion.blocks_done) << r.job.block_shift).sum(),
        failed_segment,
    })
}

/// Every way the fast path's reply to `command` differs from the vector.
fn reply_problems(what: &str, command: &Command, reply: &Reply<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    if !reply.handled {
        return vec![format!("{what}: not handled")];
    }
    if reply.status != command.expect.status || reply.sense() != command.expect.sense.as_slice() {
        problems.push(format!(
            "{what}: status {} sense {} — the model says {} {}",
            reply.status,
            hex::encode(reply.sense()),
            command.expect.status,
            hex::encode(&command.expect.sense)
        ));
    }
    if reply.data_in != command.expect.data_in.as_slice() {
        problems.push(format!(
            "{what}: data-in differs ({} bytes, model {})",
            reply.data_in.len(),
            command.expect.data_in.len()
        ));
    }
    let extents = expected_extents(command);
    if reply.written != extents.as_slice() {
        problems.push(format!("{what}: wrote {:?}, the model's jobs wrote {extents:?}", reply.written));
    }
    let copy = expected_copy(command);
    if reply.copy != copy {
        problems.push(format!("{what}: copy summary {:?}, the vector says {copy:?}", reply.copy));
    }
    problems
}

/// Runs one case on the fast path; returns every disagreement with the model.
fn run_case(case: &Case) -> Vec<String> {
    let config: &TargetConfig = &case.config;
    let mut data: Vec<Vec<u8>> =
        config.units.iter().map(|u| vec![0u8; (u.blocks * u64::from(u.block_size)) as usize]).collect();
    let mut provisioning: Vec<Vec<u8>> = config
        .units
        .iter()
        .map(|u| if u.thin { vec![0u8; (u.blocks as usize * 2).div_ceil(8)] } else { Vec::new() })
        .collect();
    // Initial media: written blocks are mapped (bit 2k of the provisioning map).
    case.initial.for_each_block(config, |lun, lba, block| {
        let (l, bs) = (usize::from(lun), config.units[usize::from(lun)].block_size as usize);
        data[l][lba as usize * bs..(lba as usize + 1) * bs].copy_from_slice(block);
        if config.units[l].thin {
            let bit = 2 * lba as usize;
            provisioning[l][bit / 8] = (provisioning[l][bit / 8] & !(0b11 << (bit % 8))) | (1 << (bit % 8));
        }
    });
    let bad: Vec<Vec<u64>> = config.units.iter().map(|u| u.bad_blocks.iter().copied().collect()).collect();
    let mut units: Vec<Unit> = data
        .iter_mut()
        .zip(provisioning.iter_mut())
        .enumerate()
        .map(|(lun, (d, p))| {
            let u = &config.units[lun];
            let naa = naa_designator(u, lun as u16);
            let mut unit = if u.thin { Unit::thin(d, u.block_size, naa, p) } else { Unit::thick(d, u.block_size, naa) };
            unit.write_protected = u.write_protected;
            unit.bad_blocks = &bad[lun];
            unit.descriptor_sense = config.descriptor_sense;
            unit.write_cache = u.write_cache;
            unit
        })
        .collect();
    let access =
        |initiator: &[u8], lun: u16| std::str::from_utf8(initiator).is_ok_and(|name| config.access.allows(name, lun));
    let mut fp =
        FastPath::new(&mut units, config.limits.clone(), config.descriptor_sense, access).expect("a valid target");
    let mut problems = Vec::new();
    let largest_block = config.units.iter().map(|u| u.block_size).max().unwrap_or(512) as usize;
    let mut data_in = vec![0u8; config.limits.max_transfer_blocks as usize * largest_block];
    let mut extents = vec![Extent::EMPTY; max_extents(&config.limits)];
    for (k, c) in case.commands().enumerate() {
        let request = Request { initiator: c.initiator.as_bytes(), lun: c.lun, cdb: &c.cdb, data_out: &c.data_out };
        let reply = fp.execute(&request, &mut data_in, &mut extents);
        let what = format!("{} command {k} (cdb {})", case.name, hex::encode(&c.cdb));
        problems.extend(reply_problems(&what, c, &reply));
    }

    let mut digest = MediaDigest::default();
    for (lun, unit) in units.iter().enumerate() {
        digest.unit(lun as u16, unit.data, unit.block_size as usize);
    }
    if digest.finish() != case.final_media.digest {
        problems.push(format!("{}: final media digest differs", case.name));
        for run in &case.final_media.changed {
            let unit = &units[usize::from(run.lun)];
            let bs = unit.block_size as usize;
            for lba in run.lba..run.lba + run.blocks {
                if unit.data[lba as usize * bs..(lba as usize + 1) * bs] != run.block[..] {
                    problems.push(format!("{}: LUN {} LBA {lba} differs", case.name, run.lun));
                }
            }
        }
    }
    let mut runs: Vec<ProvisioningRun> = Vec::new();
    for (lun, unit) in units.iter().enumerate() {
        if !unit.is_thin() {
            continue;
        }
        for lba in 0..unit.capacity() {
            let state: Provisioning = unit.state(lba).expect("a thin unit");
            match runs.last_mut() {
                Some(r) if r.lun == lun as u16 && r.state == state && r.lba + r.blocks == lba => r.blocks += 1,
                _ => runs.push(ProvisioningRun { lun: lun as u16, lba, blocks: 1, state }),
            }
        }
    }
    if runs != case.final_media.provisioning {
        problems.push(format!("{}: provisioning map differs", case.name));
    }
    problems
}

#[test]
fn the_fast_path_agrees_with_every_vector() {
    let all = cases();
    let mine: Vec<&Case> = all.iter().filter(|c| c.applies_to.fastpath).collect();
    assert!(mine.len() >= 100, "only {} fast-path cases found", mine.len());
    let commands: usize = mine.iter().map(|c| c.commands().count()).sum();
    let writing = mine.iter().flat_map(|c| c.commands()).filter(|c| !expected_extents(c).is_empty()).count();
    let copies = mine.iter().flat_map(|c| c.commands()).filter(|c| expected_copy(c).is_some()).count();
    let problems: Vec<String> = mine.iter().flat_map(|c| run_case(c)).collect();
    println!(
        "fast path: {} cases, {commands} commands ({writing} writing, {copies} copies with a summary), {} disagreements",
        mine.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
}
