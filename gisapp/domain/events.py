"""Event vocabulary: states, channels, priorities, response levels (mirrored by CHECKs in sql/)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class EventStatus(StrEnum):
    """States of an event (standard 6.1-6.3), mirrored by the CHECK of events.status; the moves between
    them are decided by gisapp.domain.lifecycle."""

    REPORTED = "reported"  # 上报: received, awaiting acceptance
    ACCEPTED = "accepted"  # 受理/立案: accepted, awaiting dispatch
    VOIDED = "voided"  # 作废: not a case (duplicate, prank, outside the remit)
    DISPATCHED = "dispatched"  # 派遣: sent to its receivers, awaiting acknowledgement
    ACKNOWLEDGED = "acknowledged"  # 签收
    ON_SCENE = "on_scene"  # 到场
    HANDLED = "handled"  # 处置完成: awaiting verification
    VERIFIED = "verified"  # 核查: the center checked the result
    CLOSED = "closed"  # 结案
    PARKED = "parked"  # 挂账: a long-term case, clocks stopped


class Channel(StrEnum):
    """Information channels of clause 6.1."""

    PATROL = "patrol"  # 巡查发现
    PUBLIC = "public"  # 群众举报 (mobile app)
    HOTLINE = "hotline"  # 12345 热线
    VIDEO = "video"  # 视频发现
    REFERRAL = "referral"  # 上级交办、部门移交


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


def graver(*priorities: "Priority | str | None") -> Priority:
    """The most severe of some priorities.

    >>> graver("normal", None, "high")
    <Priority.HIGH: 'high'>
    """
    order = list(Priority)
    return min((Priority(p) for p in priorities if p), key=order.index)


class ResponseLevel(IntEnum):
    """Clause 6.2.1: level 1 by the township sub-center, level 2 by the county center."""

    TOWNSHIP = 1
    COUNTY = 2
