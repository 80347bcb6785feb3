//! Keeping a view fresh: a check every [`REFRESH_SECS`] seconds while the view is shown, and
//! whenever the window gets the focus back (the user returns from another tab or window).
//! The checks are conditional requests (`If-None-Match`), so while nothing changed each costs
//! a 304 without a body.

use leptos::prelude::*;
use std::time::Duration;

pub const REFRESH_SECS: u64 = 30;

/// Runs `check` on an interval and on focus until the current owner is cleaned up.
pub fn on_interval_and_focus(check: impl Fn() + Clone + 'static) {
    let tick = check.clone();
    let interval = set_interval_with_handle(tick, Duration::from_secs(REFRESH_SECS)).ok();
    let focus = window_event_listener(leptos::ev::focus, move |_| check());
    on_cleanup(move || {
        if let Some(h) = interval {
            h.clear();
        }
        focus.remove();
    });
}
