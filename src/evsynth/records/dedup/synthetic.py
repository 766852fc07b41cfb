"""Generated search results with known duplicates, for benchmarks and tests at any size.

Each generated *work* (one article) is exported by one to four databases; every export adds the
noise real exports have: title case and punctuation, a trailing period or language tag, a typo,
authors as initials or full names, an abbreviated journal, an abbreviated page range, a missing
DOI or PMID. A few works also get a *related report* (a conference abstract of the same study the
year before, in a supplement), which must not be merged with the article: the truth lists only
exports of the same work as duplicates.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, replace

from evsynth.records.model import Record

_WORD_TEXT = (
    "pain lumbar epidural adhesiolysis neurolysis randomized controlled trial chronic low back "
    "spinal stenosis radiculopathy injection steroid outcomes patients efficacy safety long term "
    "follow up systematic review meta analysis cohort study effect therapy treatment versus "
    "placebo sham surgery failed syndrome disc herniation facet joint nerve block ablation "
    "radiofrequency stimulation cord management intervention fluoroscopic guided caudal "
    "transforaminal interlaminar analysis comparison evaluation assessment quality life function "
    "disability opioid use cost effectiveness elderly adults children women men hospital primary "
    "care community prospective retrospective observational multicenter pilot feasibility "
    "protocol hyaluronidase saline catheter endoscopic percutaneous minimally invasive "
    "complications risk factors predictors mortality stroke rehabilitation cognitive memory "
    "training computer assisted robot gait balance aphasia neglect upper limb motor recovery "
    "haemolytic uraemic complement eculizumab atypical thrombotic microangiopathy renal "
    "transplant kidney genetic mutation factor antibody plasma exchange infusion"
)
_WORDS = _WORD_TEXT.split()
_JOURNALS = (
    ("Pain Physician", "Pain Physician"),
    ("Journal of Pain Research", "J Pain Res"),
    ("Spine", "Spine"),
    ("European Spine Journal", "Eur Spine J"),
    ("Regional Anesthesia and Pain Medicine", "Reg Anesth Pain Med"),
    ("Anesthesia and Analgesia", "Anesth Analg"),
    ("Pain Medicine", "Pain Med"),
    ("Journal of Neurosurgery: Spine", "J Neurosurg Spine"),
    ("Archives of Physical Medicine and Rehabilitation", "Arch Phys Med Rehabil"),
    ("Clinical Rehabilitation", "Clin Rehabil"),
    ("Stroke", "Stroke"),
    ("Neurorehabilitation and Neural Repair", "Neurorehabil Neural Repair"),
    ("Pediatric Nephrology", "Pediatr Nephrol"),
    ("American Journal of Transplantation", "Am J Transplant"),
    ("New England Journal of Medicine", "N Engl J Med"),
    ("British Journal of Haematology", "Br J Haematol"),
    ("Journal of the American Society of Nephrology", "J Am Soc Nephrol"),
    ("Korean Journal of Pain", "Korean J Pain"),
    ("Journal of Orthopaedic Science", "J Orthop Sci"),
    ("BMC Musculoskeletal Disorders", "BMC Musculoskelet Disord"),
)
_SYLLABLE_TEXT = "ka ri mo ta se lin ver han sch ber gu ye wa zo pol ni che ro dan mi"
_SYLLABLES = _SYLLABLE_TEXT.split()


@dataclass(frozen=True)
class _Work:
    title: str
    authors: tuple[tuple[str, str], ...]
    year: int
    journal: tuple[str, str]
    volume: int
    issue: int
    pages: tuple[int, int]
    doi: str
    pmid: str


def _family(rng: random.Random) -> str:
    name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    return name.capitalize()


def _given(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(2)).capitalize()


_SUBTITLES = (
    "a randomized controlled trial",
    "a systematic review and meta-analysis",
    "a prospective cohort study",
    "results of a pilot study",
    "a retrospective analysis",
)


def _title(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(7, 16))]
    title = " ".join(words).capitalize()
    if rng.random() < 0.3:
        title += ": " + rng.choice(_SUBTITLES)
    return title


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 10:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two letters
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    if kind == 1:  # drop a letter
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i:]


def _export(rng: random.Random, work: _Work, rid: str, source: str) -> Record:
    title = work.title
    if ": " in title and rng.random() < 0.1:
        title = title.split(": ")[0]  # subtitle dropped by one database
    if rng.random() < 0.03:
        title += " [Chinese]"
    style = rng.random()
    if style < 0.2:
        title = title.upper()
    elif style < 0.5:
        title = title.title()
    if rng.random() < 0.5:
        title += "."
    if rng.random() < 0.15:
        title = _typo(rng, title)
    if rng.random() < 0.1:
        title = title.replace(" ", " - ", 1).replace(",", "")
    authors = work.authors
    if rng.random() < 0.5:
        names = tuple(f"{f}, {g[0]}." for f, g in authors)
    else:
        names = tuple(f"{f}, {g}" for f, g in authors)
    if rng.random() < 0.1 and len(names) > 3:
        names = names[:3]  # "et al." exports
    journal_full, journal_abbrev = work.journal
    journal = journal_abbrev if rng.random() < 0.4 else journal_full
    first, last = work.pages
    pages = f"{first}-{last}"
    if rng.random() < 0.3 and len(str(last)) == len(str(first)):
        pages = f"{first}-{str(last)[-2:]}"
    doi = work.doi if work.doi and rng.random() < 0.6 else ""
    year = work.year
    if doi and rng.random() < 0.05:
        year += 1  # the print year where another database has the e-pub year
    return Record(
        id=rid,
        source=source,
        title=title,
        authors=names if rng.random() < 0.98 else (),
        year=year,
        journal=journal,
        volume=str(work.volume),
        issue=str(work.issue) if rng.random() < 0.9 else "",
        pages=pages if rng.random() < 0.95 else "",
        doi=doi,
        pmid=work.pmid if work.pmid and rng.random() < 0.7 else "",
    )


def _erratum(rng: random.Random, work: _Work, rid: str) -> Record:
    """A correction notice for ``work``: one page later in the same volume, its own DOI, titled
    in one of the ways databases title errata."""
    base = _export(rng, replace(work, doi="", pmid=""), rid, "Web of Science")
    style = rng.randrange(3)
    if style == 0:
        title = "Erratum: " + work.title
    elif style == 1:
        title = f"{work.title} (vol {work.volume}, pg {work.pages[0]}, {work.year})"
    else:
        title = work.title  # the notice repeats the title and nothing else
    page = work.pages[1] + rng.randint(50, 900)
    return replace(
        base,
        title=title,
        issue=str(min(work.issue + rng.randint(1, 3), 12)),
        pages=str(page),
        doi=f"10.{rng.randint(1000, 9999)}/err{rid}",
        authors=base.authors[:1] if rng.random() < 0.3 else base.authors,
    )


def _reply(rng: random.Random, work: _Work, rid: str) -> Record:
    """The authors' reply to a letter (``work``), printed on the page after it by other people."""
    base = _export(rng, replace(work, doi="", pmid=""), rid, "Embase")
    others = tuple(f"{_family(rng)}, {_given(rng)[0]}." for _ in range(rng.randint(1, 3)))
    title = rng.choice(("{} - Reply", "Reply to: {}", "Re: {}")).format(work.title)
    return replace(base, title=title, authors=others, pages=str(work.pages[1] + 1))


