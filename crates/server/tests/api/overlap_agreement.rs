//! The server and the model agree on prefix overlaps, PUT by PUT.
//!
//! A fixed-seed generator sends public prefixes of every length from /8 to /32, packed into a
//! few /8s so that overlaps are frequent, to several connections in several resource groups;
//! now and then it re-sends a stored prefix (the same resource, in other casing) or a stored
//! value under another name. Every prefix the server accepts is mirrored into a `PrefixIndex`,
//! which is what the browser holds. For each PUT the server must answer what the model says
//! for that candidate against the mirror: 201/200 exactly when
//! [`PrefixIndex::check_ignoring`] finds nothing, else 409 whose message is that finding's;
//! and with 2025-05-01 the details are every conflict in the order of
//! [`PrefixIndex::conflicts`] (the prefix itself left out), at most [`MAX_LISTED_CONFLICTS`]
//! of them and a count of the rest, which is also what the browser's import preview
//! ([`validate_batch_into`]) lists for that row. The server reads only the stored prefixes its
//! SQL finds near the candidate, so a prefilter that misses one, or any ordering, capping or
//! wording of its own, shows up here.

use crate::helpers::*;
use peering_model::index::{validate_batch_into, PrefixIndex, PrefixRow, MAX_LISTED_CONFLICTS};
use peering_model::prefix::{overlap_finding, ExistingPrefix, Ipv4Prefix, Relation};
use peering_model::Finding;
use serde_json::{json, Value};

/// xorshift64*: small, deterministic, good enough to spread test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// (resource group, connection) as created. Two resource groups have a connection `edge`,
/// which are different connections.
const CONNECTIONS: [(&str, &str); 6] = [
    ("rg-a", "edge"),
    ("rg-a", "Core"),
    ("RG-b", "edge"),
    ("RG-b", "backup"),
    ("rg-c", "Edge"),
    ("rg-c", "lab"),
];

/// Public /8s (none holds a special-purpose block), the first more often than the other, so
/// that it holds more than [`MAX_LISTED_CONFLICTS`] prefixes when the short candidates come.
const SLASH8: [u32; 4] = [20, 20, 20, 45];

const STEPS: usize = 64;

/// A candidate: mostly long prefixes first (so the /8s fill up with disjoint ones), shorter
/// ones later (so they cover many stored prefixes at once).
fn candidate(rng: &mut Rng, step: usize) -> Ipv4Prefix {
    let addr = (rng.pick(&SLASH8) << 24)
        | ((rng.below(2) as u32) << 16)
        | ((rng.below(24) as u32) << 8)
        | rng.below(256) as u32;
    let len = if step < STEPS * 3 / 4 {
        23 + rng.below(10) as u8
    } else {
        8 + rng.below(12) as u8
    };
    Ipv4Prefix::new_truncating(addr, len)
}

/// One PUT: where to, with which api-version.
struct Put {
    rg: String,
    conn: String,
    name: String,
    value: Ipv4Prefix,
    /// The resource group and connection as created (the mirror's and the messages' casing).
    stored_rg: &'static str,
    stored_conn: &'static str,
    details: bool,
}

