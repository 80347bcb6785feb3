// An example portal embedding Peering Console by the protocol of docs/embedding.md.
//
// Where the console is comes from console.json beside this page ({"consoleUrl": "https://…/"}),
// never from the page's URL: the token is posted to that origin, so a crafted link must not be
// able to choose it.
//
// The token comes from the portal's own sign-in: with "oidc" in console.json ({"issuer",
// "clientId", "scopes"}), the portal signs in with the organisation's OpenID Provider (the
// authorization code flow with PKCE, as a public client), asks for an access token for the
// console's API, hands it over, and hands over a fresh one (renewed with its refresh token)
// before it expires. Without "oidc", it takes a token once from its fragment
// (index.html#token=…) and removes it from the address bar at once. With `manual` in the
// fragment it hands the token over only when `portal.handOver()` is called (the end-to-end test
// uses that to show a stranger's token is ignored first).
'use strict';

const params = new URLSearchParams(location.hash.slice(1));
// The provider's answer to the portal's sign-in, read before the address is rewritten below.
const answer = new URLSearchParams(location.search);
let token = params.get('token') || '';
const subscription = params.get('subscription');
const manual = params.has('manual');
const theme = { '--accent': '#00796b', '--focus': '#00796b', '--radius': '6px' };
// The fragment keeps only the console's route from here on (mirrored from `navigated`).
function mirror(path) {
    history.replaceState(null, '', path ? '#path=' + encodeURIComponent(path) : location.pathname);
}
mirror(params.get('path'));

let consoleOrigin = null;
let ready = false;
const frame = document.getElementById('console');

function handOver() {
    const message = { type: 'peering-console:token', token };
    if (subscription) message.subscriptionId = subscription;
    // Addressed to the console's origin only: if the frame has been navigated elsewhere, the
    // browser drops the message instead of handing a token to a stranger.
    frame.contentWindow.postMessage(message, consoleOrigin);
    frame.contentWindow.postMessage({ type: 'peering-console:theme', vars: theme }, consoleOrigin);
}
window.portal = { handOver: () => { if (ready) handOver(); return ready; } };

window.addEventListener('message', (event) => {
    // Only the console, from its own origin, in our frame.
    if (event.origin !== consoleOrigin || event.source !== frame.contentWindow) return;
    const data = event.data || {};
    if (data.type === 'peering-console:ready') {
        // Also sent when the console's token was refused (expired): hand the current one over.
        ready = true;
        if (!manual) handOver();
    } else if (data.type === 'peering-console:navigated' && typeof data.path === 'string') {
        document.getElementById('console-path').textContent = data.path;
        mirror(data.path);
    }
});

// ---- The portal's own sign-in (only with "oidc" in console.json) ----

const b64url = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const redirectUri = location.origin + location.pathname;

async function tokenRequest(endpoint, form) {
    const r = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
    });
    if (!r.ok) throw new Error('the identity provider answered ' + r.status);
    const t = await r.json();
    const session = {
        accessToken: t.access_token,
        refreshToken: t.refresh_token,
        expiresAt: Date.now() + (t.expires_in || 300) * 1000,
    };
    sessionStorage.setItem('portal.session', JSON.stringify(session));
    return session;
}

// Signed in: the session. Not yet: off to the provider (resolves never).
async function signIn(oidc) {
    const found = await fetch(oidc.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
    const endpoints = await found.json();
    const query = answer;
    if (query.has('code') || query.has('error')) {
        const pending = JSON.parse(sessionStorage.getItem('portal.pending') || '{}');
        sessionStorage.removeItem('portal.pending');
        history.replaceState(null, '', location.pathname + (pending.hash || ''));
        if (!query.has('code') || query.get('state') !== pending.state) {
            throw new Error('the sign-in did not complete: ' + (query.get('error') || 'state mismatch'));
        }
        return [endpoints, await tokenRequest(endpoints.token_endpoint, {
            grant_type: 'authorization_code', code: query.get('code'), redirect_uri: redirectUri,
            client_id: oidc.clientId, code_verifier: pending.verifier,
        })];
    }
    const kept = JSON.parse(sessionStorage.getItem('portal.session') || 'null');
    if (kept && kept.expiresAt > Date.now() + 5000) return [endpoints, kept];
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem('portal.pending', JSON.stringify({ verifier, state, hash: location.hash }));
    const ask = new URLSearchParams({
        response_type: 'code', client_id: oidc.clientId, redirect_uri: redirectUri,
        scope: oidc.scopes || 'openid profile offline_access', state,
        code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: 'S256',
    });
    if (oidc.resource) ask.set('resource', oidc.resource);
    location.assign(endpoints.authorization_endpoint + '?' + ask);
    return new Promise(() => {});
}

// Hands the token over, then a fresh one a quarter of its life before it expires.
function keepFresh(oidc, endpoints, session) {
    token = session.accessToken;
    if (ready) handOver();
    const left = session.expiresAt - Date.now();
    setTimeout(async () => {
        try {
            const next = await tokenRequest(endpoints.token_endpoint, {
                grant_type: 'refresh_token', refresh_token: session.refreshToken,
                client_id: oidc.clientId,
            });
            keepFresh(oidc, endpoints, next);
        } catch (e) {
            document.getElementById('console-path').textContent = 'Sign-in ended: ' + e.message;
        }
    }, Math.max(1000, left - Math.min(60000, left / 4)));
}

fetch('console.json')
    .then((r) => r.json())
    .then(async (c) => {
        const url = new URL(c.consoleUrl);
        consoleOrigin = url.origin;
        if (c.oidc) {
            const [endpoints, session] = await signIn(c.oidc);
            keepFresh(c.oidc, endpoints, session);
        }
        frame.src = url.origin + url.pathname + '#' + (params.get('path') || '/');
    });
