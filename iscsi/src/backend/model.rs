//! The reference model as the back end: it executes every command.

use offload_model::address::{self, Region};
use offload_model::config::TargetConfig;
use offload_model::engine::{CompletionStatus, JobOp};
use offload_model::scsi::{Request, Target};
use offload_scsi::SenseFormat;

use super::image::{Images, Media, image_units};
use super::{Answer, Backend, BackendError, Command, SetupError};

/// The reference model executes everything.
pub struct ModelBackend {
    target: Target,
    images: Images,
}

impl ModelBackend {
    pub fn new(mut config: TargetConfig, media: &Media) -> Result<Self, SetupError> {
        let files = image_units(&mut config, media)?;
        if files.is_empty() {
            let images = Images::none(config.units.len());
            return Ok(ModelBackend { target: Target::new(config)?, images });
        }
        let units = config.units.len();
        let mut stores = Vec::new();
        for ((path, _), unit) in files.iter().zip(&config.units) {
            let store = offload_model::image::load(path, unit)
                .map_err(|e| SetupError::Image { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
            stores.push(store);
        }
        let images = Images::new(files, units);
        Ok(ModelBackend { target: Target::with_units(config, stores)?, images })
    }

    /// The model itself (for inspection in tests).
    pub fn target(&self) -> &Target {
        &self.target
    }
}

impl Backend for ModelBackend {
    fn execute(&mut self, c: &Command<'_>) -> Result<Answer, BackendError> {
        let request = Request {
            initiator: c.initiator.to_owned(),
            lun: c.lun,
            cdb: c.cdb.to_vec(),
            data_out: c.data_out.to_vec(),
        };
        let response = self.target.execute(&request);
        // Write through: every block an engine job wrote (its destination range on a unit); what a thin
        // unit deallocated or anchored becomes a hole.
        for record in &response.jobs {
            if record.completion.status == CompletionStatus::Miscompare {
                continue;
            }
            if let Region::Unit { unit, offset } = address::decode(record.job.dst) {
                let store = &self.target.memory.units[usize::from(unit)];
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

    fn nexus_lost(&mut self, initiator: &str) {
        self.target.nexus_loss(initiator);
    }

    fn logical_unit_reset(&mut self, lun: u16) {
        self.target.logical_unit_reset(lun);
    }

    fn target_reset(&mut self) {
        self.target.target_reset();
    }

    fn sense_format(&self, lun: u16) -> SenseFormat {
        self.target.state.sense_format(lun)
    }

    fn config(&self) -> &TargetConfig {
        &self.target.state.config
    }
}
