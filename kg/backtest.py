"""The back-test of partner suggestions: how well a ranking predicts the partners a lab finds next.

:func:`backtest` builds the suggestion graph (:func:`kg.suggest.suggestion_graph`)
from the partnerships up to year ``t``, ranks each country's candidates
(:func:`kg.suggest.candidates`) and scores hits@10 and MRR against the
organisations that country names first in ``t + 1`` (:func:`new_partners`),
beside two baselines ranked from the same candidates: the most popular
organisations (:func:`popularity_ranking`) and a seeded random order
(:func:`random_ranking`). Intervals are seeded bootstrap draws over
countries (:func:`bootstrap_interval`), the same draws for every ranking,
so that two rankings are compared pairwise.

The weights of :data:`kg.suggest.SIGNAL_WEIGHTS` were chosen by
:func:`tune_weights` on :data:`DEV_SPLITS` only; the back-test's result is
read on :data:`TEST_SPLITS` (``benchmarks/bench_suggest.py``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from kg.suggest import (
    DEFAULT_RANKING,
    DEFAULT_SEED,
    DEFAULT_TOP,
    RANKINGS,
    SIGNALS,
    Portfolio,
    SuggestionGraph,
    Weighting,
    candidates,
    rank_normalise,
    ranking,
    signals,
    suggestion_graph,
    tie_key,
)

__all__ = [
    "DEV_SPLITS",
    "TEST_SPLITS",
    "BOOTSTRAP_SAMPLES",
    "BACKTEST_RANKINGS",
    "Interval",
    "Scores",
    "SplitResult",
    "backtest",
    "pool_results",
    "popularity_ranking",
    "random_ranking",
    "new_partners",
    "bootstrap_interval",
    "tune_weights",
    "score_weightings",
]

DEV_SPLITS = ((2021, 2022),)
"""The (train up to, predict) splits the weights are chosen on; the back-test reports them apart."""
TEST_SPLITS = ((2022, 2023), (2023, 2024), (2024, 2025))
"""The splits the back-test reports as its result: no weight was chosen on them."""
BOOTSTRAP_SAMPLES = 2000


def popularity_ranking(graph: SuggestionGraph, orgs: Sequence[str], seed: int = DEFAULT_SEED) -> list[str]:
    """The popularity baseline: ``orgs`` by the countries partnering them, then :func:`tie_key`.

    The same order as :func:`rank` of :func:`combine` with the ``labs`` signal alone.
    """
    labs = {org: len(graph.countries_of(org)) for org in orgs}
    return sorted(orgs, key=lambda org: (-labs[org], tie_key(seed, org)))


def random_ranking(orgs: Sequence[str], seed: int, salt: str) -> list[str]:
    """The random baseline: ``orgs`` shuffled by a generator seeded with ``seed`` and ``salt`` (country, year)."""
    shuffled = sorted(orgs)
    random.Random(f"{seed}/{salt}").shuffle(shuffled)
    return shuffled


def new_partners(portfolio: Portfolio, country: str, until_year: int, year: int) -> set[str]:
    """The organisations ``country``'s forms partner in ``year`` that they named in no year up to ``until_year``.

    A partnership is in ``year`` when it is active then (:meth:`Partnership.years`);
    an organisation scoped to another country is left out (it is never a candidate).
    """
    forms, organisations = portfolio.forms, portfolio.organisations
    iso3 = portfolio.countries[country].iso3
    before, then = set(), set()
    for p in portfolio.partnerships:
        if country not in forms[p.form].countries:
            continue
        first = p.first_year
        if first is not None and first <= until_year:
            before.add(p.org)
        if year in p.years():
            then.add(p.org)
    scope = {org: organisations[org].scope if org in organisations else "" for org in then}
    return {org for org in then - before if not scope[org] or scope[org] == iso3}


@dataclass(frozen=True)
class Interval:
    """A figure and its 95 % bootstrap interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Scores:
    """One ranking's hits@k and MRR over a set of countries, with their intervals."""

    hits: Interval
    mrr: Interval
    countries: int


@dataclass
class SplitResult:
    """The back-test of one split: train on the years up to ``until_year``, predict ``year``.

    ``all`` scores every country with a new partner (an unreachable one
    counts as a miss); ``reachable`` only the countries with a new partner
    the graph of ``until_year`` holds. Both map ranking name (those of
    :func:`backtest`'s ``rankings``, then ``popularity`` and ``random``) to
    :class:`Scores`. ``difference`` is the paired bootstrap interval of the
    first ranking's hits@k less popularity's (over ``all``). ``best_ranks`` holds, per ranking, each
    country's best rank of a new partner (None when none is a candidate),
    and ``reachable_mask`` whether the country has a reachable one.
    """

    until_year: int
    year: int
    countries: int
    no_history: int
    targets: int
    reachable_targets: int
    all: dict[str, Scores] = field(default_factory=dict)
    reachable: dict[str, Scores] = field(default_factory=dict)
    difference: Interval | None = None
    best_ranks: dict[str, list[int | None]] = field(default_factory=dict)
    reachable_mask: list[bool] = field(default_factory=list)


