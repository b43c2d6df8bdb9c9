"""Candidate pairs: which claims of different documents are worth judging. Never all pairs.

Each claim becomes a sparse TF-IDF vector (scikit-learn) of its proposition's
words plus one token per cross-document actor it names or is spoken by, so
that sharing an actor counts like sharing a rare word (the entity sub-vector
of news-stream clustering). The similarity of every claim to every other is a
sparse matrix product computed a block of rows at a time, so memory stays
bounded; each claim keeps at most `k` neighbours from other documents above a
floor, and pairs whose documents' dates are known and far apart are blocked.

Why this and not bm25s or MinHash: on this machine's measurements (see the
benchmark in docs/benchmarks.md) the blocked sparse product finds the planted pairs with
the recall asked for at a fraction of bm25s's time, and unlike MinHash LSH it
returns a bounded number of pairs per claim.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .text import content_words

#: Neighbours each claim picks.
DEFAULT_K = 10
#: Pairs any one claim is in, at most (its own picks and others' picks of it).
MAX_PER_CLAIM = 20
#: Cosine below which two claims are never a candidate pair.
MIN_SIMILARITY = 0.12
#: Documents whose dates are both known and further apart than this are not compared.
MAX_DAYS_APART = 30
#: Rows multiplied at once: bounds the memory of one block of the similarity product.
BLOCK_ROWS = 2048
#: Terms are dropped from candidate generation only when in more claims than this (or 1%).
MIN_MAX_DF = 200


@dataclass(frozen=True, slots=True)
class ClaimText:
    """What candidate generation reads of a claim."""

    document: int
    proposition: str
    actors: frozenset[str]
    published: date | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """Claims `a` < `b` (indexes into the claims) and their cosine similarity."""

    a: int
    b: int
    similarity: float
    #: each is the other's most similar claim in the other's document (a mutual best
    #: match: the alignment signal that two outlets' sentences report one thing)
    mutual: bool = False


def candidate_pairs(
    claims: Sequence[ClaimText],
    k: int = DEFAULT_K,
    min_similarity: float = MIN_SIMILARITY,
    max_days_apart: int = MAX_DAYS_APART,
) -> list[Candidate]:
    """Each claim's `k` most similar claims of other documents, as unordered pairs."""
    if len(claims) < 2:
        return []
    vectors = _vectors(claims)
    documents = np.fromiter((c.document for c in claims), dtype=np.int64, count=len(claims))
    days = np.fromiter(
        (c.published.toordinal() if c.published else -1 for c in claims),
        dtype=np.int64, count=len(claims),
    )  # fmt: skip
    kept = [
        _kept(first, block, documents, days, k, min_similarity, max_days_apart)
        for first, block in _similarity_blocks(vectors)
    ]
    rows = np.concatenate([r for r, _, _ in kept])
    columns = np.concatenate([c for _, c, _ in kept])
    scores = np.concatenate([s for _, _, s in kept])
    return _unordered(rows, columns, scores, documents, len(claims))


def _vectors(claims: Sequence[ClaimText]) -> sparse.csr_matrix:
    """TF-IDF rows; terms in more claims than `_max_df` are left out (see there)."""
    vectorizer = TfidfVectorizer(
        analyzer=_terms, sublinear_tf=True, dtype=np.float32, max_df=_max_df(len(claims))
    )
    try:
        return vectorizer.fit_transform(claims).tocsr()
    except ValueError:  # no word at all (every claim empty or stop words only)
        return sparse.csr_matrix((len(claims), 1), dtype=np.float32)


