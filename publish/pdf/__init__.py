"""The print PDF, in layers that import downwards only.

``paper`` (sizes, options, lengths) → ``html`` (the book as one document) and ``css`` (its stylesheets) →
``engine`` (WeasyPrint's public API: HTML in, PDF bytes out; imports no sibling) → ``finishing`` (publish's
tagging of the PDF, and ``typeset``, which every writer calls) → ``parts`` (a long book in parallel parts,
joined), ``handouts``, ``booklet`` → ``write`` (the book's PDF file). ``weasyprint_compat`` is the only module
that touches WeasyPrint's or pydyf's private names. This file imports nothing: a module of the package loads
only what it needs.
"""
