"""Drive `igate-sync run` as a real subprocess: read its JSON log lines as they come."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


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
