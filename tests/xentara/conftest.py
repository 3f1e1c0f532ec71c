"""TLS material for the Xentara tests: a throwaway CA and a loopback server certificate."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from iotws.xentara.simulator import XentaraSimulator

USERS = {"operator": "secret", "viewer": "look"}
TOKENS = {"good-token": "operator"}


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xentara-ca") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def server_ssl(tls_ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


@pytest.fixture
def tls_sim(server_ssl: ssl.SSLContext) -> Iterator[XentaraSimulator]:
    """A TLS simulator with Basic users (``viewer`` may not write) and a Bearer token."""
    sim = XentaraSimulator(
        ssl_context=server_ssl, users=USERS, tokens=TOKENS, read_only_users={"viewer"}, update_interval=0.02
    )
    with sim.run():
        yield sim
