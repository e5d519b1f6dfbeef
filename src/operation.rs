//! What the runtime knows of an operation: the facts generated from the fragment (method, path,
//! tag, credential, idempotency, documented statuses). The [`Operation`] enum itself is generated
//! (one variant per `operationId`); this file gives it its public methods. Nothing here, or
//! anywhere in the runtime, names a specific operation.

use crate::generated::Operation;
use std::fmt;

/// One operation's facts, as `build.rs` read them from `openapi/credits.yaml`.
#[derive(Debug)]
pub(crate) struct Facts {
    /// The spec's `operationId` (`getCredits`).
    pub(crate) id: &'static str,
    /// snake_case, as in method names, logs and errors (`get_credits`).
    pub(crate) name: &'static str,
    pub(crate) method: reqwest::Method,
    /// The path template below the base URL (`/credits`).
    pub(crate) path: &'static str,
    /// Whether the path has parameters (`/keys/{hash}`); a fixed path is joined to the base URL
    /// once per client.
    pub(crate) templated: bool,
    /// The spec's first tag; it names the accessor (`Credits` → `client.credits()`).
    pub(crate) tag: &'static str,
    pub(crate) credential: Credential,
    /// Whether sending it twice is harmless (from the method, or `x-idempotent`).
    pub(crate) idempotent: bool,
    pub(crate) deprecated: bool,
    /// Every status the spec documents, sorted.
    pub(crate) statuses: &'static [u16],
}

/// Which credential an operation sends as `Authorization: Bearer …`, from its `security` in the
/// spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Credential {
    /// The client's API key ([`ClientBuilder::api_key`](crate::ClientBuilder::api_key)).
    ApiKey,
    /// The client's management key
    /// ([`ClientBuilder::management_key`](crate::ClientBuilder::management_key)), or its API key
    /// only when the caller said it is one
    /// ([`ClientBuilder::api_key_is_management_key`](crate::ClientBuilder::api_key_is_management_key)).
    /// OpenRouter documents a 403 for an ordinary key on its account-level endpoints; the live
    /// `GET /credits` answers one with 200 and zeros instead.
    ManagementKey,
    /// A bearer token passed to the call itself; the client's keys are not sent.
    PerCall,
    /// No credential.
    None,
}

impl Operation {
    /// The name used in method names, logs and errors (`get_credits`).
    pub fn as_str(self) -> &'static str {
        self.facts().name
    }

    /// The spec's `operationId` (`getCredits`).
    pub fn operation_id(self) -> &'static str {
        self.facts().id
    }

    /// The HTTP method (`GET`).
    pub fn method(self) -> &'static str {
        self.facts().method.as_str()
    }

    /// The path template below the base URL (`/credits`).
    pub fn path(self) -> &'static str {
        self.facts().path
    }

    /// The spec's tag, which names the accessor (`Credits` → `client.credits()`).
    pub fn tag(self) -> &'static str {
        self.facts().tag
    }

    /// The credential the call sends.
    pub fn credential(self) -> Credential {
        self.facts().credential
    }

    /// Whether sending it twice is harmless. A charge is not: it may create two charges.
    pub fn is_idempotent(self) -> bool {
        self.facts().idempotent
    }

    /// Whether upstream marks it deprecated.
    pub fn is_deprecated(self) -> bool {
        self.facts().deprecated
    }

    /// The statuses the spec documents for it, sorted.
    pub fn documented_statuses(self) -> &'static [u16] {
        self.facts().statuses
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
