"""Every default orsync uses, in one place. Imports nothing, so any module may read it cheaply."""

from __future__ import annotations

CONFIG_PATH = "orsync.yaml"
BASE_URL = "https://openrouter.ai/api/v1"
API_KEY_ENV = "OPENROUTER_MANAGEMENT_KEY"
# Seconds one API request may take, whole.
TIMEOUT = 30.0
# Destinations one apply may delete or replace before it refuses (README.md, Apply).
MAX_DELETES = 3
# Workspaces read at once.
CONCURRENCY = 8
# Pages of one workspace read at once.
PAGE_CONCURRENCY = 4
# Items asked for per page (the API's maximum).
PAGE_LIMIT = 100
# Lists and mappings nested deeper than this, in the config file or an API answer, are refused:
# a destination is a dozen levels deep at most, and every walk over its values (comparing,
# masking, rendering) must fit in Python's stack.
MAX_NESTING = 64
