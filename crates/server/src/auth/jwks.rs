//! The provider's published keys (a JWK Set) as this server uses them: signing keys only, each
//! allowing only the asymmetric algorithms of its kind (and only its own `alg` when it names
//! one).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The algorithms ever accepted: asymmetric ones only.
pub(super) const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl Family {
    pub(super) fn allows(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            Family::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            Family::P256 => alg == ES256,
            Family::P384 => alg == ES384,
            Family::Ed25519 => alg == EdDSA,
        }
    }
}

pub(super) struct Key {
    pub(super) kid: Option<String>,
    /// The JWK's own `alg`, when it names one: then only that algorithm.
    alg: Option<Algorithm>,
    family: Family,
    pub(super) decoding: DecodingKey,
}

impl Key {
    pub(super) fn allows(&self, alg: Algorithm) -> bool {
        self.family.allows(alg) && self.alg.is_none_or(|a| a == alg)
    }

    /// A signing key of a JWK Set, or None for what cannot verify a token's signature here
    /// (an encryption key, a symmetric key, an unknown curve or algorithm).
    pub(super) fn from_jwk(jwk: &Jwk) -> Option<Key> {
        if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
            return None;
        }
        let family = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Family::Rsa,
            AlgorithmParameters::EllipticCurve(p) => match p.curve {
                EllipticCurve::P256 => Family::P256,
                EllipticCurve::P384 => Family::P384,
                _ => return None,
            },
            AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
                Family::Ed25519
            }
            _ => return None,
        };
        let alg = match jwk.common.key_algorithm {
            None => None,
            Some(a) => Some(signing_algorithm(a)?),
        };
        if alg.is_some_and(|a| !family.allows(a)) {
            return None;
        }
        Some(Key {
            kid: jwk.common.key_id.clone(),
            alg,
            family,
            decoding: DecodingKey::from_jwk(jwk).ok()?,
        })
    }
}

/// A JWK's `alg` as a signing algorithm, when it is an asymmetric one.
fn signing_algorithm(a: KeyAlgorithm) -> Option<Algorithm> {
    use KeyAlgorithm as K;
    Some(match a {
        K::RS256 => Algorithm::RS256,
        K::RS384 => Algorithm::RS384,
        K::RS512 => Algorithm::RS512,
        K::PS256 => Algorithm::PS256,
        K::PS384 => Algorithm::PS384,
        K::PS512 => Algorithm::PS512,
        K::ES256 => Algorithm::ES256,
        K::ES384 => Algorithm::ES384,
        K::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_allow_only_their_own_family_and_alg() {
        assert!(Family::Rsa.allows(Algorithm::RS256));
        assert!(Family::Rsa.allows(Algorithm::PS256));
        assert!(!Family::Rsa.allows(Algorithm::ES256));
        assert!(!Family::Rsa.allows(Algorithm::HS256));
        assert!(Family::P256.allows(Algorithm::ES256));
        assert!(!Family::P256.allows(Algorithm::ES384));
        assert!(!ASYMMETRIC.contains(&Algorithm::HS256));
        assert!(!ASYMMETRIC.contains(&Algorithm::HS384));
        assert!(!ASYMMETRIC.contains(&Algorithm::HS512));
    }
}
