//! The schemas of the telemetry extensions in `/openapi.json`: the ingestion batches, what an
//! ingestion answers, and a latency series.

use serde_json::{json, Value};

/// An ingestion body: `{"value": [item, ...]}`, at most `MAX_BATCH` items.
fn batch_of(item: Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["value"],
        "properties": { "value": { "type": "array", "maxItems": peering_model::telemetry::MAX_BATCH, "items": item } }
    })
}

pub(super) fn schemas() -> Value {
    let string = json!({ "type": "string" });
    json!({
        "RouteObservationBatch": batch_of(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["provider", "peeringLocation", "router", "address", "prefix", "originAsn", "announced", "timestamp"],
            "properties": {
                "provider": { "type": "string", "description": "A provider of the catalog." },
                "peeringLocation": { "type": "string", "description": "One of the provider's peering locations: where the session is." },
                "router": { "type": "string", "description": "The session's router (or session) id." },
                "address": { "type": "string", "description": "The session's IP address (named in a failure reason)." },
                "prefix": { "type": "string", "description": "An IPv4 prefix in canonical CIDR form." },
                "originAsn": { "type": "integer", "minimum": 0, "maximum": 4294967295u64 },
                "asPath": { "type": "array", "items": { "type": "integer" }, "description": "Ending with originAsn when announced." },
                "communities": { "type": "array", "items": string, "description": "As in 8075:8007." },
                "announced": { "type": "boolean", "description": "False: withdrawn." },
                "timestamp": { "type": "string", "format": "date-time" }
            }
        })),
        "ProviderPrefixKeyBatch": batch_of(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["provider", "prefix", "prefixKey"],
            "properties": {
                "provider": string,
                "prefix": string,
                "prefixKey": { "type": "string", "description": "A GUID; empty withdraws the registration." }
            }
        })),
        "MonitorTestResultBatch": batch_of(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["resourceGroup", "peeringService", "test", "timestamp", "success"],
            "properties": {
                "resourceGroup": string,
                "peeringService": { "type": "string", "description": "The connection's name." },
                "test": { "type": "string", "description": "The connection monitor test's name." },
                "timestamp": { "type": "string", "format": "date-time" },
                "success": { "type": "boolean" },
                "hops": { "type": "array", "items": string },
                "rttMs": { "type": "number", "minimum": 0 }
            }
        })),
        "LatencySampleBatch": batch_of(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["prefix", "timestamp", "rttMs", "source"],
            "properties": {
                "prefix": { "type": "string", "description": "The client's prefix; longer than /24 is kept under its /24." },
                "timestamp": { "type": "string", "format": "date-time" },
                "rttMs": { "type": "number", "minimum": 0, "maximum": peering_model::telemetry::MAX_RTT_MS },
                "source": { "type": "string", "description": "Who measured." }
            }
        })),
        "LatencySeries": {
            "type": "object",
            "required": ["prefix", "window", "bucketSeconds", "from", "to", "buckets"],
            "properties": {
                "prefix": string,
                "window": { "type": "string", "enum": ["6h", "12h", "1d", "7d", "30d"] },
                "bucketSeconds": { "type": "integer" },
                "from": { "type": "integer", "description": "Unix seconds." },
                "to": { "type": "integer", "description": "Unix seconds." },
                "buckets": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["start", "count", "min", "p50", "p95", "max"],
                        "properties": {
                            "start": { "type": "integer", "description": "Unix seconds." },
                            "count": { "type": "integer" },
                            "min": { "type": "number" }, "p50": { "type": "number" }, "p95": { "type": "number" }, "max": { "type": "number" }
                        }
                    }
                }
            }
        },
        "MonitorTestRunList": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["timestamp", "success", "hops"],
                        "properties": {
                            "timestamp": { "type": "string", "format": "date-time" },
                            "success": { "type": "boolean" },
                            "hops": { "type": "array", "items": string },
                            "rttMs": { "type": "number" }
                        }
                    }
                }
            }
        },
        "AlertRule": {
            "type": "object",
            "properties": {
                "id": { "type": "string", "readOnly": true },
                "name": { "type": "string", "readOnly": true },
                "type": { "type": "string", "readOnly": true, "enum": [peering_model::wire::ALERT_RULE_TYPE] },
                "properties": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {
                        "kind": { "type": "string", "enum": ["LatencyP95", "EventLevel", "PrefixFailed", "MonitorFailures"] },
                        "thresholdMs": { "type": "number", "description": "LatencyP95: above this p95 (ms)." },
                        "forMinutes": { "type": "integer", "minimum": 1, "maximum": peering_model::alerts::MAX_FOR_MINUTES, "description": "LatencyP95: in each of this many whole minutes (one-minute buckets are kept at least 6 hours)." },
                        "level": { "type": "string", "enum": ["Information", "Warning", "Error", "Critical"], "description": "EventLevel: a prefix's newest event at this level or above (an event superseded within one batch opens and resolves an alert at once)." },
                        "consecutive": { "type": "integer", "minimum": 1, "maximum": peering_model::alerts::MAX_CONSECUTIVE, "description": "MonitorFailures: this many failed results in a row." },
                        "provisioningState": { "type": "string", "readOnly": true }
                    }
                },
                "systemData": { "type": "object", "readOnly": true }
            }
        },
        "AlertRuleListResult": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": { "type": "array", "items": { "$ref": "#/components/schemas/AlertRule" } },
                "nextLink": { "type": "string" }
            }
        },
        "AlertList": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["connection", "rule", "kind", "openedAt", "summary"],
                        "properties": {
                            "connection": { "type": "string", "description": "The connection's resource id." },
                            "rule": string,
                            "kind": { "type": "string", "enum": ["LatencyP95", "EventLevel", "PrefixFailed", "MonitorFailures"] },
                            "openedAt": { "type": "string", "format": "date-time" },
                            "resolvedAt": { "type": "string", "format": "date-time", "description": "Absent while the alert is open." },
                            "summary": string
                        }
                    }
                }
            }
        },
        "WebhookDeliveryList": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "url", "event", "rule", "connection", "createdAt", "attempts"],
                        "properties": {
                            "id": { "type": "integer", "description": "Also sent as X-Peering-Delivery." },
                            "url": string,
                            "event": { "type": "string", "enum": ["alert.opened", "alert.resolved"] },
                            "rule": string,
                            "connection": string,
                            "createdAt": { "type": "string", "format": "date-time" },
                            "deliveredAt": { "type": "string", "format": "date-time" },
                            "gaveUpAt": { "type": "string", "format": "date-time" },
                            "nextAttemptAt": { "type": "string", "format": "date-time" },
                            "attempts": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["at"],
                                    "properties": {
                                        "at": { "type": "string", "format": "date-time" },
                                        "status": { "type": "integer" },
                                        "error": string
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
        "IngestReport": {
            "type": "object",
            "required": ["accepted", "stale", "reevaluated", "events"],
            "properties": {
                "accepted": { "type": "integer", "description": "Items stored." },
                "stale": { "type": "integer", "description": "Items no newer than what was stored, skipped." },
                "reevaluated": { "type": "integer", "description": "Prefixes whose validation was decided again." },
                "events": { "type": "integer", "description": "Prefix events recorded." }
            }
        }
    })
}
