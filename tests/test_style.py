"""Style rules for code and config: no development-tracker tags, and every cited document exists.

Code cites only the post (section, equation) or a document inside the repository (docs/ or the
repository root). Citations of docs/method.md must name sections that exist there.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE = ("src", "conf", "workflow", "benchmarks", "profiles", "Snakefile")  # code and config
TAG_SCANNED = CODE + ("tests",)
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".png", ".nc", ".zip", ".gz", ".pdf"}

# A tracker tag: the word, optionally plural, then a number ("#" and separators allowed).
TAG = re.compile(r"\bissues?[\s_#-]*\d+", re.IGNORECASE)
# A markdown file named in code, with any directory part in front of it.
MD_REF = re.compile(r"(?<![\w./-])((?:\.{0,2}/)?(?:[\w-]+/)*[\w-]+\.md)\b")
# Sections cited after docs/method.md, e.g. "§4.2", "§5.2–5.3", "§3.3, §5.1".
SECTION_REF = re.compile(r"method\.md\s+(§\s?\d+(?:\.\d+)*(?:\s*[–-]\s*§?\d+(?:\.\d+)*)?(?:\s*,\s*§\s?\d+(?:\.\d+)*)*)")


def files(tops):
    for top in tops:
        path = ROOT / top
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for p in candidates:
            if SKIP_PARTS.isdisjoint(p.parts) and p.suffix not in SKIP_SUFFIXES and not any(part.endswith(".egg-info") for part in p.parts):
                try:
                    yield p, p.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    continue


def hits(pattern, tops):
    found = []
    for path, text in files(tops):
        for n, line in enumerate(text.splitlines(), 1):
            for m in pattern.finditer(line):
                found.append((f"{path.relative_to(ROOT)}:{n}", m.group(0) if pattern.groups == 0 else m.group(1)))
    return found


def test_the_tag_pattern_catches_tracker_tags_and_spares_other_words():
    w = "iss" + "ue"  # spelled in pieces so that this file passes its own scan
    for text in (f"{w.title()} 5: x", f"({w} 4)", f"the {w}-5 pages", f"mktemp('{w}5')", f"{w}s 4 and 5", f"{w} #12"):
        assert TAG.search(text), text
    for text in (f"no {w} here", f"t{w} 5", f"{w}d 3 warnings", f"the {w}'s questions"):
        assert not TAG.search(text), text


def test_code_config_and_tests_carry_no_tracker_tags():
    found = hits(TAG, TAG_SCANNED)
    assert not found, "rephrase to say what the code is for:\n" + "\n".join(f"{w}: {t}" for w, t in found)


def allowed_document(ref: str) -> bool:
    if "/" in ref:  # a path: relative to the repository root, and inside it
        target = (ROOT / ref).resolve()
        return target.is_relative_to(ROOT) and target.is_file()
    return (ROOT / "docs" / ref).is_file() or (ROOT / ref).is_file()


MD = ".md"  # the outside names below are spelled in pieces so that this file passes its own scan


@pytest.mark.parametrize("ref, ok", [("docs/method" + MD, True), ("method" + MD, True), ("README" + MD, True),
                                     ("theory-and-allocations" + MD, False), ("../shared/reference/construction" + MD, False),
                                     ("shared/reference/construction" + MD, False), ("docs/no-such-page" + MD, False)])
def test_document_check(ref, ok):
    assert allowed_document(ref) is ok


def test_code_cites_only_documents_in_the_repository():
    found = [(w, ref) for w, ref in hits(MD_REF, CODE + ("tests",)) if not allowed_document(ref)]
    assert not found, "cite the post or a document under docs/:\n" + "\n".join(f"{w}: {r}" for w, r in found)


def test_cited_sections_of_the_method_document_exist():
    headings = set(re.findall(r"^#+ §(\d+(?:\.\d+)*) ", (ROOT / "docs/method.md").read_text(encoding="utf-8"), re.MULTILINE))
    cited = hits(SECTION_REF, CODE + ("tests", "docs", "README.md"))
    assert cited, "the section pattern found no citation at all"
    missing = [(w, s) for w, ref in cited for s in re.findall(r"\d+(?:\.\d+)*", ref) if s not in headings]
    assert not missing, "docs/method.md has no such section:\n" + "\n".join(f"{w}: §{s}" for w, s in missing)
