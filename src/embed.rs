//! The portal protocol (`docs/embedding.md`): how an admin portal that frames the app hands it
//! a token, themes it, and follows where it is.
//!
//! Trust rests on two checks of every incoming message, both required: `event.origin` is one
//! of `config.json`'s `allowedParentOrigins` exactly (scheme, host and port; no pattern, no
//! trailing slash), and `event.source` is `window.parent` itself (so another frame of the same
//! portal page, a popup or an opener cannot speak for the portal). Anything else is dropped
//! without a word. Outgoing messages go to `window.parent` only, addressed to each allowed
//! origin in turn (never `*`): the browser delivers a message only if the parent is at that
//! origin, so a page that frames us from elsewhere learns nothing.

use leptos::leptos_dom::helpers::window_event_listener_untyped;
use serde::Deserialize;
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;

/// The `type` of each message.
pub const READY: &str = "peering-console:ready";
pub const TOKEN: &str = "peering-console:token";
pub const THEME: &str = "peering-console:theme";
pub const NAVIGATED: &str = "peering-console:navigated";

/// What a portal may send.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
pub enum Incoming {
    #[serde(rename = "peering-console:token", rename_all = "camelCase")]
    Token {
        token: String,
        #[serde(default)]
        subscription_id: Option<String>,
    },
    #[serde(rename = "peering-console:theme")]
    Theme { vars: BTreeMap<String, String> },
}

impl Incoming {
    /// A message's data as JSON text; None for anything that is not one of ours, or a token
    /// message with an empty token.
    pub fn parse(json: &str) -> Option<Incoming> {
        match serde_json::from_str::<Incoming>(json).ok()? {
            Incoming::Token { token, .. } if token.trim().is_empty() => None,
            Incoming::Token {
                token,
                subscription_id,
            } => Some(Incoming::Token {
                token,
                subscription_id: subscription_id.filter(|s| !s.trim().is_empty()),
            }),
            m => Some(m),
        }
    }
}

/// What a themable custom property holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Color,
    Length,
    FontFamily,
}

/// The custom properties a portal may set (those of `style/main.css`'s `:root`), and what
/// each holds. Anything else is ignored.
const THEMABLE: [(&str, Kind); 19] = [
    ("--bg", Kind::Color),
    ("--surface", Kind::Color),
    ("--text", Kind::Color),
    ("--muted", Kind::Color),
    ("--border", Kind::Color),
    ("--accent", Kind::Color),
    ("--accent-text", Kind::Color),
    ("--focus", Kind::Color),
    ("--ok", Kind::Color),
    ("--pending", Kind::Color),
    ("--failed", Kind::Color),
    ("--warning", Kind::Color),
    ("--error-bg", Kind::Color),
    ("--warning-bg", Kind::Color),
    ("--danger-text", Kind::Color),
    ("--font", Kind::FontFamily),
    ("--font-size", Kind::Length),
    ("--space", Kind::Length),
    ("--radius", Kind::Length),
];

/// The names of [`THEMABLE`], for the documentation test.
pub fn themable() -> impl Iterator<Item = &'static str> {
    THEMABLE.iter().map(|(n, _)| *n)
}

fn is_color(v: &str) -> bool {
    let hex =
        |h: &str| matches!(h.len(), 3 | 4 | 6 | 8) && h.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(h) = v.strip_prefix('#') {
        return hex(h);
    }
    for f in ["rgb(", "rgba(", "hsl(", "hsla("] {
        if let Some(args) = v.strip_prefix(f).and_then(|r| r.strip_suffix(')')) {
            return !args.is_empty()
                && args.len() <= 40
                && args.bytes().all(|b| {
                    b.is_ascii_digit()
                        || b" .,%/".contains(&b)
                        || b == b'd'
                        || b == b'e'
                        || b == b'g'
                });
        }
    }
    // A named colour (`rebeccapurple`, `transparent`).
    (3..=24).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_lowercase())
}

fn is_length(v: &str) -> bool {
    let number = ["px", "rem", "em"].iter().find_map(|u| v.strip_suffix(u));
    number.is_some_and(|n| {
        !n.is_empty()
            && n.len() <= 6
            && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && n.bytes().filter(|b| *b == b'.').count() <= 1
    })
}

fn is_font_family(v: &str) -> bool {
    !v.trim().is_empty()
        && v.len() <= 200
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" ,-_\"'".contains(&b))
}

/// Whether `name: value` may be set: a themable property and a value of its kind (no
/// `url(…)`, `;`, braces or escapes can get through any of them).
pub fn allowed(name: &str, value: &str) -> bool {
    let value = value.trim();
    THEMABLE.iter().any(|(n, kind)| {
        *n == name
            && match kind {
                Kind::Color => is_color(value),
                Kind::Length => is_length(value),
                Kind::FontFamily => is_font_family(value),
            }
    })
}

