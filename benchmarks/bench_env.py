"""Benchmark: wall time of GridShiftEnv.step per simulated hour at 5 sites (``default``).

Target (issue 16): <= 1 ms per simulated hour, so a million training steps fit well under an
hour on the 2-core machine. Prints the whole step (engine execution + books + observation
encoding + action decoding) and, apart, the encode and decode parts, over random actions, with
reset time excluded. Run: ``.venv/bin/python benchmarks/bench_env.py [--episodes N]``.
"""

from __future__ import annotations

import argparse
import time

from gridshift.rl import GridShiftEnv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--episodes", type=int, default=5)
    args = parser.parse_args()
    env = GridShiftEnv(args.scenario)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(env.scenario.hours)]
    env.reset(seed=0)  # warm-up: traces generated and cached
    step_s, reset_s, hours = 0.0, 0.0, 0
    for episode in range(args.episodes):
        tic = time.perf_counter()
        env.reset(seed=episode)
        reset_s += time.perf_counter() - tic
        done = False
        tic = time.perf_counter()
        while not done:
            _, _, done, _, _ = env.step(actions[hours % len(actions)])
            hours += 1
        step_s += time.perf_counter() - tic
    engine_s = 0.0
    for episode in range(args.episodes):  # the engine alone: same clock, one fixed Decision
        env.reset(seed=episode)
        decision = env.decoder.decode(actions[0], env.sim.observation)
        tic = time.perf_counter()
        while env.sim.step(decision) is not None:
            pass
        engine_s += time.perf_counter() - tic
    obs = env.sim.observation
    n = 2000
    tic = time.perf_counter()
    for _ in range(n):
        env.encoder.encode(obs)
    encode_s = (time.perf_counter() - tic) / n
    tic = time.perf_counter()
    for i in range(n):
        env.decoder.decode(actions[i % len(actions)], obs)
    decode_s = (time.perf_counter() - tic) / n
    print(f"{env.system.n_sites} sites, {hours} simulated hours ({args.episodes} episodes of "
          f"{env.scenario.hours} h): env.step {1e3 * step_s / hours:.3f} ms per hour "
          f"(of which encode {1e3 * encode_s:.3f} ms with forecasts cached, "
          f"decode {1e3 * decode_s:.3f} ms); "
          f"obs {env.observation_space.shape[0]}, action {env.action_space.shape[0]}; "
          f"reset {1e3 * reset_s / args.episodes:.1f} ms (traces cached)")
    print(f"engine alone (stepped, fixed decision): {1e3 * engine_s / hours:.3f} ms per hour, "
          f"so the env adds {1e3 * (step_s - engine_s) / hours:.3f} ms")
    print(f"1e6 steps ~ {step_s / hours * 1e6 / 60:.1f} min on one core "
          f"(target <= 1 ms per hour: {'met' if step_s / hours <= 1e-3 else 'MISSED'})")


if __name__ == "__main__":
    main()
