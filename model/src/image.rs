//! Raw image files as logical units: loaded sparsely (all-zero blocks cost nothing), and written back
//! block by block — only the blocks that changed.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
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

/// Reads an image into a unit store. Blocks of zeros stay unstored (and, on a thin unit, deallocated);
/// only the file's data extents are read ([`nonzero_runs`]).
pub fn load(path: &Path, config: &UnitConfig) -> Result<UnitStore, ImageError> {
    let mut store = UnitStore::new(config);
    let file = File::open(path).map_err(io_error(path))?;
    let bs = config.block_size as usize;
    nonzero_runs(&file, config.block_size, config.blocks, |lba, run| {
        for (i, block) in run.chunks_exact(bs).enumerate() {
            store.load_block(lba + i as u64, block);
        }
    })
    .map_err(io_error(path))?;
    Ok(store)
}

/// Bytes read from an image at a time while loading.
const READ_CHUNK: usize = 1 << 20;

/// Visits the blocks `0..blocks` of an image that are not all zeros, in ascending order, as runs of
/// consecutive such blocks: `visit(first LBA, their bytes)`. Only the file's data extents are read —
/// SEEK_DATA and SEEK_HOLE skip the holes of a sparse file, which read as zeros — so a sparse image
/// loads in time proportional to what it stores, not to its size.
pub fn nonzero_runs(file: &File, block_size: u32, blocks: u64, mut visit: impl FnMut(u64, &[u8])) -> io::Result<()> {
    if block_size == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a block size of 0"));
    }
    let bs = u64::from(block_size);
    let chunk_blocks = (READ_CHUNK as u64 / bs).max(1);
    let mut chunk = vec![0u8; (chunk_blocks * bs) as usize];
    // The next block to read: data extents need not be block-aligned, and two may share a block.
    let mut next = 0;
    let mut offset = 0;
    while let Some(extent) = next_data_extent(file, offset, blocks * bs)? {
        offset = extent.end;
        let mut lba = (extent.start / bs).max(next);
        let stop = extent.end.div_ceil(bs).min(blocks);
        while lba < stop {
            let n = (stop - lba).min(chunk_blocks);
            let buf = &mut chunk[..(n * bs) as usize];
            file.read_exact_at(buf, lba * bs)?;
            for (first, run) in nonzero_block_runs(buf, block_size as usize) {
                visit(lba + first, run);
            }
            lba += n;
        }
        next = stop;
    }
    Ok(())
}

/// The byte range of the first data extent at or after `offset`, cut at `end`; `None` when only holes
/// remain before `end`.
fn next_data_extent(file: &File, offset: u64, end: u64) -> io::Result<Option<Range<u64>>> {
    if offset >= end {
        return Ok(None);
    }
    let start = match rustix::fs::seek(file, rustix::fs::SeekFrom::Data(offset)) {
        Ok(start) => start,
        // ENXIO: no data at or after `offset`.
        Err(rustix::io::Errno::NXIO) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if start >= end {
        return Ok(None);
    }
    // Every file ends in a hole (its end, at the latest).
    let stop = rustix::fs::seek(file, rustix::fs::SeekFrom::Hole(start))?;
    Ok(Some(start..stop.min(end)))
}

/// The runs of consecutive blocks in `buf` that are not all zeros: (index of the first block, bytes).
fn nonzero_block_runs(buf: &[u8], block_size: usize) -> impl Iterator<Item = (u64, &[u8])> {
    let zero: Vec<bool> = buf.chunks_exact(block_size).map(|b| b.iter().all(|&x| x == 0)).collect();
    let mut i = 0;
    std::iter::from_fn(move || {
        i += zero[i..].iter().position(|&z| !z)?;
        let len = zero[i..].iter().position(|&z| z).unwrap_or(zero.len() - i);
        let run = (i as u64, &buf[i * block_size..(i + len) * block_size]);
        i += len;
        Some(run)
    })
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

    /// A 1 TiB sparse image with a few written blocks loads at once (only its data extents are read),
    /// and exactly its non-zero blocks are stored and mapped: an all-zero block inside a data extent
    /// stays deallocated.
    #[test]
    fn a_sparse_terabyte_image_loads_its_data_extents_only() {
        let dir = std::env::temp_dir().join(format!("offload-image-sparse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.img");
        let blocks = (1u64 << 40) / 512;
        let file = File::create(&path).unwrap();
        file.set_len(blocks * 512).unwrap();
        // Blocks 1000 and 1002 hold data, 1001 (written zeros) lies between them in one data extent.
        let mut run = vec![0x5Au8; 3 * 512];
        run[512..1024].fill(0);
        file.write_all_at(&run, 1000 * 512).unwrap();
        // A run longer than the reading chunk, read in pieces.
        let long: Vec<u8> = (0..(6 << 10) * 512 + 512).map(|i| (i % 251) as u8 | 1).collect();
        file.write_all_at(&long, 5000 * 512).unwrap();
        let high = blocks - 100_000;
        file.write_all_at(&[0xA5; 512], high * 512).unwrap();
        file.write_all_at(&[0x01; 512], (blocks - 1) * 512).unwrap();
        drop(file);

        let config = UnitConfig { thin: true, ..unit_config_for(&path, &UnitConfig::default()).unwrap() };
        assert_eq!(config.blocks, blocks);
        let started = std::time::Instant::now();
        let store = load(&path, &config).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
        let stored: Vec<u64> = store.nonzero_blocks().map(|(lba, _)| lba).collect();
        let long_blocks = 5000..5000 + (6 << 10) + 1;
        let expected: Vec<u64> =
            [1000, 1002].into_iter().chain(long_blocks.clone()).chain([high, blocks - 1]).collect();
        assert_eq!(stored, expected);
        let loaded: Vec<u8> =
            store.nonzero_blocks().filter(|(l, _)| long_blocks.contains(l)).flat_map(|(_, b)| b.to_vec()).collect();
        assert_eq!(loaded, long);
        let mut out = [0u8; 512];
        store.read_block(high, &mut out).unwrap();
        assert_eq!(out, [0xA5; 512]);
        use crate::media::Provisioning;
        assert_eq!(store.provisioning_run(0, 1000), (Provisioning::Deallocated, 1000));
        assert_eq!(store.provisioning_run(1000, 10), (Provisioning::Mapped, 1));
        assert_eq!(store.provisioning_run(1001, 10), (Provisioning::Deallocated, 1));
        assert_eq!(store.provisioning(blocks - 1), Provisioning::Mapped);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nonzero_block_runs_split_at_zero_blocks() {
        let mut buf = vec![0u8; 8 * 4];
        for block in [1, 2, 4, 7] {
            buf[block * 4 + 3] = 1;
        }
        let runs: Vec<(u64, usize)> = nonzero_block_runs(&buf, 4).map(|(i, run)| (i, run.len())).collect();
        assert_eq!(runs, [(1, 8), (4, 4), (7, 4)]);
        assert_eq!(nonzero_block_runs(&[0; 16], 4).count(), 0);
    }
}
