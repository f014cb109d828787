"""Deterministic fake Chinese names, place names and phone numbers for demo data.

Everything here is generated from a ``numpy.random.Generator`` supplied by the caller, so the
same seed always gives the same names. None of the people or numbers are real: names are random
surname + given-name combinations and phone numbers are random digits in a plausible format.
"""

from __future__ import annotations

import zlib

import numpy as np

# About 80 common surnames with rough relative frequencies (per mille of population).
_SURNAMES = (
    ("王", 72),
    ("李", 72),
    ("张", 68),
    ("刘", 53),
    ("陈", 46),
    ("杨", 32),
    ("黄", 23),
    ("赵", 20),
    ("吴", 19),
    ("周", 19),
    ("徐", 13),
    ("孙", 12),
    ("马", 12),
    ("朱", 11),
    ("胡", 10),
    ("郭", 10),
    ("何", 9),
    ("高", 9),
    ("林", 9),
    ("罗", 8),
    ("郑", 8),
    ("梁", 7),
    ("谢", 6),
    ("宋", 6),
    ("唐", 6),
    ("许", 6),
    ("韩", 5),
    ("冯", 5),
    ("邓", 5),
    ("曹", 5),
    ("彭", 5),
    ("曾", 4),
    ("肖", 4),
    ("田", 4),
    ("董", 4),
    ("袁", 4),
    ("潘", 4),
    ("于", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("余", 4),
    ("杜", 3),
    ("叶", 3),
    ("程", 3),
    ("苏", 3),
    ("魏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("沈", 3),
    ("姚", 3),
    ("卢", 3),
    ("姜", 3),
    ("崔", 3),
    ("钟", 2),
    ("谭", 2),
    ("陆", 2),
    ("汪", 2),
    ("范", 2),
    ("金", 2),
    ("石", 2),
    ("廖", 2),
    ("贾", 2),
    ("夏", 2),
    ("韦", 2),
    ("付", 2),
    ("方", 2),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 2),
    ("秦", 2),
    ("邱", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 1),
    ("史", 1),
    ("陶", 1),
    ("黎", 1),
    ("贺", 1),
    ("顾", 1),
    ("毛", 1),
    ("郝", 1),
    ("龚", 1),
    ("邵", 1),
    ("万", 1),
    ("钱", 1),
    ("严", 1),
    ("覃", 1),
    ("武", 1),
    ("戴", 1),
    ("莫", 1),
    ("孔", 1),
)
SURNAMES = tuple(s for s, _ in _SURNAMES)
_SURNAME_P = np.array([w for _, w in _SURNAMES], dtype=float)
_SURNAME_P /= _SURNAME_P.sum()

GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志文玉红晓东海波"
    "宇鑫鹏辉斌林婷燕慧颖雪琳玲欣怡晨阳浩然子轩思雨佳俊峰凯飞亮瑞博睿涵梓萱"
    "诗悦心彤雅楠成伦昊宏嘉琪婧蕾倩荣春梅丹宁凡瑶菲旭晖振安立新永健庆祥德"
)

# Place-name characters for synthetic townships and communities.
_PLACE_FIRST = (
    "青松桃李柳桂兰梅竹荷枫杏翠碧金银玉宝锦绣福康宁安和平祥瑞东南西北新长永"
    "华明光泰丰盛兴隆春秋朝阳红星云霞凤鹤龙虎清泉白石紫山湖河溪"
)
_PLACE_LAST = "园苑桥湾庄坊村塘岗门营里巷山湖河溪港口林坡岭洲浦堂亭台城"


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible generator for one purpose (stable across Python runs)."""
    return np.random.default_rng([int(seed), zlib.crc32(purpose.encode("utf-8"))])


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` fake Chinese personal names (surname + one or two given-name characters)."""
    if n <= 0:
        return []
    sur = rng.choice(len(SURNAMES), size=n, p=_SURNAME_P)
    two = rng.random(n) < 0.7
    g1 = rng.integers(0, len(GIVEN_CHARS), size=n)
    g2 = rng.integers(0, len(GIVEN_CHARS), size=n)
    return [
        SURNAMES[s] + GIVEN_CHARS[a] + (GIVEN_CHARS[b] if t else "")
        for s, a, b, t in zip(sur.tolist(), g1.tolist(), g2.tolist(), two.tolist())
    ]


_MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "186",
    "187",
    "188",
    "189",
    "199",
)


def mobiles(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` fake 11-digit mobile numbers (random digits; not real subscribers)."""
    if n <= 0:
        return []
    pre = rng.integers(0, len(_MOBILE_PREFIXES), size=n)
    rest = rng.integers(0, 100_000_000, size=n)
    return [f"{_MOBILE_PREFIXES[p]}{r:08d}" for p, r in zip(pre.tolist(), rest.tolist())]


def landlines(rng: np.random.Generator, n: int, area_code: str = "025") -> list[str]:
    """``n`` fake landline numbers such as ``025-84123456``."""
    if n <= 0:
        return []
    rest = rng.integers(0, 10_000_000, size=n)
    return [f"{area_code}-8{r:07d}" for r in rest.tolist()]


def place_names(rng: np.random.Generator, n: int, *, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct fake place names (2 characters, 3 when the 2-character ones run out)."""
    taken = set() if taken is None else set(taken)
    two = [a + b for a in _PLACE_FIRST for b in _PLACE_LAST if a != b]
    order = rng.permutation(len(two))
    out: list[str] = []
    for i in order.tolist():
        if len(out) == n:
            return out
        if two[i] not in taken:
            taken.add(two[i])
            out.append(two[i])
    # Three characters: first + first + last, visited in a seeded pseudo-random order.
    nf, nl = len(_PLACE_FIRST), len(_PLACE_LAST)
    total = nf * nf * nl
    step = 7_919  # prime, coprime with total unless total is a multiple of it
    while np.gcd(step, total) != 1:
        step += 2
    start = int(rng.integers(0, total))
    k = 0
    while len(out) < n and k < total:
        j = (start + k * step) % total
        k += 1
        a, rem = divmod(j, nf * nl)
        b, c = divmod(rem, nl)
        name = _PLACE_FIRST[a] + _PLACE_FIRST[b] + _PLACE_LAST[c]
        if _PLACE_FIRST[a] != _PLACE_FIRST[b] and name not in taken:
            taken.add(name)
            out.append(name)
    serial = 1
    while len(out) < n:  # astronomically many names requested: number them
        name = f"新区{serial}"
        serial += 1
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out
