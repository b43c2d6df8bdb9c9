"""The local Label Studio: installed in its own virtual environment, run on 127.0.0.1.

Label Studio 1.23.2 pins ``openai<2`` and Django, so it never shares the tool's
environment: it lives in ``.studio-venv`` (or ``$ANNOTATE_STUDIO_VENV``), made by
the set-up script or on first start. Its data (SQLite database, uploads) lives
under ``.annotate/studio/data`` (or ``$ANNOTATE_HOME/studio/data``).

The first start creates an admin with a generated password and a generated API
token (legacy tokens are enabled for the new organisation with
``LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true``), turns off every outbound call
(analytics, version check, Sentry), and writes the URL, login and token to
``.annotate/studio/config.json``, readable by the user only. Nothing here prints
the token or the password except `start`, which prints the login once for the
user who asked for it, and they reach Label Studio in its environment, never on
its command line (`credentials_env`).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from annotate.errors import StudioError, one_line

LABEL_STUDIO_VERSION = "1.23.2"
HOME_ENV = "ANNOTATE_HOME"
VENV_ENV = "ANNOTATE_STUDIO_VENV"
DEFAULT_PORT = 8080
ADMIN_EMAIL = "admin@annotate.local"
#: Environment that keeps Label Studio from calling out and enables legacy tokens.
QUIET_ENV = {
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
}

#: Label Studio's own list of the networks it refuses to call (``DEFAULT_BANNED_SUBNETS`` in
#: its ``core/utils/io.py``: ML backends, webhooks, imports), less loopback.
BANNED_BUT_LOOPBACK = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "233.252.0.0/24", "240.0.0.0/4",
    "255.255.255.255/32", "::/128", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96",
    "64:ff9b:1::/48", "100::/64", "2001:0000::/32", "2001:20::/28", "2001:db8::/32",
    "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
)  # fmt: skip
#: Environment that lets the local Label Studio call an ML backend (and its webhook) on
#: 127.0.0.1, `annotate serve`'s default, and still refuse every other address its SSRF
#: protection refuses: the default list is replaced by the same list less 127.0.0.0/8
#: and ::1 (``validate_ip`` reads both settings for ML backends and webhooks alike).
LOOPBACK_BACKEND_ENV = {
    "USE_DEFAULT_BANNED_SUBNETS": "false",
    "USER_ADDITIONAL_BANNED_SUBNETS": ",".join(BANNED_BUT_LOOPBACK),
}


@dataclass
class StudioPaths:
    home: Path
    venv: Path

    @classmethod
    def default(cls) -> StudioPaths:
        home = Path(os.environ.get(HOME_ENV) or ".annotate") / "studio"
        venv = Path(os.environ.get(VENV_ENV) or ".studio-venv")
        return cls(home=home, venv=venv)

    @property
    def config(self) -> Path:
        return self.home / "config.json"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"


@dataclass
class StudioConfig:
    """What a client needs to reach the local server; saved with mode 0600."""

    url: str
    token: str
    username: str
    password: str
    port: int
    pid: int | None = None

    def save(self, path: Path) -> None:
        private_folder(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> StudioConfig | None:
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------
# Install
# --------------------------------------------------------------------------


def ensure_installed(paths: StudioPaths, say: Callable[[str], object] = print) -> Path:
    """Label Studio in its own venv; installed (once, a minute or two) when missing."""
    if paths.executable.exists():
        return paths.executable
    say(f"installing label-studio=={LABEL_STUDIO_VERSION} into {paths.venv} (once)")
    python = paths.venv / "bin" / "python"
    commands = [
        [sys.executable, "-m", "venv", str(paths.venv)],
        [str(python), "-m", "pip", "install", "-q", f"label-studio=={LABEL_STUDIO_VERSION}"],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            last = one_line((done.stderr.strip().splitlines() or ["no output"])[-1], 300)
            raise StudioError(
                f"installing Label Studio failed ({' '.join(command[-3:])}): {last}; "
                "check the package index is reachable, or set ANNOTATE_STUDIO_VENV"
            )
    return paths.executable


# --------------------------------------------------------------------------
# Start, stop, status
# --------------------------------------------------------------------------


def start(
    paths: StudioPaths | None = None, port: int | None = None, timeout: float = 240.0
) -> StudioConfig:
    """Start the local server (or find it running); return its URL and credentials."""
    paths = paths or StudioPaths.default()
    config = StudioConfig.load(paths.config)
    if config is not None and is_running(config):
        return config
    executable = ensure_installed(paths)
    config = _first_config(port) if config is None else config
    if port is not None:
        config.port, config.url = port, f"http://127.0.0.1:{port}"
    if not _port_free(config.port):
        raise StudioError(
            f"port {config.port} is taken by another program: "
            "start with `annotate studio start --port N`"
        )
    _keep_private(paths)
    config.pid = _spawn(executable, paths, config).pid
    config.save(paths.config)
    _wait_ready(config, paths, timeout)
    return config


def stop(paths: StudioPaths | None = None, timeout: float = 30.0) -> bool:
    """Stop the local server; False when it was not running."""
    paths = paths or StudioPaths.default()
    config = StudioConfig.load(paths.config)
    if config is None or config.pid is None or not _alive(config.pid):
        return False
    os.killpg(config.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(config.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(config.pid):
        os.killpg(config.pid, signal.SIGKILL)
    config.pid = None
    config.save(paths.config)
    return True


def is_running(config: StudioConfig) -> bool:
    """The server answers its health check at the configured URL."""
    try:
        with _open(f"{config.url}/health", timeout=3) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def token_works(config: StudioConfig) -> bool:
    request = urllib.request.Request(
        f"{config.url}/api/current-user/whoami",
        headers={"Authorization": f"Token {config.token}"},
    )
    try:
        with _open(request, timeout=10) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _first_config(port: int | None) -> StudioConfig:
    chosen = port or (DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port())
    return StudioConfig(
        url=f"http://127.0.0.1:{chosen}",
        token=secrets.token_hex(20),
        username=ADMIN_EMAIL,
        password=secrets.token_urlsafe(18),
        port=chosen,
    )


def private_folder(folder: Path) -> None:
    """`folder` (and the folders made for it) readable by its owner alone."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


