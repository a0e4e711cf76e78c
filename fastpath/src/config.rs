//! What the caller provides: the logical units (their memory), the limits the target advertises, and who
//! may reach which unit.

use core::fmt;

use crate::media;

/// Limits the target advertises (VPD B0h, VPD 8Fh, RECEIVE COPY RESULTS) and enforces — field for field
/// the reference model's `Limits`, with the same defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// MAXIMUM TRANSFER LENGTH (blocks) for READ and WRITE.
    pub max_transfer_blocks: u32,
    /// MAXIMUM COMPARE AND WRITE LENGTH (blocks).
    pub max_compare_and_write_blocks: u8,
    /// MAXIMUM WRITE SAME LENGTH (blocks).
    pub max_write_same_blocks: u64,
    /// WSNZ: WRITE SAME with NUMBER OF LOGICAL BLOCKS = 0 is rejected (otherwise it means "to the end").
    pub write_same_non_zero: bool,
    /// MAXIMUM UNMAP LBA COUNT (blocks per UNMAP command).
    pub max_unmap_blocks: u32,
    /// MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT.
    pub max_unmap_descriptors: u32,
    /// OPTIMAL UNMAP GRANULARITY (blocks): the unaligned head and tail of a released range are written
    /// with zeros (and stay mapped); only the aligned middle is deallocated or anchored.
    pub unmap_granularity: u32,
    /// EXTENDED COPY limits.
    pub copy: CopyLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_transfer_blocks: 8192,
            max_compare_and_write_blocks: 255,
            max_write_same_blocks: 65_536,
            write_same_non_zero: true,
            max_unmap_blocks: 1024 * 1024,
            max_unmap_descriptors: 64,
            unmap_granularity: 1,
            copy: CopyLimits::default(),
        }
    }
}

/// Limits of the EXTENDED COPY (LID1) copy manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyLimits {
    /// MAXIMUM TARGET (CSCD) DESCRIPTOR COUNT.
    pub max_target_descriptors: u16,
    /// MAXIMUM SEGMENT DESCRIPTOR COUNT.
    pub max_segment_descriptors: u16,
    /// MAXIMUM DESCRIPTOR LIST LENGTH (bytes of CSCD plus segment descriptors).
    pub max_descriptor_list_bytes: u32,
    /// MAXIMUM SEGMENT LENGTH (bytes one segment may move).
    pub max_segment_bytes: u32,
    /// TOTAL CONCURRENT COPIES: lists in progress at once and copy results held (by the model; the fast path
    /// runs one list at a time and holds no results).
    pub concurrent_copies: u16,
}

impl Default for CopyLimits {
    fn default() -> Self {
        CopyLimits {
            max_target_descriptors: 8,
            max_segment_descriptors: 16,
            max_descriptor_list_bytes: 8 * 32 + 16 * 28,
            max_segment_bytes: 16 * 1024 * 1024,
            concurrent_copies: 16,
        }
    }
}

/// Which initiator may reach which logical unit. Implemented for every `Fn(&[u8], u16) -> bool` (initiator
/// name, LUN) and by [`AllowAll`].
pub trait Access {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool;
}

impl<F: Fn(&[u8], u16) -> bool> Access for F {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool {
        self(initiator, lun)
    }
}

/// Every initiator reaches every unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllowAll;

impl Access for AllowAll {
    fn allows(&self, _initiator: &[u8], _lun: u16) -> bool {
        true
    }
}

/// Provisioning state of one logical block (SBC-4 4.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provisioning {
    Mapped,
    Deallocated,
    Anchored,
}

