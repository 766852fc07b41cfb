"""BibTeX (``.bib``) exports from Zotero, JabRef, Google Scholar, Web of Science and Scopus.

A small reader written for exports: entries ``@type{key, field = {value} | "value" | number}``,
braces nested to any depth, ``#`` concatenation and ``@string`` macros, LaTeX accents turned into
Unicode. ``@comment`` and ``@preamble`` are skipped. An entry cut off at the end of the file is
kept with a warning.
"""

from __future__ import annotations

import re

from evsynth.records.importers.base import Draft, ImportProblem, parse_year, split_authors

_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "c": "\u0327",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "k": "\u0328",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "oe": "œ",
    "OE": "Œ",
}
_MONTHS = {
    m: str(i)
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}


def delatex(text: str) -> str:
    """LaTeX accents and escapes to Unicode; remaining braces removed."""
    import unicodedata

    def accent(match: re.Match[str]) -> str:
        mark, letter = match.group(1), match.group(2)
        return unicodedata.normalize("NFC", letter + _ACCENTS[mark])

    text = re.sub(r"\\([\"'`^~=.uvHkc])\s*\{?\s*([A-Za-z])\}?", accent, text)
    text = re.sub(r"\\(ss|ae|AE|aa|AA|oe|OE|o|O|l|L|i)\b\s*", lambda m: _LETTERS[m.group(1)], text)
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)
    text = text.replace("--", "-")
    return text.replace("{", "").replace("}", "")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def braced(self, close: str) -> str | None:
        """Text up to the matching ``close`` (the opening char already consumed)."""
        depth, start = 0, self.pos
        opener = "{" if close == "}" else None
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if (opener and ch == opener) or (ch == "{" and close == '"'):
                depth += 1
            elif ch == "}" and close == '"' and depth:
                depth -= 1
            elif ch == close and depth == 0:
                value = self.text[start : self.pos]
                self.pos += 1
                return value
            elif ch == "}" and opener:
                depth -= 1
            self.pos += 1
        return None


def _value(reader: _Reader, macros: dict[str, str]) -> str | None:
    parts: list[str] = []
    while True:
        reader.skip_space()
        if reader.pos >= len(reader.text):
            return None
        ch = reader.text[reader.pos]
        if ch in '{"':
            reader.pos += 1
            part = reader.braced("}" if ch == "{" else '"')
            if part is None:
                return None
            parts.append(part)
        else:
            match = re.compile(r"[^\s,#})]+").match(reader.text, reader.pos)
            if not match:
                return "".join(parts)
            word = match.group(0)
            reader.pos = match.end()
            parts.append(macros.get(word.lower(), _MONTHS.get(word.lower(), word)))
        reader.skip_space()
        if reader.pos < len(reader.text) and reader.text[reader.pos] == "#":
            reader.pos += 1
            continue
        return "".join(parts)


_FIELD = re.compile(r"\s*([A-Za-z][\w\-:.]*)\s*=")
_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")


def parse(text: str, file: str, problems: list[ImportProblem]) -> tuple[list[Draft], str]:
    """Drafts from BibTeX text."""
    reader = _Reader(text)
    macros: dict[str, str] = {}
    drafts: list[Draft] = []
    while True:
        match = _ENTRY.search(text, reader.pos)
        if not match:
            break
        kind = match.group(1).lower()
        start_line = reader.line(match.start())
        reader.pos = match.end()
        close = "}" if match.group(2) == "{" else ")"
        if kind in {"comment", "preamble"}:
            reader.braced(close)
            continue
        fields: dict[str, str] = {}
        truncated = False
        if kind != "string":
            key_match = re.compile(r"\s*([^,\s}]*)\s*,").match(text, reader.pos)
            key = key_match.group(1) if key_match else ""
            if key_match:
                reader.pos = key_match.end()
        while True:
            reader.skip_space()
            if reader.pos >= len(text):
                truncated = True
                break
            if text[reader.pos] == close:
                reader.pos += 1
                break
            if text[reader.pos] == ",":
                reader.pos += 1
                continue
            fm = _FIELD.match(text, reader.pos)
            if not fm:
                problems.append(
                    ImportProblem(file, reader.line(), "unreadable text in entry skipped")
                )
                nxt = text.find("\n", reader.pos)
                reader.pos = len(text) if nxt < 0 else nxt + 1
                if _ENTRY.match(text, reader.pos) or reader.pos >= len(text):
                    truncated = reader.pos >= len(text)
                    break
                continue
            reader.pos = fm.end()
            value = _value(reader, macros)
            if value is None:
                truncated = True
                break
            fields[fm.group(1).lower()] = value
        if kind == "string":
            macros.update({k: v for k, v in fields.items()})
            continue
        if truncated:
            problems.append(
                ImportProblem(file, start_line, "file ends inside this entry (truncated?); kept")
            )
        drafts.append(_draft(kind, key, fields, start_line))
    if not drafts and text.strip():
        problems.append(ImportProblem(file, 1, "no BibTeX entries found"))
    return drafts, ""


_MAPPED = {
    "title",
    "author",
    "year",
    "date",
    "journal",
    "journaltitle",
    "booktitle",
    "volume",
    "number",
    "issue",
    "pages",
    "doi",
    "pmid",
    "abstract",
    "keywords",
}


def _draft(kind: str, key: str, fields: dict[str, str], line: int) -> Draft:
    f = {k: delatex(v).strip() for k, v in fields.items()}
    draft = Draft(line=line, type=kind, original_id=key)
    draft.title = f.get("title", "")
    draft.authors = split_authors(f.get("author", "").replace("\n", " "))
    draft.year = parse_year(f.get("year", "") or f.get("date", ""))
    draft.journal = f.get("journal") or f.get("journaltitle") or f.get("booktitle", "")
    draft.volume = f.get("volume", "")
    draft.issue = f.get("number") or f.get("issue", "")
    draft.pages = f.get("pages", "")
    draft.doi = f.get("doi", "")
    draft.pmid = f.get("pmid", "")
    draft.abstract = f.get("abstract", "")
    kw = f.get("keywords", "")
    draft.keywords = [k.strip() for k in re.split(r"[;,]", kw)] if kw else []
    draft.extra = {k: v for k, v in f.items() if k not in _MAPPED}
    return draft
