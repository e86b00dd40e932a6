"""Sections the views are built from (the strip of characters, the lesson's claims, the
page header, the cell's words, ...): none is a view of its own; the views are the
modules of dashboard/views/ listed in dashboard/views/registry.py."""