BACKTEST_RANKINGS: dict[str, tuple[Weighting, ...]] = {
    "signals": RANKINGS["signals"],
    "default": RANKINGS[DEFAULT_RANKING],
}
"""The rankings :func:`backtest` scores besides its two baselines: the signals' mix, and ``kg suggest``'s default."""


def backtest(
    portfolio: Portfolio,
    splits: Sequence[tuple[int, int]] = TEST_SPLITS,
    top: int = DEFAULT_TOP,
    seed: int = DEFAULT_SEED,
    rankings: Mapping[str, Sequence[Weighting]] = BACKTEST_RANKINGS,
    samples: int = BOOTSTRAP_SAMPLES,
) -> list[SplitResult]:
    """hits@``top`` and MRR of ``rankings`` and two baselines on each (train up to, predict) split.

    For a split (t, t + 1): the graph of the partnerships up to t
    (:func:`suggestion_graph`); for each country with a new partner in t + 1
    (:func:`new_partners`), its candidates ranked by each of ``rankings``
    (name -> weightings, :func:`ranking`), by ``popularity``
    (:func:`popularity_ranking`) and at ``random`` (:func:`random_ranking`).
    A country scores a hit when one of its new partners is in the first
    ``top``, and the reciprocal rank of the best-ranked one (0 when none is
    a candidate). Intervals: ``samples`` bootstrap draws of the countries,
    seeded, the same draws for every ranking.
    """
    results = []
    for until_year, year in splits:
        graph = suggestion_graph(portfolio, until_year)
        result = SplitResult(until_year, year, 0, 0, 0, 0)
        best: dict[str, list[int | None]] = {name: [] for name in (*rankings, "popularity", "random")}
        for country in sorted(portfolio.countries, key=lambda c: portfolio.countries[c].iso3):
            targets = new_partners(portfolio, country, until_year, year)
            if not targets:
                continue
            orgs = candidates(graph, country)
            reachable = targets & set(orgs)
            result.countries += 1
            result.no_history += country not in graph.country_partners
            result.targets += len(targets)
            result.reachable_targets += len(reachable)
            result.reachable_mask.append(bool(reachable))
            raw = signals(graph, country, orgs)
            orders = {name: ranking(raw, weightings, seed) for name, weightings in rankings.items()}
            orders["popularity"] = popularity_ranking(graph, orgs, seed)
            orders["random"] = random_ranking(orgs, seed, f"{portfolio.countries[country].iso3}/{year}")
            for name, order in orders.items():
                best[name].append(_best_rank(order, targets))
        result.best_ranks = best
        _score(result, top, seed, samples)
        results.append(result)
    return results


def pool_results(
    results: Sequence[SplitResult], top: int = DEFAULT_TOP, seed: int = DEFAULT_SEED, samples: int = BOOTSTRAP_SAMPLES
) -> SplitResult:
    """The splits of ``results`` as one: their countries side by side (a country counts once per split).

    Its ``until_year`` and ``year`` are the first split's and the last's.
    """
    pooled = SplitResult(results[0].until_year, results[-1].year, 0, 0, 0, 0)
    pooled.best_ranks = {name: [] for name in results[0].best_ranks}
    for result in results:
        pooled.countries += result.countries
        pooled.no_history += result.no_history
        pooled.targets += result.targets
        pooled.reachable_targets += result.reachable_targets
        pooled.reachable_mask += result.reachable_mask
        for name, ranks in result.best_ranks.items():
            pooled.best_ranks[name] += ranks
    _score(pooled, top, seed, samples)
    return pooled


def _best_rank(ranking: Sequence[str], targets: set[str]) -> int | None:
    return next((position for position, org in enumerate(ranking, start=1) if org in targets), None)


