"""Parse untrusted XML exports safely, keeping line numbers.

Two steps: defusedxml reads the document first and refuses entity declarations (the billion
laughs bomb), external entities (XXE: reading local files or URLs) and external DTDs; lxml then
builds the tree, with entity resolution, network access and DTD loading switched off, so that
every element knows its line. A malformed or truncated document is read as far as it goes (lxml's
recovery) and the problem is reported with its line.

References
----------
OWASP. XML External Entity Prevention Cheat Sheet.
"""

from __future__ import annotations

import xml.etree.ElementTree as StdET
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET
from lxml import etree

from evsynth.errors import InputError
from evsynth.records.importers.base import ImportProblem


def parse_xml(data: bytes, file: str, problems: list[ImportProblem]) -> Any:
    """The root element of an XML export, refused with :class:`InputError` when unsafe."""
    try:
        SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        raise InputError(
            f"refused: the XML declares an entity ({exc.name!r}); exports never need one, and "
            "entities are how XML bombs and external-entity (XXE) attacks work",
            file=file,
            row=getattr(exc, "lineno", None),
        ) from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise InputError(
            "refused: the XML refers to an external resource (XXE); exports never need one",
            file=file,
            row=getattr(exc, "lineno", None),
        ) from exc
    except defusedxml.DTDForbidden as exc:  # pragma: no cover - forbid_dtd is off
        raise InputError("refused: the XML has a DTD", file=file) from exc
    except LookupError as exc:
        raise InputError(f"the XML declares an unknown encoding ({exc})", file=file, row=1) from exc
    except StdET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        problems.append(
            ImportProblem(file, line, f"malformed XML ({exc}); records read up to this point")
        )
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except LookupError as exc:  # pragma: no cover - caught by the first parse
        raise InputError(f"the XML declares an unknown encoding ({exc})", file=file, row=1) from exc
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not readable as XML ({exc.msg})", file=file, row=exc.lineno) from exc
    if root is None:
        raise InputError("not readable as XML: no root element", file=file, row=1)
    return root


def text_of(element: Any) -> str:
    """All text inside an element (EndNote wraps text in ``<style>``), whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())
