//! Representations: how stored records are sent, per api-version, and their ETags. Pure
//! functions of the records; no I/O.

pub(crate) mod child;
pub(crate) mod service;

use peering_model::wire::{CreatedByType, SystemData};
use peering_model::ApiVersion;
use serde::Serialize;

/// The `ETag` of a representation: a hash of its JSON (strong: any byte changes it).
pub(crate) fn etag_of(json: &[u8]) -> String {
    use sha2::Digest;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = sha2::Sha256::digest(json);
    let mut tag = String::with_capacity(26);
    tag.push('"');
    for b in &d[..12] {
        tag.push(HEX[usize::from(b >> 4)] as char);
        tag.push(HEX[usize::from(b & 15)] as char);
    }
    tag.push('"');
    tag
}

/// The ETag of a resource: a hash of its canonical representation.
pub(crate) fn etag_of_value<T: Serialize>(value: &T) -> String {
    etag_of(&serde_json::to_vec(value).unwrap_or_default())
}

/// `systemData` (2025-05-01 and later): who created and last changed a resource, and when.
/// Authors are named with their type: a person signed in with the identity provider (`User`),
/// a static token by its grant's name (`Application`), or, for what was written before people
/// signed in, a token's fingerprint (`Key`).
pub(crate) fn system_data(
    v: ApiVersion,
    created_at: &str,
    (created_by, created_by_type): (&str, &str),
    modified_at: &str,
    (modified_by, modified_by_type): (&str, &str),
) -> Option<SystemData> {
    v.has_system_data().then(|| SystemData {
        created_by: Some(created_by.to_owned()),
        created_by_type: Some(author_type(created_by_type)),
        created_at: Some(created_at.to_owned()),
        last_modified_by: Some(modified_by.to_owned()),
        last_modified_by_type: Some(author_type(modified_by_type)),
        last_modified_at: Some(modified_at.to_owned()),
    })
}

/// A stored author type; anything unknown reads as `Key`, what every row was before types
/// were stored.
pub(crate) fn author_type(stored: &str) -> CreatedByType {
    stored.parse().unwrap_or(CreatedByType::Key)
}
