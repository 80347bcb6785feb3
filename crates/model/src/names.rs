//! Names of resources, resource groups and subscriptions: parsed once, valid by construction.

use crate::finding::{Code, Finding};
use std::fmt;

/// What a resource name names; used to word the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Connection,
    Prefix,
    MonitorTest,
    AlertRule,
}

impl NameKind {
    /// What it is: "connection", "prefix", "monitor test".
    pub fn noun_only(self) -> &'static str {
        match self {
            NameKind::Connection => "connection",
            NameKind::Prefix => "prefix",
            NameKind::MonitorTest => "monitor test",
            NameKind::AlertRule => "alert rule",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            NameKind::Connection => "connection name",
            NameKind::Prefix => "prefix name",
            NameKind::MonitorTest => "monitor test name",
            NameKind::AlertRule => "alert rule name",
        }
    }
}

pub const MAX_NAME_LEN: usize = 63;
pub const MAX_RESOURCE_GROUP_LEN: usize = 90;

/// A connection, prefix or monitor-test name: 1–63 of `A-Z a-z 0-9 _ . -`, not ending in `.`.
/// Comparison between names is case-insensitive; the casing given is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceName(String);

impl ResourceName {
    /// `target` is the field the finding points at (`name` for a path segment).
    pub fn parse(kind: NameKind, target: &str, s: &str) -> Result<Self, Finding> {
        let noun = kind.noun();
        if s.is_empty() {
            return Err(Finding::error(
                target,
                Code::Required,
                format!("The {noun} is required."),
            ));
        }
        let len = s.chars().count();
        if len > MAX_NAME_LEN {
            return Err(Finding::error(
                target,
                Code::InvalidName,
                format!("The {noun} is {len} characters long; the most allowed is {MAX_NAME_LEN}."),
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(Finding::error(
                target,
                Code::InvalidName,
                format!(
                    "The {noun} contains {}; use only letters, digits, '_', '.' and '-'.",
                    describe_char(bad)
                ),
            ));
        }
        if s.ends_with('.') {
            return Err(Finding::error(
                target,
                Code::InvalidName,
                format!("The {noun} must not end with '.'."),
            ));
        }
        Ok(ResourceName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which names are unique (ARM names are case-insensitive).
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

/// A resource group name: 1–90 of letters, digits, `_ - . ( )` (Unicode letters and digits
/// allowed, as ARM's `[-\w._()]`), not ending in `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceGroupName(String);

impl ResourceGroupName {
    pub fn parse(s: &str) -> Result<Self, Finding> {
        const T: &str = crate::targets::RESOURCE_GROUP;
        if s.is_empty() {
            return Err(Finding::error(
                T,
                Code::Required,
                "The resource group name is required.",
            ));
        }
        let len = s.chars().count();
        if len > MAX_RESOURCE_GROUP_LEN {
            return Err(Finding::error(
                T,
                Code::InvalidResourceGroupName,
                format!("The resource group name is {len} characters long; the most allowed is {MAX_RESOURCE_GROUP_LEN}."),
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')))
        {
            return Err(Finding::error(
                T,
                Code::InvalidResourceGroupName,
                format!(
                    "The resource group name contains {}; use only letters, digits, '_', '-', '.', '(' and ')'.",
                    describe_char(bad)
                ),
            ));
        }
        if s.ends_with('.') {
            return Err(Finding::error(
                T,
                Code::InvalidResourceGroupName,
                "The resource group name must not end with '.'.",
            ));
        }
        Ok(ResourceGroupName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for ResourceGroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits (either case).
/// The key of the identity whose data a browser keeps (drafts, the outbox; the console's
/// storage keys end in `@` and this): `u` and a 64-bit FNV-1a hash of a person's issuer and
/// subject (the same across their renewed tokens), else `t` and one of the static token. A
/// namespace, not a secret: it names nobody, and 64 bits of a 256-bit random token tell
/// nothing to someone who could read the storage anyway.
pub fn storage_identity(person: Option<(&str, &str)>, token: &str) -> String {
    let fnv = |parts: &[&str]| {
        parts
            .join("\n")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
    };
    match person {
        Some((issuer, subject)) => format!("u{:016x}", fnv(&[issuer, subject])),
        None => format!("t{:016x}", fnv(&[token])),
    }
}

pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A subscription id: a GUID, kept in lower case (ARM treats it case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(String);

impl SubscriptionId {
    pub fn parse(s: &str) -> Result<Self, Finding> {
        if is_guid(s) {
            Ok(SubscriptionId(s.to_ascii_lowercase()))
        } else {
            Err(Finding::error(
                crate::targets::SUBSCRIPTION,
                Code::InvalidSubscriptionId,
                format!("The subscription id '{s}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(s: &str) -> Result<ResourceName, Finding> {
        ResourceName::parse(NameKind::Connection, "name", s)
    }

    #[test]
    fn names_follow_the_2025_pattern() {
        assert!(conn("my-Conn_1.a").is_ok());
        assert_eq!(conn("").unwrap_err().code, Code::Required);
        assert_eq!(
            conn("a b").unwrap_err().message,
            "The connection name contains a space; use only letters, digits, '_', '.' and '-'."
        );
        assert_eq!(conn("abc.").unwrap_err().code, Code::InvalidName);
        assert!(conn(&"a".repeat(63)).is_ok());
        assert_eq!(conn(&"a".repeat(64)).unwrap_err().code, Code::InvalidName);
        assert_eq!(conn("é").unwrap_err().code, Code::InvalidName);
    }

    #[test]
    fn resource_groups_allow_parentheses_and_unicode() {
        assert!(ResourceGroupName::parse("rg-(prod)_1.x").is_ok());
        assert!(ResourceGroupName::parse("Grüße").is_ok());
        assert!(ResourceGroupName::parse("rg.").is_err());
        assert!(ResourceGroupName::parse("r/g").is_err());
        assert!(ResourceGroupName::parse(&"r".repeat(91)).is_err());
    }

    #[test]
    fn subscription_ids_are_guids() {
        let s = SubscriptionId::parse("0000AAAA-0000-0000-0000-000000000000").unwrap();
        assert_eq!(s.as_str(), "0000aaaa-0000-0000-0000-000000000000");
        assert!(SubscriptionId::parse("not-a-guid").is_err());
        assert!(SubscriptionId::parse("0000aaaa-0000-0000-0000-00000000000g").is_err());
    }
}
