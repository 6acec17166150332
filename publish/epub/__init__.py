"""The EPUB 3: ``options`` (the choices, light to import), ``package`` (documents, navigation, accessibility
metadata, the package itself), ``kobo`` (Kobo's spans for a kepub) and ``font_subset`` (the embedded fonts cut
to the characters used). Imports nothing of ``publish.pdf``.
"""
