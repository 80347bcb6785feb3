//! Alert rules of a connection, and when each one is active.
//!
//! A rule is a child resource of a connection (`peeringServices/{name}/alertRules/{rule}`)
//! whose properties name a kind and its parameters:
//!
//! * `LatencyP95` `{thresholdMs, forMinutes}`: the connection's p95 latency (all its prefixes'
//!   samples of each minute) above the threshold in each of the last `forMinutes` minutes;
//! * `EventLevel` `{level}`: some prefix's newest event is at or above the level (a withdrawal
//!   at `Warning` opens it, the announcement after it resolves it);
//! * `PrefixFailed`: some prefix of the connection is `Failed`;
//! * `MonitorFailures` `{consecutive}`: some monitor test's newest `consecutive` results all
//!   failed.
//!
//! The server evaluates every rule of a connection whenever its telemetry changes and opens or
//! resolves an alert record; the checks of a rule's fields are here, so the console's form says
//! the same as the server.

use crate::finding::{Code, Finding, Findings};
use crate::targets;
use crate::wire::{EventLevel, ProvisioningState, ProxyResource};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// What an alert rule watches.
    pub enum AlertKind {
        LatencyP95 = "LatencyP95",
        EventLevel = "EventLevel",
        PrefixFailed = "PrefixFailed",
        MonitorFailures = "MonitorFailures",
    }
}

impl AlertKind {
    /// What the console's selector says.
    pub const fn label(self) -> &'static str {
        match self {
            AlertKind::LatencyP95 => "p95 latency above a threshold",
            AlertKind::EventLevel => "a prefix event at or above a level",
            AlertKind::PrefixFailed => "a prefix turning Failed",
            AlertKind::MonitorFailures => "a monitor test failing in a row",
        }
    }
}

/// How late a minute's latency samples may arrive: a p95 run may end up to this many minutes
/// before the last whole minute, so an alert resolves when no samples came for that long.
pub const LATE_MINUTES: i64 = 2;

/// The limits of a rule's numbers.
pub const MAX_THRESHOLD_MS: f64 = 60_000.0;
/// A p95 rule looks at one-minute buckets, which are kept at least 6 hours (the finest
/// window, `Window::H6`, reads them and retention may not be shorter): a longer run could never
/// be seen, so it is refused rather than accepted and never firing.
pub const MAX_FOR_MINUTES: u32 = 360;
pub const MAX_CONSECUTIVE: u32 = 100;

/// The properties of an alert rule as sent; only the kind's own parameters are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRuleProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AlertKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<EventLevel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
}

/// `AlertRule` (child of a connection).
pub type AlertRule = ProxyResource<AlertRuleProperties>;

/// A checked rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    LatencyP95 { threshold_ms: f64, for_minutes: u32 },
    EventLevel { at_least: EventLevel },
    PrefixFailed,
    MonitorFailures { consecutive: u32 },
}

impl Condition {
    pub fn kind(self) -> AlertKind {
        match self {
            Condition::LatencyP95 { .. } => AlertKind::LatencyP95,
            Condition::EventLevel { .. } => AlertKind::EventLevel,
            Condition::PrefixFailed => AlertKind::PrefixFailed,
            Condition::MonitorFailures { .. } => AlertKind::MonitorFailures,
        }
    }

    /// The properties that stand for it (what is stored and sent back).
    pub fn properties(self) -> AlertRuleProperties {
        let mut p = AlertRuleProperties {
            kind: Some(self.kind()),
            ..Default::default()
        };
        match self {
            Condition::LatencyP95 {
                threshold_ms,
                for_minutes,
            } => {
                p.threshold_ms = Some(threshold_ms);
                p.for_minutes = Some(for_minutes);
            }
            Condition::EventLevel { at_least } => p.level = Some(at_least),
            Condition::PrefixFailed => {}
            Condition::MonitorFailures { consecutive } => p.consecutive = Some(consecutive),
        }
        p
    }

    /// What the rule says, as an alert's summary starts.
    pub fn describe(self) -> String {
        match self {
            Condition::LatencyP95 {
                threshold_ms,
                for_minutes,
            } => format!("p95 latency above {threshold_ms} ms for {for_minutes} min"),
            Condition::EventLevel { at_least } => format!("a prefix event at {at_least} or above"),
            Condition::PrefixFailed => "a prefix is Failed".to_owned(),
            Condition::MonitorFailures { consecutive } => {
                format!("a monitor test failed {consecutive} times in a row")
            }
        }
    }
}

fn error(target: &str, message: String) -> Finding {
    Finding::error(target, Code::InvalidAlertRule, message)
}

