//! The outbox: writes that met no answer, a 5xx (503 included) or a 429 wait here, visibly,
//! and are sent again until the server takes them, so nothing the user typed is lost.
//!
//! * Kept in `localStorage` (what to send; never the token), so they survive a reload and are
//!   sent by the next session of this browser.
//! * Sent strictly in the order they were made, one at a time: a change queued after a create
//!   must not reach the server before it.
//! * Retried with exponential backoff and jitter (1 s doubling to at most 60 s, each delay
//!   drawn from its upper half, so tabs that failed together do not retry together), never
//!   sooner than a `Retry-After` the server gave; at once when the browser comes back online,
//!   or on "Retry now".
//! * A replay that meets its own earlier success is done, not a conflict (see
//!   [`api::replay`]). A refusal that sending again cannot cure (a conflict, a bad request)
//!   stops that write and says why; the user discards it (the writes after it go on).

use crate::api::{self, ApiError, Replay};
use crate::state::Session;
use leptos::prelude::*;
use std::time::Duration;

mod entries;
use entries::{abandoned, depends_on_any, now_ms, storage, MAX_DELAY_MS, SENDING_TIMEOUT_MS};
pub use entries::{backoff_ms, storage_key, Pending, Status, OUTBOX_KEY};

/// The app's outbox; one per tab, in context.
#[derive(Clone, Copy)]
pub struct Outbox {
    pending: RwSignal<Vec<Pending>>,
    /// Counts writes delivered from the outbox, so views can reload after one.
    delivered: RwSignal<u32>,
    /// The keys of the last writes delivered (at most 100), so a view can tell its own.
    delivered_keys: RwSignal<Vec<u64>>,
    /// Where this outbox is kept: one per API and subscription, so writes queued for one are
    /// never sent to another (after a sign-in elsewhere).
    storage_key: StoredValue<String>,
    session: StoredValue<Session>,
    /// Which timer is current: a newer schedule makes older ones do nothing.
    timer: StoredValue<u32>,
    /// Writes this tab is sending now (never taken over as abandoned, never sent twice).
    in_flight: StoredValue<Vec<u64>>,
}

impl Outbox {
    /// The outbox of this browser (what an earlier session left is sent too).
    pub fn new(session: Session) -> Outbox {
        let key = storage_key(&session);
        let mut saved: Vec<Pending> = storage()
            .and_then(|s| s.get_item(&key).ok().flatten())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        // A write that was being sent when its tab went away is sent again; one another open
        // tab is sending now is left to it (see `abandoned`).
        for p in &mut saved {
            if abandoned(p) {
                p.status = Status::Waiting;
            }
        }
        let outbox = Outbox {
            pending: RwSignal::new(saved),
            delivered: RwSignal::new(0),
            delivered_keys: RwSignal::new(Vec::new()),
            storage_key: StoredValue::new(key.clone()),
            session: StoredValue::new(session),
            timer: StoredValue::new(0),
            in_flight: StoredValue::new(Vec::new()),
        };
        // Another tab of this browser changed the outbox (queued, sent, discarded): take its
        // list, so no tab's save erases another's writes or brings back a discarded one. A
        // write this tab is sending stays "sending" here.
        let storage_key = key.clone();
        let other_tab = leptos::prelude::window_event_listener(leptos::ev::storage, move |ev| {
            if ev.key().as_deref() != Some(storage_key.as_str()) {
                return;
            }
            let theirs: Vec<Pending> = ev
                .new_value()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            outbox.pending.update(|mine| {
                let sending: Vec<u64> = mine
                    .iter()
                    .filter(|w| w.status == Status::Sending)
                    .map(|w| w.key)
                    .collect();
                *mine = theirs;
                for w in mine.iter_mut().filter(|w| sending.contains(&w.key)) {
                    w.status = Status::Sending;
                }
            });
            outbox.schedule();
        });
        on_cleanup(move || other_tab.remove());
        // Back online: try everything at once.
        let online = leptos::prelude::window_event_listener(leptos::ev::online, move |_| {
            outbox.send_all_now()
        });
        on_cleanup(move || online.remove());
        outbox.schedule();
        outbox
    }

    pub fn pending(&self) -> Signal<Vec<Pending>> {
        self.pending.into()
    }

    pub fn delivered(&self) -> Signal<u32> {
        self.delivered.into()
    }

