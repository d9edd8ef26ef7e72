"""Seeded synthetic transaction logs drawn from stated BG/NBD (or Pareto/NBD, MBG/NBD) and Gamma-Gamma parameters.

The purchase process, per customer, in the time unit of the parameters (weeks):
  * acquisition (the first purchase) at a time uniform over the first `acquisition_share` of the history;
  * purchase rate lambda ~ Gamma(shape r, rate alpha); repeat purchases are a Poisson process;
  * BG/NBD: after each repeat purchase the customer drops out with probability p ~ Beta(a, b);
    MBG/NBD: also right after the first purchase; Pareto/NBD: lifetime ~ Exp(mu), mu ~ Gamma(s, rate beta).
Spend (Gamma-Gamma): nu ~ Gamma(shape q, rate v) per customer, each purchase ~ Gamma(shape p, rate nu).
A share of purchases is partly returned later (a separate line with a negative amount).

Customers are generated in fixed-size chunks, each from its own child seed, and written as one
Parquet file per chunk, so memory stays flat and the output depends only on the seed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

CHUNK_CUSTOMERS = 200_000
DAYS_PER_WEEK = 7.0
CHANNELS = ("web", "store", "phone", "marketplace")
CHANNEL_SHARE = (0.55, 0.30, 0.10, 0.05)
REGIONS = ("north", "south", "east", "west", "central")
CATEGORIES = ("books", "music", "electronics", "home", "toys", "grocery")
COST_RATE = (0.55, 0.60, 0.78, 0.50, 0.55, 0.82)  # cost of goods as a share of price, by category


@dataclass(frozen=True)
class Parameters:
    """Generating parameters; purchase parameters are per week."""

    model: str = "bgnbd"  # bgnbd | mbgnbd | paretonbd
    r: float = 0.75
    alpha: float = 7.0
    a: float = 0.6  # BG/NBD, MBG/NBD dropout Beta(a, b)
    b: float = 5.0
    s: float = 0.6  # Pareto/NBD lifetime Gamma(s, beta)
    beta: float = 50.0
    p: float = 6.0  # Gamma-Gamma
    q: float = 4.0
    v: float = 20.0
    acquisition_share: float = 0.5
    return_rate: float = 0.03
    start: str = "2023-01-01"


@dataclass
class Summary:
    customers: int
    transactions: int
    files: list[str] = field(default_factory=list)


def repeat_purchases(rng: np.random.Generator, model: str, params: dict, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repeat purchase times (in the parameters' time unit, after acquisition) and each one's customer index.

    `params` holds r, alpha and a, b (bgnbd, mbgnbd) or s, beta (paretonbd); `age` is each customer's T.
    """
    n = len(age)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    window = np.asarray(age, dtype=float).copy()
    max_repeats = np.full(n, np.iinfo(np.int64).max)
    if model in ("bgnbd", "mbgnbd"):
        p = rng.beta(params["a"], params["b"], n)
        # Repeat purchases survived: geometric number of trials until the first dropout. A draw of 0
        # (a fitted `a` far below 1 underflows) is a customer who never drops out.
        trials = rng.geometric(np.where(p > 0, p, 1.0))
        max_repeats = np.where(p > 0, trials - (1 if model == "mbgnbd" else 0), max_repeats)
    elif model == "paretonbd":
        mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
        window = np.minimum(window, rng.exponential(1.0 / mu))
    else:
        raise ValueError(f"unknown purchase model {model!r}")
    events = rng.poisson(lam * window)
    owner = np.repeat(np.arange(n), events)
    uniform = rng.random(len(owner))
    order = np.argsort(owner + uniform, kind="stable")  # sorts times within each customer
    owner, uniform = owner[order], uniform[order]
    starts = np.cumsum(events) - events
    rank = np.arange(len(owner)) - starts[owner]
    keep = rank < max_repeats[owner]
    return uniform[keep] * window[owner[keep]], owner[keep]


