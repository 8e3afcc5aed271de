"""Build bench/data/langid/chats.tsv: the customer side of real support chats, turn by turn.

Source: the WMT24 chat shared task's test conversations (real customer-support chats, customers
writing de, fr, ko, nl or pt-BR to English-speaking agents), as copied to
/work/shared/data/wmt24-chat-human/all_submissions/en-*.csv (CC-BY-NC-4.0; see
bench/data/langid/README.md). Keeps the customer turns of each conversation in their order,
labelled with the conversation's customer language, and removes the task's anonymisation
placeholders (NAME-M, PRS-ORG, EMAIL, …) so they do not read as English words.

    python bench/build_chat_set.py [--src DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

SRC = Path("/work/shared/data/wmt24-chat-human/all_submissions")
OUT = Path(__file__).resolve().parent / "data" / "langid" / "chats.tsv"
PAIRS = ("de", "fr", "ko", "nl", "pt")
# Every placeholder the task's anonymisation left in customer turns (counted on the whole set).
_PLACEHOLDER = re.compile(
    r"(?<![A-Za-z])(?:PRS[-_]ORG(?:-A|4)?|NAME-(?:[MFN](?:_TEXT)?|NTEXT)(?:_PRS-ORG)?|EMAIL|ALPHANUMERIC(?:ID)?"
    r"|PHONENUMBER|URL|ADDRESS|CREDITCARD)(?![A-Za-z0-9]):?"
)


def clean(text: str) -> str:
    return " ".join(_PLACEHOLDER.sub(" ", text).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=SRC)
    args = parser.parse_args()
    csv.field_size_limit(1 << 30)
    rows = []
    for pair in PAIRS:
        with (args.src / f"en-{pair}.csv").open(encoding="utf-8", newline="") as fh:
            turns: dict[str, int] = {}
            for r in csv.DictReader(fh):
                if r["sender"] != "customer":
                    continue
                doc = r["doc_id"]
                turns[doc] = turns.get(doc, -1) + 1
                text = clean(r["source"])
                if text and "\t" not in text:
                    rows.append((f"{pair}-{doc}", turns[doc], pair, text))
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        fh.write("conversation\tturn\tlang\ttext\n")
        for conv, turn, lang, text in rows:
            fh.write(f"{conv}\t{turn}\t{lang}\t{text}\n")
    print(f"{len(rows)} customer turns, {len({r[0] for r in rows})} conversations -> {OUT}")


if __name__ == "__main__":
    main()
