// Server-side steps that must be atomic, as Lua loaded once per connection
// and run by EVALSHA (sending and hashing the text on every call cost the
// server a few microseconds each). Atomic
// because a key must never exist without its expiry, even if the client dies
// between two commands, and because a counter's last increment must be the one
// that acts. Errors a script raises on purpose start with "FMI-" (see
// Connection).
#pragma once

namespace fmi::detail::redis::scripts {

/// Appends one message to a stream and (re)sets the stream's expiry.
/// KEYS[1] stream; ARGV[1] ttl in ms, ARGV[2] the message. Returns 1.
inline constexpr const char* post = R"lua(
redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
)lua";

/// Counts one reader done with a published message; the last of ARGV[1]
/// readers deletes every key given. KEYS[1] counter, KEYS[2..] the message's
/// keys; ARGV[1] readers, ARGV[2] ttl in ms. Returns 1 for the last reader.
inline constexpr const char* acknowledge = R"lua(
local n = redis.call('INCR', KEYS[1])
if n >= tonumber(ARGV[1]) then
  for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end
  return 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
)lua";

/// Entering collective number seq: the first peer records what it calls
/// (ARGV[3], "<operation>/<algorithm>") in the hash KEYS[1]; a peer calling
/// something else announces the mismatch in the abort stream KEYS[2] (which
/// wakes every waiting peer) and gets the error "FMI-MISMATCH ...". The N-th
/// entry (ARGV[1] peers) deletes the hash and the keys after the first
/// ARGV[7]: what earlier collectives left for later (every peer has finished
/// them once all have entered this one). Optionally (ARGV[7] >= 4) the peer's
/// message ARGV[6] is added to the stream KEYS[4] first, and (ARGV[7] >= 3)
/// the N-th entry posts the wake-up message ARGV[5] to the stream KEYS[3]
/// (barrier, exchange). ARGV[2] ttl in ms, ARGV[4] this peer's id. Returns the
/// entry number.
inline constexpr const char* enter = R"lua(
local fixed = tonumber(ARGV[7])
redis.call('HSETNX', KEYS[1], 'op', ARGV[3])
local op = redis.call('HGET', KEYS[1], 'op')
if op ~= ARGV[3] then
  local reason = 'peer ' .. ARGV[4] .. ' called ' .. ARGV[3] .. ' where another peer called ' .. op
  redis.call('XADD', KEYS[2], '*', 'peer', ARGV[4], 'kind', 'mismatch', 'reason', reason)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return redis.error_reply('FMI-MISMATCH ' .. reason)
end
if fixed >= 4 then
  redis.call('XADD', KEYS[4], '*', 'm', ARGV[6])
  redis.call('PEXPIRE', KEYS[4], ARGV[2])
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return n
end
redis.call('DEL', KEYS[1])
for i = fixed + 1, #KEYS do redis.call('DEL', KEYS[i]) end
if fixed >= 3 then
  redis.call('XADD', KEYS[3], '*', 'm', ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return n
)lua";

/// Every script, loaded (SCRIPT LOAD) once per connection and run by hash.
inline constexpr const char* all[] = {post, acknowledge, enter};

}  // namespace fmi::detail::redis::scripts
