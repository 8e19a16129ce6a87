"""`orsync validate`: the config file checked offline, with no key and no network."""

from __future__ import annotations

from dataclasses import dataclass

from orsync.commands.inputs import load_desired
from orsync.errors import OrsyncError, PolicyError
from orsync.findings import Violation, counted, violations_summary
from orsync.model import DesiredState


@dataclass(frozen=True)
class ValidateOutcome:
    """The checked config, and what its declared destinations break of its policy; its
    warnings are the user's to read."""

    desired: DesiredState
    violations: tuple[Violation, ...] = ()

    def summary(self) -> str:
        count = sum(len(w.destinations) for w in self.desired.workspaces)
        spaces = len(self.desired.workspaces)
        policy = ", and a policy" if self.desired.policy is not None else ""
        return (
            f"{self.desired.path} is valid: {counted(count, 'destination')} "
            f"in {counted(spaces, 'workspace')}{policy}."
        )

    def error(self) -> OrsyncError | None:
        """The policy violations of the file (exit 3), None when there are none."""
        if not self.violations:
            return None
        return PolicyError(f"{violations_summary(self.violations)} in {self.desired.path}")


def run_validate(config_path: str) -> ValidateOutcome:
    """Check the config file, and its declared destinations against its policy (offline:
    each as a create would make it); raises ConfigError at the first problem."""
    from orsync.policy import declared_violations

    desired = load_desired(config_path)
    return ValidateOutcome(desired, tuple(declared_violations(desired)))
