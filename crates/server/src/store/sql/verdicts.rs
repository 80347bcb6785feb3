//! Prefix verdicts: the data `peering_model::observation::evaluate` decides from
//! (the provider's sessions, what they last said about the prefix, the key the provider
//! registered), loaded for the prefixes a write can have affected, and each changed verdict
//! stored, in the caller's transaction.

use super::db::{params, OptionalExtension, Tx};
use peering_model::catalog::match_key;
use peering_model::observation::{self, Route, Session, Subject};
use peering_model::prefix::Ipv4Prefix;
use peering_model::ServiceId;

pub(super) fn route_from(
    session: Session,
    prefix: String,
    origin: i64,
    path: &str,
    communities: &str,
    announced: bool,
) -> Route {
    Route {
        session,
        prefix,
        origin_asn: origin as u32,
        // The server wrote these; an unreadable one counts as empty rather than failing
        // every evaluation of the provider.
        as_path: serde_json::from_str(path).unwrap_or_default(),
        communities: serde_json::from_str(communities).unwrap_or_default(),
        announced,
    }
}

/// The customer prefix (at most one: prefixes of a subscription never overlap) stored with
/// this value under a connection of this provider.
#[derive(Clone)]
pub(super) struct Owner {
    pub(super) id: ServiceId,
    pub(super) name_key: String,
    pub(super) key: Option<String>,
    pub(super) provider: String,
    pub(super) primary: String,
    pub(super) backup: Option<String>,
}

impl Owner {
    pub(super) fn subject(&self, prefix: Ipv4Prefix) -> Subject<'_> {
        Subject {
            prefix,
            key: self.key.as_deref(),
            provider: &self.provider,
            primary: &self.primary,
            backup: self.backup.as_deref(),
        }
    }
}

pub(super) const OWNER_COLUMNS: &str = "s.resource_group, s.name, p.name_key, p.prefix, p.prefix_key, s.provider, s.primary_location, s.backup_location, p.validation_state, p.learned_type, p.error_message";

pub(super) fn owner_of(
    r: &super::db::Row<'_>,
    sub: &str,
) -> super::db::Result<(Owner, String, [Option<String>; 3])> {
    Ok((
        Owner {
            id: ServiceId::new(sub, &r.get::<String>(0)?, &r.get::<String>(1)?),
            name_key: r.get(2)?,
            key: r.get(4)?,
            provider: r.get(5)?,
            primary: r.get(6)?,
            backup: r.get(7)?,
        },
        r.get(3)?,
        [r.get(8)?, r.get(9)?, r.get(10)?],
    ))
}

