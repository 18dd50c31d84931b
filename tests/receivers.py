"""Real receivers on loopback for delivery tests: an HTTP server and an SMTP server.

Each runs in a background thread with its own event loop on an ephemeral port of
127.0.0.1, records what it receives, and answers as the test programs it:

    with running_receiver() as http:
        http.respond("/hook", Reply(500), Reply(200))   # first a 500, then 200s
        ...deliver to http.url("/hook")...
        [request] = http.wait_for(1)
        request.headers["X-Slaguard-Delivery"], request.body, request.json()
        http.down()        # every path answers 503 (down("refuse"): nothing listens)
        http.up()          # back on the same port

    with running_smtp() as smtp:
        smtp.refuse("550 5.1.1 No such user")             # every recipient
        smtp.refuse("451 4.3.0 Try later", address="b@example.com")
        smtp.accept()
        [mail] = smtp.wait_for(1); mail.message["Subject"]

Both are also usable without `with`: `start()` then `stop()`. `unused_port()` gives a
port nobody listens on, for "connection refused".
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal
from urllib.parse import parse_qsl

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = [
    "HttpReceiver",
    "ReceivedMail",
    "Recorded",
    "Reply",
    "SmtpServer",
    "running_receiver",
    "running_smtp",
    "unused_port",
]

LOOPBACK = "127.0.0.1"


def unused_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (just released by the OS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port


def _wait(condition: threading.Condition, ready: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    with condition:
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            condition.wait(left)
    return True


# --- HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One request as it arrived: the raw body is exactly the bytes on the wire."""

    method: str
    path: str
    query: str
    headers: CIMultiDictProxy[str]  # case-insensitive names
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body (the last value of a repeated key)."""
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than a client's timeout: a hang)

    @classmethod
    def json(cls, status: int, document: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(document), {"Content-Type": "application/json", **headers})


class HttpReceiver:
    """An aiohttp server recording every request, whatever its method and path.

    Unprogrammed paths answer 200 (empty body). `respond(path, *replies)` scripts a
    path: its requests get the replies in order, the last one repeating.
    """

    def __init__(self, host: str = LOOPBACK) -> None:
        self.host = host
        self.port = 0
        self._condition = threading.Condition()
        self._requests: list[Recorded] = []
        self._scripts: dict[str, list[Reply]] = {}
        self._down: Reply | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # lifecycle

    def start(self) -> HttpReceiver:
        assert self._thread is None, "already started"
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="http-receiver", daemon=True)
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._call(self._unlisten())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop, self._thread = None, None

    def __enter__(self) -> HttpReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    # programming

    def respond(self, path: str, *replies: Reply) -> None:
        """Answer requests to `path` with `replies` in order; the last one repeats."""
        assert replies, "at least one reply"
        with self._condition:
            self._scripts[path] = list(replies)

    def down(
        self, mode: Literal["503", "refuse"] = "503", *, retry_after: str | None = None
    ) -> None:
        """Stop serving: answer 503 to everything, or close the port ("refuse")."""
        if mode == "refuse":
            self._call(self._unlisten())
            return
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._condition:
            self._down = Reply(503, b"down", headers)

    def up(self) -> None:
        """Serve again, on the same port, as programmed before `down()`."""
        with self._condition:
            self._down = None
        if self._runner is None:
            self._call(self._listen())

    def reset(self) -> None:
        """Forget the recorded requests and every programmed reply."""
        with self._condition:
            self._requests.clear()
            self._scripts.clear()
            self._down = None

    # what arrived

    @property
    def requests(self) -> list[Recorded]:
        with self._condition:
            return list(self._requests)

    def requests_to(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    def wait_for(
        self, count: int, *, path: str | None = None, timeout: float = 5.0
    ) -> list[Recorded]:
        """The first `count` requests (to `path`, if given), once they have arrived."""

        def matching() -> list[Recorded]:
            return [r for r in self._requests if path is None or r.path == path]

        if not _wait(self._condition, lambda: len(matching()) >= count, timeout):
            raise AssertionError(f"{len(matching())} of {count} requests arrived in {timeout}s")
        with self._condition:
            return matching()[:count]

    # the server thread

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        loop.run_forever()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def _call(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.2, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def _unlisten(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        with self._condition:
            reply = self._down or self._next_reply(request.path)
            self._requests.append(
                Recorded(
                    method=request.method,
                    path=request.path,
                    query=request.query_string,
                    headers=CIMultiDictProxy(CIMultiDict(request.headers)),
                    body=body,
                    status=reply.status,
                )
            )
            self._condition.notify_all()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        content = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        return web.Response(status=reply.status, body=content, headers=reply.headers)

    def _next_reply(self, path: str) -> Reply:
        script = self._scripts.get(path)
        if not script:
            return Reply()
        return script.pop(0) if len(script) > 1 else script[0]


@contextmanager
def running_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


# --- SMTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # the message as sent, after DATA

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Recorder:
    """The aiosmtpd handler: refuses as programmed, records accepted messages."""

    def __init__(self, condition: threading.Condition) -> None:
        self.condition = condition
        self.messages: list[ReceivedMail] = []
        self.refusals: dict[str | None, str] = {}  # address (None: any) -> reply
        self.data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.condition:
            refusal = self.refusals.get(address.lower(), self.refusals.get(None))
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.condition:
            if self.data_reply is not None:
                return self.data_reply
            content = envelope.original_content or b""
            self.messages.append(
                ReceivedMail(str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(content))
            )
            self.condition.notify_all()
        return "250 Message accepted for delivery"


class _EphemeralController(Controller):
    """aiosmtpd's Controller on port 0: learns the port the OS chose before checking it."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that records every message it accepts."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._recorder = _Recorder(self._condition)
        self._controller = _EphemeralController(self._recorder, hostname=LOOPBACK, port=0)
        self.host = LOOPBACK

    @property
    def port(self) -> int:
        port: int = self._controller.port
        return port

    def start(self) -> SmtpServer:
        # aiosmtpd logs every connection at INFO; its thread outlives the test whose
        # captured stderr a handler may still hold, and writing there fails noisily.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def refuse(
        self, reply: str, *, address: str | None = None, at: Literal["rcpt", "data"] = "rcpt"
    ) -> None:
        """Answer `reply` (e.g. "550 5.1.1 No such user") to RCPT TO of `address` (any
        address when None), or to DATA with `at="data"`."""
        with self._condition:
            if at == "data":
                self._recorder.data_reply = reply
            else:
                self._recorder.refusals[address.lower() if address else None] = reply

    def accept(self) -> None:
        """Accept every recipient and message again."""
        with self._condition:
            self._recorder.refusals.clear()
            self._recorder.data_reply = None

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._condition:
            return list(self._recorder.messages)

    def wait_for(self, count: int, *, timeout: float = 5.0) -> list[ReceivedMail]:
        if not _wait(self._condition, lambda: len(self._recorder.messages) >= count, timeout):
            raise AssertionError(f"{len(self.messages)} of {count} messages arrived in {timeout}s")
        return self.messages[:count]


@contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
