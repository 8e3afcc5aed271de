"""Drop-in APIs: the LibreTranslate API at the root and the DeepL API at /v2 and /v3.

Each is a thin adapter (STYLE.md 13): parse the foreign request into the one `TranslateJob`, run
the one pipeline (gateway/compat/common.py), render the foreign shape, and map the gateway's one
set of domain errors to the foreign statuses and bodies in one place (gateway/compat/errors.py).
"""
