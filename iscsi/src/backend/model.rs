//! The reference model as the back end: it executes every command.

use offload_model::address::{self, Region};
use offload_model::config::TargetConfig;
use offload_model::engine::{CompletionStatus, JobOp};
use offload_model::scsi::{Request, Target};
use offload_scsi::SenseFormat;
use std::sync::{Mutex, MutexGuard};

use super::image::{Images, Media, image_units};
use super::refuse_image_resizes;
use super::{Answer, Backend, BackendError, Command, LiveChange, NotLive, ReconfigureError, SetupError};
use offload_model::scsi::reconfigure;

/// The reference model executes everything, one command at a time: it is the executable specification
/// of one device server, and its answer to many sessions is a serial order of their commands. What
/// surrounds a command — the sessions' PDUs and their data, the fdatasync an answer waits for — runs on
/// the sessions' own threads meanwhile.
pub struct ModelBackend {
    target: Mutex<Target>,
    images: Images,
}

fn lock(m: &Mutex<Target>) -> MutexGuard<'_, Target> {
    // A command that panicked (caught by the session layer) must not take the model down with it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ModelBackend {
    pub fn new(mut config: TargetConfig, media: &Media) -> Result<Self, SetupError> {
        let files = image_units(&mut config, media)?;
        if files.is_empty() {
            let images = Images::none(config.units.len());
            return Ok(ModelBackend { target: Mutex::new(Target::new(config)?), images });
        }
        let units = config.units.len();
        let mut stores = Vec::new();
        for ((path, _), unit) in files.iter().zip(&config.units) {
            let store = offload_model::image::load(path, unit)
                .map_err(|e| SetupError::Image { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
            stores.push(store);
        }
        let images = Images::new(files, units);
        Ok(ModelBackend { target: Mutex::new(Target::with_units(config, stores)?), images })
    }

    /// The model itself (for inspection in tests), locked.
    pub fn target(&self) -> MutexGuard<'_, Target> {
        lock(&self.target)
    }
}

impl Backend for ModelBackend {
    fn execute(&self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let request = Request {
            initiator: c.initiator.to_owned(),
            lun: c.lun,
            cdb: c.cdb.to_vec(),
            data_out: c.data_out.to_vec(),
        };
        let mut target = lock(&self.target);
        let response = target.execute(&request);
        // Write through: every block an engine job wrote (its destination range on a unit); what a thin
        // unit deallocated or anchored becomes a hole.
        for record in &response.jobs {
            if record.completion.status == CompletionStatus::Miscompare {
                continue;
            }
            if let Region::Unit { unit, offset } = address::decode(record.job.dst) {
                let store = &target.memory.units[usize::from(unit)];
                let (lba, blocks) = (offset >> record.job.block_shift, record.job.blocks.into());
                let released = matches!(record.job.op, JobOp::Deallocate | JobOp::Anchor);
                if released && store.is_thin() {
                    self.images.release(usize::from(unit), store.block_size(), lba, blocks)?;
                } else {
                    self.images.persist(usize::from(unit), store.block_size(), lba, blocks, |l, b| {
                        store.read_block(l, b).is_ok()
                    })?;
                }
            }
        }
        drop(target);
        // Durable before the status goes back: what the answer says (SYNCHRONIZE CACHE, FUA, WCE=0).
        self.images.make_durable(response.durable.iter().map(|d| d.lun))?;
        Ok(Answer { status: response.status, sense: response.sense, data_in: response.data_in })
    }

    fn name(&self) -> &'static str {
        "model"
    }

    fn syncs(&self) -> u64 {
        self.images.syncs()
    }

    fn on_file(&self, lun: u16) -> bool {
        self.images.holds(usize::from(lun))
    }

    fn nexus_lost(&self, initiator: &str) {
        lock(&self.target).nexus_loss(initiator);
    }

    fn logical_unit_reset(&self, initiator: &str, lun: u16) {
        lock(&self.target).logical_unit_reset(initiator, lun);
    }

    fn target_reset(&self, initiator: &str) {
        lock(&self.target).target_reset(initiator);
    }

    fn reconfigure(&mut self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError> {
        let target = self.target.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        let changes = reconfigure::plan(&target.state.config, config)?;
        refuse_image_resizes(&self.images, &changes)?;
        target.apply(&changes).map_err(NotLive::from)?;
        Ok(changes)
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        lock(&self.target).state.sense_format(lun)
    }

    fn config(&self) -> TargetConfig {
        lock(&self.target).state.config.clone()
    }
}
