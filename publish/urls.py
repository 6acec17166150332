"""The one list of URL schemes a book may link to, and the normaliser every written link goes through.

Anything that becomes a link in the EPUB or the PDF (a link in a piece, a piece's ``url``, the
"Continue reading" page, a handout's "Read this online" and its QR code, a link inside an SVG image)
is an ``http``, ``https``, ``mailto`` or ``tel`` URL, or a link inside the book. Each is written
percent-encoded (RFC 3986; the host in IDNA), so that EPUBCheck and PDF readers accept every one.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

LINK_SCHEMES = ("http", "https", "mailto", "tel")
WEB_SCHEMES = ("http", "https")

# Characters RFC 3986 allows unescaped in each part (with "%", whose escapes are kept when valid).
_SUB_DELIMS = "!$&'()*+,;="
_PATH_SAFE = _SUB_DELIMS + ":@/%-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_USERINFO_SAFE = _SUB_DELIMS + ":%-._~"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$")
# WHATWG URL: leading and trailing C0 controls and spaces are stripped, tabs and newlines removed anywhere.
_STRIPPED = "".join(chr(c) for c in range(0x21))


class UrlError(ValueError):
    """A URL that cannot be written as a link; the message says why."""


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case, or "" for a reference without one."""
    match = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


def _quote(text: str, safe: str) -> str:
    """Percent-encode ``text`` except ``safe`` characters; a ``%`` that starts no escape is encoded too."""
    return quote(_LONE_PERCENT.sub("%25", text), safe=safe)


def _host(host: str) -> str:
    """The host in ASCII (IDNA), or UrlError when it is no domain name or IP address."""
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1] if host.endswith("]") else "!")
        except ValueError:
            raise UrlError(f"the host {host!r} is not an IPv6 address") from None
        return host.lower()
    labels = host.rstrip(".").split(".") if host not in ("", ".") else [""]
    ascii_labels = []
    for label in labels:
        try:
            encoded = label.encode("idna").decode("ascii").lower() if label else ""
        except UnicodeError:
            encoded = ""
        if not encoded or len(encoded) > 63 or not _LABEL.match(encoded):
            raise UrlError(f"the host {host!r} is not a domain name" if host else "it has no host")
        ascii_labels.append(encoded)
    return ".".join(ascii_labels) + ("." if host.endswith(".") and len(host) > 1 else "")


def normalise_link(url: str) -> str:
    """``url`` as it is written into a book: an allowed scheme, percent-encoded, the host in IDNA.

    Raises UrlError, saying why, for another scheme or a URL that cannot be made valid.
    """
    url = url.strip(_STRIPPED).replace("\t", "").replace("\n", "").replace("\r", "")
    scheme = scheme_of(url)
    if scheme not in LINK_SCHEMES:
        raise UrlError(f"{scheme}: links are not allowed" if scheme else "it is not an absolute URL")
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is no IPv6 address
        raise UrlError(f"the host in {shorten(url)} is not an IPv6 address") from None
    fragment = _quote(parts.fragment, _QUERY_SAFE)
    query = _quote(parts.query, _QUERY_SAFE)
    if scheme in WEB_SCHEMES:
        if not url[len(scheme) + 1 :].startswith("//"):
            raise UrlError("it has no host (write it as https://host/...)")
        userinfo, _, hostport = parts.netloc.rpartition("@")
        host, port = hostport, ""
        match = re.match(r"^(.*?):(\d*)$", hostport)
        if match and (not hostport.startswith("[") or match.group(1).endswith("]")):
            host, port = match.group(1), match.group(2)
        if port and int(port) > 65535:
            raise UrlError(f"the port {port} is not a port number")
        if any(c in host for c in " <>\"'\\^`{|}%"):
            raise UrlError(f"the host {host!r} is not a domain name")
        netloc = _host(host) + (f":{port}" if port else "")
        if userinfo:
            netloc = f"{_quote(userinfo, _USERINFO_SAFE)}@{netloc}"
        path = _quote(parts.path, _PATH_SAFE) or "/"
        return urlunsplit((scheme, netloc, path, query, fragment))
    address = _quote(parts.path, _PATH_SAFE)
    if parts.netloc or not address.strip("/"):
        raise UrlError(f"a {scheme}: link needs an address after '{scheme}:'")
    if scheme == "tel" and not re.search(r"\d", address):
        raise UrlError("a tel: link needs a telephone number")
    return urlunsplit((scheme, "", address, query, fragment))


def link_href(url: str | None) -> str | None:
    """The normalised link for ``url``, or None when it may not be a link (a writer then writes text only)."""
    if not url:
        return None
    try:
        return normalise_link(url)
    except UrlError:
        return None


def web_address_problem(url: str) -> str | None:
    """Why ``url`` is not a web page's address (http or https, valid once percent-encoded), or None if it is."""
    scheme = scheme_of(url)
    if scheme not in WEB_SCHEMES:
        given = f"a {scheme}: URL" if scheme else repr(shorten(url))
        return f"must be a web page's address starting with https:// or http://, not {given}"
    try:
        normalise_link(url)
    except UrlError as error:
        return f"is not a valid web address: {shorten(url)} ({error})"
    return None


def quote_fragment(anchor: str) -> str:
    """An element id as a URL fragment (an id with spaces or non-ASCII letters is percent-encoded)."""
    return _quote(anchor, _QUERY_SAFE)


def quote_path(path: str) -> str:
    """A relative path (a file inside the book) as a URL path."""
    return _quote(path, _PATH_SAFE.replace(":", ""))


def shorten(reference: str, limit: int = 80) -> str:
    """A reference as shown in a message: a long data: URL is cut."""
    return reference if len(reference) <= limit else reference[: limit - 1] + "…"
