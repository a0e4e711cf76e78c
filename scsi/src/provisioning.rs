//! Logical block provisioning (SBC-4 4.7).

/// The provisioning state of one logical block; the values are GET LBA STATUS's PROVISIONING STATUS codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "snake_case"))]
pub enum Provisioning {
    Mapped = 0,
    Deallocated = 1,
    Anchored = 2,
}