/// Checks a rule; the condition when it has no error.
pub fn validate_rule(p: &AlertRuleProperties) -> (Option<Condition>, Findings) {
    let mut findings = Findings::default();
    let Some(kind) = p.kind else {
        findings.push(Finding::error(
            targets::ALERT_KIND,
            Code::Required,
            format!(
                "The alert rule's kind is required: one of {}.",
                AlertKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
        return (None, findings);
    };
    let condition = match kind {
        AlertKind::LatencyP95 => {
            let threshold = p
                .threshold_ms
                .filter(|t| t.is_finite() && *t > 0.0 && *t <= MAX_THRESHOLD_MS);
            if threshold.is_none() {
                findings.push(error(
                    targets::ALERT_THRESHOLD,
                    format!("The threshold is a number of milliseconds above 0 and at most {MAX_THRESHOLD_MS}."),
                ));
            }
            let minutes = p.for_minutes.filter(|m| (1..=MAX_FOR_MINUTES).contains(m));
            if minutes.is_none() {
                findings.push(error(
                    targets::ALERT_FOR_MINUTES,
                    format!(
                        "For how long is a whole number of minutes from 1 to {MAX_FOR_MINUTES}."
                    ),
                ));
            }
            threshold
                .zip(minutes)
                .map(|(threshold_ms, for_minutes)| Condition::LatencyP95 {
                    threshold_ms,
                    for_minutes,
                })
        }
        AlertKind::EventLevel => match p.level {
            Some(at_least) => Some(Condition::EventLevel { at_least }),
            None => {
                findings.push(error(
                    targets::ALERT_LEVEL,
                    "The level is required: Information, Warning, Error or Critical.".to_owned(),
                ));
                None
            }
        },
        AlertKind::PrefixFailed => Some(Condition::PrefixFailed),
        AlertKind::MonitorFailures => {
            let n = p.consecutive.filter(|n| (1..=MAX_CONSECUTIVE).contains(n));
            if n.is_none() {
                findings.push(error(
                    targets::ALERT_CONSECUTIVE,
                    format!("The number of failures in a row is a whole number from 1 to {MAX_CONSECUTIVE}."),
                ));
            }
            n.map(|consecutive| Condition::MonitorFailures { consecutive })
        }
    };
    (condition, findings)
}

/// How serious a level is, lowest first.
pub fn rank(level: EventLevel) -> u8 {
    match level {
        EventLevel::Information => 0,
        EventLevel::Warning => 1,
        EventLevel::Error => 2,
        EventLevel::Critical => 3,
    }
}

/// What a connection's telemetry says now, for its rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Now {
    /// The connection's p95 latency per minute, newest first (minute start, ms); a minute
    /// without samples is absent.
    pub minute_p95: Vec<(i64, f64)>,
    /// The start of the current minute (Unix seconds).
    pub minute: i64,
    /// Each prefix's newest event level, with the prefix's name.
    pub newest_events: Vec<(String, EventLevel)>,
    /// The prefixes that are Failed.
    pub failed_prefixes: Vec<String>,
    /// Each monitor test's failures in a row, counted from its newest result.
    pub failures_in_a_row: Vec<(String, u32)>,
    /// The events the write being evaluated recorded (prefix, level), superseded or not.
    pub new_events: Vec<(String, EventLevel)>,
    /// Per monitor test that got results in the write, each run of failures that holds one
    /// of them (a run can end with a success of the same write): its length, and how many of
    /// its failures were stored before the write.
    pub new_failure_runs: Vec<(String, u32, u32)>,
}

/// Whether the rule is active now, and if so why (the alert's summary).
pub fn active(c: Condition, now: &Now) -> Option<String> {
    match c {
        Condition::LatencyP95 {
            threshold_ms,
            for_minutes,
        } => {
            // Each of the last `for_minutes` whole minutes has samples and is above: the
            // current minute is still filling, so the run ends with the one before it, or, as
            // a collector may send a minute's samples up to LATE_MINUTES after it ends, with
            // the newest of those that has samples (a batch a minute late does not resolve
            // the alert only for the next batch to open it again).
            let has = |m: i64| now.minute_p95.iter().any(|(s, _)| *s == m);
            let newest = now.minute - 60;
            let last = (0..=LATE_MINUTES)
                .map(|i| newest - 60 * i)
                .find(|m| has(*m))
                .unwrap_or(newest);
            let run: Vec<f64> = (0..i64::from(for_minutes))
                .map_while(|i| {
                    let start = last - 60 * i;
                    now.minute_p95
                        .iter()
                        .find(|(m, _)| *m == start)
                        .map(|(_, p95)| *p95)
                        .filter(|p95| *p95 > threshold_ms)
                })
                .collect();
            (run.len() == for_minutes as usize).then(|| {
                let worst = run.iter().copied().fold(0.0, f64::max);
                format!("{}: up to {worst:.1} ms", c.describe())
            })
        }
        Condition::EventLevel { at_least } => {
            let hits: Vec<String> = now
                .newest_events
                .iter()
                .filter(|(_, l)| rank(*l) >= rank(at_least))
                .map(|(p, l)| format!("{p} ({l})"))
                .collect();
            (!hits.is_empty()).then(|| format!("{}: {}", c.describe(), hits.join(", ")))
        }
        Condition::PrefixFailed => (!now.failed_prefixes.is_empty())
            .then(|| format!("{}: {}", c.describe(), now.failed_prefixes.join(", "))),
        Condition::MonitorFailures { consecutive } => {
            let hits: Vec<String> = now
                .failures_in_a_row
                .iter()
                .filter(|(_, n)| *n >= consecutive)
                .map(|(t, n)| format!("{t} ({n})"))
                .collect();
            (!hits.is_empty()).then(|| format!("{}: {}", c.describe(), hits.join(", ")))
        }
    }
}

/// Whether the rule held at some moment of the write being evaluated though [`active`] says
/// it does not now: a Warning event superseded by the re-announcement in the same batch, three
/// failures followed by a success. Such an alert opens and resolves at once, so nothing that
/// happened is missed because a collector sent it together with what followed. (The other
/// kinds have no such moment: a prefix's verdict is decided once per write, from everything it
/// stored, and a p95 belongs to a whole minute.)
pub fn held_during(c: Condition, now: &Now) -> Option<String> {
    let hits: Vec<String> = match c {
        Condition::EventLevel { at_least } => now
            .new_events
            .iter()
            .filter(|(_, l)| rank(*l) >= rank(at_least))
            .map(|(p, l)| format!("{p} ({l})"))
            .collect(),
        // A run that had reached the number before this write was seen then (a late failure
        // added to it is no new episode).
        Condition::MonitorFailures { consecutive } => now
            .new_failure_runs
            .iter()
            .filter(|(_, n, before)| *n >= consecutive && *before < consecutive)
            .map(|(t, n, _)| format!("{t} ({n})"))
            .collect(),
        Condition::LatencyP95 { .. } | Condition::PrefixFailed => Vec::new(),
    };
    let mut seen: Vec<String> = Vec::new();
    for h in hits {
        if !seen.contains(&h) {
            seen.push(h);
        }
    }
    (!seen.is_empty()).then(|| format!("{}: {}", c.describe(), seen.join(", ")))
}

/// The runs of failures (`false`) in `runs` (oldest first) that hold an index for which
/// `is_new` is true: each run's length and how many of its failures are not new. (Adding
/// failures never joins two runs: a success between them stays.)
pub fn new_failure_runs(runs: &[bool], is_new: impl Fn(usize) -> bool) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let (mut len, mut old, mut has_new) = (0u32, 0u32, false);
    for (i, ok) in runs.iter().chain(std::iter::once(&true)).enumerate() {
        if *ok {
            if has_new {
                out.push((len, old));
            }
            (len, old, has_new) = (0, 0, false);
            continue;
        }
        len += 1;
        if is_new(i) {
            has_new = true;
        } else {
            old += 1;
        }
    }
    out
}

/// An alert record (the `peeringServiceAlerts` extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// The connection's resource id.
    pub connection: String,
    pub rule: String,
    pub kind: AlertKind,
    pub opened_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    pub summary: String,
}

