"""Italian, French and Portuguese register rules: tu ↔ Lei, tu ↔ vous, tu / você ↔ o senhor."""

from __future__ import annotations

from glossary.tone.core import (
    Register,
    _adjacent,
    _Find,
    _fix,
    _Lex,
    _next_word,
    _p2_finite,
    _p3_singular,
    _person_swap,
    _question,
    _regenerate,
    _report,
    _second_person,
    _sentence_ids,
    _Tok,
    _Verb,
)

# --- Italian --------------------------------------------------------------------------------------

_IT_POSSESSIVE = {"tuo": "Suo", "tua": "Sua", "tuoi": "Suoi", "tue": "Sue"}
_IT_COURTESY = {"Suo": "tuo", "Sua": "tua", "Suoi": "tuoi", "Sue": "tue"}
_IT_CLITICS = frozenset("mi ti ci si vi lo la li le ne gli".split())
_IT_PREPOSITIONS = frozenset("a con da di in per su tra fra senza verso come".split())
_IT_NOUN_CONTEXT = (_IT_PREPOSITIONS - {"come"}) | frozenset(
    "il i un uno una l' dei degli delle del dello della dell' al ai agli alle alla allo nel nei negli nelle nella "
    "dal dai dagli dalle dalla sul sui sugli sulle sulla miei tuoi suoi nostri vostri questi queste quei quegli "
    "quelle".split()
)


