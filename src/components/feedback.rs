//! What a form shows next to its fields: a field's finding once the user has edited it or tried
//! to submit, and the server's answer at the field it targets. Both forms (new connection,
//! monitor test) use these helpers for their inputs: [`Feedback::edit`],
//! [`Feedback::finding_for`], [`Feedback::invalid`].

use crate::api::{ApiError, ErrorKind};
use leptos::prelude::*;
use peering_model::{Code, Finding, Findings};

#[derive(Clone, Copy)]
pub struct Feedback {
    findings: Memo<Findings>,
    /// Fields the user has changed; the others speak only after a submit attempt.
    touched: RwSignal<Vec<&'static str>>,
    attempted: RwSignal<bool>,
    /// The wizard steps "Next" was tried on (by their fields).
    steps_tried: RwSignal<Vec<&'static [&'static str]>>,
    /// The server's last refusal, shown at its `target`.
    pub server_error: RwSignal<Option<ApiError>>,
}

/// The server's refusal as a finding at its field: only when it has a target and its code is
/// one the model knows (parsed with `Code::from_str`); anything else goes to the form-wide box.
fn server_finding(e: &ApiError) -> Option<Finding> {
    let target = e.target.as_deref()?;
    let code = e.code.parse::<Code>().ok()?;
    Some(Finding::error(target, code, e.message.clone()))
}

impl Feedback {
    pub fn new(findings: Memo<Findings>) -> Feedback {
        Feedback {
            findings,
            touched: RwSignal::new(Vec::new()),
            attempted: RwSignal::new(false),
            steps_tried: RwSignal::new(Vec::new()),
            server_error: RwSignal::new(None),
        }
    }

    /// What to show at `target` now.
    pub fn finding_for(self, target: &'static str) -> Signal<Option<Finding>> {
        Signal::derive(move || {
            let server = self.server_error.with(|e| {
                e.as_ref()
                    .and_then(server_finding)
                    .filter(|f| f.target == target)
            });
            if server.is_some() {
                return server;
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

    /// An `input`/`change` handler for the control at `target`: applies its value to the form
    /// and marks the field touched.
    pub fn edit<F: Send + Sync + 'static>(
        self,
        form: RwSignal<F>,
        target: &'static str,
        apply: impl Fn(&mut F, String) + 'static,
    ) -> impl Fn(leptos::ev::Event) + 'static {
        move |ev| {
            let v = event_target_value(&ev);
            form.update(|f| apply(f, v));
            self.touch(target);
        }
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

    /// "Next" on a step of a wizard: the fields of `targets` show their findings. True when
    /// none of them has an error.
    pub fn attempt_step(self, targets: &'static [&'static str]) -> bool {
        for t in targets {
            self.touch(t);
        }
        self.steps_tried.update(|s| s.push(targets));
        !self
            .findings
            .with(|f| f.errors().any(|e| targets.contains(&e.target.as_str())))
    }

    /// Whether "Next" was tried on the step holding `step`'s fields (or a submit on the whole).
    pub fn attempted_step(self, step: crate::pages::new_connection::Step) -> bool {
        self.attempted.get() || self.steps_tried.with(|s| s.contains(&step.targets()))
    }

    /// Back to a fresh form.
    pub fn reset(self) {
        self.touched.set(Vec::new());
        self.attempted.set(false);
        self.server_error.set(None);
    }

    /// Records a failed create: a 412 (the name is taken) is shown at `name_target` with
    /// `taken` (from `peering_model::messages::name_taken`); an abort is not an answer and
    /// shows nothing; anything else as the server said it.
    pub fn refused(self, e: ApiError, name_target: &str, taken: String) {
        let e = match e.kind {
            ErrorKind::Aborted => return,
            ErrorKind::PreconditionFailed => ApiError {
                target: Some(name_target.to_owned()),
                code: Code::InvalidName.as_str().to_owned(),
                message: taken,
                ..e
            },
            _ => e,
        };
        self.server_error.try_set(Some(e));
    }

    /// A server error not shown at any of `fields`, for the form-wide error box.
    pub fn untargeted(self, fields: &[&str]) -> Option<ApiError> {
        self.server_error
            .get()
            .filter(|e| !server_finding(e).is_some_and(|f| fields.contains(&f.target.as_str())))
    }
}
