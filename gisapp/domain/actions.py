"""Which life-cycle steps a caller may take now: the ones the one state machine (lifecycle.apply) accepts.

The dashboard shows only these buttons; the API still decides each step when it is taken.
"""

from __future__ import annotations

from gisapp.domain.lifecycle import Action, Args, Caller, Case, NotYourStep, TransitionNotAllowed, apply

# stand-ins for what a step carries (receivers, members): their presence is all the rules look at
_PROBE = Args(receivers=("probe",), support=(("probe", "probe"),), members=1)


def possible_actions(case: Case, caller: Caller) -> list[str]:
    """The actions apply() would accept for this caller, in the order of the Action enum.

    >>> from gisapp.domain.events import EventStatus
    >>> possible_actions(Case(EventStatus.REPORTED, 1), Caller(is_center=True))
    ['accept', 'void', 'escalate']
    >>> possible_actions(Case(EventStatus.REPORTED, 1), Caller())
    []
    """
    allowed = []
    for action in Action:
        try:
            apply(case, action, caller, _PROBE)
        except (TransitionNotAllowed, NotYourStep):
            continue
        allowed.append(str(action))
    return allowed
