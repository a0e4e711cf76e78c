//! The module tree of a crate, loaded from its root file the way rustc finds module files.
//!
//! A `mod x;` declared in a module whose directory is `D` lives in `D/x.rs` or `D/x/mod.rs`, and its
//! own children live in `D/x/`. The crate root, like every `mod.rs`, has its own directory as `D`; a
//! non-`mod.rs` file `D/x.rs` owns `D/x/`. An inline `mod x { ... }` adds `x` to the directory its
//! children are looked up in. `#[path = "p"]` on a file module names the file relative to the directory
//! of the declaring file (or, inside an inline module, relative to that module's directory), and such a
//! file is treated like a `mod.rs`: its children are its siblings on disk.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use syn::ext::IdentExt;
use syn::{Attribute, Expr, ExprLit, Item, ItemMod, Lit, Meta};
use thiserror::Error;

/// Why a crate's module tree could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{file}: cannot read: {source}")]
    Read { file: PathBuf, source: std::io::Error },
    #[error("{file}:{line}:{column}: cannot parse: {message}")]
    Parse { file: PathBuf, line: usize, column: usize, message: String },
    #[error("{file}:{line}: file not found for module `{module}` (looked for {})", display_all(.candidates))]
    ModuleFileNotFound { file: PathBuf, line: usize, module: ModulePath, candidates: Vec<PathBuf> },
    #[error("{file}:{line}: module `{module}` is both {} and {}", .candidates[0].display(), .candidates[1].display())]
    AmbiguousModuleFile { file: PathBuf, line: usize, module: ModulePath, candidates: [PathBuf; 2] },
    #[error("{file}:{line}: module `{module}` includes {} again, which is already being loaded", .included.display())]
    CircularModuleFile { file: PathBuf, line: usize, module: ModulePath, included: PathBuf },
}

fn display_all(paths: &[PathBuf]) -> String {
    paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(" and ")
}

/// A module's index in its [`ModuleTree`]; the crate root is the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleId(usize);

impl ModuleId {
    pub const ROOT: ModuleId = ModuleId(0);

    pub fn index(self) -> usize {
        self.0
    }
}

/// A module's names from the crate root down, `crate` for the root itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModulePath(Vec<String>);

impl ModulePath {
    fn child(&self, name: &str) -> ModulePath {
        let mut names = self.0.clone();
        names.push(name.to_owned());
        ModulePath(names)
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { f.write_str("crate") } else { f.write_str(&self.0.join("::")) }
    }
}

/// One module: where it sits in the tree, the file its code is in and that code.
pub struct Module {
    pub path: ModulePath,
    pub parent: Option<ModuleId>,
    /// The modules declared in this one, by name.
    pub children: BTreeMap<String, ModuleId>,
    /// The file this module's code is in (for an inline module, the file of the module declaring it).
    pub file: PathBuf,
    /// This module's items; those of child modules belong to the children.
    pub items: Vec<Item>,
}

/// Every module of a crate, reached from its root file through `mod` declarations.
pub struct ModuleTree {
    modules: Vec<Module>,
}

impl ModuleTree {
    /// Loads the crate whose root file is `root` (`src/lib.rs`, `src/main.rs`, `src/bin/x.rs`, ...).
    pub fn load(root: &Path) -> Result<ModuleTree, LoadError> {
        let mut loader = Loader { modules: Vec::new(), files_being_loaded: Vec::new() };
        let directory = root.parent().map(Path::to_path_buf).unwrap_or_default();
        let source = Source { file: root.to_path_buf(), directory, inline: false };
        loader.load_file_module(ModulePath::default(), None, source)?;
        Ok(ModuleTree { modules: loader.modules })
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules[id.0]
    }

    pub fn ids(&self) -> impl Iterator<Item = ModuleId> + use<> {
        (0..self.modules.len()).map(ModuleId)
    }

    /// Whether `descendant` is `ancestor` itself or lies somewhere below it.
    pub fn contains(&self, ancestor: ModuleId, descendant: ModuleId) -> bool {
        let mut current = Some(descendant);
        while let Some(id) = current {
            if id == ancestor {
                return true;
            }
            current = self.module(id).parent;
        }
        false
    }
}

/// Where a module's code comes from and where its file-module children are looked up.
struct Source {
    file: PathBuf,
    /// The directory in which this module's `mod x;` declarations find `x.rs` or `x/mod.rs`.
    directory: PathBuf,
    /// Whether the module is an inline `mod x { ... }` block rather than a file of its own.
    inline: bool,
}

struct Loader {
    modules: Vec<Module>,
    /// The files on the way from the root to the module being loaded, to refuse a file including itself.
    files_being_loaded: Vec<PathBuf>,
}

