"""The short report `segprof run` ends with: what the warehouse now holds."""

from __future__ import annotations

import dagster as dg

from models.clv import MODEL_NAMES
from pipelines.warehouse import calendar
from pipelines.warehouse.database import query


def run_summary(defs: dg.Definitions, seconds: float, ran: set[str] | None = None, run_id: str | None = None) -> list[str]:
    """Lines of `name  value`; with `ran` (the asset keys a partial run materialised), only what those built; with
    `run_id`, what that run's ingest read, removed and found changed."""
    def built(*keys: str) -> bool:
        return ran is None or bool(ran.intersection(keys))

    duckdb = defs.resources["duckdb"]
    config = defs.resources["segprof"].value
    currency = config.currency
    rows: list[tuple[str, str]] = []
    index = config.scorecards_dir / "index.html"
    with duckdb.get_connection() as con:
        tables = {r["table_name"] for r in query(con, "warehouse/tables")}
        if {"staging.customers", "staging.rejected_transactions"} <= tables and built("transactions", "customers"):
            counts = query(con, "ingest/customers_summary")[0]
            rows += [
                ("records read", f"{counts['accepted'] + counts['rejected']:,}"),
                ("accepted", f"{counts['accepted']:,}"),
                ("rejected", f"{counts['rejected']:,}" + ("  (see staging.rejected_transactions)" if counts["rejected"] else "")),
                ("customers", f"{counts['customers']:,}"),
                ("transactions from", f"{counts['first_date']} to {counts['last_date']}"),
            ]
        if "clv.customer_clv" in tables and built("customer_clv"):
            clv = query(con, "clv/clv_summary")[0]
            if clv["customers"]:
                rows += [
                    ("CLV model", f"{MODEL_NAMES[clv['purchase_model']]} + {MODEL_NAMES.get(clv['spend_model'], clv['spend_model'])}"),
                    ("customer equity", f"{currency}{clv['customer_equity']:,.0f} ({clv['horizon_months']} months, as of {clv['period_end']})"),
                ]
        if "meta.source_files" in tables and built("transactions") and not config.sharded:
            files = query(con, "ingest/source_files_summary", {"run_id": run_id})[0]
            rows.append(("source files", f"{files['read']:,} read, {files['unchanged']:,} unchanged"
                         + (f", {files['removed']:,} removed with their rows (see meta.source_files)" if files["removed"] else "")))
        if "meta.period_fingerprints" in tables and built("transactions"):
            changed = [calendar.period_label(r["period_start"], config.profit.period) for r in query(con, "ingest/changed_periods")]
            if changed:
                rows.append(("inputs changed", ", ".join(changed)))
            planned = query(con, "ingest/planned_periods")
            label = lambda r: calendar.period_label(r["period_start"], config.profit.period)  # noqa: E731
            computed = [label(r) for r in planned if r["recompute"]]
            restated = [label(r) for r in planned if r["restated"]]
            rows.append(("periods computed", f"{len(computed)} of {len(planned)}" + (
                f" ({computed[0]}{' to ' + computed[-1] if len(computed) > 1 else ''}; the others are kept as published)"
                if computed and len(computed) < len(planned) else "")))
            if restated:
                reason = next((r["restatement_reason"] for r in planned if r["restatement_reason"]), None)
                rows.append(("restated", ", ".join(restated) + f"  ({reason + '; ' if reason else ''}see meta.runs.restated)"))
    rows += [("seconds", f"{seconds:.1f}"), ("warehouse", duckdb.database)]
    if config.published_path.is_file() and built("published_warehouse"):
        rows.append(("published for BI", f"{config.published_path} (read-only snapshot)"))
    if index.is_file() and built("published_warehouse"):
        rows.append(("scorecards", str(index)))
    width = max(len(k) for k, _ in rows)
    return [f"{k:<{width}}  {v}" for k, v in rows]
