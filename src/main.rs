//! Peering Console browser app: mount only.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(peering_console::app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "peering-console is a browser app: build it with `cargo xtask dist` (or `trunk serve` while developing), or run `cargo xtask run`."
    );
}
