//! The reference model and the fast path side by side.
//!
//! A [`Pair`] holds one model target and one fast path over the same configuration and initial media.
//! Each command goes to the fast path first; when the fast path handles it (an operation code it
//! implements, on a unit it can use) the model executes it too and the two answers must be equal byte for
//! byte — status, sense data and data-in. A command the fast path does not handle changes nothing there,
//! so the model does not see it either. [`Pair::compare_media`] then holds every block of every unit and
//! every thin unit's provisioning state equal.
//!
//! Commands arrive one at a time, as the fast path's golden vectors do (`applies_to.fastpath`).

use std::cell::RefCell;

use offload_fastpath::{Extent, FastPath, Hint, Provisioning, Request as FastRequest, Unit, max_extents};
use offload_model::media::{Provisioning as ModelProvisioning, UnitStore};
use offload_model::scsi::{Request, Response, Target};
use offload_vectors::case::InitialMedia;
use offload_vectors::config::{TargetConfig, naa_designator};
use offload_vectors::job::{Completion, Job, JobOp};

/// The two implementations disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model and fast path disagree: {0}")]
pub struct Mismatch(pub String);

/// A block of zeros of the largest block size.
static ZEROS: [u8; 4096] = [0; 4096];

/// What a command did on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The fast path passed the command on; neither side executed it.
    NotHandled,
    /// Both executed it and agree: the model's answer.
    Agreed(Response),
}

/// The fast path's medium: what its [`Unit`]s borrow for each command.
struct FastMedia {
    data: Vec<Vec<u8>>,
    provisioning: Vec<Vec<u8>>,
    bad_blocks: Vec<Vec<u64>>,
}

thread_local! {
    /// The fast path's data-in and extent storage, one per thread: allocated once, not for every input.
    static DATA_IN: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static EXTENTS: RefCell<Vec<Extent>> = const { RefCell::new(Vec::new()) };
}

/// A model target and a fast path over the same configuration.
pub struct Pair {
    config: TargetConfig,
    model: Target,
    fast: FastMedia,
}

/// The fast path's status and sense, for the comparison with the model's.
struct Answer<'s> {
    status: u8,
    sense: &'s [u8],
}

/// What an engine job wrote, as the fast path's extent of the same blocks would say.
fn written_extent(job: &Job, completion: &Completion) -> Option<Extent> {
    let w = job.written(completion)?;
    let hint = match job.op {
        // (A compare writes nothing: `written` is None for it.)
        JobOp::Copy | JobOp::Pattern | JobOp::CompareAndWrite | JobOp::Compare => Hint::Data,
        JobOp::Zero => Hint::Zeros,
        JobOp::Deallocate => Hint::Deallocate,
        JobOp::Anchor => Hint::Anchor,
    };
    Some(Extent { lun: w.unit, lba: w.lba, blocks: w.blocks, hint })
}

/// A pair's starting point, built once and copied for every input: writing the initial media is most of
/// the cost of a fresh pair.
#[derive(Clone)]
pub struct Prepared {
    config: TargetConfig,
    stores: Vec<UnitStore>,
    data: Vec<Vec<u8>>,
    provisioning: Vec<Vec<u8>>,
}

impl Prepared {
    /// Both sides' media for `config` (which must be valid) with `initial` written.
    pub fn new(config: TargetConfig, initial: &InitialMedia) -> Self {
        let units = &config.units;
        let mut stores: Vec<UnitStore> = units.iter().map(UnitStore::new).collect();
        let mut data: Vec<Vec<u8>> =
            units.iter().map(|u| vec![0; (u.blocks * u64::from(u.block_size)) as usize]).collect();
        let mut provisioning: Vec<Vec<u8>> = units
            .iter()
            .map(|u| if u.thin { vec![0; Unit::provisioning_bytes(u.blocks)] } else { Vec::new() })
            .collect();
        initial.for_each_block(&config, |lun, lba, block| {
            let lun = usize::from(lun);
            stores[lun].load_block(lba, block);
            let at = lba as usize * block.len();
            data[lun][at..at + block.len()].copy_from_slice(block);
            if units[lun].thin {
                // Mapped: bit 2k set, anchored bit 2k + 1 clear (the layout `Unit` documents).
                let bit = 2 * lba as usize;
                let byte = &mut provisioning[lun][bit / 8];
                *byte = (*byte & !(0b11 << (bit % 8))) | (1 << (bit % 8));
            }
        });
        Prepared { config, stores, data, provisioning }
    }

