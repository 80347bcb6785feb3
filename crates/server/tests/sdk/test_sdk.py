"""The official Python SDK (azure-mgmt-peering) drives every operation of peering-server.

Every test runs twice (see conftest.py): with the SDK's default api-version (2025-05-01 in
azure-mgmt-peering 2.0.0) and with api_version="2022-10-01".
"""

import json
import urllib.request
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.mgmt.peering import models as m

from conftest import COLLECTOR, CONTRIBUTOR, OTHER_SUBSCRIPTION, READER, SUBSCRIPTION, make_client

RG = "sdk-rg"


def connection(**overrides):
    props = dict(
        peering_service_location="washington",
        peering_service_provider="EQUINIX maps",
        provider_primary_peering_location="Seattle",
        provider_backup_peering_location="San Jose",
    )
    props.update(overrides)
    return m.PeeringService(location="West US 2", properties=m.PeeringServiceProperties(**props))


def sent_api_versions(client):
    return {parse_qs(urlparse(url).query)["api-version"][0] for _, url in client.recorder.requests}


def expected_version(api_version):
    return api_version or "2025-05-01"


def test_requests_carry_the_chosen_api_version(client, api_version):
    list(client.peering_service_countries.list())
    assert sent_api_versions(client) == {expected_version(api_version)}


def test_catalog_operations(client):
    countries = [c.name for c in client.peering_service_countries.list()]
    assert "United States" in countries
    assert all(c.type == "Microsoft.Peering/peeringServiceCountries" for c in client.peering_service_countries.list())

    us = list(client.peering_service_locations.list(country="united states"))
    assert len(us) == 50
    washington = next(loc for loc in us if loc.properties.state == "Washington")
    assert washington.properties.country == "United States"
    assert washington.properties.azure_region == "West US 2"
    every_location = list(client.peering_service_locations.list())
    assert len(every_location) > 100, "more than one page, followed through nextLink"

    providers = {p.name: p for p in client.peering_service_providers.list()}
    assert "seattle" in providers["equinix MAPS"].properties.peering_locations
    assert providers["equinix MAPS"].properties.service_provider_name == "equinix MAPS"

    available = client.check_service_provider_availability(
        m.CheckServiceProviderAvailabilityInput(peering_service_location="Osaka", peering_service_provider="IIJ")
    )
    assert available == "Available"
    far = client.check_service_provider_availability(
        {"peeringServiceLocation": "Washington", "peeringServiceProvider": "IIJ"}
    )
    assert far == "Unavailable"

    operations = {o.name for o in client.operations.list()}
    assert "Microsoft.Peering/peeringServices/write" in operations
    assert "Microsoft.Peering/peeringServices/prefixes/read" in operations


