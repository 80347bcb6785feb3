//! The outbox in the top bar: a count of writes waiting to be sent, and a list of them with
//! each one's state, "Retry now" and "Discard".

use crate::outbox::{Outbox, Status};
use leptos::prelude::*;

fn clock(ms: f64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    d.to_locale_time_string("default").into()
}

#[component]
pub fn OutboxPanel() -> impl IntoView {
    let outbox = expect_context::<Outbox>();
    let pending = outbox.pending();
    let open = RwSignal::new(false);
    let count = Memo::new(move |_| pending.with(Vec::len));
    view! {
        <Show when=move || { count.get() > 0 || open.get() }>
            <button type="button" class="button small outbox-toggle" id="outbox-toggle"
                aria-expanded=move || open.get().to_string() aria-controls="outbox"
                on:click=move |_| open.update(|o| *o = !*o)>
                "Outbox "<span class="badge" id="outbox-count" aria-live="polite">{count}</span>
            </button>
        </Show>
        <Show when=move || open.get()>
            <section id="outbox" class="outbox" aria-label="Outbox: writes waiting to be sent">
                <header class="row">
                    <h2>"Outbox"</h2>
                    <button type="button" class="button small" on:click=move |_| open.set(false)>"Close"</button>
                </header>
                <Show when=move || { count.get() > 0 } fallback=|| view! { <p class="msg ok">"Everything has been sent."</p> }>
                    <ul>
                        <For each=move || pending.get() key=|p| (p.key, p.attempts, format!("{:?}", p.status)) let:p>
                            {
                                let key = p.key;
                                let state = match &p.status {
                                    Status::Sending => "Sending…".to_owned(),
                                    Status::Waiting => format!("Waiting; attempt {} at {}", p.attempts + 1, clock(p.next_at)),
                                    Status::Stopped(why) => format!("Not sent: {why}"),
                                };
                                let stopped = matches!(p.status, Status::Stopped(_));
                                let sending = p.status == Status::Sending;
                                view! {
                                    <li class:stopped=stopped>
                                        <strong>{p.label.clone()}</strong>
                                        <span class="state">{state}</span>
                                        {(!stopped).then(|| p.last_error.clone()).flatten().map(|e| view! { <span class="msg hint">{format!("Last attempt: {e}")}</span> })}
                                        <span class="row">
                                            <button type="button" class="button small retry" disabled=sending
                                                on:click=move |_| outbox.retry_now(key)>"Retry now"</button>
                                            <button type="button" class="button small discard" disabled=sending
                                                on:click=move |_| outbox.discard(key)>"Discard"</button>
                                        </span>
                                    </li>
                                }
                            }
                        </For>
                    </ul>
                </Show>
            </section>
        </Show>
    }
}
