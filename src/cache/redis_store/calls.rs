//! The Redis commands the store sends, each a value that runs itself on a connection: plain
//! commands, and the Lua scripts that reserve and release sign-in attempts atomically.

use redis::aio::ConnectionManager;

/// One Redis call, run on a connection.
pub(super) trait RedisCall<T> {
    fn run(
        self,
        conn: &mut ConnectionManager,
    ) -> impl std::future::Future<Output = redis::RedisResult<T>> + Send;
}

pub(super) struct Get(pub(super) String);
pub(super) struct Mget(pub(super) Vec<String>);
pub(super) struct SetNx(pub(super) String, pub(super) u64);
pub(super) struct SetEx(pub(super) String, pub(super) Vec<u8>, pub(super) u64);
/// INCR of each key, in one round trip.
pub(super) struct Incr(pub(super) Vec<String>);
/// INCR a key and give it a lifetime, in seconds.
pub(super) struct IncrExpire(pub(super) String, pub(super) u64);
/// A script over sign-in attempt keys (counter and lock of each subject, in turn).
pub(super) struct Attempt {
    pub(super) keys: Vec<String>,
    pub(super) args: Vec<u64>,
    pub(super) script: &'static str,
}

/// ARGV: window, first delay, longest delay (ms), then each subject's threshold.
pub(super) const RESERVE_ATTEMPT: &str = r#"
local longest = 0
for i = 2, #KEYS, 2 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > longest then longest = ttl end
end
if longest > 0 then return -longest end
for i = 1, #KEYS, 2 do
  local n = redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
  local threshold = tonumber(ARGV[3 + (i + 1) / 2])
  if n >= threshold then
    local delay = tonumber(ARGV[2]) * (2 ^ math.min(n - threshold, 20))
    delay = math.min(delay, tonumber(ARGV[3]))
    redis.call('SET', KEYS[i + 1], '1', 'PX', math.floor(delay))
  end
end
return 0
"#;

/// ARGV: how many of the subjects, first, are cleared; then the threshold of each of the
/// rest, which are uncounted.
pub(super) const RELEASE_ATTEMPT: &str = r#"
local cleared = tonumber(ARGV[1])
for i = 1, #KEYS, 2 do
  local subject = (i + 1) / 2
  if subject <= cleared then
    redis.call('DEL', KEYS[i], KEYS[i + 1])
  else
    local n = redis.call('DECR', KEYS[i])
    if n < tonumber(ARGV[1 + subject - cleared]) then redis.call('DEL', KEYS[i + 1]) end
    if n <= 0 then redis.call('DEL', KEYS[i]) end
  end
end
return 0
"#;

impl<T: redis::FromRedisValue> RedisCall<T> for Attempt {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        redis::cmd("EVAL")
            .arg(self.script)
            .arg(self.keys.len())
            .arg(self.keys)
            .arg(self.args)
            .query_async(conn)
            .await
    }
}

impl<T: redis::FromRedisValue> RedisCall<T> for Get {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        redis::cmd("GET").arg(self.0).query_async(conn).await
    }
}

impl<T: redis::FromRedisValue> RedisCall<T> for Mget {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        redis::cmd("MGET").arg(self.0).query_async(conn).await
    }
}

impl<T: redis::FromRedisValue> RedisCall<T> for SetNx {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        redis::cmd("SETNX")
            .arg(self.0)
            .arg(self.1)
            .query_async(conn)
            .await
    }
}

impl<T: redis::FromRedisValue> RedisCall<T> for SetEx {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        redis::cmd("SET")
            .arg(self.0)
            .arg(self.1)
            .arg("EX")
            .arg(self.2)
            .query_async(conn)
            .await
    }
}

impl<T: redis::FromRedisValue> RedisCall<T> for IncrExpire {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        redis::pipe()
            .cmd("INCR")
            .arg(&self.0)
            .cmd("EXPIRE")
            .arg(&self.0)
            .arg(self.1)
            .ignore()
            .query_async(conn)
            .await
    }
}

impl<T: redis::FromRedisValue> RedisCall<T> for Incr {
    async fn run(self, conn: &mut ConnectionManager) -> redis::RedisResult<T> {
        let mut pipe = redis::pipe();
        for key in self.0 {
            pipe.cmd("INCR").arg(key);
        }
        pipe.query_async(conn).await
    }
}
