//! The rules a request's arguments are checked against before anything is sent, taken from the
//! spec's schemas by the generated builders (`minimum`, `exclusiveMinimum`, `maxLength`,
//! `format`, `enum`…). The mock server checks request bodies with the same rules.
//!
//! Messages name the rule in words; the error names the field (`invalid amount: must be a
//! finite number greater than 0`).

use crate::error::Error;

/// Bounds of a number field.
#[derive(Debug, Default)]
pub(crate) struct NumberRule {
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    pub(crate) exclusive_minimum: bool,
    pub(crate) exclusive_maximum: bool,
}

/// Rules of a string field.
#[derive(Debug, Default)]
pub(crate) struct StringRule<'a> {
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    /// A format the runtime knows (see [`format`]); an unknown one is not checked.
    pub(crate) format: Option<&'a str>,
    /// The spec's `enum`, when it has one.
    pub(crate) one_of: &'a [&'a str],
}

pub(crate) fn required<T>(field: &'static str, value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::invalid_input(field, "is required"))
}

/// A crate type a string format becomes ([`EvmAddress`](crate::EvmAddress) for
/// `evm-address`): the generated setters parse their argument into it when it is given.
pub(crate) trait Parsed: Sized {
    /// The value, or the rule `text` breaks, in words.
    fn parse_rule(text: &str) -> Result<Self, &'static str>;
}

impl Parsed for crate::EvmAddress {
    fn parse_rule(text: &str) -> Result<Self, &'static str> {
        Self::parse(text).map_err(|_| crate::address::RULE)
    }
}

/// A setter's parsed argument, or the error naming the field and the rule it broke.
pub(crate) fn parsed<T>(field: &'static str, value: Result<T, &'static str>) -> Result<T, Error> {
    value.map_err(|rule| Error::invalid_input(field, rule))
}

pub(crate) fn number(field: &'static str, value: f64, rule: &NumberRule) -> Result<(), Error> {
    number_rule(value, rule).map_err(|r| Error::invalid_input(field, r))
}

// Called by the generated builders of plain string fields; the current fragment has none
// (its one checked string, the charge's `sender`, is an `EvmAddress`).
#[allow(dead_code)]
pub(crate) fn string(field: &'static str, value: &str, rule: &StringRule<'_>) -> Result<(), Error> {
    string_rule(value, rule).map_err(|r| Error::invalid_input(field, r))
}

/// The broken rule, in words, or `Ok`. JSON has no NaN or infinity, so a number is always
/// checked to be finite.
pub(crate) fn number_rule(value: f64, rule: &NumberRule) -> Result<(), String> {
    let low = rule.minimum.map(|m| (m, rule.exclusive_minimum));
    let high = rule.maximum.map(|m| (m, rule.exclusive_maximum));
    let fits = value.is_finite()
        && low.is_none_or(|(m, excl)| if excl { value > m } else { value >= m })
        && high.is_none_or(|(m, excl)| if excl { value < m } else { value <= m });
    if fits {
        return Ok(());
    }
    let mut bounds = Vec::new();
    if let Some((m, excl)) = low {
        bounds.push(format!("{} {m}", if excl { "greater than" } else { "at least" }));
    }
    if let Some((m, excl)) = high {
        bounds.push(format!("{} {m}", if excl { "less than" } else { "at most" }));
    }
    let mut rule = "must be a finite number".to_owned();
    if !bounds.is_empty() {
        rule = format!("{rule} {}", bounds.join(", "));
    }
    Err(rule)
}

pub(crate) fn string_rule(value: &str, rule: &StringRule<'_>) -> Result<(), String> {
    let len = value.chars().count() as u64;
    if let Some(min) = rule.min_length.filter(|&m| len < m) {
        return Err(if min == 1 { "must not be empty".into() } else { format!("must be at least {min} characters") });
    }
    if let Some(max) = rule.max_length.filter(|&m| len > m) {
        return Err(format!("must be at most {max} characters"));
    }
    if !rule.one_of.is_empty() && !rule.one_of.contains(&value) {
        return Err(format!("must be one of {}", rule.one_of.join(", ")));
    }
    match rule.format.map(format) {
        Some(Some(check)) => check(value),
        _ => Ok(()),
    }
}

