"""German and Dutch register rules: du ↔ Sie, jij / je ↔ u (possessives fixed, the rest reported)."""

from __future__ import annotations

from glossary.tone.core import (
    Register,
    _adjacent,
    _Find,
    _fix,
    _Lex,
    _report,
    _sentence_ids,
    _Tok,
)

# --- German ---------------------------------------------------------------------------------------

_DE_POSSESSIVE = {
    **{f"dein{e}": f"Ihr{e}" for e in ("", "e", "en", "em", "er", "es")},
    **{
        f"eu{s}": f"Ihr{e}"
        for s, e in (("er", ""), ("re", "e"), ("ren", "en"), ("rem", "em"), ("rer", "er"), ("res", "es"))
    },
}
_DE_INFORMAL = {"du": "Sie", "dich": "Sie / sich", "dir": "Ihnen / sich", "euch": "Sie / Ihnen / sich"}
_DE_COURTESY = {f"Ihr{e}": f"dein{e}" for e in ("", "e", "en", "em", "er", "es")}


def _check_de(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    if register == "formal":
        for t in toks:
            if t.low in _DE_POSSESSIVE:
                finds.append(_fix(t, _DE_POSSESSIVE[t.low], f"informal possessive '{t.text}'"))
            elif t.low in _DE_INFORMAL:
                finds.append(_report(t, f"informal '{t.text}': use {_DE_INFORMAL[t.low]} (the verb must agree)"))
        return finds
    sent = _sentence_ids(toks)
    # Mid-sentence capitals are courtesy forms; lower-case sie/ihr are she/they/her, and a
    # sentence-initial Sie counts only beside another courtesy capital.
    courtesy = {sent[i] for i, t in enumerate(toks) if not t.initial and t.text in {"Sie", "Ihnen", *_DE_COURTESY}}
    addressed = {sent[i] for i, t in enumerate(toks) if t.text in ("Sie", "Ihnen")}
    for i, t in enumerate(toks):
        if t.text in ("Sie", "Ihnen") and (not t.initial or sent[i] in courtesy):
            finds.append(_report(t, f"formal '{t.text}': use du / dich / dir (the verb must agree)"))
        elif t.text in _DE_COURTESY and not t.initial:
            nxt = toks[i + 1] if _adjacent(toks, i + 1) else None
            # "Ihr Konto", "Ihre neue Adresse"; "Ihr habt" (old-style capitalised ihr) is not a possessive.
            possessive = nxt is not None and (nxt.text[:1].isupper() or nxt.low.endswith(("e", "en", "er", "es", "em")))
            # "dein" beside a Sie left as it is would mix the registers: then only report.
            if possessive and sent[i] not in addressed:
                finds.append(_fix(t, _DE_COURTESY[t.text], f"formal possessive '{t.text}'", courtesy=True))
            else:
                finds.append(_report(t, f"formal '{t.text}'"))
    return finds


# --- Dutch ----------------------------------------------------------------------------------------

_NL_FIX = {"jouw": "uw", "jou": "u", "jouwe": "uwe"}
_NL_REPORT = {"je": "u / uw", "jullie": "u / uw", "jezelf": "uzelf", "jij": "u"}
_NL_CLAUSE_OPENERS = frozenset(
    "als dat omdat wanneer zodat of terwijl nadat voordat tenzij zoals indien hoewel want en maar dus zodra".split()
)


def _check_nl(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    sent = _sentence_ids(toks)
    addressed = {sent[i] for i, t in enumerate(toks) if t.low in ("u", "uzelf")}
    for i, t in enumerate(toks):
        w = t.low
        if register == "formal":
            if w in _NL_FIX:
                finds.append(_fix(t, _NL_FIX[w], f"informal '{w}'"))
            elif w == "jij" and (t.initial or t.gap.strip() == "," or toks[i - 1].low in _NL_CLAUSE_OPENERS):
                # Before its verb, jij takes the same form as u ("jij hebt" / "u hebt"); after it
                # ("heb jij") the verb loses its -t, so that case is only reported.
                finds.append(_fix(t, "u", "informal pronoun 'jij'"))
            elif w in _NL_REPORT:
                finds.append(_report(t, f"informal '{w}': use {_NL_REPORT[w]}"))
        elif w in ("uw", "uwe"):
            # "jouw" beside a u left as it is would mix the registers: then only report.
            detail = f"formal possessive '{w}'"
            fixable = sent[i] not in addressed
            finds.append(_fix(t, "jouw" if w == "uw" else "jouwe", detail) if fixable else _report(t, detail))
        elif w in ("u", "uzelf"):
            finds.append(_report(t, f"formal '{w}': use jij / je / jou (the verb may change)"))
    return finds
