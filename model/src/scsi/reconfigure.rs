//! A running target's configuration changed by its administrator (a reload): what can change live —
//! a unit's capacity (every nexus then finds CAPACITY DATA HAS CHANGED on it) and the access map (the
//! nexuses whose LUN inventory changed find REPORTED LUNS DATA HAS CHANGED) — and what cannot: anything
//! else (a unit added or removed, a block size, provisioning, limits, ...) would change a device under
//! a host that has no way to be told, so such a configuration is refused whole, nothing applied.

use crate::config::{AccessMap, ConfigError, TargetConfig, UnitConfig};

use super::Target;

/// One change a reload makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveChange {
    Resize { lun: u16, blocks: u64 },
    Access(AccessMap),
}

/// Why a new configuration cannot be applied to a running target.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotLive {
    #[error("the new configuration is invalid: {0}")]
    Invalid(#[from] ConfigError),
    #[error("the number of units changes from {from} to {to}: units cannot be added or removed live")]
    UnitCount { from: usize, to: usize },
    #[error("unit {lun}: its {field} changes; only a unit's capacity can change live")]
    Unit { lun: u16, field: &'static str },
    #[error("the {0} change; only unit capacities and the access map can change live")]
    Target(&'static str),
}

/// The first of a unit's settings other than its capacity that differs, by name.
fn unit_difference(current: &UnitConfig, new: &UnitConfig) -> Option<&'static str> {
    let fields = [
        ("block size", current.block_size != new.block_size),
        ("provisioning (thin)", current.thin != new.thin),
        ("write protection", current.write_protected != new.write_protected),
        ("bad blocks", current.bad_blocks != new.bad_blocks),
        ("designator", current.naa_vendor_id != new.naa_vendor_id || current.naa != new.naa),
        (
            "physical block exponent",
            current.logical_blocks_per_physical_block_exponent != new.logical_blocks_per_physical_block_exponent,
        ),
        ("write cache default", current.write_cache != new.write_cache),
    ];
    fields.into_iter().find(|&(_, differs)| differs).map(|(name, _)| name)
}

/// The changes that turn `current` into `new`, or why it cannot be done live.
pub fn plan(current: &TargetConfig, new: &TargetConfig) -> Result<Vec<LiveChange>, NotLive> {
    new.validate()?;
    if current.units.len() != new.units.len() {
        return Err(NotLive::UnitCount { from: current.units.len(), to: new.units.len() });
    }
    let target_fields = [
        ("limits", current.limits != new.limits),
        ("timing parameters", current.timing != new.timing),
        ("descriptor-sense default", current.descriptor_sense != new.descriptor_sense),
        ("power-on unit attention", current.power_on_unit_attention != new.power_on_unit_attention),
    ];
    if let Some((name, _)) = target_fields.into_iter().find(|&(_, differs)| differs) {
        return Err(NotLive::Target(name));
    }
    let mut changes = Vec::new();
    for (lun, (c, n)) in current.units.iter().zip(&new.units).enumerate() {
        let lun = lun as u16;
        if let Some(field) = unit_difference(c, n) {
            return Err(NotLive::Unit { lun, field });
        }
        if c.blocks != n.blocks {
            changes.push(LiveChange::Resize { lun, blocks: n.blocks });
        }
    }
    if current.access != new.access {
        changes.push(LiveChange::Access(new.access.clone()));
    }
    Ok(changes)
}

impl Target {
    /// Applies `changes` (from [`plan`] against this target's configuration).
    pub fn apply(&mut self, changes: &[LiveChange]) -> Result<(), ConfigError> {
        for change in changes {
            match change {
                LiveChange::Resize { lun, blocks } => self.resize_unit(*lun, *blocks)?,
                LiveChange::Access(access) => self.set_access(access.clone()),
            }
        }
        Ok(())
    }

    /// Changes the configuration to `new` if that can be done live (see the module documentation).
    pub fn reconfigure(&mut self, new: &TargetConfig) -> Result<Vec<LiveChange>, NotLive> {
        let changes = plan(&self.state.config, new)?;
        self.apply(&changes)?;
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_and_access_change_live_and_nothing_else_does() {
        let current = TargetConfig::default();
        let mut new = current.clone();
        new.units[1].blocks *= 2;
        new.access.others_denied = true;
        assert_eq!(
            plan(&current, &new),
            Ok(vec![
                LiveChange::Resize { lun: 1, blocks: current.units[1].blocks * 2 },
                LiveChange::Access(new.access.clone())
            ])
        );
        assert_eq!(plan(&current, &current), Ok(vec![]));
        let mut other = current.clone();
        other.units[0].block_size = 4096;
        assert_eq!(plan(&current, &other), Err(NotLive::Unit { lun: 0, field: "block size" }));
        other = current.clone();
        other.units.pop();
        assert_eq!(plan(&current, &other), Err(NotLive::UnitCount { from: 2, to: 1 }));
        other = current.clone();
        other.descriptor_sense = true;
        assert_eq!(plan(&current, &other), Err(NotLive::Target("descriptor-sense default")));
        other = current.clone();
        other.units[0].blocks = 0;
        assert!(matches!(plan(&current, &other), Err(NotLive::Invalid(_))));
    }

    #[test]
    fn a_refused_reload_applies_nothing() {
        let mut t = Target::new(TargetConfig::default()).unwrap();
        let mut new = t.state.config.clone();
        new.units[0].blocks += 8;
        new.units[1].thin = false;
        assert!(t.reconfigure(&new).is_err());
        assert_eq!(t.state.config, TargetConfig::default());
    }
}
