//! Connection monitor tests: what one asks for, and its checks.

use crate::finding::{Code, Finding, Findings};
use crate::targets::{DESTINATION, FREQUENCY, PORT, SOURCE_AGENT};

/// The longest source agent name accepted.
pub const MAX_SOURCE_AGENT: usize = 256;

/// What a connection monitor test asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitorTestDraft {
    pub source_agent: String,
    pub destination: String,
    /// `None`: not given (a [`Code::Required`] finding).
    pub destination_port: Option<i64>,
    /// `None`: not given (a [`Code::Required`] finding).
    pub test_frequency_in_sec: Option<i64>,
}

pub fn validate_monitor_test(d: &MonitorTestDraft) -> Findings {
    let mut f = Findings::default();
    let agent_len = d.source_agent.chars().count();
    if d.source_agent.trim().is_empty() {
        f.push(Finding::error(
            SOURCE_AGENT,
            Code::InvalidSourceAgent,
            "The source agent is required; pick one of the connection's connected agents.",
        ));
    } else if agent_len > MAX_SOURCE_AGENT {
        f.push(Finding::error(
            SOURCE_AGENT,
            Code::InvalidSourceAgent,
            format!("The source agent is {agent_len} characters long; the most allowed is {MAX_SOURCE_AGENT}."),
        ));
    }
    if d.destination.trim().is_empty() {
        f.push(Finding::error(
            DESTINATION,
            Code::Required,
            "The destination is required: an IP address or a host name (such as 1.1.1.1 or www.example.com).",
        ));
    } else if !is_ip_or_host(&d.destination) {
        f.push(Finding::error(
            DESTINATION,
            Code::InvalidDestination,
            format!(
            "'{}' is neither an IP address nor a host name (such as 1.1.1.1 or www.example.com).",
            d.destination.chars().take(64).collect::<String>()
        ),
        ));
    }
    match d.destination_port {
        None => f.push(Finding::error(
            PORT,
            Code::Required,
            "The destination port is required (1–65535).",
        )),
        Some(port) if !(1..=65535).contains(&port) => f.push(Finding::error(
            PORT,
            Code::InvalidPort,
            format!("Destination port {port} is out of range; use 1–65535."),
        )),
        Some(_) => {}
    }
    match d.test_frequency_in_sec {
        None => f.push(Finding::error(
            FREQUENCY,
            Code::Required,
            "The test frequency is required (30–86400 seconds).",
        )),
        Some(s) if !(30..=86400).contains(&s) => f.push(Finding::error(
            FREQUENCY,
            Code::InvalidFrequency,
            format!("Test frequency {s} s is out of range; use 30–86400 seconds."),
        )),
        Some(_) => {}
    }
    f
}

/// An IPv4/IPv6 address or an RFC 1123 host name.
pub fn is_ip_or_host(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let host = s.strip_suffix('.').unwrap_or(s);
    !host.is_empty()
        && host.len() <= 253
        && !host
            .split('.')
            .all(|l| l.bytes().all(|b| b.is_ascii_digit()))
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_tests() {
        let ok = MonitorTestDraft {
            source_agent: "agent".into(),
            destination: "1.1.1.1".into(),
            destination_port: Some(443),
            test_frequency_in_sec: Some(30),
        };
        assert!(validate_monitor_test(&ok).is_empty());
        let bad = MonitorTestDraft {
            source_agent: " ".into(),
            destination: "bad host!".into(),
            destination_port: Some(0),
            test_frequency_in_sec: Some(10),
        };
        let codes: Vec<Code> = validate_monitor_test(&bad).iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                Code::InvalidSourceAgent,
                Code::InvalidDestination,
                Code::InvalidPort,
                Code::InvalidFrequency
            ]
        );
        // Not given is "required", not "port 0 is out of range".
        let missing = MonitorTestDraft {
            destination_port: None,
            test_frequency_in_sec: None,
            ..ok.clone()
        };
        let f = validate_monitor_test(&missing);
        assert_eq!(f.0.len(), 2, "{f:?}");
        assert_eq!(
            (f.0[0].target.as_str(), f.0[0].code, f.0[0].message.as_str()),
            (
                PORT,
                Code::Required,
                "The destination port is required (1–65535)."
            )
        );
        assert_eq!(
            (f.0[1].target.as_str(), f.0[1].code, f.0[1].message.as_str()),
            (
                FREQUENCY,
                Code::Required,
                "The test frequency is required (30–86400 seconds)."
            )
        );
        assert!(is_ip_or_host("www.example.com"));
        assert!(!is_ip_or_host("1.2.3.256"));
    }
}
