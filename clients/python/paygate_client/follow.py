"""Follows an account's authorization events live through the Paygate edge over gRPC.

WatchAuthorizationEvents replays the events after a cursor, then sends each new one as it happens
(with heartbeats while nothing does). A stream ends now and then: at the service's maximum
duration (UNAVAILABLE, reason STREAM_DURATION_REACHED) or when the replica serving it goes away
(UNAVAILABLE, or INTERNAL: the edge reports a replica killed mid-stream as a reset). The client then
reconnects with the sequence of the last event it got, and misses nothing and sees nothing twice. Run, with ./paygate run up (Ctrl-C to stop):
  python -m paygate_client.follow --target localhost:8443 --token "$(./paygate token)" --ca .run/tls/ca.pem \\
      --account accounts/...
"""
import argparse
import json
import pathlib
import sys
import time
from typing import Callable, Iterator

import grpc
from google.protobuf import json_format

from paygate_client.example import Payments, open_channel
from paygate.v1 import authorization_event_pb2, authorization_service_pb2  # noqa: E402

# Worth reconnecting on with the cursor: the stream's planned end and the edge unable to reach a
# replica (UNAVAILABLE), a replica lost mid-stream (INTERNAL, as WatchReconnectIT saw through the
# edge), the service's cap on a call (DEADLINE_EXCEEDED). Any other end is about the caller or the
# request (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED for
# too many streams): a reconnect would only repeat it, so it is raised.
RECONNECT_ON = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL, grpc.StatusCode.DEADLINE_EXCEEDED}
RECONNECT_DELAY_SECONDS = 0.2
# Doubled after each stream that got nowhere, so a failing replica or edge is not hammered.
RECONNECT_DELAY_MAX_SECONDS = 5.0
# A stream that delivered an event or stayed open this long got somewhere: the delay starts over.
STREAM_WORKED_SECONDS = 10.0
# Reconnects in a row that got nowhere before the last error is raised (about 30 s of delays).
RECONNECTS_WITHOUT_PROGRESS = 10


def follow(payments: Payments, account: str, after_sequence: int = 0,
           until: Callable[[authorization_event_pb2.AuthorizationEvent], bool] = lambda event: False
           ) -> Iterator[authorization_event_pb2.AuthorizationEvent]:
    """Yields the account's events after `after_sequence`, in order, each once, until `until(event)`."""
    cursor = after_sequence
    delay, fruitless = RECONNECT_DELAY_SECONDS, 0
    while True:
        # No deadline: a stream lasts until the service ends it (the edge and the service config agree).
        stream = payments.authorizations.WatchAuthorizationEvents(
            authorization_service_pb2.WatchAuthorizationEventsRequest(parent=account, after_sequence=cursor),
            metadata=payments.metadata)
        opened, progressed = time.monotonic(), False
        try:
            for message in stream:
                if message.HasField("authorization_event"):
                    event = message.authorization_event
                    cursor, progressed = event.sequence, True
                    yield event
                    if until(event):
                        stream.cancel()
                        return
        except grpc.RpcError as error:
            if error.code() not in RECONNECT_ON:
                raise
            if progressed or time.monotonic() - opened >= STREAM_WORKED_SECONDS:
                delay, fruitless = RECONNECT_DELAY_SECONDS, 0
            else:
                fruitless += 1
                if fruitless >= RECONNECTS_WITHOUT_PROGRESS:
                    raise
        time.sleep(delay)
        delay = min(delay * 2, RECONNECT_DELAY_MAX_SECONDS) if fruitless else delay


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:8443", help="the edge's host:port")
    parser.add_argument("--token", help="a JWT for Authorization: Bearer (./paygate token)")
    parser.add_argument("--ca", type=pathlib.Path, help="PEM file of the CA that signed the edge's certificate")
    parser.add_argument("--account", required=True, help="accounts/{uuid}, one of the token's owner")
    parser.add_argument("--after", type=int, default=0, help="the sequence to start after (0: every event)")
    args = parser.parse_args()
    with open_channel(args.target, args.ca.read_bytes() if args.ca else None) as channel:
        try:
            for event in follow(Payments(channel, args.token), args.account, args.after):
                print(json.dumps(json_format.MessageToDict(event)), flush=True)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
