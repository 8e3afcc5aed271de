"""Tone check: register markers per language, safe fixes, offsets, idempotence.

Unit tests run on the rules alone and with a small in-memory Morphology; the tests at the end run
the same checks with the real Apertium analyser and generator (models/morphology.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glossary.tone import TONE_LANGUAGES, Morphology, Register, ToneProfile, ToneResult, check_tone
from models.morphology import ApertiumMorphology, installed_morphologies


class FakeMorphology:
    """A Morphology over fixed tables, in Apertium notation like the real one."""

    def __init__(self, lang: str, readings: dict[str, list[str]], forms: dict[str, str]) -> None:
        self.lang = lang
        self.readings = readings
        self.forms = forms
        self.analyse_calls = 0

    def analyse(self, words: Sequence[str]) -> list[list[str]]:
        self.analyse_calls += 1
        return [list(self.readings.get(w, [])) for w in words]

    def generate(self, analyses: Sequence[str]) -> list[str | None]:
        return [self.forms.get(a) for a in analyses]


ENC_TE = "+prpers<prn><enc><p2><mf><sg>"
ES = FakeMorphology(
    "es",
    {
        "recibirás": ["recibir<vblex><fti><p2><sg>"],
        "quieres": ["querer<vbmod><pri><p2><sg>", "querer<vblex><pri><p2><sg>"],
        "tienes": ["tener<vblex><pri><p2><sg>"],
        "puedes": ["poder<vbmod><pri><p2><sg>"],
        "preocupes": ["preocupar<vblex><prs><p2><sg>"],
        "enviaremos": ["enviar<vblex><fti><p1><pl>"],
        "envía": ["enviar<vblex><pri><p3><sg>", "enviar<vblex><imp><p2><sg>"],
        "envíame": ["enviar<vblex><imp><p2><sg>+prpers<prn><enc><p1><mf><sg>"],
        "regístrate": ["registrar<vblex><imp><p2><sg>" + ENC_TE],
        "registrarte": ["registrar<vblex><inf>" + ENC_TE],
        "ayudarte": ["ayudar<vblex><inf>" + ENC_TE],
        "estamos": ["estar<vblex><pri><p1><pl>"],
        "podéis": ["poder<vbmod><pri><p2><pl>"],
        "puede": ["poder<vbmod><pri><p3><sg>", "poder<vbmod><imp><p2><sg>"],
        "tiene": ["tener<vblex><pri><p3><sg>"],
        "registra": ["registrar<vblex><pri><p3><sg>", "registrar<vblex><imp><p2><sg>"],
        "regístrese": ["registrar<vblex><imp><p3><sg>+se<prn><enc><ref><p3><mf><sp>"],
        "contacte": ["contactar<vblex><prs><p3><sg>", "contactar<vblex><imp><p3><sg>"],
        "compras": ["compra<n><f><pl>", "comprar<vblex><pri><p2><sg>"],
        "pedido": ["pedido<n><m><sg>"],
        "cuenta": ["cuenta<n><f><sg>", "contar<vblex><pri><p3><sg>"],
        "cambias": ["cambiar<vblex><pri><p2><sg>"],
        "hiciste": ["hacer<vblex><ifi><p2><sg>"],  # the generator below has no p3 form for it
    },
    {
        "recibir<vblex><fti><p3><sg>": "recibirá",
        "querer<vbmod><pri><p3><sg>": "quiere",
        "querer<vblex><pri><p3><sg>": "quiere",
        "tener<vblex><pri><p3><sg>": "tiene",
        "tener<vblex><pri><p2><sg>": "tienes",
        "poder<vbmod><pri><p3><sg>": "puede",
        "poder<vbmod><pri><p3><pl>": "pueden",
        "poder<vbmod><pri><p2><sg>": "puedes",
        "preocupar<vblex><prs><p3><sg>": "preocupe",
        "enviar<vblex><imp><p3><sg>+prpers<prn><enc><p1><mf><sg>": "envíeme",
        "registrar<vblex><imp><p3><sg>+se<prn><enc><ref><p3><mf><sp>": "regístrese",
        "registrar<vblex><imp><p2><sg>" + ENC_TE: "regístrate",
        "registrar<vblex><inf>+se<prn><enc><ref><p3><mf><sp>": "registrarse",
        "ayudar<vblex><inf>+prpers<prn><enc><p3><mf><sg>": "ayudarle",
        "registrar<vblex><pri><p2><sg>": "registras",
        "cambiar<vblex><pri><p3><sg>": "cambia",
    },
)


def check(text: str, lang: str, register: Register, morphology: Morphology | None = None) -> ToneResult:
    """check_tone plus the invariants every result must keep."""
    result = check_tone(text, lang, register, morphology)
    for issue in result.issues:
        assert text[issue.start : issue.end] == issue.text  # offsets point into the original
        assert issue.expected == register
        assert issue.fixed == (issue.replacement is not None)
    again = check_tone(result.text, lang, register, morphology)
    assert not [i for i in again.issues if i.fixed], "fixing twice changed the text again"
    return result


def fixed_pairs(result: ToneResult) -> list[tuple[str, str | None]]:
    return [(i.text, i.replacement) for i in result.issues if i.fixed]


def reported(result: ToneResult) -> list[str]:
    return [i.text for i in result.issues if not i.fixed]


# --- profiles and arguments -----------------------------------------------------------------------


def test_profile_validates_languages_and_registers():
    profile = ToneProfile({"es-MX": "formal", "de": "informal"})
    assert profile.register_for("es") == "formal"
    assert profile.register_for("es_ES") == "formal"
    assert profile.register_for("de-AT") == "informal"
    assert profile.register_for("fr") is None
    assert profile.to_dict() == {"es": "formal", "de": "informal"}
    with pytest.raises(ValueError, match="supported: es, de, fr, it, pt, nl"):
        ToneProfile({"xx": "formal"})
    with pytest.raises(ValueError, match="valid registers: formal, informal"):
        ToneProfile({"es": "polite"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        profile.registers["fr"] = "formal"  # type: ignore[index]


def test_check_tone_rejects_unknown_language_register_and_wrong_morphology():
    with pytest.raises(ValueError, match="supported"):
        check_tone("hola", "ja", "formal")
    with pytest.raises(ValueError, match="valid registers"):
        check_tone("hola", "es", "casual")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="morphology is for 'es'"):
        check_tone("bonjour", "fr", "formal", ES)


def test_every_language_has_rules_for_both_registers():
    for lang in TONE_LANGUAGES:
        for register in ("formal", "informal"):
            assert check_tone("", lang, register).issues == ()  # type: ignore[arg-type]


# --- Spanish --------------------------------------------------------------------------------------


def test_es_possessives_fixed_with_number_and_pronoun_forms():
    r = check("Tu pedido y tus facturas. Vuestra cuenta, vuestros datos y vuestras compras.", "es", "formal")
    assert r.text == "Su pedido y sus facturas. Su cuenta, sus datos y sus compras."
    r = check("El vuestro llegó ayer; es vuestra. La tuya también.", "es", "formal")
    assert r.text == "El suyo llegó ayer; es suya. La suya también."


def test_es_prepositional_pronouns_fixed():
    r = check("Esto es para ti. Hablamos contigo.", "es", "formal")
    assert r.text == "Esto es para usted. Hablamos con usted."


def test_es_without_morphology_pronouns_needing_a_verb_are_reported():
    r = check("Tú tienes razón. Te enviaremos un correo.", "es", "formal")
    assert r.text == "Tú tienes razón. Te enviaremos un correo."
    assert reported(r) == ["Tú", "Te"]
    # "te lo" is "se lo" whatever the verb.
    assert check("Te lo enviaremos.", "es", "formal").text == "Se lo enviaremos."


def test_es_third_person_forms_are_never_touched():
    text = "Su pedido llegará. Le enviaremos su factura. Se lo enviamos a ustedes."
    assert check(text, "es", "formal", ES).issues == ()
    assert check(text, "es", "informal", ES).issues == ()


def test_es_verbs_regenerated_with_morphology():
    r = check("Recibirás vuestro reembolso pronto.", "es", "formal", ES)
    assert r.text == "Recibirá su reembolso pronto."
    assert fixed_pairs(r) == [("Recibirás", "Recibirá"), ("vuestro", "su")]
    r = check("¿Quieres anular tu suscripción? Si tienes dudas, escríbenos.", "es", "formal", ES)
    assert r.text.startswith("¿Quiere anular su suscripción? Si tiene dudas")


def test_es_te_becomes_le_or_se_by_the_verb():
    assert check("Te enviaremos un correo.", "es", "formal", ES).text == "Le enviaremos un correo."
    assert check("No te preocupes.", "es", "formal", ES).text == "No se preocupe."


def test_es_enclitics_follow_the_clause():
    assert check("Regístrate y envíame tu pedido.", "es", "formal", ES).text == "Regístrese y envíeme su pedido."
    assert check("Puedes registrarte aquí.", "es", "formal", ES).text == "Puede registrarse aquí."
    assert check("Estamos aquí para ayudarte.", "es", "formal", ES).text == "Estamos aquí para ayudarle."
    # No governing verb: reflexive or object is unknown, so report.
    r = check("Para ayudarte, escribe.", "es", "formal", ES)
    assert reported(r) == ["ayudarte"]


def test_es_subject_pronoun_fixed_with_its_verb():
    r = check("Tú puedes hacerlo.", "es", "formal", ES)
    assert r.text == "Usted puede hacerlo."
    r = check("Vosotros podéis hacerlo.", "es", "formal", ES)
    assert r.text == "Ustedes pueden hacerlo."


def test_es_ambiguous_imperative_and_nouns_are_left_alone():
    # "envía" is also "he sends", "puede" is also "you may (formal)"; "compras" is also a noun.
    assert check("Envía el formulario. Puede tardar.", "es", "formal", ES).issues == ()
    assert check("Ver las compras.", "es", "formal", ES).issues == ()
    # Where the dictionary lacks the noun, a determiner before it still rules out the verb.
    assert check("Mis cambias.", "es", "formal", ES).issues == ()
    assert check("Cambias la cuenta.", "es", "formal", ES).text == "Cambia la cuenta."


def test_es_verb_without_generated_form_is_reported():
    r = check("¿Hiciste el pedido?", "es", "formal", ES)
    assert r.text == "¿Hiciste el pedido?"
    assert reported(r) == ["Hiciste"]


def test_es_capitalisation_is_kept():
    assert check("TU PEDIDO", "es", "formal").text == "SU PEDIDO"
    assert check("Tus datos", "es", "formal").text == "Sus datos"
    assert check("¿TIENES dudas?", "es", "formal", ES).text == "¿TIENE dudas?"


def test_es_informal_profile_flags_usted_and_fixes_it_with_the_verb():
    r = check("Usted puede ver su pedido.", "es", "informal", ES)
    assert r.text == "Tú puedes ver su pedido."
    assert check("Gracias a usted. Hablamos con usted.", "es", "informal").text == "Gracias a ti. Hablamos contigo."
    r = check("Usted se registra aquí.", "es", "informal", ES)
    assert r.text == "Tú te registras aquí."
    assert check("Regístrese hoy.", "es", "informal", ES).text == "Regístrate hoy."
    # "Contacte" is also a subjunctive; "ustedes" is the plural of both registers in the Americas.
    assert check("Contacte con ustedes.", "es", "informal", ES).issues == ()
    # Without morphology the verb cannot follow, so usted is only reported.
    assert reported(check("Usted puede verlo.", "es", "informal")) == ["Usted"]


def test_es_informal_profile_accepts_informal_text():
    assert check("Recibirás tu reembolso. Te escribimos.", "es", "informal", ES).issues == ()


# --- German ---------------------------------------------------------------------------------------


def test_de_formal_profile_fixes_possessives_and_reports_du():
    r = check("Du kannst dein Konto und deine Bestellungen sehen. Dein Paket ist da. Wir helfen dir.", "de", "formal")
    assert r.text == "Du kannst Ihr Konto und Ihre Bestellungen sehen. Ihr Paket ist da. Wir helfen dir."
    assert reported(r) == ["Du", "dir"]
    r = check("Mit deinem Konto, deinen Daten, deines Vertrags und eurer Adresse.", "de", "formal")
    assert r.text == "Mit Ihrem Konto, Ihren Daten, Ihres Vertrags und Ihrer Adresse."
    assert check("Wir senden Ihnen Ihre Karte. Sie hat ihr Paket.", "de", "formal").issues == ()


def test_de_informal_profile_uses_mid_sentence_capitals_only():
    # Sentence-initial Sie / Ihr can be she / they / her: alone it says nothing.
    assert check("Sie hat ihr Paket. Ihr Paket ist da.", "de", "informal").issues == ()
    r = check("Danke für Ihre Geduld.", "de", "informal")
    assert r.text == "Danke für deine Geduld."
    assert r.issues[0].replacement == "deine"  # the courtesy capital goes
    r = check("Wir senden Ihnen Ihre neue Karte.", "de", "informal")
    assert r.text == "Wir senden Ihnen Ihre neue Karte."  # fixing Ihre alone would mix the registers
    assert reported(r) == ["Ihnen", "Ihre"]
    r = check("Sie können Ihr Konto sehen.", "de", "informal")
    assert reported(r) == ["Sie", "Ihr"]  # initial Sie counts beside a courtesy capital


# --- French ---------------------------------------------------------------------------------------


def test_fr_formal_profile_fixes_possessives_and_object_pronouns():
    r = check("Ton colis, ta commande et tes factures. Je te contacte pour t'aider.", "fr", "formal")
    assert r.text == "Votre colis, votre commande et vos factures. Je vous contacte pour vous aider."
    assert check("Le ton est juste, le tien aussi.", "fr", "formal").text == "Le ton est juste, le vôtre aussi."
    r = check("Tu as reçu le colis.", "fr", "formal")
    assert r.text == "Tu as reçu le colis." and reported(r) == ["Tu"]  # the verb must agree


def test_fr_informal_profile_reports_vous():
    r = check("Vous pouvez suivre votre colis.", "fr", "informal")
    assert r.text == "Vous pouvez suivre votre colis."
    assert reported(r) == ["Vous", "votre"]
    assert check("Tu peux suivre ton colis.", "fr", "informal").issues == ()


# --- Italian --------------------------------------------------------------------------------------


def test_it_both_registers():
    r = check("Il tuo ordine e le tue fatture sono per te.", "it", "formal")
    assert r.text == "Il Suo ordine e le Sue fatture sono per Lei."
    r = check("Grazie per il Suo ordine. Suo fratello ha chiamato.", "it", "informal")
    assert r.text == "Grazie per il tuo ordine. Suo fratello ha chiamato."
    assert check("Lei è gentile e il suo cane anche.", "it", "informal").issues == ()


# --- Portuguese -----------------------------------------------------------------------------------


def test_pt_both_registers():
    r = check("O teu pedido e as tuas faturas. Você pode ver tudo.", "pt", "formal")
    assert r.text == "O seu pedido e as suas faturas. Você pode ver tudo."
    assert reported(r) == ["Você"]
    r = check("O senhor pode ver. Falámos com o senhor Silva.", "pt", "informal")
    assert reported(r) == ["O senhor"]
    assert check("Você pode ver o teu pedido.", "pt", "informal").issues == ()


# --- Dutch ----------------------------------------------------------------------------------------


def test_nl_formal_profile():
    r = check("Jij kunt jouw bestelling volgen. Heb jij je pakket? Wij bellen jou als jij wilt.", "nl", "formal")
    assert r.text == "U kunt uw bestelling volgen. Heb jij je pakket? Wij bellen u als u wilt."
    assert reported(r) == ["jij", "je"]


def test_nl_informal_profile():
    assert check("Bedankt voor uw bestelling.", "nl", "informal").text == "Bedankt voor jouw bestelling."
    r = check("U kunt uw bestelling volgen.", "nl", "informal")
    assert r.text == "U kunt uw bestelling volgen." and reported(r) == ["U", "uw"]


# --- properties -----------------------------------------------------------------------------------

VOCAB = {
    "es": "tu tus vuestro vuestra vuestros vuestras ti contigo tú te os su le pedido cuenta el la para con Tu Vuestro",
    "de": "du Du dein deine deinen Ihr Ihre Ihnen Sie sie ihr dir dich euch eure Konto Paket wir danke für",
    "fr": "tu te t' toi ton ta tes le tien vous votre vos colis commande pour je Tu Ton",
    "it": "tu ti te tuo tua tuoi tue Suo Sua Lei lei per il la ordine grazie",
    "pt": "tu te ti teu tua teus tuas você o a senhor senhora pedido para com",
    "nl": "jij je jou jouw jullie u uw als wij bestelling voor Jij Uw",
}


@st.composite
def texts(draw: st.DrawFn, lang: str) -> str:
    words = draw(st.lists(st.sampled_from(VOCAB[lang].split()), min_size=1, max_size=12))
    seps = draw(
        st.lists(st.sampled_from([" ", " ", " ", ", ", ". ", "? ", "\n"]), min_size=len(words), max_size=len(words))
    )
    return "".join(w + s for w, s in zip(words, seps, strict=True)).replace("' ", "'")


@pytest.mark.parametrize("lang", sorted(VOCAB))
@pytest.mark.parametrize("register", ["formal", "informal"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_offsets_and_idempotence_hold_for_any_text(lang: str, register: Register, data: st.DataObject):
    morphology = ES if lang == "es" else None
    check(data.draw(texts(lang)), lang, register, morphology)


def test_one_analysis_call_per_text():
    fake = FakeMorphology("es", ES.readings, ES.forms)
    check_tone("Recibirás tu pedido y tienes dudas. ¿Tienes tu pedido?", "es", "formal", fake)
    assert fake.analyse_calls == 1


# --- with the real Apertium analyser and generator ------------------------------------------------

INSTALLED = installed_morphologies()


@pytest.fixture(scope="module")
def morph():
    made: dict[str, ApertiumMorphology] = {}

    def get(lang: str) -> ApertiumMorphology:
        if lang not in INSTALLED:
            pytest.skip(f"no Apertium dictionaries for {lang}")
        if lang not in made:
            made[lang] = ApertiumMorphology(lang)
        return made[lang]

    yield get
    for m in made.values():
        m.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Recibirás vuestro reembolso pronto.", "Recibirá su reembolso pronto."),
        ("Quieres anular vuestra suscripción?", "Quiere anular su suscripción?"),
        ("Te enviaremos un correo.", "Le enviaremos un correo."),
        ("Si tienes cualesquier cuestiones, nos contacto.", "Si tiene cualesquier cuestiones, nos contacto."),
        ("No te preocupes, estamos aquí para ayudarte.", "No se preocupe, estamos aquí para ayudarle."),
        ("Te recomiendo registrarte.", "Le recomiendo registrarse."),
        ("Regístrate y envíanos tu pedido.", "Regístrese y envíenos su pedido."),
        ("Ten en cuenta que puede tardar.", "Tenga en cuenta que puede tardar."),
        ("¿Has recibido tus compras?", "¿Ha recibido sus compras?"),
        ("Vosotros podéis verlo.", "Ustedes pueden verlo."),
    ],
)
def test_es_formal_with_apertium(morph, text: str, expected: str):
    assert check(text, "es", "formal", morph("es")).text == expected


def test_es_ambiguous_forms_untouched_with_apertium(morph):
    text = "Envía el formulario. Puede tardar. Depende del producto. Su cuenta está lista."
    assert check(text, "es", "formal", morph("es")).issues == ()


def test_es_clause_decides_le_or_se_with_apertium(morph):
    m = morph("es")
    assert check("Para ayudarte, necesitamos tu número.", "es", "formal", m).text == (
        "Para ayudarle, necesitamos su número."
    )
    assert check("Son disponibles de asistirte.", "es", "formal", m).text == "Son disponibles de asistirle."
    assert check("Nuestro equipo puede ayudarte.", "es", "formal", m).text == "Nuestro equipo puede ayudarle."
    # "Envía" is a command to tú (registrarse) or "he sends" (registrarle): report, do not guess.
    r = check("Envía el formulario para registrarte.", "es", "formal", m)
    assert r.text == "Envía el formulario para registrarte." and reported(r) == ["registrarte"]


def test_es_acronyms_and_slots_with_apertium(morph):
    m = morph("es")
    # "ID" would analyse as the command "id" (go!); a slot after a possessive is its noun.
    assert check("Vuestro ID de pedido.", "es", "formal", m).text == "Su ID de pedido."
    assert check("Entra en vuestra {{Website Name}} cuenta.", "es", "formal", m).text == (
        "Entra en su {{Website Name}} cuenta."
    )


def test_es_informal_with_apertium(morph):
    m = morph("es")
    assert check("¿Puede usted enviarlo?", "es", "informal", m).text == "¿Puedes tú enviarlo?"
    assert check("Regístrese y contáctenos.", "es", "informal", m).text == "Regístrate y contáctanos."
    assert check("Usted tiene razón.", "es", "informal", m).text == "Tú tienes razón."


def test_fr_with_apertium(morph):
    m = morph("fr")
    r = check("Tu as reçu ton colis ? Peux-tu vérifier ta boîte ?", "fr", "formal", m)
    assert r.text == "Vous avez reçu votre colis ? Pouvez-vous vérifier votre boîte ?"
    assert check("N'hésite pas à nous contacter.", "fr", "formal", m).text == "N'hésitez pas à nous contacter."
    assert check("Ne t'inquiète pas.", "fr", "formal", m).text == "Ne vous inquiétez pas."
    assert check("Inscris-toi ici.", "fr", "formal", m).text == "Inscrivez-vous ici."
    # Not after "que", a present tense is indicative: "précises" → "précisez", not "précisiez".
    assert check("Si tu précises la date.", "fr", "formal", m).text == "Si vous précisez la date."
    r = check("Il faut que tu précises la date.", "fr", "formal", m)
    assert reported(r) == ["tu"]
    # A tu with no verb after it (a translation error) takes vous alone.
    assert check("Nous guiderons tu à travers.", "fr", "formal", m).text == "Nous guiderons vous à travers."
    # "finis" is present or past: the verb has no single plural form, so nothing is rewritten.
    r = check("Tu finis demain.", "fr", "formal", m)
    assert r.text == "Tu finis demain." and reported(r) == ["Tu"]


def test_it_with_apertium(morph):
    m = morph("it")
    assert check("Tu hai ricevuto il tuo pacco?", "it", "formal", m).text == "Lei ha ricevuto il Suo pacco?"
    assert check("Puoi contattarci quando vuoi.", "it", "formal", m).text == "Può contattarci quando vuole."
    # A present tense opening a statement may be a command ("Scriva") or not ("Scrive").
    assert reported(check("Scrivi a noi.", "it", "formal", m)) == ["Scrivi"]


def test_pt_with_apertium(morph):
    m = morph("pt")
    r = check("Podes ver as tuas encomendas.", "pt", "formal", m)
    assert r.text == "Pode ver as suas encomendas."  # "encomendas" after "tuas" is a noun
    r = check("Tu recebes o teu reembolso.", "pt", "formal", m)
    assert r.text == "Tu recebes o seu reembolso." and reported(r) == ["Tu", "recebes"]
