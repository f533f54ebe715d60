"""The cohort report: learning curves, CUSUM, metric distributions per skill group and the
contrasting-groups table, as HTML + PDF (same Document model as the session report)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from scoring import cohort
from scoring.metrics import lower_is_better
from scoring.report import document as d
from scoring.scored import ScoredSession
from scoring.store.url import shown as shown_url
from scoring.verdicts import fmt

GROUP_ORDER = ("novice", "learner", "intermediate", "expert")
GROUP_COLOURS = {"novice": "#c62828", "learner": "#1565c0", "intermediate": "#ef6c00",
                 "expert": "#2e7d32"}
OTHER_COLOUR = "#6d6d6d"


def _groups(rows) -> list[str]:
    present = {r["skill_group"] or "unassigned" for r in rows}
    return [g for g in GROUP_ORDER if g in present] + sorted(present - set(GROUP_ORDER))


def _colour(group: str) -> str:
    return GROUP_COLOURS.get(group, OTHER_COLOUR)


def scored_of(row) -> ScoredSession:
    """A stored row's score (the store keeps its JSON; any readable format)."""
    return ScoredSession.from_dict(json.loads(row["score_json"]))


# -- figures ------------------------------------------------------------------------------
def learning_curves_png(people: list[cohort.Trainee], pass_score: float) -> bytes:
    from scoring.report.figures import png_bytes, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    ends = []
    for t in people:
        x = np.arange(1, len(t.sessions) + 1)
        y = [s["score"] for s in t.sessions]
        c = _colour(t.group)
        ax.plot(x, y, color=c, lw=1.4, alpha=0.85)
        passed = np.array([s["passed"] for s in t.sessions])
        ax.scatter(x[passed], np.asarray(y)[passed], color=c, s=28, zorder=3)
        ax.scatter(x[~passed], np.asarray(y)[~passed], facecolor="white", edgecolor=c, s=28,
                   zorder=3, linewidths=1.4)
        ends.append((x[-1], y[-1], t.name, c))
    _end_labels(ax, ends, gap=4.0)
    ax.axhline(pass_score, color="#333333", ls="--", lw=1)
    ax.text(0.6, pass_score + 1, f"pass mark {pass_score:.0f}", fontsize=8, color="#333333")
    ax.set_xlabel("Attempt")
    ax.set_ylabel("Score (out of 100)")
    ax.set_ylim(-2, 104)
    ax.set_xlim(0.5, max(len(t.sessions) for t in people) + 1.8)
    ax.grid(True, color="#e0e0e0", lw=0.6)
    handles = [plt.Line2D([], [], color=_colour(g), marker="o", label=g)
               for g in dict.fromkeys(t.group or "unassigned" for t in people)]
    handles += [plt.Line2D([], [], color="#555555", marker="o", ls="", label="passed"),
                plt.Line2D([], [], color="#555555", marker="o", ls="", markerfacecolor="white",
                           label="failed")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.12, 1.0), fontsize=8,
              frameon=False)
    ax.set_title("Score at each attempt, per trainee", fontsize=11, loc="left")
    return png_bytes(fig)


def cusum_png(people, traces, design: cohort.CusumDesign, criterion: cohort.Criterion) -> bytes:
    from scoring.report.figures import png_bytes, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    longest, ends = 1, []
    for t, tr in zip(people, traces, strict=True):
        if not tr.values:
            continue
        x, y = tr.plot_points()
        longest = max(longest, len(tr.values))
        c = _colour(t.group)
        ax.plot(x, y, color=c, lw=1.4, alpha=0.85)
        ends.append((x[-1], y[-1], t.name, c))
        for n in tr.proficient:
            ax.scatter([n], [tr.values[n - 1]], marker="v", s=60, color="#2e7d32", zorder=4)
        for n in tr.alarms:
            ax.scatter([n], [tr.values[n - 1]], marker="^", s=60, color="#c62828", zorder=4)
    lo = min([design.h0, *(v for tr in traces for v in tr.values)]) - 0.6
    hi = max([design.h1, *(v for tr in traces for v in tr.values)]) + 0.6
    ax.set_ylim(lo, hi)
    _end_labels(ax, ends, gap=(hi - lo) / 28)
    ax.axhline(design.h0, color="#2e7d32", ls="--", lw=1.2)
    ax.axhline(design.h1, color="#c62828", ls="--", lw=1.2)
    ax.text(0.2, design.h0 - 0.08, f"proficient below this line (failure rate at most "
            f"{design.p0:.0%})", fontsize=8, color="#2e7d32", va="top")
    ax.text(0.2, design.h1 + 0.08, f"unacceptable above this line (failure rate "
            f"{design.p1:.0%} or worse)", fontsize=8, color="#c62828", va="bottom")
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xlim(0, longest + 2)
    ax.set_xlabel("Attempt")
    ax.set_ylabel("CUSUM (up = failure, down = success)")
    ax.grid(True, color="#e0e0e0", lw=0.6)
    ax.set_title(f"CUSUM learning curves - success means: {criterion.words()}", fontsize=10,
                 loc="left", pad=10)
    return png_bytes(fig)


