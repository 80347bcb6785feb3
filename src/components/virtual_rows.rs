//! Virtual rendering of a long table: which rows to put in the DOM for a scroll position.
//! Rows have one fixed height, so the window follows from the scroll offset alone, and the
//! rows above and below are stood in for by two spacers of the right height.

/// The height of a table row in pixels, fixed by the stylesheet (`.grid.virtual tbody tr`), so
/// the window of rows to render follows from the scroll position alone.
pub const ROW_HEIGHT: f64 = 33.0;
/// Rows rendered above and below the visible ones, so a fast scroll does not show blanks.
pub const OVERSCAN: usize = 8;
/// The viewport height assumed until the table's own is measured.
pub const DEFAULT_VIEWPORT: f64 = 600.0;

/// The rows `[start, end)` of `len` to render for a viewport scrolled to `scroll_top`.
pub fn window(len: usize, scroll_top: f64, viewport: f64) -> (usize, usize) {
    let first = (scroll_top.max(0.0) / ROW_HEIGHT) as usize;
    let start = first.saturating_sub(OVERSCAN).min(len);
    let shown = (viewport.max(ROW_HEIGHT) / ROW_HEIGHT).ceil() as usize;
    let end = (first + shown + OVERSCAN).min(len);
    (start, end.max(start))
}

/// The height the table's rows are seen through: the wrap's, never more than the window (an
/// unconstrained wrap would otherwise render every row).
pub fn viewport_height(el: &web_sys::HtmlDivElement) -> f64 {
    let window_h = web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(DEFAULT_VIEWPORT);
    f64::from(el.client_height()).min(window_h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_and_a_margin() {
        assert_eq!(window(0, 0.0, 600.0), (0, 0));
        let (s, e) = window(10_000, 0.0, 600.0);
        assert_eq!(s, 0);
        assert_eq!(e, 19 + OVERSCAN);
        let (s, e) = window(10_000, 100.0 * ROW_HEIGHT, 330.0);
        assert_eq!((s, e), (100 - OVERSCAN, 110 + OVERSCAN));
        assert_eq!(window(50, 1e9, 600.0), (50, 50));
    }
}
