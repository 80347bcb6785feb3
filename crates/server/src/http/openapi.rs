//! The server's own OpenAPI 3.0 document (`GET /openapi.json`, no token needed), generated from
//! the route table in `routes.rs`, so it lists exactly the paths and methods the dispatcher
//! serves. The schemas describe what the server sends; a test validates real responses
//! against them.

use crate::error::ApiError;
use crate::routes::{RouteSpec, ROUTES};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use peering_model::targets;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// `GET /openapi.json`.
pub fn serve(method: &Method) -> Response {
    let spec = crate::routes::RouteKind::OpenApi.spec();
    if spec.op(method.as_str()).is_none() {
        return ApiError::method_not_allowed(method.as_str(), spec.allow()).into_response();
    }
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    let body = DOC.get_or_init(|| serde_json::to_vec_pretty(&document()).unwrap_or_default());
    let mut res = super::response::json_bytes_response(StatusCode::OK, body.clone(), None);
    res.extensions_mut()
        .insert(crate::routes::RouteKind::OpenApi);
    res
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let description = match name {
                n if n == targets::SUBSCRIPTION => "The subscription (a GUID).",
                n if n == targets::RESOURCE_GROUP => "The resource group: 1-90 of letters, digits, '_', '-', '.', '(', ')', not ending in '.'; case-insensitive.",
                _ => "The resource name: 1-63 of letters, digits, '_', '.', '-', not ending in '.'; case-insensitive, casing preserved.",
            };
            json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
        })
        .collect()
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation(route: &RouteSpec, op: &crate::routes::Op) -> Value {
    let mut parameters = path_parameters(route.path);
    if route.arm {
        parameters.push(json!({ "$ref": "#/components/parameters/ApiVersion" }));
    }
    for q in op.query {
        parameters.push(json!({ "name": q.name, "in": "query", "required": false, "description": q.description, "schema": { "type": q.kind } }));
    }
    let mut responses = Map::new();
    for (status, schema) in op.responses {
        let description = match status {
            200 => "OK",
            201 => "Created",
            204 => "No content: the resource did not exist",
            _ => "Success",
        };
        let mut r = json!({ "description": description });
        if let Some(schema) = schema {
            r["content"] = json!({ "application/json": { "schema": schema_ref(schema) } });
            if !schema.ends_with("ListResult")
                && route.arm
                && !matches!(
                    *schema,
                    "ServiceProviderAvailability"
                        | "IngestReport"
                        | "LatencySeries"
                        | "MonitorTestRunList"
                        | "AlertList"
                        | "WebhookDeliveryList"
                )
            {
                r["headers"] = json!({ "ETag": { "description": "A hash of the resource's representation.", "schema": { "type": "string" } } });
            }
        }
        responses.insert(status.to_string(), r);
    }
    if route.arm {
        responses.insert(
            "default".into(),
            json!({
                "description": "An error in the ARM shape; the header x-ms-error-code repeats error.code.",
                "headers": { "x-ms-error-code": { "schema": { "type": "string" } } },
                "content": { "application/json": { "schema": schema_ref("ErrorResponse") } }
            }),
        );
    }
    let mut o = json!({
        "operationId": op.operation_id,
        "summary": op.summary,
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(schema) = op.request {
        o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema_ref(schema) } } });
    }
    if !route.arm {
        o["security"] = json!([]);
    }
    o
}

/// The whole document.
pub fn document() -> Value {
    let mut all_schemas = schemas();
    for more in [
        super::openapi_telemetry::schemas(),
        super::openapi_activity::schemas(),
    ] {
        if let (Some(all), Value::Object(more)) = (all_schemas.as_object_mut(), more) {
            all.extend(more);
        }
    }
    let mut paths = Map::new();
    for route in &ROUTES {
        let mut item = Map::new();
        for op in route.ops {
            item.insert(op.method.to_ascii_lowercase(), operation(route, op));
        }
        paths.insert(route.path.to_owned(), Value::Object(item));
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Peering Console API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("An ARM-compatible subset of Microsoft.Peering (Peering Service connections, prefixes, connection monitor tests and the catalog). api-versions {}; {} adds systemData and error details. Every write honours If-Match and If-None-Match; every resource response carries an ETag, and a GET with a matching If-None-Match answers 304.", peering_model::ApiVersion::spellings().join(", "), peering_model::ApiVersion::V2025_05_01),
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "A token from the server's tokens file; it grants subscriptions and a role (reader, contributor, or collector: telemetry ingestion only)." } },
            "parameters": {
                "ApiVersion": { "name": targets::API_VERSION, "in": "query", "required": true, "schema": { "type": "string", "enum": peering_model::ApiVersion::spellings() } }
            },
            "schemas": all_schemas,
        }
    })
}