def distributions_png(rows, keys: list[str], labels: dict) -> bytes:
    from scoring.report.figures import png_bytes, pyplot

    plt = pyplot()
    groups = _groups(rows)
    panels = ["score", *keys]
    ncols = 4
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(10.0, 2.5 * nrows), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, key in zip(axes.flat, panels, strict=False):
        data = []
        for g in groups:
            sel = [r for r in rows if (r["skill_group"] or "unassigned") == g]
            vals = [r["score"] if key == "score" else r["metrics"].get(key) for r in sel]
            data.append(np.asarray([v for v in vals if v is not None], float))
        ok = [i for i, v in enumerate(data) if len(v)]
        if ok:
            ax.boxplot([data[i] for i in ok], positions=[i + 1 for i in ok], widths=0.5,
                       showfliers=False, medianprops={"color": "black"})
        for i in ok:
            x = i + 1 + rng.uniform(-0.15, 0.15, len(data[i]))
            ax.scatter(x, data[i], s=9, color=_colour(groups[i]), alpha=0.7, zorder=3)
        ax.set_xticks(range(1, len(groups) + 1))
        ax.set_xticklabels(groups, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        title = "Score" if key == "score" else labels.get(key, key)
        ax.set_title(_wrap(title, 30), fontsize=8)
        ax.grid(True, axis="y", color="#e8e8e8", lw=0.5)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return png_bytes(fig)


def _end_labels(ax, ends: list[tuple[float, float, str, str]], gap: float) -> None:
    """Write each line's name at its end, nudged apart so names never overprint."""
    placed: list[float] = []
    for x, y, name, colour in sorted(ends, key=lambda e: e[1]):
        yy = y
        for p in placed:
            if abs(yy - p) < gap:
                yy = p + gap
        placed.append(yy)
        ax.annotate(name, (x, y), xytext=(x + 0.15, yy), textcoords="data", fontsize=8,
                    color=colour, va="center")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:2])


