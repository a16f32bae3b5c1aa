# synovia — every citation a reader meets can be followed inside the repository
# (issue 11 §5):
# - no model, scenario, sweep or page (models/, examples/, docs/, README.md,
#   tests/models/) cites a file outside the repository (the notes in
#   ../shared: reference/…, biology.md, hpc.md, MODEL.md, DESIGN.md, …);
# - every citation key "[author2013]" in a model, scenario or sweep has an
#   entry "### author2013" in docs/references.md, and that entry gives a year
#   and a DOI, PMID, PMCID or journal (in italics);
# - every "Author 2013" in a source string or comment of those files carries
#   a key of the same year; every "Author 2013" in the pages (outside the
#   generated tables of docs/model.md, which mirror the model files) links to
#   references.md#key or carries a key of the same year;
# - every references.md#key link resolves;
# - no source file, header, test or script (src/, include/, tests/ but this
#   file, scripts/, Makefile) cites a note outside the repository either, and
#   every citation key "[author2013]" in them has an entry: code comments cite
#   docs/references.md by key, or a section of docs/design.md for what was
#   measured on the project's machine; the test models, scenarios and sweeps
#   under tests/ get the same checks as those of models/ and examples/.
# The checker runs on the repository and on planted violations (a stale
# path, an unknown key, a bare "Author Year", an entry without DOI or journal,
# a stale path or unknown key in a C, Python or shell file), which it must
# report with the file and line.
. tests/lib/tap.sh

cat >"$TMP/check.py" <<'EOF'
"""Print one line 'KIND file:line: what' per citation problem under TOP; exit 1 if any."""
import glob, os, re, sys

TOP = sys.argv[1]
# (the published test suites beside the checkout, ../shared/testsuites — the SBML Test Suite,
# the PEtab benchmarks — are test inputs a runner is pointed at, not notes: not reported)
OUTSIDE = re.compile(r"reference/|\.\./shared(?!/testsuites)|/shared/(?!testsuites)|biology\.md|hpc\.md|peers\.md|style-anchors|MODEL\.md|DESIGN\.md")
KEY = re.compile(r"\[([a-z][a-z0-9]*?((?:19|20)\d\d)[a-z]?)\]")
LINK = re.compile(r"references\.md#([a-z0-9]+)")
AUTHOR_YEAR = re.compile(r"\b[A-Z][\w'’-]+(?: et al\.?)?(?:/[A-Z][\w'’-]+)? ((?:19|20)\d\d)\b")
SOURCE = re.compile(r'\bsource\s+"((?:[^"\\]|\\.)*)"')
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
IDENT = re.compile(r"doi:10\.\d+/|\bPMID \d+|\bPMC\d+|(?<![*\w])\*[^*\s][^*]*\*(?!\*)")


def files(*patterns):
    found = set()
    for p in patterns:
        found.update(glob.glob(os.path.join(TOP, p), recursive=True))
    return sorted(f for f in found if os.path.isfile(f))


def rel(path):
    return os.path.relpath(path, TOP)


def entries(path):
    """{key: text of its entry} from the '### key' headings of references.md."""
    out, key = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^#{2,3} (\S+)\s*$", line)
        if line.startswith("#"):
            key = m.group(1) if m and line.startswith("### ") else None
            if key:
                out[key] = ""
            continue
        if key:
            out[key] += line
    return out


def generated_lines(path):
    """Line numbers inside the 'BEGIN GENERATED' blocks of a page."""
    inside, skip = False, set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if line.startswith("<!-- END GENERATED"):
            inside = False
        if inside:
            skip.add(n)
        if line.startswith("<!-- BEGIN GENERATED"):
            inside = True
    return skip


problems = []
def report(kind, path, n, what):
    problems.append("%s %s:%d: %s" % (kind, rel(path), n, what))

