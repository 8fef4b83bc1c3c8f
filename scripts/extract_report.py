"""Extract the H3C 2022 district/county report's tables into seeds.

Provenance for three seeds, all read from the report text in
``sources/`` (the PDF's text layer, kept in the repository):

* ``seeds/framework/framework_nodes.csv`` — the three indicator systems of the 附录
  (一级/二级/三级指标 with 权重), as one tree per framework;
* ``seeds/reference/published_rankings.csv`` — the three ranking tables of section 2,
  exactly as printed (rank, name, score), with the line of the text each row came from;
* ``seeds/reference/published_averages.csv`` — the peer-group averages the text states
  (composite and first-level, and the year-on-year change where it states one);
* ``seeds/reference/published_statements.csv`` — other checkable claims of the text (the
  highest-scoring region of each peer group, as the text names it).

Chinese names are kept as printed; codes and English names come from ``NODE_NAMES``.
Run ``python scripts/extract_report.py`` (``--check`` compares instead of writing).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from _repo import REPO_ROOT, REPORT_TEXT

FRAMEWORK_SEED = REPO_ROOT / "seeds" / "framework" / "framework_nodes.csv"
RANKINGS_SEED = REPO_ROOT / "seeds" / "reference" / "published_rankings.csv"
AVERAGES_SEED = REPO_ROOT / "seeds" / "reference" / "published_averages.csv"
STATEMENTS_SEED = REPO_ROOT / "seeds" / "reference" / "published_statements.csv"

# framework code -> (appendix heading, root name as the report calls the index, English)
FRAMEWORKS: dict[str, tuple[str, str, str]] = {
    "district": ("城区指标体系", "城区数字化指数", "District digitalisation index"),
    "county": ("县市指标体系", "县市数字化指数", "County digitalisation index"),
    "zone": (
        "高新区/经开区指标体系",
        "高新区/经开区数字化指数",
        "High-tech and economic-development zone digitalisation index",
    ),
}

# section-2 heading that opens each peer group's ranking table
RANKING_SECTIONS: dict[str, str] = {
    "district": "城区总体评估分析",
    "county": "县市总体评估分析",
    "zone": "高新区/经开区总体评估分析",
}

ROOT_CODE = "composite"
EDITION = 2022  # the report's edition

# name as printed -> (stable ASCII code, English name). One code per meaning, shared
# by the frameworks that use the same indicator.
NODE_NAMES: dict[str, tuple[str, str]] = {
    # first level
    "数字基础设施": ("digital_infrastructure", "Digital infrastructure"),
    "数字经济": ("digital_economy", "Digital economy"),
    "数字社会": ("digital_society", "Digital society"),
    "数字政府": ("digital_government", "Digital government"),
    "高质量发展环境": ("quality_development_environment", "High-quality development environment"),
    "中高端产业发展": ("high_end_industry", "Mid- to high-end industrial development"),
    "创新引领": ("innovation_leadership", "Innovation leadership"),
    # second level
    "信息基础设施": ("information_infrastructure", "Information infrastructure"),
    "平台基础设施": ("platform_infrastructure", "Platform infrastructure"),
    "运营基础设施": ("operations_infrastructure", "Operations infrastructure"),
    "数字技术创新": ("digital_tech_innovation", "Digital technology innovation"),
    "数字产业化": ("digital_industrialisation", "Digital industrialisation"),
    "产业数字化": ("industrial_digitalisation", "Industrial digitalisation"),
    "公共服务": ("public_services", "Public services"),
    "智慧城市": ("smart_city", "Smart city"),
    "数字乡村": ("digital_village", "Digital village"),
    "数字生活": ("digital_life", "Digital life"),
    "数据开放共享": ("open_data_sharing", "Open data and data sharing"),
    "政务信息化": ("government_informatisation", "Government informatisation"),
    "服务效能": ("service_effectiveness", "Service effectiveness"),
    "政策环境": ("policy_environment", "Policy environment"),
    "宜业环境": ("business_environment", "Business-friendly environment"),
    "宜居环境": ("living_environment", "Liveable environment"),
    "数字产业生态": ("digital_industry_ecosystem", "Digital industry ecosystem"),
    "创新能力": ("innovation_capacity", "Innovation capacity"),
    "创新活力": ("innovation_vitality", "Innovation vitality"),
    "开放创新": ("open_innovation", "Open innovation"),
    # third level
    "连接基础设施": ("connectivity_infrastructure", "Connectivity infrastructure"),
    "算力基础设施": ("computing_infrastructure", "Computing infrastructure"),
    "安全基础设施": ("security_infrastructure", "Security infrastructure"),
    "城市基础平台": ("city_base_platform", "City base platforms"),
    "行业基础平台": ("industry_base_platform", "Industry base platforms"),
    "物联基础平台": ("iot_base_platform", "IoT base platforms"),
    "运营体制": ("operations_institutions", "Operating institutions"),
    "运营机制": ("operations_mechanisms", "Operating mechanisms"),
    "关键领域创新": ("key_field_innovation", "Innovation in key fields"),
    "前沿技术布局": ("frontier_technology", "Frontier technology deployment"),
    "创新联合生态": ("joint_innovation_ecosystem", "Joint innovation ecosystem"),
    "新兴数字产业": ("emerging_digital_industries", "Emerging digital industries"),
    "大数据服务业": ("big_data_services", "Big-data services"),
    "新经济新业态": ("new_economy_models", "New economy and business models"),
    "上云用数赋智行动": ("cloud_data_ai_action", "Cloud, data and intelligence enablement"),
    "制造业数字化": ("manufacturing_digitalisation", "Manufacturing digitalisation"),
    "服务业数字化": ("services_digitalisation", "Services digitalisation"),
    "农业数字化": ("agriculture_digitalisation", "Agriculture digitalisation"),
    "数字化普惠应用": ("inclusive_digital_applications", "Inclusive digital applications"),
    "公共资源数字化": ("public_resources_digitalisation", "Digitalisation of public resources"),
    "互联网 + 公共服务": ("internet_plus_public_services", "Internet + public services"),
    "公共基础设施数字化": (
        "public_infrastructure_digitalisation",
        "Digitalisation of public infrastructure",
    ),
    "城市大脑": ("city_brain", "City brain"),
    "数字孪生": ("digital_twin", "Digital twin"),
    "治理模式创新": ("governance_model_innovation", "Governance model innovation"),
    "新型数字生活": ("new_digital_life", "New digital lifestyles"),
    "智慧社区": ("smart_communities", "Smart communities"),
    "公民数字素养": ("citizen_digital_literacy", "Citizens' digital literacy"),
    "数据开放度": ("data_openness", "Data openness"),
    "数据利用度": ("data_utilisation", "Data utilisation"),
    "平台准备度": ("platform_readiness", "Platform readiness"),
    "党建治理": ("party_building_governance", "Party-building governance"),
    "法制建设": ("rule_of_law", "Rule of law"),
    "经济治理": ("economic_governance", "Economic governance"),
    "公共安全": ("public_safety", "Public safety"),
    "市场监管": ("market_regulation", "Market regulation"),
    "市政管理": ("municipal_management", "Municipal management"),
    "应急管理": ("emergency_management", "Emergency management"),
    "生态治理": ("ecological_governance", "Ecological governance"),
    "互联网 + 政务服务": ("internet_plus_government_services", "Internet + government services"),
    "数字技术辅助决策": ("digital_decision_support", "Digital decision support"),
    "突发公共事件应对": ("public_emergency_response", "Response to public emergencies"),
    "乡村数字基础设施": ("rural_digital_infrastructure", "Rural digital infrastructure"),
    "乡村数字经济": ("rural_digital_economy", "Rural digital economy"),
    "乡村数字化治理": ("rural_digital_governance", "Rural digital governance"),
    "乡村数字服务": ("rural_digital_services", "Rural digital services"),
    "乡村绿色生活": ("rural_green_living", "Rural green living"),
    "覆盖发展环境政策数量": (
        "environment_policy_count",
        "Policies covering the development environment",
    ),
    "发展环境领域的数字化政策项目": (
        "environment_digital_policy_projects",
        "Digital policy projects for the development environment",
    ),
    "经济治理数字化": (
        "economic_governance_digitalisation",
        "Digitalisation of economic governance",
    ),
    "园区管理数字化": ("park_management_digitalisation", "Digitalisation of park management"),
    "社区治理数字化": (
        "community_governance_digitalisation",
        "Digitalisation of community governance",
    ),
    "生态治理数字化": (
        "ecological_governance_digitalisation",
        "Digitalisation of ecological governance",
    ),
    "智能化": ("intelligent_manufacturing", "Intelligent production"),
    "高端化": ("high_end_upgrading", "Upgrading to the high end"),
    "绿色化": ("green_transition", "Green transition"),
    "产业集群生态": ("industrial_cluster_ecosystem", "Industrial cluster ecosystem"),
    "数字人才生态": ("digital_talent_ecosystem", "Digital talent ecosystem"),
    "数字技术生态": ("digital_technology_ecosystem", "Digital technology ecosystem"),
    "示范工程应用": ("demonstration_projects", "Demonstration projects"),
    "创新资源集聚": ("innovation_resource_agglomeration", "Agglomeration of innovation resources"),
    "创新成果转化": ("innovation_commercialisation", "Commercialisation of innovation"),
    "数字化高新技术企业": ("digital_high_tech_firms", "Digital high-tech enterprises"),
    "数字经济中小创新企业": ("digital_innovative_smes", "Innovative digital-economy SMEs"),
    "数字经济创新扶持机制": ("digital_innovation_support", "Support for digital innovation"),
    "区域创新增长极": ("regional_innovation_pole", "Regional innovation growth pole"),
    "全球创新体系": ("global_innovation_network", "Global innovation network"),
}

WEIGHTED_LINE = re.compile(r"^\s*(?P<name>\S.*?)\s+(?P<weight>\d+(?:\.\d+)?)%\s*$")
RANKING_LINE = re.compile(r"^\s*(?P<rank>\d{1,3}) (?P<name>\S+) (?P<score>\d{2,3}\.\d)\s*$")
STATED_SCORE = re.compile(r"[，,]([^，,。：]+?)得分为(\d+\.\d)分")
STATED_MEAN = re.compile(r"平均得分为(\d+\.\d)分")
STATED_CHANGE = re.compile(r"比上年度?(提升|下降)(\d+\.\d)分")
STATED_TOP = re.compile(r"最高分为([^，,。的]+)的(\d+\.\d)分")


class ReportFormatError(ValueError):
    """The report text does not have the shape this extractor expects."""


@dataclass(frozen=True)
class Node:
    framework_code: str
    node_code: str
    parent_code: str
    level: int
    name_zh: str
    name_en: str
    local_weight_pct: float
    aggregation: str
    sort_order: int


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _code_for(name: str, line_no: int) -> tuple[str, str]:
    try:
        return NODE_NAMES[name]
    except KeyError:
        raise ReportFormatError(
            f"{REPORT_TEXT}:{line_no}: indicator name {name!r} has no code in NODE_NAMES "
            "(scripts/extract_report.py); add its code and English name"
        ) from None


def parse_frameworks(lines: list[str]) -> list[Node]:
    """Parse the three appendix tables into nodes.

    The text lists each table in pre-order (一级, its 二级, each 二级's 三级 …) with one
    name and weight per line. Levels are recovered from the weights: the children of a
    node are read until their weights add up to 100%.
    """
    headings = {
        i: fw
        for i, line in enumerate(lines)
        for fw, (heading, _, _) in FRAMEWORKS.items()
        if line.strip() == heading
    }
    appendix = next((i for i, line in enumerate(lines) if line.strip() == "附录"), None)
    if appendix is None:
        raise ReportFormatError(f"{REPORT_TEXT}: no 附录 heading found")
    starts = sorted(i for i in headings if i > appendix)
    if len(starts) != 3:
        raise ReportFormatError(f"{REPORT_TEXT}: expected 3 indicator systems, found {len(starts)}")
    nodes: list[Node] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        fw = headings[start]
        rows = [
            (i + 1, m)
            for i, line in enumerate(lines[start:end], start)
            if (m := WEIGHTED_LINE.match(line))
        ]
        nodes.extend(_build_tree(fw, rows))
    return nodes


def _build_tree(fw: str, rows: list[tuple[int, re.Match[str]]]) -> list[Node]:
    _, root_zh, root_en = FRAMEWORKS[fw]
    order = 0
    out = [Node(fw, ROOT_CODE, "", 0, root_zh, root_en, 100.0, "arithmetic", order)]
    pos = 0

    def read_children(parent: str, level: int) -> None:
        nonlocal pos, order
        total = 0.0
        while total < 100.0 - 1e-9:
            if pos >= len(rows):
                raise ReportFormatError(
                    f"{REPORT_TEXT}: {fw} framework: weights under {parent!r} add up to "
                    f"{total}% at the end of the table, not 100%"
                )
            line_no, m = rows[pos]
            pos += 1
            name, weight = m["name"], float(m["weight"])
            code, name_en = _code_for(name, line_no)
            order += 1
            out.append(Node(fw, code, parent, level, name, name_en, weight, "arithmetic", order))
            total += weight
            if level < 3:
                read_children(code, level + 1)
        if total > 100.0 + 1e-9:
            raise ReportFormatError(
                f"{REPORT_TEXT}: {fw} framework: weights under {parent!r} add up to {total}%"
            )

    read_children(ROOT_CODE, 1)
    if pos != len(rows):
        line_no, _ = rows[pos]
        raise ReportFormatError(f"{REPORT_TEXT}:{line_no}: unexpected row after the {fw} tree")
    codes = [node.node_code for node in out]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ReportFormatError(f"{REPORT_TEXT}: {fw} framework repeats node codes {dupes}")
    return out


def _section_bounds(lines: list[str]) -> dict[str, tuple[int, int]]:
    found = {
        fw: next((i for i, line in enumerate(lines) if line.strip() == heading), None)
        for fw, heading in RANKING_SECTIONS.items()
    }
    missing = [fw for fw, i in found.items() if i is None]
    if missing:
        raise ReportFormatError(f"{REPORT_TEXT}: section headings not found for {missing}")
    starts = sorted((i, fw) for fw, i in found.items() if i is not None)
    bounds: dict[str, tuple[int, int]] = {}
    for n, (start, fw) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        bounds[fw] = (start, end)
    return bounds


def parse_rankings(lines: list[str]) -> list[dict[str, object]]:
    """The ranking rows of each section, in the order the text prints them."""
    rows: list[dict[str, object]] = []
    for fw, (start, end) in _section_bounds(lines).items():
        found = [
            (i + 1, m)
            for i, line in enumerate(lines[start:end], start)
            if (m := RANKING_LINE.match(line))
        ]
        ranks = sorted(int(m["rank"]) for _, m in found)
        if ranks != list(range(1, len(found) + 1)):
            raise ReportFormatError(
                f"{REPORT_TEXT}: the {fw} table's ranks are not 1..{len(found)}: {ranks}"
            )
        for line_no, m in found:
            rows.append(
                {
                    "edition": EDITION,
                    "framework_code": fw,
                    "printed_rank": int(m["rank"]),
                    "region_name": m["name"],
                    "printed_score": m["score"],
                    "source_line": line_no,
                }
            )
    rows.sort(
        key=lambda r: (
            list(FRAMEWORKS).index(str(r["framework_code"])),
            int(str(r["printed_rank"])),
        )
    )
    return rows


def parse_averages(lines: list[str], nodes: list[Node]) -> list[dict[str, object]]:
    """The composite and first-level averages stated in each section's text."""
    out: list[dict[str, object]] = []
    for fw, (start, end) in _section_bounds(lines).items():
        text = "".join(line.strip() for line in lines[start:end])
        mean = STATED_MEAN.search(text)
        if mean is None:
            raise ReportFormatError(f"{REPORT_TEXT}: no stated average composite for {fw}")
        change = STATED_CHANGE.search(text)
        yoy = ""
        if change is not None:
            yoy = change[2] if change[1] == "提升" else f"-{change[2]}"
        _, root_zh, _ = FRAMEWORKS[fw]
        out.append(
            {
                "edition": EDITION,
                "framework_code": fw,
                "node_code": ROOT_CODE,
                "name_as_stated": root_zh,
                "stated_average": mean[1],
                "stated_yoy_change": yoy,
                "name_matches_appendix": True,
            }
        )
        firsts = [n for n in nodes if n.framework_code == fw and n.level == 1]
        stated = STATED_SCORE.findall(text)
        if len(stated) != len(firsts):
            raise ReportFormatError(
                f"{REPORT_TEXT}: {fw}: {len(stated)} first-level averages stated, "
                f"{len(firsts)} first-level indicators in the appendix"
            )
        # the text lists them in the appendix order; a name may differ from the appendix
        for node, (name, score) in zip(firsts, stated, strict=True):
            out.append(
                {
                    "edition": EDITION,
                    "framework_code": fw,
                    "node_code": node.node_code,
                    "name_as_stated": name,
                    "stated_average": score,
                    "stated_yoy_change": "",
                    "name_matches_appendix": name == node.name_zh,
                }
            )
    return out


def parse_statements(lines: list[str]) -> list[dict[str, object]]:
    """Other checkable claims of section 2's text: which region scored highest."""
    out: list[dict[str, object]] = []
    for fw, (start, end) in _section_bounds(lines).items():
        text = "".join(line.strip() for line in lines[start:end])
        for m in STATED_TOP.finditer(text):
            out.append(
                {
                    "edition": EDITION,
                    "framework_code": fw,
                    "statement_kind": "top_region",
                    "subject_as_stated": m[1],
                    "stated_value": m[2],
                    "quote": m[0],
                }
            )
    return out


def _csv_text(header: list[str], rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()}
        )
    return buf.getvalue()


