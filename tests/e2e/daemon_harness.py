"""Drive `igate-sync run` as a real subprocess: read its JSON log lines as they come.

Also the commune the daemon tests share: a sample mot_cua_v1 register in a SQLite file and
a configuration pointing at a simulator, with the client secret in the environment only.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from igate_sync.sample.mot_cua import create_register, generate
from igate_sync.upstream.simulator.server import RunningSimulator, running_simulator
from igate_sync.upstream.simulator.settings import ClientSpec, SimulatorSettings

AGENCY = "000.24.24.H16"
ENV = {"IGATE_UPSTREAM_CLIENT_SECRET": "d-secret", "PATH": "/usr/bin:/bin"}
CONFIG = """
[agency]
code = "{agency}"
name = "UBND xã Ea Yiêng"
[upstream]
base_url = "{base_url}"
client_id = "daemon"
[daemon]
push_interval_s = 1
admin_port = 0
[[sources]]
name = "motcua"
kind = "mot_cua_v1"
url = "sqlite:///motcua.db"
schedule = "{schedule}"
"""


@contextmanager
def gateway() -> Iterator[RunningSimulator]:
    """The simulator, accepting the daemon's client for AGENCY."""
    settings = SimulatorSettings(clients={"daemon": ClientSpec("d-secret", (AGENCY,))})
    with running_simulator(settings) as sim:
        yield sim


def commune(
    folder: Path, base_url: str, *, count: int, seed: int, schedule: str = "* * * * *"
) -> Path:
    """A sample register of ``count`` dossiers in ``folder`` and its configuration file."""
    engine = create_engine(f"sqlite:///{folder / 'motcua.db'}")
    create_register(engine)
    generate(engine, count=count, seed=seed, agency_code=AGENCY)
    engine.dispose()
    path = folder / "igate-sync.toml"
    text = CONFIG.format(agency=AGENCY, base_url=base_url, schedule=schedule)
    path.write_text(text, encoding="utf-8")
    return path


def cli(config: Path, *args: str) -> str:
    """Run one igate-sync command to its end; its stdout (a failure shows its stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "igate_sync", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Daemon:
    """A running `igate-sync run`, with its log events in a queue."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "igate_sync",
                "--config",
                str(config),
                "--log-level",
                "INFO",
                "run",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.events.put({"event": "raw", "line": line})
        self.events.put({"event": "<eof>"})

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> dict[str, Any]:
        """Block until a log event matches; fail on timeout or if the daemon exits first."""
        while True:
            event = self.events.get(timeout=timeout)
            if predicate(event):
                return event
            if event.get("event") == "<eof>":
                raise AssertionError("daemon exited:\n" + "".join(self.lines[-30:]))

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit code."""
        self.proc.terminate()
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return code
