//! [`ChainId`]: the three networks a Coinbase charge can be paid on.

use crate::error::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The chain a Coinbase charge is paid on; sent as its numeric EVM chain id.
///
/// The fragment's `ChainId` schema (`enum: [1, 137, 8453]`) maps here instead of to progenitor's
/// validated `i64` newtype, so an unsupported chain cannot be written down at all.
///
/// ```
/// use openrouter_credits::ChainId;
/// assert_eq!(ChainId::Base.id(), 8453);
/// assert_eq!(ChainId::try_from(137).unwrap(), ChainId::Polygon);
/// assert_eq!("ethereum".parse::<ChainId>().unwrap(), ChainId::Ethereum);
/// assert!(ChainId::try_from(10).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChainId {
    /// Ethereum mainnet, chain id 1.
    Ethereum,
    /// Polygon PoS, chain id 137.
    Polygon,
    /// Base, chain id 8453.
    Base,
}

const RULE: &str = "must be one of 1 (ethereum), 137 (polygon), 8453 (base)";

impl ChainId {
    /// Every supported chain, in id order.
    pub const ALL: [ChainId; 3] = [ChainId::Ethereum, ChainId::Polygon, ChainId::Base];

    /// The numeric chain id sent on the wire.
    pub const fn id(self) -> u64 {
        match self {
            ChainId::Ethereum => 1,
            ChainId::Polygon => 137,
            ChainId::Base => 8453,
        }
    }

    /// Lower-case name, as the CLI spells it.
    pub const fn name(self) -> &'static str {
        match self {
            ChainId::Ethereum => "ethereum",
            ChainId::Polygon => "polygon",
            ChainId::Base => "base",
        }
    }

    fn from_id(id: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<u64> for ChainId {
    type Error = Error;
    fn try_from(id: u64) -> Result<Self, Error> {
        Self::from_id(id).ok_or_else(|| Error::invalid_input("chain_id", RULE))
    }
}

impl TryFrom<i64> for ChainId {
    type Error = Error;
    fn try_from(id: i64) -> Result<Self, Error> {
        u64::try_from(id).map_err(|_| Error::invalid_input("chain_id", RULE)).and_then(Self::try_from)
    }
}

impl TryFrom<i32> for ChainId {
    type Error = Error;
    fn try_from(id: i32) -> Result<Self, Error> {
        Self::try_from(i64::from(id))
    }
}

/// Parses a name (`ethereum`, `polygon`, `base`, any case) or a numeric id (`8453`).
impl FromStr for ChainId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if let Ok(id) = s.parse::<u64>() {
            return Self::try_from(id);
        }
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::invalid_input("chain_id", RULE))
    }
}

impl Serialize for ChainId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.id())
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = u64::deserialize(deserializer)?;
        Self::from_id(id).ok_or_else(|| serde::de::Error::custom(format!("chain_id {id} {RULE}")))
    }
}