def forecast_origins(params: Parameters, customers: int, seed: int, calibration_ends: tuple[float, ...],
                     holdout: float, history: float, resolution: float = 1.0) -> pl.DataFrame:
    """Calibration statistics and holdout counts at several forecast origins, drawn from `params` (in weeks).

    Customers are acquired uniformly over the first half of `history`; at each calibration end (origin 0, 1, ...)
    the ones acquired by then have frequency, recency and t, and their repeat purchases in the next `holdout`
    weeks as frequency_holdout. Times are floored to `resolution` weeks, as dates floor them to days.
    """
    rng = np.random.default_rng(seed)
    birth = rng.random(customers) * history / 2
    times, owner = repeat_purchases(rng, params.model, asdict(params), history - birth)
    floor = lambda x: np.floor(x / resolution) * resolution  # noqa: E731
    frames = []
    for origin, end in enumerate(calibration_ends):
        acquired = birth < end
        seen = times <= end - birth[owner]
        later = ~seen & (times <= end + holdout - birth[owner])
        last = np.zeros(customers)
        np.maximum.at(last, owner[seen], times[seen])
        frames.append(pl.DataFrame({
            "frequency": np.bincount(owner[seen], minlength=customers)[acquired].astype(float),
            "recency": floor(last[acquired]),
            "t": floor(end - birth[acquired]),
            "monetary_value": 0.0,
            "frequency_holdout": np.bincount(owner[later], minlength=customers)[acquired].astype(float),
            "monetary_value_holdout": 0.0,
        }).with_columns(origin=pl.lit(origin)))
    return pl.concat(frames)


