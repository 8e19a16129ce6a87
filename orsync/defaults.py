"""Every default orsync uses, in one place. Imports nothing, so any module may read it cheaply."""

from __future__ import annotations

CONFIG_PATH = "orsync.yaml"
BASE_URL = "https://openrouter.ai/api/v1"
API_KEY_ENV = "OPENROUTER_MANAGEMENT_KEY"
# Seconds one API request may take, whole.
TIMEOUT = 30.0
# Destinations one apply may delete or replace before it refuses (README.md, Apply).
MAX_DELETES = 3
# API requests in flight at once, across workspaces and pages (--concurrency).
CONCURRENCY = 8
# Items asked for per page (the API's maximum).
PAGE_LIMIT = 100
# Seconds to wait before each listing that looks for a create whose answer never came (a
# timeout, a dropped connection, a 5xx): the server may still be finishing it.
CREATE_CHECK_WAITS = (0.0, 0.5, 1.0, 2.0)
# Characters a `--format markdown` plan may take before parts are left out: GitHub refuses a
# comment over 65,536 characters, and a workflow may add a line or two of its own.
MARKDOWN_LIMIT = 60_000
# Lists and mappings nested deeper than this, in the config file or an API answer, are refused:
# a destination is a dozen levels deep at most, and every walk over its values (comparing,
# masking, rendering) must fit in Python's stack.
MAX_NESTING = 64
# The largest integer a JSON number holds exactly wherever it is read as a 64-bit float (as the
# API may store it): beyond it, a value sent would not compare equal to what comes back.
MAX_EXACT_INTEGER = 2**53
