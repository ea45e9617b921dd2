//! The Lua scripts that make each conditional operation one atomic step on the key's master.
//!
//! A stored value is a 9-byte header and the payload: byte 0 is `0` for "never expires" or `1`
//! for "expires", bytes 1..9 the protocol expiry in big-endian Unix seconds. `ARGV[1]` of every
//! script is the caller's `now` as 8 big-endian bytes; liveness is decided by comparing it with
//! the stored expiry byte by byte (Lua numbers are doubles and cannot hold every `u64`).

use redis::Script;

/// Lua helpers shared by every script: liveness, 64-bit addition and comparison on 8-byte
/// big-endian strings.
const PRELUDE: &str = r#"
local function below(a, b)
  for i = 1, 8 do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end
local function live(stored, now)
  if not stored then return false end
  if string.byte(stored, 1) == 0 then return true end
  return below(now, string.sub(stored, 2, 9))
end
local function add64(a, b)
  local out = {}
  local carry = 0
  for i = 8, 1, -1 do
    local s = string.byte(a, i) + string.byte(b, i) + carry
    out[i] = string.char(s % 256)
    carry = math.floor(s / 256)
  end
  if carry > 0 then return false end
  return table.concat(out)
end
local function store(key, value, ttl)
  if ttl == '0' then
    redis.call('SET', key, value)
  else
    redis.call('SET', key, value, 'PX', ttl)
  end
end
"#;

/// `KEYS[1]`; `ARGV`: now, header+value, engine TTL in ms (`0`: none). Returns 1 if written.
const INSERT_IF_ABSENT: &str = r#"
if live(redis.call('GET', KEYS[1]), ARGV[1]) then return 0 end
store(KEYS[1], ARGV[2], ARGV[3])
return 1
"#;

/// `KEYS[1]`; `ARGV`: now, expected payload, header+new value, engine TTL. Returns 1 if
/// replaced.
const REPLACE_IF_MATCHES: &str = r#"
local cur = redis.call('GET', KEYS[1])
if not live(cur, ARGV[1]) or string.sub(cur, 10) ~= ARGV[2] then return 0 end
store(KEYS[1], ARGV[3], ARGV[4])
return 1
"#;

/// `KEYS[1]`; `ARGV`: now, expected payload. Returns 1 if deleted.
const DELETE_IF_MATCHES: &str = r#"
local cur = redis.call('GET', KEYS[1])
if not live(cur, ARGV[1]) or string.sub(cur, 10) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// `KEYS[1]`; `ARGV`: now, amount (8 bytes), limit (8 bytes), header for a new counter, engine
/// TTL for a new counter. Returns the new counter (8 bytes) or nil if over the limit; an existing
/// counter keeps its header and its engine TTL.
const ADD_WITHIN_LIMIT: &str = r#"
local cur = redis.call('GET', KEYS[1])
local header, current, keep = ARGV[4], string.rep('\0', 8), false
if live(cur, ARGV[1]) then
  if #cur ~= 17 then return redis.error_reply('counter value is not 8 bytes') end
  header, current, keep = string.sub(cur, 1, 9), string.sub(cur, 10), true
end
local sum = add64(current, ARGV[2])
if not sum or below(ARGV[3], sum) then return false end
if keep then
  redis.call('SET', KEYS[1], header .. sum, 'KEEPTTL')
else
  store(KEYS[1], header .. sum, ARGV[5])
end
return sum
"#;

/// `KEYS[1]`; `ARGV`: now. Deletes the entry if it has expired by `now`; returns 1 if it did.
const PURGE_IF_EXPIRED: &str = r#"
local cur = redis.call('GET', KEYS[1])
if not cur or live(cur, ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// The compiled scripts (each carries its SHA1 for `EVALSHA`).
pub(crate) struct Scripts {
    pub(crate) insert_if_absent: Script,
    pub(crate) replace_if_matches: Script,
    pub(crate) delete_if_matches: Script,
    pub(crate) add_within_limit: Script,
    pub(crate) purge_if_expired: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let with_prelude = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Self {
            insert_if_absent: with_prelude(INSERT_IF_ABSENT),
            replace_if_matches: with_prelude(REPLACE_IF_MATCHES),
            delete_if_matches: with_prelude(DELETE_IF_MATCHES),
            add_within_limit: with_prelude(ADD_WITHIN_LIMIT),
            purge_if_expired: with_prelude(PURGE_IF_EXPIRED),
        }
    }
}