def _check_it(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    return _it_formal(toks, lex) if register == "formal" else _it_informal(toks, lex)


def _it_formal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if w in _IT_POSSESSIVE:
            finds.append(_fix(t, _IT_POSSESSIVE[w], f"informal possessive '{w}'"))
        elif w == "te" and _adjacent(toks, i) and toks[i - 1].low in _IT_PREPOSITIONS:
            finds.append(_fix(t, "Lei", "informal pronoun 'te'"))
        elif w == "te":
            finds.append(_report(t, "informal pronoun 'te'"))
        elif w in ("tu", "ti"):
            finds += _it_unit(toks, i, lex, done)
        elif lex.available:
            v = _regenerate(lex, t, _second_person(toks, i, _IT_NOUN_CONTEXT), _person_swap("p2", "p3"))
            readings = lex.readings(w)
            modal = any(r.head.tags[0] in ("vbmod", "vbser", "vbhaver") for r in readings)
            present = any("pri" in r.head.tags for r in readings)
            if v.status == "fixed" and t.initial and present and not modal and not _question(toks, i):
                # A present tense opening a statement may be a command: "Scrivi a noi" → "Scriva".
                v = _Verb("stuck")
            finds += _verb_find(t, v, "informal")
    return finds


def _it_informal(toks: list[_Tok], lex: _Lex) -> list[_Find]:
    sent = _sentence_ids(toks)
    # Mid-sentence capitals are courtesy forms; lower-case lei/suo are also she/his/her, and a
    # sentence-initial Lei counts only beside another courtesy capital.
    courtesy = {sent[i] for i, t in enumerate(toks) if not t.initial and t.text in {"Lei", *_IT_COURTESY}}
    finds: list[_Find] = []
    possessives: list[int] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        if i in done:
            continue
        if t.text == "Lei" and not t.initial:
            finds += _it_lei(toks, i, lex, done)
        elif t.text == "Lei" and sent[i] in courtesy:
            finds.append(_report(t, "formal pronoun 'Lei'"))
        elif t.text in ("La", "Le") and t.initial and sent[i] in courtesy and _adjacent(toks, i + 1):
            if lex.readings(toks[i + 1].low) and all(r.finite for r in lex.readings(toks[i + 1].low)):
                finds.append(_report(t, f"formal pronoun '{t.text}'"))  # "La ringraziamo per la Sua …"
        elif t.initial:
            continue
        elif t.text in _IT_COURTESY:
            possessives.append(i)
        elif t.text in ("La", "Le", "Glielo", "Gliela") and _adjacent(toks, i + 1) and toks[i + 1].text[:1].islower():
            finds.append(_report(t, f"formal pronoun '{t.text}'"))
    # "tuo" beside a Lei left as it is would mix the registers: then only report.
    stuck = {sent[i] for i, t in enumerate(toks) for f in finds if f.replacement is None and f.start == t.start}
    for i in possessives:
        t = toks[i]
        detail = f"formal possessive '{t.text}'"
        fix = sent[i] not in stuck
        finds.append(_fix(t, _IT_COURTESY[t.text], detail, courtesy=True) if fix else _report(t, detail))
    return finds


def _verb_find(t: _Tok, v: _Verb, register: str) -> list[_Find]:
    if v.status == "fixed" and v.form:
        return [_Find(t.start, t.end, v.form, f"{register} verb form '{t.low}'")]
    if v.status == "stuck":
        return [_report(t, f"{register} verb form '{t.low}': no safe rewrite")]
    return []


def _it_unit(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    """tu / ti + verb: tu → Lei, reflexive ti → si, verb p2 → p3, all together or not at all."""
    t = toks[i]
    alone = [_fix(t, "Lei", "informal pronoun 'tu'")] if t.low == "tu" else [_report(t, "informal 'ti' (La or Le?)")]
    if not lex.available:
        return [_report(t, f"informal pronoun '{t.low}': the verb must agree; no morphology")]
    j = _next_word(toks, i, _IT_CLITICS | {"non"})
    if j is None or not lex.is_verb(toks[j].low):
        return alone
    indicative = not (_adjacent(toks, i) and toks[i - 1].low == "che")
    v = _regenerate(lex, toks[j], _p2_finite("sg"), _person_swap("p2", "p3"), forced=True, indicative=indicative)
    if v.status == "none":  # the verb is not 2nd person: tu stands alone, ti is an object
        return alone
    ti = [k for k in range(i, j) if toks[k].low == "ti"]
    done.update(range(i, j + 1))
    if v.status != "fixed" or not v.form:
        return [_report(toks[k], f"informal '{toks[k].low}': no safe rewrite") for k in sorted({i, *ti, j})]
    finds = [_Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
    if t.low == "tu":
        finds.append(_fix(t, "Lei", "informal pronoun 'tu'"))
    # ti with a 2nd-person verb is reflexive: "ti registri" → "si registra".
    return finds + [_fix(toks[k], "si", "informal reflexive 'ti'") for k in ti]


def _it_lei(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    t = toks[i]
    j = _next_word(toks, i, _IT_CLITICS | {"non"})
    if not lex.available or j is None or not lex.is_verb(toks[j].low):
        return [_report(t, "formal pronoun 'Lei'")]
    v = _regenerate(lex, toks[j], _p3_singular, _person_swap("p3", "p2"), forced=True)
    between = range(i + 1, j)
    if v.status != "fixed" or not v.form or any(toks[k].low in ("la", "le", "gli") for k in between):
        return [_report(t, "formal pronoun 'Lei'")]
    done.add(j)
    finds = [_fix(t, "tu", "formal pronoun 'Lei'", courtesy=True)]
    finds.append(_Find(toks[j].start, toks[j].end, v.form, f"formal verb form '{toks[j].low}'"))
    return finds + [_fix(toks[k], "ti", "formal reflexive 'si'") for k in between if toks[k].low == "si"]


# --- French ---------------------------------------------------------------------------------------

_FR_POSSESSIVE = {"ton": "votre", "ta": "votre", "tes": "vos"}
_FR_TIEN = {"tien": "vôtre", "tienne": "vôtre", "tiens": "vôtres", "tiennes": "vôtres"}
_FR_CLITICS = frozenset("ne n' me m' te t' se s' le la l' les lui leur y en nous vous".split())
_FR_HYPHEN_OBJECTS = frozenset("moi toi nous le la les lui leur y en".split())
_FR_INVERTED_SUBJECTS = frozenset("tu je il elle on ils elles t".split())
_FR_FORMAL = frozenset("vous votre vos vôtre vôtres".split())
_FR_NOUN_TON = frozenset("le un du au ce quel d'un".split())  # "le ton" is the noun


def _check_fr(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    done: set[int] = set()
    for i, t in enumerate(toks):
        w = t.low
        if i in done:
            continue
        if register == "informal":
            # vous is also the plural of tu: reported for an editor, never rewritten.
            if w in _FR_FORMAL:
                finds.append(_report(t, f"formal (or plural) '{w}'"))
        elif w in _FR_POSSESSIVE and not (w == "ton" and _adjacent(toks, i) and toks[i - 1].low in _FR_NOUN_TON):
            finds.append(_fix(t, _FR_POSSESSIVE[w], f"informal possessive '{w}'"))
        elif w in _FR_TIEN and _adjacent(toks, i) and toks[i - 1].low in ("le", "la", "les"):
            finds.append(_fix(t, _FR_TIEN[w], f"informal possessive '{w}'"))
        elif w == "tu" or _fr_command(toks, i, lex):
            finds += _fr_unit(toks, i, lex, done)
        elif w in ("te", "t'") and _adjacent(toks, i + 1) and _fr_command(toks, i + 1, lex):
            continue  # "Ne t'inquiète pas": rewritten with its verb
        elif w in ("te", "t'"):
            # Object or reflexive, te is vous either way: "je te contacte" → "je vous contacte".
            finds.append(_fix(t, "vous " if w == "t'" else "vous", f"informal pronoun '{w}'"))
        elif w == "toi" and t.gap != "-":
            finds.append(_fix(t, "vous", "informal pronoun 'toi'"))
        elif w == "toi":
            finds.append(_report(t, "informal command with 'toi'"))
    return finds


def _fr_command(toks: list[_Tok], i: int, lex: _Lex) -> bool:
    """A tu-command: opens a sentence ("Contacte notre équipe", "N'hésite pas") or takes "-nous"."""
    readings = lex.readings(toks[i].low)
    if not any(r.imperative and r.person == "p2" and r.number == "sg" for r in readings):
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) and toks[i + 1].gap == "-" else None
    if nxt is not None and nxt.low in _FR_INVERTED_SUBJECTS:
        return False  # "Peux-tu": a question
    if nxt is not None and nxt.low in _FR_HYPHEN_OBJECTS:
        return True
    k = i  # French needs a subject: a finite verb that opens the sentence is a command
    while k > 0 and not toks[k].initial and toks[k - 1].low in _FR_CLITICS:
        k -= 1
    if k == i:
        return toks[i].initial and all(r.verb for r in readings)
    return toks[k].initial and toks[k].low in ("ne", "n'")  # "Ne t'inquiète pas"


def _fr_unit(toks: list[_Tok], i: int, lex: _Lex, done: set[int]) -> list[_Find]:
    """tu + verb ("tu as", "as-tu") or a command: vous + p2 plural, all together or not at all."""
    j: int | None
    # Not after "que" a present tense is indicative: "si tu précises" → "si vous précisez".
    indicative = not (_adjacent(toks, i) and toks[i - 1].low in ("que", "qu'"))
    if toks[i].low == "tu":
        if toks[i].gap == "-" and i > 0:
            j, members = i - 1, [i]
        else:
            j = _next_word(toks, i, _FR_CLITICS)
            end = j
            if end is None:  # no verb follows: the unit still owns the clitics right after "tu"
                end = i + 1
                while end < len(toks) and toks[end].low in _FR_CLITICS:
                    end += 1
            members = [k for k in range(i, end) if toks[k].low in ("tu", "te", "t'")]
            if lex.available and (j is None or not any(r.finite for r in lex.readings(toks[j].low))):
                # No verb to agree with ("fournir tu avec …", a translation error): the pronoun alone.
                done.add(i)
                return [_fix(toks[i], "vous", "informal pronoun 'tu'")]
        relevant = _p2_finite("sg")
    else:
        j, members = i, [i]
        if i > 0 and toks[i - 1].low in ("te", "t'") and not toks[i].gap.strip():
            members.insert(0, i - 1)  # "Ne t'inquiète pas"
        if i + 1 < len(toks) and toks[i + 1].gap == "-" and toks[i + 1].low == "toi":
            members.append(i + 1)  # "Inscris-toi"
        relevant = lambda r: r.imperative and r.person == "p2" and r.number == "sg"  # noqa: E731
    done.update(members)
    swap = _person_swap("p2", "p2", "pl")
    v = _regenerate(lex, toks[j], relevant, swap, forced=True, indicative=indicative) if j is not None else None
    if v is None or v.status != "fixed" or not v.form or j is None:
        return [_report(toks[k], f"informal '{toks[k].low}': the verb must agree") for k in members]
    verb_seen = j in done and j not in members
    done.add(j)
    finds = [] if verb_seen else [_Find(toks[j].start, toks[j].end, v.form, f"informal verb form '{toks[j].low}'")]
    for k in members:
        if k != j:
            repl = "vous " if toks[k].low == "t'" else "vous"
            finds.append(_fix(toks[k], repl, f"informal pronoun '{toks[k].low}'"))
    return finds


# --- Portuguese -----------------------------------------------------------------------------------

_PT_POSSESSIVE = {"teu": "seu", "tua": "sua", "teus": "seus", "tuas": "suas"}
_PT_REPORT = {"tu", "te", "ti", "contigo", "você"}
_PT_SENHOR = frozenset("senhor senhora senhores senhoras".split())
_PT_NOUN_CONTEXT = frozenset(
    "o a os as um uma uns umas meus minhas teus tuas seus suas nossos nossas estes estas esses essas aqueles "
    "aquelas do da dos das no na nos nas ao aos à às pelo pela pelos pelas num numa de em para por com sem sobre "
    "entre".split()
)
_PT_ARTICLES = frozenset("o a os as ao à aos às do da dos das no na nos nas pelo pela pelos pelas".split())


def _check_pt(toks: list[_Tok], register: Register, lex: _Lex) -> list[_Find]:
    finds: list[_Find] = []
    tu_verbs = set()
    for i, t in enumerate(toks):
        if t.low == "tu":
            j = _next_word(toks, i, frozenset({"não", "te", "se", "me", "nos", "o", "a", "lhe"}))
            tu_verbs.add(j)
    for i, t in enumerate(toks):
        w = t.low
        if register == "formal":
            if w in _PT_POSSESSIVE:
                finds.append(_fix(t, _PT_POSSESSIVE[w], f"informal possessive '{w}'"))
            elif w in _PT_REPORT:
                hint = "o senhor / a senhora" if w == "você" else "a form of o senhor / você"
                finds.append(_report(t, f"informal '{w}': use {hint}"))
            elif lex.available:
                v = _regenerate(lex, t, _second_person(toks, i, _PT_NOUN_CONTEXT), _person_swap("p2", "p3"))
                if i in tu_verbs and v.status == "fixed":
                    v = _Verb("stuck")  # "tu tens" stays as it is until tu is rewritten by hand
                finds += _verb_find(t, v, "informal")
        elif w in _PT_SENHOR and _adjacent(toks, i) and toks[i - 1].low in _PT_ARTICLES:
            name_follows = _adjacent(toks, i + 1) and toks[i + 1].text[:1].isupper()
            if not name_follows:
                prev = toks[i - 1]
                finds.append(_Find(prev.start, t.end, None, f"formal address '{prev.text} {t.text}'"))
    return finds
