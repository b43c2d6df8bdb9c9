"""The `label-studio start` command line, read by Label Studio's own argument parser.

A generated password starts with "-" once in 64 starts (URL-safe base64);
passed as a separate argument, argparse took it for an option and the server
never started. Label Studio's parser (from `.studio-venv`) must read back
exactly the credentials given.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from annotate.studio import server

from .conftest import ROOT

VENV = ROOT / ".studio-venv"
PARSE = (
    "import json, sys\n"
    "from label_studio.core.argparser import parse_input_args\n"
    "args = parse_input_args(sys.argv[1:])\n"
    "print(json.dumps({'username': args.username, 'password': args.password,"
    " 'token': args.user_token, 'port': args.port}))\n"
)


@pytest.mark.skipif(not (VENV / "bin" / "python").exists(), reason="needs .studio-venv")
@pytest.mark.parametrize("password", ["-starts-with-a-dash", "--looks-like-an-option", "plain"])
def test_label_studio_reads_back_the_credentials(password: str, tmp_path: Path) -> None:
    config = server.StudioConfig(url="http://127.0.0.1:8123", token="-token0123", port=8123,
                                 username="admin@annotate.local", password=password)  # fmt: skip
    paths = server.StudioPaths(home=tmp_path / "studio", venv=VENV)
    command = server.start_command(paths.executable, paths, config)
    done = subprocess.run([str(VENV / "bin" / "python"), "-c", PARSE, *command[1:]],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed == {"username": config.username, "password": password, "token": config.token,
                      "port": 8123}  # fmt: skip
