//! EVM addresses as values: checked once where they are made (a setter's argument, or an
//! accessor parsing a response's field), kept inline (no allocation, `Copy`), compared as the
//! account they name.
//!
//! Every string the fragment marks `format: evm-address` is one (`TYPES` in
//! `build/operations.rs` maps the format to this type, in the generated types and the builders
//! alike): only what the crate sends (the charge's `sender`). The addresses of a response stay
//! strings, as upstream types them, with typed accessors (`src/extras.rs`): a response that
//! conforms to upstream's contract always decodes.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The rule, in the words errors use after the field's name.
pub(crate) const RULE: &str = "must be 0x followed by 40 hexadecimal digits";

/// An address on an EVM chain: `0x` and 40 hexadecimal digits.
///
/// Kept as it was written, so an EIP-55 checksummed address prints back in its mixed case
/// ([`as_str`](Self::as_str), `Display`, and on the wire). Two addresses are equal when they
/// name the same account, whatever their case. The EIP-55 checksum is not verified: OpenRouter
/// does not require one.
///
/// ```
/// use openrouter_credits::EvmAddress;
/// let a: EvmAddress = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48".parse()?;
/// assert_eq!(a, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
/// assert_eq!(a.to_string(), "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48");
/// assert_eq!(a.to_bytes()[0], 0xa0);
/// assert!("0x1234".parse::<EvmAddress>().is_err());
/// # Ok::<(), openrouter_credits::InvalidEvmAddress>(())
/// ```
#[derive(Clone, Copy)]
pub struct EvmAddress([u8; 42]);

impl EvmAddress {
    /// Parses `0x` (or `0X`) and 40 hexadecimal digits, in any case.
    pub fn parse(text: &str) -> Result<Self, InvalidEvmAddress> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 42
            && bytes[0] == b'0'
            && matches!(bytes[1], b'x' | b'X')
            && bytes[2..].iter().all(u8::is_ascii_hexdigit);
        match <[u8; 42]>::try_from(bytes) {
            Ok(array) if well_formed => Ok(Self(array)),
            _ => Err(InvalidEvmAddress(())),
        }
    }

    /// The address as it was written.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `parse`), so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 20 bytes the address stands for.
    pub fn to_bytes(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        for (byte, pair) in out.iter_mut().zip(self.0[2..].chunks_exact(2)) {
            *byte = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
        }
        out
    }

    /// The address of these 20 bytes, in lower case.
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 42];
        text[..2].copy_from_slice(b"0x");
        for (pair, byte) in text[2..].chunks_exact_mut(2).zip(bytes) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        Self(text)
    }

    /// The 40 digits, lower-cased: what equality and hashing compare.
    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.0[2..].iter().map(u8::to_ascii_lowercase)
    }
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// What [`EvmAddress::parse`] refuses: anything but `0x` and 40 hexadecimal digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidEvmAddress(());

impl fmt::Display for InvalidEvmAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an EVM address: {RULE}")
    }
}

impl std::error::Error for InvalidEvmAddress {}

impl FromStr for EvmAddress {
    type Err = InvalidEvmAddress;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for EvmAddress {
    type Error = InvalidEvmAddress;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl AsRef<str> for EvmAddress {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for EvmAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for EvmAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvmAddress({})", self.as_str())
    }
}

impl PartialEq for EvmAddress {
    fn eq(&self, other: &Self) -> bool {
        self.digits().eq(other.digits())
    }
}

impl Eq for EvmAddress {}

impl Hash for EvmAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digits().for_each(|b| state.write_u8(b));
    }
}

/// Compares with the text of an address (in any case); text that is not one is never equal.
impl PartialEq<str> for EvmAddress {
    fn eq(&self, other: &str) -> bool {
        EvmAddress::parse(other).is_ok_and(|o| *self == o)
    }
}

impl PartialEq<&str> for EvmAddress {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<EvmAddress> for str {
    fn eq(&self, other: &EvmAddress) -> bool {
        *other == *self
    }
}

impl PartialEq<EvmAddress> for &str {
    fn eq(&self, other: &EvmAddress) -> bool {
        *other == **self
    }
}

impl From<[u8; 20]> for EvmAddress {
    fn from(bytes: [u8; 20]) -> Self {
        Self::from_bytes(bytes)
    }
}

impl Serialize for EvmAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EvmAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AddressVisitor;
        impl Visitor<'_> for AddressVisitor {
            type Value = EvmAddress;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an EVM address (0x and 40 hexadecimal digits)")
            }

            // The value itself stays out of the message: errors quote nothing from a response
            // that redaction has not seen.
            fn visit_str<E: de::Error>(self, text: &str) -> Result<EvmAddress, E> {
                EvmAddress::parse(text).map_err(|_| E::custom(format_args!("not an EVM address: {RULE}")))
            }
        }
        // Borrowed from the body where the format allows: no allocation.
        deserializer.deserialize_str(AddressVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn only_0x_and_40_hex_digits_parse() {
        for bad in [
            "",
            "0x",
            "1234567890123456789012345678901234567890",
            "0x123456789012345678901234567890123456789g",
            "0x12345678901234567890123456789012345678901",
            "0x123456789012345678901234567890123456789",
            "0y1234567890123456789012345678901234567890",
            " 0x1234567890123456789012345678901234567890",
            "0x12345678901234567890123456789012345678é",
        ] {
            assert!(EvmAddress::parse(bad).is_err(), "{bad:?}");
        }
        for good in ["0xABCDEFabcdef1234567890123456789012345678", "0X1234567890123456789012345678901234567890"] {
            assert_eq!(EvmAddress::parse(good).map(|a| a.to_string()).as_deref(), Ok(good));
        }
    }

    #[test]
    fn case_is_kept_but_does_not_matter() {
        let mixed = EvmAddress::parse("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48").unwrap();
        let lower = EvmAddress::parse("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48").unwrap();
        assert_eq!(mixed, lower);
        assert_eq!(mixed.as_str(), "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48");
        assert_eq!(HashSet::from([mixed, lower]).len(), 1);
        assert_eq!(mixed.to_bytes(), lower.to_bytes());
        assert_eq!(&mixed.to_bytes()[..3], &[0xa0, 0xb8, 0x69]);
        assert!(mixed != "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb49" && mixed != "not an address");
        assert!("0xA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48" == mixed);
        let from_bytes = EvmAddress::from(mixed.to_bytes());
        assert_eq!((from_bytes, from_bytes.as_str()), (mixed, lower.as_str()));
    }

    #[test]
    fn json_round_trip_and_refusal() {
        let text = "\"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48\"";
        let a: EvmAddress = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), text);
        let e = serde_json::from_str::<EvmAddress>("\"0xsecret-looking-value\"").unwrap_err().to_string();
        assert!(e.contains(RULE) && !e.contains("secret"), "{e}");
        assert!(serde_json::from_str::<EvmAddress>("42").is_err());
    }
}
