//! What a form shows next to its fields: a field's finding once the user has edited it or tried
//! to submit, and the server's answer at the field it targets.

use crate::api::ApiError;
use leptos::prelude::*;
use peering_model::{Code, Finding, Findings};

#[derive(Clone, Copy)]
pub struct Feedback {
    findings: Memo<Findings>,
    /// Fields the user has changed; the others speak only after a submit attempt.
    touched: RwSignal<Vec<&'static str>>,
    attempted: RwSignal<bool>,
    /// The server's last refusal, shown at its `target`.
    pub server_error: RwSignal<Option<ApiError>>,
}

impl Feedback {
    pub fn new(findings: Memo<Findings>) -> Feedback {
        Feedback {
            findings,
            touched: RwSignal::new(Vec::new()),
            attempted: RwSignal::new(false),
            server_error: RwSignal::new(None),
        }
    }

    /// What to show at `target` now.
    pub fn finding_for(self, target: &'static str) -> Signal<Option<Finding>> {
        Signal::derive(move || {
            if let Some(e) = self
                .server_error
                .get()
                .filter(|e| e.target.as_deref() == Some(target))
            {
                let code = serde_json::from_value(serde_json::Value::String(e.code.clone()))
                    .unwrap_or(Code::Required);
                return Some(Finding::error(target, code, e.message));
            }
            if !(self.attempted.get() || self.touched.with(|t| t.contains(&target))) {
                return None;
            }
            self.findings.with(|f| f.for_target(target).cloned())
        })
    }

    /// The `aria-invalid` value of the control at `target`.
    pub fn invalid(self, target: &'static str) -> String {
        self.finding_for(target)
            .get()
            .is_some_and(|f| f.is_error())
            .to_string()
    }

    /// The user changed `target`: its finding shows from now on, and the server's answer is stale.
    pub fn touch(self, target: &'static str) {
        self.touched.update(|t| {
            if !t.contains(&target) {
                t.push(target);
            }
        });
        self.server_error.set(None);
    }

    /// A submit was tried: every field shows its finding. True when nothing blocks it.
    pub fn attempt(self) -> bool {
        self.attempted.set(true);
        !self.findings.with(Findings::has_errors)
    }

    /// Back to a fresh form.
    pub fn reset(self) {
        self.touched.set(Vec::new());
        self.attempted.set(false);
        self.server_error.set(None);
    }

    /// Records a failed create: a 412 (the name is taken) is shown at `name_target` with
    /// `taken`; anything else as the server said it.
    pub fn refused(self, e: ApiError, name_target: &str, taken: String) {
        let e = if e.status == 412 {
            ApiError {
                target: Some(name_target.to_owned()),
                code: Code::InvalidName.as_str().to_owned(),
                message: taken,
                ..e
            }
        } else {
            e
        };
        self.server_error.set(Some(e));
    }

    /// A server error whose target is none of `fields`, for the form-wide error box.
    pub fn untargeted(self, fields: &[&str]) -> Option<ApiError> {
        self.server_error
            .get()
            .filter(|e| !e.target.as_deref().is_some_and(|t| fields.contains(&t)))
    }
}
