"""The edge every test talks to: PythonClientIT starts it and passes its address in PAYGATE_TARGET
(and PAYGATE_TOKEN / PAYGATE_CA once the edge requires them)."""
import os
import pathlib

import pytest

from paygate_client.example import Payments, open_channel


@pytest.fixture(scope="module")
def payments():
    target = os.environ.get("PAYGATE_TARGET")
    assert target, "PAYGATE_TARGET (host:port of a running edge) is required; PythonClientIT sets it"
    ca = os.environ.get("PAYGATE_CA")
    with open_channel(target, pathlib.Path(ca).read_bytes() if ca else None) as channel:
        yield Payments(channel, os.environ.get("PAYGATE_TOKEN"))
