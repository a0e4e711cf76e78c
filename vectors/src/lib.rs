//! # offload-vectors — the contract between the three implementations
//!
//! The reference model writes golden vectors; the RTL (through the co-simulation) and the software fast
//! path are checked against them. Everything the implementations must agree on is defined here, once:
//!
//! - [`config`]: a target's logical units, access map and advertised limits, and [`timing`]'s parameters
//!   (also the RTL's top-level parameters);
//! - [`address`]: the flat address map engine jobs use;
//! - [`job`]: engine jobs and their completions;
//! - [`cdb`]: CDB and parameter-list builders;
//! - [`case`]: one golden vector — configuration, initial media, commands with their expected answers,
//!   jobs with their expected completions, and the final media;
//! - [`media`]: the deterministic initial-media generator and the media digest;
//! - [`memh`]: the export of jobs and memory images in `$readmemh` form for a plain SystemVerilog bench;
//! - [`sv`]: the RTL's SystemVerilog package (`rtl/offload_pkg.sv`), generated from the definitions above.
//!
//! `vectors/README.md` documents every field of the files in `vectors/data/`.

pub mod address;
pub mod case;
pub mod cdb;
pub mod config;
pub mod job;
pub mod media;
pub mod memh;
pub mod sv;
pub mod timing;
