"""Fixtures: the real peering-server binary and the official Python SDK pointed at it.

The binary comes from the environment variable PEERING_SERVER_BIN (cargo xtask test builds it
and sets it). Each test gets its own server process on a free loopback port with a fresh
database in a temporary directory (a database of its own on the PostgreSQL server that
PEERING_TEST_PG names, when it is set), and a tokens file with a contributor and a reader token.

The client is configured as docs/domain.md ("SDKs") describes: a token
credential, base_url pointing at the server, a per-call policy that allows plain http (the
stock bearer policy refuses http otherwise), and no retries.
"""

import json
import os
import re
import subprocess
import threading
import time
import uuid

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.peering import PeeringManagementClient

SUBSCRIPTION = "00000000-0000-0000-0000-00000000c0de"
OTHER_SUBSCRIPTION = "00000000-0000-0000-0000-00000000beef"
CONTRIBUTOR = "sdk-contributor-token-0123456789abcdef"
READER = "sdk-reader-token-0123456789abcdef"
# Telemetry comes from collectors, which the SDK has no operation for: tests send it with
# plain HTTP under this token.
COLLECTOR = "sdk-collector-token-0123456789abcdef"
# How the activity log names the contributor's grant.
CONTRIBUTOR_NAME = "sdk-automation"


class StaticCredential:
    """A duck-typed TokenCredential that hands out one of the server's tokens."""

    def __init__(self, token):
        self.token = token
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.extend(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


class AllowHttp(SansIOHTTPPolicy):
    """Runs before the authentication policy, which refuses to send a token over http."""

    def on_request(self, request):
        request.context["enforce_https"] = False


class Recorder(SansIOHTTPPolicy):
    """Keeps every request's method and URL, to check what went over the wire."""

    def __init__(self):
        self.requests = []

    def on_request(self, request):
        self.requests.append((request.http_request.method, request.http_request.url))


class Server:
    def __init__(self, url, process, directory):
        self.url = url
        self.process = process
        self.directory = directory


@pytest.fixture
def server(tmp_path):
    binary = os.environ.get("PEERING_SERVER_BIN")
    if not binary or not os.path.isfile(binary):
        pytest.fail(
            "PEERING_SERVER_BIN must name the built peering-server binary "
            "(cargo build -p peering-server; PEERING_SERVER_BIN=target/debug/peering-server)"
        )
    tokens = tmp_path / "tokens.json"
    tokens.write_text(
        json.dumps(
            [
                {"token": CONTRIBUTOR, "subscriptions": [SUBSCRIPTION], "role": "contributor", "name": CONTRIBUTOR_NAME},
                {"token": READER, "subscriptions": [SUBSCRIPTION], "role": "reader"},
                {"token": COLLECTOR, "subscriptions": [SUBSCRIPTION], "role": "collector"},
            ]
        )
    )
    # On PostgreSQL (PEERING_TEST_PG names a server, as `cargo xtask test` sets it for its
    # second run), each test gets a database of its own; else a SQLite file.
    database = str(tmp_path / "peering.db")
    admin = os.environ.get("PEERING_TEST_PG")
    if admin:
        name = "sdk_" + uuid.uuid4().hex
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
        database = admin.rsplit("/", 1)[0] + "/" + name
    # The log (stderr) goes to a file and stdout is drained after the URL line: a pipe nobody
    # reads fills up and then blocks the server at its next log line.
    log = open(tmp_path / "server.log", "w")
    process = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--db", database, "--tokens", str(tokens)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    url = None
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.match(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
            break
    if url is None:
        process.kill()
        log.close()
        pytest.fail(
            "peering-server did not start:\n" + "".join(seen) + (tmp_path / "server.log").read_text()
        )
    threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
    yield Server(url, process, tmp_path)
    process.terminate()
    try:
        # SIGTERM drains requests in flight and exits 0.
        assert process.wait(timeout=10) == 0, (tmp_path / "server.log").read_text()
    except subprocess.TimeoutExpired:
        process.kill()
    finally:
        log.close()


def make_client(server, api_version=None, token=CONTRIBUTOR, subscription=SUBSCRIPTION):
    recorder = Recorder()
    kwargs = {} if api_version is None else {"api_version": api_version}
    client = PeeringManagementClient(
        StaticCredential(token),
        subscription,
        base_url=server.url,
        per_call_policies=[AllowHttp(), recorder],
        retry_total=0,
        **kwargs,
    )
    client.recorder = recorder
    return client


@pytest.fixture(params=[None, "2022-10-01"], ids=["sdk-default-api-version", "api-version-2022-10-01"])
def api_version(request):
    return request.param


@pytest.fixture
def client(server, api_version):
    c = make_client(server, api_version)
    yield c
    c.close()
