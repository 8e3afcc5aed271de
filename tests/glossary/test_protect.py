"""protect / restore on plain text: what is masked, exact round trips, and repairs after bad engines."""

from __future__ import annotations

import random

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary.protect import Masked, Span, protect, restore
from glossary.segment import join, split
from glossary.spans import find_spans, keep_pattern

MESSAGES = [
    "Your order {{Order Number}} (#48213) ships on 2024-05-01 at 10:30. Track it at "
    "https://track.example.com/1Z999AA10123456784 or write to support@acme.com 😀!",
    "Hi @jane_doe, the refund of $5.99 (€12,50 / 12.50 EUR) is on its way. 🇪🇸👍🏽",
    "Call us on +1 (555) 010-9999, 24/7. Or visit www.example.com/help?id=42&x=y.",
    "Hello %s, you have %d new messages. %(name)s, {0} and {name} are placeholders; #ORDER_ID# too.",
    "Please don't hesitate to contact our {{Customer Support Phone Number}} or visit {{Website URL}}.\n\n"
    "1. Log in to your account.\n2. Go to 'Orders'.\n3. Click on order {{Order Number}}.",
    "Reference A-1234-XY, ticket #00108 and invoice INV-2024-0042 — 20% off until 31/12. 👨‍👩‍👧",
    "Ups ⟦0⟧ my keyboard typed ⟦ and ⟧ and even ⟦12⟧ on its own.",
    "Thanks!!! 😊😊\n  Double  spaces,\ttabs and a trailing newline stay.\n",
    "Reach [Customer Support Phone Number] or [Live Chat] between 9:00 and 17:00 (CET).",
    "e.g. this, i.e. that, U.S. shipping, Mr. Smith's order.It was late. file.py is fine.",
    "",
    "   ",
    "😀",
    "{{Order Number}}",
]


def identity(text: str) -> str:
    return text


@pytest.mark.parametrize("text", MESSAGES)
def test_identity_engine_round_trips_exactly(text):
    masked = protect(text)
    restored = restore(masked.text, masked)
    assert restored.text == text
    assert (restored.lost, restored.duplicated, restored.repaired) == ((), (), False)


@pytest.mark.parametrize("text", MESSAGES)
def test_masked_text_keeps_no_protected_token(text):
    masked = protect(text)
    assert "{{" not in masked.text and "@" not in masked.text and "http" not in masked.text
    assert not regex.search(r"\d", regex.sub(r"⟦\d+⟧", "", masked.text))
    # Placeholders are numbered in order of appearance, once each.
    assert [int(n) for n in regex.findall(r"⟦(\d+)⟧", masked.text)] == list(range(len(masked.spans)))


