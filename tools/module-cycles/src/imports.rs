//! The leaves of a `use` tree: each path it imports, and the name (if any) that path is bound to.
//!
//! `use crate::pdu::{self, reject::Reason as Why, *};` has three leaves: `crate::pdu` bound to `pdu`,
//! `crate::pdu::reject::Reason` bound to `Why`, and a glob over `crate::pdu`.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{ItemUse, UseTree};

/// One path a `use` item imports.
#[derive(Clone, Debug)]
pub struct UseLeaf {
    /// The path's names, `self` groups folded into their prefix; a glob's path is the module it reads.
    pub segments: Vec<String>,
    pub binding: Binding,
    /// Where the leaf is written: its last name, or the `*` of a glob.
    pub span: Span,
}

/// What a leaf brings into scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// The imported thing under this name (its own, or the one after `as`).
    Name(String),
    /// Nothing nameable: `use path as _;`.
    Underscore,
    /// Every name of the module the path reaches: `use path::*;`.
    Glob,
}

/// The leaves of `item`, or none when it imports from another crate through a leading `::`.
pub fn leaves(item: &ItemUse) -> Vec<UseLeaf> {
    let mut found = Vec::new();
    if item.leading_colon.is_none() {
        collect(&item.tree, &mut Vec::new(), &mut found);
    }
    found
}

fn collect(tree: &UseTree, prefix: &mut Vec<String>, found: &mut Vec<UseLeaf>) {
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.unraw().to_string());
            collect(&path.tree, prefix, found);
            prefix.pop();
        }
        UseTree::Name(name) => {
            let segments = extend(prefix, &name.ident.unraw().to_string());
            if let Some(last) = segments.last() {
                let binding = Binding::Name(last.clone());
                found.push(UseLeaf { segments, binding, span: name.ident.span() });
            }
        }
        UseTree::Rename(rename) => {
            let segments = extend(prefix, &rename.ident.unraw().to_string());
            let new_name = rename.rename.unraw().to_string();
            let binding = if new_name == "_" { Binding::Underscore } else { Binding::Name(new_name) };
            found.push(UseLeaf { segments, binding, span: rename.ident.span() });
        }
        UseTree::Glob(glob) => {
            found.push(UseLeaf { segments: prefix.clone(), binding: Binding::Glob, span: glob.star_token.span });
        }
        UseTree::Group(group) => {
            for tree in &group.items {
                collect(tree, prefix, found);
            }
        }
    }
}

/// `prefix` followed by `name`, where `self` stands for the prefix itself (`use a::b::{self}` is `a::b`).
fn extend(prefix: &[String], name: &str) -> Vec<String> {
    let mut segments = prefix.to_vec();
    if name != "self" {
        segments.push(name.to_owned());
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves_of(source: &str) -> Vec<(Vec<String>, Binding)> {
        let item: ItemUse = syn::parse_str(source).expect("a use item");
        leaves(&item).into_iter().map(|leaf| (leaf.segments, leaf.binding)).collect()
    }

    fn path(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn self_renames_underscores_and_globs() {
        assert_eq!(
            leaves_of("use crate::pdu::{self, reject::Reason as Why, Trait as _, *};"),
            [
                (path(&["crate", "pdu"]), Binding::Name("pdu".into())),
                (path(&["crate", "pdu", "reject", "Reason"]), Binding::Name("Why".into())),
                (path(&["crate", "pdu", "Trait"]), Binding::Underscore),
                (path(&["crate", "pdu"]), Binding::Glob),
            ]
        );
    }

    #[test]
    fn a_renamed_self_binds_the_prefix_under_the_new_name() {
        assert_eq!(
            leaves_of("use super::text::{self as negotiation};"),
            [(path(&["super", "text"]), Binding::Name("negotiation".into()))]
        );
    }

    #[test]
    fn raw_identifiers_lose_their_prefix() {
        assert_eq!(
            leaves_of("use self::r#type::Kind;"),
            [(path(&["self", "type", "Kind"]), Binding::Name("Kind".into()))]
        );
    }

    #[test]
    fn a_leading_double_colon_names_another_crate() {
        assert_eq!(leaves_of("use ::std::fmt;"), []);
    }
}
