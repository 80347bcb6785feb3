"""The official Azure Monitor SDK (azure-mgmt-monitor) reads peering-server's activity log as
Azure's Activity Log: MonitorManagementClient.activity_logs.list with a time window, with a
resource-group filter and with $select, after writes made through azure-mgmt-peering."""

from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.peering import models as m

from conftest import (
    CONTRIBUTOR_NAME,
    READER,
    SUBSCRIPTION,
    AllowHttp,
    StaticCredential,
    make_client,
)


def monitor_client(server, token=READER):
    return MonitorManagementClient(
        StaticCredential(token),
        SUBSCRIPTION,
        base_url=server.url,
        per_call_policies=[AllowHttp()],
        retry_total=0,
    )


def connection():
    return m.PeeringService(
        location="West US 2",
        properties=m.PeeringServiceProperties(
            peering_service_location="washington",
            peering_service_provider="EQUINIX maps",
            provider_primary_peering_location="Seattle",
            provider_backup_peering_location="San Jose",
        ),
    )


def window(start, end):
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return f"eventTimestamp ge '{start.strftime(fmt)}' and eventTimestamp le '{end.strftime(fmt)}'"


def test_the_activity_log_lists_writes_in_a_window_and_by_resource_group(server):
    peering = make_client(server)
    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    peering.peering_services.create_or_update("rg-a", "c1", connection())
    peering.peering_services.create_or_update("rg-b", "c2", connection())
    peering.peering_services.update("rg-b", "c2", m.ResourceTags(tags={"env": "prod"}))
    peering.prefixes.create_or_update("rg-b", "c2", "p1", {"properties": {"prefix": "45.60.8.0/24"}})
    with pytest.raises(ResourceExistsError):
        # A prefix that overlaps another is refused, and the refusal is on the record.
        peering.prefixes.create_or_update("rg-b", "c2", "p2", {"properties": {"prefix": "45.60.8.0/25"}})
    peering.peering_services.delete("rg-a", "c1")
    end = datetime.now(timezone.utc) + timedelta(minutes=1)

    monitor = monitor_client(server)
    events = list(monitor.activity_logs.list(filter=window(start, end)))
    assert [e.operation_name.value for e in events] == [
        "Microsoft.Peering/peeringServices/delete",
        "Microsoft.Peering/peeringServices/prefixes/write",
        "Microsoft.Peering/peeringServices/prefixes/write",
        "Microsoft.Peering/peeringServices/write",
        "Microsoft.Peering/peeringServices/write",
        "Microsoft.Peering/peeringServices/write",
    ]
    assert [e.status.value for e in events] == [
        "Succeeded", "Failed", "Succeeded", "Succeeded", "Succeeded", "Succeeded",
    ]
    refused = events[1]
    assert refused.sub_status.value == "PrefixOverlaps"
    assert refused.properties["statusCode"] == "Conflict"
    assert refused.level == "Error"
    for e in events:
        assert e.caller == CONTRIBUTOR_NAME
        assert e.subscription_id == SUBSCRIPTION
        assert e.resource_provider_name.value == "Microsoft.Peering"
        assert start <= e.event_timestamp <= end
        assert e.http_request.client_ip_address.startswith("127.")
        # azure-core sends a client request id with every request; it is kept.
        assert e.http_request.client_request_id

    in_rg_b = list(monitor.activity_logs.list(filter=window(start, end) + " and resourceGroupName eq 'rg-b'"))
    assert [(e.resource_group_name, e.http_request.method) for e in in_rg_b] == [
        ("rg-b", "PUT"), ("rg-b", "PUT"), ("rg-b", "PATCH"), ("rg-b", "PUT"),
    ]
    assert in_rg_b[-1].resource_id.endswith("/resourceGroups/rg-b/providers/Microsoft.Peering/peeringServices/c2")

    # A window before the writes holds none of them.
    before = list(monitor.activity_logs.list(filter=window(start - timedelta(days=2), start - timedelta(days=1))))
    assert before == []

    selected = list(
        monitor.activity_logs.list(filter=window(start, end), select="eventTimestamp,operationName,caller")
    )
    assert len(selected) == 6
    assert selected[0].caller == CONTRIBUTOR_NAME and selected[0].status is None


def test_filters_azure_refuses_are_refused(server):
    monitor = monitor_client(server)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    with pytest.raises(HttpResponseError) as e:
        list(monitor.activity_logs.list(filter=window(start, start) + " and status eq 'Failed'"))
    assert e.value.status_code == 400
    assert "status" in e.value.message
