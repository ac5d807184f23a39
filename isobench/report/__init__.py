"""The HTML report of an export: one self-contained `index.html` (CSS inlined, plots as PNG data URIs, no
external resource, no script) and the plots as PNGs next to it.

- `plots`: the matplotlib figures;
- `render`: the template context, picked from the export's rows and `correlate`'s output (the report
  computes no statistic of its own), rendered with the Jinja2 templates in `templates/`.
"""

from isobench.report.render import write_report

__all__ = ["write_report"]
