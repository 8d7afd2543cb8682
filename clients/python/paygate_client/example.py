"""Authorizes a payment and captures it through the Paygate edge over gRPC.

Every call has its own deadline, every write its own request_id (so a retry is safe), and the
channel uses the service config shipped with the contract, whose retries and timeouts match the
edge's routes. Run, with ./paygate run up:
  python -m paygate_client.example --target localhost:8443 --token "$(./paygate token)" --ca .run/tls/ca.pem
"""
import argparse
import json
import pathlib
import sys
import uuid

import grpc
from google.protobuf import json_format
from google.type import money_pb2

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "generated"))

from paygate.v1 import account_pb2, account_service_pb2, account_service_pb2_grpc  # noqa: E402
from paygate.v1 import authorization_pb2, authorization_service_pb2, authorization_service_pb2_grpc  # noqa: E402

# This client keys every write, so it may use the config that retries writes too (proto/README.md);
# the build generates it from proto/ and the edge's routes into the paygate-edge jar's classes.
SERVICE_CONFIG = ROOT / "edge" / "target" / "classes" / "paygate" / "v1" / "service_config_keyed_writes.json"
DEADLINE_SECONDS = 3.0


def open_channel(target: str, root_certificates: bytes | None = None) -> grpc.Channel:
    """A channel with the shipped service config; TLS when a CA is given."""
    options = [("grpc.service_config", SERVICE_CONFIG.read_text()), ("grpc.enable_retries", 1)]
    if root_certificates is None:
        return grpc.insecure_channel(target, options=options)
    return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates), options=options)


class Payments:
    """The two services behind one channel, with a deadline and credentials on every call."""

    def __init__(self, channel: grpc.Channel, token: str | None = None, deadline: float = DEADLINE_SECONDS):
        self.channel, self.token = channel, token
        self.accounts = account_service_pb2_grpc.AccountServiceStub(channel)
        self.authorizations = authorization_service_pb2_grpc.AuthorizationServiceStub(channel)
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.deadline = deadline

    def with_deadline(self, seconds: float) -> "Payments":
        return Payments(self.channel, self.token, seconds)

    def create_account(self, currency: str, limit_units: int) -> account_pb2.Account:
        return self.accounts.CreateAccount(account_service_pb2.CreateAccountRequest(
            account=account_pb2.Account(currency_code=currency,
                                        credit_limit=money_pb2.Money(currency_code=currency, units=limit_units)),
            request_id=str(uuid.uuid4())), timeout=self.deadline, metadata=self.metadata)

    def get_account(self, name: str) -> account_pb2.Account:
        return self.accounts.GetAccount(account_service_pb2.GetAccountRequest(name=name),
                                        timeout=self.deadline, metadata=self.metadata)

    def authorize(self, account: str, currency: str, units: int, request_id: str | None = None) -> authorization_pb2.Authorization:
        return self.authorizations.CreateAuthorization(authorization_service_pb2.CreateAuthorizationRequest(
            parent=account,
            authorization=authorization_pb2.Authorization(
                amount=money_pb2.Money(currency_code=currency, units=units),
                merchant_id="python-example", merchant_category_code="5411"),
            request_id=request_id or str(uuid.uuid4())), timeout=self.deadline, metadata=self.metadata)

    def capture(self, authorization: str) -> authorization_pb2.Authorization:
        return self.authorizations.CaptureAuthorization(authorization_service_pb2.CaptureAuthorizationRequest(
            name=authorization, request_id=str(uuid.uuid4())), timeout=self.deadline, metadata=self.metadata)


def authorize_and_capture(payments: Payments, currency: str = "EUR", units: int = 42) -> dict:
    """Opens an account, authorizes `units` against it and captures them; returns what each step saw."""
    account = payments.create_account(currency, 500)
    authorization = payments.authorize(account.name, currency, units)
    captured = payments.capture(authorization.name)
    after = payments.get_account(account.name)
    as_json = lambda message: json_format.MessageToDict(message)  # noqa: E731
    return {"account": as_json(after), "authorization": as_json(authorization), "captured": as_json(captured)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="localhost:8443", help="the edge's host:port")
    parser.add_argument("--token", help="a JWT for Authorization: Bearer (./paygate token)")
    parser.add_argument("--ca", type=pathlib.Path, help="PEM file of the CA that signed the edge's certificate")
    args = parser.parse_args()
    with open_channel(args.target, args.ca.read_bytes() if args.ca else None) as channel:
        try:
            print(json.dumps(authorize_and_capture(Payments(channel, args.token)), indent=2))
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
