//! What the caller provides besides the units: the limits the target advertises (the shared
//! vocabulary's [`Limits`], with the same defaults the model has), who may reach which unit, and the
//! checks a configuration must pass.

use core::fmt;

use offload_scsi::{LimitError, Limits, ReservationClass};

use crate::media::Unit;

/// Which initiator may reach which logical unit, and what the units' reservations let it do there.
/// Implemented for every `Fn(&[u8], u16) -> bool` (initiator name, LUN; no reservations) and by
/// [`AllowAll`].
pub trait Access {
    fn allows(&self, initiator: &[u8], lun: u16) -> bool;

    /// Whether the reservations of unit `lun` admit a command of `class` from `initiator` (the I_T
    /// nexus). EXTENDED COPY asks it for each segment's source ([`ReservationClass::Read`]) and
    /// destination ([`ReservationClass::Exclusive`]); the caller holds the reservation state.
    fn permits(&self, _initiator: &[u8], _lun: u16, _class: ReservationClass) -> bool {
        true
    }
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

/// Why a configuration cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    NoUnits,
    TooManyUnits {
        units: usize,
    },
    BlockSize {
        unit: usize,
        size: u32,
    },
    NoCapacity {
        unit: usize,
    },
    Provisioning {
        unit: usize,
        bytes: usize,
        needed: usize,
    },
    BadBlocks {
        unit: usize,
    },
    /// A window ([`crate::Window`]) past the unit's capacity, or on a thin unit not at a multiple of 4.
    Window {
        unit: usize,
    },
    Limits(LimitError),
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
            ConfigError::Window { unit } => write!(
                f,
                "unit {unit}: its window runs past the capacity, or does not start at a multiple of 4 blocks on \
                 a thin unit"
            ),
            ConfigError::Limits(e) => e.fmt(f),
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
        check_unit(unit, i)?;
    }
    limits.validate().map_err(ConfigError::Limits)
}

/// What every unit must satisfy (see [`Unit`]): a supported block size, at least one block, a window
/// inside it, enough provisioning state for the blocks held, ascending bad blocks within the capacity.
fn check_unit(unit: &Unit<'_>, index: usize) -> Result<(), ConfigError> {
    if unit.block_size != 512 && unit.block_size != 4096 {
        return Err(ConfigError::BlockSize { unit: index, size: unit.block_size });
    }
    let blocks = unit.capacity();
    if blocks == 0 {
        return Err(ConfigError::NoCapacity { unit: index });
    }
    if !unit.window_fits() {
        return Err(ConfigError::Window { unit: index });
    }
    let needed = Unit::provisioning_bytes(unit.held_blocks());
    if let Some(bits) = &unit.provisioning
        && bits.len() < needed
    {
        return Err(ConfigError::Provisioning { unit: index, bytes: bits.len(), needed });
    }
    let ascending = unit.bad_blocks.windows(2).all(|w| w[0] < w[1]);
    if !ascending || unit.bad_blocks.last().is_some_and(|&lba| lba >= blocks) {
        return Err(ConfigError::BadBlocks { unit: index });
    }
    Ok(())
}
