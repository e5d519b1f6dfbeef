//! The API-change report: the public Rust surface of the checked-in fragment against the
//! regenerated one ([`crate::operations::surface`]), classed as a patch, minor or major release,
//! with every item that decides it.

use crate::operations::surface::{Item, Kind, Surface};
use std::fmt;

/// How large a release the regenerated crate is, by semver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// The fragment changed (docs, examples, rules the builders check) but no Rust item did.
    Patch,
    /// Only additions users cannot break on (every generated type is `#[non_exhaustive]`).
    Minor,
    /// Something a user's code may stop compiling or working with.
    Major,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Patch => "patch",
            Self::Minor => "minor",
            Self::Major => "major",
        })
    }
}

/// The report: the class and each item with its own class, breaking items first.
#[derive(Debug, PartialEq, Eq)]
pub struct ApiChange {
    pub class: Class,
    pub items: Vec<(Class, String)>,
}

impl ApiChange {
    /// `API change: major` then one line per item (`major: `CurrentKey::limit` changed from ...`).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "API change: {} ({})",
            self.class,
            match self.class {
                Class::Patch => "no Rust item changed",
                Class::Minor => "additions only",
                Class::Major => "breaking: release a new major version",
            }
        )];
        out.extend(self.items.iter().map(|(c, what)| format!("{c}: {what}")));
        out
    }
}

/// Whether `surface` has the type or builder `path` is a member of (`KeyBudget` for
/// `KeyBudget::scope`); a top-level item has no parent to miss.
fn has_parent(surface: &Surface, path: &str) -> bool {
    path.rsplit_once("::").is_none_or(|(parent, _)| {
        surface.contains_key(parent)
            || surface.keys().any(|k| k.strip_prefix(parent).is_some_and(|r| r.starts_with("::")))
    })
}

/// Compares two surfaces; `None` when the fragments are the same text. The members of a type or
/// builder that is new (or gone) as a whole are not listed one by one: the type, or the method
/// that makes the builder, says it.
pub fn compare(before: &Surface, after: &Surface, text_changed: bool) -> Option<ApiChange> {
    let mut items = Vec::new();
    for (path, now) in after {
        match before.get(path) {
            None if has_parent(before, path) => items.push(added(path, now)),
            None => {}
            Some(was) if was != now => items.push(changed(path, was, now)),
            Some(_) => {}
        }
    }
    for (path, was) in before.iter().filter(|(p, _)| !after.contains_key(*p) && has_parent(after, p)) {
        items.push((Class::Major, format!("`{path}` removed (was {})", describe(was))));
    }
    if items.is_empty() && !text_changed {
        return None;
    }
    items.sort_by_key(|(class, _)| std::cmp::Reverse(*class));
    let class = items.first().map_or(Class::Patch, |(c, _)| *c);
    Some(ApiChange { class, items })
}

fn describe(item: &Item) -> String {
    match item.kind {
        Kind::Struct => "a struct".into(),
        Kind::Variant | Kind::ClosedVariant => format!("the value {}", item.ty),
        Kind::Enum => format!("{} {}", if item.ty.starts_with("open") { "an" } else { "a" }, item.ty),
        Kind::Setter { required: true } => format!("required, `{}`", item.ty),
        Kind::Setter { required: false } => format!("optional, `{}`", item.ty),
        _ => format!("`{}`", item.ty),
    }
}

fn added(path: &str, item: &Item) -> (Class, String) {
    match item.kind {
        Kind::Setter { required: true } => {
            (Class::Major, format!("`{path}` added as a required setter (`{}`): calls without it now fail", item.ty))
        }
        Kind::Field => (Class::Minor, format!("`{path}` added (`{}`; the struct is #[non_exhaustive])", item.ty)),
        Kind::Variant => (Class::Minor, format!("`{path}` added (value {}; the enum is #[non_exhaustive])", item.ty)),
        Kind::ClosedVariant => (
            Class::Major,
            format!(
                "`{path}` added (value {}) to a closed enum (an inline string enum): exhaustive matches break",
                item.ty
            ),
        ),
        _ => (Class::Minor, format!("`{path}` added ({})", describe(item))),
    }
}

fn changed(path: &str, was: &Item, now: &Item) -> (Class, String) {
    if was.ty == now.ty
        && let (Kind::Setter { required: r0 }, Kind::Setter { required: r1 }) = (was.kind, now.kind)
    {
        return if r1 && !r0 {
            (Class::Major, format!("`{path}` is now required: calls without it now fail"))
        } else {
            (Class::Minor, format!("`{path}` is now optional"))
        };
    }
    if (was.kind, now.kind) == (Kind::Replaced, Kind::Replaced) {
        // The generated code does not change; the hand-written type may have to.
        let (was, now) = (&was.ty, &now.ty);
        let why = "the crate's own type replaces it: update the hand-written type to match";
        return (Class::Patch, format!("`{path}` changed upstream from `{was}` to `{now}`; {why}"));
    }
    if was.kind != now.kind && was.ty == now.ty {
        return (Class::Major, format!("`{path}` changed from {} to {}", describe(was), describe(now)));
    }
    (Class::Major, format!("`{path}` changed from `{}` to `{}`", was.ty, now.ty))
}
