"""<run>/report.html: one self-contained page (inline CSS + SVG, no scripts, no downloads).

Pure rendering: summary.json + metrics.json + report_data.gather() -> HTML text. Every
piece of text that comes from the data (paths, labels, errors) goes through html.escape.
Sections: banners (test-only weights, failed run), headline figures, cumulative explained
variance with the chosen k, PC1/PC2 scatter by label, classifier (confusion matrix with
shading, per-class precision/recall/F1, nearest-centroid baseline), counts, timings, warnings and failures.
"""

from __future__ import annotations

import math
from html import escape

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
MAX_FAILURES_SHOWN = 100

CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:20px 28px 60px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:13px;word-break:break-all}
.banner{padding:12px 16px;border-radius:6px;margin:14px 0;font-weight:600}
.banner.warn{background:#fff3cd;border:2px solid #e0a800;color:#6b4e00}
.banner.fail{background:#fde2e1;border:2px solid #d33;color:#8a1111}
.banner.info{background:#e7f1fb;border:1px solid #8ab6e0;color:#1d4f7a;font-weight:400}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:140px}
.card .v{font-size:24px;font-weight:700}.card .k{font-size:12px;color:#666;text-transform:uppercase;letter-spacing:.04em}
.status-succeeded{color:#1a7f37}.status-failed{color:#c62828}.status-running{color:#946200}
.panel{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;margin:10px 0}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f0f2f5}
td.l,th.l{text-align:left}
table.cm td{min-width:44px;text-align:center;font-weight:600}
.bar{display:inline-block;height:10px;background:#4c78a8;vertical-align:middle;margin-left:6px}
svg text{font-family:inherit}
.small{font-size:12px;color:#666}
"""


def render(summary: dict, metrics: dict | None = None, data: dict | None = None) -> str:
    s = summary or {}
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>Fruits run {escape(str(s.get('run_id', '?')))}</title><style>{CSS}</style></head><body><main>"]
    parts.append(_header(s))
    parts.append(_banners(s))
    parts.append(_cards(s, metrics))
    parts.append("<h2>PCA: cumulative explained variance</h2>")
    parts.append(_variance_section(s, data))
    parts.append("<h2>Images on the first two principal components</h2>")
    parts.append(_scatter_section(data))
    parts.append("<h2>Classifier</h2>")
    parts.append(_classifier_section(s, metrics))
    parts.append("<h2>Counts</h2>")
    parts.append(_counts_section(s))
    parts.append("<h2>Timings</h2>")
    parts.append(_timings_section(s))
    parts.append("<h2>Warnings and failures</h2>")
    parts.append(_failures_section(s))
    parts.append(f"<p class=\"small\">Versions: {escape(', '.join(f'{k} {v}' for k, v in (s.get('versions') or {}).items()))}</p>")
    parts.append("</main></body></html>\n")
    return "".join(parts)


# ---------------------------------------------------------------- header and banners

def _header(s: dict) -> str:
    status = str(s.get("status", "unknown"))
    return (f"<h1>Fruit photos run <code>{escape(str(s.get('run_id', '?')))}</code> "
            f"<span class=\"status-{escape(status)}\">{escape(status)}</span></h1>"
            f"<div class=\"meta\">input {escape(str(s.get('input', '?')))} &middot; output "
            f"{escape(str(s.get('output', '?')))} &middot; weights {escape(str(s.get('weights', '?')))}"
            f" &middot; started {escape(str(s.get('started_at', '?')))}"
            f" &middot; finished {escape(str(s.get('finished_at') or s.get('updated_at') or '?'))}</div>")


def _banners(s: dict) -> str:
    out = []
    if s.get("weights_warning") or str(s.get("weights", "")).startswith("test-only-random:"):
        text = s.get("weights_warning") or "TEST-ONLY RANDOM WEIGHTS: features are meaningless"
        out.append(f"<div class=\"banner warn\" id=\"test-only-banner\">&#9888; {escape(str(text))}. "
                   "Accuracy and the charts below say nothing about real fruit.</div>")
    if s.get("status") == "failed":
        out.append(f"<div class=\"banner fail\">Run failed: {escape(str(s.get('error', 'unknown error')))}</div>")
    return "".join(out)


def _cards(s: dict, metrics: dict | None) -> str:
    counts = s.get("counts") or {}
    pca = s.get("pca") or {}
    clf = s.get("classifier") or {}
    cum = pca.get("cumulative") or []
    acc = clf.get("accuracy")
    cards = [
        ("images featurized", f"{_n(counts.get('featurized'))} / {_n(counts.get('total_files'))}"),
        ("failed files", _n(counts.get("failed"))),
        ("PCA k", _n(pca.get("k"))),
        ("variance kept", _pct(cum[-1]) if cum else "–"),
        ("test accuracy", _pct(acc) + (" (baseline kept)" if clf.get("selected") == "nearest centroid" else "")
         if acc is not None else ("not evaluated" if clf.get("status") == "trained"
                                                             else "no classifier")),
        ("total time", f"{_n((s.get('timings_s') or {}).get('total'))} s"),
    ]
    return "<div class=\"cards\">" + "".join(
        f"<div class=\"card\"><div class=\"k\">{escape(k)}</div><div class=\"v\">{escape(v)}</div></div>"
        for k, v in cards) + "</div>"


# ---------------------------------------------------------------- charts

def _variance_section(s: dict, data: dict | None) -> str:
    pca = s.get("pca") or {}
    k = pca.get("k")
    curve = (data or {}).get("spectrum_cumulative") or pca.get("cumulative") or []
    if not curve or not k:
        return "<p class=\"small\">No PCA in this run.</p>"
    target = pca.get("variance_target")
    kept = (pca.get("cumulative") or curve)[min(k, len(curve)) - 1] if curve else None
    shown = useful_range(curve, int(k))
    svg = variance_svg(curve[:shown], int(k), target)
    note = (f"Chosen k = <b>{int(k)}</b> keeps <b>{_pct(kept)}</b> of the variance"
            + (f" (target {_pct(target)})" if target else f" (k requested: {escape(str(pca.get('k_requested')))})")
            + f"; the curve shows components 1 to {shown} of the {len(curve)} the images allow"
            + (f" (by {shown}, {_pct(curve[shown - 1])} of the variance)" if shown < len(curve) else "") + ".")
    return f"<div class=\"panel\">{svg}<p>{note}</p></div>"


def useful_range(cumulative: list[float], k: int) -> int:
    """How many components the chart shows: past both twice the chosen k and 99% of the
    variance, but not the long flat tail (up to 1280 components would squeeze k=50 into
    the left edge)."""
    n = len(cumulative)
    reach = next((i + 1 for i, v in enumerate(cumulative) if v >= 0.99), n)
    return max(1, min(n, max(2 * k, reach, 10)))


def variance_svg(cumulative: list[float], k: int, target: float | None, width=640, height=300) -> str:
    left, right, top, bottom = 56, 16, 14, 42
    w, h = width - left - right, height - top - bottom
    n = len(cumulative)
    xs = lambda i: left + (w * (i - 1) / max(1, n - 1))  # noqa: E731 - component number 1..n
    ys = lambda v: top + h * (1 - max(0.0, min(1.0, v)))  # noqa: E731
    pts = " ".join(f"{xs(i + 1):.1f},{ys(v):.1f}" for i, v in enumerate(cumulative))
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" "
           f"aria-label=\"cumulative explained variance\" id=\"variance-chart\">",
           f"<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"#fff\" stroke=\"#ccc\"/>"]
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(f"<line x1=\"{left}\" x2=\"{left + w}\" y1=\"{ys(t):.1f}\" y2=\"{ys(t):.1f}\" stroke=\"#eee\"/>"
                   f"<text x=\"{left - 6}\" y=\"{ys(t) + 4:.1f}\" font-size=\"11\" text-anchor=\"end\">{int(t * 100)}%</text>")
    for t in _ticks(1, n, 6):
        out.append(f"<text x=\"{xs(t):.1f}\" y=\"{top + h + 16}\" font-size=\"11\" text-anchor=\"middle\">{t}</text>")
    out.append(f"<text x=\"{left + w / 2}\" y=\"{height - 6}\" font-size=\"12\" text-anchor=\"middle\">number of components</text>")
    if target:
        out.append(f"<line x1=\"{left}\" x2=\"{left + w}\" y1=\"{ys(target):.1f}\" y2=\"{ys(target):.1f}\" "
                   f"stroke=\"#e0a800\" stroke-dasharray=\"5,4\"/><text x=\"{left + w - 4}\" y=\"{ys(target) - 4:.1f}\" "
                   f"font-size=\"11\" text-anchor=\"end\" fill=\"#946200\">target {_pct(target)}</text>")
    out.append(f"<polyline points=\"{pts}\" fill=\"none\" stroke=\"#4c78a8\" stroke-width=\"2\"/>")
    kk = max(1, min(k, n))
    kv = cumulative[kk - 1]
    anchor = "start" if xs(kk) < left + w * 0.7 else "end"
    dx = 6 if anchor == "start" else -6
    out.append(f"<line x1=\"{xs(kk):.1f}\" x2=\"{xs(kk):.1f}\" y1=\"{top}\" y2=\"{top + h}\" stroke=\"#d62728\" stroke-width=\"1.5\"/>"
               f"<circle cx=\"{xs(kk):.1f}\" cy=\"{ys(kv):.1f}\" r=\"4\" fill=\"#d62728\"/>"
               f"<text x=\"{xs(kk) + dx:.1f}\" y=\"{ys(kv) + 16:.1f}\" font-size=\"12\" font-weight=\"bold\" "
               f"text-anchor=\"{anchor}\" fill=\"#d62728\">k = {k} ({_pct(kv)})</text>")
    out.append("</svg>")
    return "".join(out)


def _scatter_section(data: dict | None) -> str:
    points = (data or {}).get("points") or []
    if not points:
        return "<p class=\"small\">No projection available for this run.</p>"
    total = (data or {}).get("points_total", len(points))
    note = (f"{len(points)} images" + (f" (a seeded sample of {total})" if total > len(points) else "")
            + ". Filled dots: Training split; rings: other splits (Test).")
    return f"<div class=\"panel\">{scatter_svg(points)}<p class=\"small\">{escape(note)}</p></div>"


def label_colors(labels) -> dict[str, str]:
    out = {}
    for i, label in enumerate(sorted(set(labels))):
        out[label] = PALETTE[i] if i < len(PALETTE) else f"hsl({(i * 137) % 360},60%,45%)"
    return out


def scatter_svg(points: list, width=760, height=420) -> str:
    left, right, top, bottom = 56, 170, 14, 42
    w, h = width - left - right, height - top - bottom
    xs_ = [p[0] for p in points]
    ys_ = [p[1] for p in points]
    x0, x1 = _padded(min(xs_), max(xs_))
    y0, y1 = _padded(min(ys_), max(ys_))
    sx = lambda v: left + w * (v - x0) / (x1 - x0)  # noqa: E731
    sy = lambda v: top + h * (1 - (v - y0) / (y1 - y0))  # noqa: E731
    colors = label_colors(p[2] for p in points)
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" "
           f"aria-label=\"PCA projection\" id=\"projection-chart\">",
           f"<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"#fff\" stroke=\"#ccc\"/>"]
    for t in _float_ticks(x0, x1):
        out.append(f"<text x=\"{sx(t):.1f}\" y=\"{top + h + 16}\" font-size=\"11\" text-anchor=\"middle\">{_g(t)}</text>")
    for t in _float_ticks(y0, y1):
        out.append(f"<text x=\"{left - 6}\" y=\"{sy(t) + 4:.1f}\" font-size=\"11\" text-anchor=\"end\">{_g(t)}</text>")
    out.append(f"<text x=\"{left + w / 2}\" y=\"{height - 6}\" font-size=\"12\" text-anchor=\"middle\">PC1</text>"
               f"<text x=\"14\" y=\"{top + h / 2}\" font-size=\"12\" text-anchor=\"middle\" "
               f"transform=\"rotate(-90 14 {top + h / 2})\">PC2</text>")
    for x, y, label, split in points:
        c = colors[label]
        filled = str(split).lower() in ("training", "train")
        out.append(f"<circle cx=\"{sx(x):.1f}\" cy=\"{sy(y):.1f}\" r=\"4\" fill=\"{c if filled else 'none'}\" "
                   f"stroke=\"{c}\" stroke-width=\"1.5\" fill-opacity=\"0.75\"><title>{escape(str(label))} "
                   f"({escape(str(split))})</title></circle>")
    lx = left + w + 16
    for i, (label, c) in enumerate(colors.items()):
        y = top + 12 + i * 20
        out.append(f"<circle cx=\"{lx}\" cy=\"{y}\" r=\"5\" fill=\"{c}\"/>"
                   f"<text x=\"{lx + 12}\" y=\"{y + 4}\" font-size=\"12\" class=\"legend\">{escape(str(label))}</text>")
    y = top + 12 + len(colors) * 20 + 10
    out.append(f"<circle cx=\"{lx}\" cy=\"{y}\" r=\"4\" fill=\"#666\" stroke=\"#666\"/>"
               f"<text x=\"{lx + 12}\" y=\"{y + 4}\" font-size=\"11\" fill=\"#555\">Training</text>"
               f"<circle cx=\"{lx}\" cy=\"{y + 18}\" r=\"4\" fill=\"none\" stroke=\"#666\" stroke-width=\"1.5\"/>"
               f"<text x=\"{lx + 12}\" y=\"{y + 22}\" font-size=\"11\" fill=\"#555\">other split (Test)</text>")
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- classifier

def _classifier_section(s: dict, metrics: dict | None) -> str:
    clf = s.get("classifier") or {}
    m = metrics or clf
    if not clf:
        return "<p class=\"small\">No classifier stage in this run.</p>"
    if clf.get("status") != "trained":
        return f"<div class=\"banner info\">No classifier: {escape(str(clf.get('reason') or 'skipped'))}</div>"
    train = clf.get("train") or {}
    head = (f"<p>{escape(str(clf.get('algorithm', '')))} on the PCA features, trained on "
            f"{_n(train.get('images'))} images ({escape(_splits(train.get('splits')))}); "
            f"training accuracy {_pct(clf.get('training_accuracy'))}.</p>")
    if not clf.get("evaluated"):
        return head + f"<div class=\"banner info\">{escape(str(clf.get('not_evaluated_reason')))}</div>"
    test = clf.get("test") or {}
    baseline = clf.get("baseline") or {}
    regression = clf.get("regression") or {}
    kept_baseline = clf.get("selected") == "nearest centroid"
    acc = (f"<p style=\"font-size:18px\">Accuracy on {escape(_splits(test.get('splits')))}: "
           f"<b id=\"accuracy\">{_pct(clf.get('accuracy'))}</b> ({_n(m.get('correct'))} of {_n(test.get('images'))} images"
           f", {escape('the nearest-centroid baseline' if kept_baseline else 'the logistic regression')})"
           f"; <span id=\"baseline\">{escape(str(baseline.get('algorithm') or 'baseline'))} baseline: "
           f"<b>{_pct(baseline.get('accuracy'))}</b></span>"
           + (f"; logistic regression: <b id=\"regression\">{_pct(regression.get('accuracy'))}</b>"
              if regression.get("accuracy") is not None else "") + "</p>")
    if kept_baseline:
        acc = (f"<div class=\"banner fail\" id=\"worse-than-baseline\">Classifier worse than baseline: the logistic "
               f"regression scored {_pct(regression.get('accuracy'))} on Test against the nearest-centroid baseline's "
               f"{_pct(baseline.get('accuracy'))}, so the baseline is the model this run keeps (classify uses it). "
               "Try a smaller --k or more training images.</div>") + acc
    if clf.get("selection"):
        acc += f"<p class=\"small\" id=\"selection\">Model selection: {escape(str(clf['selection']))}.</p>"
    options = clf.get("options") or {}
    cv = options.get("cross_validation") or {}
    reg = (f"<p class=\"small\">L2 regularization {escape(_g(options['reg_param']))}, "
           f"{'standardized' if options.get('standardization') else 'unstandardized'} PCA scores"
           + (f", chosen by {cv['folds']}-fold cross-validation on the training images from "
              f"{escape(', '.join(_g(v) for v in cv.get('grid') or []))} with and without standardization"
              if cv.get("folds") else
              (f" ({escape(str(cv.get('note')))})" if cv.get("note") else ""))
           + ".</p>") if isinstance(options.get("reg_param"), (int, float)) else ""
    parts = [head, acc, reg]
    if clf.get("caveat"):
        parts.append(f"<div class=\"banner info\" id=\"caveat\">{escape(str(clf['caveat']))}</div>")
    cm = (m or {}).get("confusion_matrix")
    if cm:
        parts.append("<div class=\"panel\"><b>Confusion matrix</b> <span class=\"small\">(rows: true label, "
                     "columns: predicted label)</span>" + confusion_table(cm) + "</div>")
    parts.append("<div class=\"panel\"><b>Per-class precision, recall and F1</b>" + per_class_table(m.get("per_class") or {}) + "</div>")
    for w in clf.get("warnings") or []:
        parts.append(f"<div class=\"banner warn\">{escape(str(w))}</div>")
    wrong = (m or {}).get("misclassified") or []
    if wrong:
        rows = "".join(f"<tr><td class=\"l\">{escape(str(r.get('path')))}</td><td class=\"l\">{escape(str(r.get('label')))}</td>"
                       f"<td class=\"l\">{escape(str(r.get('predicted_label')))}</td><td>{_pct(r.get('probability'))}</td></tr>"
                       for r in wrong)
        parts.append("<details class=\"panel\"><summary>Misclassified test images (first "
                     f"{len(wrong)})</summary><table><tr><th class=\"l\">path</th><th class=\"l\">true</th>"
                     f"<th class=\"l\">predicted</th><th>probability</th></tr>{rows}</table></details>")
    return "".join(parts)


def confusion_table(cm: dict) -> str:
    labels = cm.get("labels") or []
    matrix = cm.get("matrix") or []
    top = max([v for row in matrix for v in row] or [1]) or 1
    head = "".join(f"<th>{escape(str(label))}</th>" for label in labels)
    rows = []
    for label, row in zip(labels, matrix):
        cells = []
        for j, v in enumerate(row):
            diag = labels[j] == label
            alpha = 0.12 + 0.78 * (v / top) if v else 0
            rgb = "26,127,55" if diag else "198,40,40"
            color = "#fff" if alpha > 0.55 else "#222"
            style = f"background:rgba({rgb},{alpha:.2f});color:{color}" if v else "color:#aaa"
            cells.append(f"<td style=\"{style}\">{int(v)}</td>")
        rows.append(f"<tr><th class=\"l\">{escape(str(label))}</th>{''.join(cells)}</tr>")
    return (f"<table class=\"cm\" id=\"confusion-matrix\"><tr><th class=\"l\">true \\ predicted</th>{head}</tr>"
            + "".join(rows) + "</table>")


def per_class_table(per_class: dict) -> str:
    rows = []
    for label, c in per_class.items():
        cells = ""
        for key in ("precision", "recall", "f1"):
            v = c.get(key)
            bar = f"<span class=\"bar\" style=\"width:{int(80 * v)}px\"></span>" if v is not None else ""
            cells += f"<td>{_pct(v)}{bar}</td>"
        rows.append(f"<tr><td class=\"l\">{escape(str(label))}</td>{cells}<td>{_n(c.get('support'))}</td></tr>")
    return ("<table id=\"per-class\"><tr><th class=\"l\">label</th><th>precision</th><th>recall</th>"
            "<th>F1</th><th>test images</th></tr>" + "".join(rows) + "</table>")


# ---------------------------------------------------------------- counts, timings, failures

def _counts_section(s: dict) -> str:
    counts = s.get("counts") or {}
    parts = []
    for title, key in (("label", "per_label"), ("split", "per_split")):
        d = counts.get(key) or {}
        rows = "".join(f"<tr><td class=\"l\">{escape(str(k))}</td><td>{_n(v)}</td></tr>" for k, v in d.items())
        parts.append(f"<table style=\"display:inline-table;margin-right:24px;vertical-align:top\">"
                     f"<tr><th class=\"l\">{title}</th><th>images</th></tr>{rows}</table>")
    ignored = counts.get("ignored")
    totals = (f"<p>{_n(counts.get('total_files'))} files found, {_n(counts.get('featurized'))} featurized, "
              f"{_n(counts.get('failed'))} failed"
              + (f" ({_n(counts.get('misplaced'))} not at the expected layout)" if counts.get("misplaced") else "")
              + (f"; {_n(ignored)} other files ignored for their extension" if ignored else "") + ".</p>")
    return totals + "".join(parts)


def _timings_section(s: dict) -> str:
    t = s.get("timings_s") or {}
    stages = [(k, v) for k, v in t.items() if k != "total" and isinstance(v, (int, float))]
    top = max([v for _, v in stages] or [1]) or 1
    rows = "".join(f"<tr><td class=\"l\">{escape(str(k))}</td><td>{v:.1f} s<span class=\"bar\" "
                   f"style=\"width:{int(240 * v / top)}px\"></span></td></tr>" for k, v in stages)
    total = t.get("total")
    return (f"<table id=\"timings\"><tr><th class=\"l\">stage</th><th>seconds</th></tr>{rows}"
            + (f"<tr><th class=\"l\">total</th><th>{total:.1f} s</th></tr>" if isinstance(total, (int, float)) else "")
            + "</table>")


def _failures_section(s: dict) -> str:
    parts = []
    warnings = s.get("warnings") or []
    if warnings:
        parts.append("<ul>" + "".join(f"<li>{escape(str(w))}</li>" for w in warnings) + "</ul>")
    failures = s.get("failures") or []
    failed = (s.get("counts") or {}).get("failed") or 0
    if failures:
        shown = failures[:MAX_FAILURES_SHOWN]
        rows = "".join(f"<tr><td class=\"l\">{escape(str(f.get('path')))}</td><td class=\"l\">{escape(str(f.get('reason')))}</td></tr>"
                       for f in shown)
        more = f"<p class=\"small\">{failed - len(shown)} more in summary.json.</p>" if failed > len(shown) else ""
        parts.append(f"<p>{_n(failed)} files could not be used:</p><table id=\"failures\"><tr><th class=\"l\">path</th>"
                     f"<th class=\"l\">reason</th></tr>{rows}</table>{more}")
    elif not warnings:
        parts.append("<p>None: every file was featurized.</p>")
    return "".join(parts)


# ---------------------------------------------------------------- helpers

def _n(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def _pct(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{100 * float(v):.1f}%"


def _g(v: float) -> str:
    return f"{v:.3g}"


def _splits(v) -> str:
    if v in (None, "all"):
        return "all splits"
    return ", ".join(str(x) for x in v) + (" split" if len(v) == 1 else " splits")


def _padded(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo < 1e-12:
        return lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.06
    return lo - pad, hi + pad


def _ticks(lo: int, hi: int, count: int) -> list[int]:
    if hi <= lo:
        return [lo]
    step = max(1, _nice((hi - lo) / count))
    out = [lo] + [t for t in range(int(math.ceil(lo / step) * step), hi + 1, int(step)) if t > lo]
    return sorted(set(out))


def _float_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = _nice((hi - lo) / count)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _nice(x: float) -> float:
    if x <= 0:
        return 1
    exp = math.floor(math.log10(x))
    f = x / 10 ** exp
    return (1 if f < 1.5 else 2 if f < 3.5 else 5 if f < 7.5 else 10) * 10 ** exp
