"""In the real Label Studio UI, code-point offsets highlight exactly their text.

A document opens with an embedded post whose emoji are one code point but two
UTF-16 units each: a region sent with Python offsets must highlight its own
text, and the same region sent with UTF-16 offsets lands elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.codec import annotation_to_results
from annotate.schemas import Annotation, GroundedActor, Span
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.studio.labelconfig import labeling_config
from annotate.testing.browser import highlighted_texts, logged_in_page, open_task

pytestmark = [pytest.mark.studio, pytest.mark.browser]

TEXT = "Post 🇺🇦🔥🙂 shared\n\nForeign Minister Dmytro Kuleba said the proposal is illegitimate."
NAME = "Dmytro Kuleba"


def utf16(offset: int) -> int:
    return len(TEXT[:offset].encode("utf-16-le")) // 2


def prediction(start: int, end: int) -> list[dict[str, object]]:
    span = Span.model_construct(start=start, end=end, text=NAME)
    actor = GroundedActor(canonical_name=NAME, type="person", mentions=[span])
    return annotation_to_results(Annotation(actors=[actor]))


def test_code_point_offsets_highlight_their_text_and_utf16_ones_do_not(
    studio: server.StudioConfig, tmp_path: Path
) -> None:
    start = TEXT.index(NAME)
    end = start + len(NAME)
    assert utf16(start) != start
    client = connect(Credentials(studio.url, studio.token, "test"))
    project = client.projects.create(title="emoji-offsets", label_config=labeling_config())
    tasks = [
        {"data": {"text": TEXT}, "predictions": [{"model_version": "m", "result": result}]}
        for result in (prediction(start, end), prediction(utf16(start), utf16(end)))
    ]
    response = client.projects.import_tasks(
        id=project.id,
        request=tasks,
        return_task_ids=True,  # type: ignore[arg-type]
    )
    code_points, utf16_task = response.task_ids  # type: ignore[attr-defined]
    client.projects.update(id=project.id, model_version="m")
    with logged_in_page(studio) as page:
        open_task(page, studio, project.id, code_points)
        assert highlighted_texts(page) == [NAME]
        page.screenshot(path=str(tmp_path / "code-points.png"))
        open_task(page, studio, project.id, utf16_task)
        shifted = highlighted_texts(page)
        assert shifted and shifted != [NAME]
