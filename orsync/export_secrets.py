"""How `orsync export` writes secrets: as the masked pins the API showed (`--secrets pin`), or
as `${VAR}` placeholders named after workspace, destination and key (`--secrets env`)."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orsync import masking
from orsync.model import Secret


class SecretsMode(enum.StrEnum):
    """How secrets are written."""

    PIN = "pin"  # the live mask, compared as a fingerprint and never sent
    ENV = "env"  # a `${VAR}` placeholder, for the user to fill in


# Variable names of `--secrets env`: ORSYNC_<workspace>_<destination>_<key>.
VARIABLE_PREFIX = "ORSYNC"
_NOT_NAME_CHARACTER = re.compile(r"[^A-Z0-9]+")
_WORKSPACE_PART_LENGTH = 8


@dataclass
class SecretWriter:
    """Writes values, secrets as pins or placeholders; names the placeholders uniquely."""

    mode: SecretsMode
    slugs: dict[str, str] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    _prefix: str = ""

    def start(self, workspace_id: str | None, destination_name: str) -> None:
        """The destination whose values come next (its placeholders are named after it, and
        after its workspace: by slug when known, else by the start of its id)."""
        if workspace_id is None:
            workspace = ""
        else:
            workspace = self.slugs.get(workspace_id) or workspace_id[:_WORKSPACE_PART_LENGTH]
        self._prefix = "_".join(p for p in (VARIABLE_PREFIX, workspace, destination_name) if p)

    def value(self, value: Any, path: tuple[str, ...]) -> Any:
        """`value` as the file holds it; mappings by key, strings escaped."""
        if isinstance(value, Secret):
            return self.secret(value, path)
        if isinstance(value, Mapping):
            return {str(k): self.value(value[k], (*path, str(k))) for k in sorted(value)}
        if isinstance(value, list):
            many = len(value) > 1
            return [
                self.value(item, (*path, str(index + 1)) if many else path)
                for index, item in enumerate(value)
            ]
        return literal(value) if isinstance(value, str) else value

    def secret(self, secret: Secret, path: tuple[str, ...]) -> str:
        if self.mode is SecretsMode.ENV:
            name = self._variable("_".join((self._prefix, *path)))
            return "${" + name + "}"
        shown = masking.mask_for_file(secret.value or "")
        # What the loader would not take for a pin would be read as the secret itself.
        return literal(shown if masking.is_pin(shown) else masking.HIDDEN)

    def _variable(self, words: str) -> str:
        base = _NOT_NAME_CHARACTER.sub("_", words.upper()).strip("_")
        name, number = base, 2
        while name in self.variables:
            name, number = f"{base}_{number}", number + 1
        self.variables.append(name)
        return name


def literal(text: str) -> str:
    """A live string as the file must write it: the loader reads `$${` as a literal `${`."""
    return text.replace("${", "$${")
