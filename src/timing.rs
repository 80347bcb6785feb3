//! User Timing marks for the browser benchmarks: `performance.mark(name)` once the frame that
//! shows a change has been produced, so a benchmark outside the page (`cargo xtask bench
//! browser`) reads how long after the navigation the list painted. A mark costs nothing the
//! user notices and is made once per page load.

use wasm_bindgen::JsCast;

/// Marks `name` after the next frame: a `requestAnimationFrame` callback runs just before the
/// frame's style, layout and paint, and a task queued from it runs after them.
pub fn mark_after_paint(name: &'static str) {
    let Some(w) = web_sys::window() else {
        return;
    };
    let Some(performance) = w.performance() else {
        return;
    };
    if performance.get_entries_by_name(name).length() > 0 {
        return;
    }
    let after = wasm_bindgen::closure::Closure::once_into_js(move || {
        let queued = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = performance.mark(name);
        });
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(queued.unchecked_ref());
        }
    });
    let _ = w.request_animation_frame(after.unchecked_ref());
}

/// The connections list's first rows are on screen.
pub const FIRST_ROWS: &str = "peering:first-rows";
/// Every connection is loaded and the list shows them.
pub const ALL_ROWS: &str = "peering:all-rows";