    /// A pair in this starting state.
    pub fn pair(&self) -> Pair {
        let config = self.config.clone();
        let model = Target::with_units(config.clone(), self.stores.clone()).expect("the fuzz configurations are valid");
        let bad_blocks = config.units.iter().map(|u| u.bad_blocks.iter().copied().collect()).collect();
        let fast = FastMedia { data: self.data.clone(), provisioning: self.provisioning.clone(), bad_blocks };
        Pair { config, model, fast }
    }
}

impl Pair {
    /// Both sides over `config` (which must be valid) with `initial` written.
    pub fn new(config: TargetConfig, initial: &InitialMedia) -> Self {
        Prepared::new(config, initial).pair()
    }

    pub fn config(&self) -> &TargetConfig {
        &self.config
    }

    /// The model's store of unit `lun`, if there is one.
    pub fn model_store(&self, lun: u16) -> Option<&offload_model::media::UnitStore> {
        self.model.memory.units.get(usize::from(lun))
    }

    /// Runs `f` on a fast path over this pair's media.
    fn with_fast_path<R>(
        &mut self,
        f: impl FnOnce(&mut FastPath<'_, '_, &dyn Fn(&[u8], u16) -> bool>, &mut [u8], &mut [Extent]) -> R,
    ) -> R {
        let config = &self.config;
        let FastMedia { data, provisioning, bad_blocks } = &mut self.fast;
        let mut units: Vec<Unit<'_>> = data
            .iter_mut()
            .zip(provisioning.iter_mut())
            .zip(bad_blocks.iter())
            .enumerate()
            .map(|(lun, ((d, p), bad))| {
                let u = &config.units[lun];
                let naa = naa_designator(u, lun as u16);
                let mut unit =
                    if u.thin { Unit::thin(d, u.block_size, naa, p) } else { Unit::thick(d, u.block_size, naa) };
                unit.write_protected = u.write_protected;
                unit.bad_blocks = bad;
                unit.descriptor_sense = config.descriptor_sense;
                unit
            })
            .collect();
        let access = |initiator: &[u8], lun: u16| {
            std::str::from_utf8(initiator).is_ok_and(|name| config.access.allows(name, lun))
        };
        let access: &dyn Fn(&[u8], u16) -> bool = &access;
        let mut fp = FastPath::new(&mut units, config.limits.clone(), config.descriptor_sense, access)
            .expect("the fuzz configurations are valid");
        let largest_block = config.units.iter().map(|u| u.block_size).max().unwrap_or(512) as usize;
        let data_in_len = config.limits.max_transfer_blocks as usize * largest_block;
        let extents_len = max_extents(&config.limits);
        DATA_IN.with_borrow_mut(|data_in| {
            EXTENTS.with_borrow_mut(|extents| {
                data_in.resize(data_in_len, 0);
                extents.resize(extents_len, Extent::EMPTY);
                f(&mut fp, &mut data_in[..data_in_len], &mut extents[..extents_len])
            })
        })
    }

    /// Executes one command on the fast path and, if it handled it, on the model; compares the answers
    /// and what each says it wrote (the fast path's extents, the model's engine jobs).
    pub fn execute(&mut self, initiator: &str, lun: u16, cdb: &[u8], data_out: &[u8]) -> Result<Verdict, Mismatch> {
        let request = FastRequest { initiator: initiator.as_bytes(), lun, cdb, data_out };
        let (handled, status, sense, fast_data_in, written) = self.with_fast_path(|fp, data_in, extents| {
            let r = fp.execute(&request, data_in, extents);
            (r.handled, r.status, r.sense, r.data_in.to_vec(), r.written.to_vec())
        });
        if !handled {
            return Ok(Verdict::NotHandled);
        }
        let reply = Answer { status, sense: sense.as_slice() };
        let request = Request { initiator: initiator.to_owned(), lun, cdb: cdb.to_vec(), data_out: data_out.to_vec() };
        let response = self.model.execute(&request);
        let what = || format!("{initiator} LUN {lun} CDB {} data-out {} bytes", hex::encode(cdb), data_out.len());
        if (reply.status, reply.sense) != (response.status, response.sense.as_slice()) {
            return Err(Mismatch(format!(
                "{}: fast path status {:#04x} sense {}, model status {:#04x} sense {}",
                what(),
                reply.status,
                hex::encode(reply.sense),
                response.status,
                hex::encode(&response.sense)
            )));
        }
        if fast_data_in != response.data_in {
            return Err(Mismatch(format!(
                "{}: data-in differs (fast path {} bytes, model {} bytes)",
                what(),
                fast_data_in.len(),
                response.data_in.len()
            )));
        }
        let jobs_wrote: Vec<Extent> =
            response.jobs.iter().filter_map(|r| written_extent(&r.job, &r.completion)).collect();
        if written != jobs_wrote {
            return Err(Mismatch(format!("{}: fast path wrote {written:?}, the model's jobs {jobs_wrote:?}", what())));
        }
        Ok(Verdict::Agreed(response))
    }

