"""The chat's rate limits: the shared per-address counter and one socket's own window."""

from django.core.cache import cache

from concierge.assistant import guards


def test_address_counter_allows_up_to_the_limit_per_window():
    cache.delete("assistant:rl:ip:10.9.9.9")
    allowed = [guards.allow("ip:10.9.9.9", 3) for _ in range(5)]
    assert allowed == [True, True, True, False, False]


def test_chat_window_forgets_messages_older_than_the_window(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(guards.time, "monotonic", lambda: clock[0])
    chat = guards.ChatWindow(limit=2, window=60)
    assert [chat.allow(), chat.allow(), chat.allow()] == [True, True, False]
    clock[0] += 61
    assert chat.allow()
