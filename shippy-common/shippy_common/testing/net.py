"""A TCP forwarder that tests open and close at will."""

from __future__ import annotations

import contextlib
import json
import socket
import urllib.error
import urllib.request
from typing import Any

import eventlet
from eventlet.green import socket as green_socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpGate:
    """A local port that refuses connections until :meth:`open`, then
    forwards each one to ``target``. Lets a test start a service before
    "its server" is reachable, then make it reachable."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: green_socket.socket | None = None
        self._pool = eventlet.GreenPool()
        self._sockets: list[green_socket.socket] = []

    @property
    def is_open(self) -> bool:
        return self._listener is not None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reroute(self, url: str) -> str:
        """``url`` with its server's address replaced by this gate's."""
        host, port = self.target
        rerouted = url.replace(f"@{host}:{port}", f"@{self.address}").replace(f"//{host}:{port}", f"//{self.address}")
        assert rerouted != url, f"{url} does not name {host}:{port}"
        return rerouted

    def open(self) -> None:
        listener = green_socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._pool.spawn_n(self._accept, listener)

    # Each socket is closed only by the greenlet that reads it: eventlet loses
    # wake-ups when a socket is closed under a reader and its fd is reused.
    # close() therefore shuts sockets down and waits for the readers to finish.

    def _accept(self, listener: green_socket.socket) -> None:
        try:
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                upstream = green_socket.create_connection(self.target)
                self._sockets += [client, upstream]
                self._pool.spawn_n(self._pipe, client, upstream)
                self._pool.spawn_n(self._pipe, upstream, client)
        finally:
            listener.close()

    @staticmethod
    def _pipe(source: green_socket.socket, sink: green_socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shutdown(sink)
            source.close()

    def close(self) -> None:
        if self._listener is not None:
            _shutdown(self._listener)
            self._listener = None
        for sock in self._sockets:
            _shutdown(sock)
        self._sockets.clear()
        self._pool.waitall()


def _shutdown(sock: green_socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def get_json(url: str, timeout: float = 10) -> tuple[int, dict[str, Any]]:
    """GET ``url``; the status and the decoded JSON body, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