refs_path = os.path.join(TOP, "docs", "references.md")
refs = entries(refs_path) if os.path.exists(refs_path) else {}
for key, text in sorted(refs.items()):
    if not YEAR.search(text):
        report("entry", refs_path, 1, "'%s' gives no year" % key)
    if not IDENT.search(text):
        report("entry", refs_path, 1, "'%s' gives no DOI, PMID, PMCID or journal" % key)

model_files = files("models/*.model", "models/parts/*.model", "examples/**/*.scenario",
                    "examples/**/*.sweep", "tests/**/*.model", "tests/**/*.scenario",
                    "tests/**/*.sweep")
# Fuzz corpora are arbitrary bytes, not citations.
model_files = [f for f in model_files if not rel(f).startswith("tests/fuzz/")]
pages = files("docs/*.md", "README.md", "examples/**/*.md")
for path in model_files + pages:
    skip = generated_lines(path) if path.endswith(".md") else set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = OUTSIDE.search(line)
        if m:
            report("outside", path, n, "cites '%s', a file outside the repository" % m.group(0))
        for k in KEY.finditer(line):
            if path.endswith(".md") and k.end() < len(line) and line[k.end()] == "(":
                continue  # a markdown link text, checked through its target
            if k.group(1) not in refs:
                report("key", path, n, "[%s] has no entry in docs/references.md" % k.group(1))
        for k in LINK.finditer(line):
            if k.group(1) not in refs:
                report("key", path, n, "references.md#%s has no entry" % k.group(1))
        if n in skip or path == refs_path:
            continue
        if path.endswith(".md"):
            texts = [line]
        else:  # source strings and comments; descriptions are names, not citations
            texts = [s.group(1) for s in SOURCE.finditer(line)]
            if "#" in line:
                texts.append(line[line.index("#"):])
        for text in texts:
            years = {k.group(2) for k in KEY.finditer(text)}
            years |= {y[-4:] for y in LINK.findall(text) if y[-4:].isdigit()}
            for a in AUTHOR_YEAR.finditer(text):
                if a.group(1) not in years:
                    report("bare", path, n, "'%s' has no key: add [author%s] and an entry in docs/references.md"
                           % (a.group(0), a.group(1)))

# Code, tests and scripts: no path outside the repository, no unknown key.
# (This checker names those paths itself, so it is left out.)
SELF = os.path.join("tests", "integration", "citations.sh")
code_files = [f for f in files("src/**/*", "include/**/*", "tests/**/*", "scripts/**/*", "Makefile")
              if rel(f) != SELF and f not in model_files and not rel(f).startswith("tests/fuzz/")]
for path in code_files:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except UnicodeDecodeError:
        continue  # not text
    for n, line in enumerate(lines, 1):
        m = OUTSIDE.search(line)
        if m:
            report("outside", path, n, "cites '%s', a file outside the repository: cite a key of "
                   "docs/references.md or a section of docs/design.md" % m.group(0))
        for k in KEY.finditer(line):
            if k.group(1) not in refs:
                report("key", path, n, "[%s] has no entry in docs/references.md" % k.group(1))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF

run() { "$PYTHON" "$TMP/check.py" "$1" >"$TMP/out" 2>&1; }
kind_clean() { ! grep -q "^$1 " "$TMP/out"; }
show() { grep "^$1 " "$TMP/out" | head -20 | sed 's/^/# /'; }

run .
for kind in outside key entry bare; do
  case $kind in
    outside) what="no model, example, page, source, test or script cites a file outside the repository" ;;
    key) what="every citation key in the models, pages, sources and tests has an entry in docs/references.md" ;;
    entry) what="every entry of docs/references.md gives a year and a DOI, PMID or journal" ;;
    bare) what="every 'Author Year' in a source, model comment or page carries a key" ;;
  esac
  if kind_clean $kind; then ok "$what"; else not_ok "$what"; show $kind; fi
done
check "docs/references.md exists" test -f docs/references.md

