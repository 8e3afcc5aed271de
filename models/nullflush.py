"""The null-flush protocol of Apertium's tools, shared by the translation pipelines and morphology.

Every stage started with `-z` flushes its output at each NUL. A batch is written as NUL-separated
segments followed by a unique `[/NONCE:…]` superblank; the reader collects output until that
marker comes back, so one round trip serves a whole batch and no reply is mistaken for another's.
"""

from __future__ import annotations

import os
import secrets
import selectors
import threading
import time
from collections.abc import Sequence
from typing import IO

from models.errors import EngineFailure


def exchange(stdin: IO[bytes], stdout: IO[bytes], segments: Sequence[str], timeout_s: float, what: str) -> list[str]:
    """Send already-encoded segments through a running chain; return one output per segment."""
    nonce = f"[/NONCE:{secrets.token_hex(8)}]".encode()
    payload = b"".join(s.encode("utf-8") + b"\0" for s in segments) + nonce + b"\0"
    writer_error: list[BaseException] = []

    def write() -> None:
        try:
            stdin.write(payload)
            stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            writer_error.append(exc)

    # Write from a helper thread: a large batch would fill the pipes before we start reading.
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    buf = bytearray()
    end = nonce + b"\0"
    deadline = time.monotonic() + timeout_s
    fd = stdout.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while not buf.endswith(end):
            left = deadline - time.monotonic()
            if left <= 0:
                raise EngineFailure(f"{what} did not answer within {timeout_s:.0f} s")
            if not sel.select(timeout=left):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EngineFailure(f"{what} exited ({writer_error or 'end of output'})")
            buf += chunk
    writer.join()
    parts = bytes(buf[: -len(end)]).split(b"\0")
    # Every NUL we sent comes back as one NUL: N segments give N parts plus the empty tail.
    if len(parts) != len(segments) + 1 or parts[-1].strip():
        raise EngineFailure(f"{what} returned {len(parts) - 1} segments for {len(segments)}")
    return [p.decode("utf-8", errors="replace") for p in parts[:-1]]