def _score(result: SplitResult, top: int, seed: int, samples: int) -> None:
    """Fill ``result``'s scores and intervals from its best ranks."""
    mask = np.array(result.reachable_mask, dtype=bool)
    for name, ranks in result.best_ranks.items():
        hits = np.array([1.0 if r is not None and r <= top else 0.0 for r in ranks])
        rr = np.array([1.0 / r if r is not None else 0.0 for r in ranks])
        result.all[name] = Scores(
            bootstrap_interval(hits, seed, samples), bootstrap_interval(rr, seed, samples), len(ranks)
        )
        result.reachable[name] = Scores(
            bootstrap_interval(hits[mask], seed, samples), bootstrap_interval(rr[mask], seed, samples), int(mask.sum())
        )
    first = next(iter(result.best_ranks))
    method = [1.0 if r is not None and r <= top else 0.0 for r in result.best_ranks[first]]
    popular = [1.0 if r is not None and r <= top else 0.0 for r in result.best_ranks["popularity"]]
    if method:
        result.difference = bootstrap_interval(np.array(method) - np.array(popular), seed, samples)


def bootstrap_interval(values: np.ndarray, seed: int, samples: int = BOOTSTRAP_SAMPLES) -> Interval:
    """The mean of ``values`` and its 95 % percentile bootstrap interval (``samples`` draws, seeded).

    The draws depend on the seed and the number of values only, so two
    rankings of the same countries are drawn alike (a paired comparison).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    draws = np.random.default_rng(seed).integers(0, values.size, size=(samples, values.size))
    means = values[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))


def tune_weights(
    portfolio: Portfolio,
    splits: Sequence[tuple[int, int]] = DEV_SPLITS,
    grid: Sequence[float] = (0.0, 1.0, 2.0),
    top: int = DEFAULT_TOP,
    seed: int = DEFAULT_SEED,
) -> list[tuple[dict[str, float], float, float]]:
    """Every weighting of the grid with its hits@``top`` and MRR on ``splits`` (:func:`score_weightings`), best first.

    Each signal takes each value of ``grid`` (all zero is skipped). The
    best has the highest hits@``top``, then the highest MRR, then the
    fewest and smallest weights.
    """
    weightings = [dict(zip(SIGNALS, w, strict=True)) for w in product(grid, repeat=len(SIGNALS)) if any(w)]
    results = score_weightings(portfolio, weightings, splits, top, seed)
    results.sort(
        key=lambda r: (-r[1], -r[2], sum(1 for x in r[0].values() if x), sum(r[0].values()), list(r[0].values()))
    )
    return results


def score_weightings(
    portfolio: Portfolio,
    weightings: Sequence[Mapping[str, float]],
    splits: Sequence[tuple[int, int]],
    top: int = DEFAULT_TOP,
    seed: int = DEFAULT_SEED,
) -> list[tuple[dict[str, float], float, float]]:
    """Each weighting with its hits@``top`` and MRR (9 places), as :func:`backtest` scores them, in order.

    Over the countries of all ``splits`` with a reachable new partner (a
    country counts once per split); ranks as :func:`rank` gives them.
    """
    combos = np.array([[float(w.get(name, 0.0)) for name in SIGNALS] for w in weightings])
    hits = np.zeros(len(combos))
    rr = np.zeros(len(combos))
    count = 0
    for until_year, year in splits:
        graph = suggestion_graph(portfolio, until_year)
        for country in sorted(portfolio.countries):
            targets = new_partners(portfolio, country, until_year, year)
            orgs = candidates(graph, country) if targets else []
            chosen = [i for i, org in enumerate(orgs) if org in targets]
            if not chosen:
                continue
            raw = signals(graph, country, orgs)
            matrix = np.array([rank_normalise([raw[o][name] for o in orgs]) for name in SIGNALS]).T
            order = np.argsort([tie_key(seed, org) for org in orgs]).argsort()  # 0 for the first in tie order
            scores = matrix @ combos.T / combos.sum(axis=1)  # candidates x weightings, as combine() gives
            best = _best_positions(scores, order, chosen)
            hits += best <= top
            rr += 1.0 / best
            count += 1
    count = max(count, 1)
    return [
        (dict(zip(SIGNALS, (float(x) for x in w), strict=True)), round(hits[i] / count, 9), round(rr[i] / count, 9))
        for i, w in enumerate(combos)
    ]


def _best_positions(scores: np.ndarray, order: np.ndarray, chosen: list[int]) -> np.ndarray:
    """Per weighting (column of ``scores``), the 1-based rank of the best-ranked of the ``chosen`` rows.

    A row ranks before another with a higher score, or an equal one and a
    smaller ``order`` (:func:`tie_key`'s order).
    """
    scaled = np.round(scores, 9)
    best = np.full(scores.shape[1], scores.shape[0] + 1, dtype=float)
    for row in chosen:
        above = (scaled > scaled[row]) | ((scaled == scaled[row]) & (order < order[row])[:, None])
        best = np.minimum(best, above.sum(axis=0) + 1)
    return best
