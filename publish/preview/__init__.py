"""``publish preview`` and ``publish watch``: the book rebuilt on every save, shown in a local web page.

- ``pipeline``: every call into the rest of publish, in one module (checking, the EPUB, the PDF, handouts);
- ``watcher``: the manuscript and styles folders watched for saves (watchfiles);
- ``session``: the resident builder, its last good rendering and the problems of the latest build;
- ``pages``: PDF pages as images with their printed page numbers (pypdfium2);
- ``server``: the web page, the book's documents and page images from memory, server-sent events
  (Starlette on uvicorn), bound to the loopback address by default;
- ``watch``: the same rebuilding without a browser, writing the outputs.

Starlette, uvicorn, watchfiles and pypdfium2 are imported here only, so the other commands do not load them.
"""
