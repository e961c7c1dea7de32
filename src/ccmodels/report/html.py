"""The HTML page: one self-contained file (inline CSS, figures as base64 PNG data URIs).

The template lives here as a string rather than as a package data file so that it ships with
the module whatever the packaging; it loads nothing from the network and runs no script.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from ccmodels.report.core import ModelReport

__all__ = ["render"]

CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #c8c8c8; --bg-alt: #f4f4f4; }
* { box-sizing: border-box; }
body { font: 15px/1.5 Georgia, "Times New Roman", serif; color: var(--ink); margin: 0;
       background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 1.9em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.5em; border-bottom: 2px solid var(--ink); padding-bottom: 4px;
     margin-top: 2.2em; }
h3 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid var(--rule);
     padding-bottom: 2px; }
.meta, .source { color: var(--muted); font-size: 0.9em; }
nav.toc { background: var(--bg-alt); padding: 10px 16px; margin: 16px 0; font-size: 0.92em; }
nav.toc ul { margin: 4px 0; padding-left: 18px; }
nav.toc li { margin: 3px 0; }
nav.toc ul.inline { display: inline; padding: 0; }
nav.toc ul.inline li { display: inline; }
nav.toc ul.inline li + li::before { content: " · "; color: var(--muted); }
nav.toc a { color: var(--ink); }
table { border-collapse: collapse; margin: 12px 0 18px; font: 13px/1.35 "Helvetica Neue",
        Arial, sans-serif; width: auto; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 4px;
          font-family: Georgia, serif; font-size: 14px; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { border-bottom: 2px solid var(--ink); text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--bg-alt); }
.scroll { overflow-x: auto; }
.scroll.compact { display: inline-block; vertical-align: top; margin-right: 28px; }
figure { margin: 18px 0 24px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: 0.9em; color: var(--muted); margin-top: 4px; }
.badge { display: inline-block; font: bold 12px/1.4 Arial, sans-serif; padding: 1px 8px;
         margin-left: 8px; vertical-align: middle; text-transform: uppercase;
         letter-spacing: 0.05em; }
.badge.ok { border: 2px solid #2b6a2b; color: #2b6a2b; }
.badge.warn { border: 2px dashed #8a5a00; color: #8a5a00; }
.badge.fail { border: 3px double #a01010; color: #a01010; }
.para.ok, .para.warn, .para.fail, .para.remedy { padding: 8px 14px; margin: 10px 0; }
.para.ok { border-left: 5px solid #2b6a2b; background: #eef5ee; }
.para.warn { border-left: 5px dashed #8a5a00; background: #fbf4e6; }
.para.fail { border-left: 7px double #a01010; background: #fbeaea; }
.para.remedy { border-left: 5px solid var(--ink); background: var(--bg-alt); }
.para p { margin: 0.3em 0; }
.para ul { margin: 0.3em 0; padding-left: 20px; }
.para.note { color: var(--muted); font-size: 0.9em; }
.para.methods { border: 1px solid var(--rule); padding: 10px 14px; background: #fafafa; }
.para.methods::before { content: "Methods paragraph (ready to paste)"; display: block;
                        font: bold 12px Arial, sans-serif; color: var(--muted);
                        margin-bottom: 4px; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.85em;
         border-top: 1px solid var(--rule); padding-top: 8px; }
@media print { nav.toc { display: none; } figure, table { page-break-inside: avoid; } }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<header>
<h1>{{ title }}</h1>
<p class="meta">Created {{ created }} by ccmodels {{ version }} ·
{{ reports|length }} fit{{ "s" if reports|length != 1 else "" }}</p>
</header>

<section id="overview" class="report-section overview" data-kind="overview">
<h2>Overview</h2>
<div class="scroll"><table>
<caption>Fits in this report (convergence thresholds: R-hat &lt; 1.01, bulk and tail ESS
&ge; 400, no divergences, E-BFMI &gt; 0.3)</caption>
<thead><tr><th>model</th><th class="num">rows</th><th>verdict</th><th class="num">max R-hat</th>
<th class="num">min ESS bulk / tail</th><th class="num">divergences</th>
<th class="num">min E-BFMI</th><th class="num">elpd_loo (SE)</th><th>source</th></tr></thead>
<tbody>
{% for r in reports %}{% set s = r.summary %}
<tr><td><a href="#{{ r.label }}">{{ r.label }}</a></td>
<td class="num">{{ num(s.data.n_rows, 0) }}</td>
<td><span class="badge {{ s.verdict }}">{{ s.verdict }}</span></td>
<td class="num">{{ num(s.rhat_max, 3) }}</td>
<td class="num">{{ num(s.ess_bulk_min, 0) }} / {{ num(s.ess_tail_min, 0) }}</td>
<td class="num">{{ s.divergences }}</td>
<td class="num">{{ num(s.ebfmi_min, 2) }}</td>
<td class="num">{{ num(s.loo.elpd, 1) }}{% if s.loo.se is not none %}
 ({{ num(s.loo.se, 1) }}){% endif %}</td>
<td>{{ r.source }}</td></tr>
{% endfor %}
</tbody></table></div>
{% for r in reports if r.summary.verdict in ("warn", "fail") %}
{% if loop.first %}<div class="para remedy"><p>Action needed before the estimates are used:</p>
<ul>{% endif %}
<li><a href="#{{ r.label }}-convergence">{{ r.label }}</a> ({{ r.summary.verdict }}):
{{ r.summary.remedy }}.</li>
{% if loop.last %}</ul></div>{% endif %}
{% endfor %}
<nav class="toc" aria-label="Contents"><strong>Contents</strong>
<ul>
{% for r in parts %}
<li><a href="#{{ r.label }}"><strong>{{ r.title }}</strong></a>:
<ul class="inline">{% for sec in r.sections %}<li><a href="#{{ sec.id }}">{{ sec.title }}</a>
{%- if sec.verdict %} ({{ sec.verdict }}){% endif %}</li>{% endfor %}</ul></li>
{% endfor %}
</ul></nav>
</section>

{% for r in parts %}
<section id="{{ r.label }}" class="model" data-model="{{ r.model_type }}">
<h2>{{ r.title }}{% if r.summary.verdict %}<span class="badge {{ r.summary.verdict }}">
{{- r.summary.verdict }}</span>{% endif %}</h2>
<p class="source">{% if r.summary.fit_id %}Fit {{ r.summary.fit_id }} · seed {{ r.summary.seed }} ·
{% endif %}{{ r.source }}</p>
{% for sec in r.sections %}
<section id="{{ sec.id }}" class="report-section {{ sec.kind }}" data-kind="{{ sec.kind }}">
<h3>{{ sec.title }}{% if sec.verdict %}<span class="badge {{ sec.verdict }}">{{ sec.verdict }}
</span>{% endif %}</h3>
{% for b in sec.blocks %}
{% if b.kind == "paragraph" %}
<div class="para {{ b.style }}"><p>{{ b.text }}</p>
{% if b.items %}<ul>{% for it in b.items %}<li>{{ it }}</li>{% endfor %}</ul>{% endif %}</div>
{% elif b.kind == "table" %}
<div class="scroll{{ ' compact' if b.compact }}"><table>
<caption>{{ b.caption }}</caption>
<thead><tr>{% for c in b.columns %}<th{% if b.numeric[loop.index0] %} class="num"{% endif %}>
{{- c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in b.rows %}<tr>{% for c in row %}<td
{%- if b.numeric[loop.index0] %} class="num"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></div>
{% if b.note %}<p class="para note">{{ b.note }}</p>{% endif %}
{% elif b.kind == "figure" %}
<figure id="fig-{{ b.name }}" data-name="{{ b.name }}">
<img src="{{ data_uri(b.png) }}" alt="{{ b.title }}">
<figcaption><strong>Figure {{ figno(b.name) }}. {{ b.title }}.</strong> {{ b.caption }}
</figcaption></figure>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</section>
{% endfor %}

<footer>Generated by <code>ccmodels.report.build</code> (ccmodels {{ version }}).
Report environment: {{ env }}. Intervals are central 95% posterior intervals unless stated.
</footer>
</main>
</body>
</html>
"""


def _num(x: Any, digits: int) -> str:
    if x is None or isinstance(x, jinja2.Undefined):
        return "–"
    return f"{float(x):,.{digits}f}"


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(
    reports: Sequence[ModelReport],
    *,
    title: str,
    created: str,
    version: str,
    env: str,
    extras: Sequence[ModelReport] = (),
) -> str:
    """The page for the model reports; ``extras`` (e.g. a projection: no fit, no verdict)
    follow the fits' sections and are in the contents, not in the table of fits."""
    parts = [*reports, *extras]
    numbers = {f.name: i for i, f in enumerate((f for r in parts for f in r.figures), 1)}
    jenv = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    tpl = jenv.from_string(TEMPLATE)
    return tpl.render(
        reports=reports,
        parts=parts,
        title=title,
        created=created,
        version=version,
        env=env,
        css=Markup(CSS),
        num=_num,
        data_uri=_data_uri,
        figno=numbers.__getitem__,
    )