# -- the document ----------------------------------------------------------------------------
def _scenario_sections(rows, design, criterion, images: bool) -> list[d.Section]:
    last = scored_of(rows[-1])
    title = last.identity.scenario_title
    labels = {m.key: m.label for m in last.metrics}
    units = {m.key: m.unit for m in last.metrics}
    scored = [c.metric for c in last.criteria]
    people = cohort.trainees(rows)
    traces = []
    for t in people:
        outcomes = [criterion.success(s) for s in t.sessions]
        traces.append(cohort.cusum([o for o in outcomes if o is not None], design))
    table = d.Table(["Trainee", "Skill group", "Attempts", "Passed", "Median score",
                     "Last score", "CUSUM verdict"], [], [], [1.5, 1.0, 0.8, 0.7, 0.9, 0.9,
                                                         3.0], kind="trainees")
    for t, tr in zip(people, traces, strict=True):
        scores = [s["score"] for s in t.sessions]
        table.rows.append([t.name, t.group or "unassigned", str(len(scores)),
                           str(sum(s["passed"] for s in t.sessions)),
                           f"{np.median(scores):.1f}", f"{scores[-1]:.1f}", tr.status])
        table.tones.append(d.GOOD if tr.status.startswith("proficient") else
                           d.POOR if tr.status.startswith("unacceptable") else d.NEUTRAL)
    head = f"{title}" if title else rows[0]["scenario"]
    sections = [d.Section(f"Trainees - {head}", [table])]
    curves = [d.Text("Each line is one trainee's attempts in order; filled dots passed, "
                     "open dots failed.", note=True)]
    if images:
        curves.insert(0, d.Figure(learning_curves_png(people, rows[-1]["pass_score"]),
                                  "Learning curves: score per attempt."))
    sections.append(d.Section("Learning curves", curves))
    cus = [d.Text(
        f"Success criterion: {criterion.words()}. Acceptable failure rate p0 = {design.p0:.0%},"
        f" unacceptable p1 = {design.p1:.0%}, alpha = {design.alpha:.2f} (risk of calling "
        f"acceptable performance unacceptable), beta = {design.beta:.2f} (risk of missing "
        f"unacceptable performance). Each success lowers the curve by {design.s:.3f}, each "
        f"failure raises it by {1 - design.s:.3f}. Crossing the lower line "
        f"(h0 = {design.h0:.2f}) declares proficiency; crossing the upper line "
        f"(h1 = {design.h1:.2f}) flags an unacceptable failure rate.", note=True)]
    if images:
        cus.insert(0, d.Figure(cusum_png(people, traces, design, criterion),
                               "CUSUM per trainee (green triangle: proficiency declared; red "
                               "triangle: unacceptable failure rate, after which the "
                               "curve restarts at 0)."))
    sections.append(d.Section("CUSUM learning curves", cus))
    sections.append(separation_section(rows, scored, labels, units))
    if images:
        keys = [k for k in scored if any(r["metrics"].get(k) is not None for r in rows)]
        sections.append(d.Section("Measures per skill group", [d.Figure(
            distributions_png(rows, keys, labels),
            "Each dot is one attempt; boxes show the middle half and the median.")]))
    return sections


def separation_section(rows, scored, labels, units) -> d.Section:
    keys = [k for k in dict.fromkeys([*scored, *labels]) if "." not in k]
    seps = cohort.contrasting_groups(rows, keys)
    if not seps:
        return d.Section("Which measures separate novices from experts", [d.Text(
            "Needs at least two attempts each from trainees in the 'novice' and 'expert' "
            "groups (give groups with --groups).", note=True)])
    rows_out, tones = [], []
    for s in sorted(seps, key=lambda s: (not s.separates, s.p_holm)):
        u = units.get(s.metric, "")
        lower = lower_is_better(s.metric)
        better = "lower" if lower else "higher"
        reversed_ = s.separates and (s.effect < 0 if lower else s.effect > 0)
        verdict = "yes, reversed" if reversed_ else "yes" if s.separates else "no"
        rows_out.append([labels.get(s.metric, s.metric), fmt(s.median_novice, u),
                         fmt(s.median_expert, u), f"{s.effect:+.2f}",
                         "<0.001" if s.p_holm < 0.001 else f"{s.p_holm:.3f}",
                         f"{verdict} ({better} is better)"])
        tones.append(d.FAIR if reversed_ else d.GOOD if s.separates else d.NEUTRAL)
    n_sep = sum(s.separates for s in seps)
    blocks = [d.Text(f"{n_sep} of {len(seps)} measures separate novices from experts "
                     f"(n = {seps[0].n_novice} novice and {seps[0].n_expert} expert attempts)."
                     " Measures that do not separate the groups should not decide pass or "
                     "fail."),
              d.Table(["Measure", "Novices (median)", "Experts (median)", "Effect size r",
                       "p (Holm)", "Separates?"], rows_out, tones,
                      [2.8, 1.1, 1.1, 1.0, 0.9, 1.9], kind="separation"),
              d.Text("Mann-Whitney U test per measure, p-values corrected for the number of "
                     "measures (Holm). Effect size r is the rank-biserial correlation: +1 when "
                     "every novice value is above every expert value, -1 when below, 0 when "
                     "the groups overlap completely. 'Separates' needs p < 0.05 and |r| >= "
                     "0.5. 'Reversed' marks a measure on which novices look better than "
                     "experts (for example faster, because they skip checks or advance "
                     "blind): it separates the groups but rewards the wrong behaviour.",
                     note=True)]
    mark = cohort.contrasting_pass_mark(rows)
    if mark is not None:
        blocks.append(d.Text(
            f"Contrasting-groups pass mark: {mark.score:.1f} (the score where the novice "
            f"and expert score distributions cross). At this mark {mark.novices_passing:.0%} "
            f"of novice attempts would pass and {mark.experts_failing:.0%} of expert attempts "
            f"would fail; the scenario's current pass mark is {rows[-1]['pass_score']:.0f}."))
    return d.Section("Which measures separate novices from experts", blocks)


