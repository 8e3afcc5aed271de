"""Spanish register rules: tú / vosotros ↔ usted / ustedes, with verb forms regenerated."""

from __future__ import annotations

from collections.abc import Sequence

from glossary.tone.core import (
    _CLAUSE_END,
    Register,
    _adjacent,
    _Find,
    _fix,
    _Lex,
    _next_word,
    _p2_finite,
    _p3_singular,
    _Part,
    _Reading,
    _recase,
    _regenerate,
    _report,
    _second_person,
    _Tok,
    _Transform,
)

# --- Spanish --------------------------------------------------------------------------------------

_ES_POSSESSIVE = {"tu": "su", "tus": "sus", "tuyo": "suyo", "tuya": "suya", "tuyos": "suyos", "tuyas": "suyas"}
_ES_VUESTRO = {
    "vuestro": ("su", "suyo"),
    "vuestra": ("su", "suya"),
    "vuestros": ("sus", "suyos"),
    "vuestras": ("sus", "suyas"),
}
_ES_ARTICLES = frozenset("el la los las lo un una unos unas".split())
# After these a possessive is not a determiner ("un amigo vuestro de ...").
_ES_FUNCTION = frozenset("a al de del en con para por y e o u ni que como cuando si es son está están".split())
_ES_PREPOSITIONS = frozenset("a ante bajo contra de desde en entre hacia hasta para por según sin sobre tras".split())
_ES_CLITICS = frozenset("me te se nos os lo la los las le les".split())
_ES_ADVERBS = frozenset("no ya también tampoco solo sólo siempre nunca".split())
_ES_NOUN_CONTEXT = _ES_PREPOSITIONS | frozenset(
    "el un una unos unas mis tus sus nuestros nuestras vuestros vuestras estos estas esos esas aquellos aquellas "
    "del al".split()
)
_ES_SE = _Part("se", ("prn", "enc", "ref", "p3", "mf", "sp"))