def test_connection_lifecycle(client, api_version):
    created = client.peering_services.create_or_update(RG, "Seattle-Office", connection())
    assert created.name == "Seattle-Office"
    assert created.type == "Microsoft.Peering/peeringServices"
    assert created.id == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Peering/peeringServices/Seattle-Office"
    assert created.location == "West US 2"
    # The catalog spelling is stored.
    assert created.properties.peering_service_location == "Washington"
    assert created.properties.peering_service_provider == "equinix MAPS"
    assert created.properties.provider_primary_peering_location == "seattle"
    assert created.properties.provider_backup_peering_location == "san Jose"
    assert created.properties.provisioning_state == "Succeeded"
    if api_version is None:
        assert created.system_data.created_by_type == "Application"
        assert created.system_data.created_at is not None
    else:
        assert created.system_data is None

    replaced = client.peering_services.create_or_update(
        RG.upper(),
        "seattle-office",
        m.PeeringService(
            location="West US 2",
            tags={"env": "test"},
            sku=m.PeeringServiceSku(name="Standard_Free"),
            properties=m.PeeringServiceProperties(
                peering_service_location="Washington",
                peering_service_provider="equinix MAPS",
                provider_primary_peering_location="seattle",
                provider_backup_peering_location="san Jose",
            ),
        ),
    )
    assert replaced.name == "Seattle-Office", "the first casing is kept"
    assert replaced.tags == {"env": "test"}
    assert replaced.sku.name == "Standard_Free"
    assert replaced.properties.provider_backup_peering_location == "san Jose"

    got = client.peering_services.get(RG, "Seattle-Office")
    assert got.as_dict() == replaced.as_dict()

    # The region and the peering locations are fixed once the connection exists.
    with pytest.raises(HttpResponseError) as moved:
        client.peering_services.create_or_update(RG, "Seattle-Office", m.PeeringService(location="East US", properties=connection().properties))
    assert moved.value.status_code == 400
    assert moved.value.error.code == "InvalidResourceLocation"
    assert moved.value.error.target == "location"
    with pytest.raises(ResourceExistsError) as no_backup:
        client.peering_services.create_or_update(RG, "Seattle-Office", connection(provider_backup_peering_location=None))
    assert no_backup.value.status_code == 409
    assert no_backup.value.error.code == "PeeringLocationImmutable"
    assert "peeringservice@microsoft.com" in no_backup.value.error.message
    assert client.peering_services.get(RG, "Seattle-Office").as_dict() == replaced.as_dict()

    patched = client.peering_services.update(RG, "Seattle-Office", m.ResourceTags(tags={"team": "net"}))
    assert patched.tags == {"team": "net"}
    assert patched.properties.peering_service_provider == "equinix MAPS"
    # A PATCH without tags changes nothing.
    unchanged = client.peering_services.update(RG, "Seattle-Office", m.ResourceTags())
    assert unchanged.as_dict() == patched.as_dict()

    client.peering_services.create_or_update("other-rg", "Boston", connection())
    in_group = [s.name for s in client.peering_services.list_by_resource_group(RG)]
    assert in_group == ["Seattle-Office"]
    everywhere = sorted(s.name for s in client.peering_services.list_by_subscription())
    assert everywhere == ["Boston", "Seattle-Office"]

    client.peering_services.initialize_connection_monitor()

    assert client.peering_services.delete(RG, "Seattle-Office") is None
    assert client.peering_services.delete(RG, "Seattle-Office") is None, "204 when already gone"
    with pytest.raises(ResourceNotFoundError) as missing:
        client.peering_services.get(RG, "Seattle-Office")
    assert missing.value.status_code == 404
    assert missing.value.error.code == "ResourceNotFound"
    assert "Seattle-Office" in missing.value.error.message
    assert sent_api_versions(client) == {expected_version(api_version)}


def test_prefix_lifecycle(client):
    client.peering_services.create_or_update(RG, "conn", connection())
    key = "6a7f0d42-e49c-4eea-a930-280610671c3f"
    created = client.prefixes.create_or_update(
        RG,
        "conn",
        "office",
        m.PeeringServicePrefix(properties=m.PeeringServicePrefixProperties(prefix="20.40.0.0/16", peering_service_prefix_key=key)),
    )
    assert created.name == "office"
    assert created.type == "Microsoft.Peering/peeringServices/prefixes"
    assert created.properties.prefix == "20.40.0.0/16"
    assert created.properties.peering_service_prefix_key == key
    assert created.properties.prefix_validation_state == "Pending"
    assert created.properties.learned_type == "None"
    assert created.properties.provisioning_state == "Succeeded"
    assert created.properties.events is None

    again = client.prefixes.create_or_update(RG, "conn", "OFFICE", {"properties": {"prefix": "20.40.0.0/16"}})
    assert again.name == "office"
    assert again.properties.peering_service_prefix_key is None

    plain = client.prefixes.get(RG, "conn", "office")
    assert plain.properties.events is None
    expanded = client.prefixes.get(RG, "conn", "office", expand="events")
    # No route telemetry for the prefix: an empty list, no made-up event.
    assert expanded.properties.events == []

    client.prefixes.create_or_update(RG, "conn", "branch", {"properties": {"prefix": "20.41.0.0/24"}})
    listed = list(client.prefixes.list_by_peering_service(RG, "conn"))
    assert [p.name for p in listed] == ["branch", "office"]
    assert all(p.properties.events is None for p in listed)
    listed = list(client.prefixes.list_by_peering_service(RG, "conn", expand="events"))
    assert [p.name for p in listed] == ["branch", "office"]
    assert all(p.properties.events == [] for p in listed)

    assert client.prefixes.delete(RG, "conn", "office") is None
    assert client.prefixes.delete(RG, "conn", "office") is None
    with pytest.raises(ResourceNotFoundError):
        client.prefixes.get(RG, "conn", "office")
    with pytest.raises(ResourceNotFoundError) as parent:
        client.prefixes.get(RG, "no-such-connection", "office")
    assert parent.value.error.code == "ParentResourceNotFound"


