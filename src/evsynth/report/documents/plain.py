"""The plain-language summary for patients: what the procedure is, who it may help, what the
studies found in numbers people understand, the risks, and how sure we are.

Numbers are given as "about N of 100 people", the frequency format people read most reliably;
sentences stay short so the text reads at about US school grade 8 or below (checked with the
Flesch-Kincaid grade in the test suite).

References
----------
.. [1] Gigerenzer G, Edwards A. Simple tools for understanding risks: from innumeracy to
   insight. BMJ. 2003;327(7417):741-744.
.. [2] Weiss BD. Health Literacy and Patient Safety: Help Patients Understand. 2nd ed. American
   Medical Association Foundation; 2007 (reading level of patient materials).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from evsynth.report.documents._env import environment
from evsynth.report.documents.procedures import match_procedure
from evsynth.report.documents.report_html import css

if TYPE_CHECKING:
    from evsynth.review.model import AnalysisRun, ReviewRun

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _count(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _months(t: float) -> str:
    if t == 12:
        return "1 year"
    if t % 12 == 0:
        return f"{int(t // 12)} years"
    return f"{t:g} months"


def _pooled_change(run: ReviewRun, domain: str) -> AnalysisRun | None:
    """The latest pooled change-from-baseline analysis of an outcome domain, if any."""
    doms = {o["id"]: o.get("domain") for o in run.outcomes}
    found = [a for a in run.analyses if doms.get(a.outcome) == domain and a.data == "change"]
    return max(found, key=lambda a: a.timepoint_months) if found else None


def _responder_words(run: ReviewRun, outcome: str) -> str:
    """'got at least 50 % better' from the responder outcome's definition, if it has a percent."""
    name = next((str(o.get("name", "")) for o in run.outcomes if o.get("id") == outcome), "")
    found = re.search(r"(\d+)\s*%", name)
    if found:
        return f"whose pain and daily tasks got at least {found.group(1)} % better"
    return "who got much better, as the study defined it"


def _trial_sentences(run: ReviewRun) -> list[str]:
    lines: list[str] = []
    studies = {s.study_id: s for s in run.studies}
    rows = [
        r for r in run.responders if r.study_id in studies and studies[r.study_id].design == "rct"
    ]
    if not rows:
        return lines
    first = rows[0]
    trials = sorted({r.study_id for r in rows})
    sham = any(w in first.arm_b.lower() for w in ("placebo", "sham"))
    other = "a fake treatment" if sham else "another treatment"
    blinded = "blind" in studies[first.study_id].design_detail.lower()
    lines.append(
        f"{_count(len(trials)).capitalize()} "
        f"{'study' if len(trials) == 1 else 'studies'} compared the treatment with {other}."
        + (" In that study, people did not know which one they got." if blinded else "")
        + f" We counted the people {_responder_words(run, first.outcome)}."
    )
    for r in rows:
        if r.study_id != first.study_id or r.outcome != first.outcome:
            continue
        lines.append(
            f"After {_months(r.timepoint_months)}: about {r.per100_a} of 100 people who had "
            f"the treatment got this much better, compared with {r.per100_b} of 100 who had "
            f"the {'fake' if sham else 'other'} treatment."
        )
    same = [r for r in rows if r.study_id == first.study_id and r.outcome == first.outcome]
    last = same[-1]
    if last.n_a < 0.8 * max(r.n_a for r in same):
        lines.append(
            f"By {_months(last.timepoint_months)}, fewer people were still in the study "
            f"({last.n_a + last.n_b} people), so the later numbers are less sure."
        )
    return lines


def _change_sentence(run: ReviewRun) -> str | None:
    a = _pooled_change(run, "pain")
    if a is None:
        return None
    k = a.random.k
    return (
        f"In {k} studies, pain went down by about {a.random.estimate:.1f} points on a scale "
        f"from 0 to 10 after {_months(a.timepoint_months)}. Most of these studies did not "
        "have a group that got a different treatment. So we cannot tell how much of this "
        "would have happened anyway."
    )


def _sureness(run: ReviewRun) -> list[str]:
    rcts = [s for s in run.studies if s.design == "rct"]
    others = len(run.studies) - len(rcts)
    lines = []
    if len(rcts) <= 1:
        lines.append(
            "We are not very sure. Only one small study compared the treatment with a fake "
            "treatment."
            if rcts
            else "We are not sure. No study compared the treatment with another treatment."
        )
    else:
        lines.append(f"{_count(len(rcts)).capitalize()} studies compared the treatment with "
                     "another treatment.")  # fmt: skip
    if others:
        lines.append(
            f"The other {_count(others)} studies looked back at the records of people who "
            "had the treatment. This kind of study is less reliable."
        )
    if any(f.code == "random-effects-changes-result" for f in run.findings):
        lines.append("The studies also gave quite different results from each other.")
    return lines


def _who(plain: dict[str, Any], population: str) -> str:
    """Who the procedure may help, in the catalog's words for the review's condition."""
    text = population.lower()
    for entry in plain.get("who_by_condition", ()):
        if any(phrase in text for phrase in entry.get("match", ())):
            return str(entry["text"])
    return str(plain.get("who", population))


def plain_context(run: ReviewRun) -> dict[str, Any]:
    """Everything the summary prints."""
    q = run.question
    proc = match_procedure(q.get("intervention", ""), run.title) or {}
    plain = proc.get("plain", {})
    risks = [
        f"In about {round(r['per100'])} of 100 procedures, {r['plain']}."
        for r in proc.get("risks", ())
    ]
    return {
        "title": proc.get("name", run.title).split(" (")[0],
        "css": css(),
        "version": run.version,
        "what": plain.get("what", q.get("intervention", "")),
        "day": plain.get("day", ""),
        "who": _who(plain, q.get("population", "")),
        "trial": _trial_sentences(run),
        "change": _change_sentence(run),
        "risks": risks,
        "risks_intro": proc.get("risks_intro", "In a large study:"),
        "risks_other": proc.get("risks_other", ""),
        "risks_source": proc.get("risks_source", ""),
        "sureness": _sureness(run),
        "other_options": plain.get("other_options", ""),
        "source": run.citation,
    }


def render_plain_summary_html(run: ReviewRun) -> str:
    """The plain-language summary as HTML."""
    return environment().get_template("plain-language-summary.html").render(**plain_context(run))
