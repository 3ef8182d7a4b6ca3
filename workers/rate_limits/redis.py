"""Token buckets in Redis, shared by every worker process on every host.

One Lua script does refill, reserve and answer atomically, using the Redis server's clock so hosts
with skewed clocks still share one budget. A throttle answer from the vendor sets a short-lived
"slow" factor on the bucket (adaptive), which every worker sees on its next acquire.
"""

from __future__ import annotations

from typing import Any, Final

import redis

from workers.rate_limits.base import Reservation

_RESERVE: Final = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local factor = tonumber(redis.call('GET', KEYS[2]) or '1')
rate = rate * factor
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = math.max(0, (1 - tokens) / rate)
local granted = 0
if wait <= max_wait then
  tokens = tokens - 1
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return {granted, tostring(wait)}
"""

_SLOW: Final = """
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(tokens, 0)))
return 1
"""

PREFIX: Final = "certfleet:bucket:"


class RedisTokenBuckets:
    """:class:`~workers.rate_limits.base.TokenBuckets` over one Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._reserve: Any = client.register_script(_RESERVE)
        self._slow: Any = client.register_script(_SLOW)

    @classmethod
    def from_url(cls, url: str) -> RedisTokenBuckets:
        return cls(redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30))

    def reserve(self, key: str, rate: float, burst: float, max_wait: float) -> Reservation:
        """Reserve the next token if it is due within ``max_wait`` (one atomic script)."""
        granted, wait = self._reserve(
            keys=[PREFIX + key, PREFIX + key + ":slow"], args=[rate, burst, max_wait]
        )
        return Reservation(bool(granted), float(wait))

    def slow_down(self, key: str, factor: float, seconds: float) -> None:
        """Scale the bucket's rate by ``factor`` for ``seconds`` and drain it."""
        self._slow(keys=[PREFIX + key, PREFIX + key + ":slow"], args=[factor, int(seconds * 1000)])
