"""Event vocabulary: states, channels, priorities, response levels (mirrored by CHECKs in sql/)."""
from __future__ import annotations

from enum import IntEnum, StrEnum


class EventStatus(StrEnum):
    """First cut of the life cycle of standard clause 6; see sql/006_events.sql."""

    REPORTED = "reported"          # 信息获取: received, not yet dispatched
    DISPATCHED = "dispatched"      # 派发: sent to a team or department, awaiting acknowledgement
    ACKNOWLEDGED = "acknowledged"  # 签收
    IN_PROGRESS = "in_progress"    # 处置中
    HANDLED = "handled"            # 处置完毕, awaiting verification
    CLOSED = "closed"              # 结案
    CANCELLED = "cancelled"


class Channel(StrEnum):
    """Information channels of clause 6.1."""

    PATROL = "patrol"      # 巡查发现
    PUBLIC = "public"      # 群众举报 (mobile app)
    HOTLINE = "hotline"    # 12345 热线
    VIDEO = "video"        # 视频发现
    REFERRAL = "referral"  # 上级交办、部门移交


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ResponseLevel(IntEnum):
    """Clause 6.2.1: level 1 by the township sub-center, level 2 by the county center."""

    TOWNSHIP = 1
    COUNTY = 2