/// One logical unit over caller-provided memory.
///
/// - `data`: the medium; capacity = `data.len() / block_size` blocks (trailing bytes are not used).
/// - `provisioning`: `None` for a fully provisioned unit (LBPME=0: UNMAP and WRITE SAME's UNMAP are
///   refused); `Some` for a thin unit: 2 bits per block, block `k` at bits `2k` (mapped) and `2k + 1`
///   (anchored) counting from the least significant bit of byte 0; both clear = deallocated. At least
///   [`Unit::provisioning_bytes`] bytes.
/// - **Invariant** of a thin unit: every block that is not mapped holds zeros in `data` (LBPRZ=1: the fast
///   path reads the medium directly). [`Unit::format`] makes a fresh, all-deallocated unit.
/// - `bad_blocks`: LBAs that fail every read and write (MEDIUM ERROR), ascending; usually empty.
/// - `descriptor_sense`: the unit's D_SENSE (mode pages are per logical unit, MODE SELECT changes them).
pub struct Unit<'a> {
    pub data: &'a mut [u8],
    /// 512 or 4096.
    pub block_size: u32,
    pub write_protected: bool,
    /// The NAA designator VPD page 83h reports: the identity EXTENDED COPY's CSCD descriptors name.
    pub naa: [u8; 16],
    pub provisioning: Option<&'a mut [u8]>,
    pub bad_blocks: &'a [u64],
    /// The unit's control mode page D_SENSE bit: descriptor-format sense data for commands addressed to it.
    pub descriptor_sense: bool,
}

impl<'a> Unit<'a> {
    /// A fully provisioned unit with the contents `data` already holds.
    pub fn thick(data: &'a mut [u8], block_size: u32, naa: [u8; 16]) -> Self {
        Unit {
            data,
            block_size,
            write_protected: false,
            naa,
            provisioning: None,
            bad_blocks: &[],
            descriptor_sense: false,
        }
    }

    /// A thin unit with the given provisioning state (see the invariant on [`Unit`]).
    pub fn thin(data: &'a mut [u8], block_size: u32, naa: [u8; 16], provisioning: &'a mut [u8]) -> Self {
        Unit { provisioning: Some(provisioning), ..Unit::thick(data, block_size, naa) }
    }

    /// Bytes of provisioning state a thin unit of `blocks` blocks needs.
    pub const fn provisioning_bytes(blocks: u64) -> usize {
        blocks.div_ceil(4) as usize
    }

    /// Capacity in blocks.
    pub fn capacity(&self) -> u64 {
        let blocks = match self.block_size {
            0 => 0,
            // The block sizes in use are powers of two: a shift, not a division, on every range check.
            bs if bs.is_power_of_two() => self.data.len() >> bs.trailing_zeros(),
            bs => self.data.len() / bs as usize,
        };
        blocks as u64
    }

    pub fn is_thin(&self) -> bool {
        self.provisioning.is_some()
    }

    /// The provisioning state of `lba` (always mapped on a thick unit); `None` past the capacity or the
    /// provisioning state.
    pub fn state(&self, lba: u64) -> Option<Provisioning> {
        if lba >= self.capacity() {
            return None;
        }
        Some(match &self.provisioning {
            None => Provisioning::Mapped,
            Some(bits) => match media::state_bits(bits.get(..Unit::provisioning_bytes(lba + 1))?, lba as usize) {
                media::MAPPED => Provisioning::Mapped,
                media::ANCHORED => Provisioning::Anchored,
                _ => Provisioning::Deallocated,
            },
        })
    }

    /// Zeroes the medium and, on a thin unit, deallocates every block: a freshly created unit.
    pub fn format(&mut self) {
        self.data.fill(0);
        if let Some(bits) = &mut self.provisioning {
            bits.fill(0);
        }
    }

    /// What every command checks before it touches the unit (cheap: no scan).
    pub(crate) fn usable(&self) -> bool {
        let blocks = self.capacity();
        (self.block_size == 512 || self.block_size == 4096)
            && blocks > 0
            && self.provisioning.as_ref().is_none_or(|p| p.len() >= Unit::provisioning_bytes(blocks))
    }