def spans_of(text: str) -> list[tuple[str, str]]:
    return [(text[a:b], kind) for a, b, kind in find_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order #48213.", [("#48213", "number")]),
        ("code A-1234-XY", [("A-1234-XY", "number")]),
        ("UPS 1Z999AA10123456784", [("1Z999AA10123456784", "number")]),
        ("at 10:30, on 2024-05-01", [("10:30", "number"), ("2024-05-01", "number")]),
        ("$5.99 or €12,50 or 12.50 EUR", [("$5.99", "amount"), ("€12,50", "amount"), ("12.50 EUR", "amount")]),
        ("USD 20 and 15%", [("USD 20", "amount"), ("15%", "amount")]),
        ("1,299.00 items", [("1,299.00", "number")]),
        ("a 30-day return", [("30", "number")]),
        ("COVID-19 rules", [("COVID-19", "number")]),
        ("see https://x.com/a_(b).", [("https://x.com/a_(b)", "url")]),
        ("(https://example.org/path?q=1)", [("https://example.org/path?q=1", "url")]),
        ("go to www.example.com/x, now", [("www.example.com/x", "url")]),
        ("shop at example.com.", [("example.com", "url")]),
        ("shop at tienda.es/ofertas!", [("tienda.es/ofertas", "url")]),
        ("https://{{Website URL}}/help", [("https://{{Website URL}}/help", "url")]),
        ("mail Jane.Doe+x@mail.example.co.uk.", [("Jane.Doe+x@mail.example.co.uk", "email")]),
        ("ping @jane.doe!", [("@jane.doe", "mention")]),
        ("#BlackFriday deals", [("#BlackFriday", "hashtag")]),
        ("use #TAG# here", [("#TAG#", "placeholder")]),
        (
            "{{Order Number}} {name} {0} ${user}",
            [("{{Order Number}}", "slot"), ("{name}", "slot"), ("{0}", "slot"), ("${user}", "slot")],
        ),
        (
            "%s %d %.2f %1$s %(name)s %@",
            [
                ("%s", "placeholder"),
                ("%d", "placeholder"),
                ("%.2f", "placeholder"),
                ("%1$s", "placeholder"),
                ("%(name)s", "placeholder"),
                ("%@", "placeholder"),
            ],
        ),
        (
            "[[x]] and [NAME] and [Customer Name]",
            [("[[x]]", "slot"), ("[NAME]", "placeholder"), ("[Customer Name]", "placeholder")],
        ),
        ("flags 🇪🇸 family 👨‍👩‍👧 thumbs 👍🏽", [("🇪🇸", "emoji"), ("👨‍👩‍👧", "emoji"), ("👍🏽", "emoji")]),
        ("nice :) and :thumbsup:", [(":)", "emoji"), (":thumbsup:", "emoji")]),
    ],
)
def test_finds_protected_tokens(text, expected):
    assert spans_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "e.g. this, i.e. that, etc.",
        "U.S. and U.K. customers, Mr. Smith, a.m. and p.m.",
        "The order.It was late; thanks.Is it here?",
        "Run config.py and read notes.txt",
        "[Note] this is important",
        "50% off today",  # "off" must stay text
        "a snake_case name, an e-mail, a Wi-Fi code",
        "see section (b) and item [a]",
        "C# and F# developers",
        "{ } and { not a slot }",
    ],
)
def test_ordinary_words_stay_text(text):
    masked_words = [t for t, kind in spans_of(text) if kind != "amount"]
    assert masked_words == []
    assert "off" in protect(text).text or "off" not in text


def test_percent_is_an_amount_and_the_word_after_it_is_not():
    assert spans_of("50% off") == [("50%", "amount")]


def test_spans_separated_by_spaces_are_merged():
    masked = protect("Call +1 (555) 010-9999 now, or {{Order Number}} #48213 😀 please")
    assert [s.text for s in masked.spans] == ["+1 (555) 010-9999", "{{Order Number}} #48213 😀"]
    assert masked.spans[1].kinds == ("slot", "number", "emoji")
    assert masked.text == "Call ⟦0⟧ now, or ⟦1⟧ please"


def test_spans_on_separate_lines_are_not_merged():
    masked = protect("{{A}}\n{{B}}")
    assert masked.text == "⟦0⟧\n⟦1⟧"


def test_keep_terms_match_whole_words_exact_case_longest_first():
    masked = protect("Acme Cloud Pro beats acme cloud and AcmeCloud; Acme rocks.", keep=["Acme", "Acme Cloud Pro"])
    assert [(s.text, s.kind) for s in masked.spans] == [("Acme Cloud Pro", "term"), ("Acme", "term")]
    assert keep_pattern([]) is None
    assert keep_pattern(["", "  "]) is None


def test_keep_terms_with_punctuation():
    masked = protect("We use C++ and ASP.NET daily.", keep=["C++", ".NET", "ASP.NET"])
    assert [s.text for s in masked.spans] == ["C++", "ASP.NET"]


def test_literal_brackets_in_the_input_round_trip():
    text = "weird ⟦3⟧ input ⟦ ⟧⟧"
    masked = protect(text)
    assert regex.sub(r"⟦\d+⟧", "", masked.text).count("⟦") == 0
    assert restore(masked.text, masked).text == text


# -- engines that misbehave ------------------------------------------------------------------


def upper_words(text: str) -> str:
    """Stand-in for a translation: changes every word, leaves placeholders alone."""
    return regex.sub(r"\p{L}+", lambda m: m.group(0).upper(), text)


