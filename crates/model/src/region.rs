//! Azure regions: a connection's top-level `location` must be one of them. ARM accepts either
//! spelling of a region, the display name (`West US 2`, what real responses carry) or the
//! programmatic name (`westus2`, what the spec's examples send), in any case; we store the
//! display name, so one region has one spelling in the database and in every response.
//!
//! The list is Azure's public-cloud regions (display name, programmatic name) as Microsoft
//! publishes them (`az account list-locations`); see docs/domain.md. A region Azure adds later
//! is refused until it is added here: that is the price of bounding the field, and the message
//! says what is accepted.

use crate::finding::{Code, Finding};
use crate::targets;

/// (display name, programmatic name).
pub const REGIONS: &[(&str, &str)] = &[
    ("Australia Central", "australiacentral"),
    ("Australia Central 2", "australiacentral2"),
    ("Australia East", "australiaeast"),
    ("Australia Southeast", "australiasoutheast"),
    ("Austria East", "austriaeast"),
    ("Belgium Central", "belgiumcentral"),
    ("Brazil South", "brazilsouth"),
    ("Brazil Southeast", "brazilsoutheast"),
    ("Canada Central", "canadacentral"),
    ("Canada East", "canadaeast"),
    ("Central India", "centralindia"),
    ("Central US", "centralus"),
    ("Chile Central", "chilecentral"),
    ("Denmark East", "denmarkeast"),
    ("East Asia", "eastasia"),
    ("East US", "eastus"),
    ("East US 2", "eastus2"),
    ("France Central", "francecentral"),
    ("France South", "francesouth"),
    ("Germany North", "germanynorth"),
    ("Germany West Central", "germanywestcentral"),
    ("Indonesia Central", "indonesiacentral"),
    ("Israel Central", "israelcentral"),
    ("Italy North", "italynorth"),
    ("Japan East", "japaneast"),
    ("Japan West", "japanwest"),
    ("Jio India Central", "jioindiacentral"),
    ("Jio India West", "jioindiawest"),
    ("Korea Central", "koreacentral"),
    ("Korea South", "koreasouth"),
    ("Malaysia West", "malaysiawest"),
    ("Mexico Central", "mexicocentral"),
    ("New Zealand North", "newzealandnorth"),
    ("North Central US", "northcentralus"),
    ("North Europe", "northeurope"),
    ("Norway East", "norwayeast"),
    ("Norway West", "norwaywest"),
    ("Poland Central", "polandcentral"),
    ("Qatar Central", "qatarcentral"),
    ("South Africa North", "southafricanorth"),
    ("South Africa West", "southafricawest"),
    ("South Central US", "southcentralus"),
    ("South India", "southindia"),
    ("Southeast Asia", "southeastasia"),
    ("Spain Central", "spaincentral"),
    ("Sweden Central", "swedencentral"),
    ("Sweden South", "swedensouth"),
    ("Switzerland North", "switzerlandnorth"),
    ("Switzerland West", "switzerlandwest"),
    ("UAE Central", "uaecentral"),
    ("UAE North", "uaenorth"),
    ("UK South", "uksouth"),
    ("UK West", "ukwest"),
    ("West Central US", "westcentralus"),
    ("West Europe", "westeurope"),
    ("West India", "westindia"),
    ("West US", "westus"),
    ("West US 2", "westus2"),
    ("West US 3", "westus3"),
];

/// The key ARM compares regions by: lower case, without whitespace ("West US 2" = "westus2").
fn key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The display name of the region `s` names (either spelling, any case), if it is one.
pub fn canonical(s: &str) -> Option<&'static str> {
    let k = key(s);
    REGIONS
        .iter()
        .find(|(display, name)| *name == k || key(display) == k)
        .map(|(display, _)| *display)
}

/// Whether two spellings name the same region.
pub fn same(a: &str, b: &str) -> bool {
    key(a) == key(b)
}

/// Parses a region given for a connection: its display name, or a finding at `location`.
pub fn parse(s: &str) -> Result<&'static str, Finding> {
    if s.trim().is_empty() {
        return Err(Finding::error(
            targets::REGION,
            Code::InvalidRegion,
            "The Azure region must not be blank.",
        ));
    }
    canonical(s).ok_or_else(|| {
        Finding::error(
            targets::REGION,
            Code::InvalidRegion,
            format!(
                "'{}' is not an Azure region; give a region's name such as 'West US 2' or 'westus2' (leave it out to use the customer location's region).",
                s.chars().take(64).collect::<String>()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_spelling_in_any_case_is_the_display_name() {
        for s in [
            "West US 2",
            "westus2",
            "WESTUS2",
            "west us 2",
            " West  US 2 ",
        ] {
            assert_eq!(parse(s), Ok("West US 2"), "{s}");
        }
        assert_eq!(parse("eastus"), Ok("East US"));
        let e = parse("moon base 1").unwrap_err();
        assert_eq!(
            (e.target.as_str(), e.code),
            (targets::REGION, Code::InvalidRegion)
        );
        assert!(parse(" ").is_err());
        assert!(same("UK South", "uksouth"));
    }

    #[test]
    fn the_table_is_consistent_and_covers_the_catalog() {
        for (display, name) in REGIONS {
            assert_eq!(key(display), *name, "{display}");
        }
        for c in &crate::Catalog::embedded().countries {
            for l in &c.locations {
                assert_eq!(
                    canonical(&l.azure_region),
                    Some(l.azure_region.as_str()),
                    "{}",
                    l.state
                );
            }
        }
    }
}
