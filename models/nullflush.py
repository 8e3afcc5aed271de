"""The null-flush protocol of Apertium's tools, shared by the translation pipelines and morphology.

Every stage started with `-z` flushes its output at each NUL. A batch is written as NUL-separated
segments followed by a unique `[/NONCE:…]` superblank; the reader collects output until that
marker comes back, so one round trip serves a whole batch and no reply is mistaken for another's.
"""

from __future__ import annotations

import os
import secrets
import selectors
import time
from collections.abc import Sequence
from typing import IO

from models.errors import EngineFailure


def exchange(stdin: IO[bytes], stdout: IO[bytes], segments: Sequence[str], timeout_s: float, what: str) -> list[str]:
    """Send already-encoded segments through a running chain; return one output per segment.

    One thread writes and reads: stdin is switched to non-blocking and written as the pipe takes
    it, between reads, so a large batch never fills both pipes (the chain blocked on its output
    while we block on its input), and a small one costs no helper thread (starting one per call
    was a measurable share of a chat message's time: bench/README.md, overhead)."""
    nonce = f"[/NONCE:{secrets.token_hex(8)}]".encode()
    payload = memoryview(b"".join(s.encode("utf-8") + b"\0" for s in segments) + nonce + b"\0")
    stdin.flush()  # nothing may sit in the buffered writer: we write to its descriptor directly
    in_fd, out_fd = stdin.fileno(), stdout.fileno()
    os.set_blocking(in_fd, False)
    sent = 0
    writer_error: BaseException | None = None
    buf = bytearray()
    end = nonce + b"\0"
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as sel:
        sel.register(out_fd, selectors.EVENT_READ)
        sel.register(in_fd, selectors.EVENT_WRITE)
        while not buf.endswith(end):
            if sent < len(payload) and writer_error is None:
                try:
                    sent += os.write(in_fd, payload[sent:])
                except BlockingIOError:  # the pipe is full: wait until the chain reads or writes
                    pass
                except OSError as exc:  # BrokenPipeError: the chain exited; its output says the rest
                    writer_error = exc
                if sent == len(payload) or writer_error is not None:
                    sel.unregister(in_fd)
            left = deadline - time.monotonic()
            if left <= 0:
                raise EngineFailure(f"{what} did not answer within {timeout_s:.0f} s")
            for key, _ in sel.select(timeout=left):
                if key.fd != out_fd:
                    continue  # writable again: the loop writes on
                chunk = os.read(out_fd, 1 << 16)
                if not chunk:
                    raise EngineFailure(f"{what} exited ({writer_error or 'end of output'})")
                buf += chunk
    parts = bytes(buf[: -len(end)]).split(b"\0")
    # Every NUL we sent comes back as one NUL: N segments give N parts plus the empty tail.
    if len(parts) != len(segments) + 1 or parts[-1].strip():
        raise EngineFailure(f"{what} returned {len(parts) - 1} segments for {len(segments)}")
    return [p.decode("utf-8", errors="replace") for p in parts[:-1]]