impl Loader {
    fn load_file_module(
        &mut self,
        path: ModulePath,
        parent: Option<ModuleId>,
        source: Source,
    ) -> Result<ModuleId, LoadError> {
        let text = fs::read_to_string(&source.file)
            .map_err(|error| LoadError::Read { file: source.file.clone(), source: error })?;
        let parsed = syn::parse_file(&text).map_err(|error| {
            let start = error.span().start();
            LoadError::Parse {
                file: source.file.clone(),
                line: start.line,
                column: start.column + 1,
                message: error.to_string(),
            }
        })?;
        self.files_being_loaded.push(identity(&source.file));
        let id = self.add_module(path, parent, source, parsed.items);
        self.files_being_loaded.pop();
        id
    }

    fn add_module(
        &mut self,
        path: ModulePath,
        parent: Option<ModuleId>,
        source: Source,
        mut items: Vec<Item>,
    ) -> Result<ModuleId, LoadError> {
        let id = ModuleId(self.modules.len());
        let declarations: Vec<Declaration> = items
            .iter_mut()
            .filter_map(
                |item| if let Item::Mod(declaration) = item { Some(Declaration::take(declaration)) } else { None },
            )
            .collect();
        self.modules.push(Module {
            path: path.clone(),
            parent,
            children: BTreeMap::new(),
            file: source.file.clone(),
            items,
        });
        for declaration in declarations {
            let child_path = path.child(&declaration.name);
            let child = match declaration.inline_items {
                Some(items) => {
                    let directory =
                        source.directory.join(declaration.path_attribute.as_deref().unwrap_or(&declaration.name));
                    let child_source = Source { file: source.file.clone(), directory, inline: true };
                    self.add_module(child_path, Some(id), child_source, items)?
                }
                None => {
                    let child_source = self.find_module_file(&source, &declaration, &child_path)?;
                    self.load_file_module(child_path, Some(id), child_source)?
                }
            };
            self.modules[id.0].children.insert(declaration.name, child);
        }
        Ok(id)
    }

    /// The file of `mod x;` declared in the module read from `declaring`.
    fn find_module_file(
        &self,
        declaring: &Source,
        declaration: &Declaration,
        module: &ModulePath,
    ) -> Result<Source, LoadError> {
        let not_found = |candidates| LoadError::ModuleFileNotFound {
            file: declaring.file.clone(),
            line: declaration.line,
            module: module.clone(),
            candidates,
        };
        let source = match &declaration.path_attribute {
            Some(relative) => {
                let base = if declaring.inline {
                    declaring.directory.clone()
                } else {
                    declaring.file.parent().map(Path::to_path_buf).unwrap_or_default()
                };
                let file = base.join(relative);
                if !file.is_file() {
                    return Err(not_found(vec![file]));
                }
                let directory = file.parent().map(Path::to_path_buf).unwrap_or_default();
                Source { file, directory, inline: false }
            }
            None => {
                let directory = declaring.directory.join(&declaration.name);
                let beside = declaring.directory.join(format!("{}.rs", declaration.name));
                let below = directory.join("mod.rs");
                let file = match (beside.is_file(), below.is_file()) {
                    (true, false) => beside,
                    (false, true) => below,
                    (true, true) => {
                        return Err(LoadError::AmbiguousModuleFile {
                            file: declaring.file.clone(),
                            line: declaration.line,
                            module: module.clone(),
                            candidates: [beside, below],
                        });
                    }
                    (false, false) => return Err(not_found(vec![beside, below])),
                };
                Source { file, directory, inline: false }
            }
        };
        if self.files_being_loaded.contains(&identity(&source.file)) {
            return Err(LoadError::CircularModuleFile {
                file: declaring.file.clone(),
                line: declaration.line,
                module: module.clone(),
                included: source.file,
            });
        }
        Ok(source)
    }
}

/// What a `mod` item declares: a child module, with its items when it is an inline block.
struct Declaration {
    name: String,
    line: usize,
    path_attribute: Option<String>,
    /// The block's items for `mod x { ... }`; `None` for `mod x;`, whose items are in a file of their own.
    inline_items: Option<Vec<Item>>,
}

impl Declaration {
    /// Reads the declaration, moving an inline block's items out of it: they belong to the child.
    fn take(item: &mut ItemMod) -> Declaration {
        Declaration {
            name: item.ident.unraw().to_string(),
            line: item.ident.span().start().line,
            path_attribute: path_attribute(&item.attrs),
            inline_items: item.content.take().map(|(_, items)| items),
        }
    }
}

/// The value of a `#[path = "..."]` attribute, if there is one.
fn path_attribute(attributes: &[Attribute]) -> Option<String> {
    attributes.iter().find_map(|attribute| match &attribute.meta {
        Meta::NameValue(name_value) if name_value.path.is_ident("path") => match &name_value.value {
            Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    })
}

/// A file's canonical path when it has one, to recognise the same file reached by two spellings.
fn identity(file: &Path) -> PathBuf {
    fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())
}
