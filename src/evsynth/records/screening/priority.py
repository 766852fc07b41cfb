"""Priority screening: rank unscreened records by predicted relevance (active learning).

Title and abstract (the title counted twice) are turned into TF-IDF features (word unigrams
and bigrams seen in at least two records, sublinear term frequency) once for the whole record
set; a class-balanced linear support vector machine from scikit-learn is trained on the
decisions made so far and scores the records not yet screened. The ranking is retrained as
decisions come in (in a simulation after every record, later in growing batches; at every call
of :func:`rank`). The model only orders records: every record is still screened by people, so a
poor model costs time, never a study.

References
----------
.. [1] Cohen AM, Hersh WR, Peterson K, Yen PY. Reducing workload in systematic review
   preparation using automated citation classification. JAMIA 2006;13(2):206-219.
.. [2] van de Schoot R, de Bruin J, Schram R, et al. An open source machine learning framework
   for efficient and transparent systematic reviews. Nature Machine Intelligence 2021;3:125-133.
.. [3] O'Mara-Eves A, Thomas J, McNaught J, Miwa M, Ananiadou S. Using text mining for study
   identification in systematic reviews: a systematic review of current approaches. Systematic
   Reviews 2015;4:5.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from evsynth.errors import InputError
from evsynth.records.screening.decisions import STAGES, ScreeningLog

CLASSIFIERS = ("svm", "logistic", "nb")


@dataclass(frozen=True)
class PrioritySettings:
    """The ranking model's settings (defaults chosen on public labelled reviews; see docs).

    Parameters
    ----------
    classifier
        ``svm`` (linear support vector machine, the default), ``logistic`` (logistic
        regression) or ``nb`` (multinomial naive Bayes); all from scikit-learn, the first two
        with class weights inversely proportional to class frequency.
    title_weight
        How many times the title is counted beside the abstract. The title is the densest
        statement of what a record is about (and all that some records have); counting it
        twice improved WSS@95 on both open benchmark reviews.
    ngram_max
        Longest word n-gram used as a feature (1: words only, 2: words and word pairs).
    min_df
        A term must occur in at least this many records to become a feature (2 drops words and
        word pairs seen once, which cannot generalise from one record to another).
    C
        Inverse regularisation strength of the SVM or logistic regression (``alpha`` of naive
        Bayes is ``1 / C``).
    batch_size
        Records screened between retrainings in a simulation. ``None`` (the default) retrains
        after every record for the first 100 and then every 1 % of the records screened so far,
        so that the number of retrainings grows with the logarithm of the review's size (a
        50,000-record review needs about 700 instead of 50,000) while the early, decisive part
        is retrained record by record.
    """

    classifier: str = "svm"
    title_weight: int = 2
    ngram_max: int = 2
    min_df: int = 2
    C: float = 0.5
    batch_size: int | None = None

    def __post_init__(self) -> None:
        if self.classifier not in CLASSIFIERS:
            raise InputError(
                f"Invalid classifier {self.classifier!r}; expected one of {', '.join(CLASSIFIERS)}"
            )
        if self.title_weight < 1:
            raise InputError(f"Invalid title_weight {self.title_weight}; expected 1 or more")
        if self.ngram_max < 1:
            raise InputError(f"Invalid ngram_max {self.ngram_max}; expected 1 or more")
        if self.min_df < 1:
            raise InputError(f"Invalid min_df {self.min_df}; expected 1 or more")
        if not self.C > 0:
            raise InputError(f"Invalid C {self.C}; expected a positive number")
        if self.batch_size is not None and self.batch_size < 1:
            raise InputError(f"Invalid batch size {self.batch_size}; expected 1 or more")


DEFAULT_SETTINGS = PrioritySettings()


def batch_after(settings: PrioritySettings, screened: int) -> int:
    """Records to screen before the next retraining, given how many are screened so far."""
    if settings.batch_size is not None:
        return settings.batch_size
    return max(1, screened // 100)


def record_text(record: Mapping[str, Any], settings: PrioritySettings = DEFAULT_SETTINGS) -> str:
    """Title and abstract of a record, the text the model reads (title repeated, see settings)."""
    title = str(record.get("title") or "")
    abstract = str(record.get("abstract") or "")
    return "\n".join([title] * settings.title_weight + [abstract])


def feature_matrix(texts: Sequence[str], settings: PrioritySettings = DEFAULT_SETTINGS) -> Any:
    """TF-IDF features of every record (a sparse matrix, rows in the order of ``texts``)."""
    vectorizer = TfidfVectorizer(
        ngram_range=(1, settings.ngram_max),
        min_df=min(settings.min_df, max(1, len(texts))),
        sublinear_tf=True,
        stop_words="english",
        strip_accents="unicode",
        dtype=np.float64,
    )
    try:
        return vectorizer.fit_transform(texts)
    except ValueError:
        # Every text empty (or only stop words): no features; the ranking keeps file order.
        return None


def relevance_scores(
    features: Any,
    labelled: NDArray[np.intp],
    labels: NDArray[np.int_],
    settings: PrioritySettings = DEFAULT_SETTINGS,
) -> NDArray[np.float64] | None:
    """Predicted relevance of every record from the labelled ones (``None``: cannot train yet).

    The classifier needs at least one relevant and one irrelevant record; classes are weighted
    inversely to their frequency, because includes are typically 1-5 % of the records.
    """
    if features is None or len(set(labels.tolist())) < 2:
        return None
    model: Any
    if settings.classifier == "svm":
        # liblinear visits samples in a random order: a fixed random_state keeps the ranking,
        # and so every simulated order, reproducible.
        model = LinearSVC(C=settings.C, class_weight="balanced", random_state=0)
    elif settings.classifier == "logistic":
        model = LogisticRegression(
            C=settings.C, class_weight="balanced", solver="liblinear", random_state=0
        )
    else:
        model = MultinomialNB(alpha=1.0 / settings.C)
    model.fit(features[labelled], labels)
    if settings.classifier == "nb":
        return np.asarray(model.predict_log_proba(features)[:, 1], dtype=np.float64)
    return np.asarray(model.decision_function(features), dtype=np.float64)


def keyword_scores(
    texts: Sequence[str], prefer: Sequence[str], avoid: Sequence[str]
) -> NDArray[np.float64]:
    """Whole-word keyword hits per text: ``prefer`` words count +1, ``avoid`` words -1."""

    def pattern(words: Sequence[str]) -> re.Pattern[str] | None:
        terms = [re.escape(w.strip()) for w in words if w.strip()]
        return re.compile(r"\b(?:" + "|".join(terms) + r")\b", re.IGNORECASE) if terms else None

    good, bad = pattern(prefer), pattern(avoid)
    out = np.zeros(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):
        if good is not None:
            out[i] += len(good.findall(text))
        if bad is not None:
            out[i] -= len(bad.findall(text))
    return out


def _training_labels(log: ScreeningLog, record_id: str, stage: str) -> int | None:
    """1 relevant, 0 irrelevant, None unknown: the settled outcome, else the decisions so far."""
    outcome = log.outcome(record_id, stage)
    if outcome.outcome in ("include", "exclude"):
        return 1 if outcome.outcome == "include" else 0
    choices = {d.decision for d in outcome.decisions}
    if "include" in choices:
        return 1
    if choices == {"exclude"}:
        return 0
    return None  # maybe only, or nothing yet


def rank(
    records: Sequence[Mapping[str, Any]],
    log: ScreeningLog,
    stage: str = "title_abstract",
    *,
    reviewer: str | None = None,
    settings: PrioritySettings = DEFAULT_SETTINGS,
    features: Any = None,
    prefer: Sequence[str] = (),
    avoid: Sequence[str] = (),
) -> tuple[str, ...]:
    """Records still to be screened, most likely relevant first.

    Parameters
    ----------
    records
        Records with ``id``, ``title`` and ``abstract`` (the dictionaries of
        ``records/records.jsonl``), already limited to those at this stage.
    log
        The project's screening log; its decisions at ``stage`` are the training labels.
    reviewer
        Rank the records this reviewer has not decided yet (default: records nobody decided).
    features
        The records' :func:`feature_matrix` when the caller ranks the same records repeatedly
        (the terminal does, every few decisions); computed here when not given.
    prefer, avoid
        Protocol keywords (``screening.highlight``) that order the records before the model can
        be trained: records mentioning more ``prefer`` words and fewer ``avoid`` words first.

    Returns
    -------
    tuple of str
        Record IDs. Until there is at least one relevant and one irrelevant decision the order
        comes from the keywords, else it is the records' own order.
    """
    if stage not in STAGES:
        raise InputError(f"invalid stage {stage!r}; expected one of {', '.join(STAGES)}")
    ids = [str(r["id"]) for r in records]
    todo: list[int] = []
    labelled: list[int] = []
    labels: list[int] = []
    for i, record_id in enumerate(ids):
        standing = log.current(record_id, stage)
        done = reviewer in standing if reviewer is not None else bool(standing)
        label = _training_labels(log, record_id, stage)
        if label is not None:
            labelled.append(i)
            labels.append(label)
        if not done:
            todo.append(i)
    if not todo:
        return ()
    if features is None:
        features = feature_matrix([record_text(r, settings) for r in records], settings)
    scores = relevance_scores(
        features, np.asarray(labelled, dtype=np.intp), np.asarray(labels, dtype=np.int_), settings
    )
    if scores is None:
        if not (prefer or avoid):
            return tuple(ids[i] for i in todo)
        scores = keyword_scores(
            [record_text(records[i], settings) for i in range(len(ids))], prefer, avoid
        )
    # Stable sort: equal scores keep the records' own order, so the ranking is reproducible.
    order = sorted(todo, key=lambda i: -scores[i])
    return tuple(ids[i] for i in order)