/// Swaps the ASCII case of every other letter: another spelling of the same name.
fn recase(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn next_put(rng: &mut Rng, step: usize, mirror: &PrefixIndex) -> Put {
    let details = rng.below(2) == 0;
    let stored: Vec<&ExistingPrefix> = mirror.iter().collect();
    let roll = rng.below(10);
    if !stored.is_empty() && roll < 1 {
        // The same resource again, spelled otherwise: not an overlap with itself.
        let e = *rng.pick(&stored);
        let (rg, conn) = CONNECTIONS
            .iter()
            .find(|(rg, c)| e.is(rg, c, &e.name))
            .copied()
            .expect("a mirrored connection");
        return Put {
            rg: recase(rg),
            conn: recase(conn),
            name: recase(&e.name),
            value: e.prefix,
            stored_rg: rg,
            stored_conn: conn,
            details,
        };
    }
    let (rg, conn) = *rng.pick(&CONNECTIONS);
    let value = if !stored.is_empty() && roll < 2 {
        // A stored value under another name, maybe of another connection.
        rng.pick(&stored).prefix
    } else {
        candidate(rng, step)
    };
    Put {
        rg: rg.to_owned(),
        conn: conn.to_owned(),
        name: format!("p{step}"),
        value,
        stored_rg: rg,
        stored_conn: conn,
        details,
    }
}

/// What the model says about `put` against the mirror: the first conflict (the top-level
/// error) and the listed ones (the details).
fn model_says(mirror: &PrefixIndex, put: &Put) -> (Option<Finding>, Vec<String>) {
    let first = mirror.check_ignoring(put.value, &put.rg, &put.conn, &put.name);
    let all: Vec<String> = mirror
        .conflicts(put.value)
        .into_iter()
        .filter(|(_, e)| !e.is(&put.rg, &put.conn, &put.name))
        .map(|(r, e)| overlap_finding(put.value, r, e).message)
        .collect();
    let mut listed: Vec<String> = all.iter().take(MAX_LISTED_CONFLICTS).cloned().collect();
    if all.len() > MAX_LISTED_CONFLICTS {
        listed.push(format!(
            "{} also overlaps {} more prefixes of the subscription; prefixes of a subscription must not overlap.",
            put.value,
            all.len() - MAX_LISTED_CONFLICTS
        ));
    }
    assert_eq!(
        first.as_ref().map(|f| &f.message),
        listed.first(),
        "the model's first conflict heads its list"
    );
    // The browser's import preview of this one row says the same.
    let row = PrefixRow {
        name: put.name.clone(),
        prefix: put.value.to_string(),
        key: None,
    };
    let preview: Vec<String> = validate_batch_into(mirror, &put.rg, &put.conn, &[row])
        .remove(0)
        .findings
        .errors()
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(preview, listed, "the browser's preview lists the same");
    (first, listed)
}

#[derive(Default, Debug)]
struct Seen {
    created: usize,
    unchanged: usize,
    refused: usize,
    equals: usize,
    lies_inside: usize,
    contains: usize,
    several: usize,
    capped: usize,
}

#[tokio::test]
async fn the_server_refuses_exactly_what_the_model_refuses_with_the_same_words() {
    let app = spawn_app().await;
    for (rg, conn) in CONNECTIONS {
        app.create_connection(rg, conn).await;
    }
    let mut rng = Rng(0x5eed_0fc0_ffee);
    let mut mirror = PrefixIndex::new();
    let mut seen = Seen::default();
    for step in 0..STEPS {
        let put = next_put(&mut rng, step, &mirror);
        let (first, listed) = model_says(&mirror, &put);
        let mut url = app.prefix_url(&put.rg, &put.conn, &put.name);
        if put.details {
            url = with_version(&url, "2025-05-01");
        }
        let res = app
            .put_json(
                &url,
                &json!({"properties": {"prefix": put.value.to_string()}}),
            )
            .await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.expect("a JSON body");
        let what = format!("step {step}: PUT {} = {}", url, put.value);
        let known = mirror
            .get(put.value)
            .any(|e| e.is(&put.rg, &put.conn, &put.name));
        match first {
            None => {
                assert_eq!(status, if known { 200 } else { 201 }, "{what}: {body}");
                assert_eq!(
                    body["properties"]["prefix"],
                    put.value.to_string(),
                    "{what}"
                );
                if known {
                    seen.unchanged += 1;
                } else {
                    seen.created += 1;
                    mirror.insert(ExistingPrefix {
                        prefix: put.value,
                        resource_group: put.stored_rg.to_owned(),
                        connection: put.stored_conn.to_owned(),
                        name: put.name.clone(),
                    });
                }
            }
            Some(first) => {
                assert_eq!(status, 409, "{what}: {body}");
                let e = &body["error"];
                assert_eq!(e["code"], "PrefixOverlaps", "{what}");
                assert_eq!(e["target"], "properties.prefix", "{what}");
                assert_eq!(e["message"], first.message.as_str(), "{what}");
                if put.details {
                    let details: Vec<&str> = e["details"]
                        .as_array()
                        .unwrap_or_else(|| panic!("{what}: details with 2025-05-01: {body}"))
                        .iter()
                        .map(|d| {
                            assert_eq!(d["code"], "PrefixOverlaps", "{what}");
                            assert_eq!(d["target"], "properties.prefix", "{what}");
                            d["message"].as_str().expect("a detail message")
                        })
                        .collect();
                    assert_eq!(details, listed, "{what}");
                } else {
                    assert!(e.get("details").is_none(), "{what}: {body}");
                }
                seen.refused += 1;
                for (r, _) in mirror.conflicts(put.value) {
                    match r {
                        Relation::Equals => seen.equals += 1,
                        Relation::LiesInside => seen.lies_inside += 1,
                        Relation::Contains => seen.contains += 1,
                    }
                }
                if put.details && listed.len() > 1 {
                    seen.several += 1;
                }
                if put.details && listed.len() > MAX_LISTED_CONFLICTS {
                    seen.capped += 1;
                }
            }
        }
    }

    // The mirror is what the server stores.
    let mut stored = Vec::new();
    for (rg, conn) in CONNECTIONS {
        let (items, _) = app.list_all(&app.url(rg, conn, "/prefixes")).await;
        for item in items {
            stored.push(format!(
                "{rg}/{conn}/{} {}",
                item["name"].as_str().unwrap(),
                item["properties"]["prefix"].as_str().unwrap()
            ));
        }
    }
    let mut mirrored: Vec<String> = mirror
        .iter()
        .map(|e| {
            format!(
                "{}/{}/{} {}",
                e.resource_group, e.connection, e.name, e.prefix
            )
        })
        .collect();
    stored.sort();
    mirrored.sort();
    assert_eq!(stored, mirrored);

    // The run exercised every case it is meant to; a change of the generator that loses one
    // must be noticed, not silently weaken the test.
    eprintln!("{seen:?}");
    assert!(seen.created >= 15, "{seen:?}");
    assert!(seen.unchanged >= 3, "{seen:?}");
    assert!(seen.refused >= 15, "{seen:?}");
    assert!(
        seen.equals > 0 && seen.lies_inside > 0 && seen.contains > 0,
        "{seen:?}"
    );
    assert!(seen.several >= 3, "{seen:?}");
    assert!(seen.capped >= 1, "{seen:?}");
}