def cohort_document(rows: list[dict], *, skipped=(), db_url: str = "",
                    design: cohort.CusumDesign | None = None,
                    criterion: cohort.Criterion | None = None,
                    images: bool = True) -> d.Document:
    design = design or cohort.CusumDesign()
    criterion = criterion or cohort.Criterion("passed")
    rows, abandoned = cohort.split_abandoned(rows)
    scenarios = sorted({r["scenario"] for r in rows})
    dates = sorted(r["started_utc"] for r in rows if r["started_utc"])
    groups = {}
    for t in cohort.trainees(rows):
        groups[t.group or "unassigned"] = groups.get(t.group or "unassigned", 0) + 1
    facts = d.Facts([
        ("Sessions", f"{len(rows)} assessed, {sum(r['passed'] for r in rows)} passed"
                     + (f"; {len(abandoned)} abandoned, not counted" if abandoned else "")),
        ("Trainees", ", ".join(f"{n} {g}" for g, n in groups.items()) or "none"),
        ("Scenarios", ", ".join(scenarios) or "none"),
        ("Dates", f"{dates[0][:10]} to {dates[-1][:10]}" if dates else "-"),
        ("Database", shown_url(db_url)),
    ])
    sections = [d.Section("", [facts])]
    for sc in scenarios:
        sections += _scenario_sections([r for r in rows if r["scenario"] == sc], design,
                                       criterion, images)
    if abandoned:
        sections.append(d.Section("Abandoned attempts (restarted or ended early)", [d.Table(
            ["Trainee", "Scenario", "Started", "Score so far"],
            [[r["trainee"], r["scenario"], r["started_utc"], f"{r['score']:.1f}"]
             for r in abandoned], [d.NEUTRAL] * len(abandoned), [2.0, 2.0, 1.5, 1.0],
            kind="abandoned"), d.Text("Kept for the record; not counted as passes or fails "
                                      "above.", note=True)]))
    if skipped:
        sections.append(d.Section("Logs that could not be assessed", [d.Table(
            ["Log", "Why"], [[str(p), why] for p, why in skipped], [d.POOR] * len(skipped),
            [2.0, 4.0], kind="skipped")]))
    return d.Document("Cohort report", "Assessment of simulated joint injections", sections,
                      footer="jointsim cohort report")


def write_cohort_report(rows, folder: Path, *, stem: str = "cohort_report", **options):
    from scoring.report import write_document

    return write_document(cohort_document(rows, **options), Path(folder), stem)


CSV_COLUMNS = ("trainee", "skill_group", "scenario", "started_utc", "run_id", "status",
               "passed", "score", "pass_score", "hard_fails", "verified", "seed", "report_path",
               "log_path")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """``value`` safe to open in a spreadsheet: text starting like a formula (``=``, ``+``,
    ``-``, ``@``, tab, carriage return) gets a leading ``'`` so it shows as text (OWASP's
    advice against CSV injection). Numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows, path: Path) -> Path:
    """One line per session with its metrics, for spreadsheets."""
    keys = sorted({k for r in rows for k in r["metrics"]})
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([csv_cell(c) for c in (*CSV_COLUMNS, *keys)])
        for r in rows:
            w.writerow([csv_cell(r[c]) for c in CSV_COLUMNS]
                       + [csv_cell(r["metrics"].get(k, "")) for k in keys])
    return path
