"""Mutation run (`make mutate`): deliberate mistakes in the profit and CLV SQL and in models/, one at a time.

Each mutant is a textual change to one file, applied to a copy of the repository (the working tree is
never touched), followed by the fast tests that cover that file. A mutant is killed when those tests
fail, and survives when they pass. A mutant that cannot change behaviour says why in `equivalent`. `make test` checks
that every mutant's text is still found exactly once (tests/mutation/test_mutate.py).

    python tests/mutation/mutate.py            # every mutant
    python tests/mutation/mutate.py overhead   # mutants whose name contains a word
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROFIT = ["tests/sql/test_profit_rules.py", "tests/sql/test_profit.py"]
SCORECARD = ["tests/pipelines/test_scorecards.py"]
RFM = ["tests/sql/test_customer_rfm.py"]
MODELS = ["tests/models/test_clv.py", "tests/models/test_clv_rules.py", "tests/models/test_lifetimes_equality.py",
          "tests/models/test_selection.py"]
CHECKS = ["tests/pipelines/test_checks.py"]
CLV_RULES = ["tests/pipelines/test_clv_rules.py"]


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    old: str
    new: str
    tests: list[str]
    equivalent: str = ""  # why no test can tell this mutant from the original, when none can


MUTANTS = [
    # sql/profit: the customer P&L
    Mutant("overhead by plain rounding", "sql/profit/insert_customer_profit.sql",
           "((floor_cents + case when remainder_rank <= left_over and exact_cents is not null then 1 else 0 end) / 100)::decimal(18, 2) as overhead_cost",
           "(round(coalesce(exact_cents, 0)) / 100)::decimal(18, 2) as overhead_cost", PROFIT),
    Mutant("overhead remainders smallest first", "sql/profit/insert_customer_profit.sql",
           "- floor(coalesce(exact_cents, 0)) desc, customer_id", "- floor(coalesce(exact_cents, 0)) asc, customer_id", PROFIT),
    Mutant("period end one day late", "sql/profit/insert_customer_profit.sql",
           "to_months($period_months) - interval 1 day)::date", "to_months($period_months))::date", PROFIT),
    Mutant("marketing five months past active_months", "sql/profit/customer_profit_base.sql",
           "to_months($active_months - 1)", "to_months($active_months + 4)", PROFIT),
    Mutant("marketing past the as-of period", "sql/profit/customer_profit_base.sql",
           "least(p.period_start + to_months($active_months - 1), $as_of_period_start::date)",
           "p.period_start + to_months($active_months - 1)", PROFIT),
    Mutant("quarters stepped by month", "sql/profit/customer_profit_base.sql",
           "to_months($period_months)\n    ))",
           "interval 1 month\n    ))", PROFIT),
    Mutant("marketing costs file ignored", "sql/profit/customer_profit_base.sql",
           "end, 0) + coalesce(e.amount, 0) as marketing_cost", "end, 0) as marketing_cost", PROFIT),
    Mutant("unit cost without quantity", "sql/profit/cost_rates.sql",
           "then unit_cost * quantity", "then unit_cost", PROFIT),
    Mutant("returns credited in COGS", "sql/profit/cost_rates.sql",
           "case when amount > 0 then round(", "case when amount <> 0 then round(", PROFIT),
    Mutant("handling on zero-amount lines", "sql/profit/customer_profit_base.sql",
           "case when amount < 0 then $handling_per_return", "case when amount <= 0 then $handling_per_return", PROFIT),
    Mutant("contribution without marketing", "sql/profit/customer_profit_base.sql",
           "- return_handling - marketing_cost as contribution", "- return_handling as contribution", PROFIT),
    Mutant("orders counted per line", "sql/profit/customer_profit_base.sql",
           "group by customer_id, period_start, order_id\n", "group by customer_id, period_start, order_id, amount\n", PROFIT,
           equivalent="order ids are unique per source (a repeat is quarantined), so an order is one line"),
    # sql/profit: action lists, save rate, retention, equity bridge, segments, migration, whale curve
    Mutant("overdue rule off", "sql/profit/insert_at_risk_customers.sql",
           "coalesce(days_since_last_purchase > $overdue_factor * typical_days_between_purchases, false) as overdue",
           "false as overdue", PROFIT),
    Mutant("overdue against one gap, not the factor", "sql/profit/insert_at_risk_customers.sql",
           "> $overdue_factor * typical_days_between_purchases", "> typical_days_between_purchases", PROFIT),
    Mutant("p_alive drop at the threshold", "sql/profit/insert_at_risk_customers.sql",
           "prior_p_alive - p_alive > $p_alive_drop", "prior_p_alive - p_alive >= $p_alive_drop", PROFIT),
    Mutant("CLV at stake the lower", "sql/profit/insert_at_risk_customers.sql",
           "greatest(clv, coalesce(prior_clv, clv)) as clv_at_stake", "least(clv, coalesce(prior_clv, clv)) as clv_at_stake", PROFIT),
    Mutant("recent buyers flagged", "sql/profit/insert_at_risk_customers.sql",
           "    where days_since_last_purchase > $recent_days\n", "    where $recent_days is not null\n", PROFIT),
    Mutant("one rank across segments", "sql/profit/insert_at_risk_customers.sql",
           "over (partition by period_end, segment order by", "over (partition by period_end order by", PROFIT),
    Mutant("the lapsed leave their segment's list", "sql/profit/insert_at_risk_customers.sql",
           "case when current_segment = $lapsed and prior_segment is not null then prior_segment else current_segment end",
           "case when $lapsed is null then prior_segment else current_segment end", PROFIT),
    Mutant("the last matching action rule", "sql/profit/insert_at_risk_customers.sql",
           "order by r.rule_order\n", "order by r.rule_order desc\n", PROFIT),
    Mutant("save rate of this period's list", "sql/scorecards/insert_segment_scorecard.sql",
           "inner join periods on periods.prior_end = flagged.period_end", "inner join periods on periods.period_end = flagged.period_end",
           PROFIT),
    Mutant("retention counts only lapses", "sql/profit/insert_segment_profitability.sql",
           "count(*) filter (where segment = prior_segment) as retained_customers",
           "count(*) filter (where segment <> $lapsed or prior_segment = $lapsed) as retained_customers", PROFIT),
    Mutant("bridge: lapsed valued at the end", "sql/profit/insert_segment_equity_bridge.sql",
           "coalesce(sum(start_clv) filter (where end_segment = $lapsed and start_segment <> $lapsed), 0) as lapsed",
           "coalesce(sum(end_clv) filter (where end_segment = $lapsed and start_segment <> $lapsed), 0) as lapsed", PROFIT),
    Mutant("bridge: arrivals valued at the start", "sql/profit/insert_segment_equity_bridge.sql",
           "coalesce(sum(end_clv) filter (where start_segment <> end_segment), 0) as migrated_in",
           "coalesce(sum(start_clv) filter (where start_segment <> end_segment), 0) as migrated_in", PROFIT),
    Mutant("bridge check ignores the start", "sql/profit/check_segment_equity_bridge.sql",
           " or start_equity <> equity_at_start", "", PROFIT),
    Mutant("contribution bridge: customer count at revenue, not gross margin", "sql/profit/insert_segment_contribution_bridge.sql",
           "round((a1 - a0) * g0::double / a0, 2)", "round((a1 - a0) * r0::double / a0, 2)", PROFIT),
    Mutant("contribution bridge: revenue per customer at the new margin rate", "sql/profit/insert_segment_contribution_bridge.sql",
           "* g0::double / r0::double, 2)", "* g1::double / nullif(r1::double, 0), 2)", PROFIT),
    Mutant("contribution bridge: a year ago is a month off", "sql/profit/insert_segment_contribution_bridge.sql",
           "month(year_ago.period_start) = month(this.period_start)", "month(year_ago.period_start) = month(this.period_start) - 1",
           PROFIT),
    Mutant("contribution bridge check ignores the start", "sql/profit/check_segment_contribution_bridge.sql",
           " or base_contribution <> segment_base_contribution", "", PROFIT),
    Mutant("dimension check misses a missing dimension", "sql/profit/check_segment_dimension_profit.sql",
           "full outer join expected", "left join expected", PROFIT),
    Mutant("main category from every line, later ones too", "sql/profit/insert_segment_dimension_profit.sql",
           "inner join periods on transactions.order_date::date <= periods.period_end", "inner join periods on true", PROFIT),
    Mutant("lost customers include the lapsed", "sql/profit/insert_segment_profitability.sql",
           "where segment = $lapsed and prior_segment <> $lapsed", "where segment = $lapsed", PROFIT),
    Mutant("new customers by period end", "sql/profit/insert_segment_profitability.sql",
           "filter (where first_purchase >= period_start) as new_customers",
           "filter (where first_purchase > period_start) as new_customers", PROFIT),
    Mutant("unprofitable includes break-even", "sql/profit/insert_whale_curve_summary.sql",
           "count(*) filter (where contribution < 0) as unprofitable_customers",
           "count(*) filter (where contribution <= 0) as unprofitable_customers", PROFIT),
    Mutant("cohort by year", "sql/profit/customer_dimensions.sql",
           "strftime(customers.first_purchase, '%Y') || 'Q' || quarter(customers.first_purchase) as cohort",
           "strftime(customers.first_purchase, '%Y') as cohort", PROFIT),
    # sql/clv
    Mutant("frequency counts the first day", "sql/clv/rfm.sql",
           "purchase_days - first_is_purchase::integer as frequency", "purchase_days as frequency", RFM),
    Mutant("recency in days", "sql/clv/rfm.sql",
           "(last_purchase - first_purchase) / days_per_unit as recency", "(last_purchase - first_purchase) as recency", RFM),
    Mutant("monetary value with the first day", "sql/clv/rfm.sql",
           "purchase_amount - case when first_is_purchase then first_day_amount else 0 end as repeat_amount",
           "purchase_amount as repeat_amount", RFM),
    Mutant("check: p_alive above 1 allowed", "sql/clv/check_customer_clv.sql",
           "where p_alive < 0 or p_alive > 1 or isnan(p_alive)", "where p_alive < 0 or isnan(p_alive)", CHECKS),
    Mutant("check: negative CLV allowed", "sql/clv/check_customer_clv.sql",
           "(select count(*) from scored where clv < 0 and value_basis is distinct from 'profit') as negative_clv",
           "0 as negative_clv", CHECKS),
    Mutant("check: CLV formula not checked", "sql/clv/check_customer_clv.sql",
           "> 0.005 + 1e-9 * abs(clv)) as clv_not_its_formula", "> 1e9) as clv_not_its_formula", CHECKS),
    # models/
    Mutant("discount rate annual / 12", "models/clv/scoring.py",
           "monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1\n    cumulative",
           "monthly_rate = annual_discount_rate / 12\n    cumulative", MODELS),
    Mutant("CLV without the margin rate", "models/clv/unit_economics.py",
           "\"cogs_rate\": np.full(rows.height, 1 - m)", "\"cogs_rate\": np.zeros(rows.height)", MODELS),
    Mutant("CLV without cost to serve", "models/clv/scoring.py",
           "(pl.col(\"gross_margin_per_order\") - pl.col(\"cost_to_serve_per_order\")", "(pl.col(\"gross_margin_per_order\")", MODELS),
    Mutant("marketing charged as if every customer bought again", "models/clv/scoring.py",
           "marketed[rows] = np.clip(1 - no_purchase, 0.0, 1.0)", "marketed[rows] = 1.0", MODELS),
    Mutant("negative repeat spend not floored", "models/clv/spend.py",
           "np.maximum(np.asarray(monetary_value, dtype=float), 0.0)", "np.asarray(monetary_value, dtype=float)", MODELS),
    Mutant("tiers rounded down", "models/clv/tiers.py",
           "end = min(len(ranked), math.ceil(round(cumulative * len(ranked), 9)))",
           "end = min(len(ranked), math.floor(cumulative * len(ranked)))", MODELS),
    Mutant("inactive threshold inclusive", "models/clv/tiers.py",
           "result[np.asarray(p_alive) < inactive_below] = \"inactive\"", "result[np.asarray(p_alive) <= inactive_below] = \"inactive\"",
           MODELS),
    Mutant("holdout MAE signed", "models/clv/selection.py",
           "\"holdout_mae\": float((n * np.abs(error)).sum() / total)", "\"holdout_mae\": float((n * error).sum() / total)", MODELS),
    Mutant("correlation among all customers", "models/clv/rfm.py",
           "    repeat = rfm.filter(pl.col(\"frequency\") > 0)\n    if customers(repeat) < 3:",
           "    repeat = rfm\n    if customers(repeat) < 3:", MODELS + CLV_RULES),
    Mutant("Pareto/NBD evaluated at recency = t", "models/clv/purchase.py",
           "return np.where(recency >= t, t * (1 - 1e-6), recency), t", "return recency, t", MODELS,
           equivalent="lifetimes 0.11.3's Pareto/NBD scoring functions are finite at recency = t, and the tests compare "
                      "at the same shifted recency: the shift (1e-6 of t) is a guard, not a behaviour"),
    Mutant("BG/NBD expected purchases without the dropout term", "models/clv/purchase.py",
           "denominator = 1 + np.where(repeat,", "denominator = 1 + 0 * np.where(repeat,", MODELS),
    Mutant("Gamma-Gamma fitted on all repeat customers", "models/clv/spend.py",
           "rfm.filter((pl.col(\"frequency\") > 0) & (pl.col(\"monetary_value\") > 0))", "rfm.filter(pl.col(\"frequency\") > 0)",
           MODELS),
    Mutant("correlation flag at 0.5", "models/clv/selection.py",
           "HIGH_FREQUENCY_MONETARY_CORRELATION = 0.3", "HIGH_FREQUENCY_MONETARY_CORRELATION = 0.5", MODELS + CLV_RULES),
    Mutant("failed candidates may be chosen", "models/clv/selection.py",
           "    return models, warnings\n", "    return list(candidates), warnings\n", MODELS + CLV_RULES),
    Mutant("Gamma-Gamma fallback not recorded", "models/clv/selection.py",
           "        records.append(Record(\"final\", empirical, True))\n", "", MODELS + CLV_RULES),
    Mutant("lapsed rule off", "models/segments.py",
           "expression = pl.when(pl.col(\"value_tier\") == \"inactive\").then(pl.lit(lapsed))",
           "expression = pl.when(pl.lit(False)).then(pl.lit(lapsed))", PROFIT),
    Mutant("segment rules: any condition", "models/segments.py",
           "return pl.all_horizontal(conditions) if conditions", "return pl.any_horizontal(conditions) if conditions", PROFIT),
]


def copy_repository(target: Path) -> None:
    """The files git tracks, and untracked ones it does not ignore, as they are in the working tree."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(copy: Path, tests: list[str]) -> bool:
    """True when the tests pass. `python -m pytest` in the copy imports the copy's packages, not the installed ones."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-m", "not slow", "-p", "no:cacheprovider", *tests],
                          cwd=copy, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"pytest could not run {tests}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.returncode == 0


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_known_args(argv)[1]
    chosen = [m for m in MUTANTS if not args or any(word in m.name for word in args)]
    with tempfile.TemporaryDirectory(prefix="segprof-mutants-") as folder:
        copy = Path(folder)
        copy_repository(copy)
        imported = subprocess.run([sys.executable, "-c", "import pipelines, models; print(pipelines.__file__, models.__file__)"],
                                  cwd=copy, capture_output=True, text=True, check=True).stdout
        assert imported.count(folder) == 2, f"the copy's packages are not the ones imported: {imported}"
        baseline = sorted({t for m in chosen for t in m.tests})
        if not run_tests(copy, baseline):
            print(f"the unmutated tests fail: {' '.join(baseline)}", file=sys.stderr)
            return 2
        killed, survived = [], []
        for mutant in chosen:
            path = copy / mutant.file
            original = path.read_text(encoding="utf-8")
            if original.count(mutant.old) != 1:
                raise SystemExit(f"mutant '{mutant.name}': the text to change is not found exactly once in {mutant.file}")
            path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
            started = time.perf_counter()
            try:
                passed = run_tests(copy, mutant.tests)
            finally:
                path.write_text(original, encoding="utf-8")
            (survived if passed else killed).append(mutant)
            verdict = "SURVIVED" if passed else "killed  "
            print(f"{verdict} {mutant.file:45} {mutant.name} ({time.perf_counter() - started:.0f} s)", flush=True)
    score = len(killed) / len(chosen)
    print(f"\nmutation score: {len(killed)} of {len(chosen)} killed ({score:.0%})")
    for mutant in survived:
        print(f"  survived: {mutant.name} ({mutant.file}): {mutant.equivalent or 'no test tells it apart'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
