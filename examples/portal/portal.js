// An example portal embedding Peering Console by the protocol of docs/embedding.md.
//
// Its own URL says what to frame and with which token (a real portal gets the token from its
// own sign-in):  index.html#console=https://peering.example.com/&token=…[&subscription=…][&path=/c/rg/name]
// With `manual` in the fragment it hands the token over only when `portal.handOver()` is
// called (the end-to-end test uses that to show a stranger's token is ignored first).
'use strict';

const params = new URLSearchParams(location.hash.slice(1));
const consoleUrl = new URL(params.get('console') || '/', location.href);
const consoleOrigin = consoleUrl.origin;
const token = params.get('token') || '';
const subscription = params.get('subscription');
const frame = document.getElementById('console');
const theme = { '--accent': '#00796b', '--focus': '#00796b', '--radius': '6px' };

// The console's route, mirrored in our fragment so a reload (or a shared link) of the portal
// comes back to the same place in the console.
frame.src = consoleUrl.origin + consoleUrl.pathname + '#' + (params.get('path') || '/');

let ready = false;
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
        ready = true;
        if (!params.has('manual')) handOver();
    } else if (data.type === 'peering-console:navigated' && typeof data.path === 'string') {
        document.getElementById('console-path').textContent = data.path;
        params.set('path', data.path);
        history.replaceState(null, '', '#' + params.toString());
    }
});
