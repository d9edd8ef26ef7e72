"""The one YAML config file: its schema, loading and error messages that name the key."""

from __future__ import annotations

import datetime as dt
import difflib
import glob
import hashlib
import importlib.resources
import json
import os
import types
import typing
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from pipelines.errors import ConfigError, SourceError
from pipelines.site.kpis import KPI_NAMES

PACKAGE_SCHEME = "package://"
DEFAULT_OUTPUT_ROOT = "out"  # each config's default outputs: out/<config file name>/, beside the config file
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    # A field's docstring is its description (docs/configuration.md is generated from them).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Warehouse(_Strict):
    """Where the warehouse, the BI snapshot and the shards are written, and DuckDB's memory."""

    path: str | None = Field(
        default=None, description="DuckDB file the pipeline writes, relative to the config file; default: "
                                  "out/<config file name>/warehouse.duckdb, so every config has its own outputs.")
    published: str | None = Field(
        default=None, description="Read-only snapshot for BI tools, switched atomically together with the scorecards "
                                  "after a successful run; default: published.duckdb beside the working file.")
    published_storage_version: str = Field(
        default="v1.2.0", pattern=r"^v\d+\.\d+\.\d+$",
        description="DuckDB storage format of the snapshot; an older one lets older DuckDB-based BI drivers read it.")
    parquet_export: str | None = Field(default=None, description="Folder for a Parquet copy of the marts, partitioned by as-of date.")
    shards: int = Field(
        default=1, ge=1, le=1024,
        description="Customer-hash shards for the per-customer stages (ingest, RFM, profit); 1 = unsharded. "
                    "Shards run as partitions of the *_shards assets and write Parquet to shards_dir.")
    shards_dir: str | None = Field(
        default=None, description="Where shards write their Parquet (a folder, or an s3:// / gs:// URL with "
                                  "DuckDB's httpfs); default: shards/ beside the working file.")
    memory_limit: str = Field(
        default="3GB", pattern=r"^\d+(\.\d+)?\s*(MB|GB|MiB|GiB)$",
        description="DuckDB's memory limit per connection (it spills to disk beyond it): keeps a run's peak memory bounded.")
    shard_workers: int = Field(default=2, ge=1, description="Shards a run works at once on this machine (each in its own DuckDB).")


class ColumnMap(_Strict):
    """Contract field -> source column. Unmapped optional fields take the source's defaults."""

    customer_id: str
    """Source column of the customer identifier."""
    order_date: str
    """Source column of the order date or timestamp."""
    amount: str
    """Source column of the line amount; returns are negative."""
    order_id: str | None = None
    """Source column of the order id; without one every line is its own order."""
    quantity: str | None = None
    """Source column of the quantity; default: defaults.quantity."""
    channel: str | None = None
    """Source column of the sales channel; default: defaults.channel."""
    region: str | None = None
    """Source column of the region; default: defaults.region."""
    category: str | None = None
    """Source column of the product category; default: defaults.category."""
    unit_cost: str | None = None
    """Source column of the unit cost, for profit.cogs.method unit_cost."""


class Defaults(_Strict):
    """Values for contract fields the source does not map."""

    quantity: int = 1
    """Quantity of every line when the source maps none."""
    channel: str = "unknown"
    """Channel of every line when the source maps none."""
    region: str = "unknown"
    """Region of every line when the source maps none."""
    category: str = "unknown"
    """Category of every line when the source maps none."""


