//! The encodings of a sign-in: base64url, a JWT's claims (read, never verified: the server
//! verifies), and PKCE's randomness and hash (Web Crypto).

use super::oidc::Signed;

pub(super) fn random_b64(bytes: usize) -> Result<String, String> {
    let mut b = vec![0u8; bytes];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .ok_or("This browser has no Web Crypto.")?
        .get_random_values_with_u8_array(&mut b)
        .map_err(|_| "This browser cannot make random numbers.")?;
    Ok(b64url(&b))
}

pub(super) async fn sha256(data: &[u8]) -> Result<Vec<u8>, String> {
    let subtle = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .ok_or("This browser has no Web Crypto.")?
        .subtle();
    let promise = subtle
        .digest_with_str_and_u8_array("SHA-256", data)
        .map_err(|_| "This browser cannot hash (SHA-256).")?;
    let buf = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| "This browser cannot hash (SHA-256).")?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Base64url without padding (RFC 7636's encoding of the challenge).
pub fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len() * 4 / 3 + 2);
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Base64url (with or without padding) decoded; None for anything else.
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// What the console reads of a JWT's claims.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub nonce: Option<String>,
}

/// The claims of a JWT, unverified: for what the console shows and keys on (the server is the
/// one that verifies). None for a token that is not a JWT with string claims: it is then
/// treated as opaque, as a static token is.
pub fn claims(jwt: &str) -> Option<Claims> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&b64url_decode(payload)?).ok()
}

/// The name a person is shown by: `preferred_username`, else `email`, else `name`, else `sub`,
/// from the ID token or the access token.
pub fn display_name(signed: &Signed) -> Option<String> {
    let from = |jwt: &str| {
        let c = claims(jwt)?;
        [c.preferred_username, c.email, c.name, c.sub]
            .into_iter()
            .flatten()
            .find(|v| !v.is_empty())
    };
    signed
        .id_token
        .as_deref()
        .and_then(from)
        .or_else(|| from(&signed.access_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_matches_rfc_7636() {
        // RFC 7636 appendix B: the challenge of this verifier.
        let digest = [
            19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120,
            173, 109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195,
        ];
        assert_eq!(
            b64url(&digest),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        for n in 0..20u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(b64url_decode(&b64url(&data)), Some(data));
        }
        assert_eq!(b64url_decode("a"), None);
        assert_eq!(b64url_decode("a*b="), None);
    }
}