def _chunk(rng: np.random.Generator, params: Parameters, first_id: int, n: int, history_weeks: float,
           start: dt.date, first_order: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    birth = rng.random(n) * history_weeks * params.acquisition_share
    age = history_weeks - birth
    repeat_t, repeat_owner = repeat_purchases(rng, params.model, asdict(params), age)
    owner = np.concatenate([np.arange(n), repeat_owner])
    weeks = np.concatenate([birth, birth[repeat_owner] + repeat_t])
    nu = rng.gamma(params.q, 1.0 / params.v, n)
    amount = np.maximum(np.round(rng.gamma(params.p, 1.0 / nu[owner]), 2), 0.01)
    home_channel = rng.choice(len(CHANNELS), n, p=CHANNEL_SHARE)
    region = rng.integers(0, len(REGIONS), n)
    m = len(owner)
    channel = np.where(rng.random(m) < 0.8, home_channel[owner], rng.choice(len(CHANNELS), m, p=CHANNEL_SHARE))
    category = rng.integers(0, len(CATEGORIES), m)
    quantity = 1 + rng.poisson(0.6, m)
    unit_cost = np.round(amount * np.asarray(COST_RATE)[category] * rng.uniform(0.9, 1.1, m) / quantity, 2)
    seconds = np.floor(weeks * DAYS_PER_WEEK * 86400).astype(np.int64)

    # A share of purchases is partly returned 1-30 days later, if that is inside the history.
    returned = rng.random(m) < params.return_rate
    ret_seconds = seconds[returned] + rng.integers(1, 31, returned.sum()) * 86400
    inside = ret_seconds < history_weeks * DAYS_PER_WEEK * 86400
    ret_idx = np.flatnonzero(returned)[inside]
    ret_amount = -np.round(amount[ret_idx] * rng.uniform(0.3, 1.0, len(ret_idx)), 2)

    epoch = np.datetime64(start, "s")
    sales = pl.DataFrame({
        "sale": np.arange(m, dtype=np.int64),
        "customer": owner.astype(np.int64) + first_id,
        "order_ts": (epoch + seconds.astype("timedelta64[s]")).astype("datetime64[ms]"),
        "amount": amount,
        "quantity": quantity.astype(np.int32),
        "channel": np.asarray(CHANNELS)[channel],
        "region": np.asarray(REGIONS)[region[owner]],
        "category": np.asarray(CATEGORIES)[category],
        "unit_cost": unit_cost,
    }).sort("customer", "order_ts")
    sales = sales.with_columns(order_no=pl.int_range(first_order, first_order + m, dtype=pl.Int64))
    returns = (
        pl.DataFrame({"sale": ret_idx.astype(np.int64), "order_ts": (epoch + ret_seconds[inside].astype("timedelta64[s]")).astype("datetime64[ms]"),
                      "amount": ret_amount})
        .join(sales.select("sale", "customer", "order_no", "channel", "region", "category", "unit_cost"), on="sale")
        .with_columns(quantity=pl.lit(-1, pl.Int32), order_id=pl.format("R{}", pl.col("order_no").cast(pl.String).str.zfill(10)))
    )
    sales = sales.with_columns(order_id=pl.format("O{}", pl.col("order_no").cast(pl.String).str.zfill(10)))
    columns = ["order_id", "customer_id", "order_ts", "amount", "quantity", "channel", "region", "category", "unit_cost"]
    customer_id = pl.format("C{}", pl.col("customer").cast(pl.String).str.zfill(9))
    transactions = (
        pl.concat([sales.with_columns(customer_id=customer_id).select(columns),
                   returns.with_columns(customer_id=customer_id).select(columns)])
        .sort("customer_id", "order_ts", "order_id")
    )
    customers = pl.DataFrame({
        "customer": np.arange(n, dtype=np.int64) + first_id,
        "home_region": np.asarray(REGIONS)[region],
        "signup_channel": np.asarray(CHANNELS)[home_channel],
        "loyalty_member": rng.random(n) < 0.3,
        "birth_year": rng.integers(1945, 2006, n).astype(np.int32),
    }).with_columns(customer_id=customer_id).select("customer_id", "home_region", "signup_channel", "loyalty_member", "birth_year")
    return transactions, customers


def generate(customers: int, seed: int, out_dir: Path, years: float = 3.0, params: Parameters | None = None) -> dict:
    """Write transactions/part-*.parquet, customers.parquet and parameters.json under out_dir."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    params = params or Parameters()
    out_dir = Path(out_dir)
    tx_dir = out_dir / "transactions"
    tx_dir.mkdir(parents=True, exist_ok=True)
    for old in tx_dir.glob("part-*.parquet"):
        old.unlink()
    start = dt.date.fromisoformat(params.start)
    history_days = int(round(years * 365.25))
    history_weeks = history_days / DAYS_PER_WEEK
    chunks = range(0, customers, CHUNK_CUSTOMERS)
    seeds = np.random.SeedSequence(seed).spawn(len(chunks))
    summary = Summary(customers=customers, transactions=0)
    attribute_frames = []
    for i, (first, child) in enumerate(zip(chunks, seeds)):
        n = min(CHUNK_CUSTOMERS, customers - first)
        tx, attrs = _chunk(np.random.default_rng(child), params, first + 1, n, history_weeks, start,
                           first_order=summary.transactions + 1)
        path = tx_dir / f"part-{i:05d}.parquet"
        tx.write_parquet(path)
        summary.transactions += tx.height
        summary.files.append(str(path.relative_to(out_dir)))
        attribute_frames.append(attrs)
    pl.concat(attribute_frames).write_parquet(out_dir / "customers.parquet")
    end = start + dt.timedelta(days=history_days - 1)  # last day with purchases
    info = {
        "description": "Synthetic transactions drawn from the parameters below (purchase parameters per week).",
        "seed": seed,
        "customers": customers,
        "transactions": summary.transactions,
        "history_start": start.isoformat(),
        "history_end": end.isoformat(),
        "parameters": asdict(params),
        "files": summary.files,
    }
    (out_dir / "parameters.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info
