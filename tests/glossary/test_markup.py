"""HTML and markdown: markup kept verbatim, text nodes translated, entities and layout exact."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary.markup import decode_html, encode_html, entity_spellings, html_pieces, markdown_pieces
from glossary.protect import protect, restore
from glossary.segment import join, split_masked


def upper_words(text: str) -> str:
    return regex.sub(r"\p{L}+", lambda m: m.group(0).upper(), text)


def translate(text: str, fmt: str, engine=upper_words, lang: str = "en") -> str:
    """protect → split → "translate" each sentence → join → restore, as the pipeline does."""
    masked = protect(text, fmt)  # type: ignore[arg-type]
    segmented = split_masked(masked, lang)
    return restore(join(segmented, [engine(s) for s in segmented.sentences]), masked).text


# -- HTML -------------------------------------------------------------------------------------

HTML = (
    '<div class="reply">\n'
    '  <p>Hi <b>Anna</b>, your order <a href="https://shop.example.com/o?id=7&amp;v=2" title="Order">'
    "{{Order Number}}</a> has shipped.</p>\n"
    "  <p>Q&amp;A: 5 &lt; 6 &amp; caf&eacute; &nbsp;open</p>\n"
    "  <script>if (a < b && c) { alert('<b>hi</b>'); }</script>\n"
    "  <style>p > b { color: red }</style>\n"
    "  <pre>keep\n   this</pre><p>Run <code>ls -la</code> now.<br>Second line.</p>\n"
    "  <!-- a comment -->\n"
    "</div>"
)


def test_html_identity_round_trip():
    masked = protect(HTML, "html")
    assert restore(masked.text, masked).text == HTML
    assert translate(HTML, "html", engine=lambda s: s) == HTML


def test_html_translation_keeps_tags_attributes_scripts_and_code():
    out = translate(HTML, "html")
    assert '<a href="https://shop.example.com/o?id=7&amp;v=2" title="Order">{{Order Number}}</a>' in out
    assert "<script>if (a < b && c) { alert('<b>hi</b>'); }</script>" in out
    assert "<style>p > b { color: red }</style>" in out
    assert "<pre>keep\n   this</pre>" in out
    assert "<code>ls -la</code>" in out
    assert "<!-- a comment -->" in out
    assert "HI <b>ANNA</b>, YOUR ORDER" in out
    # Entities come back in the source's spelling after the text was decoded for the engine.
    assert "Q&amp;A: 5 &lt; 6 &amp; CAFÉ" in out
    assert "&nbsp;OPEN" in out
    assert out.count("\n") == HTML.count("\n")


def test_html_engine_sees_decoded_text():
    masked = protect("<p>Fish &amp; chips &lt;3 caf&eacute;</p>", "html")
    assert "Fish & chips" in masked.text
    assert "café" in masked.text


def test_html_block_tags_and_br_split_sentences_inline_tags_do_not():
    masked = protect("<p>Click <b>here</b> now</p><p>Second<br>Third</p>", "html")
    segmented = split_masked(masked, "en")
    assert segmented.sentences == ("Click ⟦1⟧here⟦2⟧ now", "Second", "Third")


def test_html_newlines_inside_a_paragraph_do_not_split_it():
    masked = protect("<p>This sentence is\n   wrapped by the editor.</p>", "html")
    assert split_masked(masked, "en").sentences == ("This sentence is\n   wrapped by the editor.",)


def test_html_characters_introduced_by_the_translation_are_escaped():
    masked = protect("<p>Terms and conditions</p>", "html")
    restored = restore("⟦0⟧Términos & condiciones <ok>⟦1⟧", masked)
    assert restored.text == "<p>Términos &amp; condiciones &lt;ok&gt;</p>"


def test_html_mixed_entity_spellings_stay_exact():
    text = "<p>don&#39;t, don't, don&apos;t &amp; Tom & Jerry</p>"
    masked = protect(text, "html")
    assert restore(masked.text, masked).text == text
    # Each spelling that differs from the usual one is masked, so it survives translation too.
    assert translate(text, "html") == "<p>DON&#39;T, DON'T, DON&apos;T &amp; TOM & JERRY</p>"


def test_html_unclosed_script_and_broken_tags_round_trip():
    for text in ["<p>a <script>never closed", "a < b > c", "<a href='x>y", "<<NAME>> hi", "&bogus; &#99999999;"]:
        masked = protect(text, "html")
        assert restore(masked.text, masked).text == text


def test_html_pieces_mark_blocks_and_opaque_elements():
    pieces = html_pieces("<p>Hi <i>you</i></p><pre>x<b>y</b></pre>")
    assert [(p.text, p.markup, p.brk) for p in pieces] == [
        ("<p>", True, True),
        ("Hi ", False, False),
        ("<i>", True, False),
        ("you", False, False),
        ("</i>", True, False),
        ("</p>", True, True),
        ("<pre>x<b>y</b></pre>", True, True),
    ]


def test_entity_helpers():
    spellings = entity_spellings(["a &amp; b", "c & d &amp; e", "&lt;"])
    assert spellings == {"&": "&amp;", "<": "&lt;"}
    decoded = decode_html("c & d &amp; e", spellings)
    assert decoded.text == "c & d & e" and decoded.forced == ((2, 3),)
    assert encode_html("x & y < z > w", spellings) == "x &amp; y &lt; z &gt; w"


# -- markdown ---------------------------------------------------------------------------------

MARKDOWN = """# Your order {{Order Number}}