def test_translation_keeps_every_span():
    text = MESSAGES[0]
    masked = protect(text)
    restored = restore(upper_words(masked.text), masked)
    assert restored.text == (
        "YOUR ORDER {{Order Number}} (#48213) SHIPS ON 2024-05-01 AT 10:30. TRACK IT AT "
        "https://track.example.com/1Z999AA10123456784 OR WRITE TO support@acme.com 😀!"
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: regex.sub(r"⟦(\d+)⟧", r"⟦ \1 ⟧", t),
        lambda t: regex.sub(r"⟦(\d+)⟧", r"⟦\1 ⟧", t),
        lambda t: regex.sub(r"⟦(\d+)⟧", r" ⟦\1⟧ ", t).replace("  ", " ").strip(),
    ],
    ids=["spaces-inside", "space-before-close", "spaces-around"],
)
def test_respaced_placeholders_come_back_exact(mangle):
    text = "Order {{Order Number}}: ship (#48213), total $5.99."
    masked = protect(text)
    restored = restore(mangle(masked.text), masked)
    assert restored.text == text
    assert not restored.repaired


def test_space_removed_next_to_a_placeholder_is_put_back():
    masked = protect("Your order {{Order Number}} has shipped")
    assert restore("Su pedido⟦0⟧ha sido enviado", masked).text == "Su pedido {{Order Number}} ha sido enviado"


def test_lost_placeholder_at_the_end_of_a_sentence_goes_back_before_the_full_stop():
    masked = protect("Your order number is {{Order Number}}. Thanks!")
    restored = restore("Su número de pedido es. ¡Gracias!", masked)
    assert restored.text == "Su número de pedido es {{Order Number}}. ¡Gracias!"
    assert restored.lost == (Span(0, "{{Order Number}}", "slot"),)
    assert restored.repaired


def test_lost_placeholder_at_the_start_goes_back_at_the_start():
    masked = protect("{{Customer Name}}, your parcel left.")
    restored = restore("Su paquete salió.", masked)
    assert restored.text == "{{Customer Name}}, Su paquete salió." or restored.text.startswith("{{Customer Name}}")
    assert [s.text for s in restored.lost] == ["{{Customer Name}}"]


def test_lost_placeholder_mid_sentence_goes_back_between_its_neighbours():
    masked = protect("See {{A}} first, then check the long text about {{B}} and finally {{C}} here.")
    restored = restore("Vea ⟦0⟧ primero, luego revise el texto largo y finalmente ⟦2⟧ aquí.", masked)
    text = restored.text
    assert text.index("{{A}}") < text.index("{{B}}") < text.index("{{C}}")
    assert "  " not in text
    assert [s.text for s in restored.lost] == ["{{B}}"]


def test_lost_placeholder_stays_on_its_own_line():
    masked = protect("Line one.\nCall {{Phone}} today.\nLine three.")
    restored = restore("Línea uno.\nLlame hoy.\nLínea tres.", masked)
    assert restored.text.split("\n")[1].startswith("Llame") and "{{Phone}}" in restored.text.split("\n")[1]


def test_duplicated_placeholder_is_kept_once_and_reported():
    masked = protect("Order {{Order Number}} shipped.")
    restored = restore("Pedido ⟦0⟧ enviado ⟦0⟧.", masked)
    assert restored.text == "Pedido {{Order Number}} enviado."
    assert [s.text for s in restored.duplicated] == ["{{Order Number}}"]
    assert restored.repaired


def test_reordered_placeholders_follow_the_translation():
    masked = protect("Send {{A}} to {{B}}.")
    assert restore("Enviar a ⟦1⟧ el ⟦0⟧.", masked).text == "Enviar a {{B}} el {{A}}."


def test_unknown_indices_and_stray_brackets_never_reach_the_output():
    masked = protect("Order {{Order Number}} shipped.")
    restored = restore("Pedido ⟦0⟧ ⟦7⟧ enviado⟧ ⟦.", masked)
    assert "⟦" not in restored.text and "⟧" not in restored.text
    assert "{{Order Number}}" in restored.text
    assert restored.repaired and not restored.lost


def test_half_bracket_placeholder_is_recognised():
    masked = protect("Order {{Order Number}} shipped.")
    assert restore("Pedido ⟦0 enviado.", masked).text == "Pedido {{Order Number}} enviado."
    assert restore("Pedido 0⟧ enviado.", masked).text == "Pedido {{Order Number}} enviado."


def test_everything_lost_still_restores_every_span():
    text = "Call {{Phone}} or mail a@b.com, ref #123 😀"
    masked = protect(text)
    restored = restore("Llame o escriba, ref", masked)
    for span in masked.spans:
        assert restored.text.count(span.text) == 1
    assert len(restored.lost) == len(masked.spans)


