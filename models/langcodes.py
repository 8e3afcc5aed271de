"""Language codes: the gateway speaks ISO 639-1 ("es"); engines speak their own dialects.

Apertium modes use ISO 639-3 or 639-1 ("eng-spa", "fr-es"), NLLB uses FLORES-200 codes
("spa_Latn"), Marian multi-target models use `>>spa<<` or `>>es<<` tokens, M2M100 uses 639-1.
"""

from __future__ import annotations

from models.errors import UnknownLanguage

# iso1: (iso3, FLORES-200, English name). About 40 languages common in customer support.
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "af": ("afr", "afr_Latn", "Afrikaans"),
    "ar": ("ara", "arb_Arab", "Arabic"),
    "bg": ("bul", "bul_Cyrl", "Bulgarian"),
    "bn": ("ben", "ben_Beng", "Bengali"),
    "ca": ("cat", "cat_Latn", "Catalan"),
    "cs": ("ces", "ces_Latn", "Czech"),
    "da": ("dan", "dan_Latn", "Danish"),
    "de": ("deu", "deu_Latn", "German"),
    "el": ("ell", "ell_Grek", "Greek"),
    "en": ("eng", "eng_Latn", "English"),
    "es": ("spa", "spa_Latn", "Spanish"),
    "et": ("est", "est_Latn", "Estonian"),
    "eu": ("eus", "eus_Latn", "Basque"),
    "fa": ("fas", "pes_Arab", "Persian"),
    "fi": ("fin", "fin_Latn", "Finnish"),
    "fr": ("fra", "fra_Latn", "French"),
    "gl": ("glg", "glg_Latn", "Galician"),
    "he": ("heb", "heb_Hebr", "Hebrew"),
    "hi": ("hin", "hin_Deva", "Hindi"),
    "hr": ("hrv", "hrv_Latn", "Croatian"),
    "hu": ("hun", "hun_Latn", "Hungarian"),
    "id": ("ind", "ind_Latn", "Indonesian"),
    "it": ("ita", "ita_Latn", "Italian"),
    "ja": ("jpn", "jpn_Jpan", "Japanese"),
    "ko": ("kor", "kor_Hang", "Korean"),
    "lt": ("lit", "lit_Latn", "Lithuanian"),
    "lv": ("lav", "lvs_Latn", "Latvian"),
    "ms": ("msa", "zsm_Latn", "Malay"),
    "nb": ("nob", "nob_Latn", "Norwegian Bokmål"),
    "nl": ("nld", "nld_Latn", "Dutch"),
    "pl": ("pol", "pol_Latn", "Polish"),
    "pt": ("por", "por_Latn", "Portuguese"),
    "ro": ("ron", "ron_Latn", "Romanian"),
    "ru": ("rus", "rus_Cyrl", "Russian"),
    "sk": ("slk", "slk_Latn", "Slovak"),
    "sl": ("slv", "slv_Latn", "Slovenian"),
    "sr": ("srp", "srp_Cyrl", "Serbian"),
    "sv": ("swe", "swe_Latn", "Swedish"),
    "th": ("tha", "tha_Thai", "Thai"),
    "tl": ("tgl", "tgl_Latn", "Tagalog"),
    "tr": ("tur", "tur_Latn", "Turkish"),
    "uk": ("ukr", "ukr_Cyrl", "Ukrainian"),
    "ur": ("urd", "urd_Arab", "Urdu"),
    "vi": ("vie", "vie_Latn", "Vietnamese"),
    "zh": ("zho", "zho_Hans", "Chinese"),
}

_BY_ISO3 = {v[0]: k for k, v in LANGUAGES.items()}
_BY_FLORES = {v[1]: k for k, v in LANGUAGES.items()}
# ISO 639-2/B and other aliases seen in model names and mode files.
_ALIASES = {
    "fre": "fr",
    "ger": "de",
    "dut": "nl",
    "chi": "zh",
    "per": "fa",
    "rum": "ro",
    "cze": "cs",
    "slo": "sk",
    "gre": "el",
    "may": "ms",
    "no": "nb",
    "nor": "nb",
    "pes": "fa",
    "arb": "ar",
}


def normalize(code: str) -> str:
    """Return the gateway's code for any of ISO 639-1/-3, FLORES-200 or a region variant ("pt-BR")."""
    raw = code.strip()
    c = raw.lower().replace("-", "_")
    if c in LANGUAGES:
        return c
    if c in _BY_ISO3:
        return _BY_ISO3[c]
    if c in _ALIASES:
        return _ALIASES[c]
    if raw in _BY_FLORES:
        return _BY_FLORES[raw]
    base = c.split("_", 1)[0]
    if base != c and (base in LANGUAGES or base in _BY_ISO3):
        return normalize(base)
    raise UnknownLanguage(code, "use an ISO 639-1 code such as 'es', 'de' or 'pt'")


def is_known(code: str) -> bool:
    try:
        normalize(code)
    except UnknownLanguage:
        return False
    return True


def iso3(code: str) -> str:
    return LANGUAGES[normalize(code)][0]


def flores(code: str) -> str:
    return LANGUAGES[normalize(code)][1]


def english_name(code: str) -> str:
    return LANGUAGES[normalize(code)][2]


def is_base(code: str) -> bool:
    """An ISO 639-1 or 639-3 code, which `normalize` also takes with a region part after it."""
    return code in LANGUAGES or code in _BY_ISO3


def spellings() -> dict[str, str]:
    """Every lower-case code `normalize` accepts without a region part (ISO 639-1, 639-3, the
    aliases), mapped to the gateway's code; `normalize` also takes any of them with a region or
    script after '-' or '_' ("pt-BR", "spa_Latn")."""
    out = {code: code for code in LANGUAGES}
    out.update(_BY_ISO3)
    out.update(_ALIASES)
    return out
