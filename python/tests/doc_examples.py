"""Writes the example test files of Markdown documents into a directory, so that `make test`
runs exactly what the documents show.

An example is a ```python block whose first line names its file: `# test_something.py`. Every
document given must have at least one, and file names must not repeat.

    python3 doc_examples.py OUTDIR DOC.md [DOC.md ...]
"""

import re
import sys
from pathlib import Path

BLOCK = re.compile(r"^```python\n# (test_\w+\.py)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def main(out: Path, docs: list) -> int:
    out.mkdir(parents=True, exist_ok=True)
    seen = {}
    for doc in map(Path, docs):
        found = BLOCK.findall(doc.read_text())
        if not found:
            print(f"doc_examples.py: {doc} has no example test (a ```python block starting `# test_NAME.py`)", file=sys.stderr)
            return 1
        for name, code in found:
            if name in seen:
                print(f"doc_examples.py: {name} is in both {seen[name]} and {doc}", file=sys.stderr)
                return 1
            seen[name] = doc
            (out / name).write_text(f"# From {doc.name}: edit it there.\n{code}")
            print(f"{doc} -> {out / name}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