def _keep_private(paths: StudioPaths) -> None:
    """Label Studio's data (its database holds every user's API token) for its owner alone.

    The folders are 0700 and what is in them 0600, also for data made by an
    earlier release; the server itself runs with umask 077, so the files it
    makes from now on are its owner's alone too.
    """
    private_folder(paths.home)
    private_folder(paths.data)
    for path in paths.data.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _spawn(executable: Path, paths: StudioPaths, config: StudioConfig) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **QUIET_ENV,
        **LOOPBACK_BACKEND_ENV,
        "LABEL_STUDIO_BASE_DATA_DIR": str(paths.data.resolve()),
        "LABEL_STUDIO_HOST": config.url,
    }
    env.pop("LABEL_STUDIO_URL", None)
    env.pop("LABEL_STUDIO_API_KEY", None)
    env.update(credentials_env(config))
    command = start_command(executable, paths, config)
    log = os.fdopen(os.open(paths.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
    paths.log.chmod(0o600)
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # outlives the CLI; stopped as a process group
        umask=0o077,  # its database and media: the owner's alone
    )


def credentials_env(config: StudioConfig) -> dict[str, str]:
    """The admin's login and token for Label Studio's start-up, as its environment.

    Label Studio reads them from ``LABEL_STUDIO_USERNAME``, ``..._PASSWORD`` and
    ``..._USER_TOKEN`` when no option gives them (``label_studio.server._create_user``).
    A process's environment is readable by its owner alone (``/proc/PID/environ``),
    its command line by every local user (``ps``, ``/proc/PID/cmdline``).
    """
    return {
        "LABEL_STUDIO_USERNAME": config.username,
        "LABEL_STUDIO_PASSWORD": config.password,
        "LABEL_STUDIO_USER_TOKEN": config.token,
    }


def start_command(executable: Path, paths: StudioPaths, config: StudioConfig) -> list[str]:
    """The `label-studio start` command line for `config`: no credential on it (they go in
    the environment, `credentials_env`)."""
    return [
        str(executable),
        "start",
        "--no-browser",
        "--data-dir",
        str(paths.data.resolve()),
        "--enable-legacy-api-token",
        "--internal-host",
        "127.0.0.1",
        "--port",
        str(config.port),
    ]


def _wait_ready(config: StudioConfig, paths: StudioPaths, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if config.pid is not None and not _alive(config.pid):
            raise StudioError(
                f"Label Studio exited during start-up: see {paths.log} "
                f"(last line: {one_line(_tail(paths.log, 1), 300)})"
            )
        if is_running(config) and token_works(config):
            return
        time.sleep(1.0)
    raise StudioError(
        f"Label Studio did not answer at {config.url} within {timeout:.0f} s: see {paths.log}"
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # not our child: fall through to the signal check
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _open(request: str | urllib.request.Request, timeout: float) -> Any:
    """urlopen without any proxy from the environment: the server is on loopback."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(request, timeout=timeout)