/// A format's check: the broken rule in words, or `Ok`.
pub(crate) type FormatCheck = fn(&str) -> Result<(), String>;

/// The string formats the runtime checks, by name (the mock checks request bodies with them; the
/// builders parse such fields into their types). Formats upstream uses for documentation only
/// (`date-time`, `uuid`) are removed by regen; a format not listed here is not checked.
pub(crate) fn format(name: &str) -> Option<FormatCheck> {
    match name {
        "evm-address" => Some(|v| crate::EvmAddress::parse_rule(v).map(drop).map_err(str::to_owned)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSITIVE: NumberRule =
        NumberRule { minimum: Some(0.0), maximum: None, exclusive_minimum: true, exclusive_maximum: false };

    #[test]
    fn numbers_must_be_finite_and_within_bounds() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0] {
            assert_eq!(number_rule(bad, &POSITIVE).unwrap_err(), "must be a finite number greater than 0", "{bad}");
        }
        assert!(number_rule(0.01, &POSITIVE).is_ok());
        let range = NumberRule { minimum: Some(1.0), maximum: Some(10.0), ..Default::default() };
        assert_eq!(number_rule(11.0, &range).unwrap_err(), "must be a finite number at least 1, at most 10");
        assert!(number_rule(10.0, &range).is_ok() && number_rule(1.0, &range).is_ok());
        assert_eq!(number_rule(f64::NAN, &NumberRule::default()).unwrap_err(), "must be a finite number");
        // An exclusive maximum: below it passes, at it or above it does not.
        let below = NumberRule { maximum: Some(10.0), exclusive_maximum: true, ..Default::default() };
        assert!(number_rule(9.5, &below).is_ok() && number_rule(-3.0, &below).is_ok());
        for bad in [10.0, 10.5] {
            assert_eq!(number_rule(bad, &below).unwrap_err(), "must be a finite number less than 10", "{bad}");
        }
    }

    #[test]
    fn the_evm_address_format_is_evm_addresss_parse() {
        // What `EvmAddress` accepts is tested in `address.rs`; the mock's check is the same.
        let rule = StringRule { format: Some("evm-address"), ..Default::default() };
        assert_eq!(string_rule("0x1234", &rule).unwrap_err(), "must be 0x followed by 40 hexadecimal digits");
        assert!(string_rule("0xABCDEFabcdef1234567890123456789012345678", &rule).is_ok());
    }

    #[test]
    fn lengths_and_enums() {
        let rule =
            StringRule { min_length: Some(1), max_length: Some(3), one_of: &["a", "bb"], format: Some("unknown") };
        assert_eq!(string_rule("", &rule).unwrap_err(), "must not be empty");
        assert_eq!(string_rule("abcd", &rule).unwrap_err(), "must be at most 3 characters");
        // At the bounds is within them.
        let bounds = StringRule { min_length: Some(2), max_length: Some(3), ..Default::default() };
        assert!(string_rule("ab", &bounds).is_ok() && string_rule("abc", &bounds).is_ok());
        assert_eq!(string_rule("a", &bounds).unwrap_err(), "must be at least 2 characters");
        assert_eq!(string_rule("c", &rule).unwrap_err(), "must be one of a, bb");
        assert!(string_rule("bb", &rule).is_ok());
    }

    /// What a generated builder of a plain string field calls (the current fragment has none):
    /// the error names the field and the rule, and a value within the rules passes.
    #[test]
    fn string_fields_are_refused_naming_the_field() {
        let rule = StringRule { min_length: Some(2), ..Default::default() };
        let err = string("label", "x", &rule).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { field: "label", .. }), "{err:?}");
        assert_eq!(err.to_string(), "invalid label: must be at least 2 characters");
        assert!(string("label", "xy", &rule).is_ok());
    }
}
