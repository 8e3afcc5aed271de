"""Engine corrections: data files of an engine's systematic mistakes per language pair, and their use."""

from glossary.corrections.rules import (
    COLUMNS,
    KINDS,
    Applied,
    Correction,
    CorrectionSet,
    Found,
    InvalidCorrection,
    both,
    correct,
    data_file,
    imperative,
    make_correction,
    merge,
    parse_tsv,
    shipped,
    shipped_pairs,
)

__all__ = [
    "COLUMNS",
    "KINDS",
    "Applied",
    "Correction",
    "CorrectionSet",
    "Found",
    "InvalidCorrection",
    "both",
    "correct",
    "data_file",
    "imperative",
    "make_correction",
    "merge",
    "parse_tsv",
    "shipped",
    "shipped_pairs",
]
