//! Resolving a path written in a module to the module it leads into.
//!
//! A path starts at the crate root (`crate::`), at the module itself (`self::`), at its parent
//! (`super::`, repeatable), or at a name in the module's scope: a child module, a module the module
//! imported with `use` (under its own name or another), or a module name a glob import (`use x::*`)
//! brings in. From there every following name that names a module (a child, or a module the current
//! one imports or re-exports) goes one module further; the first name that does not ends the walk.
//! Names of other crates, of types and of values reach no module.

use std::collections::{HashMap, HashSet};

use syn::ext::IdentExt;
use syn::visit::Visit;
use syn::{Item, ItemUse};

use crate::imports::{self, Binding, UseLeaf};
use crate::tree::{ModuleId, ModuleTree};

/// The module a path leads into, and whether every one of its names was a module on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub module: ModuleId,
    pub complete: bool,
}

/// The names in scope in every module of a tree, as far as they name modules.
pub struct Scopes<'tree> {
    tree: &'tree ModuleTree,
    scopes: Vec<Scope>,
}

/// The names one module's own code can start a path with, besides its children.
#[derive(Default)]
struct Scope {
    /// Names bound by `use`: to a module of the crate, or to something else (`None`: a type, a value,
    /// another crate's module). Either way the name hides the same name from a glob import.
    imports: HashMap<String, Option<ModuleId>>,
    /// Modules whose names `use module::*` brings in.
    globs: Vec<ModuleId>,
    /// Types the module defines itself, which hide the same names from a glob import.
    local_types: HashSet<String>,
}

impl<'tree> Scopes<'tree> {
    /// Works out every module's imports. An import may go through another one (`use crate::pdu;` then
    /// `use pdu::reject;`), so they are resolved again until no new one resolves.
    pub fn build(tree: &'tree ModuleTree) -> Scopes<'tree> {
        let leaves: Vec<Vec<UseLeaf>> = tree.ids().map(|id| imports_of(&tree.module(id).items)).collect();
        let scopes = tree
            .ids()
            .zip(&leaves)
            .map(|(id, leaves)| Scope {
                imports: leaves
                    .iter()
                    .filter_map(|leaf| match &leaf.binding {
                        Binding::Name(name) => Some((name.clone(), None)),
                        Binding::Underscore | Binding::Glob => None,
                    })
                    .collect(),
                globs: Vec::new(),
                local_types: local_types(&tree.module(id).items),
            })
            .collect();
        let mut scopes = Scopes { tree, scopes };
        while scopes.resolve_more_imports(&leaves) {}
        scopes
    }

    /// One pass over every import not yet resolved; whether any resolved.
    fn resolve_more_imports(&mut self, leaves: &[Vec<UseLeaf>]) -> bool {
        let mut resolved = Vec::new();
        for (id, leaves) in self.tree.ids().zip(leaves) {
            let scope = &self.scopes[id.index()];
            for leaf in leaves {
                let Some(Resolution { module, complete: true }) = self.resolve(id, &leaf.segments) else {
                    continue;
                };
                let new = match &leaf.binding {
                    Binding::Name(name) => scope.imports.get(name) == Some(&None),
                    Binding::Glob => !scope.globs.contains(&module),
                    Binding::Underscore => false,
                };
                if new {
                    resolved.push((id, leaf.binding.clone(), module));
                }
            }
        }
        let any = !resolved.is_empty();
        for (id, binding, module) in resolved {
            let scope = &mut self.scopes[id.index()];
            match binding {
                Binding::Name(name) => {
                    scope.imports.insert(name, Some(module));
                }
                Binding::Glob if !scope.globs.contains(&module) => scope.globs.push(module),
                Binding::Glob | Binding::Underscore => {}
            }
        }
        any
    }

    /// Follows `segments`, written in module `from`, as far as they name modules; `None` when the
    /// first one names no module of this crate.
    pub fn resolve(&self, from: ModuleId, segments: &[String]) -> Option<Resolution> {
        let (first, rest) = segments.split_first()?;
        let mut current = match first.as_str() {
            "crate" => ModuleId::ROOT,
            "self" => from,
            "super" => self.tree.module(from).parent?,
            name => self.lookup(from, name, &mut Vec::new())?,
        };
        let mut leading = matches!(first.as_str(), "self" | "super");
        for name in rest {
            if leading && name == "super" {
                current = self.tree.module(current).parent?;
                continue;
            }
            leading = false;
            match self.lookup(current, name, &mut Vec::new()) {
                Some(next) => current = next,
                None => return Some(Resolution { module: current, complete: false }),
            }
        }
        Some(Resolution { module: current, complete: true })
    }

    /// The module `name` stands for in `module`'s scope. `visited` guards against globs that import
    /// each other (`use super::*;` in a child whose parent has `pub use child::*;`).
    fn lookup(&self, module: ModuleId, name: &str, visited: &mut Vec<ModuleId>) -> Option<ModuleId> {
        if let Some(&child) = self.tree.module(module).children.get(name) {
            return Some(child);
        }
        let scope = &self.scopes[module.index()];
        if let Some(&imported) = scope.imports.get(name) {
            return imported;
        }
        if scope.local_types.contains(name) || visited.contains(&module) {
            return None;
        }
        visited.push(module);
        scope.globs.iter().find_map(|&glob| self.lookup(glob, name, visited))
    }
}

/// Every `use` leaf in a module's code, also those in function bodies: they count for the whole module.
fn imports_of(items: &[Item]) -> Vec<UseLeaf> {
    struct UseCollector(Vec<UseLeaf>);
    impl Visit<'_> for UseCollector {
        fn visit_item_use(&mut self, item: &ItemUse) {
            self.0.extend(imports::leaves(item));
        }
    }
    let mut collector = UseCollector(Vec::new());
    for item in items {
        collector.visit_item(item);
    }
    collector.0
}

/// The names of the types, traits and crates a module declares at its top level.
fn local_types(items: &[Item]) -> HashSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(item) => Some(&item.ident),
            Item::Enum(item) => Some(&item.ident),
            Item::Union(item) => Some(&item.ident),
            Item::Trait(item) => Some(&item.ident),
            Item::TraitAlias(item) => Some(&item.ident),
            Item::Type(item) => Some(&item.ident),
            Item::ExternCrate(item) => Some(item.rename.as_ref().map_or(&item.ident, |(_, rename)| rename)),
            _ => None,
        })
        .map(|ident| ident.unraw().to_string())
        .collect()
}
