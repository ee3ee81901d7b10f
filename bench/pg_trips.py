"""Count the round trips a client makes to PostgreSQL, by the protocol's own messages (issue #21).

    with RoundTrips("postgresql://postgres@127.0.0.1:5432/db") as trips:
        os.environ["KEEL_DATABASE_URL"] = trips.url    # the same database, through the counting proxy
        ...
        before = trips.total(); one_request(); per_request = trips.total() - before

A TCP proxy on 127.0.0.1 (one thread per direction) forwards every byte unchanged and reads the client's
messages: a simple query (`Q`: what psycopg sends for BEGIN, COMMIT, the health check's `SELECT 1` and any
statement bound client-side, Django's default) or a `Sync` (`S`: the end of an extended-protocol exchange,
server-side binding) is one wait for the server. Unlike `CaptureQueriesContext`, it sees what Django does not
log: the health check, BEGIN, COMMIT, SAVEPOINTs. A measuring tool for a plain-text local connection (it
refuses nothing; with SSL on it would count nothing).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import Counter
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

_UNTYPED = {80877103, 80877104}  # SSLRequest, GSSENCRequest: the client waits for one byte, then starts


class RoundTrips:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        port = self._listener.getsockname()[1]
        user = f"{parts.username}@" if parts.username else ""
        self.url = urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))
        self.messages: Counter[str] = Counter()
        self.statements: list[str] = []  # the simple queries' text, in order (for --queries style listings)
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> RoundTrips:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed = True
        self._listener.close()

    def total(self) -> int:
        """Round trips so far: simple queries plus Syncs."""
        with self._lock:
            return self.messages["Q"] + self.messages["S"]

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, server, bytearray()), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, parse: bytearray | None) -> None:
        typed = False
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if parse is not None:
                    parse += data
                    typed = self._read(parse, typed)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _read(self, buffer: bytearray, typed: bool) -> bool:
        """Consume the whole messages in `buffer`; whether the startup is over (messages carry a type)."""
        while True:
            if not typed:
                if len(buffer) < 8:
                    return typed
                (length,) = struct.unpack("!I", buffer[:4])
                if len(buffer) < length:
                    return typed
                (code,) = struct.unpack("!I", buffer[4:8])
                del buffer[:length]
                typed = code not in _UNTYPED
                continue
            if len(buffer) < 5:
                return typed
            kind = chr(buffer[0])
            (length,) = struct.unpack("!I", buffer[1:5])
            if len(buffer) < 1 + length:
                return typed
            body = bytes(buffer[5 : 1 + length])
            del buffer[: 1 + length]
            with self._lock:
                self.messages[kind] += 1
                if kind == "Q":
                    self.statements.append(body.rstrip(b"\0").decode(errors="replace"))
