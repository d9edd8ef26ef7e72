"""Customer lifetime value, one module per concern: RFM statistics, purchase and spend models, scoring,
selection and backtests, value tiers, simulation. The names below are the package's API."""

from models.clv import groups, intervals, predictive, validation
from models.clv.fits import FITTERS, MODEL_NAMES, Fit, ModelError, failed, fitter_from_params
from models.clv.purchase import FIT_OPTIONS, evaluation_point, expected_purchases, fit_purchase_model
from models.clv.returns import RETURN_RATE_METHODS, expected_return_rate, population_return_rate
from models.clv.rfm import DAYS_PER_UNIT, compress, customers, frequency_monetary_correlation, weighted_correlation, weights
from models.clv.scoring import LIFETIMES_UNITS_PER_MONTH, score
from models.clv.selection import (
    BASELINES, HIGH_FREQUENCY_MONETARY_CORRELATION, Backtest, Record, Selection, backtest, rank_purchase_models,
    correlation_warning, holdout_metrics, select_models, spend_holdout_metrics, warm_up,
)
from models.clv.simulation import HISTOGRAM_MAX, repeat_purchase_histogram
from models.clv.spend import expected_order_value, fit_spend_model
from models.clv.tiers import value_tiers
from models.clv.unit_economics import VALUE_BASES, Valuation, unit_economics

__all__ = [
    "BASELINES", "DAYS_PER_UNIT", "FITTERS", "FIT_OPTIONS", "HIGH_FREQUENCY_MONETARY_CORRELATION", "HISTOGRAM_MAX",
    "LIFETIMES_UNITS_PER_MONTH", "MODEL_NAMES", "RETURN_RATE_METHODS", "Backtest", "Fit", "ModelError", "Record", "Selection", "backtest",
    "rank_purchase_models", "compress", "correlation_warning", "customers", "evaluation_point", "expected_order_value",
    "expected_purchases", "expected_return_rate", "failed", "fit_purchase_model", "fit_spend_model", "fitter_from_params",
    "frequency_monetary_correlation", "groups", "holdout_metrics", "intervals", "population_return_rate", "predictive", "repeat_purchase_histogram", "score", "select_models",
    "spend_holdout_metrics", "unit_economics", "VALUE_BASES", "Valuation", "validation", "value_tiers", "warm_up",
    "weighted_correlation", "weights",
]