def ingest(server, op, items):
    """POSTs a telemetry batch as a collector does; answers the parsed report."""
    request = urllib.request.Request(
        f"{server.url}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Peering/{op}?api-version=2025-05-01",
        data=json.dumps({"value": items}).encode(),
        headers={"Authorization": f"Bearer {COLLECTOR}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_connection_monitor_tests(client, server):
    client.peering_services.create_or_update(RG, "conn", connection())
    body = m.ConnectionMonitorTest(
        properties=m.ConnectionMonitorTestProperties(
            source_agent="agent-1", destination="1.1.1.1", destination_port=443, test_frequency_in_sec=30
        )
    )
    created = client.connection_monitor_tests.create_or_update(RG, "conn", "latency", body)
    assert created.name == "latency"
    assert created.type == "Microsoft.Peering/peeringServices/connectionMonitorTests"
    assert created.properties.source_agent == "agent-1"
    assert created.properties.destination == "1.1.1.1"
    assert created.properties.destination_port == 443
    assert created.properties.test_frequency_in_sec == 30
    # No result yet: neither success nor a path is claimed.
    assert created.properties.is_test_successful is None
    assert created.properties.path is None
    assert created.properties.provisioning_state == "Succeeded"

    # A collector reports a run: the SDK sees its outcome and path.
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = {"resourceGroup": RG, "peeringService": "conn", "test": "latency", "timestamp": now,
           "success": True, "hops": ["10.0.0.1", "1.1.1.1"], "rttMs": 12.5}
    assert ingest(server, "ingestMonitorTestResults", [run])["accepted"] == 1
    measured = client.connection_monitor_tests.get(RG, "conn", "latency")
    assert measured.properties.is_test_successful is True
    assert measured.properties.path == ["10.0.0.1", "1.1.1.1"]

    body.properties.destination = "www.example.com"
    body.properties.destination_port = 80
    replaced = client.connection_monitor_tests.create_or_update(RG, "conn", "latency", body)
    assert replaced.properties.destination == "www.example.com"
    got = client.connection_monitor_tests.get(RG, "conn", "latency")
    assert got.properties.destination_port == 80
    assert [t.name for t in client.connection_monitor_tests.list_by_peering_service(RG, "conn")] == ["latency"]
    assert client.connection_monitor_tests.delete(RG, "conn", "latency") is None
    assert client.connection_monitor_tests.delete(RG, "conn", "latency") is None
    with pytest.raises(ResourceNotFoundError):
        client.connection_monitor_tests.get(RG, "conn", "latency")
    assert list(client.connection_monitor_tests.list_by_peering_service(RG, "conn")) == []


def test_paging_across_pages(client, api_version):
    names = [f"conn-{i:03d}" for i in range(130)]
    for i, name in enumerate(names):
        client.peering_services.create_or_update(f"rg-{i % 2}", name, connection())
    client.recorder.requests.clear()
    pages = list(client.peering_services.list_by_subscription().by_page())
    assert [len(list(p)) for p in pages] == [100, 30]
    items = sorted(s.name for s in client.peering_services.list_by_subscription())
    assert items == names
    # The second page came from the absolute nextLink, with the client's api-version.
    list_urls = [url for method, url in client.recorder.requests if method == "GET"]
    assert any("$skipToken=" in url for url in list_urls)
    assert sent_api_versions(client) == {expected_version(api_version)}

    in_group = list(client.peering_services.list_by_resource_group("rg-1"))
    assert len(in_group) == 65
    assert all(s.id.split("/")[4] == "rg-1" for s in in_group)

    # A child list across pages: more than 100 prefixes on one connection.
    for i in range(105):
        client.prefixes.create_or_update("rg-0", "conn-000", f"p{i:03d}", {"properties": {"prefix": f"20.{i}.0.0/16"}})
    prefixes = list(client.prefixes.list_by_peering_service("rg-0", "conn-000"))
    assert len(prefixes) == 105
    assert len({p.name for p in prefixes}) == 105


def test_validation_errors_surface_code_and_message(client, api_version):
    with pytest.raises(HttpResponseError) as bad:
        client.peering_services.create_or_update(RG, "conn", connection(peering_service_location="Atlantis"))
    e = bad.value
    assert e.status_code == 400
    assert e.error.code == "UnknownLocation"
    assert "'Atlantis' is not a Peering Service customer location" in e.error.message
    assert e.error.target == "properties.peeringServiceLocation"
    assert "(UnknownLocation)" in str(e)
    if api_version is None:
        assert [d.code for d in e.error.details] == ["UnknownLocation"]
    else:
        assert not e.error.details

    with pytest.raises(HttpResponseError) as bad_name:
        client.peering_services.create_or_update(RG, "bad name", connection())
    assert bad_name.value.error.code == "InvalidName"

    client.peering_services.create_or_update(RG, "conn", connection())
    with pytest.raises(HttpResponseError) as bad_prefix:
        client.prefixes.create_or_update(RG, "conn", "p", {"properties": {"prefix": "20.40.0.7/16"}})
    assert bad_prefix.value.error.code == "PrefixNotCanonical"
    assert "did you mean 20.40.0.0/16?" in bad_prefix.value.error.message

    client.prefixes.create_or_update(RG, "conn", "p", {"properties": {"prefix": "20.40.0.0/16"}})
    client.peering_services.create_or_update(RG, "other", connection())
    with pytest.raises(ResourceExistsError) as overlap:
        client.prefixes.create_or_update(RG, "other", "q", {"properties": {"prefix": "20.40.8.0/24"}})
    assert overlap.value.status_code == 409
    assert overlap.value.error.code == "PrefixOverlaps"
    assert f"prefix 'p' of connection '{RG}/conn'" in overlap.value.error.message

    with pytest.raises(ResourceExistsError) as immutable:
        client.prefixes.create_or_update(RG, "conn", "p", {"properties": {"prefix": "20.41.0.0/16"}})
    assert immutable.value.error.code == "PrefixImmutable"

    with pytest.raises(HttpResponseError) as bad_test:
        client.connection_monitor_tests.create_or_update(
            RG, "conn", "t", {"properties": {"sourceAgent": "a", "destination": "1.1.1.1", "destinationPort": 0, "testFrequencyInSec": 30}}
        )
    assert bad_test.value.error.code == "InvalidPort"


def test_preconditions_through_headers(client):
    client.peering_services.create_or_update(RG, "conn", connection())
    with pytest.raises(HttpResponseError) as stale:
        client.peering_services.create_or_update(RG, "conn", connection(), headers={"If-Match": '"stale"'})
    assert stale.value.status_code == 412
    assert stale.value.error.code == "PreconditionFailed"
    with pytest.raises(HttpResponseError) as exists:
        client.peering_services.create_or_update(RG, "conn", connection(), headers={"If-None-Match": "*"})
    assert exists.value.status_code == 412
    updated = client.peering_services.create_or_update(RG, "conn", connection(), headers={"If-Match": "*"})
    assert updated.name == "conn"


def test_tokens_and_roles(server, api_version):
    wrong = make_client(server, api_version, token="not-a-token-0123456789")
    with pytest.raises(ClientAuthenticationError) as unauthenticated:
        wrong.peering_services.get(RG, "conn")
    assert unauthenticated.value.status_code == 401
    assert unauthenticated.value.error.code == "AuthenticationFailed"

    foreign = make_client(server, api_version, subscription=OTHER_SUBSCRIPTION)
    with pytest.raises(HttpResponseError) as forbidden:
        foreign.peering_services.get(RG, "conn")
    assert forbidden.value.status_code == 403
    assert forbidden.value.error.code == "AuthorizationFailed"

    writer = make_client(server, api_version, token=CONTRIBUTOR)
    writer.peering_services.create_or_update(RG, "conn", connection())
    reader = make_client(server, api_version, token=READER)
    assert reader.peering_services.get(RG, "conn").name == "conn"
    assert [s.name for s in reader.peering_services.list_by_subscription()] == ["conn"]
    with pytest.raises(HttpResponseError) as read_only:
        reader.peering_services.delete(RG, "conn")
    assert read_only.value.status_code == 403
    assert writer.peering_services.get(RG, "conn").name == "conn"
    for c in (wrong, foreign, writer, reader):
        c.close()
