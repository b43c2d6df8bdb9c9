"""Label Studio's start-up: the credentials never reach a command line.

Every local user can read a process's command line (``ps``, ``/proc/PID/cmdline``);
only its owner can read its environment. `annotate studio start` hands Label Studio
the admin's password and API token in its environment (``LABEL_STUDIO_PASSWORD``,
``LABEL_STUDIO_USER_TOKEN``), which Label Studio reads when no option gives them.
The session's real Label Studio was started that way, so its token working at all
(the `studio` fixture waits for it) shows that Label Studio took them.
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
    "from label_studio.core.utils.params import get_env\n"
    "args = parse_input_args(sys.argv[1:])\n"
    "print(json.dumps({'username': args.username, 'password': args.password,"
    " 'token': args.user_token, 'port': args.port,"
    " 'env': [get_env('USERNAME'), get_env('PASSWORD'), get_env('USER_TOKEN')]}))\n"
)


@pytest.mark.skipif(not (VENV / "bin" / "python").exists(), reason="needs .studio-venv")
@pytest.mark.parametrize("password", ["-starts-with-a-dash", "--looks-like-an-option", "plain"])
def test_label_studio_reads_the_credentials_from_its_environment(
    password: str, tmp_path: Path
) -> None:
    config = server.StudioConfig(url="http://127.0.0.1:8123", token="-token0123", port=8123,
                                 username="admin@annotate.local", password=password)  # fmt: skip
    paths = server.StudioPaths(home=tmp_path / "studio", venv=VENV)
    command = server.start_command(paths.executable, paths, config)
    assert not any(password in part or config.token in part for part in command)
    done = subprocess.run([str(VENV / "bin" / "python"), "-c", PARSE, *command[1:]],
                          env=server.credentials_env(config), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    # no option gives them (empty), so Label Studio's start-up takes the environment's:
    # `username = input_args.username or config.get(...) or get_env('USERNAME')`
    assert not (parsed["username"] or parsed["password"] or parsed["token"])
    assert parsed["port"] == 8123
    assert parsed["env"] == [config.username, password, config.token]


@pytest.mark.studio
def test_no_process_shows_the_password_or_token_on_its_command_line(
    studio: server.StudioConfig,
) -> None:
    seen = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue  # the process ended
        seen += "label-studio" in words or "label_studio" in words
        assert studio.password not in words and studio.token not in words, cmdline
    assert seen, "the session's Label Studio was not among the processes read"