def render(report: Path = REPORT_TEXT) -> dict[Path, str]:
    lines = _read_lines(report)
    nodes = parse_frameworks(lines)
    node_rows: list[dict[str, object]] = [
        {
            "framework_code": n.framework_code,
            "node_code": n.node_code,
            "parent_code": n.parent_code,
            "level": n.level,
            "name_zh": n.name_zh,
            "name_en": n.name_en,
            "local_weight_pct": f"{n.local_weight_pct:g}",
            "aggregation": n.aggregation,
            "sort_order": n.sort_order,
            "min_availability": "1" if n.level == 0 else "",
            # the 2022 report's framework; earlier editions are declared to share it
            "first_edition": "",
            "last_edition": "",
        }
        for n in nodes
    ]
    return {
        FRAMEWORK_SEED: _csv_text(list(node_rows[0]), node_rows),
        RANKINGS_SEED: _csv_text(
            [
                "edition",
                "framework_code",
                "printed_rank",
                "region_name",
                "printed_score",
                "source_line",
            ],
            parse_rankings(lines),
        ),
        AVERAGES_SEED: _csv_text(
            [
                "edition",
                "framework_code",
                "node_code",
                "name_as_stated",
                "stated_average",
                "stated_yoy_change",
                "name_matches_appendix",
            ],
            parse_averages(lines, nodes),
        ),
        STATEMENTS_SEED: _csv_text(
            [
                "edition",
                "framework_code",
                "statement_kind",
                "subject_as_stated",
                "stated_value",
                "quote",
            ],
            parse_statements(lines),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed seeds differ from a fresh extraction",
    )
    args = parser.parse_args(argv)
    stale = []
    for path, text in render().items():
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