fn list_of(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": { "type": "array", "items": schema_ref(item) },
            "nextLink": { "type": "string", "description": "Absolute URL of the next page, based on the server's --public-url when it has one (else the address the client connected to); absent on the last page." }
        }
    })
}

fn resource(kind: &str, properties: Value, extra: Value) -> Value {
    let mut props = json!({
        "id": { "type": "string", "readOnly": true },
        "name": { "type": "string", "readOnly": true },
        "type": { "type": "string", "readOnly": true, "enum": [kind] },
        "systemData": schema_ref("SystemData"),
    });
    if !properties.is_null() {
        props["properties"] = properties;
    }
    if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            p.insert(k.clone(), v.clone());
        }
    }
    json!({ "type": "object", "properties": props })
}

fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let provisioning = json!({ "type": "string", "readOnly": true, "enum": ["Succeeded", "Updating", "Deleting", "Failed", "Canceled"] });
    json!({
        "SystemData": {
            "type": "object",
            "readOnly": true,
            "description": "Sent with api-version 2025-05-01 only.",
            "properties": {
                "createdBy": string, "createdByType": { "type": "string", "enum": ["User", "Application", "ManagedIdentity", "Key"] },
                "createdAt": { "type": "string", "format": "date-time" },
                "lastModifiedBy": string, "lastModifiedByType": { "type": "string", "enum": ["User", "Application", "ManagedIdentity", "Key"] },
                "lastModifiedAt": { "type": "string", "format": "date-time" }
            }
        },
        "PeeringService": resource(
            "Microsoft.Peering/peeringServices",
            json!({
                "type": "object",
                "properties": {
                    (targets::AVAILABILITY_LOCATION): { "type": "string", "description": "Customer location (state/province) from peeringServiceLocations." },
                    (targets::AVAILABILITY_PROVIDER): { "type": "string", "description": "A provider from peeringServiceProviders." },
                    "providerPrimaryPeeringLocation": { "type": "string", "description": "One of the provider's peering locations." },
                    "providerBackupPeeringLocation": { "type": "string", "description": "Another of the provider's peering locations; absent or 'None' for no backup." },
                    "provisioningState": provisioning
                }
            }),
            json!({
                "location": { "type": "string", "description": "Azure region; defaults to the customer location's region." },
                "tags": { "type": "object", "additionalProperties": { "type": "string" } },
                "sku": { "type": "object", "properties": { "name": string } }
            }),
        ),
        "PeeringServiceListResult": list_of("PeeringService"),
        "PrefixSummaryListResult": list_of("PrefixSummary"),
        "PrefixSummary": {
            "type": "object",
            "required": ["id", "prefixCount", "validationStates"],
            "properties": {
                "id": { "type": "string", "description": "The connection's resource id." },
                "prefixCount": { "type": "integer" },
                "validationStates": {
                    "type": "object",
                    "description": "Prefixes per prefixValidationState; states with none are left out.",
                    "additionalProperties": { "type": "integer" }
                },
                "latencyP50Ms": { "type": "number", "description": "The median round trip of all its prefixes' latency samples over the last day; absent without samples." },
                "latestEvent": { "$ref": "#/components/schemas/PeeringServicePrefixEvent" },
                "latestEventPrefix": { "type": "string", "description": "The name of the prefix latestEvent belongs to." },
                "prefixes": {
                    "type": "array",
                    "description": "The connection's prefixes, by name.",
                    "items": {
                        "type": "object",
                        "required": ["name", "prefix", "prefixValidationState"],
                        "properties": {
                            "name": { "type": "string" },
                            "prefix": { "type": "string" },
                            "peeringServicePrefixKey": { "type": "string" },
                            "prefixValidationState": { "type": "string" }
                        }
                    }
                }
            }
        },
        "ResourceTags": { "type": "object", "properties": { "tags": { "type": "object", "additionalProperties": { "type": "string" } } } },
        "PeeringServicePrefixEvent": {
            "type": "object",
            "readOnly": true,
            "properties": {
                "eventTimestamp": { "type": "string", "format": "date-time" },
                "eventType": string, "eventSummary": string, "eventLevel": string, "eventDescription": string
            }
        },
        "PeeringServicePrefix": resource(
            "Microsoft.Peering/peeringServices/prefixes",
            json!({
                "type": "object",
                "properties": {
                    "prefix": { "type": "string", "description": "A public IPv4 prefix in canonical CIDR form; it cannot change once created and must not overlap another prefix of the subscription." },
                    "peeringServicePrefixKey": { "type": "string", "description": "The key (a GUID) the provider gave for this prefix." },
                    "prefixValidationState": { "type": "string", "readOnly": true, "enum": ["None", "Invalid", "Verified", "Failed", "Pending", "Warning", "Unknown"] },
                    "learnedType": { "type": "string", "readOnly": true, "enum": ["None", "ViaServiceProvider", "ViaSession"] },
                    "errorMessage": { "type": "string", "readOnly": true },
                    "events": { "type": "array", "readOnly": true, "description": "Only with $expand=events.", "items": schema_ref("PeeringServicePrefixEvent") },
                    "provisioningState": provisioning
                }
            }),
            Value::Null,
        ),
        "PeeringServicePrefixListResult": list_of("PeeringServicePrefix"),
        "ConnectionMonitorTest": resource(
            "Microsoft.Peering/peeringServices/connectionMonitorTests",
            json!({
                "type": "object",
                "properties": {
                    "sourceAgent": { "type": "string" },
                    "destination": { "type": "string", "description": "An IP address or a host name." },
                    "destinationPort": { "type": "integer", "minimum": 1, "maximum": 65535 },
                    "testFrequencyInSec": { "type": "integer", "minimum": 30, "maximum": 86400 },
                    "isTestSuccessful": { "type": "boolean", "readOnly": true, "description": "The newest reported result; absent until a collector reports one." },
                    "path": { "type": "array", "readOnly": true, "items": string, "description": "The hops of the newest reported result; absent until there is one." },
                    "provisioningState": provisioning
                }
            }),
            Value::Null,
        ),
        "ConnectionMonitorTestListResult": list_of("ConnectionMonitorTest"),
        "PeeringServiceCountry": resource("Microsoft.Peering/peeringServiceCountries", Value::Null, Value::Null),
        "PeeringServiceCountryListResult": list_of("PeeringServiceCountry"),
        "PeeringServiceLocation": resource(
            "Microsoft.Peering/peeringServiceLocations",
            json!({ "type": "object", "properties": { "country": string, "state": string, "azureRegion": string } }),
            Value::Null,
        ),
        "PeeringServiceLocationListResult": list_of("PeeringServiceLocation"),
        "PeeringServiceProvider": resource(
            "Microsoft.Peering/peeringServiceProviders",
            json!({ "type": "object", "properties": { "serviceProviderName": string, "peeringLocations": { "type": "array", "items": string } } }),
            Value::Null,
        ),
        "PeeringServiceProviderListResult": list_of("PeeringServiceProvider"),
        "CheckServiceProviderAvailabilityInput": {
            "type": "object",
            "properties": { (targets::AVAILABILITY_LOCATION): string, (targets::AVAILABILITY_PROVIDER): string }
        },
        "ServiceProviderAvailability": { "type": "string", "enum": ["Available", "Unavailable"], "description": "A bare JSON string." },
        "Operation": {
            "type": "object",
            "properties": {
                "name": string,
                "display": { "type": "object", "properties": { "provider": string, "resource": string, "operation": string, "description": string } },
                "isDataAction": { "type": "boolean" }
            }
        },
        "OperationListResult": list_of("Operation"),
        "ErrorDetail": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": string,
                "message": string,
                "target": { "type": "string", "description": "The field at fault, such as properties.prefix." },
                "details": { "type": "array", "description": "Every finding (api-version 2025-05-01 only).", "items": schema_ref("ErrorDetail") }
            }
        },
        "ErrorResponse": { "type": "object", "required": ["error"], "properties": { "error": schema_ref("ErrorDetail") } },
        "OpenApiDocument": { "type": "object", "required": ["openapi", "paths"], "description": "This document." }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_referenced_is_defined() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(
                schemas.contains_key(&name),
                "{name} is referenced but not defined"
            );
        }
    }
}