def _max_df(claims: int) -> int:
    """Terms in more claims than this do not make candidates.

    The product's cost is the sum over terms of their claim count squared, so a
    few words every claim uses would cost more than all the others; a word in
    one claim of a hundred says little about which two report one fact.
    """
    return max(MIN_MAX_DF, claims // 100)


def _terms(claim: ClaimText) -> list[str]:
    """The claim's content words (as the judge reads them) and one term per actor."""
    return content_words(claim.proposition) + ["actor:" + actor for actor in claim.actors]


def _similarity_blocks(vectors: sparse.csr_matrix) -> Iterator[tuple[int, sparse.csr_matrix]]:
    """(first row, cosine similarities of a block of rows with every row)."""
    transposed = vectors.T.tocsr()
    for first in range(0, vectors.shape[0], BLOCK_ROWS):
        yield first, (vectors[first : first + BLOCK_ROWS] @ transposed).tocsr()


def _kept(
    first: int,
    block: sparse.csr_matrix,
    documents: np.ndarray,
    days: np.ndarray,
    k: int,
    min_similarity: float,
    max_days_apart: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, scores) of each row's `k` best claims of other documents in a block."""
    rows = np.repeat(np.arange(first, first + block.shape[0]), np.diff(block.indptr))
    similar = block.data >= min_similarity  # first the cheap test, on contiguous memory
    rows, scores = rows[similar], block.data[similar]
    columns = block.indices[similar].astype(np.int64)
    keep = documents[columns] != documents[rows]
    if (days >= 0).any():
        day_a, day_b = days[rows], days[columns]
        keep &= (day_a < 0) | (day_b < 0) | (np.abs(day_a - day_b) <= max_days_apart)
    rows, columns, scores = rows[keep], columns[keep], scores[keep]
    chosen = _top_per_row(rows - first, scores, block.shape[0], k)
    return rows[chosen], columns[chosen], scores[chosen]


def _top_per_row(rows: np.ndarray, scores: np.ndarray, n_rows: int, k: int) -> np.ndarray:
    """Indexes of each row's `k` highest scores; `rows` ascending (CSR order, 0-based).

    A partial selection per row (linear), not a sort of every entry of the block:
    a block of a dense corpus holds millions of entries and keeps a few thousand.
    """
    counts = np.bincount(rows, minlength=n_rows)
    ends = np.cumsum(counts)
    starts = ends - counts
    few = counts <= k
    chosen = [np.flatnonzero(np.repeat(few, counts))]
    for row in np.flatnonzero(~few).tolist():
        lo, hi = int(starts[row]), int(ends[row])
        chosen.append(lo + np.argpartition(-scores[lo:hi], k - 1)[:k])
    return np.concatenate(chosen)


def _unordered(
    rows: np.ndarray, columns: np.ndarray, scores: np.ndarray, documents: np.ndarray, n: int
) -> list[Candidate]:
    """The kept (row, column) entries as unordered pairs (the higher score), in (a, b) order."""
    best = _best_in_document(rows, columns, scores, documents, n)
    low, high = np.minimum(rows, columns), np.maximum(rows, columns)
    keys = low * n + high
    order = np.lexsort((-scores, keys))
    keys, low, high, scores = keys[order], low[order], high[order], scores[order]
    first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, dtype=bool)
    low, high, scores = low[first], high[first], scores[first]
    capped = _capped(low, high, scores, n)
    low, high, scores = low[capped], high[capped], scores[capped]
    mutual = np.isin(low * n + high, best) & np.isin(high * n + low, best)
    return [
        Candidate(a, b, round(score, 4), flag)
        for a, b, score, flag in zip(
            low.tolist(), high.tolist(), scores.tolist(), mutual.tolist(), strict=True
        )
    ]


def _capped(low: np.ndarray, high: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """Which pairs to keep so that no claim is in more than MAX_PER_CLAIM, best first.

    A claim keeps its own `k` neighbours, but may be among the neighbours of any
    number of others (a hub); the cap bounds what one claim costs the judge.
    """
    degree = [0] * n
    lows, highs = low.tolist(), high.tolist()
    kept = []
    for index in np.argsort(-scores, kind="stable").tolist():
        a, b = lows[index], highs[index]
        if degree[a] < MAX_PER_CLAIM and degree[b] < MAX_PER_CLAIM:
            degree[a] += 1
            degree[b] += 1
            kept.append(index)
    keep = np.zeros(len(scores), dtype=bool)
    keep[kept] = True
    return keep


def _best_in_document(
    rows: np.ndarray, columns: np.ndarray, scores: np.ndarray, documents: np.ndarray, n: int
) -> np.ndarray:
    """Keys ``row * n + column`` of each row's most similar kept claim in each other document."""
    other = documents[columns]
    order = np.lexsort((columns, -scores, other, rows))
    rows, columns, other = rows[order], columns[order], other[order]
    group = rows * (int(documents.max(initial=0)) + 1) + other
    first = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    return np.sort(rows[first] * n + columns[first])
