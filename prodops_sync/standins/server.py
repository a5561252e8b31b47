"""The HTTP machinery shared by both stand-ins.

A stand-in is a WSGI app served by werkzeug in a background thread. Each request goes
through: route match -> injected fault -> rate limit -> authentication -> handler (under
one lock, so state changes are serialised like a single-writer database) -> persistence
-> request log.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from prodops_sync.standins.clock import Clock
from prodops_sync.standins.faults import UNPROCESSED_ANSWERS, FaultPlan
from prodops_sync.standins.ratelimit import TokenBucket
from prodops_sync.standins.requestlog import LoggedRequest, RequestLog
from prodops_sync.standins.store import load_state, save_state

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

Handler = Callable[..., "Reply"]
Observer = Callable[["StandinServer", "Route | None", Mapping[str, Any], Request, "Reply"], None]


class QuietHandler(WSGIRequestHandler):
    """Keeps werkzeug's access log quiet (the stand-in keeps its own request log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def display_template(template: str) -> str:
    """``/v1/pages/<page_id>`` -> ``/v1/pages/{page_id}`` (the form used in request-log counts)."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", template)


@dataclass
class Reply:
    """What a handler answers: status, JSON body (None for no body, bytes for a file) and
    extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with a vendor-shaped error."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.reply = Reply(status, body, headers or {})


@dataclass(frozen=True)
class Route:
    """One endpoint: URL template, method, handler name, whether it changes state, and
    whether it is public (the read-only HTML view: no token, no rate limit)."""

    template: str
    method: str
    handler: str
    write: bool
    public: bool = False


