"""The processes publish starts, one mechanism: ``workers`` (the ``Worker`` that runs typed ``Task`` messages and
answers ``Finished`` or ``Failed``; the ``Pool`` started as ``publish pdf`` begins, for the book, its parts, front
matter and handouts; ``ChildMap``, a worker forked with its work for a long book's Markdown or the cover),
``forking`` (the one fork-safety check; workers that die with the parent) and ``memory`` (the garbage
collector's settings, changed only there). Imports nothing of ``publish.pdf`` or ``publish.epub``: the work
is sent as a function by name.
"""
