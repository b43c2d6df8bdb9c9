"""Claim pairs written as records (a trap set, a sealed set, a labelled corpus): the judge's pairs.

A pairs file holds two claims per record, each as ``{"quote", "speaker", "outlet",
"published"}`` (optionally ``"doc"``: the document the claim is from, when several
records share one). `pairs_of` turns such records into the `Pair` the judge reads in
`annotate compare`, made the way the pipeline makes it, so that a test or a benchmark
on the file judges what a user's comparison would:

* **actors**: the capitalised names of each claim (as a name finder would mark them,
  sentence-initial function words left out) and its speaker, linked across the claims
  by the pipeline's own `ActorRegistry` ("Putin" is "Vladimir Putin");
* **similarity**: the TF-IDF cosine of the candidate generator, fitted on every claim of
  the records (so rare words weigh as in a corpus of that size);
* **mutual**: each claim is the other's most similar among the claims of the other's
  document that the records hold (one claim per document: always).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
from scipy import sparse

from annotate.schemas import OUTLET

from .actors import ActorRegistry
from .candidates import ClaimText, _vectors
from .claims import ComparedClaim, ComparedDocument, NamedActor, Outlet
from .judges.base import Pair
from .scope import claim_names

__all__ = ["claim_names", "pairs_of"]  # claim_names: the names this module reads

Side = Mapping[str, Any]


def pairs_of(records: Sequence[tuple[Side, Side]]) -> list[Pair]:
    """The judge's `Pair` of each (claim A, claim B) record, in order (see the module)."""
    claims: list[ComparedClaim] = []
    documents: dict[str, ComparedDocument] = {}
    for index, (a, b) in enumerate(records):
        for side, key in ((a, f"{index}:a"), (b, f"{index}:b")):
            claim = _claim(side, str(side.get("doc") or key))
            claims.append(claim)
            document = documents.setdefault(
                claim.outlet.doc_id, ComparedDocument(claim.outlet, "", "records", "records")
            )
            document.claims.append(claim)
            document.actors.extend(NamedActor(n, None, (n,)) for n in claim.mentioned)
    registry = ActorRegistry()
    for document in documents.values():
        registry.add(document)
    registry.link()
    actors = [registry.ids((*c.mentioned, *(() if c.speaker == OUTLET else (c.speaker,))))
              for c in claims]  # fmt: skip
    vectors = _tfidf(claims, actors, documents)
    members: dict[str, list[int]] = {}
    for i, claim in enumerate(claims):
        members.setdefault(claim.outlet.doc_id, []).append(i)

    def best(i: int, doc: str) -> int:
        """The claim of document `doc` most similar to claim `i`."""
        row = (vectors[members[doc]] @ vectors[i].T).toarray().ravel()
        return members[doc][int(np.argmax(row))]

    pairs = []
    for index in range(len(records)):
        i, j = 2 * index, 2 * index + 1
        a_doc, b_doc = claims[i].outlet.doc_id, claims[j].outlet.doc_id
        mutual = a_doc != b_doc and best(i, b_doc) == j and best(j, a_doc) == i
        cosine = round(float(vectors[i].multiply(vectors[j]).sum()), 4)
        pairs.append(Pair(claims[i], claims[j], cosine, actors[i], actors[j], mutual))
    return pairs


def _claim(side: Side, doc: str) -> ComparedClaim:
    quote = str(side["quote"])
    published = side.get("published")
    outlet_name = str(side.get("outlet") or doc)
    outlet = Outlet(doc, doc, outlet_name, date.fromisoformat(published) if published else None)
    speaker = str(side.get("speaker") or OUTLET)
    attribution = "authorial" if speaker == OUTLET else "indirect"
    return ComparedClaim(outlet, 0, len(quote), quote, quote, speaker, attribution,
                         claim_names(quote))  # fmt: skip


def _tfidf(
    claims: list[ComparedClaim], actors: list[frozenset[str]], documents: dict[str, Any]
) -> sparse.csr_matrix:
    """Every claim's TF-IDF row (unit length: a product of two rows is their cosine)."""
    order = {doc: i for i, doc in enumerate(documents)}
    texts = [ClaimText(order[c.outlet.doc_id], c.proposition, ids, c.outlet.published)
             for c, ids in zip(claims, actors, strict=True)]  # fmt: skip
    return _vectors(texts)
