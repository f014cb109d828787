"""Static demo content: kinds of work, event categories, participating departments, centres.

Shared by the demo county build (:mod:`gisapp.demo.build`) and the synthetic generator
(:mod:`gisapp.demo.synth`). Department names are templated on the county name; the people
(leaders, liaisons) and phone numbers are fake and generated deterministically from a seed.
"""

from __future__ import annotations

from . import names

# The five kinds of joint-duty work (DB32/T 3335-2017, clause 5).
KINDS: tuple[dict, ...] = (
    {"code": "livelihood", "name": "民生服务", "name_en": "Livelihood services"},
    {"code": "urban", "name": "城市管理", "name_en": "Urban management"},
    {"code": "safety", "name": "公共安全", "name_en": "Public safety"},
    {"code": "environment", "name": "环保巡查", "name_en": "Environmental inspection"},
    {"code": "order", "name": "社会治安", "name_en": "Public order"},
)

# Participating departments (参勤单位, standard 4.3.1).
# (code, short_name, name template, leader title); "{c}" is the county name, e.g. "玄武区".
DEPARTMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("petition", "信访", "{c}信访局", "局长"),
    ("housing_construction", "住建", "{c}住房和城乡建设局", "局长"),
    ("real_estate", "房产", "{c}房产管理局", "局长"),
    ("public_security", "公安", "{c}公安分局", "分局长"),
    ("traffic_police", "交警", "{c}公安分局交警大队", "大队长"),
    ("justice", "司法", "{c}司法局", "局长"),
    ("education", "教育", "{c}教育局", "局长"),
    ("civil_affairs", "民政", "{c}民政局", "局长"),
    ("disabled_persons", "残联", "{c}残疾人联合会", "理事长"),
    ("human_resources", "人社", "{c}人力资源和社会保障局", "局长"),
    ("market_regulation", "市场监管", "{c}市场监督管理局", "局长"),
    ("emergency", "应急管理", "{c}应急管理局", "局长"),
    ("ecology", "生态环境", "{c}生态环境局", "局长"),
    ("urban_management", "城管", "{c}城市管理局", "局长"),
    ("transport", "交通运输", "{c}交通运输局", "局长"),
    ("water", "水务", "{c}水务局", "局长"),
    ("health", "卫健", "{c}卫生健康委员会", "主任"),
    ("fire", "消防", "{c}消防救援大队", "大队长"),
)

