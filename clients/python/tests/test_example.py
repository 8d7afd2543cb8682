"""The example against a real edge (Envoy + service), as conftest.py's `payments` reaches it."""
import uuid

import grpc
import pytest

from paygate_client.example import Payments, authorize_and_capture


def test_authorize_then_capture_moves_the_amount_from_held_to_captured(payments):
    result = authorize_and_capture(payments, "EUR", 42)

    assert result["authorization"]["state"] == "APPROVED"
    assert result["captured"]["state"] == "CAPTURED"
    assert result["captured"]["capturedAmount"]["units"] == "42"
    assert result["account"]["captured"]["units"] == "42"
    assert result["account"]["held"].get("units", "0") == "0"
    assert result["account"]["available"]["units"] == "458"


def test_same_request_id_replays_the_first_authorization(payments):
    account = payments.create_account("EUR", 100)
    key = str(uuid.uuid4())

    first = payments.authorize(account.name, "EUR", 30, request_id=key)
    again = payments.authorize(account.name, "EUR", 30, request_id=key)

    assert again.name == first.name
    assert payments.get_account(account.name).held.units == 30


def test_a_deadline_too_short_fails_fast_with_deadline_exceeded(payments):
    account = payments.create_account("EUR", 100)
    with pytest.raises(grpc.RpcError) as error:
        payments.with_deadline(0.001).get_account(account.name)

    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_bad_input_is_invalid_argument_and_changes_nothing(payments):
    account = payments.create_account("EUR", 100)

    with pytest.raises(grpc.RpcError) as error:
        payments.authorize(account.name, "eur", 10)

    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert payments.get_account(account.name).held.units == 0


def test_a_call_without_a_token_is_unauthenticated(payments):
    anonymous = Payments(payments.channel, token=None)

    with pytest.raises(grpc.RpcError) as error:
        anonymous.create_account("EUR", 100)

    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
