"""`orsync validate`: the config file checked offline, with no key and no network."""

from __future__ import annotations

from dataclasses import dataclass

from orsync.commands.inputs import counted, load_desired
from orsync.model import DesiredState


@dataclass(frozen=True)
class ValidateOutcome:
    """The checked config; its warnings are the user's to read."""

    desired: DesiredState

    def summary(self) -> str:
        count = sum(len(w.destinations) for w in self.desired.workspaces)
        spaces = len(self.desired.workspaces)
        return (
            f"{self.desired.path} is valid: {counted(count, 'destination')} "
            f"in {counted(spaces, 'workspace')}."
        )


def run_validate(config_path: str) -> ValidateOutcome:
    """Check the config file; raises ConfigError at the first problem."""
    return ValidateOutcome(load_desired(config_path))