# Event categories: (code, name, name_en, department, priority, response_min, handling_min, level).
# Level 2 = serious matters reported straight to the county centre and the department.
_H = 60
_D = 24 * 60
CATEGORY_ROWS: tuple[tuple[str, str, str, str, str, int, int, int], ...] = (
    # 民生服务
    (
        "livelihood.elderly_care",
        "孤寡老人帮扶",
        "Help for elderly living alone",
        "civil_affairs",
        "normal",
        60,
        2 * _D,
        1,
    ),
    (
        "livelihood.disabled_help",
        "残疾人帮扶",
        "Help for disabled persons",
        "disabled_persons",
        "normal",
        60,
        2 * _D,
        1,
    ),
    ("livelihood.social_assistance", "社会救助", "Social assistance", "civil_affairs", "normal", 120, 3 * _D, 1),
    ("livelihood.utility_outage", "停水停电停气", "Water / power / gas outage", "water", "high", 30, 8 * _H, 1),
    ("livelihood.neighbour_dispute", "邻里纠纷", "Neighbour dispute", "justice", "normal", 60, 1 * _D, 1),
    ("livelihood.wage_arrears", "拖欠工资", "Unpaid wages", "human_resources", "normal", 120, 5 * _D, 1),
    ("livelihood.housing_repair", "房屋漏水维修", "Housing leak / repair", "real_estate", "low", 120, 5 * _D, 1),
    ("livelihood.petition", "来访诉求", "Petition / complaint visit", "petition", "normal", 120, 5 * _D, 1),
    # 城市管理
    ("urban.illegal_construction", "违法建设", "Illegal construction", "urban_management", "normal", 60, 5 * _D, 1),
    ("urban.street_vending", "占道经营", "Street vending", "urban_management", "low", 30, 1 * _D, 1),
    ("urban.littering", "乱堆乱放", "Littering / piled rubbish", "urban_management", "low", 60, 1 * _D, 1),
    (
        "urban.manhole_cover",
        "井盖缺失破损",
        "Missing or damaged manhole cover",
        "urban_management",
        "high",
        15,
        4 * _H,
        1,
    ),
    ("urban.street_light", "路灯损坏", "Broken street light", "urban_management", "normal", 60, 2 * _D, 1),
    ("urban.illegal_parking", "违章停车", "Illegal parking", "traffic_police", "normal", 30, 1 * _D, 1),
    (
        "urban.illegal_advertising",
        "违规张贴广告",
        "Illegal posters / advertising",
        "urban_management",
        "low",
        60,
        3 * _D,
        1,
    ),
    ("urban.road_damage", "道路破损", "Damaged road surface", "transport", "normal", 60, 3 * _D, 1),
    # 公共安全
    ("safety.fire_hazard", "火灾隐患", "Fire hazard", "fire", "urgent", 10, 4 * _H, 2),
    ("safety.unsafe_building", "危房险情", "Unsafe building", "housing_construction", "urgent", 15, 8 * _H, 2),
    ("safety.gas_leak", "燃气泄漏", "Gas leak", "emergency", "urgent", 5, 2 * _H, 2),
    ("safety.flooding", "积水内涝", "Flooding / waterlogging", "water", "high", 15, 6 * _H, 1),
    ("safety.road_hazard", "道路交通隐患", "Road traffic hazard", "traffic_police", "high", 15, 4 * _H, 1),
    ("safety.food_safety", "食品安全", "Food safety", "market_regulation", "high", 30, 1 * _D, 1),
    ("safety.work_safety", "安全生产隐患", "Work safety hazard", "emergency", "high", 30, 1 * _D, 1),
    ("safety.campus_safety", "校园周边安全", "School surroundings safety", "education", "high", 15, 8 * _H, 1),
    # 环保巡查
    (
        "environment.pollution_discharge",
        "偷排污染物",
        "Illegal pollutant discharge",
        "ecology",
        "urgent",
        15,
        8 * _H,
        2,
    ),
    ("environment.waste_burning", "露天焚烧", "Open burning of waste", "urban_management", "high", 15, 4 * _H, 1),
    ("environment.noise", "噪声扰民", "Noise nuisance", "ecology", "normal", 30, 1 * _D, 1),
    ("environment.dust", "扬尘污染", "Construction dust", "housing_construction", "normal", 30, 1 * _D, 1),
    ("environment.river_dumping", "河道倾倒垃圾", "Dumping into rivers", "water", "normal", 30, 2 * _D, 1),
    ("environment.cooking_fumes", "餐饮油烟", "Restaurant cooking fumes", "ecology", "low", 60, 3 * _D, 1),
    # 社会治安
    ("order.fight", "打架斗殴", "Fight", "public_security", "urgent", 5, 2 * _H, 1),
    ("order.theft", "盗窃", "Theft", "public_security", "high", 10, 1 * _D, 1),
    ("order.suspicious_person", "可疑人员", "Suspicious person", "public_security", "high", 10, 2 * _H, 1),
    ("order.mass_gathering", "群体性聚集", "Mass gathering", "public_security", "urgent", 5, 4 * _H, 2),
    ("order.escalating_dispute", "矛盾纠纷激化", "Escalating dispute", "public_security", "urgent", 10, 8 * _H, 2),
    ("order.fraud", "电信网络诈骗", "Telecom / online fraud", "public_security", "normal", 30, 2 * _D, 1),
)

