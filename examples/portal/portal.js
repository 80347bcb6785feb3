// An example portal embedding Peering Console by the protocol of docs/embedding.md.
//
// Where the console is comes from console.json beside this page ({"consoleUrl": "https://…/"}),
// never from the page's URL: the token is posted to that origin, so a crafted link must not be
// able to choose it. The token itself would come from the portal's own sign-in; this example
// takes it once from its fragment (index.html#token=…) and removes it from the address bar at
// once. With `manual` in the fragment it hands the token over only when `portal.handOver()` is
// called (the end-to-end test uses that to show a stranger's token is ignored first).
'use strict';

const params = new URLSearchParams(location.hash.slice(1));
const token = params.get('token') || '';
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

fetch('console.json')
    .then((r) => r.json())
    .then((c) => {
        const url = new URL(c.consoleUrl);
        consoleOrigin = url.origin;
        frame.src = url.origin + url.pathname + '#' + (params.get('path') || '/');
    });
