//! Prefix validation from route observations (`docs/domain.md` §1.5): the checks a customer's
//! prefix must pass before Microsoft activates it, as pure functions over what the provider's
//! BGP sessions were last seen to say. The server evaluates them whenever an observation
//! changes; the browser shows the same reasons in the same words.
//!
//! The checks, each failing one a reason of its own (all are reported, not only the first):
//! the provider has at least two sessions in its primary location and one in its backup
//! location (when there is one); the prefix is received; it is announced from every primary
//! and backup session (the reason names the session's address); every announcement carries the
//! community 8075:8007, an AS path of at most 3 ASNs, and no private ASN; the prefix key is the
//! one the provider registered for the prefix. Until any session of the provider has said
//! anything about the prefix, the state is `Pending`.
//!
//! [`events`] gives the prefix events (the eight documented types, `wire::PrefixEventType`) a
//! change of one session's route makes, by the session's role (primary or backup location).

use crate::catalog::match_key;
use crate::prefix::Ipv4Prefix;
use crate::wire::{LearnedType, PrefixEventType, PrefixValidationState};
use serde::{Deserialize, Serialize};

/// The community every announcement of a Peering Service prefix carries.
pub const PEERING_SERVICE_COMMUNITY: &str = "8075:8007";
/// The longest AS path accepted.
pub const MAX_AS_PATH: usize = 3;
/// Sessions a provider needs in its primary location.
pub const PRIMARY_SESSIONS: usize = 2;

/// A provider's BGP session with Microsoft at one of its peering locations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub provider: String,
    pub peering_location: String,
    /// The router (or session) id.
    pub router: String,
    /// The session's address, named in the reason when it does not announce a prefix.
    pub address: String,
}

impl Session {
    fn of(&self, provider: &str, location: &str) -> bool {
        match_key(&self.provider) == match_key(provider)
            && match_key(&self.peering_location) == match_key(location)
    }
}

/// What one session last said about one prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub session: Session,
    pub prefix: String,
    pub origin_asn: u32,
    pub as_path: Vec<u32>,
    pub communities: Vec<String>,
    /// False once the session withdrew it.
    pub announced: bool,
}

/// The prefix under validation, with the connection it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject<'a> {
    pub prefix: Ipv4Prefix,
    /// The customer's `peeringServicePrefixKey`.
    pub key: Option<&'a str>,
    pub provider: &'a str,
    pub primary: &'a str,
    /// None (or "None") when the connection has no backup location.
    pub backup: Option<&'a str>,
}

/// The outcome: the state, how Microsoft learned the prefix, and every reason it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub state: PrefixValidationState,
    pub learned_type: LearnedType,
    pub reasons: Vec<String>,
}

/// The words of each reason (the portal's and the provider troubleshooting guide's).
pub mod reasons {
    pub const FEW_PRIMARY_SESSIONS: &str =
        "Provider has fewer than two sessions in its primary location";
    pub const NO_BACKUP_SESSION: &str = "Provider has no sessions in its backup location";
    pub const NOT_RECEIVED: &str =
        "Prefix wasn't received from Peering Service provider, contact Peering Service provider.";
    pub const COMMUNITY: &str =
        "Received route for prefix should have the Peering Service community 8075:8007";
    pub const AS_PATH: &str = "AS path length for prefix should be <=3 for prefix";
    pub const PRIVATE_ASN: &str = "AS path for prefix shouldn't have any private ASN";
    pub const KEY_MISMATCH: &str = "The prefix key doesn't match the key the Peering Service provider registered for this prefix, contact Peering Service provider.";

    /// A primary or backup session that does not announce the prefix.
    pub fn not_announced_from(address: &str, prefix: &str) -> String {
        format!("Not receiving prefix advertisement from IP {address} for prefix {prefix}")
    }
}

/// Whether an ASN is private (RFC 6996: 64512–65534 and 4200000000–4294967294).
pub fn is_private_asn(asn: u32) -> bool {
    (64_512..=65_534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn)
}

