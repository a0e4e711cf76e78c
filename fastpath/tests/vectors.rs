//! Every golden vector for the fast path, byte for byte: status, sense and data-in of every command, and
//! the final media (digest, changed blocks, provisioning map) — the fast path agrees with the model on
//! 100 % of them or this test fails, listing each disagreement.

use std::path::PathBuf;

use offload_fastpath::{CopyLimits, FastPath, Limits, Provisioning, Unit};
use offload_vectors::case::{Case, ProvisioningRun, read_cases};
use offload_vectors::config::{TargetConfig, naa_designator};
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

fn limits(config: &TargetConfig) -> Limits {
    let l = &config.limits;
    Limits {
        max_transfer_blocks: l.max_transfer_blocks,
        max_compare_and_write_blocks: l.max_compare_and_write_blocks,
        max_write_same_blocks: l.max_write_same_blocks,
        write_same_non_zero: l.write_same_non_zero,
        max_unmap_blocks: l.max_unmap_blocks,
        max_unmap_descriptors: l.max_unmap_descriptors,
        unmap_granularity: l.unmap_granularity,
        copy: CopyLimits {
            max_target_descriptors: l.copy.max_target_descriptors,
            max_segment_descriptors: l.copy.max_segment_descriptors,
            max_descriptor_list_bytes: l.copy.max_descriptor_list_bytes,
            max_segment_bytes: l.copy.max_segment_bytes,
            concurrent_copies: l.copy.concurrent_copies,
        },
    }
}

/// Runs one case on the fast path; returns every disagreement with the model.
fn run_case(case: &Case) -> Vec<String> {
    let config = &case.config;
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
            unit
        })
        .collect();
    let access =
        |initiator: &[u8], lun: u16| std::str::from_utf8(initiator).is_ok_and(|name| config.access.allows(name, lun));
    let mut fp = FastPath::new(&mut units, limits(config), config.descriptor_sense, access).expect("a valid target");
    let mut problems = Vec::new();
    let largest_block = config.units.iter().map(|u| u.block_size).max().unwrap_or(512) as usize;
    let mut data_in = vec![0u8; config.limits.max_transfer_blocks as usize * largest_block];
    for (k, c) in case.commands().enumerate() {
        let reply = fp.execute(c.initiator.as_bytes(), c.lun, &c.cdb, &c.data_out, &mut data_in);
        let what = format!("{} command {k} (cdb {})", case.name, hex::encode(&c.cdb));
        if !reply.handled {
            problems.push(format!("{what}: not handled"));
            continue;
        }
        if reply.status != c.expect.status || reply.sense() != c.expect.sense.as_slice() {
            problems.push(format!(
                "{what}: status {} sense {} — the model says {} {}",
                reply.status,
                hex::encode(reply.sense()),
                c.expect.status,
                hex::encode(&c.expect.sense)
            ));
        }
        if data_in[..reply.data_in_len] != c.expect.data_in[..] {
            problems.push(format!(
                "{what}: data-in differs ({} bytes, model {})",
                reply.data_in_len,
                c.expect.data_in.len()
            ));
        }
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
            let state = match unit.state(lba).expect("a thin unit") {
                Provisioning::Mapped => "mapped",
                Provisioning::Deallocated => "deallocated",
                Provisioning::Anchored => "anchored",
            };
            match runs.last_mut() {
                Some(r) if r.lun == lun as u16 && r.state == state && r.lba + r.blocks == lba => r.blocks += 1,
                _ => runs.push(ProvisioningRun { lun: lun as u16, lba, blocks: 1, state: state.to_owned() }),
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
    let problems: Vec<String> = mine.iter().flat_map(|c| run_case(c)).collect();
    println!("fast path: {} cases, {commands} commands, {} disagreements", mine.len(), problems.len());
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
}