Hi **Anna**, your order has *shipped*! Track it [on our site](https://shop.example.com/t?id=7 "Tracking").
Use `tonegate --help` or see ![the map](img/map.png).

```python
print("do not translate")
```

    indented code stays

1. Log in to your account.
2. Go to **Orders** > _History_.
   - nested item with a_snake_case name
- [ ] an open task

> Quoted reply with a\\*literal star.

| Item | Price |
|------|------:|
| Mug  | $5.99 |

[ref]: https://example.com/ref
Setext heading
--------------
"""


def test_markdown_identity_round_trip():
    masked = protect(MARKDOWN, "markdown")
    assert restore(masked.text, masked).text == MARKDOWN
    assert translate(MARKDOWN, "markdown", engine=lambda s: s) == MARKDOWN


def test_markdown_translation_keeps_syntax_code_and_link_urls():
    out = translate(MARKDOWN, "markdown")
    assert out.startswith("# YOUR ORDER {{Order Number}}\n\n")
    link = '[ON OUR SITE](https://shop.example.com/t?id=7 "Tracking")'
    assert f"HI **ANNA**, YOUR ORDER HAS *SHIPPED*! TRACK IT {link}." in out
    assert "`tonegate --help`" in out and "![THE MAP](img/map.png)" in out
    assert '```python\nprint("do not translate")\n```' in out
    assert "    indented code stays" in out
    assert "1. LOG IN TO YOUR ACCOUNT.\n2. GO TO **ORDERS** > _HISTORY_." in out
    assert "   - NESTED ITEM WITH A_SNAKE_CASE NAME" in out  # underscores inside a word are not emphasis
    assert "- [ ] AN OPEN TASK" in out
    assert "> QUOTED REPLY WITH A\\*LITERAL STAR." in out
    assert "| ITEM | PRICE |\n|------|------:|\n| MUG  | $5.99 |" in out
    assert "[ref]: https://example.com/ref" in out
    assert out.count("\n") == MARKDOWN.count("\n")


def test_markdown_table_cells_are_separate_sentences():
    masked = protect("| Item | Price |\n|---|---|\n| Mug | 5 |\n", "markdown")
    assert split_masked(masked, "en").sentences == ("Item", "Price", "Mug")


def test_markdown_emphasis_spacing_added_by_an_engine_is_undone():
    masked = protect("This is **very important** now.", "markdown")
    assert masked.text == "This is ⟦0⟧very important⟦1⟧ now."
    restored = restore("Esto es ⟦0⟧ muy importante ⟦1⟧ ahora.", masked)
    assert restored.text == "Esto es **muy importante** ahora."


def test_markdown_pieces_are_lossless_with_crlf():
    text = "# T\r\n\r\n- a\r\n```\r\ncode\r\n```\r\nend"
    assert "".join(p.text for p in markdown_pieces(text)) == text
    masked = protect(text, "markdown")
    assert restore(masked.text, masked).text == text
    assert any(s.text == "```\r\ncode\r\n```" for s in masked.spans)


# -- properties -------------------------------------------------------------------------------

HTML_PIECES = [
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<br>",
    "<a href='x?a=1&amp;b'>",
    "</a>",
    "<script>",
    "</script>",
    "<pre>",
    "</pre>",
    "<!--",
    "-->",
    "&amp;",
    "&lt;",
    "&nbsp;",
    "&#39;",
    "&eacute;",
    "&#10214;",
    "&",
    "<",
    ">",
    "'",
    " ",
    "\n",
    "Hi",
    "order",
    "{{Order Number}}",
    "#123",
    "⟦",
    "⟧",
    "😀",
    ".",
    "x@y.com",
]
MD_PIECES = [
    "# ",
    "**",
    "*",
    "_",
    "`",
    "```",
    "\n",
    "    ",
    "- ",
    "1. ",
    "> ",
    "[",
    "](",
    ")",
    "![",
    "|",
    "---",
    "\\",
    "<br>",
    " ",
    "Hi",
    "order",
    "{{Order Number}}",
    "#12",
    "⟦",
    "⟧",
    "https://x.com",
    "\r",
]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=150), st.lists(st.sampled_from(HTML_PIECES), max_size=40).map("".join)))
def test_html_round_trip_for_any_text(text):
    assert "".join(p.text for p in html_pieces(text)) == text
    masked = protect(text, "html")
    assert restore(masked.text, masked).text == text
    assert translate(text, "html", engine=lambda s: s) == text


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=150), st.lists(st.sampled_from(MD_PIECES), max_size=40).map("".join)))
def test_markdown_round_trip_for_any_text(text):
    assert "".join(p.text for p in markdown_pieces(text)) == text
    masked = protect(text, "markdown")
    assert restore(masked.text, masked).text == text
    assert translate(text, "markdown", engine=lambda s: s) == text


@pytest.mark.parametrize("fmt", ["html", "markdown"])
@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.sampled_from(HTML_PIECES + MD_PIECES), max_size=40).map("".join))
def test_translated_markup_keeps_every_span(fmt, text):
    masked = protect(text, fmt)
    out = translate(text, fmt)
    for span in masked.spans:
        assert span.text in out
