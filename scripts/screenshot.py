"""Screenshot a pushed seed task in the local Label Studio (for docs/annotators-day.md).

    .venv/bin/python scripts/screenshot.py [--project TITLE] [--out docs/seed-task.png]

Needs `annotate studio start` and `annotate push` first; drives Debian's Chromium.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotate.store import Store
from annotate.studio.connection import connect, resolve_credentials
from annotate.studio.push import DEFAULT_PROJECT, find_project
from annotate.studio.server import StudioConfig, StudioPaths
from annotate.testing.browser import logged_in_page, open_task, screenshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument("--out", type=Path, default=Path("docs/seed-task.png"))
    parser.add_argument("--document", default="004", help="seed file prefix to show")
    args = parser.parse_args()
    config = StudioConfig.load(StudioPaths.default().config)
    if config is None:
        raise SystemExit("no local Label Studio: run `annotate studio start` first")
    credentials = resolve_credentials()
    project = find_project(connect(credentials), args.project)
    if project is None:
        raise SystemExit(f"no project {args.project!r}: run `annotate push` first")
    with Store() as store:
        tasks = store.tasks.of_project(credentials.url, project.id)
        document = next(
            d
            for d in store.documents.iter()
            if d.metadata.get("file", "").startswith(args.document)
        )
    with logged_in_page(config, height=1000) as page:
        open_task(page, config, project.id, tasks[document.id])
        print(screenshot(page, args.out))


if __name__ == "__main__":
    main()
