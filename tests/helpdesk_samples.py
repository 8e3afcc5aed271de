"""The helpdesks' own published payloads, copied into tests/fixtures/helpdesk (README there: sources, licences)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "helpdesk"


def load_jsonc(text: str) -> Any:
    """JSON with // comments and trailing commas, as the Chatwoot docs publish it. A small
    scanner rather than a regex: "http://..." inside strings must survive."""
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif ch in "}]":
            # drop a trailing comma before a closing bracket
            j = len(out) - 1
            while j >= 0 and out[j].isspace():
                j -= 1
            if j >= 0 and out[j] == ",":
                del out[j]
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return json.loads("".join(out))


def sample(relative: str) -> Any:
    path = SAMPLES / relative
    text = path.read_text(encoding="utf-8")
    return load_jsonc(text) if path.suffix == ".jsonc" else json.loads(text)