/// Which prefixes a write can have changed the verdict of.
pub(super) enum Scope<'a> {
    /// Every prefix of connections with this provider (its key).
    Provider(&'a str),
    /// Every prefix of one connection.
    Service(&'a ServiceId),
    /// The customer prefix with this value under connections of this provider (its key).
    Prefix(&'a str, &'a str),
}

/// Re-evaluates the prefixes in `scope` and stores each changed verdict; answers the
/// connection of each prefix evaluated.
pub(super) fn reevaluate(
    tx: &Tx<'_>,
    sub: &str,
    scope: Scope<'_>,
) -> super::db::Result<Vec<ServiceId>> {
    // Every query below ends with ORDER BY: both databases then evaluate (and record events
    // and alerts) in the same order, key order, whatever order their rows are stored in.
    let base = format!(
        "SELECT {OWNER_COLUMNS} FROM prefixes p
         JOIN peering_services s ON s.subscription = p.subscription AND s.rg_key = p.rg_key AND s.name_key = p.service_key
         WHERE p.subscription = ?1"
    );
    const ORDER: &str = " ORDER BY p.rg_key, p.service_key, p.name_key";
    let owners: Vec<(Owner, String, [Option<String>; 3])> = match scope {
        // Providers are stored in the catalog's (ASCII) spelling, so SQL's ASCII lower()
        // matches the key.
        Scope::Provider(key) => tx
            .prepare_cached(&format!("{base} AND lower(s.provider) = ?2{ORDER}"))?
            .query_map(params![sub, key], |r| owner_of(r, sub))?
            .collect::<super::db::Result<_>>()?,
        Scope::Prefix(key, value) => match Ipv4Prefix::parse(value) {
            Ok(p) => tx
                .prepare_cached(&format!(
                    "{base} AND lower(s.provider) = ?2 AND p.prefix_addr = ?3 AND p.prefix_len = ?4{ORDER}"
                ))?
                .query_map(params![sub, key, p.addr(), p.len()], |r| owner_of(r, sub))?
                .collect::<super::db::Result<_>>()?,
            Err(_) => Vec::new(),
        },
        Scope::Service(id) => tx
            .prepare_cached(&format!(
                "{base} AND p.rg_key = ?2 AND p.service_key = ?3{ORDER}"
            ))?
            .query_map(params![sub, id.rg_key(), id.name_key()], |r| {
                owner_of(r, sub)
            })?
            .collect::<super::db::Result<_>>()?,
    };
    let mut sessions_of: Vec<(String, Vec<Session>)> = Vec::new();
    for (o, value, stored) in &owners {
        let Ok(prefix) = Ipv4Prefix::parse(value) else {
            continue;
        };
        let pk = match_key(&o.provider);
        if !sessions_of.iter().any(|(k, _)| *k == pk) {
            sessions_of.push((pk.clone(), sessions(tx, sub, &pk)?));
        }
        let sessions = &sessions_of
            .iter()
            .find(|(k, _)| *k == pk)
            .expect("just added")
            .1;
        let routes = routes(tx, sub, &pk, value, sessions)?;
        let registered: Option<String> = tx
            .prepare_cached("SELECT prefix_key FROM provider_prefixes WHERE subscription = ?1 AND provider_key = ?2 AND prefix = ?3")?
            .query_row(params![sub, pk, value], |r| r.get(0))
            .optional()?;
        let v = observation::evaluate(&o.subject(prefix), sessions, &routes, registered.as_deref());
        let message = (!v.reasons.is_empty()).then(|| v.reasons.join("\n"));
        let now = [
            Some(v.state.as_str().to_owned()),
            Some(v.learned_type.as_str().to_owned()),
            message,
        ];
        if now != *stored {
            tx.prepare_cached(
                "UPDATE prefixes SET validation_state = ?5, learned_type = ?6, error_message = ?7
                 WHERE subscription = ?1 AND rg_key = ?2 AND service_key = ?3 AND name_key = ?4",
            )?
            .execute(params![
                sub,
                o.id.rg_key(),
                o.id.name_key(),
                o.name_key,
                now[0],
                now[1],
                now[2]
            ])?;
        }
    }
    Ok(owners.into_iter().map(|(o, _, _)| o.id).collect())
}

pub(super) fn sessions(
    tx: &Tx<'_>,
    sub: &str,
    provider_key: &str,
) -> super::db::Result<Vec<Session>> {
    tx.prepare_cached(
        "SELECT provider, peering_location, router, address FROM bgp_sessions WHERE subscription = ?1 AND provider_key = ?2
         ORDER BY location_key, router",
    )?
    .query_map(params![sub, provider_key], |r| {
        Ok(Session {
            provider: r.get(0)?,
            peering_location: r.get(1)?,
            router: r.get(2)?,
            address: r.get(3)?,
        })
    })?
    .collect()
}

pub(super) fn routes(
    tx: &Tx<'_>,
    sub: &str,
    provider_key: &str,
    prefix: &str,
    sessions: &[Session],
) -> super::db::Result<Vec<Route>> {
    let mut out = Vec::new();
    let mut st = tx.prepare_cached(
        "SELECT location_key, router, origin_asn, as_path, communities, announced FROM bgp_routes
         WHERE subscription = ?1 AND provider_key = ?2 AND prefix = ?3 ORDER BY location_key, router",
    )?;
    let rows = st.query_map(params![sub, provider_key, prefix], |r| {
        Ok((
            r.get::<String>(0)?,
            r.get::<String>(1)?,
            r.get::<i64>(2)?,
            r.get::<String>(3)?,
            r.get::<String>(4)?,
            r.get::<bool>(5)?,
        ))
    })?;
    for row in rows {
        let (lk, router, origin, path, communities, announced) = row?;
        // Every route belongs to a stored session (a foreign key), so this finds it.
        if let Some(s) = sessions
            .iter()
            .find(|s| match_key(&s.peering_location) == lk && s.router == router)
        {
            out.push(route_from(
                s.clone(),
                prefix.to_owned(),
                origin,
                &path,
                &communities,
                announced,
            ));
        }
    }
    Ok(out)
}

/// A prefix's initial state when it is created or given a new key: decided from what is
/// stored, like any other change.
pub(super) fn initial(tx: &Tx<'_>, id: &ServiceId) -> super::db::Result<()> {
    reevaluate(tx, &id.subscription, Scope::Service(id)).map(|_| ())
}
