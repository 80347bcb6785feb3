//! Structured findings: what a check says about one field.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Errors block a write; warnings are shown and never block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

wire_enum! {
    /// Every finding code the model can produce. The wire spelling (the variant name) is what
    /// the server sends as the ARM error `code` and what the fixture files name.
    pub enum Code {
        /// A required value is missing or empty.
        Required = "Required",
        /// A resource name (connection, prefix, monitor test) breaks the naming rule.
        InvalidName = "InvalidName",
        /// A resource group name breaks the naming rule.
        InvalidResourceGroupName = "InvalidResourceGroupName",
        /// A subscription id is not a GUID.
        InvalidSubscriptionId = "InvalidSubscriptionId",
        /// The country is not in the catalog.
        UnknownCountry = "UnknownCountry",
        /// The customer location is not in the catalog (or not in the chosen country).
        UnknownLocation = "UnknownLocation",
        /// The provider is not in the catalog.
        UnknownProvider = "UnknownProvider",
        /// The primary peering location is not one of the provider's.
        InvalidPrimaryLocation = "InvalidPrimaryLocation",
        /// The backup peering location is not one of the provider's.
        InvalidBackupLocation = "InvalidBackupLocation",
        /// The backup location equals the primary.
        BackupEqualsPrimary = "BackupEqualsPrimary",
        /// No peering location of the provider lies within 1000 miles of the customer location.
        ProviderNotAvailable = "ProviderNotAvailable",
        /// The primary peering location is over 1000 miles from the customer location while
        /// another of the provider's is nearer.
        DistantPrimaryLocation = "DistantPrimaryLocation",
        /// The Azure region is blank or not an Azure region.
        InvalidRegion = "InvalidRegion",
            /// `sku.name` is longer than 64 characters or holds something other than letters,
            /// digits and `_`.
            InvalidSku = "InvalidSku",
        /// Not an IPv4 prefix in CIDR notation (IPv6 included).
        InvalidPrefix = "InvalidPrefix",
        /// The prefix has host bits set.
        PrefixNotCanonical = "PrefixNotCanonical",
        /// The prefix lies in (or covers) a special-purpose block that is not globally reachable.
        PrefixNotPublic = "PrefixNotPublic",
        /// The prefix equals, contains or lies inside another prefix of the subscription.
        PrefixOverlaps = "PrefixOverlaps",
        /// The prefix is longer than /24; latency is approximated at /24.
        PrefixLongerThan24 = "PrefixLongerThan24",
        /// The prefix key is not a GUID.
        InvalidPrefixKey = "InvalidPrefixKey",
        /// A PUT tried to change the value of an existing prefix.
        PrefixImmutable = "PrefixImmutable",
        /// A PUT replacing an existing connection tried to change its Azure region (top-level
        /// `location`, x-ms-mutability read+create). ARM's own code for a resource re-created in
        /// another location.
        InvalidResourceLocation = "InvalidResourceLocation",
        /// A PUT replacing an existing connection tried to change its primary or backup peering
        /// location; customers cannot change them (docs/domain.md, "Create-only and immutable fields").
        PeeringLocationImmutable = "PeeringLocationImmutable",
        /// Connection monitor test: source agent empty.
        InvalidSourceAgent = "InvalidSourceAgent",
        /// Connection monitor test: destination is neither an IP address nor a host name.
        InvalidDestination = "InvalidDestination",
        /// Connection monitor test: port outside 1–65535.
        InvalidPort = "InvalidPort",
        /// Connection monitor test: frequency outside 30–86400 seconds.
        InvalidFrequency = "InvalidFrequency",
        /// An alert rule's parameter is missing or out of range.
        InvalidAlertRule = "InvalidAlertRule",
        /// More than 50 tags.
        TooManyTags = "TooManyTags",
        /// A tag name is empty, too long or has a forbidden character.
        InvalidTagName = "InvalidTagName",
        /// A tag value is longer than 256 characters.
        InvalidTagValue = "InvalidTagValue",
    }
}

/// What one check says about one field. `target` is the ARM JSON path of the field
/// (`name`, `location`, `properties.peeringServiceProvider`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub target: String,
    pub code: Code,
    pub message: String,
    pub severity: Severity,
}

impl Finding {
    pub fn error(target: &str, code: Code, message: impl Into<String>) -> Self {
        Finding {
            target: target.to_owned(),
            code,
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(target: &str, code: Code, message: impl Into<String>) -> Self {
        Finding {
            target: target.to_owned(),
            code,
            message: message.into(),
            severity: Severity::Warning,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The findings of a whole check, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn push(&mut self, finding: Finding) {
        self.0.push(finding);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Finding::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| f.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| !f.is_error())
    }

    /// The first error for a field, if any; else its first warning.
    pub fn for_target(&self, target: &str) -> Option<&Finding> {
        let mut of_target = self.0.iter().filter(|f| f.target == target);
        let first = of_target.clone().find(|f| f.is_error());
        first.or_else(|| of_target.next())
    }

    pub fn first_error(&self) -> Option<&Finding> {
        self.errors().next()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Finding> {
        self.0.iter()
    }
}

impl Extend<Finding> for Findings {
    fn extend<T: IntoIterator<Item = Finding>>(&mut self, iter: T) {
        self.0.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Code::ALL` is generated from the enum itself; this checks it against the source text,
    /// so a variant added by hand outside the macro could not hide either.
    #[test]
    fn every_code_is_listed_parsed_and_serialised_by_its_name() {
        let source = include_str!("finding.rs");
        let enum_body = &source[source.find("pub enum Code {").unwrap()..];
        let enum_body = &enum_body[..enum_body.find("\n    }\n").unwrap()];
        let declared = enum_body
            .lines()
            .filter(|l| l.trim_end().ends_with("\","))
            .count();
        assert_eq!(Code::ALL.len(), declared);
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c), "{c} listed twice in Code::ALL");
            assert_eq!(c.as_str().parse::<Code>(), Ok(*c));
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{c}\""));
            assert_eq!(
                serde_json::from_str::<Code>(&format!("\"{c}\"")).unwrap(),
                *c
            );
        }
        assert!("required".parse::<Code>().is_err(), "parsing is exact");
    }
}