class Source(_Strict):
    """One transaction source: its files, format and column mapping."""

    name: str = Field(pattern=NAME_PATTERN)
    """Lower_snake_case name, unique among sources; the warehouse's source column."""
    path: str = Field(description="File, glob, or package://<package>/<file> for data shipped in a package.")
    format: Literal["csv", "parquet", "text"]
    """csv; parquet; or text (fields separated by runs of white space)."""
    header: bool = True
    """The first line names the columns (csv, text)."""
    names: list[str] | None = Field(
        default=None, description="Column names, in order, for files without a header line."
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    """Field separator of a csv source."""
    date_format: str | None = Field(
        default=None, description="strptime format of order_date; ISO 8601 when absent."
    )
    timezone: str = Field(
        default="UTC", description="IANA time zone of order_ts: a timestamp with a UTC offset is converted to it; "
                                   "one without an offset is taken to be in it already."
    )
    max_amount: Decimal | None = Field(
        default=Decimal("10000000"), gt=0,
        description="Largest amount, in size, accepted on one line; a line beyond it is quarantined (far more likely "
                    "a unit or parsing error than a sale). null: anything DECIMAL(18,2) holds."
    )
    columns: ColumnMap
    defaults: Defaults = Defaults()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{name}'; use an IANA name such as UTC or Europe/Paris") from None
        return name

    @model_validator(mode="after")
    def _names_for_headerless(self) -> Source:
        if self.format != "parquet" and not self.header and not self.names:
            raise ValueError("a source without a header line needs 'names' (its column names in order)")
        if self.format == "parquet" and self.names:
            raise ValueError("'names' is for text and csv sources; parquet files carry their column names")
        return self


class CustomerAttributes(_Strict):
    """Optional Parquet or CSV file with one row per customer; its other columns join staging.customers."""

    path: str
    """The file, relative to the config file."""
    customer_id: str = "customer_id"
    """Its column holding the customer id."""


class ValueTier(_Strict):
    """One tier of the CLV pyramid."""

    name: str = Field(pattern=NAME_PATTERN)
    """Tier name (lower_snake_case, not inactive)."""
    share: float = Field(gt=0, lt=1, description="Share of active customers, taken from the top by CLV.")


class Clv(_Strict):
    """Customer lifetime value: model choice, holdout window, horizon and tiers."""

    model: Literal["auto", "bgnbd", "paretonbd", "mbgnbd"] = Field(
        default="auto",
        description="auto: the candidate with the best holdout log-likelihood over the forecast origins, ties settled by "
                    "calibration BIC (docs/clv.md), scores customers.",
    )
    candidates: list[Literal["bgnbd", "paretonbd", "mbgnbd"]] = Field(
        default=["bgnbd", "paretonbd", "mbgnbd"], min_length=1
    )
    """Purchase models fitted on the calibration period and compared on the holdout."""
    calibration_end: dt.date | None = Field(
        default=None, description="Last day of the calibration period; default: halfway from the first transaction to holdout_end."
    )
    holdout_end: dt.date | None = Field(default=None, description="Last day of the holdout period; default: the as-of date.")
    min_holdout_days: int = Field(default=90, ge=1)
    """A holdout shorter than this is a warning in validate and the run: too short to tell the models apart."""
    min_calibration_days: int = Field(default=120, ge=1)
    """A forecast origin whose calibration period is shorter is not used, and a refit without one gets the warm-up fit
    (the configured model, BG/NBD under auto, without a choice): on so short a history the dropout process is not
    identified, so a holdout comparison says little, and Pareto/NBD fits there take minutes."""
    min_backtest_repeat_customers: int = Field(default=100, ge=1)
    """Fewer repeat customers in a forecast origin's calibration period than this is a warning: little evidence."""
    fit_by: Literal["acquisition_channel", "acquisition_region"] | None = None
    """Optionally fit the purchase and spend models per group of customers: the channel or region of their first
    transaction line (fixed from their first purchase on, so no date's group depends on later data). At each refit
    one pooled fit and one fit per group are compared on the holdout by the selection rule (docs/clv.md, Fits by
    group); by group scores the customers only when it wins, and clv.model_runs records the comparison either way."""
    min_group_repeat_customers: int = Field(default=100, ge=1)
    """With fit_by, fits by group are compared only when every group has this many repeat customers at every forecast
    origin; otherwise the pooled fit is kept and the run says why."""
    refit: Literal["period", "quarter", "year"] = Field(
        default="quarter",
        description="How often the model is chosen and refitted: at the end of every calendar period (profit.period), "
                    "quarter or year, from the data up to that day only. Each period end is scored with the latest refit "
                    "on or before it, so a period always gets the same model (docs/history.md).",
    )
    forecast_origins: int = Field(default=3, ge=1, le=12)
    """Rolling forecast origins the candidates are compared on: calibration ends spaced evenly from halfway
    through the calibration period to calibration_end, each followed by a holdout as long as the configured one."""
    horizon_months: int = Field(default=12, ge=1, le=120)
    """How far CLV and expected purchases look ahead."""
    annual_discount_rate: float = Field(default=0.10, ge=0, lt=1)
    """Discount rate of future margin, applied monthly at (1 + rate)^(1/12) - 1."""
    value: Literal["profit", "margin_rate"] = "profit"
    """What CLV values a customer's expected purchases at (docs/clv.md, CLV in profit terms). profit: from the P&L's cost
    model (profit.cogs, profit.cost_to_serve, profit.returns, profit.marketing) and the customer's own history up to the
    scoring date: expected purchases x (order value x (1 - their cost-of-goods rate) - cost to serve per order - expected
    returns cost) - expected marketing cost, discounted; segment equity is then on the footing of segment contribution.
    margin_rate: margin_rate x order value x (1 - expected return rate), the fallback for data without a cost model."""
    margin_rate: float = Field(default=0.30, gt=0, le=1,
                               description="Share of revenue kept as margin: CLV's value under clv.value margin_rate only.")
    cogs_rate_prior_purchases: float = Field(default=5.0, ge=0)
    """Under clv.value profit, the weight of the population's cost-of-goods rate in a customer's, in purchases of average
    value: a customer who bought that much is halfway between their own category mix's rate and the population's."""
    interval_level: float = Field(default=0.80, gt=0, lt=1)
    """Coverage of the intervals of CLV, p_alive and segment equity, from the parameters' sampling distribution (docs/clv.md)."""
    interval_method: Literal["delta", "draws"] = "delta"
    """How the intervals are taken from that distribution (docs/clv.md, Uncertainty). delta: the scores linearised in
    the parameters at the fit, value ± z standard errors (p_alive's on the logit scale); costs a few scorings.
    draws: quantiles over interval_draws parameter draws, which follow the scores' curvature (asymmetric intervals
    where the parameters are uncertain, as at an early refit on little data); costs about interval_draws scorings."""
    interval_draws: int = Field(default=100, ge=20, le=10_000)
    """Parameter draws the intervals are taken from (interval_method draws only): more are steadier and cost
    proportionally more."""
    interval_seed: int = Field(default=0, ge=0)
    """Seed of the parameter draws (interval_method draws only): a rerun on the same data gives the same intervals."""
    interval_dates: Literal["latest", "all"] = "latest"
    """Scoring dates that get intervals (docs/clv.md). latest: the as-of date only; when a later run moves the as-of
    date on, a closed period end that was it keeps its scores and loses its intervals, as a fresh run has it. all:
    every period end, from the refit that scored it, kept as published; a run takes them for the dates it computes,
    and the segment equity intervals of every date again when the segment tables are rebuilt."""
    purchase_day: Literal["net_positive", "any_line"] = "net_positive"
    """Which days count as repeat purchases (docs/clv.md, Returns policy); a customer's first day with a line is their
    first purchase either way. net_positive: a day whose lines net to more than zero, or that has no return line
    (zero-amount sales count, as in lifetimes); a return-only day or one whose returns cancel its sales is none. A purchase day is worth its sales lines (gross spend), and returns are
    the separate expected return rate. any_line: every day with a line, worth its net amount:
    lifetimes' summary_data_from_transaction_data exactly, returns inside the spend, no separate rate.
    Without returns the two are the same."""
    return_rate: Literal["customer", "population"] = "customer"
    """Expected share of gross spend returned, which CLV is net of (net_positive only). population: all customers'
    returned over sold value; customer: each customer's own rate shrunk toward it (return_rate_prior_purchases)."""
    return_rate_prior_purchases: float = Field(default=5.0, ge=0)
    """Weight of the population rate in a customer's return rate, in purchases of average value: a customer who
    bought that much is halfway between their own rate and the population's."""
    penalizer: float = Field(default=0.0, ge=0)
    """lifetimes' L2 penalizer on the model parameters; 0 = plain maximum likelihood."""
    min_repeat_customers: int = Field(default=10, ge=1)
    """Fewer repeat customers than this is a clear error rather than a fit."""
    inactive_below_p_alive: float = Field(default=0.1, ge=0, lt=1)
    """Below this probability alive a customer's value tier is inactive."""
    value_tiers: list[ValueTier] = Field(
        default=[ValueTier(name="platinum", share=0.01), ValueTier(name="gold", share=0.04), ValueTier(name="silver", share=0.15)],
        min_length=1,
    )
    """The CLV pyramid of active customers, from the top; the rest are rest_tier."""
    rest_tier: str = Field(default="bronze", pattern=NAME_PATTERN)
    """Tier of the active customers below the listed tiers."""

    @model_validator(mode="after")
    def _consistent(self) -> Clv:
        if sum(t.share for t in self.value_tiers) >= 1:
            raise ValueError("value_tiers shares must add up to less than 1 (the rest go to rest_tier)")
        names = [t.name for t in self.value_tiers] + [self.rest_tier, "inactive"]
        if len(set(names)) != len(names):
            raise ValueError("value tier names must be unique and not 'inactive'")
        if self.model != "auto" and self.model not in self.candidates:
            raise ValueError(f"model '{self.model}' is not among candidates {self.candidates}")
        if self.calibration_end and self.holdout_end and self.calibration_end >= self.holdout_end:
            raise ValueError("calibration_end must be before holdout_end")
        return self


class RateTable(_Strict):
    """A rate or amount with optional overrides by a dimension value (category or channel)."""

    default: float = Field(ge=0)
    """The rate or amount where no override applies."""
    by: dict[str, float] = Field(default_factory=dict, description="Overrides keyed by category or channel.")


class Cogs(_Strict):
    """Cost of goods sold: a rate of revenue (by category) or the lines' unit costs."""

    method: Literal["rate", "unit_cost"] = Field(
        default="rate", description="rate: share of the sale amount by category; unit_cost: the source's unit_cost x quantity."
    )
    rate: RateTable = RateTable(default=0.0)


class CostToServe(_Strict):
    """Cost of serving: an amount per order and per line, by channel."""

    per_order: RateTable = RateTable(default=0.0)
    """Amount per order, by channel."""
    per_line: RateTable = RateTable(default=0.0)
    """Amount per line, by channel."""


class Returns(_Strict):
    """Cost of returns beyond the refund."""

    handling_per_return: float = Field(default=0.0, ge=0, description="Cost per returned line, on top of the refund.")


class Marketing(_Strict):
    """Marketing cost per customer and period while the customer is marketed to."""

    per_customer_per_period: RateTable = Field(
        default=RateTable(default=0.0), description="Cost per customer in the marketed base per period, by acquisition channel."
    )
    active_months: int = Field(default=12, ge=1, description="A customer is marketed to until this many months after their last purchase.")
    file: str | None = Field(default=None, description="Parquet file of extra costs: customer_id, period_start, amount.")


class Overhead(_Strict):
    """Fixed overhead, allocated to customers."""

    amount_per_period: float = Field(default=0.0, ge=0)
    """Overhead of a period, shared among customers by key."""
    key: Literal["revenue", "orders", "customers"] = "revenue"
    """What overhead is allocated by: revenue, orders or customers."""


class Profit(_Strict):
    """The cost model. Every cost is its own column in profit.customer_profit."""

    period: Literal["month", "quarter"] = "month"
    """Period of the P&L and the scorecards."""
    assumptions: str | None = Field(default=None, description="Plain-words statement of assumed costs, shown wherever they are used.")
    cogs: Cogs = Cogs()
    """Cost of goods sold."""
    cost_to_serve: CostToServe = CostToServe()
    """Cost of serving orders and lines."""
    returns: Returns = Returns()
    """Cost of handling returns."""
    marketing: Marketing = Marketing()
    """Marketing cost per customer."""
    overhead: Overhead = Overhead()
    """Fixed overhead per period, allocated to customers."""

    @property
    def costs_assumed(self) -> bool:
        """Costs are a stated assumption, not from the data: every profit table with a cost figure says so."""
        return self.assumptions is not None


class Manager(_Strict):
    """The segment's manager."""

    name: str
    """The manager's name."""
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    """The manager's email address."""


class Target(_Strict):
    """A KPI target: the value, which direction is better, and the amber band."""

    target: float
    """The KPI's target value."""
    better: Literal["higher", "lower"] | None = Field(default=None, description="Default: the KPI's own direction.")
    amber_within: float = Field(default=0.1, ge=0, description="Relative shortfall still shown amber rather than red.")


class SegmentRule(_Strict):
    """Conditions, all of which must hold; each lists the allowed values."""

    value_tier: list[str] | None = None
    """Allowed value tiers."""
    region: list[str] | None = None
    """Allowed main regions."""
    channel: list[str] | None = None
    """Allowed acquisition channels."""
    cohort: list[str] | None = Field(default=None, description="Acquisition quarters, e.g. 1997Q1.")
    attribute: dict[str, list] | None = Field(
        default=None, description="Customer attribute (a column of the attributes file, staging.customer_attributes) -> allowed values.")


class Segment(_Strict):
    """One segment: a rule or catch_all, its manager and targets."""

    name: str = Field(pattern=NAME_PATTERN)
    """Segment name (lower_snake_case, unique, not the lapsed segment)."""
    display_name: str | None = Field(
        default=None, max_length=80, description="Name shown on the scorecards; default: the name with spaces for underscores.")
    description: str = ""
    """One line shown on the scorecard."""
    manager: Manager | None = None
    """Who owns the segment; shown on its scorecard."""
    rule: SegmentRule | None = None
    catch_all: bool = False
    """Takes every customer no earlier rule took; exactly one segment, the last."""
    targets: dict[str, Target] = Field(default_factory=dict)
    """KPI targets for this segment, by KPI name; default: scorecards.default_targets."""

    @model_validator(mode="after")
    def _rule_or_catch_all(self) -> Segment:
        if self.catch_all == (self.rule is not None):
            raise ValueError("a segment has either a rule or catch_all: true")
        unknown = sorted(set(self.targets) - set(KPI_NAMES))
        if unknown:
            raise ValueError(f"unknown KPI in targets: {', '.join(unknown)}; KPIs are {', '.join(KPI_NAMES)}")
        return self


class ActionRule(_Strict):
    """One row of the suggested-action table: the first rule whose conditions all hold gives the action."""

    action: str = Field(min_length=1, description="What the segment manager is advised to do, as shown on the list.")
    segments: list[str] | None = Field(default=None, description="Segments the rule applies to; null: every segment.")
    tiers: list[str] | None = Field(default=None, description="Value tiers (at the prior period end) the rule applies to; null: every tier.")
    reason: Literal["any", "overdue", "p_alive_drop"] = Field(
        default="any", description="any; overdue (silent beyond the customer's own rhythm); p_alive_drop (the model's probability alive fell).")
    min_expected_loss: float = Field(default=0.0, ge=0, description="Only customers whose expected loss is at least this much money.")


DEFAULT_ACTIONS = [
    ActionRule(action="service call", reason="p_alive_drop", min_expected_loss=50.0),
    ActionRule(action="win-back offer", min_expected_loss=10.0),
    ActionRule(action="no action"),
]


class AtRisk(_Strict):
    """The action lists: customers of each segment slipping away, ranked by expected loss, with a suggested action."""

    tiers: list[str] | None = Field(
        default=None, description="Value tiers watched in every segment that `watch` does not name (a customer is watched "
                                  "when in one of them now or at the prior period end); null: every tier.")
    watch: dict[str, list[str]] = Field(
        default_factory=dict, description="Watched value tiers per segment, e.g. {vip: [platinum, gold]}; overrides tiers.")
    p_alive_drop: float = Field(default=0.2, gt=0, le=1, description="Flag a fall in p_alive of more than this since the prior period end.")
    overdue_factor: float = Field(
        default=2.0, gt=1, description="Flag customers silent for longer than this many of their own usual gaps between "
                                       "purchase days (needs two repeat purchase days or more).")
    recent_days: int = Field(
        default=30, ge=0, description="Never flag a customer who bought within this many days, whatever the model says.")
    actions: list[ActionRule] = Field(
        default=DEFAULT_ACTIONS, min_length=1,
        description="Suggested action per flagged customer: the first matching rule; no rule matching means 'no action'.")


class Scorecards(_Strict):
    """Where the scorecards are written and what they list."""

    output_dir: str | None = Field(
        default=None, description="Folder of the HTML scorecards, relative to the config file; default: scorecards/ "
                                  "beside the working warehouse file. segprof owns it: a new or empty folder, or its own.")
    top_at_risk: int = Field(default=10, ge=1, le=100)
    """Customers of the action list shown on each segment's page (the CSV beside it has all of them)."""
    default_targets: dict[str, Target] = Field(default_factory=dict, description="Targets for segments that set none for a KPI.")

    @field_validator("default_targets")
    @classmethod
    def _known(cls, targets: dict) -> dict:
        unknown = sorted(set(targets) - set(KPI_NAMES))
        if unknown:
            raise ValueError(f"unknown KPI: {', '.join(unknown)}; KPIs are {', '.join(KPI_NAMES)}")
        return targets


class History(_Strict):
    """What a run may do to the figures of closed periods."""

    restatement: Literal["allow", "forbid"] = Field(
        default="allow",
        description="When late or corrected records change a closed period's inputs: `allow` recomputes it and says so "
                    "(run summary, meta.runs.inputs_changed); `forbid` stops the run before anything is published.")


class Config(_Strict):
    warehouse: Warehouse = Warehouse()
    currency: str = "$"
    """Currency symbol shown before money on the scorecards (one currency per warehouse)."""
    as_of_date: dt.date | None = Field(
        default=None, description="Date the analysis is as of; default: the last transaction date."
    )
    time_unit: Literal["days", "weeks", "months"] = "weeks"
    """Time unit of RFM and the CLV models: recency and age are days / 1, 7 or 30.4375, as fractions."""
    sources: list[Source] = Field(min_length=1)
    """The transaction files: one or more, each loaded and replaced as a unit."""
    customer_attributes: CustomerAttributes | None = None
    clv: Clv = Clv()
    profit: Profit = Profit()
    segments: list[Segment] = Field(
        default=[Segment(name="all_customers", description="Every active customer.", catch_all=True)], min_length=1
    )
    """Segment rules, first match wins; the last is catch_all."""
    lapsed_segment: str = Field(default="lapsed", pattern=NAME_PATTERN,
                                description="Segment of customers whose p_alive is below clv.inactive_below_p_alive.")
    lapsed_display_name: str | None = Field(
        default=None, max_length=80, description="Name of the lapsed segment on the scorecards; default: its name.")
    at_risk: AtRisk = AtRisk()
    """Who is on each segment's action list, and the suggested action."""
    scorecards: Scorecards = Scorecards()
    """The HTML scorecards."""
    history: History = History()
    """Closed periods: whether a run may restate them."""

    # Set by load(); relative paths resolve against the config file's folder.
    _base_dir: Path = PrivateAttr(default=Path("."))
    _file: Path = PrivateAttr(default=Path("segprof.yaml"))

    def history_hash(self) -> str:
        """A digest of the settings every stored period's figures depend on (not targets, names or managers): when it
        changes, every period is recomputed and the run says so."""
        segments = [s.model_dump(include={"name", "rule", "catch_all"}) for s in self.segments]
        settings = self.model_dump(mode="json", include={"time_unit", "clv", "profit", "at_risk", "lapsed_segment",
                                                              "customer_attributes"})
        if self.clv.interval_dates == "latest":  # no closed period keeps intervals: their settings change none
            settings["clv"] = {k: v for k, v in settings["clv"].items() if not k.startswith("interval_")}
        return hashlib.sha256(json.dumps([settings, segments], sort_keys=True, default=str).encode()).hexdigest()[:16]

    @model_validator(mode="after")
    def _holdout_by_the_as_of_date(self) -> Config:
        if self.as_of_date and self.clv.holdout_end and self.clv.holdout_end > self.as_of_date:
            raise ValueError(f"clv.holdout_end {self.clv.holdout_end} is after as_of_date {self.as_of_date}: "
                             "the holdout must have happened by the as-of date")
        return self

    @model_validator(mode="after")
    def _segments_consistent(self) -> Config:
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError("segment names must be unique")
        catch_alls = [s.name for s in self.segments if s.catch_all]
        if len(catch_alls) != 1 or not self.segments[-1].catch_all:
            raise ValueError("exactly one segment, the last, must be catch_all: true")
        if self.lapsed_segment in names[:-1] or self.lapsed_segment == names[-1]:
            raise ValueError(f"segment name '{self.lapsed_segment}' is reserved for customers below the p_alive threshold")
        tiers = {t.name for t in self.clv.value_tiers} | {self.clv.rest_tier}
        segment_names = set(names) | {self.lapsed_segment}
        listed = [("at_risk.tiers", self.at_risk.tiers, tiers, "value tiers"), ("at_risk.watch", self.at_risk.watch, segment_names, "segments")]
        listed += [(f"at_risk.watch.{k}", v, tiers, "value tiers") for k, v in self.at_risk.watch.items()]
        for i, rule in enumerate(self.at_risk.actions):
            listed += [(f"at_risk.actions[{i}].tiers", rule.tiers, tiers, "value tiers"),
                       (f"at_risk.actions[{i}].segments", rule.segments, segment_names, "segments")]
        for key, values, known, what in listed:
            if set(values or []) - known:
                raise ValueError(f"{key}: unknown {what} {sorted(set(values) - known)}; {what} are {sorted(known)}")
        for segment in self.segments:
            unknown = set(segment.rule.value_tier or []) - tiers if segment.rule else set()
            if unknown:
                raise ValueError(f"segment '{segment.name}': unknown value tiers {sorted(unknown)}; tiers are {sorted(tiers)}")
        return self

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: list[Source]) -> list[Source]:
        names = [s.name for s in sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return sources

    def display_name(self, segment: str) -> str:
        """How a segment (or `new`, the state before acquisition) is named on the scorecards."""
        named = {s.name: s.display_name for s in self.segments} | {self.lapsed_segment: self.lapsed_display_name,
                                                                     "new": "new customers"}
        return named.get(segment) or segment.replace("_", " ")

    @property
    def file(self) -> Path:
        return self._file

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.warehouse.path or f"{DEFAULT_OUTPUT_ROOT}/{self._file.stem}/warehouse.duckdb")

    @property
    def scorecards_dir(self) -> Path:
        if self.scorecards.output_dir:
            return self.resolve(self.scorecards.output_dir)
        return self.warehouse_path.with_name("scorecards")

    @property
    def parquet_export_dir(self) -> Path | None:
        return self.resolve(self.warehouse.parquet_export) if self.warehouse.parquet_export else None

    @property
    def published_path(self) -> Path:
        if self.warehouse.published:
            return self.resolve(self.warehouse.published)
        return self.warehouse_path.with_name("published.duckdb")

    @property
    def sharded(self) -> bool:
        return self.warehouse.shards > 1

    @property
    def shards_dir(self) -> str:
        """Folder or object-storage URL of the shards' Parquet files."""
        if self.warehouse.shards_dir and "://" in self.warehouse.shards_dir:
            return self.warehouse.shards_dir.rstrip("/")
        if self.warehouse.shards_dir:
            return str(self.resolve(self.warehouse.shards_dir))
        return str(self.warehouse_path.with_name("shards"))

    def resolve(self, path: str) -> Path:
        if path.startswith(PACKAGE_SCHEME):
            package, _, inner = path[len(PACKAGE_SCHEME) :].partition("/")
            try:
                return Path(str(importlib.resources.files(package).joinpath(inner)))
            except ModuleNotFoundError as exc:
                raise SourceError(f"{path}: package '{package}' is not installed") from exc
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else Path(os.path.normpath(self._base_dir / p))

    def source_files(self, source: Source) -> list[Path]:
        """The files a source names, sorted; a source that matches nothing is an error."""
        resolved = self.resolve(source.path)
        key = f"sources[{self.sources.index(source)}].path" if source in self.sources else "path"
        if glob.has_magic(str(resolved)):
            files = sorted(Path(p) for p in glob.glob(str(resolved), recursive=True) if Path(p).is_file())
            if not files:
                raise SourceError(f"{resolved}: source '{source.name}' ({key}): no file matches this pattern" + _generate_hint(resolved))
            return files
        if not resolved.is_file():
            raise SourceError(f"{resolved}: source '{source.name}' ({key}): file not found")
        return [resolved]


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _generate_hint(pattern: Path) -> str:
    """How to create the synthetic data set, when a source names where `segprof generate` writes it."""
    folder = pattern.parent.parent
    if pattern.parent.name != "transactions" or "synthetic" not in folder.name:
        return ""
    return ("\nthe synthetic data set is generated, not shipped: create it with `make synthetic` (generates and runs), "
            f"or `.venv/bin/segprof generate --customers 100000 --out {os.path.relpath(folder)}`")


