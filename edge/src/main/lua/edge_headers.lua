-- Headers at the edge (envoy.yaml, the first HTTP filter, so that it sees every request and every
-- reply, Envoy's local replies included). It never reads a body.
--
-- Requests: an Idempotency-Key (gRPC: idempotency-key metadata) sent more than once is refused
-- with 400. Which copy would the service use? Envoy's route matcher judged only one of them, so a
-- malformed copy could ride on a well-formed one; the client must send one key.
--
-- Replies:
-- * One set of x-ratelimit-* headers. The per-address floor and the caller's identity budget each
--   add a set (limit, remaining, reset); two sets with different values tell a client nothing
--   usable. On a refusal (local_replies.yaml's rate_limited row marks it with x-paygate-refused,
--   removed here) the set kept is the refusing limiter's: the first set. A local_ratelimit filter
--   appends its set in encodeHeaders, and the global ratelimit filter writes its set into the local
--   reply before any encoder runs; encoders run in the reverse of the decode order, and the refuser
--   is the last limiter that decoded (later ones never saw the request and add none). Comparing
--   remaining counts would not do: they are read when the reply is encoded, and a bucket that
--   refilled a token since it refused can show more left than a shadowed floor at 0 (RateLimitIT
--   saw the per-address floor's limit, 400, on a refusal by the reads budget, 200). Otherwise the
--   set kept is the one with the fewest requests remaining: the budget the client will run into
--   first. Its x-ratelimit-limit keeps only the number: the rate-limit service's
--   (devstack's global layer) also names its window ("50, 50;w=1"), the local layer's does not,
--   and one shape is what a client can parse.
-- * For REST clients, none of gRPC's transport headers (grpc-status, grpc-message, grpc-encoding,
--   grpc-accept-encoding): the transcoder has already turned them into the HTTP status and the
--   JSON body, and they say what software answers. gRPC clients need them and keep them. A reply
--   is for a gRPC client when its content-type is gRPC's (Envoy answers gRPC requests, local
--   replies included, with application/grpc; the transcoder answers REST with JSON).

local sub = string.sub

local RATELIMIT = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}
local REFUSED = "x-paygate-refused"
local GRPC_TRANSPORT = {"grpc-status", "grpc-message", "grpc-encoding", "grpc-accept-encoding"}

local function is_grpc(content_type)
  return content_type == "application/grpc" or sub(content_type, 1, 17) == "application/grpc+"
end

local function keep_one_ratelimit_set(headers)
  local refused = headers:get(REFUSED) ~= nil
  headers:remove(REFUSED)
  local sets = headers:getNumValues("x-ratelimit-remaining")
  if sets < 2 then
    return
  end
  for _, name in ipairs(RATELIMIT) do
    if headers:getNumValues(name) ~= sets then
      return  -- not one value per set: nothing safe to pick
    end
  end
  local kept, fewest = 0, nil  -- a refusal keeps the first set, the refuser's
  if not refused then
    for i = 0, sets - 1 do
      local remaining = tonumber(headers:getAtIndex("x-ratelimit-remaining", i))
      if remaining ~= nil and (fewest == nil or remaining < fewest) then
        kept, fewest = i, remaining
      end
    end
  end
  for _, name in ipairs(RATELIMIT) do
    local value = headers:getAtIndex(name, kept)
    headers:remove(name)
    headers:add(name, value)
  end
end

local function plain_limit(headers)
  if headers:getNumValues("x-ratelimit-limit") ~= 1 then
    return
  end
  local limit = headers:get("x-ratelimit-limit")
  local number = string.match(limit, "^(%d+),")
  if number ~= nil then
    headers:replace("x-ratelimit-limit", number)
  end
end

local DUPLICATE_KEY = "Idempotency-Key was sent more than once; send exactly one key per request."

function envoy_on_request(handle)
  local headers = handle:headers()
  if headers:getNumValues("idempotency-key") < 2 then
    return
  end
  if is_grpc(headers:get("content-type") or "") then
    handle:respond({[":status"] = "400"}, DUPLICATE_KEY)  -- INVALID_ARGUMENT (local_reply_config)
    return
  end
  -- The local_reply_config mapper for this metadata keeps the JSON google.rpc.Status as written.
  handle:streamInfo():dynamicMetadata():set("paygate.strict_json", "refused", true)
  handle:respond({[":status"] = "400", ["content-type"] = "application/json"},
    '{"code":3,"message":"' .. DUPLICATE_KEY .. '","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",'
    .. '"reason":"DUPLICATE_IDEMPOTENCY_KEY","domain":"paygate.dev"},{"@type":"type.googleapis.com/google.rpc.BadRequest",'
    .. '"fieldViolations":[{"field":"idempotency-key","description":"' .. DUPLICATE_KEY .. '"}]}]}')
end

function envoy_on_response(handle)
  local headers = handle:headers()
  keep_one_ratelimit_set(headers)
  plain_limit(headers)
  if not is_grpc(headers:get("content-type") or "") then
    for _, name in ipairs(GRPC_TRANSPORT) do
      headers:remove(name)
    end
  end
end
