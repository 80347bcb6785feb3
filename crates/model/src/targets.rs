//! Field targets: the ARM JSON path a [`crate::Finding`] (and an ARM error's `target`) points
//! at. The server puts them in its errors, the app looks its own and the server's findings up
//! by them to show each message at its field, so both must spell them the same: they are
//! spelled here once. `cargo xtask tidy` fails when one of these strings is written as a
//! literal anywhere else (tests excepted: they check the wire independently).

/// A resource's name (the last path segment, echoed as `name`).
pub const NAME: &str = "name";
/// The customer's country: known to the app only (the API has no country field).
pub const COUNTRY: &str = "country";
/// The customer location (state/province) of a connection.
pub const LOCATION: &str = "properties.peeringServiceLocation";
pub const PROVIDER: &str = "properties.peeringServiceProvider";
pub const PRIMARY: &str = "properties.providerPrimaryPeeringLocation";
pub const BACKUP: &str = "properties.providerBackupPeeringLocation";
/// The Azure region (top-level `location`).
pub const REGION: &str = "location";
pub const SKU_NAME: &str = "sku.name";
pub const TAGS: &str = "tags";

pub const PREFIX: &str = "properties.prefix";
pub const PREFIX_KEY: &str = "properties.peeringServicePrefixKey";

pub const SOURCE_AGENT: &str = "properties.sourceAgent";
pub const DESTINATION: &str = "properties.destination";
pub const PORT: &str = "properties.destinationPort";
pub const FREQUENCY: &str = "properties.testFrequencyInSec";

/// An alert rule's fields.
pub const ALERT_KIND: &str = "properties.kind";
pub const ALERT_THRESHOLD: &str = "properties.thresholdMs";
pub const ALERT_FOR_MINUTES: &str = "properties.forMinutes";
pub const ALERT_LEVEL: &str = "properties.level";
pub const ALERT_CONSECUTIVE: &str = "properties.consecutive";

/// `checkServiceProviderAvailability` names its two fields without `properties.`.
pub const AVAILABILITY_LOCATION: &str = "peeringServiceLocation";
pub const AVAILABILITY_PROVIDER: &str = "peeringServiceProvider";

/// Path parameters.
pub const RESOURCE_GROUP: &str = "resourceGroupName";
pub const SUBSCRIPTION: &str = "subscriptionId";

/// Query parameters.
pub const API_VERSION: &str = "api-version";
pub const TOP: &str = "$top";
pub const SKIP_TOKEN: &str = "$skipToken";
pub const EXPAND: &str = "$expand";

/// The target of one tag's finding: `tags.{name}`.
pub fn tag(name: &str) -> String {
    format!("{TAGS}.{name}")
}

/// Every target above. The tidy check reads this list; a test below keeps it complete.
pub const ALL: &[&str] = &[
    NAME,
    COUNTRY,
    LOCATION,
    PROVIDER,
    PRIMARY,
    BACKUP,
    REGION,
    SKU_NAME,
    TAGS,
    PREFIX,
    PREFIX_KEY,
    ALERT_KIND,
    ALERT_THRESHOLD,
    ALERT_FOR_MINUTES,
    ALERT_LEVEL,
    ALERT_CONSECUTIVE,
    SOURCE_AGENT,
    DESTINATION,
    PORT,
    FREQUENCY,
    AVAILABILITY_LOCATION,
    AVAILABILITY_PROVIDER,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    API_VERSION,
    TOP,
    SKIP_TOKEN,
    EXPAND,
];

/// Whether a string literal is unmistakably a field target: one of [`ALL`] that holds a `.`, a
/// `$`, a `-` or an upper-case letter. `name`, `country`, `location` and `tags` are left out:
/// they are also ordinary words (HTML ids, URL query keys) and would make the rule cry wolf.
pub fn is_distinctive(target: &str) -> bool {
    target
        .bytes()
        .any(|b| matches!(b, b'.' | b'$' | b'-') || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `pub const` of this file is in [`ALL`] (read from the source, so a new target
    /// cannot be forgotten), and no two are equal.
    #[test]
    fn all_lists_every_target_once() {
        let source = include_str!("targets.rs");
        let declared = source
            .lines()
            .filter(|l| l.starts_with("pub const ") && l.contains(": &str = \""))
            .count();
        assert_eq!(declared, ALL.len());
        let mut seen = std::collections::HashSet::new();
        for t in ALL {
            assert!(seen.insert(t), "{t} twice");
        }
        assert!(is_distinctive(PREFIX) && is_distinctive(RESOURCE_GROUP));
        assert!(!is_distinctive(NAME) && !is_distinctive(REGION));
    }
}