/// One webhook delivery of an alert's opening or resolution, with every attempt (the
/// `alertWebhookDeliveries` extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    pub id: i64,
    pub url: String,
    /// `alert.opened` or `alert.resolved`.
    pub event: String,
    pub rule: String,
    pub connection: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gave_up_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<WebhookAttempt>,
}

/// One attempt: when, the HTTP status if an answer came, and what went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kind: AlertKind) -> AlertRuleProperties {
        AlertRuleProperties {
            kind: Some(kind),
            ..Default::default()
        }
    }

    #[test]
    fn each_kind_needs_its_own_parameters() {
        let (c, f) = validate_rule(&AlertRuleProperties::default());
        assert!(c.is_none() && f.0[0].target == targets::ALERT_KIND);
        let (c, f) = validate_rule(&props(AlertKind::LatencyP95));
        assert!(c.is_none());
        let t: Vec<&str> = f.0.iter().map(|f| f.target.as_str()).collect();
        assert_eq!(t, [targets::ALERT_THRESHOLD, targets::ALERT_FOR_MINUTES]);
        let ok = AlertRuleProperties {
            threshold_ms: Some(80.0),
            for_minutes: Some(5),
            level: Some(EventLevel::Critical),
            ..props(AlertKind::LatencyP95)
        };
        let (c, f) = validate_rule(&ok);
        assert!(f.0.is_empty());
        assert_eq!(
            c.unwrap().properties().level,
            None,
            "only the kind's own parameters are kept"
        );
        assert_eq!(
            validate_rule(&props(AlertKind::PrefixFailed)).0,
            Some(Condition::PrefixFailed)
        );
        let (_, f) = validate_rule(&AlertRuleProperties {
            consecutive: Some(0),
            ..props(AlertKind::MonitorFailures)
        });
        assert_eq!(f.0[0].target, targets::ALERT_CONSECUTIVE);
    }

    #[test]
    fn rules_are_active_as_documented() {
        let minute = 10_000 * 60;
        let mut now = Now {
            minute,
            minute_p95: vec![
                (minute, 10.0),
                (minute - 60, 120.0),
                (minute - 120, 130.0),
                (minute - 180, 50.0),
            ],
            ..Default::default()
        };
        let lat = |n| Condition::LatencyP95 {
            threshold_ms: 100.0,
            for_minutes: n,
        };
        assert!(
            active(lat(2), &now).unwrap().contains("up to 130.0 ms"),
            "the filling minute is not counted"
        );
        assert!(active(lat(3), &now).is_none());
        // Samples a little late: the run still ends with the newest minute that has some,
        // until LATE_MINUTES have passed without any.
        let mut late = now.clone();
        late.minute_p95.retain(|(m, _)| *m <= minute - 60);
        late.minute = minute + 60 * LATE_MINUTES;
        assert!(active(lat(2), &late).is_some(), "samples may be late");
        late.minute += 60;
        assert!(active(lat(2), &late).is_none(), "none for too long");
        now.minute_p95.retain(|(m, _)| *m != minute - 120);
        assert!(
            active(lat(2), &now).is_none(),
            "a minute without samples breaks the run"
        );

        now.newest_events = vec![
            ("web".into(), EventLevel::Warning),
            ("mail".into(), EventLevel::Information),
        ];
        let ev = |l| Condition::EventLevel { at_least: l };
        assert_eq!(
            active(ev(EventLevel::Warning), &now).unwrap(),
            "a prefix event at Warning or above: web (Warning)"
        );
        assert!(active(ev(EventLevel::Error), &now).is_none());

        assert!(active(Condition::PrefixFailed, &now).is_none());
        now.failed_prefixes = vec!["web".into()];
        assert!(active(Condition::PrefixFailed, &now).is_some());

        now.failures_in_a_row = vec![("t".into(), 2)];
        assert!(active(Condition::MonitorFailures { consecutive: 3 }, &now).is_none());
        now.failures_in_a_row = vec![("t".into(), 3)];
        assert!(active(Condition::MonitorFailures { consecutive: 3 }, &now).is_some());
    }

    #[test]
    fn what_held_during_a_write_is_not_missed() {
        let now = Now {
            new_events: vec![
                ("web".into(), EventLevel::Warning),
                ("web".into(), EventLevel::Information),
                ("web".into(), EventLevel::Warning),
            ],
            new_failure_runs: vec![("t".into(), 3, 1)],
            ..Default::default()
        };
        let ev = |l| Condition::EventLevel { at_least: l };
        assert!(active(ev(EventLevel::Warning), &now).is_none());
        assert_eq!(
            held_during(ev(EventLevel::Warning), &now).unwrap(),
            "a prefix event at Warning or above: web (Warning)"
        );
        assert!(held_during(ev(EventLevel::Error), &now).is_none());
        assert!(held_during(Condition::MonitorFailures { consecutive: 3 }, &now).is_some());
        assert!(held_during(Condition::MonitorFailures { consecutive: 4 }, &now).is_none());
        let late = Now {
            new_failure_runs: vec![("t".into(), 4, 3)],
            ..Default::default()
        };
        assert!(
            held_during(Condition::MonitorFailures { consecutive: 3 }, &late).is_none(),
            "a late failure added to a run already reported"
        );
        assert!(held_during(Condition::PrefixFailed, &now).is_none());
    }

    #[test]
    fn a_failure_run_counts_only_with_a_new_result() {
        // ok, fail, fail | fail, fail, ok, fail (the last four are new)
        let runs = [true, false, false, false, false, true, false];
        assert_eq!(new_failure_runs(&runs, |i| i >= 3), [(4, 2), (1, 0)]);
        assert_eq!(new_failure_runs(&runs, |i| i >= 5), [(1, 0)]);
        assert_eq!(new_failure_runs(&runs, |i| i == 5), []);
        assert_eq!(new_failure_runs(&runs, |_| false), []);
    }
}