    /// Whether the outbox has nothing it can send now (empty, or only stopped writes and those
    /// held back behind them).
    pub fn idle(&self) -> bool {
        self.head().is_none()
            && self
                .pending
                .with_untracked(|p| !p.iter().any(|w| w.status == Status::Sending))
    }

    /// Whether the write `key` (from [`Outbox::push`]) has been delivered.
    pub fn was_delivered(&self, key: u64) -> bool {
        self.delivered_keys.with(|d| d.contains(&key))
    }

    /// Whether the write `key` is still in the outbox (waiting, sending or stopped).
    pub fn holds(&self, key: u64) -> bool {
        self.pending.with(|p| p.iter().any(|w| w.key == key))
    }

    /// Queues a write that failed with `error` (transient), to be sent again after a backoff.
    /// Returns the write's key.
    pub fn push(&self, label: String, write: Replay, error: &ApiError) -> u64 {
        // Unique within this outbox and (53 random bits) across tabs.
        let key = loop {
            let k = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
            if k != 0
                && self
                    .pending
                    .with_untracked(|p| p.iter().all(|w| w.key != k))
            {
                break k;
            }
        };
        self.pending.update(|p| {
            p.push(Pending {
                key,
                label,
                write,
                attempts: 1,
                next_at: now_ms() + backoff_ms(0, error.retry_after, js_sys::Math::random()),
                last_error: Some(error.message.clone()),
                status: Status::Waiting,
            })
        });
        self.save();
        self.schedule();
        key
    }

    /// After the user compared a refused write with the version stored now and chose theirs to
    /// be replaced: the write now applies to that version (`etag`), and is sent at once. A
    /// list item's delete becomes a plain delete of that version.
    pub fn retarget(&self, key: u64, etag: &str) {
        self.pending.update(|p| {
            for w in p.iter_mut().filter(|w| w.key == key) {
                if let Replay::DeleteIfUnchanged { id, .. } = &w.write {
                    w.write = Replay::Delete {
                        id: id.clone(),
                        etag: etag.to_owned(),
                    };
                }
                w.write.rebase(etag);
                w.status = Status::Waiting;
                w.next_at = now_ms();
            }
        });
        self.save();
        self.schedule();
    }

    /// Queues the create of `body` at `id` (`PUT` with `If-None-Match: *` when it is sent)
    /// after it met `error`. `None` when the body cannot be written as JSON.
    pub fn push_create<T: serde::Serialize>(
        &self,
        label: String,
        id: &peering_model::ResourceId,
        body: &T,
        error: &ApiError,
    ) -> Option<u64> {
        let body = serde_json::to_value(body).ok()?;
        let write = Replay::Create {
            id: id.to_string(),
            body,
        };
        Some(self.push(label, write, error))
    }

    pub fn retry_now(&self, key: u64) {
        self.pending.update(|p| {
            for w in p.iter_mut().filter(|w| w.key == key) {
                if matches!(w.status, Status::Waiting | Status::Stopped(_)) {
                    w.status = Status::Waiting;
                    w.next_at = now_ms();
                }
            }
        });
        self.save();
        self.schedule();
    }

    /// Sends every waiting write now (back online; a sign-out that sends first).
    pub fn send_all_now(&self) {
        self.pending.update(|p| {
            for w in p.iter_mut().filter(|w| w.status == Status::Waiting) {
                w.next_at = now_ms();
            }
        });
        self.schedule();
    }

    /// Removes the write `key`. A stopped write takes the writes held back behind it with it
    /// (a refused connection create, its prefixes): sent alone they would land in whatever
    /// connection of that name exists.
    pub fn discard(&self, key: u64) {
        self.pending.update(|p| {
            let stopped = p
                .iter()
                .find(|w| w.key == key && matches!(w.status, Status::Stopped(_)))
                .map(|w| w.write.id().to_ascii_lowercase());
            p.retain(|w| {
                w.status == Status::Sending
                    || (w.key != key
                        && !stopped
                            .as_ref()
                            .is_some_and(|s| depends_on_any(w.write.id(), std::slice::from_ref(s))))
            })
        });
        self.save();
        self.schedule();
    }

    fn save(&self) {
        let Some(s) = storage() else { return };
        let Some(key) = self.storage_key.try_get_value() else {
            return;
        };
        let Some(text) = self
            .pending
            .try_with_untracked(|p| serde_json::to_string(p).unwrap_or_default())
        else {
            return;
        };
        let _ = if text == "[]" {
            s.remove_item(&key)
        } else {
            s.set_item(&key, &text)
        };
    }

