"""The bounds of a page: the services page their own lists and make the cursors
(opaque to clients: pass ``next_cursor`` back as ``cursor``); the gateway only
checks sizes before a call."""

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR_LENGTH = 200