# Planted violations in a copy: each is reported with its file and line.
mkdir -p "$TMP/top/models" "$TMP/top/docs"
cp docs/references.md "$TMP/top/docs/"
cat >"$TMP/top/models/bad.model" <<'EOF'
time unit h
param a = 1 /h "a" source "reference/biology.md §2.2: a rate"
param b = 1 /h "b" source "Nobody 2001 [nobody2001]: a rate"
param c = 1 /h "c" source "Toupet 2013: a rate"
param d = 1 /h "d" source "Toupet 2013 [toupet2013]: a rate"
EOF
printf '# Page\n\nSee ../shared/DESIGN.md and Owen 1994.\n' >"$TMP/top/docs/page.md"
printf '\n### nodoi1999\n\nSomebody. A paper without a journal, 1999.\n' >>"$TMP/top/docs/references.md"
mkdir -p "$TMP/top/src/io" "$TMP/top/include/synovia" "$TMP/top/tests/python" \
  "$TMP/top/tests/integration" "$TMP/top/tests/sweep" "$TMP/top/scripts"
printf '/* ok */\nenum { CHUNK = 1 << 20 }; /* the chunk cache (hpc.md 1.5) */\n' >"$TMP/top/src/io/bad.c"
printf '/* an estimator [nobody2001] */\n' >"$TMP/top/include/synovia/bad.h"
printf 'import math\nTOL = 0.03  # see ../shared/reference/notes\n' >"$TMP/top/tests/python/test_bad.py"
printf 'SUITE=${SYNOVIA_TESTSUITES:-../shared/testsuites}\n' >"$TMP/top/tests/integration/suite_ok.sh"
printf '#!/bin/sh\n# DESIGN.md says so\n' >"$TMP/top/scripts/bad.sh"
printf 'param a = 7 "a" source "Ishigami 1990: a"\n' >"$TMP/top/tests/sweep/bad.model"
printf '/* cites [saltelli2010] and docs/design.md */\n' >"$TMP/top/src/io/good.c"
cp tests/integration/citations.sh "$TMP/top/tests/integration/"
run "$TMP/top"
check "a planted path outside the repository is reported with its line" grep -q '^outside models/bad.model:2: ' "$TMP/out"
check "... in a page too" grep -q '^outside docs/page.md:3: ' "$TMP/out"
check "a planted unknown key is reported" grep -q '^key models/bad.model:3: \[nobody2001\]' "$TMP/out"
check "a planted 'Author Year' without a key is reported" grep -q "^bare models/bad.model:4: 'Toupet 2013'" "$TMP/out"
check "... in a page too" grep -q "^bare docs/page.md:3: 'Owen 1994'" "$TMP/out"
check "a cited 'Author Year [key]' is not reported" sh -c "! grep -q 'bad.model:5:' '$TMP/out'"
check "an entry without DOI, PMID or journal is reported" grep -q "^entry docs/references.md:1: 'nodoi1999' gives no DOI" "$TMP/out"
check "a planted note path in a C comment is reported with its line" grep -q '^outside src/io/bad.c:2: ' "$TMP/out"
check "... in a Python test" grep -q '^outside tests/python/test_bad.py:2: ' "$TMP/out"
check "... in a script" grep -q '^outside scripts/bad.sh:2: ' "$TMP/out"
check "the published test suites beside the checkout are a test input, not a citation" \
  sh -c '! grep -q "suite_ok.sh" "$1"' - "$TMP/out"
check "a planted unknown key in a header is reported" grep -q '^key include/synovia/bad.h:1: \[nobody2001\]' "$TMP/out"
check "a test model's bare 'Author Year' is reported" grep -q "^bare tests/sweep/bad.model:1: 'Ishigami 1990'" "$TMP/out"
check "a known key and a design.md section in code are not reported" sh -c "! grep -q 'good.c:' '$TMP/out'"
check "the checker does not report itself" sh -c "! grep -q 'tests/integration/citations.sh:' '$TMP/out'"
finish
