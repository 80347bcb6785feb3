// Starts the app without an inline script, so the page works under
// `script-src 'self' 'wasm-unsafe-eval'`. Trunk writes the hashed file names into the
// data attributes of the <script> tag that loads this file (see pattern_script in Trunk.toml).
const tag = document.querySelector('script[data-wasm]');
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
dispatchEvent(new CustomEvent('TrunkApplicationStarted'));