    /// The write to send next, if it is waiting, and when it is due: the first one that is not
    /// stopped and does not depend on a stopped one (the same resource or one under it, such
    /// as a prefix of a connection whose create was refused: sent alone, it could land in
    /// someone else's connection).
    fn head(&self) -> Option<(u64, f64)> {
        self.pending
            .try_with_untracked(|p| {
                let stopped: Vec<String> = p
                    .iter()
                    .filter(|w| matches!(w.status, Status::Stopped(_)))
                    .map(|w| w.write.id().to_ascii_lowercase())
                    .collect();
                p.iter()
                    .find(|w| {
                        !matches!(w.status, Status::Stopped(_))
                            && !depends_on_any(w.write.id(), &stopped)
                    })
                    .filter(|w| {
                        w.status == Status::Waiting
                            || (abandoned(w)
                                && self.in_flight.try_with_value(|f| !f.contains(&w.key))
                                    == Some(true))
                    })
                    .map(|w| (w.key, w.next_at))
            })
            .flatten()
    }

    /// Arms one timer for the head of the queue (or, when another tab is sending it, for when
    /// that send counts as abandoned).
    fn schedule(&self) {
        let sending_elsewhere = || {
            self.pending
                .try_with_untracked(|p| {
                    p.iter()
                        .find(|w| {
                            w.status == Status::Sending
                                && !self.in_flight.with_value(|f| f.contains(&w.key))
                        })
                        .map(|w| (w.key, w.next_at + SENDING_TIMEOUT_MS + 1.0))
                })
                .flatten()
        };
        let Some((_, at)) = self.head().or_else(sending_elsewhere) else {
            return;
        };
        let me = *self;
        let Some(mine) = self.timer.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        // At most a minute: a time further off (a stored entry from another tab's clock) would
        // overflow the browser's timer, and the head is looked at again when it fires anyway.
        let wait = (at - now_ms()).clamp(0.0, MAX_DELAY_MS);
        set_timeout(
            move || {
                if me.timer.try_get_value() == Some(mine) {
                    me.send_head();
                }
            },
            Duration::from_millis(wait as u64),
        );
    }

    fn send_head(&self) {
        let Some((key, at)) = self.head() else { return };
        if at > now_ms() {
            self.schedule();
            return;
        }
        let mut write = None;
        self.pending.update(|p| {
            if let Some(w) = p.iter_mut().find(|w| w.key == key) {
                w.status = Status::Sending;
                // Since when, so other tabs hold off (and take over if this tab goes away).
                w.next_at = now_ms();
                write = Some(w.write.clone());
            }
        });
        let Some(write) = write else { return };
        self.in_flight.update_value(|f| f.push(key));
        self.save();
        let me = *self;
        let session = self.session.get_value();
        // Not scoped: a write in flight is finished whatever page is shown.
        leptos::task::spawn_local(async move {
            let result = api::replay(&session, &write).await;
            if me
                .in_flight
                .try_update_value(|f| f.retain(|k| *k != key))
                .is_none()
            {
                // The outbox went away (signed out): nothing is left to update.
                return;
            }
            me.pending.try_update(|p| match result {
                // A later write of the same resource keeps the ETag it was made against: if
                // this one changed the resource, that one meets a 412 and stops for the user to
                // compare, rather than silently replacing what this one wrote.
                Ok(_) => p.retain(|w| w.key != key),
                Err(e) => {
                    if let Some(w) = p.iter_mut().find(|w| w.key == key) {
                        w.last_error = Some(e.message.clone());
                        if e.is_transient() {
                            w.next_at = now_ms()
                                + backoff_ms(w.attempts, e.retry_after, js_sys::Math::random());
                            w.attempts += 1;
                            w.status = Status::Waiting;
                        } else {
                            w.status = Status::Stopped(e.message);
                        }
                    }
                }
            });
            if me
                .pending
                .try_with_untracked(|p| p.iter().all(|w| w.key != key))
                == Some(true)
            {
                me.delivered_keys.try_update(|d| {
                    d.push(key);
                    let over = d.len().saturating_sub(100);
                    d.drain(..over);
                });
                me.delivered.try_update(|n| *n += 1);
            }
            me.save();
            me.schedule();
        });
    }
}
