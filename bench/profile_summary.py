"""Turns `perf script` output into folded stacks, a short text summary and a flame graph.

Used by harness.py when one of our servers misses a target: the summary goes into
BENCHMARKS.md ("what bounds it"), the folded stacks and the SVG stay under build/bench/ for a
closer look. Python stdlib only, so nothing beyond `perf` itself has to be installed.
"""

from __future__ import annotations

import html
import re
import zlib
from collections import Counter
from pathlib import Path

# "    7f12ab symbol+0x1f (/usr/lib/libfoo.so)"; symbols may contain "()" (closures, Fn types),
# library paths and the "inlined" marker do not.
_FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*)\s+\(([^()]*)\)\s*$")


def _clean(sym: str, dso: str) -> str:
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    if sym == "[unknown]":
        sym = f"[{Path(dso).name}]"
    # Folded-stack format: ';' separates frames and ' ' separates the count.
    return sym.replace(";", ",").replace(" ", "_")


def _dso_name(dso: str) -> str:
    name = Path(dso).name
    return name or dso


def collapse(perf_script: str) -> Counter:
    """perf script text -> Counter{'comm;outer;...;inner': samples}.

    Each frame is `symbol\\x00library` internally, so summary() can also group by library.
    """
    folded: Counter = Counter()
    comm, frames = None, []

    def flush():
        if comm is None:
            return
        # perf lists frames innermost first; an "(inlined)" frame lives in the library of
        # the real frame it was inlined into, which perf lists right after it.
        outer_first, dso = [], "?"
        for sym, lib in reversed(frames):
            dso = dso if lib == "inlined" else lib
            outer_first.append(sym + "\x00" + dso)
        folded[";".join([comm] + outer_first)] += 1

    for line in perf_script.splitlines():
        if not line.strip():
            flush()
            comm, frames = None, []
            continue
        if not line[0].isspace():
            flush()
            comm, frames = line.split()[0], []
            continue
        m = _FRAME.match(line)
        if m and comm is not None:
            frames.append((_clean(m.group(1), m.group(2)), _dso_name(m.group(2))))
    flush()
    return folded


def folded_text(folded: Counter) -> str:
    """The standard folded-stack text (`a;b;c 42`), e.g. for inferno or flamegraph.pl."""
    lines = []
    for stack, n in sorted(folded.items()):
        lines.append(";".join(sym for sym, _ in _frames(stack)) + f" {n}\n")
    return "".join(lines)


def _frames(stack: str) -> list[tuple[str, str]]:
    parts = stack.split(";")
    res = [(parts[0], "")]
    for p in parts[1:]:
        sym, _, dso = p.partition("\x00")
        res.append((sym, dso))
    return res


def dso_share(folded: Counter, needle: str) -> float:
    """Fraction of samples whose innermost frame is in a library whose name contains needle."""
    total = sum(folded.values())
    hit = sum(n for stack, n in folded.items() if needle in _frames(stack)[-1][1])
    return hit / total if total else 0.0


def summary(folded: Counter, folded_path: Path, svg_path: Path, top: int = 12) -> str:
    total = sum(folded.values())
    if not total:
        return "perf recorded no samples (is perf_event_paranoid too strict?)."
    self_sym: Counter = Counter()
    self_dso: Counter = Counter()
    threads: Counter = Counter()
    for stack, n in folded.items():
        frames = _frames(stack)
        sym, dso = frames[-1]
        self_sym[f"{sym} ({dso})" if dso else sym] += n
        self_dso[dso or "?"] += n
        threads[frames[0][0]] += n
    lines = [f"perf, {total} samples at 499 Hz on the server process during a c=16 load run "
             f"(folded stacks: `{folded_path}`, flame graph: `{svg_path}`).", ""]
    lines.append("Where the CPU time goes, by library (self time):")
    lines.append("")
    lines.append("| Library | Share |")
    lines.append("|---|---:|")
    for dso, n in self_dso.most_common(8):
        lines.append(f"| {dso} | {100 * n / total:.1f}% |")
    lines.append("")
    lines.append(f"Hottest functions (self time, top {top}):")
    lines.append("")
    lines.append("| Function | Share |")
    lines.append("|---|---:|")
    for sym, n in self_sym.most_common(top):
        lines.append(f"| `{sym[:110]}` | {100 * n / total:.1f}% |")
    lines.append("")
    ours = re.compile(r"^<?&?(?:mut_)?(?:sts_mock|issuer|josekit|openssl|aes_gcm|hkdf|rsa)::")
    incl: Counter = Counter()
    for stack, n in folded.items():
        # Closures repeat their parent's figure; the named functions tell the story.
        for sym in {sym for sym, _ in _frames(stack)[1:]
                    if ours.match(sym) and not sym.endswith("}}")}:
            incl[sym] += n
    if incl:
        lines.append("Our code and its crypto crates, inclusive time (a function and everything "
                     "it calls):")
        lines.append("")
        lines.append("| Function | Share |")
        lines.append("|---|---:|")
        for sym, n in incl.most_common(top):
            lines.append(f"| `{sym[:110]}` | {100 * n / total:.1f}% |")
        lines.append("")
    lines.append("Threads: " + ", ".join(f"{t} {100 * n / total:.0f}%"
                                          for t, n in threads.most_common(6)) + ".")
    return "\n".join(lines)


def flamegraph_svg(folded: Counter, path: Path, title: str, width: int = 1200) -> None:
    """A plain, static flame graph (root at the bottom); hover a box for its name and share."""
    tree: dict = {"n": 0, "c": {}}
    for stack, n in folded.items():
        node = tree
        node["n"] += n
        for sym, _dso in _frames(stack):
            node = node["c"].setdefault(sym, {"n": 0, "c": {}})
            node["n"] += n
    total = tree["n"] or 1
    row_h, depth_max = 16, [0]
    boxes: list[tuple[float, int, float, str, int]] = []

    def walk(node, x, depth):
        depth_max[0] = max(depth_max[0], depth)
        for name, child in sorted(node["c"].items()):
            w = child["n"] / total * width
            if w >= 0.3:
                boxes.append((x, depth, w, name, child["n"]))
                walk(child, x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (depth_max[0] + 2) * row_h + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="11">',
           f'<text x="4" y="14">{html.escape(title)}</text>']
    for x, depth, w, name, n in boxes:
        y = height - (depth + 1) * row_h
        hue = 20 + (zlib.crc32(name.encode()) % 40)  # stable colours across runs
        label = html.escape(name)
        out.append(f'<g><title>{label} ({100 * n / total:.1f}%)</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 1}" '
                   f'fill="hsl({hue},80%,60%)"/>')
        chars = int(w / 7)
        if chars >= 3:
            text = name if len(name) <= chars else name[: chars - 2] + ".."
            out.append(f'<text x="{x + 2:.1f}" y="{y + 12}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    path.write_text("\n".join(out))
