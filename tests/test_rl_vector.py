"""gymnasium.vector runs the env in process (sync) and in spawned workers (async), with the
same results."""

from __future__ import annotations

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gridshift.rl import GridShiftEnv  # noqa: E402


def _make() -> GridShiftEnv:
    return GridShiftEnv("paper-3site", seeds=[0, 1, 2])


def _roll(vec, steps: int = 30) -> tuple[np.ndarray, np.ndarray]:
    obs, _ = vec.reset(seed=[3, 4])
    vec.action_space.seed(5)
    observations, rewards = [obs], []
    for _ in range(steps):  # past the 24-hour episode end: vector autoreset
        obs, reward, _, _, _ = vec.step(vec.action_space.sample())
        observations.append(obs)
        rewards.append(reward)
    vec.close()
    return np.array(observations), np.array(rewards)


def test_sync_and_async_spawn_vector_envs_agree() -> None:
    sync_obs, sync_rew = _roll(gym.vector.SyncVectorEnv([_make, _make]))
    async_obs, async_rew = _roll(gym.vector.AsyncVectorEnv([_make, _make], context="spawn"))
    assert sync_obs.shape == (31, 2, GridShiftEnv("paper-3site").observation_space.shape[0])
    np.testing.assert_array_equal(sync_obs, async_obs)
    np.testing.assert_array_equal(sync_rew, async_rew)
    assert not np.array_equal(sync_rew[:, 0], sync_rew[:, 1])
