"""How follow() treats a stream's end, against a scripted gRPC server on a real local channel: the
edge cannot be made to end a stream with a chosen code on demand (WatchReconnectIT kills a replica
behind it for the real thing). Each script entry is one call's messages and its final status."""
from concurrent import futures

import grpc
import pytest

from paygate_client import follow as follow_module
from paygate_client.example import Payments
from paygate_client.follow import follow
from paygate.v1 import authorization_event_pb2, authorization_service_pb2, authorization_service_pb2_grpc

ACCOUNT = "accounts/00000000-0000-0000-0000-000000000001"


def event(sequence):
    return authorization_service_pb2.WatchAuthorizationEventsResponse(
        authorization_event=authorization_event_pb2.AuthorizationEvent(sequence=sequence))


def heartbeat(after):
    return authorization_service_pb2.WatchAuthorizationEventsResponse(
        heartbeat=authorization_service_pb2.WatchAuthorizationEventsResponse.Heartbeat(after_sequence=after))


class Scripted(authorization_service_pb2_grpc.AuthorizationServiceServicer):
    def __init__(self, script, then=None):
        self.script, self.then, self.cursors = list(script), then, []

    def WatchAuthorizationEvents(self, request, context):
        self.cursors.append(request.after_sequence)
        messages, code = self.script.pop(0) if self.script else self.then
        yield from messages
        if code is not None:
            context.abort(code, f"scripted {code.name}")


@pytest.fixture
def serve():
    servers = []

    def start(servicer):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        authorization_service_pb2_grpc.add_AuthorizationServiceServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return Payments(grpc.insecure_channel(f"127.0.0.1:{port}"))

    yield start
    for server in servers:
        server.stop(None)


@pytest.fixture(autouse=True)
def quick_reconnects(monkeypatch):
    monkeypatch.setattr(follow_module, "RECONNECT_DELAY_SECONDS", 0.01)
    monkeypatch.setattr(follow_module, "RECONNECT_DELAY_MAX_SECONDS", 0.05)


def test_follow_afterReplicaLostAsInternalOrUnavailable_reconnectsWithItsCursor_everyEventOnceInOrder(serve):
    server = Scripted([
        ([event(1), event(2)], grpc.StatusCode.INTERNAL),  # the edge's report of a replica killed mid-stream
        ([heartbeat(2)], grpc.StatusCode.UNAVAILABLE),  # no healthy replica yet, or the planned end
        ([event(3)], grpc.StatusCode.DEADLINE_EXCEEDED),
        ([event(4)], None),
    ])
    payments = serve(server)

    seen = [e.sequence for e in follow(payments, ACCOUNT, until=lambda e: e.sequence >= 4)]

    assert seen == [1, 2, 3, 4]
    assert server.cursors == [0, 2, 2, 3]


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
                                  grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                                  grpc.StatusCode.RESOURCE_EXHAUSTED])
def test_follow_refusedForTheCallerOrRequest_raisesWithoutReconnecting(serve, code):
    server = Scripted([([event(1)], code)], then=([event(2)], None))
    payments = serve(server)

    seen = []
    with pytest.raises(grpc.RpcError) as raised:
        for e in follow(payments, ACCOUNT, until=lambda e: e.sequence >= 2):
            seen.append(e.sequence)

    assert raised.value.code() == code
    assert seen == [1]
    assert server.cursors == [0]


def test_follow_reconnectsThatGetNowhere_raiseTheLastErrorAfterTheBound(serve):
    server = Scripted([], then=([heartbeat(0)], grpc.StatusCode.INTERNAL))
    payments = serve(server)

    with pytest.raises(grpc.RpcError) as raised:
        list(follow(payments, ACCOUNT))

    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert server.cursors == [0] * follow_module.RECONNECTS_WITHOUT_PROGRESS


def test_follow_aStreamThatDeliveredAnEvent_startsTheFruitlessCountOver(serve):
    bound = follow_module.RECONNECTS_WITHOUT_PROGRESS
    fruitless = ([], grpc.StatusCode.UNAVAILABLE)
    server = Scripted([fruitless] * (bound - 1) + [([event(1)], grpc.StatusCode.INTERNAL)] + [fruitless] * (bound - 1)
                      + [([event(2)], None)])
    payments = serve(server)

    seen = [e.sequence for e in follow(payments, ACCOUNT, until=lambda e: e.sequence >= 2)]

    assert seen == [1, 2]
    assert server.cursors == [0] * bound + [1] * bound
