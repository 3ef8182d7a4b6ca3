"""Token buckets in Redis, shared by every worker process on every host.

One Lua script does refill, take and answer atomically, using the Redis server's clock so hosts
with skewed clocks still share one budget. A throttle answer from the vendor sets a short-lived
"slow" factor on the bucket (adaptive), which every worker sees on its next acquire.
"""

from __future__ import annotations

from typing import Any, Final

import redis

_TAKE: Final = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local factor = tonumber(redis.call('GET', KEYS[2]) or '1')
rate = rate * factor
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return tostring(wait)
"""

_SLOW: Final = """
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[1], 'tokens', '0')
return 1
"""

PREFIX: Final = "certfleet:bucket:"


class RedisTokenBuckets:
    """:class:`~workers.rate_limits.base.TokenBuckets` over one Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._take: Any = client.register_script(_TAKE)
        self._slow: Any = client.register_script(_SLOW)

    @classmethod
    def from_url(cls, url: str) -> RedisTokenBuckets:
        return cls(redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30))

    def try_acquire(self, key: str, rate: float, burst: float) -> float:
        """Take a token or say how long until one is free (seconds)."""
        answer = self._take(keys=[PREFIX + key, PREFIX + key + ":slow"], args=[rate, burst])
        return float(answer)

    def slow_down(self, key: str, factor: float, seconds: float) -> None:
        """Scale the bucket's rate by ``factor`` for ``seconds`` and drain it."""
        self._slow(keys=[PREFIX + key, PREFIX + key + ":slow"], args=[factor, int(seconds * 1000)])
