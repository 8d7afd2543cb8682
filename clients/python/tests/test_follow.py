"""Following an account's events against a real edge (PythonClientIT starts it, as for test_example)."""
import threading

from paygate_client.follow import follow


def test_follow_replays_then_follows_every_event_once_in_order(payments):
    account = payments.create_account("EUR", 500)
    first = payments.authorize(account.name, "EUR", 10)

    def later():
        payments.capture(first.name)
        payments.authorize(account.name, "EUR", 20)

    seen = []
    for event in follow(payments, account.name, until=lambda event: event.sequence >= 3):
        seen.append((event.sequence, event.type))
        if event.sequence == 1:
            threading.Thread(target=later).start()

    assert [sequence for sequence, _ in seen] == [1, 2, 3]
    assert [type_ for _, type_ in seen] == [1, 3, 1]  # APPROVED, CAPTURED, APPROVED
