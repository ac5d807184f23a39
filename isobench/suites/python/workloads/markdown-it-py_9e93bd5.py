"""markdown-it-py: MarkdownIt().render() of a reference-style document (prose paragraphs citing [labels],
then one block of hundreds of consecutive link reference definitions with titles): the block reference
rule, the HTML and the collected references kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(367)
LABELS = [f"ref-{i}-{rng.choice(['api', 'doc', 'spec', 'rfc', 'faq'])}" for i in range(300)]
DEFS = [f'[{lab}]: https://example.org/{lab}/{rng.randint(0, 99999)} "Title {i}"' for i, lab in enumerate(LABELS)]
BODY = [" ".join(f"see [{rng.choice(LABELS)}] and" for _ in range(6)) + " more." for _ in range(150)]
DOC = "# Notes\n\n" + "\n\n".join(BODY) + "\n\n" + "\n".join(DEFS) + "\n"

md = MarkdownIt()
env = {}
html = md.render(DOC, env)
references = sorted(env["references"].items())
assert len(references) == len(LABELS)