class StandinServer:
    """Base class: serving, logging, faults, rate limiting, clock and persistence."""

    #: Called with (server, route or None, route arguments, request, reply) for every answer
    #: a handler produced (injected broken answers excluded); the test suite checks requests
    #: and answers against the vendors' published types this way (tests/contracts/).
    observers: ClassVar[list[Observer]] = []

    #: file name (without .json) used for persistence, and a label for messages
    name = "standin"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: str | Path | None = None,
        token: str | None = None,
        rate: float | None = None,
        burst: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.token = token
        self.clock = clock or Clock()
        self.request_log = RequestLog()
        self.faults = FaultPlan()
        self.limiter: TokenBucket | None = TokenBucket(rate, burst) if rate else None
        self.lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self._url_map = Map(self.url_rules(), strict_slashes=False)
        state = load_state(self.data_dir, self.name) if self.data_dir is not None else None
        if state is None:
            self.reset_state()
            self.persist()
        else:
            self.load(state)

    # ----------------------------------------------------------------- subclass hooks
    def routes(self) -> list[Route]:
        """The endpoints this stand-in serves."""
        raise NotImplementedError

    def url_rules(self) -> list[Rule]:
        """werkzeug rules for :meth:`routes` (override to serve a route under several prefixes)."""
        return [Rule(r.template, endpoint=r, methods=[r.method]) for r in self.routes()]

    def reset_state(self) -> None:
        """Initialise a fresh in-memory state."""
        raise NotImplementedError

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-ready data."""
        raise NotImplementedError

    def load(self, state: dict[str, Any]) -> None:
        """Restore state produced by :meth:`dump`."""
        raise NotImplementedError

    def authenticate(self, request: Request) -> None:
        """Raise :class:`ApiError` if the request is not authorised."""
        raise NotImplementedError

    def not_found_error(self, request: Request) -> ApiError:
        """The vendor's answer to an unknown URL."""
        return ApiError(404, {"message": "Not found"})

    def rate_limited_error(self, retry_after: str) -> ApiError:
        """The vendor's 429 answer."""
        raise NotImplementedError

    def server_error(self, status: int) -> ApiError:
        """The vendor's answer for an injected 5xx."""
        return ApiError(status, {"message": "Internal error", "status": status})

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        """Start serving in a background thread; returns self (``url`` is then valid)."""
        if self._server is not None:
            return self
        self._server = make_server(
            self.host, self.port, self.wsgi_app, threaded=True, request_handler=QuietHandler
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the serving thread; state is already persisted."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        """True while the background serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the serving thread ends (or ``timeout`` seconds pass)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (used by ``emulate``)."""
        self._server = make_server(
            self.host, self.port, self.wsgi_app, threaded=True, request_handler=QuietHandler
        )
        self.port = self._server.server_port
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (valid after :meth:`start`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def persist(self) -> None:
        """Write the state to the data directory, if there is one."""
        if self.data_dir is not None:
            with self.lock:
                save_state(self.data_dir, self.name, self.dump())

    # ----------------------------------------------------------------- request path
    def wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI entry point."""
        request = Request(environ)
        with self.lock:
            self._counter += 1
            index = self._counter
        route: Route | None = None
        args: Mapping[str, Any] = {}
        try:
            adapter = self._url_map.bind_to_environ(environ)
            route, args = adapter.match()
        except (NotFound, MethodNotAllowed):
            route = None
        endpoint = (
            f"{request.method} {display_template(route.template)}"
            if route
            else f"{request.method} ?"
        )
        write = bool(route and route.write)
        fault = self.faults.decide(index, request.method, request.path)
        if fault in ("drop", "timeout"):
            if fault == "timeout":
                time.sleep(self.faults.timeout_delay)
            self._log(request, 0, endpoint, write, fault)
            self._drop(environ)
        if fault in UNPROCESSED_ANSWERS:
            self._log(request, 200 if fault in ("html", "error200", "trickle") else 400,
                      endpoint, write, fault)
            return self._broken_answer(fault, request)(environ, start_response)
        try:
            if fault == "409":
                raise self.conflict_error()
            if fault in ("429", "500", "502", "503"):
                raise (
                    self.rate_limited_error("1")
                    if fault == "429"
                    else self.server_error(int(fault))
                )
            if self.limiter is not None and not (route and route.public):
                wait = self.limiter.acquire()
                if wait > 0:
                    raise self.rate_limited_error(TokenBucket.retry_after_header(wait))
            if route is None:
                raise self.not_found_error(request)
            if not route.public:
                self.authenticate(request)
            handler: Handler = getattr(self, route.handler)
            with self.lock:
                reply = handler(request, **args)
                if route.write and reply.status < 400:
                    self.persist()
        except ApiError as err:
            reply = err.reply
        if fault == "drop_after":
            self._log(request, 0, endpoint, write, fault)
            self._drop(environ)
        self._log(request, reply.status, endpoint, write, fault)
        reply = self.adapt_reply(reply, request)
        for observe in StandinServer.observers:
            observe(self, route, args, request, reply)
        if fault == "endless" and isinstance(reply.body, dict):
            reply = Reply(reply.status, self.endless_page(reply.body, request), reply.headers)
        response = self._response(reply)
        if fault == "truncated":
            body = response.get_data()
            response.set_data(body[: max(1, len(body) // 2)])
        return response(environ, start_response)

    def adapt_reply(self, reply: Reply, request: Request) -> Reply:
        """The answer as the request's API version shapes it (identity unless overridden)."""
        return reply

    def conflict_error(self) -> ApiError:
        """The vendor's answer for an injected ``409`` (a write that collided with another)."""
        return ApiError(409, {"message": "Conflict", "status": 409})

    def client_error(self, status: int, message: str) -> ApiError:
        """The vendor's answer for a request it refuses (``message`` in its error shape)."""
        return ApiError(status, {"message": message, "status": status})

    def endless_page(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """``body`` of a list answer turned into one that never ends (``endless`` fault)."""
        return body

    def _broken_answer(self, fault: str, request: Request) -> Response:
        """The answer of an ``UNPROCESSED_ANSWERS`` fault (see :mod:`.faults`)."""
        if fault == "html":
            page = ("<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
                    "<form action='/login'>Single sign-on required</form></body></html>")
            return Response(page, status=200, mimetype="text/html")
        if fault == "redirect":
            return Response("", status=302,
                            headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        if fault == "echo_auth":
            shown = request.headers.get("Authorization", "")
            return self._response(self.client_error(
                400, f"Invalid request: header Authorization={shown!r} is malformed").reply)
        if fault == "error200":
            err = self.client_error(400, "body failed validation: injected error in a 200")
            return self._response(Reply(200, err.reply.body))
        delay = self.faults.trickle_delay

        def trickle() -> Iterator[bytes]:
            for _ in range(600):
                time.sleep(delay)
                yield b" "
            yield b"{}"

        return Response(trickle(), status=200, mimetype="application/json",
                        direct_passthrough=True)

    def _log(
        self, request: Request, status: int, endpoint: str, write: bool, fault: str | None
    ) -> None:
        self.request_log.append(
            LoggedRequest(request.method, request.path, status, endpoint, write, fault)
        )

    @staticmethod
    def _drop(environ: dict[str, Any]) -> None:
        """Close the client connection without answering (werkzeug treats it as dropped)."""
        sock = environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("connection dropped by injected fault")

    @staticmethod
    def _response(reply: Reply) -> Response:
        if reply.body is None:
            response = Response(status=reply.status)
        elif isinstance(reply.body, bytes):  # a file download
            response = Response(reply.body, status=reply.status)
        else:
            response = Response(
                json.dumps(reply.body, ensure_ascii=False),
                status=reply.status,
                mimetype="application/json",
            )
        for key, value in reply.headers.items():
            response.headers[key] = value
        return response

    @staticmethod
    def json_body(request: Request, error: Callable[[str], ApiError]) -> dict[str, Any]:
        """Parse a JSON object body; an empty body is ``{}``; anything else is an error."""
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise error(f"Error parsing JSON body: {exc}") from exc
        if not isinstance(body, dict):
            raise error("Request body should be a JSON object")
        return body

    def next_sequence(self) -> int:
        """A monotonically increasing number (used for stable ordering)."""
        with self.lock:
            self._counter += 1
            return self._counter