/// Validates `subject` against the provider's `sessions` (every session it has, seen or
/// configured), the `routes` last observed, and the key the provider registered for the prefix
/// (`registered_key`; None when it registered none).
pub fn evaluate(
    subject: &Subject<'_>,
    sessions: &[Session],
    routes: &[Route],
    registered_key: Option<&str>,
) -> Verdict {
    let prefix = subject.prefix.to_string();
    let of_prefix: Vec<&Route> = routes
        .iter()
        .filter(|r| {
            match_key(&r.session.provider) == match_key(subject.provider)
                && Ipv4Prefix::parse(&r.prefix).is_ok_and(|p| p == subject.prefix)
        })
        .collect();
    if of_prefix.is_empty() {
        return Verdict {
            state: PrefixValidationState::Pending,
            learned_type: LearnedType::None,
            reasons: Vec::new(),
        };
    }
    let mut reasons = Vec::new();
    let at = |location: &str| -> Vec<&Session> {
        let mut s: Vec<&Session> = sessions
            .iter()
            .filter(|s| s.of(subject.provider, location))
            .collect();
        s.sort();
        s.dedup();
        s
    };
    let primary = at(subject.primary);
    let backup_location = subject
        .backup
        .filter(|b| !crate::connection::is_no_backup(Some(b)));
    let backup = backup_location.map(at).unwrap_or_default();
    if primary.len() < PRIMARY_SESSIONS {
        reasons.push(reasons::FEW_PRIMARY_SESSIONS.to_owned());
    }
    if backup_location.is_some() && backup.is_empty() {
        reasons.push(reasons::NO_BACKUP_SESSION.to_owned());
    }
    let announced: Vec<&Route> = of_prefix.iter().copied().filter(|r| r.announced).collect();
    if announced.is_empty() {
        reasons.push(reasons::NOT_RECEIVED.to_owned());
    } else {
        for s in primary.iter().chain(backup.iter()) {
            if !announced.iter().any(|r| r.session == **s) {
                reasons.push(reasons::not_announced_from(&s.address, &prefix));
            }
        }
    }
    if announced.iter().any(|r| {
        !r.communities
            .iter()
            .any(|c| c.trim() == PEERING_SERVICE_COMMUNITY)
    }) {
        reasons.push(reasons::COMMUNITY.to_owned());
    }
    if announced.iter().any(|r| r.as_path.len() > MAX_AS_PATH) {
        reasons.push(reasons::AS_PATH.to_owned());
    }
    if announced
        .iter()
        .any(|r| r.as_path.iter().copied().any(is_private_asn))
    {
        reasons.push(reasons::PRIVATE_ASN.to_owned());
    }
    let key_matches = match (registered_key, subject.key) {
        (Some(theirs), Some(ours)) => theirs.trim().eq_ignore_ascii_case(ours.trim()),
        _ => false,
    };
    if !key_matches {
        reasons.push(reasons::KEY_MISMATCH.to_owned());
    }
    if reasons.is_empty() {
        Verdict {
            state: PrefixValidationState::Verified,
            learned_type: LearnedType::ViaServiceProvider,
            reasons,
        }
    } else {
        Verdict {
            state: PrefixValidationState::Failed,
            learned_type: LearnedType::None,
            reasons,
        }
    }
}

/// Where a session stands for a connection: at its primary or its backup peering location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Backup,
}

/// The role of `session` for `subject`'s connection; None for a session elsewhere.
pub fn role(subject: &Subject<'_>, session: &Session) -> Option<Role> {
    if session.of(subject.provider, subject.primary) {
        return Some(Role::Primary);
    }
    match subject.backup {
        Some(b) if !crate::connection::is_no_backup(Some(b)) && session.of(subject.provider, b) => {
            Some(Role::Backup)
        }
        _ => None,
    }
}

/// Whether what a session says at `at` changes nothing: it is older than what the session
/// last said (`last`, at `last_at`), or the same words at the same moment (a batch sent
/// again). A different word in the same second is news (a withdrawal and a re-announcement
/// within one second are both kept). Times are the store's UTC RFC 3339, which sort as text.
pub fn is_stale(last: Option<(&Route, &str)>, now: &Route, at: &str) -> bool {
    last.is_some_and(|(route, last_at)| last_at > at || (last_at == at && route == now))
}

