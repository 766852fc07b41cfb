"""Reading level of plain-language text: the Flesch-Kincaid grade.

The grade is the US school grade a reader needs to follow the text. Health-literacy guidance
asks patient material to stay at about grade 6 to 8. The formula needs counts of words,
sentences and syllables; syllables come from a spelling heuristic (vowel groups with the usual
English corrections), which is what the formula's users have always done in software, because
no dictionary covers every word a summary may use.

References
----------
.. [1] Kincaid JP, Fishburne RP, Rogers RL, Chissom BS. Derivation of new readability formulas
   (Automated Readability Index, Fog Count and Flesch Reading Ease Formula) for Navy enlisted
   personnel. Research Branch Report 8-75. Naval Technical Training Command; 1975.
.. [2] Flesch R. A new readability yardstick. J Appl Psychol. 1948;32(3):221-233.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")
# A sentence ends at . ! ? or : followed by space/end; decimal points inside numbers do not count.
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|:(?=\s)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")

# Spoken syllables of the numbers people read in a summary ("58 of 100"): zero..nine,
# ten..nineteen, and the tens (twenty..ninety).
_ONES = (2, 1, 1, 1, 1, 1, 1, 2, 1, 1)
_TEENS = (1, 3, 1, 2, 2, 2, 2, 3, 2, 2)
_TENS = (0, 0, 2, 2, 2, 2, 2, 3, 2, 2)


@dataclass(frozen=True)
class Readability:
    """Counts and the Flesch-Kincaid grade of one text."""

    words: int
    sentences: int
    syllables: int
    grade: float

    def summary(self) -> str:
        return (
            f"Flesch-Kincaid grade {self.grade:.1f} ({self.words} words, "
            f"{self.sentences} sentences, {self.syllables} syllables)"
        )


def _number_syllables(token: str) -> int:
    """Syllables of a number as it is read aloud (integers up to 9999, decimals digit by digit)."""
    whole, _, decimals = token.replace(",", "").partition(".")
    count = sum(_ONES[int(d)] for d in decimals) + (1 if decimals else 0)  # "point"
    value = int(whole) if whole else 0
    if value >= 10000:
        return count + 2 * len(whole)
    if value >= 1000:
        count += _ONES[value // 1000] + 2  # "thou-sand"
        value %= 1000
    if value >= 100:
        count += _ONES[value // 100] + 2  # "hun-dred"
        value %= 100
    if value >= 20:
        count += _TENS[value // 10] + (_ONES[value % 10] if value % 10 else 0)
    elif value >= 10:
        count += _TEENS[value - 10]
    elif value > 0 or count == 0:
        count += _ONES[value]
    return count


def count_syllables(word: str) -> int:
    """Estimate the syllables of one English word (at least 1)."""
    if word[0].isdigit():
        return _number_syllables(word)
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w)
    if len(w) <= 3:
        return 1
    # Silent endings: "-es"/"-ed" usually add no syllable ("makes", "used") unless after t/d
    # ("treated"); a final silent "e" ("procedure") adds none, but "-le" after a consonant does
    # ("simple").
    if re.search(r"[^aeiouy]le$", w):
        base = w[:-2]
        extra = 1
    elif re.search(r"[^td]ed$", w) or re.search(r"[^scxzhg]es$", w):
        base = w[:-2]
        extra = 0
    elif w.endswith("e") and not w.endswith(("ee", "ye")):
        base = w[:-1]
        extra = 0
    else:
        base = w
        extra = 0
    groups = len(_VOWEL_GROUP.findall(base))
    # Vowel pairs that are read as two syllables ("ia" in "radiation", "io" in "radio").
    groups += len(re.findall(r"[^aeiou]i[aou]", base)) - len(re.findall(r"[ct]i[ao]", base))
    return max(1, groups + extra)


def words_of(text: str) -> list[str]:
    """The words of ``text`` (numbers count as words, as they are read)."""
    return _WORD.findall(text)


def count_sentences(text: str) -> int:
    """Number of sentences: runs of . ! ? (and a colon that opens a list) ending a clause."""
    ends = len(_SENTENCE_END.findall(text.strip()))
    tail = text.strip()[-1:] if text.strip() else ""
    if tail and tail not in ".!?:":
        ends += 1  # a last line without a full stop (a heading or list item) still ends
    return max(1, ends)


def flesch_kincaid(text: str) -> Readability:
    """Flesch-Kincaid grade level of ``text``.

    ``grade = 0.39 * words/sentences + 11.8 * syllables/words - 15.59`` [1]_.

    Parameters
    ----------
    text : str
        Plain text; each heading or list item should end with a full stop or be on its own
        line ending a sentence (see :func:`count_sentences`).

    Returns
    -------
    Readability
        The counts and the grade.
    """
    words = words_of(text)
    if not words:
        return Readability(0, 0, 0, 0.0)
    sentences = sum(count_sentences(block) for block in re.split(r"\n\s*\n", text) if block.strip())
    syllables = sum(count_syllables(w) for w in words)
    grade = 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59
    return Readability(len(words), sentences, syllables, grade)
