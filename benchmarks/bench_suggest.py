"""Back-test partner suggestions on a build: hits@10 and MRR of the method against popularity and random.

For each split (t, t + 1) the suggestion graph is made from the partnerships
up to year t alone (``kg.suggest.suggestion_graph(..., until_year=t)``); for
each country that names an organisation in t + 1 that its forms named in no
year up to t, the country's candidates are ranked three ways in the same run:
the method, i.e. the signals mixed with ``kg.suggest.SIGNAL_WEIGHTS``
(``signals``), popularity (the organisations partnered by the most countries
up to t) and random (seeded); and ``kg suggest``'s default ranking
(``default``: popularity, equal ones ordered by the signals). A country
scores a hit when one of its new partners is in the first 10, and the
reciprocal rank of the best-ranked one. A new partner that no form named up
to t is *unreachable*: no ranking can hold it, so the figures are given over
all countries with a new partner and over those with a reachable one.
Intervals are 95 % percentile bootstrap intervals over countries (seeded,
the same draws for the three rankings); the last column is the paired
interval of the method's hits@10 less popularity's.

The weights were chosen on the development split (``kg.backtest.DEV_SPLITS``,
2021 -> 2022): it is shown apart, and the verdict reads the test splits
(``kg.backtest.TEST_SPLITS``) and their pool only. Last, each signal alone
on the dev split and on the pooled test splits (countries with a reachable
new partner): what each brings. Usage::

    python benchmarks/bench_suggest.py --graph OUT           # OUT: a build of ../shared/corpus
    python benchmarks/bench_suggest.py --graph OUT --tune    # also the 10 best weightings on the dev split
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.backtest import (  # noqa: E402
    BOOTSTRAP_SAMPLES,
    DEV_SPLITS,
    TEST_SPLITS,
    Interval,
    SplitResult,
    backtest,
    pool_results,
    score_weightings,
    tune_weights,
)
from kg.suggest import DEFAULT_RANKING, DEFAULT_SEED, DEFAULT_TOP, SIGNAL_WEIGHTS, SIGNALS, read_portfolio  # noqa: E402

RANKINGS = ("signals", "default", "popularity", "random")


def main() -> None:
    """Read the build, back-test every split, print the table and the verdict."""
    args = _arguments()
    start = time.perf_counter()
    portfolio = read_portfolio(args.graph)
    print(
        f"portfolio: {len(portfolio.forms)} forms, {len(portfolio.partnerships)} partnerships, "
        f"{len(portfolio.organisations)} organisations, {len(portfolio.countries)} countries "
        f"(read in {time.perf_counter() - start:.1f} s)"
    )
    print(f"seed {args.seed}, {args.samples} bootstrap draws, top {args.top}")
    print("signals ranking's weights: " + ", ".join(f"{name} {SIGNAL_WEIGHTS[name]:g}" for name in SIGNALS))
    print(f"default: kg suggest's default ranking, {DEFAULT_RANKING!r} (the labs signal, equal ones by the signals)")
    if args.tune:
        _tune(portfolio, args)
    start = time.perf_counter()
    dev = backtest(portfolio, DEV_SPLITS, args.top, args.seed, samples=args.samples)
    test = backtest(portfolio, TEST_SPLITS, args.top, args.seed, samples=args.samples)
    pooled = pool_results(test, args.top, args.seed, args.samples)
    seconds = time.perf_counter() - start
    print()
    for result in dev:
        _split(result, f"{result.until_year}->{result.year} (dev: the weights were chosen here)", args.top)
    for result in test:
        _split(result, f"{result.until_year}->{result.year} (test)", args.top)
    _split(pooled, f"{pooled.until_year}->{pooled.year} (the test splits pooled)", args.top)
    print(f"back-test in {seconds:.1f} s")
    _verdict([*test, pooled], args.top)
    _alone(portfolio, args.top, args.seed)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graph", type=Path, required=True, help="a build's output folder (of ../shared/corpus)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of ties, random and the bootstrap")
    parser.add_argument("--samples", type=int, default=BOOTSTRAP_SAMPLES, help="bootstrap draws")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="the k of hits@k")
    parser.add_argument("--tune", action="store_true", help="also print the 10 best weightings on the dev split")
    return parser.parse_args()


def _tune(portfolio, args: argparse.Namespace) -> None:
    """The 10 best weightings of kg.backtest.tune_weights on the dev split."""
    start = time.perf_counter()
    results = tune_weights(portfolio, DEV_SPLITS, top=args.top, seed=args.seed)
    splits = ", ".join(f"{a}->{b}" for a, b in DEV_SPLITS)
    print(f"\ntuning on {splits}: {len(results)} weightings in {time.perf_counter() - start:.1f} s; the best 10:")
    print("  " + "  ".join(f"{name[:8]:>8}" for name in SIGNALS) + f"  hits@{args.top}     MRR")
    for weights, hits, mrr in results[:10]:
        cells = "  ".join(f"{weights[name]:>8g}" for name in SIGNALS)
        print(f"  {cells}  {hits:>7.3f}  {mrr:.3f}")


def _split(result: SplitResult, title: str, top: int) -> None:
    """One split: its counts, then a row per set of countries and ranking."""
    reachable_share = result.reachable_targets / result.targets if result.targets else 0.0
    print(
        f"{title}: {result.countries} countries with a new partner ({result.no_history} with no partnership "
        f"before), {result.targets} new partners, {result.reachable_targets} reachable "
        f"({100 * reachable_share:.1f} %), {result.targets - result.reachable_targets} unreachable "
        f"({100 * (1 - reachable_share):.1f} %)"
    )
    print(f"  {'countries':<28}{'ranking':<12}{f'hits@{top}':<22}MRR")
    for label, scores in (("all", result.all), ("with a reachable one", result.reachable)):
        for name in RANKINGS:
            found = scores[name]
            who = f"{label} ({found.countries})" if name == RANKINGS[0] else ""
            print(f"  {who:<28}{name:<12}{_interval(found.hits):<22}{_interval(found.mrr)}")
    if result.difference is not None:
        print(f"  signals - popularity, hits@{top} (all, paired): {_interval(result.difference, signed=True)}")
    print()


def _interval(found: Interval, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{found.value:{sign}.3f} [{found.low:{sign}.2f}, {found.high:{sign}.2f}]"


def _verdict(results: list[SplitResult], top: int) -> None:
    """Whether the method beats popularity on hits@top with non-overlapping intervals, split by split."""
    print("\nverdict (test splits):")
    for result in results:
        for label, scores in (("all", result.all), ("reachable", result.reachable)):
            popular = scores["popularity"].hits
            for name in ("signals", "default"):
                method = scores[name].hits
                if method.low > popular.high:
                    verdict = "beats popularity (intervals apart)"
                elif method.high < popular.low:
                    verdict = "loses to popularity (intervals apart)"
                else:
                    verdict = "does not beat popularity (intervals overlap)"
                print(
                    f"  {result.until_year}->{result.year} {label}: {name} hits@{top} {_interval(method)} "
                    f"{verdict}: popularity {_interval(popular)}"
                )


def _alone(portfolio, top: int, seed: int) -> None:
    """hits@top and MRR of each signal alone and of the signals' mix, on the dev split and the pooled test splits."""
    weightings = [{name: 1.0} for name in SIGNALS] + [SIGNAL_WEIGHTS]
    names = [*SIGNALS, "signals (the mix)"]
    dev = score_weightings(portfolio, weightings, DEV_SPLITS, top, seed)
    test = score_weightings(portfolio, weightings, TEST_SPLITS, top, seed)
    print(f"\neach signal alone (countries with a reachable new partner): hits@{top}, MRR")
    print(f"  {'signal':<22}{'dev':<18}test (pooled)")
    for name, (_w, dev_hits, dev_mrr), (_v, test_hits, test_mrr) in zip(names, dev, test, strict=True):
        print(f"  {name:<22}{f'{dev_hits:.3f}, {dev_mrr:.3f}':<18}{test_hits:.3f}, {test_mrr:.3f}")


if __name__ == "__main__":
    main()