/// The events (type and summary) a change of one session's route makes, from what it said
/// before (`None`: nothing yet) to what it says now: an announcement or a withdrawal, the
/// route now in use when it changes, and a change of origin ASN.
pub fn events(role: Role, before: Option<&Route>, after: &Route) -> Vec<(PrefixEventType, String)> {
    use PrefixEventType::*;
    let (announce, withdraw, path, origin) = match role {
        Role::Primary => (
            PrefixAnnouncementEvent,
            PrefixWithdrawalEvent,
            PrefixActivePath,
            PrefixOriginAsChangeEvent,
        ),
        Role::Backup => (
            PrefixBackupRouteAnnouncementEvent,
            PrefixBackupRouteWithdrawalEvent,
            PrefixBackupPath,
            PrefixBackupRouteOriginAsChangeEvent,
        ),
    };
    let from = format!(
        "{} from {} ({})",
        after.prefix, after.session.address, after.session.peering_location
    );
    let as_path = |r: &Route| {
        r.as_path
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let was = before.filter(|b| b.announced);
    let mut out = Vec::new();
    match (was, after.announced) {
        (None, true) => {
            out.push((announce, format!("{from}: announced")));
            out.push((path, format!("{from}: AS path {}", as_path(after))));
        }
        (Some(_), false) => out.push((withdraw, format!("{from}: withdrawn"))),
        (Some(b), true) => {
            if b.origin_asn != after.origin_asn {
                out.push((
                    origin,
                    format!(
                        "{from}: origin AS {} instead of {}",
                        after.origin_asn, b.origin_asn
                    ),
                ));
            }
            if b.as_path != after.as_path {
                out.push((path, format!("{from}: AS path {}", as_path(after))));
            }
        }
        (None, false) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "6a7f0d42-e49c-4eea-a930-280610671c3f";

    fn session(location: &str, router: &str, address: &str) -> Session {
        Session {
            provider: "equinix MAPS".into(),
            peering_location: location.into(),
            router: router.into(),
            address: address.into(),
        }
    }

    /// Two primary sessions in Seattle and one backup in San Jose.
    fn sessions() -> Vec<Session> {
        vec![
            session("seattle", "r1", "10.0.0.1"),
            session("Seattle", "r2", "10.0.0.2"),
            session("san Jose", "r3", "10.0.1.1"),
        ]
    }

    fn good_route(s: &Session) -> Route {
        Route {
            session: s.clone(),
            prefix: "8.8.8.0/24".into(),
            origin_asn: 15169,
            as_path: vec![3356, 15169],
            communities: vec!["8075:8007".into()],
            announced: true,
        }
    }

    fn subject() -> Subject<'static> {
        Subject {
            prefix: Ipv4Prefix::parse("8.8.8.0/24").unwrap(),
            key: Some(KEY),
            provider: "Equinix MAPS",
            primary: "Seattle",
            backup: Some("San Jose"),
        }
    }

    fn all_good() -> Vec<Route> {
        sessions().iter().map(good_route).collect()
    }

    fn verdict(routes: &[Route]) -> Verdict {
        evaluate(&subject(), &sessions(), routes, Some(KEY))
    }

    #[test]
    fn pending_until_any_session_says_anything() {
        let v = verdict(&[]);
        assert_eq!(v.state, PrefixValidationState::Pending);
        assert!(v.reasons.is_empty());
        // Another prefix, or another provider's session, is not this prefix observed.
        let mut other = good_route(&sessions()[0]);
        other.prefix = "8.8.4.0/24".into();
        assert_eq!(verdict(&[other]).state, PrefixValidationState::Pending);
    }

    #[test]
    fn verified_when_every_check_passes() {
        let v = verdict(&all_good());
        assert_eq!(v.state, PrefixValidationState::Verified, "{:?}", v.reasons);
        assert_eq!(v.learned_type, LearnedType::ViaServiceProvider);
    }

    #[test]
    fn fewer_than_two_primary_sessions() {
        let few = &sessions()[1..];
        let v = evaluate(&subject(), few, &all_good(), Some(KEY));
        assert_eq!(v.state, PrefixValidationState::Failed);
        assert_eq!(v.reasons, [reasons::FEW_PRIMARY_SESSIONS]);
    }

    #[test]
    fn no_session_in_the_backup_location() {
        let none = &sessions()[..2];
        let v = evaluate(&subject(), none, &all_good(), Some(KEY));
        assert_eq!(v.reasons, [reasons::NO_BACKUP_SESSION]);
        // Without a backup location there is nothing to miss.
        let mut s = subject();
        s.backup = Some("None");
        assert_eq!(
            evaluate(&s, none, &all_good()[..2], Some(KEY)).state,
            PrefixValidationState::Verified
        );
    }

    #[test]
    fn not_received_when_every_session_withdrew_it() {
        let withdrawn: Vec<Route> = all_good()
            .into_iter()
            .map(|mut r| {
                r.announced = false;
                r
            })
            .collect();
        assert_eq!(verdict(&withdrawn).reasons, [reasons::NOT_RECEIVED]);
    }

    #[test]
    fn a_session_that_does_not_announce_it_is_named() {
        let v = verdict(&all_good()[..2]);
        assert_eq!(
            v.reasons,
            [reasons::not_announced_from("10.0.1.1", "8.8.8.0/24")]
        );
        assert!(v.reasons[0].contains("10.0.1.1"));
    }

    #[test]
    fn the_peering_service_community_is_required() {
        let mut routes = all_good();
        routes[1].communities = vec!["8075:8000".into()];
        assert_eq!(verdict(&routes).reasons, [reasons::COMMUNITY]);
    }

    #[test]
    fn an_as_path_longer_than_three() {
        let mut routes = all_good();
        routes[0].as_path = vec![3356, 3356, 1299, 15169];
        assert_eq!(verdict(&routes).reasons, [reasons::AS_PATH]);
        routes[0].as_path = vec![3356, 1299, 15169];
        assert_eq!(verdict(&routes).state, PrefixValidationState::Verified);
    }

    #[test]
    fn a_private_asn_in_the_path() {
        let mut routes = all_good();
        routes[2].as_path = vec![64_512, 15169];
        assert_eq!(verdict(&routes).reasons, [reasons::PRIVATE_ASN]);
        assert!(is_private_asn(65_534) && is_private_asn(4_200_000_000));
        assert!(!is_private_asn(65_535) && !is_private_asn(15169) && !is_private_asn(64_511));
    }

    #[test]
    fn the_prefix_key_must_be_the_registered_one() {
        for (theirs, ours) in [
            (Some(KEY), None),
            (None, Some(KEY)),
            (Some("other"), Some(KEY)),
        ] {
            let mut s = subject();
            s.key = ours;
            let v = evaluate(&s, &sessions(), &all_good(), theirs);
            assert_eq!(v.reasons, [reasons::KEY_MISMATCH], "{theirs:?} {ours:?}");
        }
        let mut s = subject();
        let upper = KEY.to_uppercase();
        s.key = Some(&upper);
        assert_eq!(
            evaluate(&s, &sessions(), &all_good(), Some(KEY)).state,
            PrefixValidationState::Verified,
            "GUIDs compare without case"
        );
    }

    #[test]
    fn every_failing_check_is_reported() {
        let mut routes = all_good()[..2].to_vec();
        routes[0].communities.clear();
        routes[1].as_path = vec![1, 2, 3, 64_600];
        let v = evaluate(&subject(), &sessions()[1..], &routes, None);
        assert_eq!(
            v.reasons,
            [
                reasons::FEW_PRIMARY_SESSIONS.to_owned(),
                reasons::not_announced_from("10.0.1.1", "8.8.8.0/24"),
                reasons::COMMUNITY.to_owned(),
                reasons::AS_PATH.to_owned(),
                reasons::PRIVATE_ASN.to_owned(),
                reasons::KEY_MISMATCH.to_owned(),
            ]
        );
    }

    #[test]
    fn events_follow_a_session_s_route() {
        use PrefixEventType::*;
        let s = sessions();
        assert_eq!(role(&subject(), &s[0]), Some(Role::Primary));
        assert_eq!(role(&subject(), &s[2]), Some(Role::Backup));
        let elsewhere = session("dallas", "r9", "10.9.9.9");
        assert_eq!(role(&subject(), &elsewhere), None);

        let up = good_route(&s[0]);
        let kinds =
            |e: Vec<(PrefixEventType, String)>| e.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(
            kinds(events(Role::Primary, None, &up)),
            [PrefixAnnouncementEvent, PrefixActivePath]
        );
        assert_eq!(
            kinds(events(Role::Backup, None, &good_route(&s[2]))),
            [PrefixBackupRouteAnnouncementEvent, PrefixBackupPath]
        );
        let mut down = up.clone();
        down.announced = false;
        assert_eq!(
            kinds(events(Role::Primary, Some(&up), &down)),
            [PrefixWithdrawalEvent]
        );
        assert_eq!(
            kinds(events(Role::Backup, Some(&up), &down)),
            [PrefixBackupRouteWithdrawalEvent]
        );
        assert!(
            events(Role::Primary, Some(&down), &down).is_empty(),
            "nothing new"
        );
        assert!(
            events(Role::Primary, Some(&up), &up).is_empty(),
            "nothing new"
        );
        let mut moved = up.clone();
        moved.origin_asn = 64_999;
        moved.as_path = vec![1299, 64_999];
        let e = events(Role::Primary, Some(&up), &moved);
        assert_eq!(
            kinds(e.clone()),
            [PrefixOriginAsChangeEvent, PrefixActivePath]
        );
        assert!(
            e[0].1.contains("origin AS 64999 instead of 15169"),
            "{}",
            e[0].1
        );
        assert_eq!(
            PrefixOriginAsChangeEvent.level(),
            crate::wire::EventLevel::Critical
        );
        assert_eq!(
            kinds(events(Role::Backup, Some(&up), &moved)),
            [PrefixBackupRouteOriginAsChangeEvent, PrefixBackupPath]
        );
    }
}
