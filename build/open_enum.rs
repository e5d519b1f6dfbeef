//! String enums as *open* enums: one variant per documented value, and `Unknown(String)` for a
//! value upstream starts sending before the spec (and this crate) documents it.
//!
//! typify makes a closed enum of a string `enum`, so a new value upstream adds (a new budget
//! `scope`, a new data region) would fail the whole response's decoding. Every string-enum
//! component of the fragment is generated here instead, and progenitor is told to use it
//! (`with_replacement`), so the types that hold one decode whatever text comes.

use super::naming::{docs, ident, pascal};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// The Rust variant for a value, by the naming rule (`workspace_default_key` →
/// `WorkspaceDefaultKey`, `2x` → `X2x`); `Unknown` is taken by the catch-all, so a value
/// spelled that way becomes `UnknownValue`.
pub fn variant_name(value: &str) -> String {
    let name = pascal(value);
    if name == "Unknown" { "UnknownValue".to_owned() } else { name }
}

/// The enum, its accessors, `Display`/`FromStr` and serde, for the component `component` (its
/// values have distinct variants: the model refuses two that would not).
pub fn emit(component: &str, description: Option<&str>, values: &[String]) -> TokenStream {
    let name = ident(&pascal(component));
    let variants: Vec<Ident> = values.iter().map(|v| ident(&variant_name(v))).collect();
    let variant_docs = values.iter().map(|v| format!(" `{v}`"));
    let type_doc = docs(description.unwrap_or("A value of a string enum of the API."));
    let list = values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    let open_doc = docs(&format!(
        "\nDocumented values: {list}. A value upstream adds before this crate documents it decodes as\n`Unknown` with the text as sent, never as an error; compare with [`{}::as_str`] to match it.",
        pascal(component)
    ));
    let expecting = format!("a string (one of {list}, or another)");
    quote! {
        #type_doc
        #open_doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #variants, )*
            /// A value this version of the crate does not know, as the server sent it.
            Unknown(String),
        }

        impl #name {
            /// The value as on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Unknown(other) => other,
                }
            }

            /// Whether the value is one the spec documents (not [`Self::Unknown`]).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(match s {
                    #( #values => Self::#variants, )*
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    // A known value is matched on the borrowed text: no allocation.
                    fn visit_str<E: ::serde::de::Error>(self, s: &str) -> ::std::result::Result<#name, E> {
                        Ok(match s {
                            #( #values => #name::#variants, )*
                            other => #name::Unknown(other.to_owned()),
                        })
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    }
}
