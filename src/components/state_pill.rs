//! The one status pill: a colour (class) and a word per state of a typed wire enum.

use leptos::prelude::*;
use peering_model::wire::{EventLevel, PrefixValidationState, ProvisioningState};

/// How a state reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Ok,
    Pending,
    Failed,
    Warning,
}

impl Tone {
    /// The pill's classes (see `style/main.css`).
    pub fn class(self) -> &'static str {
        match self {
            Tone::Neutral => "pill",
            Tone::Ok => "pill verified",
            Tone::Pending => "pill pending",
            Tone::Failed => "pill failed",
            Tone::Warning => "pill warning",
        }
    }
}

/// A state a pill can show.
pub trait PillState: Copy + Send + Sync + 'static {
    /// The word shown.
    fn label(self) -> &'static str;
    fn tone(self) -> Tone;
}

impl PillState for PrefixValidationState {
    fn label(self) -> &'static str {
        self.as_str()
    }

    fn tone(self) -> Tone {
        match self {
            PrefixValidationState::Verified => Tone::Ok,
            PrefixValidationState::Pending => Tone::Pending,
            PrefixValidationState::Failed | PrefixValidationState::Invalid => Tone::Failed,
            PrefixValidationState::Warning => Tone::Warning,
            PrefixValidationState::None | PrefixValidationState::Unknown => Tone::Neutral,
        }
    }
}

impl PillState for ProvisioningState {
    fn label(self) -> &'static str {
        self.as_str()
    }

    fn tone(self) -> Tone {
        match self {
            ProvisioningState::Succeeded => Tone::Ok,
            ProvisioningState::Updating | ProvisioningState::Deleting => Tone::Pending,
            ProvisioningState::Failed => Tone::Failed,
            ProvisioningState::Canceled => Tone::Warning,
        }
    }
}

/// The last result of a connection monitor test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestResult {
    Succeeded,
    Failed,
    NoResult,
}

impl TestResult {
    /// From `isTestSuccessful`: the server sends it only once a collector reported a result.
    pub fn of(successful: Option<bool>) -> TestResult {
        match successful {
            Some(true) => TestResult::Succeeded,
            Some(false) => TestResult::Failed,
            None => TestResult::NoResult,
        }
    }
}

impl PillState for TestResult {
    fn label(self) -> &'static str {
        match self {
            TestResult::Succeeded => "Succeeded",
            TestResult::Failed => "Failed",
            TestResult::NoResult => "No result yet",
        }
    }

    fn tone(self) -> Tone {
        match self {
            TestResult::Succeeded => Tone::Ok,
            TestResult::Failed => Tone::Failed,
            TestResult::NoResult => Tone::Neutral,
        }
    }
}

impl PillState for EventLevel {
    fn label(self) -> &'static str {
        self.as_str()
    }

    fn tone(self) -> Tone {
        match self {
            EventLevel::Information => Tone::Neutral,
            EventLevel::Warning => Tone::Warning,
            EventLevel::Error | EventLevel::Critical => Tone::Failed,
        }
    }
}

/// A status pill: colour and text of `state`.
#[component]
pub fn StatePill<S: PillState>(state: S) -> impl IntoView {
    view! { <span class=state.tone().class()>{state.label()}</span> }
}
