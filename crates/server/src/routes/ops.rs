//! The parts the route table is built of: query parameter sets, path templates, and one
//! constructor per kind of operation (so each entry of the table states only what differs).

use super::{Access, Op, QueryParam};
use peering_model::targets;

pub(super) const PAGING: [QueryParam; 2] = [
    QueryParam {
        name: targets::TOP,
        description: "Page size, 1-1000 (default 100).",
        kind: "integer",
    },
    QueryParam {
        name: targets::SKIP_TOKEN,
        description: "Continuation token from a nextLink.",
        kind: "string",
    },
];
pub(super) const PAGED: &[QueryParam] = &PAGING;
pub(super) const PAGED_EXPAND: &[QueryParam] = &[
    PAGING[0],
    PAGING[1],
    QueryParam {
        name: targets::EXPAND,
        description: "`events` adds each prefix's events.",
        kind: "string",
    },
];
pub(super) const EXPAND: &[QueryParam] = &[QueryParam {
    name: targets::EXPAND,
    description: "`events` adds the prefix's events.",
    kind: "string",
}];
pub(super) const LATENCY: &[QueryParam] = &[
    QueryParam {
        name: peering_model::telemetry::fields::PREFIX,
        description: "The prefix (IPv4 CIDR).",
        kind: "string",
    },
    QueryParam {
        name: peering_model::telemetry::fields::WINDOW,
        description: "6h, 12h, 1d (default), 7d or 30d.",
        kind: "string",
    },
];
pub(super) const MONITOR_RESULTS: &[QueryParam] = &[
    QueryParam {
        name: peering_model::telemetry::fields::RESOURCE_GROUP,
        description: "The connection's resource group.",
        kind: "string",
    },
    QueryParam {
        name: peering_model::telemetry::fields::PEERING_SERVICE,
        description: "The connection's name.",
        kind: "string",
    },
    QueryParam {
        name: peering_model::telemetry::fields::TEST,
        description: "The connection monitor test's name.",
        kind: "string",
    },
    PAGING[0],
];
pub(super) const ALERTS: &[QueryParam] = &[
    QueryParam {
        name: peering_model::telemetry::fields::RESOURCE_GROUP,
        description: "Only this connection's: its resource group (with peeringService).",
        kind: "string",
    },
    QueryParam {
        name: peering_model::telemetry::fields::PEERING_SERVICE,
        description: "Only this connection's: its name (with resourceGroup).",
        kind: "string",
    },
    QueryParam {
        name: peering_model::telemetry::fields::STATE,
        description: "open: only the open alerts.",
        kind: "string",
    },
    PAGING[0],
];
pub(super) const PAGED_TOP: &[QueryParam] = &[PAGING[0]];
pub(super) const ACTIVITY: &[QueryParam] = {
    use peering_model::activity::query as q;
    const fn p(name: &'static str, description: &'static str) -> QueryParam {
        QueryParam {
            name,
            description,
            kind: "string",
        }
    }
    &[
        p(
            q::FROM,
            "The oldest moment, RFC 3339 (default: the start of retention).",
        ),
        p(q::TO, "The newest moment, RFC 3339 (default: now)."),
        p(q::CALLER, "Who: the caller as recorded."),
        p(q::RESOURCE_GROUP, "The resource group (any case)."),
        p(
            q::OPERATION,
            "An operation, e.g. Microsoft.Peering/peeringServices/delete.",
        ),
        p(q::STATUS, "Succeeded or Failed."),
        p(
            q::RESOURCE,
            "A resource id: its records and those of the resources under it.",
        ),
        PAGING[0],
        PAGING[1],
    ]
};
pub(super) const INSIGHTS: &[QueryParam] = &[
    QueryParam {
        name: "$filter",
        description: "eventTimestamp ge '…' [and eventTimestamp le '…'] [and one of resourceGroupName, resourceUri, resourceProvider, correlationId, caller eq '…'].",
        kind: "string",
    },
    QueryParam {
        name: "$select",
        description: "Comma-separated EventData properties to return.",
        kind: "string",
    },
    PAGING[1],
];
pub(super) const COUNTRY: &[QueryParam] = &[
    PAGING[0],
    PAGING[1],
    QueryParam {
        name: "country",
        description: "Only the locations of this country (case-insensitive).",
        kind: "string",
    },
];

pub(super) const fn get(
    operation_id: &'static str,
    summary: &'static str,
    query: &'static [QueryParam],
    responses: &'static [(u16, Option<&'static str>)],
) -> Op {
    Op {
        method: "GET",
        operation_id,
        summary,
        query,
        request: None,
        responses,
        access: Access::Read,
    }
}

pub(super) const fn put(
    operation_id: &'static str,
    summary: &'static str,
    schema: &'static str,
    responses: &'static [(u16, Option<&'static str>)],
) -> Op {
    Op {
        method: "PUT",
        operation_id,
        summary,
        query: &[],
        request: Some(schema),
        responses,
        access: Access::Write,
    }
}

pub(super) const fn delete(operation_id: &'static str, summary: &'static str) -> Op {
    Op {
        method: "DELETE",
        operation_id,
        summary,
        query: &[],
        request: None,
        responses: &[(200, None), (204, None)],
        access: Access::Write,
    }
}

pub(super) const fn ingest(
    operation_id: &'static str,
    summary: &'static str,
    schema: &'static str,
) -> Op {
    Op {
        method: "POST",
        operation_id,
        summary,
        query: &[],
        request: Some(schema),
        responses: &[(200, Some("IngestReport"))],
        access: Access::Ingest,
    }
}
