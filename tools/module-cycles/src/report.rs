//! What a check of one crate root finds, and how it reads.

use std::fmt;
use std::path::PathBuf;

/// The result of checking one crate root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The crate root file, as given.
    pub root: PathBuf,
    /// How many modules the crate has, the root and inline modules included.
    pub module_count: usize,
    pub cycles: Vec<Cycle>,
}

/// Modules that reach each other through references: a strongly connected component of two or more
/// modules, none of which contains another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// A closed walk through every module of the cycle, first module repeated at the end:
    /// `["config", "media", "config"]`.
    pub walk: Vec<String>,
    /// Every reference between two modules of the cycle, one per pair, in order of their modules.
    pub edges: Vec<Edge>,
}

/// Module `from` names a path into module `to`; the first place it does so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Report {
    /// One line for the root, then, for each cycle, its walk and the reference behind each edge.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let modules = if self.module_count == 1 { "module" } else { "modules" };
        write!(f, "{}: {} {modules}, ", self.root.display(), self.module_count)?;
        match self.cycles.len() {
            0 => return writeln!(f, "no cycle"),
            1 => writeln!(f, "1 cycle")?,
            count => writeln!(f, "{count} cycles")?,
        }
        for cycle in &self.cycles {
            writeln!(f, "  {}", cycle.walk.join(" → "))?;
            let width = cycle.edges.iter().map(|edge| edge.from.chars().count() + edge.to.chars().count()).max();
            for edge in &cycle.edges {
                let pad = width.unwrap_or(0) - edge.from.chars().count() - edge.to.chars().count();
                writeln!(f, "    {} → {}{:pad$}  {}:{}", edge.from, edge.to, "", edge.file.display(), edge.line)?;
            }
        }
        Ok(())
    }
}
