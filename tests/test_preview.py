"""``publish preview`` serves only what the build produced, on the loopback address; ``publish watch`` writes the
book again on every save, one line per rebuild.
"""

from __future__ import annotations

import json
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from publish.preview.server import is_loopback

from conftest import DEMO, copy_manuscript
from preview_helpers import DEADLINE, Running

PIECE = "supporting-your-partner-in-developing-self-compassion.md"


def request(address: str, target: str, host: str | None = None) -> tuple[int, bytes]:
    """Send ``GET target`` exactly as written (no client tidies the path) and return the status and body."""
    parts = urlsplit(address)
    with socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE) as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {host or parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[Running, str, Path]]:
    book = copy_manuscript(DEMO, tmp_path / "book")
    running = Running(tmp_path, "preview", "--no-open", "-m", str(book))
    try:
        address = running.address()
        running.wait_for(r"rebuilt in")
        yield running, address, book
    finally:
        running.stop()


def test_only_the_build_is_served(preview: tuple[Running, str, Path]) -> None:
    _, address, book = preview
    status, body = request(address, "/book/style/book.css")
    assert status == 200 and b"font" in body  # the EPUB's own stylesheet is there, to be refused around
    secret = (book / "book.yaml").read_bytes()
    absolute = str(book / "book.yaml")
    for target in [
        "/../book.yaml", "/book/../book.yaml", "/book/../../book.yaml", "/book/../book/book.yaml",
        "/%2e%2e/book.yaml", "/book/%2e%2e/book.yaml", "/book/%2E%2E%2Fbook.yaml", "/book/..%2f..%2fbook.yaml",
        "/static/../book.yaml", "/static/%2e%2e%2f__init__.py", "/static/..%2fserver.py",
        f"/book/{absolute}", f"/book/{absolute.replace('/', '%2f')}", f"/static/{absolute}", absolute,
        f"/book/..%2f..%2f{PIECE}", "/book/", "/static/", "/book/EPUB/", "/print/", "/print/..%2fbook.yaml/1.png",
        "/book/META-INF/container.xml", "/book/mimetype", "/api/print?what=../book.yaml", "/api/print?paper=../x",
        "/print/book~letter~0~0/0.png", "/print/book~letter~0~0/999.png", "/print/nothing/1.png",
    ]:  # fmt: skip
        status, body = request(address, target)
        assert status == 404, target
        assert secret not in body and b"title:" not in body, target


def test_the_page_allows_no_remote_content(preview: tuple[Running, str, Path]) -> None:
    _, address, _ = preview
    for target in ("/", "/book/style/book.css", "/api/state"):
        connection_head = _head(address, target)
        policy = connection_head["content-security-policy"]
        assert "default-src 'none'" in policy and "http" not in policy and "*" not in policy
        assert connection_head["x-content-type-options"] == "nosniff"


def _head(address: str, target: str) -> dict[str, str]:
    parts = urlsplit(address)
    with socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE) as connection:
        connection.sendall(f"HEAD {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    lines = response.decode("latin-1").split("\r\n\r\n")[0].split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}


def test_binds_loopback_only_by_default(preview: tuple[Running, str, Path]) -> None:
    _, address, _ = preview
    parts = urlsplit(address)
    assert parts.hostname == "127.0.0.1"
    # The kernel's own table of listening sockets: the port is bound to 127.0.0.1, not to every address.
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A"]  # fmt: skip
    assert f"0100007F:{parts.port:04X}" in listening
    assert f"00000000:{parts.port:04X}" not in listening
    # A page elsewhere that points a name of its own at 127.0.0.1 is refused.
    assert request(address, "/api/state", host=f"attacker.example:{parts.port}")[0] == 403
    status, body = request(address, "/api/state", host=f"localhost:{parts.port}")
    assert status == 200 and json.loads(body.decode().split("\r\n", 1)[-1] if body[:1] != b"{" else body)["version"]


def test_another_address_needs_host_and_warns(tmp_path: Path) -> None:
    book = copy_manuscript(DEMO, tmp_path / "book")
    running = Running(tmp_path, "preview", "--no-open", "--host", "0.0.0.0", "-m", str(book))
    try:
        running.wait_for(r"^Warning: serving on 0\.0\.0\.0: anyone who can reach this address", stream="err")
        assert running.address().startswith("http://0.0.0.0:")
        assert running.interrupt() == 0
    finally:
        running.stop()


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.com")


def test_ctrl_c_leaves_no_process_and_no_temporary_file(preview: tuple[Running, str, Path]) -> None:
    running, address, _ = preview
    status, _ = request(address, "/api/print?what=book")  # WeasyPrint at work, or loaded, when Ctrl-C comes
    assert status == 200
    assert running.interrupt() == 0
    assert ("out", "Stopped") in running.drain()
    assert list(running.tmp.iterdir()) == []


def test_a_missing_manuscript_is_one_error(tmp_path: Path) -> None:
    running = Running(tmp_path, "preview", "--no-open", "-m", str(tmp_path / "missing"))
    try:
        assert running.process.wait(DEADLINE) == 1
        assert [line for _, line in running.drain()] == [
            "Error: missing: no such folder: give the manuscript folder with -m"
        ]
    finally:
        running.stop()


def test_a_port_in_use_is_one_error(tmp_path: Path) -> None:
    book = copy_manuscript(DEMO, tmp_path / "book")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = Running(tmp_path, "preview", "--no-open", "--port", str(port), "-m", str(book))
        try:
            assert running.process.wait(DEADLINE) == 1
            lines = [line for _, line in running.drain()]
            assert lines == [f"Error: cannot listen on 127.0.0.1 port {port}: Address already in use"]
        finally:
            running.stop()


def test_watch_rebuilds_on_every_save_one_line_each(tmp_path: Path) -> None:
    book = copy_manuscript(DEMO, tmp_path / "book")
    running = Running(tmp_path, "watch", "epub", "-m", str(book), "-o", str(tmp_path / "out"))
    try:
        running.wait_for(r"^\d\d:\d\d:\d\d Wrote .*\.epub \(\d+ KB\) in \d+\.\d\d s$")
        piece = book / PIECE
        piece.write_text(piece.read_text(encoding="utf-8") + "\nA sentence written while watching.\n", encoding="utf-8")
        running.wait_for(r"^\d\d:\d\d:\d\d Wrote .*\.epub")
        epub = next((tmp_path / "out").glob("*.epub"))
        with zipfile.ZipFile(epub) as archive:
            text = b"".join(archive.read(name) for name in archive.namelist() if name.endswith(".xhtml"))
        assert b"A sentence written while watching." in text
        piece.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
        error = running.wait_for(r"^Error: ", stream="err")
        assert PIECE in error.string
        running.wait_for(r"^\d\d:\d\d:\d\d Not rebuilt \(1 error\(s\)\): the previous files are kept$")
        assert running.interrupt() == 0
        out = [line for name, line in running.drain() if name == "out"]
        assert len(out) == 4 and out[-1] == "Stopped"  # three builds, three lines
        assert list(running.tmp.iterdir()) == []
    finally:
        running.stop()


def test_the_book_commands_do_not_load_the_preview(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "publish", "epub", "-m", str(DEMO), "-o", str(tmp_path / "b.epub")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "publish" in loaded and "lxml" in loaded
    assert not loaded & {"starlette", "uvicorn", "watchfiles", "pypdfium2", "anyio"}
