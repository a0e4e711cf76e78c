//! The fuzz targets' bodies, as functions from libFuzzer's bytes to a verdict, so that the same code runs
//! under libFuzzer (`fuzz_targets/`), in the regression tests (`tests/`) and on replayed artifacts.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use offload_model::scsi::{Request, Target};
use offload_vectors::cdb;

use crate::configs::{CONFIGURATIONS, INITIATORS, configuration, initial_media};
use crate::pair::{Mismatch, Pair, Prepared, Verdict};
use crate::sense::{Malformed, check_answer};
use crate::sequence::{DataOut, FILL_CURRENT, Sequence, addressed_lba, implied_length, pseudo_random};

/// What a fuzz target found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Finding {
    #[error(transparent)]
    Mismatch(#[from] Mismatch),
    #[error(transparent)]
    Malformed(#[from] Malformed),
    #[error(transparent)]
    Wire(#[from] crate::iscsi::oracle::Violation),
}

/// A pair in the starting state of configuration `selector` (each prepared once per process).
fn fresh_pair(selector: u8) -> Pair {
    static PREPARED: OnceLock<Vec<Prepared>> = OnceLock::new();
    let prepared = PREPARED.get_or_init(|| {
        (0..CONFIGURATIONS)
            .map(|s| {
                let config = configuration(s);
                let initial = initial_media(&config);
                Prepared::new(config, &initial)
            })
            .collect()
    });
    prepared[usize::from(selector % CONFIGURATIONS)].pair()
}

/// One command on both sides: the answers agree, are well-formed, and the media stay equal.
fn one_command(selector: u8, lun: u16, cdb: &[u8], data_out: &[u8]) -> Result<(), Finding> {
    let mut pair = fresh_pair(selector);
    match pair.execute(INITIATORS[0], lun, cdb, data_out)? {
        // Neither side executed it: nothing changed.
        Verdict::NotHandled => Ok(()),
        Verdict::Agreed(answer) => {
            check_answer(cdb, data_out, answer.status, &answer.sense)?;
            Ok(pair.compare_media()?)
        }
    }
}

/// `cdb_model`: the input is a CDB, sent with no data-out to LUN 0 of the model (configuration 0); the
/// answer must be well-formed. Every operation code is reached, not only the fast path's.
pub fn cdb_model(data: &[u8]) -> Result<(), Finding> {
    let config = configuration(0);
    let mut target = Target::new(config).expect("the fuzz configurations are valid");
    let request = Request { initiator: INITIATORS[0].to_owned(), lun: 0, cdb: data.to_vec(), data_out: Vec::new() };
    let answer = target.execute(&request);
    Ok(check_answer(data, &[], answer.status, &answer.sense)?)
}

/// `cdb_fastpath`: the input is a CDB, sent with no data-out to LUN 0 of the fast path; when the fast path
/// handles it, the model must answer the same and leave the same media.
pub fn cdb_fastpath(data: &[u8]) -> Result<(), Finding> {
    one_command(0, 0, data, &[])
}

/// `xcopy_list`: the input is an EXTENDED COPY (LID1) parameter list, sent with a CDB whose PARAMETER LIST
/// LENGTH matches it, to LUN 0 of both sides.
pub fn xcopy_list(data: &[u8]) -> Result<(), Finding> {
    one_command(0, 0, &cdb::extended_copy(data.len() as u32), data)
}

/// `unmap_list`: the input is an UNMAP parameter list, sent with a matching PARAMETER LIST LENGTH to the
/// thin LUN 0 of both sides (configuration 1: unmap granularity 4). Lists longer than the 16-bit length
/// field are cut.
pub fn unmap_list(data: &[u8]) -> Result<(), Finding> {
    let data = &data[..data.len().min(usize::from(u16::MAX))];
    one_command(1, 0, &cdb::unmap(false, data.len() as u16), data)
}

/// The data-out a sequence's command carries.
fn data_out_of(pair: &Pair, lun: u16, cdb: &[u8], data_out: &DataOut) -> Vec<u8> {
    let (adjust, fill) = match data_out {
        DataOut::Literal(bytes) => return bytes.clone(),
        DataOut::Implied { adjust, fill } => (*adjust, *fill),
    };
    let store = pair.model_store(lun);
    let block_size = store.map_or(512, |s| s.block_size());
    let len = implied_length(cdb, block_size).saturating_add_signed(adjust.into());
    let len = len.min(crate::sequence::MAX_DATA_OUT as u64) as usize;
    match (fill, store) {
        (0, _) => vec![0; len],
        (FILL_CURRENT, Some(store)) => {
            let bs = store.block_size() as usize;
            let mut out = vec![0u8; len.next_multiple_of(bs)];
            for (i, block) in out.chunks_exact_mut(bs).enumerate() {
                // Blocks past the end or unreadable stay zero.
                let _ = store.read_block(addressed_lba(cdb).saturating_add(i as u64), block);
            }
            out.truncate(len);
            out
        }
        (seed, _) => pseudo_random(seed, len),
    }
}

/// `command_sequence`: a [`Sequence`] of commands on both sides, one at a time; every answer agrees and
/// is well-formed, and the media agree at the end.
pub fn command_sequence(data: &[u8]) -> Result<(), Finding> {
    let Ok(sequence) = Sequence::arbitrary_take_rest(Unstructured::new(data)) else { return Ok(()) };
    run_sequence(&sequence)
}

/// Runs a decoded sequence (see [`command_sequence`]).
pub fn run_sequence(sequence: &Sequence) -> Result<(), Finding> {
    let mut pair = fresh_pair(sequence.configuration);
    for command in &sequence.commands {
        let lun = u16::from(command.lun);
        let data_out = data_out_of(&pair, lun, &command.cdb, &command.data_out);
        let initiator = INITIATORS[usize::from(command.initiator & 1)];
        if let Verdict::Agreed(answer) = pair.execute(initiator, lun, &command.cdb, &data_out)? {
            check_answer(&command.cdb, &data_out, answer.status, &answer.sense)?;
        }
    }
    Ok(pair.compare_media()?)
}

/// `iscsi_wire`: a scripted (or raw) initiator against one connection of the iSCSI target over memory;
/// the oracle (`crate::iscsi::oracle`) judges both streams and what reached the back end.
pub fn iscsi_wire(data: &[u8]) -> Result<(), Finding> {
    let Some(session) = crate::iscsi::play(data) else { return Ok(()) };
    Ok(crate::iscsi::check(&session)?)
}

/// A fuzz target's body.
pub type Body = fn(&[u8]) -> Result<(), Finding>;

/// Every target by name, for the regression tests and replays.
pub const TARGETS: [(&str, Body); 6] = [
    ("cdb_model", cdb_model),
    ("cdb_fastpath", cdb_fastpath),
    ("xcopy_list", xcopy_list),
    ("unmap_list", unmap_list),
    ("command_sequence", command_sequence),
    ("iscsi_wire", iscsi_wire),
];

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) -> Result<(), Finding> {
    let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no fuzz target {name}"));
    target(data)
}