def generate(
    n: int, seed: int = 2015, *, errata: float = 0.0, replies: float = 0.0
) -> tuple[list[Record], list[list[str]]]:
    """``n`` records and the true duplicate groups (lists of IDs) among them.

    About 30% of works are exported more than once (so roughly a quarter of the records are
    duplicates) and 3% have a related conference abstract that is not a duplicate. With
    ``errata`` (a probability per work), works also get a correction notice (ID ending
    ``-err``), and with ``replies`` a reply by other authors on the next page (ID ending
    ``-re``); the truth counts each as a record of its own. With both at 0 the records are the
    same as before the options existed (no random draws are added).
    """
    rng = random.Random(seed)
    sources = ("PubMed", "Embase", "Scopus", "Web of Science")
    records: list[Record] = []
    truth: list[list[str]] = []
    w = 0
    while len(records) < n:
        w += 1
        first = rng.randint(1, 2000)
        work = _Work(
            title=_title(rng),
            authors=tuple((_family(rng), _given(rng)) for _ in range(rng.randint(1, 8))),
            year=rng.randint(1995, 2024),
            journal=rng.choice(_JOURNALS),
            volume=rng.randint(1, 60),
            issue=rng.randint(1, 12),
            pages=(first, first + rng.randint(0, 15)),
            doi=f"10.{rng.randint(1000, 9999)}/w{w}" if rng.random() < 0.8 else "",
            pmid=str(10_000_000 + w) if rng.random() < 0.7 else "",
        )
        copies = 1 if rng.random() < 0.7 else rng.randint(2, 4)
        ids = []
        for c in range(min(copies, n - len(records))):
            rid = f"w{w:06d}-{c}"
            records.append(_export(rng, work, rid, sources[c % len(sources)]))
            ids.append(rid)
        if len(ids) > 1:
            truth.append(ids)
        if rng.random() < 0.03 and len(records) < n:
            # The conference abstract of the same study: a different report, not a duplicate.
            abstract = _export(rng, replace(work, doi="", pmid=""), f"w{w:06d}-abs", "Embase")
            records.append(
                replace(
                    abstract,
                    year=work.year - 1,
                    issue="Suppl 1",
                    pages=f"S{rng.randint(1, 300)}",
                    type="Conference Abstract",
                )
            )
        if errata and rng.random() < errata and len(records) < n:
            records.append(_erratum(rng, work, f"w{w:06d}-err"))
        if replies and rng.random() < replies and len(records) < n:
            records.append(_reply(rng, work, f"w{w:06d}-re"))
    rng.shuffle(records)
    return records, truth
