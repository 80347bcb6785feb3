//! The api-versions the server speaks and the app sends, in one list.

wire_enum! {
    /// An api-version of `Microsoft.Peering`, oldest first (so `<` compares their age).
    pub enum ApiVersion {
        V2021_06_01 = "2021-06-01",
        V2022_10_01 = "2022-10-01",
        /// Adds `systemData` and error `details`.
        V2025_05_01 = "2025-05-01",
    }
}

impl ApiVersion {
    /// The api-version the app sends.
    pub const DEFAULT: ApiVersion = ApiVersion::V2022_10_01;
    /// The newest: the fullest representation, which ETags hash.
    pub const NEWEST: ApiVersion = ApiVersion::V2025_05_01;

    /// Whether resources carry `systemData`.
    pub fn has_system_data(self) -> bool {
        self >= ApiVersion::V2025_05_01
    }

    /// Whether an error lists every finding in `details`.
    pub fn has_error_details(self) -> bool {
        self >= ApiVersion::V2025_05_01
    }

    /// Every api-version's spelling, for messages and the OpenAPI document.
    pub fn spellings() -> Vec<&'static str> {
        ApiVersion::ALL.iter().map(|v| v.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        for v in ApiVersion::ALL {
            assert_eq!(v.as_str().parse::<ApiVersion>(), Ok(*v));
        }
        assert!(ApiVersion::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*ApiVersion::ALL.last().unwrap(), ApiVersion::NEWEST);
        let e = "2020-01-01".parse::<ApiVersion>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "'2020-01-01' is not one of the ApiVersion values: 2021-06-01, 2022-10-01, 2025-05-01"
        );
    }
}
