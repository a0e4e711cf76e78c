//! Timing parameters: the one set shared by the model's cycle equations and the RTL's top-level
//! parameters.

use serde::{Deserialize, Serialize};

/// Parameters shared by the model's timing and the RTL's top-level parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingParams {
    /// Data-bus width in bytes (8 for a 64-bit bus; 4 for 32).
    pub bus_bytes: u32,
    /// Largest logical block the engines handle: sizes the RTL's pattern and compare buffers (no cycle
    /// equation uses it).
    pub block_bytes: u32,
    /// Beats per read or write burst.
    pub burst_beats: u32,
    /// Read bursts in flight at once.
    pub max_outstanding_reads: u32,
    /// Cycles from a read address to its first data beat.
    pub read_latency: u32,
    /// Cycles from a write's last data beat to its response.
    pub write_latency: u32,
    /// Job queues (one per initiator issuing at once).
    pub queues: u32,
    /// Range-lock table entries: jobs that may hold locks at once.
    pub lock_entries: u32,
}

impl Default for TimingParams {
    fn default() -> Self {
        TimingParams {
            bus_bytes: 8,
            block_bytes: 4096,
            burst_beats: 16,
            max_outstanding_reads: 4,
            read_latency: 16,
            write_latency: 8,
            queues: 2,
            lock_entries: 4,
        }
    }
}

impl TimingParams {
    pub fn validate(&self) -> Result<(), String> {
        let pow2 = |name: &str, v: u32| -> Result<(), String> {
            if v.is_power_of_two() { Ok(()) } else { Err(format!("timing.{name} = {v} must be a power of two")) }
        };
        pow2("bus_bytes", self.bus_bytes)?;
        pow2("block_bytes", self.block_bytes)?;
        pow2("burst_beats", self.burst_beats)?;
        if !(4..=64).contains(&self.bus_bytes) {
            return Err(format!("timing.bus_bytes = {} must be 4 to 64", self.bus_bytes));
        }
        if self.block_bytes < 4096 {
            return Err("timing.block_bytes must hold a 4096-byte block".into());
        }
        if u64::from(self.burst_beats) * u64::from(self.bus_bytes) > 512 {
            return Err("a burst must not be longer than a 512-byte block".into());
        }
        if self.max_outstanding_reads == 0 || self.lock_entries == 0 {
            return Err("timing.max_outstanding_reads and timing.lock_entries must be at least 1".into());
        }
        if !(1..=255).contains(&self.queues) {
            return Err("timing.queues must be 1 to 255".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_parameters() {
        assert!(TimingParams { bus_bytes: 6, ..TimingParams::default() }.validate().is_err());
        assert!(TimingParams { burst_beats: 128, ..TimingParams::default() }.validate().is_err());
        assert!(TimingParams { queues: 0, ..TimingParams::default() }.validate().is_err());
        assert!(TimingParams::default().validate().is_ok());
    }
}