def _check_es(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    return _es_formal(toks, lex) if register == "formal" else _es_informal(toks, lex)


def _es_formal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if w in _ES_POSSESSIVE:
            finds.append(_fix(t, _ES_POSSESSIVE[w], f"informal possessive '{w}'"))
        elif w in _ES_VUESTRO:
            finds.append(_fix(t, _es_vuestro(toks, i), f"informal possessive '{w}'"))
        elif w == "ti":
            finds.append(_fix(t, "usted", "informal pronoun 'ti'"))
        elif w == "contigo":
            finds.append(_fix(t, "con usted", "informal pronoun 'contigo'"))
        elif w in ("tú", "vosotros", "vosotras"):
            finds += _es_subject(toks, i, lex, done)
        elif w in ("te", "os"):
            finds += _es_proclitic(toks, i, lex, done)
        elif w == "vos":
            finds.append(_report(t, "informal 'vos' (voseo): rewrite with usted"))
        elif lex.available:
            v = _regenerate(lex, t, _second_person(toks, i, _ES_NOUN_CONTEXT), _es_formalise(toks, i, lex))
            if v.status == "fixed" and v.form:
                finds.append(_Find(t.start, t.end, v.form, f"informal verb form '{w}'"))
            elif v.status == "stuck":
                finds.append(_report(t, f"informal verb form '{w}': no safe rewrite"))
    return finds


def _es_vuestro(toks: list[_Tok], i: int) -> str:
    determiner, pronoun = _ES_VUESTRO[toks[i].low]
    if _adjacent(toks, i) and toks[i - 1].low in _ES_ARTICLES:
        return pronoun  # "el vuestro"
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    # Before a noun (or a {{slot}}) it is a determiner; at a clause end or before "de" a pronoun.
    if nxt is None or _CLAUSE_END.search(nxt.gap) or nxt.initial or nxt.low in _ES_FUNCTION:
        return pronoun
    return determiner


def _es_formalise(toks: list[_Tok], i: int, lex: _Lex) -> _Transform:
    """p2 → p3 (tú → usted, vosotros → ustedes); an enclitic te/os becomes se or le/les."""

    def transform(r: _Reading) -> str | None:
        clitics = []
        for c in r.parts[1:]:
            if "p2" not in c.tags:
                clitics.append(c)
                continue
            # With a 2nd-person verb te/os is reflexive ("regístrate"); on an infinitive or gerund
            # the clause decides ("puedes registrarte" vs "podemos ayudarte").
            reflexive = r.person == "p2" if r.finite else _es_reflexive(toks, i, lex)
            if reflexive is None:
                return None
            number = "pl" if "pl" in c.tags else "sg"
            clitics.append(_ES_SE if reflexive else _Part("prpers", ("prn", "enc", "p3", "mf", number)))
        return r.with_parts(r.head.swap("p2", "p3"), clitics)

    return transform


def _es_reflexive(toks: list[_Tok], i: int, lex: _Lex) -> bool | None:
    """Whether an enclitic te/os on the infinitive at i names its own subject, judged by the clause.

    The nearest finite verb before it decides ("puedes registrarte" → se, "podemos ayudarte" → le),
    else the first one after it ("Para ayudarte, necesitamos …" → le); None when unsure.
    """
    for k in range(i - 1, -1, -1):
        rs = lex.readings(toks[k].low)
        if rs and all(r.verb for r in rs) and any(not r.finite and r.has("p2") for r in rs):
            return True  # "ayudarte a registrarte": the first te is the second verb's subject
        persons = _finite_persons(rs)
        if persons is not None:
            if "p2" in persons:
                return True if persons == {"p2"} else None
            # "te recomiendo registrarte": the object of the main verb does the registering.
            return _adjacent(toks, k) and toks[k - 1].low in ("te", "os")
        if toks[k].initial:
            break
    for k in range(i + 1, len(toks)):
        if toks[k].initial:
            break
        persons = _finite_persons(lex.readings(toks[k].low))
        if persons is not None:
            return None if "p2" in persons and persons != {"p2"} else persons == {"p2"}
    return None


def _finite_persons(readings: Sequence[_Reading]) -> set[str] | None:
    """The persons of a word that is certainly a finite verb; None for anything else."""
    verbs = [r for r in readings if r.verb]
    if not verbs or not all(r.finite for r in verbs):
        return None
    auxiliary = [r for r in verbs if r.head.tags[0] in ("vbser", "vbhaver", "vbmod")]
    if len(verbs) < len(readings) and not auxiliary:
        return None  # also a noun or a preposition ("para"); "son" is still ser
    # Modal and auxiliary verbs are never commands: "puede" is not "you, be able!".
    return {r.person for r in verbs if not (r.imperative and r in auxiliary)} or None


def _es_subject(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    repl = "usted" if t.low == "tú" else "ustedes"
    detail = f"informal pronoun '{t.low}'"
    if not lex.available:
        return [_report(t, detail + ": the verb must agree; no morphology to rewrite it")]
    j = _next_word(toks, i, _ES_ADVERBS | _ES_CLITICS)
    if j is None or not lex.is_verb(toks[j].low):
        return [_fix(t, repl, detail)]
    relevant = _p2_finite("pl" if t.low != "tú" else "sg")
    v = _regenerate(lex, toks[j], relevant, _es_formalise(toks, j, lex), forced=True)
    if v.status == "none":
        return [_fix(t, repl, detail)]
    done.add(j)
    if v.status == "fixed" and v.form:
        return [_fix(t, repl, detail), _Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
    return [_report(t, detail), _report(toks[j], f"informal verb form '{toks[j].low}': no safe rewrite")]


def _es_proclitic(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    plural = t.low == "os"
    detail = f"informal pronoun '{t.low}'"
    j = i + 1
    if not _adjacent(toks, j):
        return [_report(t, detail)]
    if toks[j].low in ("lo", "la", "los", "las"):
        return [_fix(t, "se", detail)]  # te lo / os lo → se lo, whoever it is for
    if not lex.available:
        return [_report(t, detail + ": le or se depends on the verb; no morphology")]
    # A verb after a proclitic is never an affirmative imperative.
    readings = [r for r in lex.readings(toks[j].low) if not r.imperative]
    if not readings and lex.readings(toks[j].low):
        done.add(j)  # "te ten": not Spanish; leave both for an editor
        return [_report(t, detail), _report(toks[j], f"informal command '{toks[j].low}' after '{t.low}'")]
    if not readings or not all(r.finite for r in readings):
        return [_report(t, detail)]
    persons = {r.person for r in readings}
    if "p2" not in persons:
        return [_fix(t, "les" if plural else "le", detail)]
    if persons != {"p2"}:
        return [_report(t, detail)]
    # Reflexive: "te preocupes" → "se preocupe"; only together with the verb.
    relevant = _p2_finite("pl" if plural else "sg")
    v = _regenerate(lex, toks[j], relevant, _es_formalise(toks, j, lex), forced=True)
    verb_seen = j in done  # "tú te registras": the subject already rewrote (or reported) the verb
    done.add(j)
    if v.status == "fixed" and v.form:
        verb = [] if verb_seen else [_Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
        return [_fix(t, "se", detail), *verb]
    verb = [] if verb_seen else [_report(toks[j], f"informal verb form '{toks[j].low}': no safe rewrite")]
    return [_report(t, detail), *verb]


def _es_informalise(r: _Reading) -> str | None:
    """usted → tú: p3 sg → p2 sg; a reflexive enclitic se becomes te."""
    clitics = list(r.parts[1:])
    for n, c in enumerate(clitics):
        if c.lemma == "se":
            if n + 1 < len(clitics):
                return None  # "envíeselo": se stands for le here, not for usted
            clitics[n] = _Part("prpers", ("prn", "enc", "p2", "mf", "sg"))
    return r.with_parts(r.head.swap("p3", "p2"), clitics)


def _es_informal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if w == "usted":
            finds += _es_usted(toks, i, lex, done)
        elif w in ("ud", "vd", "uds", "vds") and t.after.startswith("."):
            finds.append(_report(t, f"formal abbreviation '{t.text}'"))
        elif lex.available:
            readings = lex.readings(w)
            # Only a word that is certainly a command: "Regístrese", "Contáctenos" (not "Contacte").
            if readings and all(r.imperative for r in readings) and any(r.person == "p3" for r in readings):
                sg = lambda r: r.person == "p3" and r.number == "sg"  # noqa: E731 — ustedes is both registers
                v = _regenerate(lex, t, sg, _es_informalise, forced=True)
                if v.status == "fixed" and v.form:
                    finds.append(_Find(t.start, t.end, v.form, f"formal command '{w}'"))
                elif v.status == "stuck":
                    finds.append(_report(t, f"formal command '{w}': no safe rewrite"))
    return finds


def _es_usted(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    detail = "formal pronoun 'usted'"
    prev = toks[i - 1] if _adjacent(toks, i) else None
    if prev is not None and prev.low == "con":
        return [_Find(prev.start, t.end, _recase(prev.text, "contigo", prev.initial), detail)]
    if prev is not None and prev.low in _ES_PREPOSITIONS:
        return [_fix(t, "ti", detail)]
    if not lex.available:
        return [_report(t, detail + ": the verb must agree; no morphology to rewrite it")]
    between: list[int] = []
    if prev is not None and any(_p3_singular(r) for r in lex.readings(prev.low)):
        j: int | None = i - 1  # "¿Puede usted …?"
    else:
        j = _next_word(toks, i, _ES_ADVERBS | _ES_CLITICS)
        between = list(range(i + 1, j)) if j is not None else []
    if j is None or not lex.is_verb(toks[j].low):
        return [_fix(t, "tú", detail)]
    v = _regenerate(lex, toks[j], _p3_singular, _es_informalise, forced=True)
    if v.status == "none":
        return [_fix(t, "tú", detail)]
    done.add(j)
    se = [k for k in between if toks[k].low == "se"]
    ambiguous_se = any(toks[k + 1].low in ("lo", "la", "los", "las") for k in se)
    if v.status != "fixed" or not v.form or ambiguous_se:
        return [_report(t, detail), _report(toks[j], f"formal verb form '{toks[j].low}' with usted")]
    finds = [_fix(t, "tú", detail), _Find(toks[j].start, toks[j].end, v.form, f"formal verb form '{toks[j].low}'")]
    return finds + [_fix(toks[k], "te", "formal reflexive 'se' with usted") for k in se]
