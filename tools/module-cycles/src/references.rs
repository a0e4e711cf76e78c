//! Finding, in each module's code, the paths that lead into another module of the crate.
//!
//! Every path `syn`'s visitor reaches counts: in `use` items, expressions, types, patterns, trait
//! bounds, attributes and macro invocations. Outside `use`, a path's last name is the item it names
//! (a function, a type, a macro), never a module, so only the names before it are followed
//! (`crate::connection::serve` leads into `connection`). The arguments of a macro invocation are
//! followed too when they read as comma-separated expressions, as those of `assert_eq!`, `vec!` or
//! `format!` do; other macro bodies are skipped.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, Item, ItemUse, Macro, Path, Token};

use crate::imports;
use crate::resolve::Scopes;
use crate::tree::{ModuleId, ModuleTree};

/// Code in module `from`, at `line` of that module's file, names a path leading into module `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub from: ModuleId,
    pub to: ModuleId,
    pub line: usize,
}

/// Every reference from a module to another one, in the order the modules and their code come.
pub fn collect(tree: &ModuleTree, scopes: &Scopes<'_>) -> Vec<Reference> {
    let mut collector = Collector { scopes, module: ModuleId::ROOT, found: Vec::new() };
    for id in tree.ids() {
        collector.module = id;
        for item in &tree.module(id).items {
            // A child module's code is the child's own; its declaration is all that is left here.
            if !matches!(item, Item::Mod(_)) {
                collector.visit_item(item);
            }
        }
    }
    collector.found
}

struct Collector<'scopes, 'tree> {
    scopes: &'scopes Scopes<'tree>,
    /// The module whose code is being read.
    module: ModuleId,
    found: Vec<Reference>,
}

impl Collector<'_, '_> {
    fn record(&mut self, segments: &[String], span: Span) {
        if let Some(resolution) = self.scopes.resolve(self.module, segments)
            && resolution.module != self.module
        {
            self.found.push(Reference { from: self.module, to: resolution.module, line: span.start().line });
        }
    }
}

impl Visit<'_> for Collector<'_, '_> {
    fn visit_item_use(&mut self, item: &ItemUse) {
        for leaf in imports::leaves(item) {
            self.record(&leaf.segments, leaf.span);
        }
    }

    fn visit_path(&mut self, path: &Path) {
        let count = path.segments.len();
        if path.leading_colon.is_none() && count > 1 {
            let leading: Vec<String> =
                path.segments.iter().take(count - 1).map(|segment| segment.ident.unraw().to_string()).collect();
            self.record(&leading, path.segments[0].ident.span());
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, invocation: &Macro) {
        self.visit_path(&invocation.path);
        if invocation.path.is_ident("macro_rules") {
            return;
        }
        if let Ok(arguments) = invocation.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for argument in &arguments {
                self.visit_expr(argument);
            }
        }
    }
}