    fn check(&self, unit: usize) -> Result<(), ConfigError> {
        if self.block_size != 512 && self.block_size != 4096 {
            return Err(ConfigError::BlockSize { unit, size: self.block_size });
        }
        let blocks = self.capacity();
        if blocks == 0 {
            return Err(ConfigError::NoCapacity { unit });
        }
        if let Some(bits) = &self.provisioning
            && bits.len() < Unit::provisioning_bytes(blocks)
        {
            return Err(ConfigError::Provisioning {
                unit,
                bytes: bits.len(),
                needed: Unit::provisioning_bytes(blocks),
            });
        }
        let ascending = self.bad_blocks.windows(2).all(|w| w[0] < w[1]);
        if !ascending || self.bad_blocks.last().is_some_and(|&lba| lba >= blocks) {
            return Err(ConfigError::BadBlocks { unit });
        }
        Ok(())
    }
}

/// Why a configuration cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    NoUnits,
    TooManyUnits { units: usize },
    BlockSize { unit: usize, size: u32 },
    NoCapacity { unit: usize },
    Provisioning { unit: usize, bytes: usize, needed: usize },
    BadBlocks { unit: usize },
    ZeroLimit { name: &'static str },
    Limit(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoUnits => write!(f, "a target needs at least one logical unit"),
            ConfigError::TooManyUnits { units } => write!(f, "{units} units: LUNs are 16 bits"),
            ConfigError::BlockSize { unit, size } => write!(f, "unit {unit}: block size {size} is not 512 or 4096"),
            ConfigError::NoCapacity { unit } => write!(f, "unit {unit}: its memory holds no whole block"),
            ConfigError::Provisioning { unit, bytes, needed } => {
                write!(f, "unit {unit}: {bytes} bytes of provisioning state, {needed} needed")
            }
            ConfigError::BadBlocks { unit } => {
                write!(f, "unit {unit}: bad blocks must be ascending and within the capacity")
            }
            ConfigError::ZeroLimit { name } => write!(f, "limit {name} must be at least 1"),
            ConfigError::Limit(rule) => f.write_str(rule),
        }
    }
}

impl core::error::Error for ConfigError {}

/// Checks units and limits as the reference model checks its configuration.
pub(crate) fn validate(units: &[Unit<'_>], limits: &Limits) -> Result<(), ConfigError> {
    if units.is_empty() {
        return Err(ConfigError::NoUnits);
    }
    if units.len() > usize::from(u16::MAX) + 1 {
        return Err(ConfigError::TooManyUnits { units: units.len() });
    }
    for (i, unit) in units.iter().enumerate() {
        unit.check(i)?;
    }
    let c = &limits.copy;
    let positive: [(&'static str, u64); 10] = [
        ("max_transfer_blocks", limits.max_transfer_blocks.into()),
        ("max_write_same_blocks", limits.max_write_same_blocks),
        ("max_unmap_blocks", limits.max_unmap_blocks.into()),
        ("max_unmap_descriptors", limits.max_unmap_descriptors.into()),
        ("unmap_granularity", limits.unmap_granularity.into()),
        ("copy.max_target_descriptors", c.max_target_descriptors.into()),
        ("copy.max_segment_descriptors", c.max_segment_descriptors.into()),
        ("copy.max_descriptor_list_bytes", c.max_descriptor_list_bytes.into()),
        ("copy.max_segment_bytes", c.max_segment_bytes.into()),
        ("copy.concurrent_copies", c.concurrent_copies.into()),
    ];
    if let Some(&(name, _)) = positive.iter().find(|(_, v)| *v == 0) {
        return Err(ConfigError::ZeroLimit { name });
    }
    if limits.max_write_same_blocks > u64::from(u32::MAX) {
        return Err(ConfigError::Limit("max_write_same_blocks must fit 32 bits"));
    }
    if u64::from(limits.max_transfer_blocks) * 4096 > 1 << 32 {
        return Err(ConfigError::Limit("max_transfer_blocks × 4096 must fit 4 GiB"));
    }
    if u32::from(limits.max_compare_and_write_blocks) > limits.max_transfer_blocks {
        return Err(ConfigError::Limit("max_compare_and_write_blocks must not exceed max_transfer_blocks"));
    }
    if c.max_descriptor_list_bytes > 0xFFFF - 16 {
        return Err(ConfigError::Limit("copy.max_descriptor_list_bytes must leave the list under 64 KiB"));
    }
    Ok(())
}