/// Sets the allowed properties of a theme on the root element through the CSSOM (allowed
/// under the strict `style-src`); returns the names it set.
pub fn apply_theme(vars: &BTreeMap<String, String>) -> Vec<String> {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return Vec::new();
    };
    let style = root.style();
    vars.iter()
        .filter(|(k, v)| allowed(k, v))
        .filter(|(k, v)| style.set_property(k, v.trim()).is_ok())
        .map(|(k, _)| k.clone())
        .collect()
}

/// Whether the app runs in a frame.
pub fn framed() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    match w.parent() {
        Ok(Some(p)) => !js_sys::Object::is(&p, &w),
        _ => false,
    }
}

/// Posts `message` to the parent, addressed to each allowed origin.
pub fn post(message: &serde_json::Value, origins: &[String]) {
    if !framed() {
        return;
    }
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let Ok(data) = js_sys::JSON::parse(&message.to_string()) else {
        return;
    };
    for origin in origins {
        let _ = parent.post_message(&data, origin);
    }
}

/// Calls `on_message` with every message that passes both checks, while the current
/// reactive owner lives.
pub fn listen(origins: Vec<String>, on_message: impl Fn(Incoming) + 'static) {
    if origins.is_empty() {
        return;
    }
    let handle = window_event_listener_untyped("message", move |e| {
        let Ok(e) = e.dyn_into::<web_sys::MessageEvent>() else {
            return;
        };
        if !origins.iter().any(|o| *o == e.origin()) {
            return;
        }
        let Some(w) = web_sys::window() else {
            return;
        };
        let from_parent = match (e.source(), w.parent()) {
            (Some(source), Ok(Some(parent))) => framed() && js_sys::Object::is(&source, &parent),
            _ => false,
        };
        if !from_parent {
            return;
        }
        let text = js_sys::JSON::stringify(&e.data())
            .ok()
            .and_then(|s| s.as_string());
        if let Some(m) = text.as_deref().and_then(Incoming::parse) {
            on_message(m);
        }
    });
    leptos::prelude::on_cleanup(move || handle.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_messages_are_understood() {
        assert_eq!(
            Incoming::parse(r#"{"type":"peering-console:token","token":"t","subscriptionId":"s"}"#),
            Some(Incoming::Token {
                token: "t".into(),
                subscription_id: Some("s".into())
            })
        );
        assert_eq!(
            Incoming::parse(r#"{"type":"peering-console:token","token":"t"}"#),
            Some(Incoming::Token {
                token: "t".into(),
                subscription_id: None
            })
        );
        for other in [
            r#"{"type":"peering-console:token","token":"  "}"#,
            r#"{"type":"peering-console:token"}"#,
            r#"{"type":"something-else","token":"t"}"#,
            r#""peering-console:token""#,
            "null",
        ] {
            assert_eq!(Incoming::parse(other), None, "{other}");
        }
    }

    #[test]
    fn a_theme_sets_themable_properties_to_values_of_their_kind() {
        for (k, v) in [
            ("--accent", "#0a7"),
            ("--accent", "#00aa77cc"),
            ("--accent", "rgb(0, 170, 119)"),
            ("--bg", "hsl(210deg 20% 98%)"),
            ("--text", "rebeccapurple"),
            ("--radius", "6px"),
            ("--font-size", "0.875rem"),
            ("--font", "\"Segoe UI\", Arial, sans-serif"),
        ] {
            assert!(allowed(k, v), "{k}: {v}");
        }
        for (k, v) in [
            ("--evil", "#0a7"),
            ("color", "red"),
            ("--accent", "url(https://x.example/a.png)"),
            ("--accent", "#0a7; background: red"),
            ("--accent", "#0a77a"),
            ("--accent", "expression(alert(1))"),
            ("--radius", "6"),
            ("--radius", "calc(1px + 1px)"),
            ("--font", "a; b"),
            ("--font", "x\\61"),
            ("--bg", "var(--accent)"),
        ] {
            assert!(!allowed(k, v), "{k}: {v}");
        }
    }

    #[test]
    fn every_themable_property_is_in_the_stylesheet_and_the_documentation() {
        let css = include_str!("../style/main.css");
        let doc = include_str!("../docs/embedding.md");
        for name in themable() {
            assert!(css.contains(&format!("{name}:")), "{name} not in main.css");
            assert!(
                doc.contains(&format!("`{name}`")),
                "{name} not in docs/embedding.md"
            );
        }
    }
}
