//! Checks that no module of a crate is part of an import circle.
//!
//! A crate's modules are read from its root file the way rustc finds them ([`tree`]); every path in a
//! module's code is followed through the module tree as far as it names modules ([`resolve`],
//! [`references`]); references between modules neither of which contains the other make a dependency
//! graph, whose strongly connected components of two or more modules are the cycles ([`cycles`]),
//! reported with one reference per edge ([`report`]).
//!
//! What it does not resolve, so cannot see:
//! - item re-exports: `crate::engine::JobBatch` leads into `engine` even when `engine` re-exports it
//!   from `engine::scheduler` (re-exported *modules*, `pub use x as y`, are followed);
//! - scoping finer than a module: a `use` in a function body counts for the whole module, and a
//!   local variable, generic parameter or block-level item never hides a module name;
//! - macro bodies that are not comma-separated expressions (`macro_rules!` definitions, `vec![x; n]`,
//!   statement-like macros), and code a macro generates;
//! - `include!`, `#[cfg_attr(..., path = "...")]`, `mod x;` inside function bodies (an inline
//!   `mod x { ... }` there counts as part of the enclosing module), and `#[cfg]`: every declared
//!   module is loaded, whatever its configuration.
//!
//! ```no_run
//! let report = offload_module_cycles::check("fastpath/src/lib.rs".as_ref())?;
//! print!("{report}");
//! # Ok::<(), offload_module_cycles::LoadError>(())
//! ```

pub mod cycles;
pub mod imports;
pub mod references;
pub mod report;
pub mod resolve;
pub mod tree;

use std::path::Path;

pub use report::{Cycle, Edge, Report};
pub use tree::LoadError;

use resolve::Scopes;
use tree::ModuleTree;

/// Loads the crate whose root file is `root` and finds the cycles among its modules.
pub fn check(root: &Path) -> Result<Report, LoadError> {
    let tree = ModuleTree::load(root)?;
    let scopes = Scopes::build(&tree);
    let references = references::collect(&tree, &scopes);
    let cycles = cycles::find(&tree, &references);
    Ok(Report { root: root.to_path_buf(), module_count: tree.len(), cycles })
}
