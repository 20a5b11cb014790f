"""``seotasks receive`` stopping while senders keep their connections open: the requests
in progress at the stop are answered, every later one is answered 503 (the vendor
delivers it again, or lists the task for a poll), and the stop does not wait for them.

Eight senders posting over kept-open connections held a stop its whole 30 s of grace,
and about 21 000 deliveries were taken after the signal; a container's 10 s stop then
ended in SIGKILL."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
from pathlib import Path

from loopback import read_head
from receivekit import SECRET, Receiver, envelope, files, gz, postback_head, receive_env


def _post(conn: http.client.HTTPConnection, task_id: str) -> tuple[int, bytes]:
    """One postback of ``task_id`` over the kept-open ``conn``: its status and body."""
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    conn.request("POST", f"/{SECRET}/postback", body=gz(envelope(task_id)), headers=headers)
    answer = conn.getresponse()
    return answer.status, answer.read()


def test_a_stop_answers_what_was_in_progress_and_503_to_what_comes_after(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    body = gz(envelope("in-progress"))
    head = postback_head(body)
    accepted: list[str] = []
    with Receiver(out, receive_env(tmp_path)) as receiver:
        host, port = receiver.address
        kept = http.client.HTTPConnection(host, port, timeout=30)
        assert _post(kept, "before")[0] == 200
        accepted.append("before")
        with socket.create_connection(receiver.address, timeout=30) as arriving:
            arriving.sendall(head + body[: len(body) // 2])  # a body still arriving
            read = _post(kept, "read")  # ... read by the server by then
            assert read[0] == 200
            accepted.append("read")
            receiver.process.send_signal(signal.SIGTERM)
            # The kept connection's next deliveries: taken until the stop begins, then
            # 503 (before, every one was taken until the grace ran out).
            status, sent = 200, 0
            while status == 200:
                sent += 1
                status, said = _post(kept, f"after-{sent}")
                if status == 200:
                    accepted.append(f"after-{sent}")
            assert status == 503 and b"stopping" in said, said
            arriving.sendall(body[len(body) // 2 :])  # the request in progress ends
            answer = read_head(arriving)
        kept.close()
        assert receiver.stop() == 0, receiver.stderr
    assert answer.startswith(b"HTTP/1.1 200"), answer
    accepted.append("in-progress")
    assert files(out / "dataforseo").keys() == set(accepted)  # a 503 left no file
    lines = [json.loads(line)["id"] for line in receiver.stdout.splitlines()]
    assert sorted(lines) == sorted(accepted)
    assert "answered 503" in receiver.stderr  # said, not silent


def test_senders_that_go_on_sending_do_not_hold_the_stop(tmp_path: Path) -> None:
    out = tmp_path / "results"
    stop_sending = threading.Event()
    answered: list[list[int]] = [[] for _ in range(4)]

    def send(index: int, address: tuple[str, int]) -> None:
        conn = http.client.HTTPConnection(*address, timeout=30)
        count = 0
        while not stop_sending.is_set():
            count += 1
            try:
                answered[index].append(_post(conn, f"s{index}-{count}")[0])
            except (OSError, http.client.HTTPException):
                return  # the receiver closed the connection at its end
        conn.close()

    with Receiver(out, receive_env(tmp_path)) as receiver:
        senders = [threading.Thread(target=send, args=(i, receiver.address)) for i in range(4)]
        for sender in senders:
            sender.start()
        while sum(map(len, answered)) < 40:  # every sender is going
            assert all(sender.is_alive() for sender in senders)
            time.sleep(0.01)  # not a spin: the senders share this process's interpreter
        receiver.process.send_signal(signal.SIGTERM)
        try:
            # A hang guard under the 30 s grace (which they held whole), not a measure.
            code = receiver.process.wait(timeout=20)
        finally:
            stop_sending.set()
            for sender in senders:
                sender.join(30)
        assert code == 0, receiver.stderr
        receiver.stop()
    taken = {
        f"s{i}-{n + 1}" for i, codes in enumerate(answered) for n, c in enumerate(codes) if c == 200
    }
    assert files(out / "dataforseo").keys() >= taken  # every 200 has its file
    assert any(503 in codes for codes in answered)
