"""The preview's web page, served from memory: the page's own assets, the last good EPUB's files, page images and the
server-sent events that announce each build. No request path is ever looked up on the disk, so nothing outside what
the build produced can be served, whatever the path says (``..``, an absolute path, percent-encoded dots).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import socket
from collections.abc import AsyncIterator, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from publish.preview.pipeline import PAPERS, PrintChoice
from publish.preview.session import PreviewSession

# The page and its assets, read from the package once.
ASSETS = {
    "preview.js": "text/javascript; charset=utf-8",
    "preview.css": "text/css; charset=utf-8",
    "reader.css": "text/css; charset=utf-8",
}
MEDIA_TYPES = {
    ".xhtml": "application/xhtml+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".ncx": "application/x-dtbncx+xml",
    ".opf": "application/oebps-package+xml",
}
# Nothing remote, nothing inline in the page itself; the book's documents may carry style attributes and never run a
# script. Frames only from this server, and this page framed by nobody.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
               "frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")  # fmt: skip
BOOK_POLICY = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")  # fmt: skip
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Server-sent events: a comment this often keeps a connection open through proxies; the end of the server is
# noticed this soon by each stream.
KEEP_ALIVE = 15.0
POLL = 0.5


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _asset(name: str) -> bytes:
    return resources.files("publish.preview").joinpath("static", name).read_bytes()


class _Guard:
    """Every response gets the security headers; a request naming another host is refused on a loopback server
    (a web page elsewhere cannot reach the preview through a DNS name it points at 127.0.0.1).
    """

    def __init__(self, app: ASGIApp, loopback_only: bool) -> None:
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.loopback_only and not self._host_is_loopback(scope):
            await PlainTextResponse("Forbidden host", status_code=403)(scope, receive, send)
            return
        policy = BOOK_POLICY if scope["path"].startswith("/book/") else PAGE_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _host_is_loopback(scope: Scope) -> bool:
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in LOOPBACK_NAMES


class Broadcaster:
    """Hands each event of the build thread to every open event stream, on the server's event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queues: set[asyncio.Queue[tuple[str, dict[str, Any]]]] = set()

    def publish(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to every stream (from any thread)."""
        if self.loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: the server is ending
                self.loop.call_soon_threadsafe(self._put, event, data)

    def _put(self, event: str, data: dict[str, Any]) -> None:
        for queue in self.queues:
            queue.put_nowait((event, data))


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def create_app(session: PreviewSession, broadcaster: Broadcaster, stopping: Callable[[], bool],
               loopback_only: bool = True) -> ASGIApp:  # fmt: skip
    """The preview's web application for ``session`` (started with the application, stopped with it)."""
    assets = {name: _asset(name) for name in ASSETS}
    index = _asset("index.html")

    async def page(request: Request) -> Response:
        return Response(index, media_type="text/html; charset=utf-8")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in assets:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(assets[name], media_type=ASSETS[name])

    async def book(request: Request) -> Response:
        name = request.path_params["name"]
        data = session.document(name)
        if data is None:
            return PlainTextResponse("Not Found", status_code=404)
        media_type = MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
        return Response(data, media_type=media_type)

    async def state(request: Request) -> Response:
        return JSONResponse(session.state())

    async def print_view(request: Request) -> Response:
        query = request.query_params
        what, paper = query.get("what", "book"), query.get("paper", "letter")
        if paper not in PAPERS or (what != "book" and what not in session.handout_slugs()):
            return PlainTextResponse("Not Found", status_code=404)
        choice = PrintChoice(what, paper, query.get("large") == "1", query.get("duplex") == "1")
        return JSONResponse(session.request_print(choice))

    def page_image(request: Request) -> Response:  # drawn in Starlette's thread pool: it takes a moment
        index = request.path_params["index"]
        image = session.page_image(request.path_params["key"], index - 1) if index >= 1 else None
        if image is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(image, media_type="image/png")

    async def events(request: Request) -> Response:
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        broadcaster.queues.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield _event("state", session.state())
                waited = 0.0
                while not stopping():
                    try:
                        name, data = await asyncio.wait_for(queue.get(), POLL)
                    except TimeoutError:
                        waited += POLL
                        if waited >= KEEP_ALIVE:
                            waited = 0.0
                            yield ": keep-alive\n\n"
                        continue
                    yield _event(name, data)
            finally:
                broadcaster.queues.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        broadcaster.loop = asyncio.get_running_loop()
        session.start()
        try:
            yield
        finally:
            broadcaster.loop = None
            await asyncio.to_thread(session.stop)

    routes = [
        Route("/", page),
        Route("/static/{name}", asset),
        Route("/book/{name:path}", book),
        Route("/api/state", state),
        Route("/api/print", print_view),
        Route("/api/events", events),
        Route("/print/{key}/{index:int}.png", page_image),
    ]
    return _Guard(Starlette(routes=routes, lifespan=lifespan), loopback_only)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host`` (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(False)
    return sock


def serve_preview(session: PreviewSession, sock: socket.socket, on_ready: Callable[[], None] | None = None) -> None:
    """Serve the preview of ``session`` on ``sock`` until Ctrl-C (or SIGTERM)."""
    import uvicorn

    host = sock.getsockname()[0]
    broadcaster = Broadcaster()
    session.notify = broadcaster.publish
    server: uvicorn.Server | None = None

    def stopping() -> bool:
        return server is not None and server.should_exit

    app = create_app(session, broadcaster, stopping, loopback_only=is_loopback(host))
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=2, ws="none", server_header=False)  # fmt: skip
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    server.run(sockets=[sock])


def run_preview(root: Path, styles: Path | None, allow_remote: bool, host: str, port: int, open_browser: bool,
                say: Callable[[str], None]) -> None:  # fmt: skip
    """Serve the preview of the manuscript at ``root`` on ``host``:``port`` until Ctrl-C; open it in the browser.

    ``say`` prints a line for the user: the address, then one line per build.
    """
    import logging

    from publish.errors import PublishError
    from publish.resources import styles_dir

    if not root.is_dir():
        raise PublishError("no such folder: give the manuscript folder with -m", root)
    if not is_loopback(host):
        logging.getLogger(__name__).warning(
            "serving on %s: anyone who can reach this address can read the book; the default, 127.0.0.1, "
            "is reachable from this computer only", host,
        )  # fmt: skip
    try:
        sock = bind(host, port)
    except OSError as error:
        raise PublishError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"http://{shown}:{bound_port}/"
    session = PreviewSession(root, styles, allow_remote, report=say, watched_styles=(styles_dir(),))

    def ready() -> None:
        say(f"Previewing {root} at {url} (Ctrl-C to stop)")
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve_preview(session, sock, ready)
    finally:
        session.stop()
        sock.close()
