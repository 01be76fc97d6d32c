"""Run a Shippy console script as a real process, the way an operator does."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from shippy_common.testing.waits import eventually


class ProcessExited(AssertionError):
    pass


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes (Linux's ``/proc``); none once it is gone."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class RunningProcess:
    """A child process whose combined output goes to a temporary log file."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self.command = list(command)
        self.log_file = tempfile.NamedTemporaryFile(prefix="shippy-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )

    @property
    def output(self) -> str:
        with open(self.log_file.name, errors="replace") as log:
            return log.read()

    def wait_for_output(self, text: str, timeout: float = 30, times: int = 1) -> None:
        """Return once ``text`` appears in the output (``times`` times); fail if
        the process exits or ``timeout`` passes first."""

        def printed() -> bool:
            if self.output.count(text) >= times:
                return True
            if self.process.poll() is not None and self.output.count(text) < times:
                raise ProcessExited(
                    f"{self.command[0]} exited ({self.process.returncode}) before printing {text!r}:\n{self.output}"
                )
            return False

        eventually(
            printed, timeout=timeout, interval=0.1, what=lambda: f"{self.command[0]} printing {text!r}:\n{self.output}"
        )

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as an orchestrator stops a service; SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def remove_log(self) -> None:
        self.log_file.close()
        if os.path.exists(self.log_file.name):
            os.unlink(self.log_file.name)
