"""synovia test helper: the checks shared by the tests of scripts/synovia-plot (test_plot.py for
run files, test_plot_sweep.py for sweep files). TAP, printed as the checks run:

    from plotcheck import report, finish
    report(ok, "what was checked")      # "ok N - ..." / "not ok N - ..."; returns ok
    sys.exit(finish())                  # the plan "1..N"; 1 if any check failed

plus the script loaded as a module (to render in-process), the script run as a program, and
the checks of an image file: a PNG's pixel size, an SVG's size in pt (parsed as XML), a one-page
PDF's MediaBox, and a figure's layout (no overlapping labels, no text under 9 pt, the height of
its header, its notes)."""
import importlib.machinery
import importlib.util
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

SCRIPT = "scripts/synovia-plot"
DPI = 150
_count = {"n": 0, "failed": 0}


def report(ok, name):
    _count["n"] += 1
    _count["failed"] += 0 if ok else 1
    print(("ok" if ok else "not ok") + f" {_count['n']} - {name}")
    sys.stdout.flush()
    return ok


def finish():
    print(f"1..{_count['n']}")
    return 1 if _count["failed"] else 0


def load_script():
    loader = importlib.machinery.SourceFileLoader("synovia_plot", SCRIPT)
    spec = importlib.util.spec_from_loader("synovia_plot", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def plot(*args):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def svg_size(path):
    root = ET.parse(path).getroot()
    if not root.tag.endswith("svg"):
        return None
    pt = [float(re.match(r"([\d.]+)pt$", root.get(k)).group(1)) for k in ("width", "height")]
    return tuple(pt)


def pdf_info(path):
    data = open(path, "rb").read()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    size = (float(box.group(1)), float(box.group(2))) if box else None
    return data.startswith(b"%PDF-"), pages, size


def check_image(kind, path, fig_in, label):
    """The file at path is a valid image of kind (.png/.svg/.pdf) of fig_in inches."""
    w_in, h_in = fig_in
    if kind == ".png":
        size = png_size(path)
        want = (round(w_in * DPI), round(h_in * DPI))
        return report(size == want,
                      f"{label}: PNG of {want[0]}x{want[1]} px (got {size})")
    if kind == ".svg":
        try:
            size = svg_size(path)
        except (ET.ParseError, AttributeError, TypeError):
            size = None
        want = (w_in * 72, h_in * 72)
        return report(size is not None and abs(size[0] - want[0]) < 0.5
                      and abs(size[1] - want[1]) < 0.5,
                      f"{label}: SVG parses as XML, {want[0]:.1f}x{want[1]:.1f} pt (got {size})")
    ok, pages, size = pdf_info(path)
    want = (w_in * 72, h_in * 72)
    return report(ok and pages == 1 and size is not None and abs(size[0] - want[0]) < 0.5
                  and abs(size[1] - want[1]) < 0.5,
                  f"{label}: PDF, one page of {want[0]:.1f}x{want[1]:.1f} pt "
                  f"(pages {pages}, box {size})")


def figure_checks(mod, path, label, extra=()):
    """Renders in-process; returns (figure, panels) after the layout checks."""
    fig, out, ext, panels, notes, page = mod.render([path, *extra])
    overlaps = mod.text_overlaps(fig)
    report(not overlaps, f"{label}: no overlapping labels {overlaps[:3]}")
    small = mod.smallest_font(fig)
    report(small >= 9, f"{label}: every text at least 9 pt (smallest {small})")
    return fig, panels


def panel_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def header_height(fig):
    """The documented header: 0.38 in per title line, 0.30 per legend row, 0.26 per note
    line, 0.15 of padding, counted on the figure as drawn."""
    title_lines = len(fig._suptitle.get_text().split("\n"))
    hax = [ax for ax in fig.axes if not ax.axison]
    rows = notes = 0
    if hax:
        leg = hax[0].get_legend()
        if leg is not None:
            rows = -(-len(leg.get_texts()) // leg._ncols)
        notes = sum(len(t.get_text().split("\n")) for t in hax[0].texts)
    return 0.38 * title_lines + 0.30 * rows + 0.26 * notes + 0.15


def figure_notes(fig):
    """The notes drawn under the title, one string (lines joined with spaces)."""
    return " ".join(t.get_text().replace("\n", " ") for ax in fig.axes if not ax.axison
                    for t in ax.texts)


def error_case(label, args, needle):
    """The script refuses args: exit status 2, one line 'synovia-plot: error: ...' with needle."""
    r = plot(*args)
    lines = r.stderr.strip().splitlines()
    return report(r.returncode == 2 and len(lines) == 1 and needle in lines[0]
                  and lines[0].startswith("synovia-plot: error:"),
                  f"error, {label}: exit 2 and one line ({r.returncode}: {r.stderr.strip()})")