def test_restore_without_spans_drops_invented_placeholders():
    masked = protect("Hello there")
    assert masked.spans == ()
    assert restore("Hola ⟦0⟧ allí", masked).text == "Hola  allí"


def test_unknown_format_lists_the_valid_ones():
    with pytest.raises(ValueError, match="html, markdown, text"):
        protect("x", "rtf")  # type: ignore[arg-type]


def test_masked_is_frozen():
    masked = protect("x {{y}}")
    assert isinstance(masked, Masked)
    with pytest.raises(AttributeError):
        masked.text = "z"  # type: ignore[misc]


# -- through the segmenter, as the pipeline does ----------------------------------------------


@pytest.mark.parametrize("text", MESSAGES)
def test_protect_split_join_restore_round_trips(text):
    masked = protect(text)
    segmented = split(masked.text, "en")
    assert restore(join(segmented, segmented.sentences), masked).text == text


# -- properties -------------------------------------------------------------------------------

# Text drawn mostly from characters that matter to the detectors, so collisions are frequent.
PIECES = [
    *"ab Z09#@$€%{}[]()<>&;:/.,-_*`|!?\n\t⟦⟧'\"é",
    "😀",
    "🇪🇸",
    "\u200d",
    "{{",
    "}}",
    "http://",
    "www.",
    ".com",
    "&amp;",
    "<b>",
    "</p>",
    "**",
    "[x](",
    ":)",
    "%s",
    "12",
    "Order",
    "EUR",
    "\r\n",
]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), TRICKY))
def test_identity_round_trip_for_any_text(text):
    masked = protect(text)
    assert restore(masked.text, masked).text == text


@settings(max_examples=300, deadline=None)
@given(TRICKY, st.randoms(use_true_random=False))
def test_chaotic_engine_keeps_each_span_exactly_once(text, rnd: random.Random):
    masked = protect(text)
    garbled = chaos(masked.text, rnd)
    restored = restore(garbled, masked)
    for span in masked.spans:
        assert span.text in restored.text
    # Every bracket in the output came from the source: no stray placeholder survives.
    assert restored.text.count("⟦") == text.count("⟦")
    assert restored.text.count("⟧") == text.count("⟧")


def chaos(text: str, rnd: random.Random) -> str:
    """Drop, duplicate, respace and reorder placeholders the way real engines do."""
    tokens = regex.split(r"(⟦\d+⟧)", text)
    out: list[str] = []
    for tok in tokens:
        if not regex.fullmatch(r"⟦\d+⟧", tok):
            out.append(upper_words(tok))
            continue
        roll = rnd.random()
        if roll < 0.15:
            continue  # dropped
        if roll < 0.3:
            out.append(tok + " " + tok)  # duplicated
        elif roll < 0.45:
            out.append(" " + tok.replace("⟦", "⟦ ").replace("⟧", " ⟧") + " ")
        elif roll < 0.55 and out:
            out.insert(rnd.randrange(len(out)), tok)  # moved
        else:
            out.append(tok)
    if rnd.random() < 0.2:
        out.append(" ⟦99⟧ ⟧")
    return "".join(out)


def _finder(pairs):
    """A term finder like the gateway's: each (source, output) found as a whole word, case-insensitively."""

    def find(text):
        out = []
        for source, output in pairs:
            for m in regex.finditer(rf"(?<!\w){regex.escape(source)}(?!\w)", text, regex.IGNORECASE):
                out.append((m.start(), m.end(), output))
        return out

    return find


def test_glossary_terms_are_masked_and_restored_as_their_target():
    masked = protect(
        "Your order ships. Shop Pay works. order it", terms=_finder([("order", "pedido"), ("Shop Pay", None)])
    )
    assert [(s.text, s.output) for s in masked.spans] == [("order", "pedido"), ("Shop Pay", None), ("order", "pedido")]
    engine_out = (
        masked.text.replace("Your", "Su").replace("ships", "sale").replace("works", "funciona").replace(" it", " lo")
    )
    assert restore(engine_out, masked).text == "Su pedido sale. Shop Pay funciona. Pedido lo"


def test_glossary_terms_win_over_generic_detectors():
    masked = protect("Use HOLIDAY25 today", terms=_finder([("HOLIDAY25", None)]))
    assert [(s.text, s.kind) for s in masked.spans] == [("HOLIDAY25", "term")]
