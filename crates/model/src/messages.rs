//! User-facing words that are not findings of a rule but that the app and the server must say
//! alike: a taken name, a change made by someone else, an unreachable server.

use crate::names::NameKind;

/// A create was refused because the name is taken (`If-None-Match: *` answered 412). Names are
/// unique case-insensitively, so the message says so; `parent` is the resource group of a
/// connection, or the connection of a prefix or monitor test.
pub fn name_taken(kind: NameKind, name: &str, parent: &str) -> String {
    match kind {
        NameKind::Connection => format!(
            "A connection named '{name}' already exists in resource group '{parent}'; choose another name (names are not case-sensitive)."
        ),
        NameKind::Prefix => format!(
            "A prefix named '{name}' already exists in connection '{parent}' and was left unchanged; choose another name (names are not case-sensitive)."
        ),
        NameKind::MonitorTest => format!(
            "A monitor test named '{name}' already exists on connection '{parent}'; choose another name (names are not case-sensitive)."
        ),
        NameKind::AlertRule => format!(
            "An alert rule named '{name}' already exists on connection '{parent}'; choose another name (names are not case-sensitive)."
        ),
    }
}

/// A write was refused because its `If-Match` no longer matches (someone else changed or
/// deleted the resource since it was shown).
pub fn changed_elsewhere(kind: NameKind, name: &str) -> String {
    format!(
        "The {} '{name}' was changed or deleted by someone else since this page loaded; nothing was written. Reload to see the current version, then try again.",
        kind.noun_only()
    )
}

/// Two rows of a tags editor name the same tag (a connection's tags are a map, so one would
/// be lost).
pub fn duplicate_tag(name: &str) -> String {
    format!("Two tags are named '{name}'; give each tag its own name (names are case-sensitive).")
}

/// No answer from the server at all.
pub fn unreachable(why: &str) -> String {
    format!("The server could not be reached ({why}). Check that peering-server is running and the network is up, then retry.")
}

/// The server refused the access token (401).
pub const TOKEN_REFUSED: &str = "The access token was refused. Open the address that peering-server printed (it ends in #token=…), or sign in again from your portal.";

/// The app has no token (never had one, or the user signed out).
pub const NO_TOKEN: &str = "No access token. Paste yours below (peering-server keeps the one it generated in the .token file beside its database), or open a link that ends in #token=….";

/// Without a credential, when the console signs in with an identity provider.
pub const SIGN_IN: &str = "Sign in with your organisation's account to open the console.";

/// A `#token=` link opened in a tab signed in as someone else.
pub const REPLACE_IDENTITY: &str = "This link signs the console in with another access token than the one this tab is using, possibly as someone else. Switch to it? (Cancel keeps the current sign-in; the link's token is not kept.)";

/// The paste field submitted empty.
pub const PASTE_A_TOKEN: &str = "Paste an access token into the field, then choose Use this token.";

/// After a sign-out.
pub const SIGNED_OUT: &str = "You are signed out; the access token was removed from this tab.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_they_are_about() {
        assert_eq!(
            name_taken(NameKind::Connection, "Seattle", "rg1"),
            "A connection named 'Seattle' already exists in resource group 'rg1'; choose another name (names are not case-sensitive)."
        );
        assert!(name_taken(NameKind::Prefix, "web", "c1").contains("connection 'c1'"));
        assert!(changed_elsewhere(NameKind::MonitorTest, "t")
            .starts_with("The monitor test 't' was changed"));
    }
}
