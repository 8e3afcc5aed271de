"""TMX 1.4 files for the translation memory: read (safely) and write translation units."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from glossary.errors import ImportFailed
from models.errors import UnknownLanguage
from models.langcodes import normalize

with warnings.catch_warnings():
    # defusedxml marks its lxml module deprecated, yet it is the maintained entity check for lxml trees.
    warnings.simplefilter("ignore", DeprecationWarning)
    from defusedxml import DefusedXmlException
    from defusedxml import lxml as safe_lxml

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class Unit:
    source_lang: str
    target_lang: str
    source: str
    target: str


def _lang(element: etree._Element) -> str | None:
    return element.get(_XML_LANG) or element.get("lang")


def _seg_text(seg: etree._Element) -> str:
    # Inline markup (<bpt>, <ph>…) carries native codes; the memory keeps the plain text around it.
    return "".join(seg.itertext()).strip()


def parse_tmx(data: bytes, source_lang: str | None = None, target_lang: str | None = None) -> list[Unit]:
    """Units of a TMX file for one direction (default: the header's srclang to the other language)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        root = safe_lxml.fromstring(data, parser=parser, forbid_dtd=False, forbid_entities=True)
    except etree.XMLSyntaxError as exc:
        raise ImportFailed([(exc.lineno or 1, f"malformed XML: {exc.msg}")]) from None
    except DefusedXmlException as exc:
        raise ImportFailed([(1, f"entity declarations are not allowed in a TMX file ({exc})")]) from None
    if etree.QName(root).localname != "tmx":
        raise ImportFailed([(root.sourceline or 1, f"not a TMX file: the root is <{etree.QName(root).localname}>")])
    header = root.find("header")
    errors: list[tuple[int, str]] = []
    try:
        src = normalize(source_lang or (header.get("srclang") if header is not None else "") or "")
    except UnknownLanguage as exc:
        raise ImportFailed([(header.sourceline if header is not None else 1, f"source language: {exc}")]) from None
    tgt = None
    if target_lang:
        try:
            tgt = normalize(target_lang)
        except UnknownLanguage as exc:
            raise ImportFailed([(1, f"target language: {exc}")]) from None
    units: list[Unit] = []
    for tu in root.iter("tu"):
        segs: dict[str, str] = {}
        for tuv in tu.findall("tuv"):
            code = _lang(tuv)
            seg = tuv.find("seg")
            try:
                lang = normalize(code or "")
            except UnknownLanguage:
                errors.append((tuv.sourceline or 0, f"unknown language {code!r} in <tuv>"))
                continue
            if seg is None or not _seg_text(seg):
                errors.append((tuv.sourceline or 0, "a <tuv> without text in <seg>"))
                continue
            segs[lang] = _seg_text(seg)
        if src not in segs:
            errors.append((tu.sourceline or 0, f"no {src} segment in this <tu>"))
            continue
        others = [lang for lang in segs if lang != src and (tgt is None or lang == tgt)]
        if not others:
            errors.append((tu.sourceline or 0, f"no {tgt or 'target'} segment in this <tu>"))
            continue
        units.append(Unit(src, others[0], segs[src], segs[others[0]]))
    if errors:
        raise ImportFailed(errors)
    return units


def write_tmx(units: Iterable[Unit], source_lang: str) -> str:
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(
        root,
        "header",
        {
            "creationtool": "Tonegate",
            "creationtoolversion": "0.1",
            "segtype": "sentence",
            "o-tmf": "tonegate",
            "adminlang": "en",
            "srclang": source_lang,
            "datatype": "plaintext",
        },
    )
    body = etree.SubElement(root, "body")
    for unit in units:
        tu = etree.SubElement(body, "tu")
        for lang, text in ((unit.source_lang, unit.source), (unit.target_lang, unit.target)):
            tuv = etree.SubElement(tu, "tuv", {_XML_LANG: lang})
            etree.SubElement(tuv, "seg").text = text
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True).decode("utf-8")
