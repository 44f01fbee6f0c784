"""Train a linear policy on paper-3site with the cross-entropy method (numpy only), then score
it beside fifo, greedy, milp, the oracle and a random policy on held-out seeds.

Training draws its traces from scenario seeds 100.. (never the evaluation seeds); every
candidate of a generation is scored on the same seeds (common random numbers) by the sum of the
env's rewards, i.e. the books' total benefit. The trained weights go to
examples/rl_linear_policy.npz, and the evaluation runs the policy through the ``rl:`` adapter,
exactly as ``gridshift compare paper-3site --policies rl:examples/linear_agent.py:act,...``.

Run: ``python examples/train_rl_policy.py`` (about two minutes on one core).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from linear_agent import WEIGHTS, LinearAgent  # noqa: E402

from gridshift.api import build_traces, simulate  # noqa: E402
from gridshift.rl import GridShiftEnv  # noqa: E402
from policies.learned import CallablePolicy  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402


def episode_return(env: GridShiftEnv, agent, scenario_seed: int) -> float:
    """Total benefit (USD) of one episode on the traces of ``scenario_seed``."""
    obs, _ = env.reset(seed=0, options={"scenario_seed": scenario_seed})
    total, done = 0.0, False
    while not done:
        obs, reward, done, _, _ = env.step(agent(obs))
        total += reward
    return total


def train(env: GridShiftEnv, generations: int, population: int, elite: int,
          train_seeds: list[int], seed: int) -> tuple[np.ndarray, list[float]]:
    """Cross-entropy method over the linear policy's parameters; returns the mean of the final
    search distribution and the best elite mean return per generation."""
    n_obs, n_act = env.observation_space.shape[0], env.action_space.shape[0]
    rng = np.random.default_rng(seed)
    mean = np.zeros(n_act * (n_obs + 1))
    std = np.full_like(mean, 0.5)
    history = []
    for gen in range(generations):
        seeds = list(rng.choice(train_seeds, size=min(4, len(train_seeds)), replace=False))
        thetas = mean + std * rng.standard_normal((population, mean.size))
        thetas[0] = mean  # keep the incumbent in the race
        scores = np.array([np.mean([episode_return(env, LinearAgent(th, n_obs, n_act), s)
                                    for s in seeds]) for th in thetas])
        best = thetas[np.argsort(-scores)[:elite]]
        mean = best.mean(axis=0)
        std = best.std(axis=0) + 0.02 * (1 - gen / generations)
        history.append(float(np.sort(scores)[-elite:].mean()))
        print(f"generation {gen + 1:3d}: elite mean {history[-1]:,.0f} USD, "
              f"incumbent {scores[0]:,.0f} USD", flush=True)
    return mean, history


def random_agent(n_act: int, seed: int):
    """Uniform random actions in [-1, 1] (seeded)."""
    rng = np.random.default_rng(seed)
    return lambda x: rng.uniform(-1.0, 1.0, n_act)


def evaluate(eval_seeds: list[int], n_act: int) -> pd.DataFrame:
    """Total benefit (USD) per policy and seed, every policy on the same traces per seed."""
    rows = []
    for seed in eval_seeds:
        scenario = load_scenario("paper-3site").with_updates({"seed": seed})
        traces = build_traces(scenario)
        policies = {name: name for name in ("fifo", "greedy", "milp", "oracle")}
        policies["random"] = CallablePolicy(random_agent(n_act, seed), name="random")
        policies["cem-linear"] = "rl:" + str(Path(__file__).with_name("linear_agent.py")) + ":act"
        for label, policy in policies.items():
            run = simulate(scenario, policy, traces=traces)
            rows.append({"seed": seed, "policy": label,
                         "total_benefit_usd": run.kpis["total_benefit_usd"],
                         "emissions_t": run.kpis["emissions_t"]})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generations", type=int, default=40)
    parser.add_argument("--population", type=int, default=40)
    parser.add_argument("--elite", type=int, default=8)
    parser.add_argument("--train-seeds", type=int, default=16, help="seeds 100..100+N-1")
    parser.add_argument("--eval-seeds", default="0,1,2")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search itself")
    parser.add_argument("--eval-only", action="store_true", help="score the saved weights")
    args = parser.parse_args()
    env = GridShiftEnv("paper-3site")
    n_obs, n_act = env.observation_space.shape[0], env.action_space.shape[0]
    if not args.eval_only:
        tic = time.perf_counter()
        theta, _ = train(env, args.generations, args.population, args.elite,
                         list(range(100, 100 + args.train_seeds)), args.seed)
        print(f"trained in {time.perf_counter() - tic:.0f} s")
        np.savez(WEIGHTS, theta=theta, n_obs=n_obs, n_act=n_act)
    table = evaluate([int(s) for s in args.eval_seeds.split(",")], n_act)
    wide = table.pivot(index="seed", columns="policy", values="total_benefit_usd")
    order = ["random", "fifo", "cem-linear", "greedy", "milp", "oracle"]
    wide = wide[order]
    print("\ntotal benefit USD on held-out seeds")
    print(wide.round(0).to_string())
    print("mean", wide.mean().round(0).to_dict())
    emissions = table.pivot(index="seed", columns="policy", values="emissions_t")[order]
    print("mean emissions tCO2", emissions.mean().round(1).to_dict())


if __name__ == "__main__":
    main()