    /// Every block of every unit, and every thin unit's provisioning state, equal on both sides.
    pub fn compare_media(&mut self) -> Result<(), Mismatch> {
        let stores = &self.model.memory.units;
        let FastMedia { data, provisioning, .. } = &mut self.fast;
        for (lun, (store, (medium, bits))) in
            stores.iter().zip(data.iter_mut().zip(provisioning.iter_mut())).enumerate()
        {
            let bs = store.block_size() as usize;
            let mut stored = store.nonzero_blocks().peekable();
            for (lba, block) in medium.chunks_exact(bs).enumerate() {
                let lba = lba as u64;
                let same = match stored.next_if(|(at, _)| *at == lba) {
                    Some((_, model_block)) => model_block == block,
                    // Slice equality is a memcmp: uninstrumented, far faster under the fuzzer than a loop.
                    None => block == &ZEROS[..bs],
                };
                if !same {
                    return Err(Mismatch(format!("LUN {lun} LBA {lba}: block contents differ")));
                }
            }
            if store.is_thin() {
                let unit = Unit::thin(medium, store.block_size(), [0; 16], bits);
                for lba in 0..store.blocks() {
                    let fast = unit.state(lba).expect("within the capacity");
                    let model = match store.provisioning(lba) {
                        ModelProvisioning::Mapped => Provisioning::Mapped,
                        ModelProvisioning::Anchored => Provisioning::Anchored,
                        ModelProvisioning::Deallocated => Provisioning::Deallocated,
                    };
                    if fast != model {
                        return Err(Mismatch(format!(
                            "LUN {lun} LBA {lba}: provisioning {fast:?} on the fast path, {model:?} on the model"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configs::{INITIATORS, configuration, initial_media};
    use offload_vectors::cdb;

    fn pair(selector: u8) -> Pair {
        let config = configuration(selector);
        let initial = initial_media(&config);
        Pair::new(config, &initial)
    }

    #[test]
    fn a_fresh_pair_has_equal_media() {
        for selector in 0..crate::configs::CONFIGURATIONS {
            pair(selector).compare_media().expect("equal initial media");
        }
    }

    #[test]
    fn a_write_then_read_agrees_and_returns_the_data() {
        let mut p = pair(0);
        let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 % 251) as u8).collect();
        let written = p.execute(INITIATORS[0], 0, &cdb::write10(3, 2), &data).unwrap();
        assert!(matches!(written, Verdict::Agreed(ref r) if r.status == 0));
        match p.execute(INITIATORS[0], 0, &cdb::read10(3, 2), &[]).unwrap() {
            Verdict::Agreed(r) => assert_eq!(r.data_in, data),
            other => panic!("{other:?}"),
        }
        p.compare_media().unwrap();
    }

    #[test]
    fn a_command_the_fast_path_does_not_implement_reaches_neither_side() {
        let mut p = pair(0);
        let verdict = p.execute(INITIATORS[0], 0, &cdb::inquiry(false, 0, 96), &[]).unwrap();
        assert_eq!(verdict, Verdict::NotHandled);
    }

    #[test]
    fn a_change_on_one_side_only_is_found() {
        let mut p = pair(2);
        p.fast.data[1][4096 * 2] ^= 1;
        let err = p.compare_media().unwrap_err();
        assert!(err.0.contains("LUN 1 LBA 2"), "{err}");
    }
}