# Handling limits counted in working time of the county's calendar (clause 6.2.1) instead of clock minutes:
# matters a department or office deals with in its working hours, not emergencies. code -> (amount, unit);
# the clock minutes above stay as the row's nominal limit (sql/018 keeps handling_minutes for every category).
WORKING_TIME_LIMITS: dict[str, tuple[int, str]] = {
    "livelihood.social_assistance": (3, "work_days"),  # 社会救助: an assessment by the civil-affairs office
    "livelihood.wage_arrears": (5, "work_days"),  # 拖欠工资: labour inspection's procedure
    "livelihood.housing_repair": (16, "work_hours"),  # 房屋漏水维修: the property office's repairers' hours
    "livelihood.petition": (5, "work_days"),  # 来访诉求: the petition office's working days
    "urban.illegal_construction": (5, "work_days"),  # 违法建设: a case file, not a patrol matter
    "urban.street_light": (12, "work_hours"),  # 路灯损坏: the maintenance crew works day shifts
}

PRIORITIES = ("urgent", "high", "normal", "low")

# Members of a joint-duty team.
ROLES: dict[str, str] = {
    "grid_leader": "网格长",
    "grid_officer": "专职网格员",
    "police": "社区民警/辅警",
    "urban_inspector": "城管队员",
    "volunteer": "志愿者",
}
DUTY_STATUSES: dict[str, str] = {
    "on_duty": "在岗",
    "on_patrol": "巡查中",
    "busy": "处置中",
    "off_duty": "离岗",
}

# Event reporting channels.
CHANNELS: tuple[str, ...] = ("patrol", "public", "hotline", "video", "referral")

# Fixed "now" of the demo data set (no wall-clock time anywhere, for determinism).
BASE_TIME = "2026-11-01T08:00:00Z"


def kinds() -> list[dict]:
    return [dict(k) for k in KINDS]


def categories() -> list[dict]:
    """The categories with their limits; ``handling_unit``/``handling_amount``: minutes and null, or working time."""
    return [
        {
            "code": code,
            "name": name,
            "name_en": name_en,
            "kind": code.split(".", 1)[0],
            "department": dept,
            "priority": prio,
            "response_minutes": resp,
            "handling_minutes": handle,
            "level": level,
            "handling_unit": WORKING_TIME_LIMITS.get(code, (None, "minutes"))[1],
            "handling_amount": WORKING_TIME_LIMITS.get(code, (None, "minutes"))[0],
        }
        for code, name, name_en, dept, prio, resp, handle, level in CATEGORY_ROWS
    ]


def categories_document() -> dict:
    """The content of ``categories.json``."""
    return {"kinds": kinds(), "categories": categories()}


def departments(county_name: str, seed: int) -> list[dict]:
    """The participating departments of a county, with fake leaders, liaisons and phones."""
    rng = names.rng_for(seed, "departments")
    n = len(DEPARTMENTS)
    leaders = names.person_names(rng, n)
    liaisons = names.person_names(rng, n)
    leader_phones = names.mobiles(rng, n)
    liaison_phones = names.mobiles(rng, n)
    duty = names.landlines(rng, n)
    out = []
    for i, (code, short, template, title) in enumerate(DEPARTMENTS):
        name = template.format(c=county_name)
        if code in ("public_security", "traffic_police") and not county_name.endswith("区"):
            name = name.replace("公安分局", "公安局")  # counties have a 公安局, districts a 分局
        out.append(
            {
                "code": code,
                "name": name,
                "short_name": short,
                "leader": {"name": leaders[i], "title": title, "phone": leader_phones[i]},
                "liaison": {"name": liaisons[i], "phone": liaison_phones[i]},
                "duty_phone": duty[i],
            }
        )
    return out


def centers(county_code: str, county_name: str, townships: list[tuple[str, str]], seed: int) -> list[dict]:
    """One county command centre plus one sub-centre per township (``townships``: code, name)."""
    rng = names.rng_for(seed, "centers")
    phones = names.landlines(rng, len(townships) + 1)
    out = [
        {
            "code": f"{county_code}-C",
            "name": f"{county_name}社会治理联勤指挥中心",
            "level": "county",
            "area_code": county_code,
            "duty_phone": phones[0],
        }
    ]
    for i, (code, name) in enumerate(townships):
        out.append(
            {
                "code": f"{code}-C",
                "name": f"{name}联勤指挥分中心",
                "level": "township",
                "area_code": code,
                "duty_phone": phones[i + 1],
            }
        )
    return out
