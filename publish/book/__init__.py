"""Facts about the book that both writers and ``publish toc`` use: its front matter (title and copyright
pages, dates, contacts). Imports neither writer.
"""
