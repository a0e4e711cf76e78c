//! Raw image files as logical units: loaded sparsely (all-zero blocks cost nothing), and written back
//! block by block — only the blocks that changed.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::config::UnitConfig;
use crate::media::UnitStore;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: size {size} bytes is not a positive multiple of the {block_size}-byte block size")]
    Size { path: PathBuf, size: u64, block_size: u32 },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ImageError + '_ {
    move |source| ImageError::Io { path: path.to_owned(), source }
}

/// The unit configuration an image implies: `template` with its capacity set from the file size.
pub fn unit_config_for(path: &Path, template: &UnitConfig) -> Result<UnitConfig, ImageError> {
    let size = std::fs::metadata(path).map_err(io_error(path))?.len();
    let bs = u64::from(template.block_size);
    if size == 0 || size % bs != 0 {
        return Err(ImageError::Size { path: path.to_owned(), size, block_size: template.block_size });
    }
    Ok(UnitConfig { blocks: size / bs, ..template.clone() })
}

/// Reads an image into a unit store. Blocks of zeros stay unstored (and, on a thin unit, deallocated).
pub fn load(path: &Path, config: &UnitConfig) -> Result<UnitStore, ImageError> {
    let mut store = UnitStore::new(config);
    let mut file = io::BufReader::with_capacity(1 << 20, File::open(path).map_err(io_error(path))?);
    let mut block = vec![0u8; config.block_size as usize];
    for lba in 0..config.blocks {
        file.read_exact(&mut block).map_err(io_error(path))?;
        if block.iter().any(|&b| b != 0) {
            store.load_block(lba, &block);
        }
    }
    Ok(store)
}

/// Writes every block changed since loading back to the image; returns how many were written.
pub fn write_back(path: &Path, store: &UnitStore) -> Result<u64, ImageError> {
    let mut file = OpenOptions::new().write(true).open(path).map_err(io_error(path))?;
    let mut block = vec![0u8; store.block_size() as usize];
    let mut written = 0;
    for lba in store.dirty_blocks() {
        // A dirty block can be a bad block only if the write failed, and then it was not changed.
        if store.read_block(lba, &mut block).is_err() {
            continue;
        }
        file.seek(SeekFrom::Start(lba * u64::from(store.block_size()))).map_err(io_error(path))?;
        file.write_all(&block).map_err(io_error(path))?;
        written += 1;
    }
    file.sync_all().map_err(io_error(path))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::WriteHint;

    #[test]
    fn round_trip_writes_only_changed_blocks() {
        let dir = std::env::temp_dir().join(format!("offload-image-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("unit.img");
        let mut original = vec![0u8; 8 * 512];
        original[512..1024].fill(0x11);
        std::fs::write(&path, &original).unwrap();

        let config = unit_config_for(&path, &UnitConfig::default()).unwrap();
        assert_eq!(config.blocks, 8);
        let mut store = load(&path, &config).unwrap();
        let mut out = [0u8; 512];
        store.read_block(1, &mut out).unwrap();
        assert_eq!(out, [0x11; 512]);
        store.write_block(6, &[0x22; 512], WriteHint::Data).unwrap();
        store.write_block(1, &[0; 512], WriteHint::Deallocate).unwrap();
        assert_eq!(write_back(&path, &store).unwrap(), 2);

        let mut expected = original;
        expected[512..1024].fill(0);
        expected[6 * 512..7 * 512].fill(0x22);
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert!(matches!(unit_config_for(&path, &UnitConfig::default()), Err(ImageError::Size { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
