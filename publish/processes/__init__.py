"""The processes publish starts: ``forking`` (the one fork-safety check, a forked child that shares a
pure function's work, workers that die with the parent), ``workers`` (typesetting processes started before the
manuscript is read, sent typed ``Task`` messages) and ``memory`` (the garbage collector's settings, changed
only there). Imports nothing of ``publish.pdf`` or ``publish.epub``: the work is sent as a function by name.
"""
