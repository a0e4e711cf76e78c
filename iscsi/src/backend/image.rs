//! Image files as units: opened (or created sparse), written through as blocks change, and synced
//! (fdatasync) when a command's answer says its blocks must be durable.
//!
//! Written through means into the host's page cache, which is volatile: the units report WCE=1 by
//! default, and SYNCHRONIZE CACHE, a FUA write or any write under WCE=0 makes its unit's file durable
//! before the status goes back. fdatasync covers the whole file, more than the blocks asked for.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use offload_model::config::{TargetConfig, UnitConfig};
use rustix::fs::FallocateFlags;
use rustix::io::Errno;

use super::{BackendError, SetupError};

/// Image files behind units (`None`: memory only), written through as blocks change.
pub(super) struct Images {
    pub(super) files: Vec<Option<(PathBuf, File)>>,
    /// fdatasync calls made so far.
    syncs: AtomicU64,
}

impl Images {
    pub(super) fn none(units: usize) -> Self {
        Images { files: (0..units).map(|_| None).collect(), syncs: AtomicU64::new(0) }
    }

    /// One image file per unit, or memory only for `units` units when there are none.
    pub(super) fn new(files: Vec<(PathBuf, File)>, units: usize) -> Self {
        if files.is_empty() {
            return Images::none(units);
        }
        Images { files: files.into_iter().map(Some).collect(), syncs: AtomicU64::new(0) }
    }

    /// Whether unit `unit` is an image file.
    pub(super) fn holds(&self, unit: usize) -> bool {
        self.files.get(unit).is_some_and(Option::is_some)
    }

    /// Makes the image files of `luns` durable (fdatasync, once per file); memory units need nothing.
    pub(super) fn make_durable(&self, luns: impl IntoIterator<Item = u16>) -> Result<(), BackendError> {
        let mut luns: Vec<u16> = luns.into_iter().collect();
        luns.sort_unstable();
        luns.dedup();
        for lun in luns {
            if let Some(Some((path, file))) = self.files.get(usize::from(lun)) {
                file.sync_data().map_err(|source| BackendError::Image { path: path.clone(), source })?;
                self.syncs.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// fdatasync calls made so far.
    pub(super) fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Gives blocks `lba..lba + count` of a thin `unit` back to the file system: a hole, which reads as
    /// zeros — what deallocated and anchored blocks read — without writing them (a whole-unit UNMAP, as
    /// mkfs sends, would otherwise write the whole capacity in zeros). A file system without holes gets
    /// the zeros written.
    pub(super) fn release(&self, unit: usize, block_size: u32, lba: u64, count: u64) -> Result<(), BackendError> {
        let Some(Some((path, file))) = self.files.get(unit) else { return Ok(()) };
        let bs = u64::from(block_size);
        let hole = FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE;
        match rustix::fs::fallocate(file, hole, lba * bs, count * bs) {
            Ok(()) => Ok(()),
            Err(Errno::OPNOTSUPP) => self.persist(unit, block_size, lba, count, |_, block| {
                block.fill(0);
                true
            }),
            Err(e) => Err(BackendError::Image { path: path.clone(), source: e.into() }),
        }
    }

    /// Writes blocks `lba..lba + count` of `unit`, whose contents `read` provides block by block.
    pub(super) fn persist(
        &self,
        unit: usize,
        block_size: u32,
        lba: u64,
        count: u64,
        mut read: impl FnMut(u64, &mut [u8]) -> bool,
    ) -> Result<(), BackendError> {
        let Some(Some((path, file))) = self.files.get(unit) else { return Ok(()) };
        let bs = u64::from(block_size);
        let mut block = vec![0u8; block_size as usize];
        for l in lba..lba.saturating_add(count) {
            if read(l, &mut block) {
                file.write_all_at(&block, l * bs)
                    .map_err(|source| BackendError::Image { path: path.clone(), source })?;
            }
        }
        Ok(())
    }
}

/// Opens (or creates, sparse, with `template`'s capacity) an image file and returns its unit's
/// configuration: `template` with the capacity the file's size gives.
pub(super) fn open_image(path: &Path, template: &UnitConfig) -> Result<(File, UnitConfig), SetupError> {
    let io = |source| SetupError::Image { path: path.to_owned(), source };
    let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
    let bs = u64::from(template.block_size);
    let mut size = file.metadata().map_err(io)?.len();
    if size == 0 {
        size = template.blocks * bs;
        file.set_len(size).map_err(io)?;
    }
    if size == 0 || !size.is_multiple_of(bs) {
        return Err(SetupError::ImageSize { path: path.to_owned(), size, block_size: template.block_size });
    }
    Ok((file, UnitConfig { blocks: size / bs, ..template.clone() }))
}

/// Where each unit's contents come from.
#[derive(Clone, Debug, Default)]
pub enum Media {
    /// Fresh memory for every configured unit.
    #[default]
    Memory,
    /// One image file per unit (replacing the configured units; `template` gives block size, thin or
    /// thick, and the capacity of a file that does not exist yet).
    Images { paths: Vec<PathBuf>, template: UnitConfig },
}

pub(super) fn image_units(config: &mut TargetConfig, media: &Media) -> Result<Vec<(PathBuf, File)>, SetupError> {
    let Media::Images { paths, template } = media else { return Ok(Vec::new()) };
    config.units.clear();
    let mut files = Vec::new();
    for path in paths {
        let (file, unit) = open_image(path, template)?;
        config.units.push(unit);
        files.push((path.clone(), file));
    }
    Ok(files)
}
