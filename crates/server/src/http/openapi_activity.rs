//! The schemas of the activity log in `/openapi.json`: the console's records and Azure's
//! `EventData` collection.

use peering_model::activity::{ChangeType, Operation, Outcome, PropertyChangeType};
use peering_model::targets;
use serde_json::{json, Value};

pub(super) fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let names = |all: &[&str]| json!({ "type": "string", "enum": all });
    let ops: Vec<&str> = Operation::ALL.iter().map(|o| o.as_str()).collect();
    let outcomes: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    let changes: Vec<&str> = ChangeType::ALL.iter().map(|o| o.as_str()).collect();
    let kinds: Vec<&str> = PropertyChangeType::ALL.iter().map(|o| o.as_str()).collect();
    let localizable = json!({
        "type": "object",
        "properties": { "value": string, "localizedValue": string }
    });
    json!({
        "ActivityRecord": {
            "type": "object",
            "required": ["eventDataId", "eventTimestamp", "caller", "callerType", "operationName", "status", "httpStatus", "resourceId", "correlationId", "requestId"],
            "properties": {
                "eventDataId": string,
                "eventTimestamp": time,
                "caller": string,
                "callerType": names(&["User", "Application", "ManagedIdentity", "Key"]),
                "operationName": names(&ops),
                "status": names(&outcomes),
                "subStatus": { "type": "string", "description": "A refused write's error code." },
                "message": { "type": "string", "description": "A refused write's error message." },
                "httpStatus": { "type": "integer" },
                "resourceId": string,
                (targets::RESOURCE_GROUP): string,
                "correlationId": string,
                "requestId": string,
                "clientRequestId": string,
                "clientIpAddress": string,
                "changeType": names(&changes),
                "propertyChanges": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["propertyName", "propertyChangeType"],
                        "properties": {
                            "propertyName": string,
                            "beforeValue": {},
                            "afterValue": {},
                            "propertyChangeType": names(&kinds)
                        }
                    }
                },
                "beforeSnapshot": { "type": "object", "description": "One record only; a deleted connection's holds its prefixes, connectionMonitorTests and alertRules under children." },
                "afterSnapshot": { "type": "object", "description": "One record only." }
            }
        },
        "ActivityPage": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": { "type": "array", "items": { "$ref": "#/components/schemas/ActivityRecord" } },
                "nextLink": string
            }
        },
        "EventDataCollection": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "description": "Azure's EventData.",
                        "properties": {
                            "authorization": { "type": "object", "properties": { "action": string, "scope": string } },
                            "caller": string,
                            "channels": string,
                            "claims": { "type": "object" },
                            "correlationId": string,
                            "description": string,
                            "eventDataId": string,
                            "eventName": localizable,
                            "category": localizable,
                            "httpRequest": { "type": "object", "properties": { "clientRequestId": string, "clientIpAddress": string, "method": string, "uri": string } },
                            "id": string,
                            "level": names(&["Informational", "Error"]),
                            (targets::RESOURCE_GROUP): string,
                            "resourceProviderName": localizable,
                            "resourceId": string,
                            "resourceType": localizable,
                            "operationId": string,
                            "operationName": localizable,
                            "properties": { "type": "object", "additionalProperties": string },
                            "status": localizable,
                            "subStatus": localizable,
                            "eventTimestamp": time,
                            "submissionTimestamp": time,
                            (targets::SUBSCRIPTION): string,
                            "tenantId": string
                        }
                    }
                },
                "nextLink": string
            }
        }
    })
}
