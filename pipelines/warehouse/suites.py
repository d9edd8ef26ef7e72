"""Great Expectations 1.x suites from expectations/, validated in an ephemeral context.

GX has no DuckDB or Polars source, so a table is handed to it as pandas, in chunks: the suites
hold row-level expectations, whose results add up across chunks. Checks that span rows
(uniqueness, totals) are SQL asset checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
CHUNK_ROWS = 2_000_000
MAX_ROWS = 100_000  # rows validated by GX (~40k rows/s here); larger tables get a deterministic sample

@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int = 0
    examples: list = field(default_factory=list)

    def describe(self) -> str:
        where = f"{self.column}: " if self.column else ""
        examples = f" e.g. {self.examples[:5]}" if self.examples else ""
        return f"{where}{self.expectation} failed for {self.unexpected_count:,} rows{examples}"


@dataclass
class SuiteResult:
    suite: str
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


@cache
def load_suite_spec(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _suite(name: str):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    spec = load_suite_spec(name)
    expectations = [
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta")).to_domain_obj()
        for e in spec["expectations"]
    ]
    return gx.ExpectationSuite(name=name, expectations=expectations)


def _chunks(batches, rows: int):
    """Arrow tables of at least `rows` rows (the last may be smaller) from batches of any size.

    A DuckDB reader yields batches of a few thousand rows; GX costs ~0.2 s per validation on top of
    its per-row cost, so it is handed few large chunks.
    """
    import pyarrow as pa

    buffered, count = [], 0
    for batch in batches:
        buffered.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(buffered) if isinstance(buffered[0], pa.RecordBatch) else pa.concat_tables(buffered)
            buffered, count = [], 0
    if buffered:
        yield pa.Table.from_batches(buffered) if isinstance(buffered[0], pa.RecordBatch) else pa.concat_tables(buffered)


def validate_batches(name: str, batches, table_rows: int | None = None) -> SuiteResult:
    """Validate an iterable of Arrow record batches / tables against suite `name`.

    Row-count expectations are judged on `table_rows` (the whole table, when the batches are a part of it), else on
    the rows validated. Without rows, no GX context is made: every row-level expectation holds on none.
    """
    merged: dict[int, ExpectationOutcome] = {}
    rows = 0
    batch_definition = suite = None
    for chunk in _chunks(batches, CHUNK_ROWS):
        if batch_definition is None:
            batch_definition, suite = _batch_definition(name), _suite(name)
        frame = chunk.to_pandas()
        rows += len(frame)
        result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite, result_format="SUMMARY"
        )
        for i, r in enumerate(result.results):
            cfg = r.expectation_config
            out = merged.setdefault(i, ExpectationOutcome(cfg.type, cfg.kwargs.get("column"), True))
            # Row-count expectations are judged on the whole table below, not per chunk.
            if cfg.type.startswith("expect_table_row_count"):
                continue
            if not r.success:
                out.success = False
                out.unexpected_count += int(r.result.get("unexpected_count") or 0)
                out.examples.extend(r.result.get("partial_unexpected_list") or [])
    counted = rows if table_rows is None else table_rows
    for i, e in enumerate(load_suite_spec(name)["expectations"]):
        if e["type"] == "expect_table_row_count_to_be_between":
            low, high = e["kwargs"].get("min_value"), e["kwargs"].get("max_value")
            ok = (low is None or counted >= low) and (high is None or counted <= high)
            merged[i] = ExpectationOutcome(e["type"], None, ok, 0 if ok else counted)
        else:
            merged.setdefault(i, ExpectationOutcome(e["type"], e["kwargs"].get("column"), True))
    return SuiteResult(name, rows, [merged[i] for i in sorted(merged)])


def _batch_definition(name: str):
    """A whole-dataframe batch definition for suite `name` in a fresh ephemeral GX context."""
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context.data_sources.add_pandas("segprof").add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
