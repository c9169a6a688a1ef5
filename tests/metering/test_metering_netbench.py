"""The metering benchmark's network harness: the delaying proxy and the round-trip and command counts.

Behaviour only; the benchmark itself (benchmarks/bench_metering.py) holds the speed targets.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from metering import Meter
from metering.netbench import DelayProxy, ProxyProcess, commands_during


@pytest.fixture
def echo_port():
    """A TCP server on 127.0.0.1 that sends every byte back, reversed chunk by chunk."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data[::-1])

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def exchange(port: int, messages: list[bytes]) -> tuple[list[bytes], float]:
    """Send each message and wait for its whole reply; the replies and the seconds it all took."""
    replies = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.perf_counter()
        for message in messages:
            reply = b""
            sock.sendall(message)
            while len(reply) < len(message):
                reply += sock.recv(65536)
            replies.append(reply)
        return replies, time.perf_counter() - start


def test_proxy_forwards_bytes_unchanged_both_ways_and_counts_each_request(echo_port):
    proxy = DelayProxy(("127.0.0.1", echo_port), 0.0).start()
    try:
        messages = [b"PING", bytes(range(256)), b"x" * 1000]
        replies, _ = exchange(proxy.port, messages)
    finally:
        proxy.close()
    assert replies == [m[::-1] for m in messages]
    assert proxy.round_trips == len(messages)


def test_proxy_holds_each_request_at_least_its_delay(echo_port):
    delay, trips = 0.02, 5
    proxy = DelayProxy(("127.0.0.1", echo_port), delay).start()
    try:
        replies, seconds = exchange(proxy.port, [b"abc"] * trips)
    finally:
        proxy.close()
    assert replies == [b"cba"] * trips
    assert seconds >= delay * trips


def test_proxy_process_listens_on_the_port_it_announces_and_forwards(echo_port):
    with ProxyProcess(echo_port, 0.001) as proxy:
        replies, _ = exchange(proxy.port, [b"hello"])
    assert replies == [b"olleh"]
    assert proxy.process.poll() is not None  # stopped on leaving the block


def test_a_full_admission_on_redis_is_one_round_trip_and_one_client_command(catalog, redis_server):
    redis_server.flush()
    proxy = DelayProxy(("127.0.0.1", redis_server.port), 0.0).start()
    meter = Meter(catalog, f"redis://127.0.0.1:{proxy.port}/0")
    client = redis.Redis.from_url(redis_server.url)
    try:
        meter.put_contract({"tenant": "acme", "plan": "enterprise"})
        meter.admit_run("acme", "warm", writes={"slack": 1})
        before = proxy.round_trips
        admissions = [
            meter.admit_run("acme", f"run-{i}", writes={"slack": 1, "github": 2}) for i in range(10)
        ]
        trips = proxy.round_trips - before
        commands = commands_during(client, lambda: meter.admit_run("acme", "one-more", writes={"slack": 1}))
    finally:
        meter.storage.close()
        client.close()
        proxy.close()
    assert all(a.allowed for a in admissions)
    assert trips == 10
    assert commands["evalsha"] == 1
    assert not {"eval", "script|load", "multi", "exec"} & commands.keys()


def test_commands_during_counts_only_what_the_action_sent(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert commands_during(client, lambda: None) == {}
        counts = commands_during(client, lambda: [client.set("k", i) for i in range(3)])
    finally:
        client.close()
    assert counts == {"set": 3}
