"""Optuna studies for tpe / nsga2 sweeps, shared by all chunks through one journal file.

The study lives in `<out_dir>/<study>.journal` (optuna's JournalStorage on a
JournalFileBackend: an append-only log that several processes on one machine may
write at once). Every chunk opens it, asks for its trials and tells their values,
so TPE / NSGA-II learn from the trials of all chunks told before.

Retries: a chunk re-runs all its trials (its result file is written only at the
end). Trials of a crashed attempt stay in the journal: those it told stay COMPLETE
and still inform the sampler; those it left RUNNING are marked FAIL by the retry
(trials carry their chunk id as user attribute `chunk_id`). A chunk's result file
holds only the COMPLETE trials that attempt added, so the study may hold more
complete trials than `budget` after a crash, the result files never.

A parameter set the strategy's rule rejects (e.g. fast >= slow) is told PRUNED,
which teaches the sampler to avoid it, and asked again; it does not use up the
chunk's trials. A NaN objective (see evaluate.py) is told as the worst value
(-inf when maximising, +inf when minimising): Optuna would fail a NaN trial.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from include.strategies import StrategyError, validate_params
from include.sweeps.space import fixed_values
from include.sweeps.errors import SweepError
from include.sweeps.spec import Objective, SweepSpec

REJECTS_PER_TRIAL = 50  # pruned (rule-breaking) suggestions allowed per wanted trial

optuna.logging.set_verbosity(optuna.logging.WARNING)  # progress.py reports trials; Optuna's per-trial INFO is noise


def journal_path(out_dir: Path, study: str) -> Path:
    return Path(out_dir) / f"{study}.journal"


def sampler(method: str, seed: int, chunk_size: int) -> optuna.samplers.BaseSampler:
    """TPE, or NSGA-II with a population of one chunk (so a chunk is about one generation)."""
    if method == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(2, chunk_size))
    return optuna.samplers.TPESampler(seed=seed)


def open_study(spec: SweepSpec, study: str, storage, seed: int) -> optuna.Study:
    """The study (created by the first chunk); storage None = in memory (a walk-forward fold)."""
    method = "tpe" if spec.method == "walk_forward" else spec.method
    return optuna.create_study(
        study_name=study, storage=storage, load_if_exists=True,
        directions=[g.direction for g in spec.goals()], sampler=sampler(method, seed, spec.chunk_size),
    )


def journal_storage(out_dir: Path, study: str) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(journal_path(out_dir, study))))


def fail_stale(study: optuna.Study, chunk_id: str) -> int:
    """Mark FAIL the trials a crashed attempt of this chunk left RUNNING; returns how many."""
    stale = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
             if t.user_attrs.get("chunk_id") == chunk_id]
    for number in stale:
        study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
    return len(stale)


def told_value(value: float, objective: Objective) -> float:
    if math.isnan(value):
        return -math.inf if objective.direction == "maximize" else math.inf
    return value


def run_trials(study: optuna.Study, spec: SweepSpec, evaluate: Callable[[list[dict]], list[dict]], n_trials: int,
               chunk_id: str, on_trial: Callable[[], None] = lambda: None,
               batch: int | None = None) -> list[tuple[int, dict, dict]]:
    """Batched ask-and-tell: ask `batch` valid trials (default all n_trials), evaluate them in one call
    (Evaluator.many, the batch kernel), tell each, until n_trials are done; returns (trial number, params,
    metrics) of each, in asking order. A batch's trials are asked before any of them is told, so the
    sampler learns from the batches told before (a chunk: from the chunks before, as NSGA-II's
    generations do), not from its own."""
    goals, done = spec.goals(), []
    while len(done) < n_trials:
        asked = ask_valid(study, spec, min(batch or n_trials, n_trials - len(done)), chunk_id)
        try:
            results = evaluate([params for _, params in asked])
        except BaseException:
            for trial, _ in asked:
                study.tell(trial, state=TrialState.FAIL)
            raise
        for (trial, params), metrics in zip(asked, results, strict=True):
            study.tell(trial, [told_value(metrics[g.metric], g) for g in goals])
            done.append((trial.number, params, metrics))
            on_trial()
    return done


def ask_valid(study: optuna.Study, spec: SweepSpec, n_trials: int, chunk_id: str) -> list[tuple[optuna.Trial, dict]]:
    """n_trials asked trials with valid params; a rule-breaking suggestion is told PRUNED and asked again."""
    strategy, space = spec.get_strategy(), spec.space()
    fixed = fixed_values(space)
    asked, rejected = [], 0
    while len(asked) < n_trials:
        trial = study.ask()
        trial.set_user_attr("chunk_id", chunk_id)
        try:
            params = validate_params(strategy, {**fixed, **{d.name: d.suggest(trial) for d in space if not d.fixed}})
        except StrategyError:
            study.tell(trial, state=TrialState.PRUNED)
            rejected += 1
            if rejected > REJECTS_PER_TRIAL * n_trials:
                raise SweepError(f"{chunk_id}: {rejected} suggestions broke strategy {spec.strategy!r}'s rule; "
                                 "narrow params to a space where most sets are valid") from None
            continue
        asked.append((trial, params))
    return asked