def _yaml_problem(file: Path, exc: yaml.YAMLError) -> str:
    """One line: file, line and column (1-based) of a YAML syntax error, and what the parser expected."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{file}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(file)
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start:
        what += f" ({context} started at line {start.line + 1}, column {start.column + 1})"
    return f"{where}: not valid YAML: {what}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The settings model at a key path (list indexes and mapping keys pass through to their values' model)."""
    annotation: object = Config
    for part in loc:
        models = _models_in(annotation)
        fields = {name: f for m in models for name, f in m.model_fields.items()}
        if isinstance(part, str) and part in fields:
            annotation = fields[part].annotation
        elif not models:  # a list item or a mapping value: the same annotation's arguments
            annotation = typing.get_args(annotation)[-1] if typing.get_args(annotation) else None
        else:
            return None
    models = _models_in(annotation)
    return models[0] if models else None


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _did_you_mean(loc: tuple) -> str:
    model = _model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def load(path: str | os.PathLike) -> Config:
    """Read and validate a config file; every problem is reported with the file and key path."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: config file not found")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(file, exc)) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping of settings at the top level")
    try:
        config = Config(**raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key" + _did_you_mean(err["loc"])
            elif err["type"] == "missing":
                msg = "required key is missing"
            elif err["type"] in ("value_error", "assertion_error") and "error" in err.get("ctx", {}):
                msg = str(err["ctx"]["error"])  # our validators' own words, without pydantic's "Value error, "
            lines.append(f"{file}: {_key_path(err['loc'])}: {msg}")
        raise ConfigError(*lines) from None
    config._file = file.resolve()
    config._base_dir = config._file.parent
    return config
